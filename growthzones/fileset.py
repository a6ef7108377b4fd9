"""Publishing a set of files at once: every new file, or the old ones.

A command that writes several files describing one result (``run``: ranking.csv,
sites.geojson, score.tif, map.html) must never leave a folder whose files contradict each
other. :func:`write_set` stages the files and publishes them in one step:

1. **Check first.** :func:`check_out_folder` refuses an ``--out`` that is a file,
   read-only, or whose parent cannot be created -- before anything is written.
2. **Clean up.** :func:`clean_leftovers` removes what an interrupted earlier run left
   (staging folders, hidden ``.NAME.XXXXXXXX.tmp`` files, the store's old
   ``.NAME.building`` / ``.NAME.old`` folders) and restores the live folder if a fallback
   swap was cut between its two renames. It says on stderr what it cleaned.
3. **Stage.** :func:`write_set` makes a hidden sibling ``<parent>/.<name>.staging-XXXX``.
   It starts as a hard-link copy of the live folder (so files of *other* commands and the
   user's own files survive at no cost in space); each new file first drops its link, then
   is written under its final name (a GeoJSON's layer name is its file name, so QGIS shows
   ``sites``, not a temp name). A file is never written through a link, so the live folder
   is never touched while staging.
4. **Publish in one step.** When every file is complete the staging folder and the live
   folder are exchanged atomically with ``renameat2(RENAME_EXCHANGE)`` (Linux >= 3.15,
   glibc >= 2.28, via ctypes); then the old copy is deleted. Where that call is missing
   (macOS, Windows, some file systems) a two-rename fallback is used: live ->
   ``.<name>.previous``, staging -> live. Cut between the two, the live folder is missing
   and ``.previous`` holds the complete old set; the next run renames it back.

A reader of the live folder therefore sees the old complete set until the exchange and the
new complete set after it. A killed process leaves at most a hidden staging or
``.previous`` folder beside it, which the next run removes.

Each staging folder is ``flock``-ed by its writer, so a second process cleaning up never
removes a staging folder that is still being written (the lock dies with the process).
Two commands publishing into the *same* folder at the same time are not serialised: the
later one wins the folder.

CSV files written here are formula-safe (:func:`csv_safe`, the OWASP rule).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ._errors import GrowthZonesError, OutputError

#: Text cells starting with one of these are read as a formula by spreadsheet programs
#: (OWASP "CSV injection"); they get a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_STAGING = ".staging-"
_PREVIOUS = ".previous"
#: Names earlier versions of ``build_store`` used: ``.old`` held the previous store during
#: its swap (restored if the store is missing), ``.building`` a half-built one.
_LEGACY_PREVIOUS = (".old",)
_LEGACY_TRASH = (".building",)
#: ``io.atomic_path`` temp files: ``.NAME.`` + 8 ``mkstemp`` characters + ``.tmp``.
_TMP_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")

_UMASK = os.umask(0o022)
os.umask(_UMASK)


#: Default ``log``: the ``sys.stderr`` of the moment (so redirections and pytest see it).
STDERR = "stderr"


def _say(msg: str, log) -> None:
    if log is not None:
        print(msg, file=sys.stderr if log == STDERR else log, flush=True)


def _hook(point: str) -> None:
    """Called at each publishing step; a no-op. Kill tests replace it to stop there."""


# --- checks ---------------------------------------------------------------------------------

def check_out_folder(folder: str | os.PathLike, *, what: str = "--out") -> Path:
    """Check that ``folder`` is, or can become, a writable folder; write nothing.

    Parameters
    ----------
    folder
        The output folder (it need not exist yet).
    what
        How the user named it, for the message (a CLI flag).

    Returns
    -------
    pathlib.Path
        ``folder``.

    Raises
    ------
    OutputError
        If ``folder`` is a file, is read-only (no write permission, including a folder
        whose mode has no write bit at all, which even root respects here), or its
        nearest existing parent is a file or is read-only.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{what} {folder} is a file, not a folder; pass a folder "
                          f"(e.g. {what} {folder.parent / 'outputs'}) or move the file away")
    if folder.is_dir() and not _writable(folder):
        raise OutputError(f"{what} {folder} is read-only; make it writable "
                          f"(chmod u+w {folder}) or pass another {what}")
    parent = folder.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{what} {folder} cannot be created: {parent} is a file, not a "
                          f"folder; pass another {what}")
    if not _writable(parent):
        raise OutputError(f"{what} {folder} cannot be written: its folder {parent} is "
                          f"read-only (outputs are staged beside {folder.name}); make it "
                          f"writable or pass another {what}")
    return folder


def _writable(folder: Path) -> bool:
    mode = folder.stat().st_mode
    return os.access(folder, os.W_OK | os.X_OK) and bool(mode & 0o222)


# --- CSV --------------------------------------------------------------------------------------

def _defuse(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(table):
    """A copy of ``table`` whose text cells cannot run as spreadsheet formulas.

    A text cell (or column name) starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'`` (the OWASP rule); numbers stay numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> safe = csv_safe(pd.DataFrame({"name": ["=1+1", "Leeds", "-x"], "score": [-0.5, 1, 2]}))
    >>> safe["name"].tolist(), safe["score"].tolist()
    (["'=1+1", 'Leeds', "'-x"], [-0.5, 1.0, 2.0])
    """
    out = table.copy()
    for col in out.columns:
        if not _never_text(out[col]):  # object, str and category columns
            out[col] = out[col].map(_defuse, na_action="ignore")
    out.columns = [_defuse(c) for c in out.columns]
    return out


def write_csv(table, path: str | os.PathLike) -> Path:
    """Write ``table`` (no index) to ``path`` after :func:`csv_safe`; every project CSV.

    Python's CSV writer does not quote a bare carriage return, which readers take as a
    line break; a table with one in a text cell is written with every text cell quoted.
    """
    import csv

    safe = csv_safe(table)
    has_cr = any(safe[c].map(lambda v: isinstance(v, str) and "\r" in v).any()
                 for c in safe.columns if not _never_text(safe[c]))
    safe.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL)
    return Path(path)


def _never_text(series) -> bool:
    """True for numeric, boolean and datetime columns: cells that are never text."""
    from pandas.api import types

    dt = series.dtype
    return (types.is_numeric_dtype(dt) or types.is_bool_dtype(dt)
            or types.is_datetime64_any_dtype(dt))


# --- leftovers ----------------------------------------------------------------------------------

def _locked_by_someone(path: Path) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: no flock; treat every staging folder as abandoned
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def clean_leftovers(folder: str | os.PathLike, *, log=STDERR) -> list[str]:
    """Remove what an interrupted write into ``folder`` left behind; repair a cut swap.

    Removes ``<parent>/.<name>.staging-*`` folders no live process holds, a leftover
    ``.<name>.previous`` (or legacy ``.<name>.old``) folder -- or renames it back to
    ``folder`` if ``folder`` is missing, because then it is the complete old set -- the
    legacy ``.<name>.building`` folder, and ``.NAME.XXXXXXXX.tmp`` files inside ``folder``.

    Returns
    -------
    list of str
        One phrase per thing cleaned (also printed as one line to ``log``).
    """
    folder = Path(folder)
    parent, name = folder.parent, folder.name
    done: list[str] = []
    if not parent.is_dir():
        return done
    for prev in (_PREVIOUS, *_LEGACY_PREVIOUS):
        p = parent / f".{name}{prev}"
        if p.is_dir() and not folder.exists():
            os.rename(p, folder)
            done.append(f"restored {folder} from {p.name} (a swap was interrupted)")
        elif p.exists():
            _remove_tree(p)
            done.append(f"removed {p.name}")
    for p in sorted(parent.glob(f".{glob_escape(name)}{_STAGING}*")):
        if p.is_dir() and not _locked_by_someone(p):
            _remove_tree(p)
            done.append(f"removed {p.name}")
    for trash in _LEGACY_TRASH:
        p = parent / f".{name}{trash}"
        if p.exists():
            _remove_tree(p)
            done.append(f"removed {p.name}")
    done += remove_tmp_files(folder, log=None)
    if done:
        _say(f"cleaned up after an interrupted earlier run in {parent}: {'; '.join(done)}", log)
    return done


def remove_tmp_files(folder: str | os.PathLike, *, log=STDERR) -> list[str]:
    """Remove the ``.NAME.XXXXXXXX.tmp`` files a killed atomic write left in ``folder``."""
    folder, done = Path(folder), []
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if _TMP_FILE.match(p.name) and p.is_file():
                p.unlink(missing_ok=True)
                done.append(f"removed {folder.name}/{p.name}")
    if done:
        _say(f"cleaned up after an interrupted earlier run in {folder}: {'; '.join(done)}", log)
    return done


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards escaped (``[*]``), for ``Path.glob``."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# --- the atomic exchange ------------------------------------------------------------------------

def _load_renameat2():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # no libc found, or glibc < 2.28
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _load_renameat2()
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def exchange(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Swap two existing paths atomically; return False if the system cannot.

    Uses Linux ``renameat2(..., RENAME_EXCHANGE)``. False (nothing changed) where the
    call or the flag is not supported, so the caller can fall back.
    """
    if _renameat2 is None:
        return False
    rc = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _publish(staging: Path, folder: Path) -> None:
    """Put ``staging`` at ``folder`` in one step; delete the old ``folder``."""
    if not folder.exists():
        os.rename(staging, folder)
        _hook("published")
        return
    if exchange(staging, folder):
        _hook("exchanged")  # staging now holds the old set
        _remove_tree(staging)
        return
    # Fallback: two renames. Cut between them, the next run restores .previous.
    previous = folder.parent / f".{folder.name}{_PREVIOUS}"
    os.rename(folder, previous)
    _hook("moved-away")
    os.rename(staging, folder)
    _hook("published")
    _remove_tree(previous)


# --- the set writer -----------------------------------------------------------------------------

class StagedFolder:
    """The staging folder of a set being written; see :func:`write_set`."""

    def __init__(self, root: Path, folder: Path):
        self.root, self.folder = root, folder
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        """The staging path to write ``name`` (relative to the folder) to.

        Any hard link to the live file there is dropped first, so the caller may open it
        for writing without touching the live file.
        """
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
        self.names.append(name)
        return p

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` (UTF-8) as ``name``."""
        self.path(name).write_text(text, encoding="utf-8")
        return self.root / name

    def write_csv(self, name: str, table) -> Path:
        """Write ``table`` as ``name`` with :func:`write_csv` (formula-safe)."""
        return write_csv(table, self.path(name))


def _link_or_copy(src, dst):
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:  # a file system without hard links: copy
        shutil.copy2(src, dst, follow_symlinks=False)
    return dst


def _as_output_error(exc: OSError, folder: Path) -> OutputError:
    return OutputError(f"cannot write to {folder}: {exc.strerror or exc} "
                       f"({exc.filename or folder}); free space or fix permissions, or pass "
                       f"another --out")


@contextlib.contextmanager
def write_set(folder: str | os.PathLike, *, keep_existing: bool = True,
              log=STDERR) -> Iterator[StagedFolder]:
    """Write a set of files into ``folder`` as a whole: all of them, or none.

    Parameters
    ----------
    folder
        The live output folder (created if missing).
    keep_existing
        Start the staging folder as a hard-link copy of ``folder``, so files the set does
        not write are kept (True, for outputs); or empty, so the set replaces the whole
        folder (False, for the layer store).
    log
        Where to report cleaned leftovers (None: silent).

    Yields
    ------
    StagedFolder
        Write each file to ``staged.path(name)`` (or ``write_text`` / ``write_csv``).
        On a normal exit the set is published in one step; on an exception the staging
        folder is removed and ``folder`` is untouched.

    Raises
    ------
    OutputError
        If ``folder`` cannot be written (see :func:`check_out_folder`), or writing fails
        with a file-system error (disk full, permissions).
    """
    folder = Path(folder)
    if folder.is_symlink():  # publish into the folder it points to, keep the link
        folder = folder.resolve()
    check_out_folder(folder)
    clean_leftovers(folder, log=log)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}{_STAGING}"))
    except OSError as exc:
        raise _as_output_error(exc, folder) from None
    lock = _lock(root)
    try:
        try:
            if keep_existing and folder.is_dir():
                # into the locked folder itself (not a new one), so the lock covers it
                shutil.copytree(folder, root, symlinks=True, copy_function=_link_or_copy,
                                ignore=_ignore_tmp, dirs_exist_ok=True)
                shutil.copystat(folder, root)
            else:
                os.chmod(root, 0o777 & ~_UMASK)
        except OSError as exc:
            raise _as_output_error(exc, folder) from None
        _hook("staging")
        staged = StagedFolder(root, folder)
        try:
            yield staged
        except OSError as exc:
            if isinstance(exc, GrowthZonesError) or exc.errno not in _WRITE_ERRNOS:
                raise
            raise _as_output_error(exc, folder) from None
        _hook("staged")
        try:
            _publish(root, folder)
        except OSError as exc:
            raise _as_output_error(exc, folder) from None
    finally:
        if lock is not None:
            os.close(lock)
        if root.exists():
            _remove_tree(root)


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                 errno.EFBIG}


def _ignore_tmp(_dir, names: Iterable[str]) -> set[str]:
    return {n for n in names if _TMP_FILE.match(n)}


def _lock(path: Path) -> int | None:
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd
