"""The chunk-parallel build: blocks of the grid, the dask graph over them, the block writer.

:func:`growthzones.build.build_store` plans the build grid into square blocks
(:func:`plan_blocks`, 512 x 512 cells by default), and for every theme module with
``read`` and ``on_block`` (the contract of :mod:`growthzones.layers`) computes each block's
criteria from the theme's national features and the block's own :class:`Base`
(:func:`block_base`): one dask task per block (:func:`compute_blocks`), on the local
threaded scheduler or on a ``dask.distributed`` cluster. Each finished block goes straight
into per-criterion tiled GeoTIFFs (:class:`StoreWriter`), so no process holds a whole
national raster of a block-built criterion.

**Regions.** :func:`resolve_within` turns ``--within`` (a council, county, region, nation,
bbox or polygon file: the parser of :mod:`growthzones.areas`, the one ``run --within``
uses) into a :class:`Within`; :func:`region_grid` is the block of the national grid that
covers it, cell-aligned, and cells outside the area are not land.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ._errors import InputError
from .grid import GridSpec, rasterize_index
from .io import BIG_GRID_CELLS
from .layers.base import Base

#: Cells per side of a block (``data build --chunk``). 512 is two 256-px GeoTIFF tiles: at
#: 100 m a block is 51 km square, 1 MB per float32 criterion.
DEFAULT_CHUNK = 512
#: Environment variable naming the dask scheduler (``tcp://host:port``) of a build.
SCHEDULER_ENV = "GROWTHZONES_SCHEDULER"
#: Grids above this many cells get internal overviews (x2, x4, ...), for maps of big stores.
OVERVIEW_CELLS = BIG_GRID_CELLS


# --- blocks --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One block of the build grid: its position ``(i, j)`` in the plan and its cells."""

    i: int
    j: int
    rows: slice
    cols: slice


def plan_blocks(grid: GridSpec, chunk: int = DEFAULT_CHUNK) -> list[Block]:
    """The build grid cut into blocks of ``chunk`` x ``chunk`` cells, row-major (the last
    row and column of blocks are smaller where the grid does not divide).

    >>> [(b.rows, b.cols) for b in plan_blocks(GridSpec(bounds=(0, 0, 3000, 2000)), 2)]
    [(slice(0, 2, None), slice(0, 2, None)), (slice(0, 2, None), slice(2, 3, None))]
    """
    h, w = grid.shape
    return [Block(i, j, slice(r, min(r + chunk, h)), slice(c, min(c + chunk, w)))
            for i, r in enumerate(range(0, h, chunk)) for j, c in enumerate(range(0, w, chunk))]


# --- the base of a block -------------------------------------------------------------------

@dataclass
class SmallAreas:
    """The national small areas, as every block's base needs them (picklable; sent to
    dask workers once).

    ``geoms`` row ``i`` is ``areas`` row ``i`` (area index ``i + 1``); ``bounds`` their
    (n, 4) boxes, so a block takes only the polygons that can reach it; ``lut`` the
    council row (1-based, 0 for none) of each area index.
    """

    geoms: np.ndarray
    bounds: np.ndarray
    lut: np.ndarray
    areas: pd.DataFrame
    las: pd.DataFrame

    @classmethod
    def from_frame(cls, small_areas) -> SmallAreas:
        """From :func:`growthzones.layers.base.read_small_areas`: the tables and council
        rows exactly as :func:`growthzones.layers.base.build_base` numbers them."""
        import shapely

        from .layers.base import build_base

        # build_base on one 700 x 1250 km cell: its tables and numbering, no real raster
        tables = build_base(small_areas, GridSpec(resolution=50_000.0,
                                                  bounds=(0.0, 0.0, 50_000.0, 50_000.0)))
        la_row = tables.areas["la_code"].map(
            pd.Series(np.arange(1, len(tables.las) + 1), index=tables.las["la_code"]))
        lut = np.concatenate([[0], la_row.to_numpy()]).astype(np.int16)
        geoms = np.asarray(tables.shapes)
        return cls(geoms=geoms, bounds=shapely.bounds(geoms), lut=lut, areas=tables.areas,
                   las=tables.las)


def block_base(small: SmallAreas, grid: GridSpec, within: Within | None = None) -> Base:
    """The :class:`Base` of one block of the national grid, from the national polygons.

    Only the polygons whose box meets the block are burnt (cell-centre rule, later wins,
    as :func:`growthzones.layers.base.build_base`), with their national area index, so
    rows of ``areas`` and ``las`` mean the same in every block and the arrays equal the
    national base's window. Cells outside ``within`` are not land (index 0).
    """
    xmin, ymin, xmax, ymax = grid.bounds
    b = small.bounds
    near = np.flatnonzero((b[:, 0] < xmax) & (b[:, 2] > xmin) & (b[:, 1] < ymax)
                          & (b[:, 3] > ymin))
    area_index = (rasterize_index(small.geoms[near], near + 1, grid) if near.size
                  else np.zeros(grid.shape, dtype=np.int32))
    la_index = small.lut[area_index]
    if within is not None:
        inside = within.inside(grid, area_index > 0, la_index, small.las)
        area_index[~inside] = 0
        la_index[~inside] = 0
    return Base(grid=grid, land=area_index > 0, area_index=area_index, areas=small.areas,
                la_index=la_index, las=small.las, shapes=small.geoms)


# --- regions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Within:
    """The area of a regional build, resolved once by :func:`resolve_within`.

    Council-based areas (``council``, ``county``, ``region``, ``nation``) keep the council
    rows inside (``la_rows``, 1-based rows of ``las``); boxes and polygons their geometry
    (EPSG:27700). ``bounds`` is the box (m) the build grid must cover.
    """

    label: str
    kind: str
    code: str
    bounds: tuple[float, float, float, float]
    geometry: object = None
    la_rows: np.ndarray | None = None

    def inside(self, grid: GridSpec, land: np.ndarray, la_index: np.ndarray, las
               ) -> np.ndarray:
        """Cells of ``grid`` inside the area, by the rule of ``run --within``
        (:mod:`growthzones.areas`: a cell is inside when its centre is)."""
        from .areas import _geometry_mask

        if self.la_rows is not None:
            return np.isin(la_index, self.la_rows) & land
        store = _area_proxy(grid, land, la_index, las)
        out = np.zeros(grid.shape, dtype=bool)
        out.ravel()[store.land_index] = _geometry_mask(store, self.geometry)
        return out

    def to_dict(self) -> dict:
        """For the manifest: label, kind, code and the box."""
        return {"label": self.label, "kind": self.kind, "code": self.code,
                "bounds": [float(v) for v in self.bounds]}


def _area_proxy(grid, land, la_index, las):
    """What :mod:`growthzones.areas` reads of a store, for a grid not yet a store."""
    return SimpleNamespace(grid=grid, land=land, land_index=np.flatnonzero(land.ravel()),
                           la_index=la_index, las=las)


def resolve_within(within, small: SmallAreas) -> Within:
    """``--within`` as a :class:`Within`, parsed by :mod:`growthzones.areas` (the parser of
    ``run --within``; the same names, codes, boxes and polygon files).

    Raises
    ------
    InputError
        What :func:`growthzones.areas.select_area` raises for a bad name, box or file, or
        an area with no GB land.
    """
    from .areas import _select

    n = len(small.las)
    # one "cell" per council: the council-based areas come back as council rows; a box or
    # polygon comes back with its geometry
    proxy = _area_proxy(GridSpec(resolution=1.0, bounds=(0.0, 0.0, float(n), 1.0)),
                        np.ones((1, n), bool), np.arange(1, n + 1).reshape(1, n), small.las)
    area = _select(proxy, within)
    if area.geometry is not None:
        bounds = tuple(float(v) for v in area.geometry.bounds)
        return Within(area.label, area.kind, area.code, bounds, geometry=area.geometry)
    rows = np.flatnonzero(area.mask) + 1
    hit = np.isin(small.lut[1:], rows)
    if not hit.any():
        raise InputError(f"--within {area.label}: no small area of GB lies in it; give a "
                         f"council, region or box on GB land")
    b = small.bounds[hit]
    return Within(area.label, area.kind, area.code,
                  (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                   float(b[:, 3].max())), la_rows=rows)


def region_grid(grid: GridSpec, bounds) -> GridSpec:
    """The block of the national ``grid`` covering ``bounds`` (m), whole cells outward.

    >>> region_grid(GridSpec(), (1500, 2200, 2600, 2900)).bounds
    (1000.0, 2000.0, 3000.0, 3000.0)
    """
    res, (gx0, _, _, gy1) = grid.resolution, grid.bounds
    xmin, ymin, xmax, ymax = bounds
    c0 = int(np.clip(np.floor((xmin - gx0) / res), 0, grid.width))
    c1 = int(np.clip(np.ceil((xmax - gx0) / res), 0, grid.width))
    r0 = int(np.clip(np.floor((gy1 - ymax) / res), 0, grid.height))
    r1 = int(np.clip(np.ceil((gy1 - ymin) / res), 0, grid.height))
    if r1 <= r0 or c1 <= c0:
        raise InputError(f"--within covers {bounds}, outside the GB grid {grid.bounds}; "
                         f"give an area on GB land")
    return grid.block(slice(r0, r1), slice(c0, c1))


# --- the graph -----------------------------------------------------------------------------

@dataclass
class BlockResult:
    """What one block task hands back: its land and council rasters, each theme's
    criteria (float32, NaN off land) and tallies, and each theme's seconds."""

    block: Block
    land: np.ndarray
    la_index: np.ndarray
    themes: dict
    seconds: dict


def run_block(block: Block, grid: GridSpec, small: SmallAreas, within: Within | None,
              features: dict) -> BlockResult:
    """One task: the block's base, then ``on_block`` of every theme (``features`` maps a
    theme module's name to its features; modules are imported here, on the worker)."""
    base = block_base(small, grid.block(block.rows, block.cols), within)
    themes, seconds = {}, {}
    for name, feats in features.items():
        t = time.perf_counter()
        out = importlib.import_module(name).on_block(feats, base)
        themes[name] = {k: (v if k.startswith("_") else
                            np.where(base.land, v, np.nan).astype(np.float32))
                        for k, v in out.items()}
        seconds[name] = time.perf_counter() - t
    return BlockResult(block, base.land, base.la_index, themes, seconds)


def scheduler_address(scheduler=None) -> str | None:
    """The dask scheduler of a build: ``scheduler`` (``tcp://host:port``), else
    ``$GROWTHZONES_SCHEDULER``, else None (the local threaded scheduler)."""
    address = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV)
    return None if address in (None, "", "threads", "local") else str(address)


def compute_blocks(blocks: list[Block], grid: GridSpec, small: SmallAreas,
                   within: Within | None, features: dict, sink, *, scheduler=None,
                   workers: int | None = None) -> None:
    """Run :func:`run_block` for every block as a dask graph and hand each result to
    ``sink`` as it is finished (in no set order).

    Local (no scheduler): dask's threaded scheduler on ``workers`` threads (default: the
    machine's cores); ``sink`` runs in the task threads, under a lock. Distributed
    (``tcp://...``): ``dask.distributed.Client(address)``; the small areas and each
    theme's features are scattered to every worker once (``broadcast=True``), and
    ``sink`` runs in this process as results arrive. Sources a theme reads in
    ``on_block`` (e.g. the DEM) are read by path on the workers, so a cluster needs the
    source folder on a path every worker sees.
    """
    import dask

    address = scheduler_address(scheduler)
    if address is None:
        lock = threading.Lock()

        def take(result):
            with lock:
                sink(result)

        # One row of blocks at a time: the writer holds a row until it is complete, and the
        # threaded scheduler's own order spread a GB 100 m build's first blocks over many
        # rows (18 GB after 26 blocks). A row's last block leaves a thread idle briefly.
        rows: dict[int, list[Block]] = {}
        for b in blocks:
            rows.setdefault(b.i, []).append(b)
        for row in rows.values():
            tasks = [dask.delayed(take)(dask.delayed(run_block)(
                b, grid, small, within, features, dask_key_name=f"block-{b.i}-{b.j}"))
                for b in row]
            dask.compute(*tasks, scheduler="threads", num_workers=workers or os.cpu_count())
        return
    from distributed import Client, as_completed

    with Client(address) as client:
        small_f = client.scatter(small, broadcast=True)
        feats_f = {name: client.scatter(f, broadcast=True) for name, f in features.items()}
        # the scheduler runs earlier submissions first, so rows complete roughly in order
        futures = [client.submit(run_block, b, grid, small_f, within, feats_f,
                                 key=f"block-{b.i}-{b.j}-{id(blocks)}", pure=False,
                                 priority=-b.i)
                   for b in blocks]
        for fut in as_completed(futures):
            sink(fut.result())
            fut.release()


# --- writing -------------------------------------------------------------------------------

_EXP_OFFSET = 160  # frexp exponent of a float32 + this >= 0


class RunningStats:
    """Count, min, max and the exact mean of the values of many blocks.

    The sum is kept exactly (per binary exponent, as integers), so the mean is the
    correctly rounded mean of every value whatever the blocks and their order: a build
    in blocks records the same statistics as one in a single block.

    >>> a, b = RunningStats(), RunningStats()
    >>> a.add(np.float32([0.1, 0.2])); a.add(np.float32([0.3])); b.add(np.float32([0.3, 0.2, 0.1]))
    >>> a.to_dict() == b.to_dict(), a.count
    (True, 3)
    """

    def __init__(self):
        self.count, self.min, self.max = 0, np.inf, -np.inf
        self._sums: dict[int, int] = {}

    def add(self, values: np.ndarray) -> None:
        """Add finite float32 values."""
        values = np.asarray(values, np.float32).ravel()
        if not values.size:
            return
        self.count += values.size
        self.min, self.max = min(self.min, float(values.min())), max(self.max,
                                                                     float(values.max()))
        # a float32 is m * 2**(e - 24) with an integer |m| < 2**24; sums of < 2**29 such
        # mantissas stay exact in float64 (< 2**53)
        for start in range(0, values.size, 1 << 28):
            m, e = np.frexp(values[start:start + (1 << 28)].astype(np.float64))
            # float32 exponents lie in [-148, 128]: one bin each, no sort (np.unique was
            # a tenth of a GB 100 m build's writer)
            sums = np.bincount(e.ravel() + _EXP_OFFSET, weights=m * 2.0 ** 24)
            for ex in np.flatnonzero(sums).tolist():
                self._sums[ex - _EXP_OFFSET] = (self._sums.get(ex - _EXP_OFFSET, 0)
                                               + int(sums[ex]))

    def to_dict(self) -> dict:
        """``{"min", "max", "mean"}``, or ``{}`` with no values."""
        if not self.count:
            return {}
        total = sum(Fraction(s) * Fraction(2) ** (e - 24) for e, s in self._sums.items())
        return {"min": self.min, "max": self.max, "mean": float(total / self.count)}


class _BandWriter:
    """One GeoTIFF written by windows: blocks are held until their band of blocks (a full
    row of them) is complete, and bands are written top to bottom, so the file is the
    same, byte for byte, as :func:`growthzones.io.write_raster` of the whole array."""

    def __init__(self, path: Path, grid: GridSpec, dtype, nodata, chunk: int, per_band: int):
        import rasterio

        from .io import raster_profile

        self.path, self.grid, self.chunk, self.per_band = path, grid, chunk, per_band
        self.dtype = np.dtype(dtype)
        self.fill = np.nan if nodata is None else nodata
        self.dst = rasterio.open(path, "w", **raster_profile(grid, self.dtype, nodata=nodata))
        self.bands: dict[int, list] = {}
        self.next_band = 0

    def add(self, block: Block, arr: np.ndarray) -> None:
        from rasterio.windows import Window

        band = self.bands.get(block.i)
        if band is None:
            h = block.rows.stop - block.rows.start
            band = self.bands[block.i] = [np.full((h, self.grid.width), self.fill,
                                                  dtype=self.dtype), 0]
        band[0][:, block.cols] = arr
        band[1] += 1
        while self.bands.get(self.next_band, (None, -1))[1] == self.per_band:
            data, _ = self.bands.pop(self.next_band)
            self.dst.write(data, 1, window=Window(0, self.next_band * self.chunk,
                                                  self.grid.width, data.shape[0]))
            self.next_band += 1

    def close(self) -> Path | None:
        """Close the file; its path if it is to have overviews (a big grid), else None."""
        if self.bands:
            raise RuntimeError(f"{self.path}: bands {sorted(self.bands)} were not completed")
        self.dst.close()
        return self.path if self.grid.height * self.grid.width > OVERVIEW_CELLS else None


def build_all_overviews(paths, *, workers: int | None = None) -> None:
    """:func:`build_overviews` of every file, in ``workers`` processes (default: a core
    each) where it may start them: GDAL builds them holding the GIL, ~1.3 s of one core
    for a GB 100 m criterion, ~70 of them a build, so threads would take them in turn.
    Inside a process that may not start others (a daemon, e.g. a dask worker), or if
    the processes fail, they are built here one by one (building again is harmless)."""
    import multiprocessing as mp

    paths = list(paths)
    n = min(workers or os.cpu_count() or 1, len(paths))
    if n >= 2 and not mp.current_process().daemon:
        from joblib import Parallel, delayed
        from joblib.externals.loky.process_executor import TerminatedWorkerError

        try:
            # joblib's loky processes, as for the HAND tiles (flood.prepare)
            Parallel(n_jobs=n, backend="loky")(delayed(build_overviews)(p) for p in paths)
            return
        except (TerminatedWorkerError, OSError):
            pass
    for p in paths:
        build_overviews(p)


def build_overviews(path: Path) -> None:
    """Internal average overviews (x2, x4, ... down to ~256 px), which a map of a big store
    reads instead of the full grid (nodata-aware)."""
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path, "r+") as dst:
        factors, f = [], 2
        while max(dst.width, dst.height) / f >= 256:
            factors.append(f)
            f *= 2
        if factors:
            dst.build_overviews(factors, Resampling.average)
            dst.update_tags(ns="rio_overview", resampling="average")


class StoreWriter:
    """Writes block results into a store folder as they arrive.

    ``land.tif`` and ``la_index.tif`` (when ``base=True``), and ``layers/<name>.tif`` for
    every criterion, each with its running statistics and coverage count; block tallies
    (``_`` keys) are summed per theme.
    """

    def __init__(self, folder: Path, grid: GridSpec, blocks: list[Block], chunk: int, *,
                 base: bool = True):
        self.folder, self.grid, self.chunk = Path(folder), grid, chunk
        self.per_band = max(b.j for b in blocks) + 1
        self.total = len(blocks)
        self.writers: dict[str, _BandWriter] = {}
        self.stats: dict[str, RunningStats] = {}
        self.names: dict[str, list[str]] = {}  # theme -> criterion names, in their order
        self.tallies: dict[str, dict] = {}
        self.seconds: dict[str, float] = {}
        self.land_cells = 0
        self.done = 0
        self.base = base

    def _writer(self, key: str, rel: str, dtype, nodata) -> _BandWriter:
        if key not in self.writers:
            self.writers[key] = _BandWriter(self.folder / rel, self.grid, dtype, nodata,
                                            self.chunk, self.per_band)
        return self.writers[key]

    def add_base(self, block: Block, land: np.ndarray, la_index: np.ndarray) -> None:
        self.land_cells += int(land.sum())
        if self.base:
            self._writer("land.tif", "land.tif", np.uint8, 0).add(block, land.astype(np.uint8))
            self._writer("la_index.tif", "la_index.tif", la_index.dtype, 0).add(block,
                                                                                la_index)

    def add_theme(self, theme: str, block: Block, land: np.ndarray, out: dict) -> None:
        names = self.names.setdefault(theme, [])
        tallies = self.tallies.setdefault(theme, {})
        for name, arr in out.items():
            if name.startswith("_"):
                tallies[name] = tallies.get(name, 0) + np.asarray(arr)
                continue
            if name not in self.stats:
                names.append(name)
                self.stats[name] = RunningStats()
            arr = np.where(land, arr, np.nan).astype(np.float32)
            self.stats[name].add(arr[np.isfinite(arr)])
            self._writer(name, f"layers/{name}.tif", np.float32, None).add(block, arr)

    def add(self, result: BlockResult) -> None:
        """One finished block of :func:`compute_blocks`."""
        self.add_base(result.block, result.land, result.la_index)
        for theme, out in result.themes.items():
            self.add_theme(theme, result.block, result.land, out)
            self.seconds[theme] = self.seconds.get(theme, 0.0) + result.seconds[theme]
        self.done += 1

    def close(self) -> None:
        build_all_overviews([p for p in (w.close() for w in self.writers.values()) if p])
