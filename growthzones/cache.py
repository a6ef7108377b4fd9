"""Arrays kept on the user's disk between runs, keyed by the files they come from.

What is cached in :func:`cache_dir`:

- the HAND tiles of the flood layer (:mod:`growthzones.layers.flood`), a minute or two
  each to compute;
- through :func:`cached_array`, in its ``arrays/`` folder: the land-cell values of a
  1 km store's layers (:meth:`growthzones.store.LayerStore.read_vector`), their
  transformed values (:mod:`growthzones.scoring.matrix`) and the map's parts that depend
  on the store only (:mod:`growthzones.maps._cached`). Decompressing a 1 km GeoTIFF
  takes ~10 ms and ``growthzones run`` reads ~65 of them; the same values as an
  uncompressed ``.npy`` load in well under a millisecond.

An entry's name is a digest of what it was made from (each source file's
:func:`fingerprint`, what was made of it, the version of the code), so a rebuilt store
or an upgraded toolkit never meets an old entry: it makes a new one. A damaged or
unreadable entry is made again; a cache that cannot be written (a read-only home) only
makes the run slower. ``arrays/`` is kept under :data:`CACHE_BYTES` (oldest removed
first). Set ``$GROWTHZONES_CACHE`` to move the cache; deleting it is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: Bump when the format of :func:`cached_array`'s entries changes.
CACHE_VERSION = 1
#: :func:`cached_array`'s folder is pruned to this size (a 1 km store's layer vectors and
#: map parts take ~100 MB).
CACHE_BYTES = 1 << 30


def cache_dir() -> Path:
    """``$GROWTHZONES_CACHE`` if set, else ``~/.cache/growthzones``."""
    env = os.environ.get("GROWTHZONES_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "growthzones"


def file_key(path) -> str:
    """A fingerprint of a file: its name, size, modification time and the SHA-256 of its
    first MB (so that a file rewritten with the same size and time is still told apart
    when its header or first blocks change)."""
    path = Path(path)
    st = path.stat()
    with open(path, "rb") as f:
        head = hashlib.sha256(f.read(1 << 20)).hexdigest()[:16]
    return f"{path.name}|{st.st_size}|{st.st_mtime_ns}|{head}"


def content_key(path) -> str:
    """A fingerprint of a file's bytes: its size and SHA-256 (not its name or time, so a
    copy, a fresh download or a re-provisioned folder of the same file has the same key).
    For a cache whose entries cost minutes each (HAND tiles); ~30 ms for 16 MB."""
    with open(path, "rb") as f:
        return f"{os.fstat(f.fileno()).st_size}|{hashlib.file_digest(f, 'sha256').hexdigest()}"


def load_array(path: Path) -> np.ndarray | None:
    """The array saved at ``path``; ``None`` if there is none or it is damaged."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None


def save_array(path: Path, arr: np.ndarray) -> bool:
    """Save ``arr`` at ``path`` atomically; ``False`` (nothing written) if the cache
    folder cannot be written."""
    from .io import atomic_path

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.save(f, arr, allow_pickle=False)
    except OSError:
        return False
    return True


def fingerprint(path) -> str:
    """What names a source file in a cache entry: its absolute path and :func:`file_key`
    (abspath, not resolve: resolving walks every folder of the path, ~1 ms)."""
    return f"{os.path.abspath(path)}|{file_key(path)}"


def store_sources(store, name: str) -> list[str] | None:
    """The files layer ``name`` of ``store`` is cached by
    (:meth:`growthzones.store.LayerStore.cache_sources`); ``None`` (not cached) for a
    store that is not a :class:`~growthzones.store.LayerStore` (a test's stand-in)."""
    sources = getattr(store, "cache_sources", None)
    return sources(name) if sources is not None else None


def cached_array(sources: list[str], make: Callable[[], np.ndarray], *, tag: str = "",
                 folder: Path | None = None) -> np.ndarray:
    """``make()``, or the array it returned when last called with the same sources and
    ``tag``.

    Parameters
    ----------
    sources : list of str
        The :func:`fingerprint` of each file the array is computed from (for a layer's
        land vector: the layer's GeoTIFF and the store's ``land.tif``; see
        :meth:`growthzones.store.LayerStore.cache_sources`).
    make : callable
        Computes the array (numeric, no objects) when there is no usable entry.
    tag : str
        What else the array depends on (what is made of the files, and the version of
        the code that makes it).
    folder : Path, optional
        The cache's folder (default ``cache_dir() / "arrays"``), pruned to
        :data:`CACHE_BYTES` after each entry written.

    Returns
    -------
    numpy.ndarray
        The same values ``make()`` returns.
    """
    folder = folder if folder is not None else cache_dir() / "arrays"
    key = hashlib.sha256(f"v{CACHE_VERSION}|{tag}".encode())
    for src in sources:
        key.update(f"|{src}".encode())
    path = folder / f"{key.hexdigest()[:32]}.npy"
    arr = load_array(path)
    if arr is not None:
        return arr
    arr = make()
    if save_array(path, arr):
        prune(folder, CACHE_BYTES)
    return arr


@functools.cache
def code_digest(*files: str) -> str:
    """A digest of the source ``files`` (paths as strings): in a cache entry's ``tag``,
    so that an entry made by other code (an upgrade, an edit) is not read. Read once per
    process."""
    key = hashlib.sha256()
    for file in files:
        key.update(Path(file).read_bytes())
    return key.hexdigest()[:16]


def prune(folder: Path, limit: int) -> None:
    """Remove the oldest ``.npy`` files of ``folder`` until they take ``limit`` bytes at
    most (another process may be removing them too: a file already gone is skipped)."""
    files = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.endswith(".npy"):
                    st = entry.stat()
                    files.append((st.st_mtime_ns, st.st_size, entry.path))
    except OSError:
        return
    total = sum(size for _, size, _ in files)
    for _, size, name in sorted(files):
        if total <= limit:
            break
        try:
            os.unlink(name)
        except OSError:
            continue
        total -= size
