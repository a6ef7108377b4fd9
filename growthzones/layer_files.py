"""The layer files of a store folder: read lazily, by windows of rows, cell by cell or
by overviews (:class:`LayerFiles`, which :class:`~growthzones.store.LayerStore` reads its
layers through), and the block means a file without overviews is drawn from."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._errors import LayerStoreError, one_line
from .grid import GridSpec
from .io import read_raster

#: How to fix a store that cannot be read.
REBUILD = "rebuild the store with 'growthzones data build' (or pass --store DIR)"
#: A raster of more cells than this is read into land vectors a band of rows at a time
#: (:meth:`LayerFiles.read_land`), ~30 MB of float32.
BAND_CELLS = 1 << 23


class LayerFiles(Mapping):
    """Layer rasters of a store folder, read from disk on first access.

    A scenario touches a few of the store's layers; at 100 m each raster is ~350 MB, so
    none is read until asked for.
    """

    def __init__(self, folder: Path, names: list[str], grid: GridSpec, *, keep_cells: int,
                 files: dict[str, str] | None = None, parent: LayerFiles | None = None):
        self._folder, self._names, self._grid = folder, names, grid
        #: a raster of more cells than this is read each time, not kept
        self._keep_cells = keep_cells
        self._arrays: dict[str, np.ndarray] = {}
        #: name -> file stem where it differs (a network-year variant, ``name@2035``)
        self._files = files or {}
        self._parent = parent

    def variant(self, files: dict[str, str]) -> LayerFiles:
        """The same layers with some read from other files; the rest shared with the base
        (the store's own rasters, also when this is already a variant)."""
        base = self
        while base._parent is not None:
            base = base._parent
        return LayerFiles(self._folder, self._names, self._grid,
                          keep_cells=self._keep_cells, files=files, parent=base)

    def varies(self, name: str) -> bool:
        """Whether ``name`` is read from a file of its own here (a network-year variant)."""
        return name in self._files

    def _shared(self, name: str) -> bool:
        return self._parent is not None and name not in self._files

    def __getitem__(self, name: str) -> np.ndarray:
        if self._shared(name):
            return self._parent[name]
        if name not in self._arrays:
            if name not in self._names:
                raise KeyError(name)
            arr = self.read(name)
            if arr.size > self._keep_cells:
                # a big grid's raster (350 MB at GB 100 m) is not kept: what scoring derives
                # from it is cached by scoring (growthzones.scoring.cache_for), and keeping
                # every exclusion raster asked for lifted the peak of a 100 m run 3 -> 8 GB
                return arr
            self._arrays[name] = arr
        return self._arrays[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name) -> bool:
        return name in self._names

    def loaded(self, name: str) -> bool:
        return self._parent.loaded(name) if self._shared(name) else name in self._arrays

    def read(self, name: str) -> np.ndarray:
        """The raster as float32, not cached."""
        f = self._folder / f"{self._files.get(name, name)}.tif"
        try:
            arr, g = read_raster(f)
        except Exception as exc:  # rasterio raises its own error types
            raise self._unreadable(f, exc) from None
        if g.shape != self._grid.shape or g.resolution != self._grid.resolution:
            raise LayerStoreError(f"{f} is on a {g.shape} grid at {g.resolution:g} m, the store "
                                  f"is {self._grid.shape} at {self._grid.resolution:g} m; "
                                  f"{REBUILD}")
        return arr.astype(np.float32, copy=False)

    def file(self, name: str) -> Path:
        """The GeoTIFF ``name`` is read from here (a network-year variant's own file)."""
        if self._shared(name):
            return self._parent.file(name)
        if name not in self._names:
            raise KeyError(name)
        return self._folder / f"{self._files.get(name, name)}.tif"

    def read_overview(self, name: str, factor: int) -> np.ndarray:
        """The raster averaged over ``factor`` x ``factor`` blocks of cells, float32 of shape
        ``(ceil(height / factor), ceil(width / factor))``, NaN where a block has no data.

        Read from the file's internal overview of that factor when it has one (written by
        :func:`growthzones.blocks.build_overviews` for big grids: at GB 100 m x4 is 16 times
        less to read and decode than the full raster); otherwise the full raster is read
        and averaged here, so a store without overviews still gives the same shape.
        """
        import rasterio

        f = self.file(name)
        h, w = self._grid.shape
        shape = (-(-h // factor), -(-w // factor))
        with self._checked(f) as src:
            levels = src.overviews(1)
            if factor in levels:
                with rasterio.open(f, overview_level=levels.index(factor)) as ov:
                    arr = ov.read(1)
                if arr.shape == shape:
                    return arr.astype(np.float32, copy=False)
        return block_mean(self.read(name), factor)

    def read_cells(self, name: str, rows, cols) -> np.ndarray:
        """Values at (row, col) cells, read through one-pixel windows."""
        from rasterio.windows import Window

        with self._checked(self._folder / f"{self._files.get(name, name)}.tif") as src:
            return np.array([src.read(1, window=Window(int(c), int(r), 1, 1))[0, 0]
                             for r, c in zip(rows, cols)], dtype=np.float32)

    def read_rows(self, name: str, r0: int, r1: int) -> np.ndarray:
        """Rows ``r0:r1`` of the raster (float32, 2-D), read through one window with GDAL's
        block cache held to 64 MB: a big raster read band by band then never fills it (by
        default 5 % of the machine's memory, 1.2 GB here). Its tiles are decompressed on
        every core, as :func:`~growthzones.io.read_raster` does (a GB 100 m raster by bands
        of 600 rows: 0.6 s instead of 0.9-1.3 s)."""
        import rasterio
        from rasterio.windows import Window

        with rasterio.Env(GDAL_CACHEMAX=64, GDAL_NUM_THREADS="ALL_CPUS"), \
                self._checked(self._folder / f"{self._files.get(name, name)}.tif") as src:
            arr = src.read(1, window=Window(0, r0, self._grid.width, r1 - r0))
        return arr.astype(np.float32, copy=False)

    def read_land(self, name: str, land_index: np.ndarray, *,
                  out: np.ndarray | None = None) -> np.ndarray:
        """The raster's values at the flat cell indices ``land_index`` (ascending), float32
        (written into ``out``, a float32 vector as long as ``land_index``, if given: the
        scoring of a big grid reads a criterion straight into its matrix row).

        A grid of more than :data:`BAND_CELLS` cells is read a band of rows at a time into
        one reused buffer and gathered from there, never whole: at GB 100 m a whole raster
        is a 350 MB array of fresh pages for the kernel to zero (~2.4 GB/s here) and to
        decode into, ~21 times a run; a band is 30 MB, reused (0.8-1.6 s -> 0.45 s).
        """
        import rasterio
        from rasterio.windows import Window

        h, w = self._grid.shape
        if out is None:
            out = np.empty(len(land_index), dtype=np.float32)
        if h * w <= BAND_CELLS:
            np.take(self.read(name).ravel(), land_index, out=out)
            return out
        rows = max(256, BAND_CELLS // w // 256 * 256)  # whole tiles of 256 rows
        ends = np.searchsorted(land_index, np.arange(0, h + rows, rows) * w)
        with rasterio.Env(GDAL_CACHEMAX=64, GDAL_NUM_THREADS="ALL_CPUS"), \
                self._checked(self.file(name)) as src:
            buf = np.empty((rows, w), dtype=np.float32)  # GDAL casts into it
            for b, r0 in enumerate(range(0, h, rows)):
                a, z = ends[b], ends[b + 1]
                if a == z:
                    continue
                n = min(rows, h - r0)
                src.read(1, window=Window(0, r0, w, n), out=buf[:n])
                # mode "clip": in range by construction; "raise" copies through a buffer
                np.take(buf[:n].ravel(), land_index[a:z] - r0 * w, out=out[a:z], mode="clip")
        return out

    @contextmanager
    def _checked(self, f: Path):
        """``f`` open with rasterio, checked to be on the store's grid; any read error in
        the block is the one-line "cannot read" error."""
        import rasterio

        try:
            with rasterio.open(f) as src:
                if (src.height, src.width) != self._grid.shape:
                    raise LayerStoreError(
                        f"{f} is on a {(src.height, src.width)} grid, the store is "
                        f"{self._grid.shape}; {REBUILD}")
                yield src
        except LayerStoreError:
            raise
        except Exception as exc:  # rasterio raises its own error types
            raise self._unreadable(f, exc) from None

    @staticmethod
    def _unreadable(f: Path, exc: BaseException) -> LayerStoreError:
        return LayerStoreError(f"cannot read layer file {f} (truncated or corrupt? "
                               f"{one_line(exc)}); {REBUILD}")


def block_mean(array: np.ndarray, factor: int) -> np.ndarray:
    """Mean of the finite values of each ``factor`` x ``factor`` block of a 2-D array (the
    last row and column of blocks may be partial), float32, NaN where a block has none:
    what a GDAL "average" overview holds, for a file written without one."""
    h, w = array.shape
    h2, w2 = -(-h // factor), -(-w // factor)
    total = np.zeros((h2, w2), dtype=np.float64)
    count = np.zeros((h2, w2), dtype=np.int32)
    for r0 in range(0, h, 64 * factor):  # a band of block rows at a time: bounded memory
        band = np.asarray(array[r0:r0 + 64 * factor], dtype=np.float32)
        rows = band.shape[0]
        pad = np.full((-(-rows // factor) * factor, w2 * factor), np.nan, dtype=np.float32)
        pad[:rows, :w] = band
        blocks = pad.reshape(pad.shape[0] // factor, factor, w2, factor)
        ok = np.isfinite(blocks)
        b0 = r0 // factor
        total[b0:b0 + blocks.shape[0]] = np.where(ok, blocks, 0).sum(axis=(1, 3))
        count[b0:b0 + blocks.shape[0]] = ok.sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan).astype(np.float32)
