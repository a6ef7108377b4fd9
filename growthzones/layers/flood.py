"""Flood-prone land: two terrain **proxies** from OS Terrain 50, and the FZ3 residents table.

None of these is a flood zone. The official zones (EA Flood Map for Planning, NRW Flood
Map for Planning, SEPA flood maps) are read by :mod:`growthzones.layers.designations`
when a user has the files; here the build only has terrain and one LSOA table:

``flood_proxy_low_ground_pct``
    Share of the cell's 100 m land pixels whose **lowest** OS Terrain 50 post is at or
    below :data:`LOW_GROUND_M` (5 m above Ordnance Datum). Finds tidal and estuarine
    flood plains (Thames estuary, Fens, Humber, Somerset Levels); misses inland river
    plains, ignores defences and the very different extreme tide levels of each coast.
``flood_proxy_hand_pct``
    Share of the cell's 100 m land pixels within :data:`HAND_M` (2 m) of the stream they
    drain to: *height above nearest drainage* (HAND), computed by the build with
    ``pysheds`` (:mod:`.hand`: fill pits and depressions, the latter by
    :mod:`.depressions`, resolve flats, D8 flow directions, accumulation, streams = at
    least :data:`STREAM_KM2` km² upstream, HAND). It finds river flood plains, and also
    flat clay vales and plateaux that never flood.
``flood_zone3_residents_pct``
    Share of the LSOA's residents living in Flood Zone 3 (British Red Cross from the EA
    and NRW zones, 2020): where people live, not land, and England and Wales only.

**Aggregation.** Both proxies are computed on the 100 m DEM grid, whatever the build
resolution, and put on a coarser grid as the share (0-100 %) of the cell's 100 m land
pixels (land: the centre lies in an LSOA or Data Zone polygon) that meet the threshold.
A share keeps a 1 km cell with a 30 ha riverside strip apart from one that is all marsh,
which a minimum or a majority rule would not. At 100 m a pixel is 0 or 100. On a grid
finer than the DEM (25 m, built for a region) a cell takes the value of the 100 m pixel
it lies in, 0 or 100: the DEM has nothing finer to say (see :func:`on_block`).

**Tiles.** HAND is computed tile by tile (:data:`TILE_KM` km squares, each read with a
:data:`HALO_KM` km halo and only its core kept), so peak memory stays near 1.5 GB at
100 m for all GB. The tiles form one national lattice from the DEM's north-west corner
(:func:`.hand.hand_by_tiles` on the national array); a block of any grid computes, or loads
from its cache, the tiles it touches (:class:`_Lattice`), so its cells equal the whole
grid's exactly, and a tile is computed once per machine (or cluster, with a shared
:func:`cache_dir`); a local build computes the tiles it needs first, on every core
(:func:`prepare`). A stream that enters a tile's halo from outside starts its
accumulation at the halo edge; after the halo's width it has far more than
:data:`STREAM_KM2` km² upstream, so the stream network of each core is the same as a
whole-GB run except for streams whose source lies within a few pixels of the halo edge.
The sea (outside the land polygons) is nodata, so it is the outlet of every coastal
catchment, as it should be; OS fills sea with flat negative values that would otherwise
form one giant flat.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pandas as pd

from .._errors import InputError
from ..cache import cache_dir, content_key, load_array, save_array
from ..catalog import SourceFiles
from ..criteria import theme_criteria
from ..grid import GridSpec, rasterize_mask
from .base import Built
from .hand import (
    DEM_RESOLUTION,
    HALO_KM,
    STREAM_KM2,
    TILE_KM,
    core_in_window,
    height_above_drainage,
    tile_slices,
)

CRITERIA = theme_criteria("flood")

#: Lowest ground at or below this height (m above Ordnance Datum) counts as low ground.
LOW_GROUND_M = 5.0
#: Ground within this height (m) above the stream it drains to counts as near drainage.
HAND_M = 2.0

_NODATA = -32768
_ABOVE_10M = 32767  # low-lying file: the minimum post is above 10.0 m


def share_within(flag: np.ndarray, land: np.ndarray, factor: int) -> np.ndarray:
    """Percentage of each ``factor`` x ``factor`` block's land pixels where ``flag`` holds.

    NaN where a block has no land pixel. ``flag`` and ``land`` are boolean arrays whose
    shape is a multiple of ``factor``.

    >>> f = np.array([[1, 1, 0, 0], [0, 0, 0, 0]], bool)
    >>> share_within(f, np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool), 2).tolist()
    [[50.0, 0.0]]
    """
    r, c = flag.shape
    if r % factor or c % factor:
        raise ValueError(f"array shape {flag.shape} is not a multiple of {factor}")
    blocks = (r // factor, factor, c // factor, factor)
    n_land = land.reshape(blocks).sum(axis=(1, 3))
    n_flag = (flag & land).reshape(blocks).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_land > 0, 100.0 * n_flag / n_land, np.nan).astype(np.float32)


def low_ground(lowest_dm: np.ndarray, *, limit_m: float = LOW_GROUND_M) -> np.ndarray:
    """Pixels whose lowest post (decimetres, the low-lying file's coding) is <= ``limit_m``.

    >>> low_ground(np.array([-32768, 32767, 50, 51, -20])).tolist()
    [False, False, True, False, True]
    """
    a = np.asarray(lowest_dm)
    return (a != _NODATA) & (a != _ABOVE_10M) & (a <= round(limit_m * 10))


def fz3_residents_by_area(table: pd.DataFrame, areas: pd.DataFrame) -> pd.Series:
    """Per-LSOA share (%) of residents in Flood Zone 3, indexed by area code.

    England and Wales LSOAs missing from the table have no OA centroid in FZ3: 0.
    Scottish Data Zones are left out (NaN on the grid): the table does not cover them.
    """
    need = {"lsoa11cd", "share_people_in_fz3"}
    if not need <= set(table.columns):
        raise ValueError(f"flood zone 3 table lacks columns {sorted(need - set(table.columns))}")
    ew = areas.loc[areas["nation"].isin(["E", "W"]), "code"]
    share = table.set_index("lsoa11cd")["share_people_in_fz3"].astype(float) * 100.0
    return share.reindex(ew.values).fillna(0.0)


def _pixels(grid: GridSpec) -> tuple[int, int]:
    """(DEM pixels per cell side, cells per DEM pixel side) of ``grid``; one of them is 1.

    A grid coarser than the DEM must be a whole multiple of it, and one finer a whole
    fraction (50, 25, 20 m ...); either must have its edges on the DEM's pixel edges
    (coarse) or on its own lattice from (0, 0) (fine), so that no cell straddles a pixel.
    """
    res = grid.resolution
    f = res / DEM_RESOLUTION
    coarse = f >= 1 and abs(f - round(f)) < 1e-9
    k = DEM_RESOLUTION / res
    fine = k > 1 and abs(k - round(k)) < 1e-9
    edge = DEM_RESOLUTION if coarse else res
    aligned = not (grid.bounds[0] % edge or grid.bounds[3] % edge)
    if not ((coarse or fine) and aligned):
        raise InputError(f"the flood proxies need a grid whose resolution is a whole multiple "
                         f"of {DEM_RESOLUTION:g} m aligned to the DEM, or a whole fraction "
                         f"of it (50 m, 25 m), got {res:g} m with bounds {grid.bounds}; "
                         f"build at 25 m, 100 m, 1 km or another multiple")
    return (round(f), 1) if coarse else (1, round(k))


def _factor(grid: GridSpec) -> int:
    """DEM pixels per cell side of ``grid`` (1 for a grid finer than the DEM)."""
    return _pixels(grid)[0]


def read(sources: SourceFiles, *, tile_km: float = TILE_KM, halo_km: float = HALO_KM,
         lattice: tuple[float, float, float, float] | None = None) -> dict:
    """The flood theme's features: where the rasters are, and the FZ3 residents table.

    The DEM and the low-lying raster are national 100 m GeoTIFFs; the features hold
    their **paths**, not their pixels, and :func:`on_block` reads the windows of its
    block. Workers on a cluster must therefore see the files at the same path (a shared
    folder), and should share :func:`cache_dir` (``$GROWTHZONES_CACHE``) so that a HAND
    tile is computed once.

    Parameters
    ----------
    sources
        The source folder.
    tile_km, halo_km
        Core and halo (km) of the HAND tiles.
    lattice
        Bounds (m) of the HAND tile lattice: tiles are counted from its north-west
        corner and halos stop at its edges. Default: the DEM's own bounds (all GB), so
        every block and the whole grid use the same tiles. A smaller lattice is for tests.

    Returns
    -------
    dict
        ``dem_path``, ``lowlying_path``, ``dem_key`` (:func:`content_key`), ``lattice``,
        ``tile_km``, ``halo_km`` and ``fz3`` (the table's two columns).
    """
    import rasterio

    dem_path = str(sources.path("os_terrain50_dem"))
    low_path = str(sources.path("os_terrain50_lowlying"))
    with rasterio.open(dem_path) as src:
        if src.res != (DEM_RESOLUTION, DEM_RESOLUTION):
            raise InputError(f"{dem_path} has {src.res[0]:g} m pixels; the flood proxies "
                             f"need the {DEM_RESOLUTION:g} m OS Terrain 50 DEM")
        bounds = tuple(float(b) for b in src.bounds)
    table = pd.read_csv(sources.path("flood_zone3_lsoa_ew"))
    need = ["lsoa11cd", "share_people_in_fz3"]
    return {"dem_path": dem_path, "lowlying_path": low_path, "dem_key": content_key(dem_path),
            "lattice": tuple(float(b) for b in (lattice or bounds)),
            "tile_km": float(tile_km), "halo_km": float(halo_km),
            "fz3": table[[c for c in need if c in table.columns]]}


#: Bump when the HAND method changes, so that cached tiles are not reused.
HAND_VERSION = 2


def _read_window(path, grid: GridSpec, fill: int = _NODATA) -> np.ndarray:
    """The pixels of a 100 m raster on ``grid`` (a 100 m grid on its pixel edges);
    ``fill`` outside the file."""
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(path) as src:
        win = from_bounds(*grid.bounds, src.transform).round_offsets().round_lengths()
        return src.read(1, window=win, boundless=True, fill_value=fill)


def _land(shapes, tree, grid: GridSpec) -> np.ndarray:
    """The land mask on ``grid``: cell centre in one of ``shapes`` (``tree`` indexes them)."""
    import shapely

    return rasterize_mask(shapes[np.sort(tree.query(shapely.box(*grid.bounds)))], grid)


#: One lock per HAND tile cache file, so a tile is computed once per process.
_TILE_LOCKS: dict[str, threading.Lock] = {}
_TILE_LOCKS_GUARD = threading.Lock()


class _Lattice:
    """The HAND tiles of one feature set: tile ``(i, j)`` is the core of lattice rows
    ``i*n .. (i+1)*n`` and columns ``j*n .. (j+1)*n`` (100 m pixels from the lattice's
    north-west corner), computed from the core plus ``h`` pixels of halo that stop at the
    lattice edges, as :func:`.hand.hand_by_tiles` does on the lattice's whole array."""

    def __init__(self, features: dict, shapes):
        import shapely

        self.f = features
        self.x0, _, _, self.y1 = features["lattice"]
        self.pixels = GridSpec(resolution=DEM_RESOLUTION, bounds=features["lattice"])
        self.n = round(features["tile_km"] * 1000 / DEM_RESOLUTION)
        self.h = round(features["halo_km"] * 1000 / DEM_RESOLUTION)
        self.shapes = np.asarray(shapes, dtype=object)
        self.tree = shapely.STRtree(self.shapes)

    def window_of(self, grid: GridSpec) -> tuple[int, int, int, int]:
        """Lattice rows ``r0:r1`` and columns ``c0:c1`` under ``grid`` (outward to whole
        100 m pixels when it is finer)."""
        d = DEM_RESOLUTION
        xmin, ymin, xmax, ymax = grid.bounds
        return (int(np.floor((self.y1 - ymax) / d + 1e-9)),
                int(np.ceil((self.y1 - ymin) / d - 1e-9)),
                int(np.floor((xmin - self.x0) / d + 1e-9)),
                int(np.ceil((xmax - self.x0) / d - 1e-9)))

    def grid(self, r0: int, r1: int, c0: int, c1: int) -> GridSpec:
        """The 100 m grid of lattice rows ``r0:r1`` and columns ``c0:c1``."""
        d = DEM_RESOLUTION
        return GridSpec(resolution=d, bounds=(self.x0 + d * c0, self.y1 - d * r1,
                                              self.x0 + d * c1, self.y1 - d * r0))

    def _entry(self, i: int, j: int):
        """Tile ``(i, j)``'s cache file, core and window (lattice slices), window grid and
        the polygons that meet the window (positions in ``shapes``)."""
        import hashlib

        import shapely

        core, window = tile_slices(i, j, self.n, self.h, self.pixels.shape)
        win = self.grid(window[0].start, window[0].stop, window[1].start, window[1].stop)
        idx = np.sort(self.tree.query(shapely.box(*win.bounds)))
        key = hashlib.sha256(
            f"{self.f['dem_key']}|{HAND_M}|{STREAM_KM2}|{self.n}|{self.h}|{HAND_VERSION}|"
            f"{self.f['lattice']}|{i}|{j}".encode())
        for wkb in shapely.to_wkb(self.shapes[idx]):
            key.update(wkb)
        return cache_dir() / f"hand_tile_{key.hexdigest()[:24]}.npy", core, window, win, idx

    def tile(self, i: int, j: int, *, log=None) -> np.ndarray:
        """``HAND <= HAND_M`` on tile ``(i, j)``'s core, from the cache when the inputs
        are unchanged.

        A 200 km tile takes 2 to 5 seconds, so its boolean result is kept (bit-packed,
        0.5 MB) in :func:`cache_dir`, keyed by the DEM's bytes (:func:`content_key`), the
        constants, :data:`HAND_VERSION`, the lattice, the tile and the polygons that meet
        its window (their WKB). Delete the folder to force a recomputation.
        """
        path, core, window, win, idx = self._entry(i, j)
        # Blocks of one tile meet it together on a threaded build: the first computes it,
        # the others wait and read its cache file.
        with _TILE_LOCKS_GUARD:
            lock = _TILE_LOCKS.setdefault(path.name, threading.Lock())
        with lock:
            shape = (core[0].stop - core[0].start, core[1].stop - core[1].start)
            packed = load_array(path)  # None if missing or damaged: recomputed
            if packed is not None:
                return np.unpackbits(packed, count=shape[0] * shape[1]).reshape(shape).astype(
                    bool)
            t = time.perf_counter()
            near = _near_drainage(self.f["dem_path"], self.shapes[idx], core, window, win)
            if log is not None:
                print(f"    HAND tile {i},{j}: {time.perf_counter() - t:.1f}s", file=log,
                      flush=True)
            save_array(path, np.packbits(near))  # a read-only home: goes on, uncached
            return near

    def compute(self, r0: int, r1: int, c0: int, c1: int, *, workers: int,
                log=None) -> int:
        """Compute the uncached tiles that lattice rows ``r0:r1`` and columns ``c0:c1``
        touch in ``workers`` processes at once, into the cache; how many it computed.

        pysheds' kernels hold the GIL, so threads (a threaded build's blocks) compute
        tiles one at a time; a national build's 21 tiles with land take ~80 s of one
        core. With fewer than two tiles to compute, one worker, or inside a process that may not
        start others (a daemon, e.g. a dask worker), nothing is done here and the tiles
        are computed when first read (:meth:`tile`), as they would be anyway if the
        processes fail to start.
        """
        import multiprocessing as mp

        from joblib import Parallel, delayed
        from joblib.externals.loky.process_executor import TerminatedWorkerError

        todo = []
        for i, j in self._tiles(r0, r1, c0, c1):
            path, core, window, win, idx = self._entry(i, j)
            if len(idx) and load_array(path) is None:
                todo.append((i, j, path, core, window, win, idx))
        if len(todo) < 2 or workers < 2 or mp.current_process().daemon:
            return 0
        n, done = min(workers, len(todo)), 0
        if log is not None:
            print(f"    HAND: {len(todo)} tiles to compute, {n} at a time", file=log, flush=True)
        t = time.perf_counter()
        try:
            # joblib's loky processes: unlike multiprocessing's spawn they do not run the
            # caller's script again (a script without a __main__ guard would build twice)
            for (i, j, path), near in Parallel(n_jobs=n, backend="loky",
                                               return_as="generator_unordered")(
                    delayed(_tagged)((i, j, path), self.f["dem_path"], self.shapes[idx], core,
                                     window, win)
                    for i, j, path, core, window, win, idx in todo):
                save_array(path, np.packbits(near))
                done += 1
                if log is not None:
                    print(f"    HAND tile {i},{j}: {done} of {len(todo)} after "
                          f"{time.perf_counter() - t:.1f}s", file=log, flush=True)
        except (TerminatedWorkerError, OSError) as exc:  # the rest are computed when read
            if log is not None:
                print(f"    HAND: processes failed ({exc}); the other tiles are computed "
                      f"one by one", file=log, flush=True)
        return done

    def _tiles(self, r0: int, r1: int, c0: int, c1: int):
        """The tiles ``(i, j)`` that lattice rows ``r0:r1`` and columns ``c0:c1`` touch."""
        H, W = self.pixels.shape
        ra, rb, ca, cb = max(r0, 0), min(r1, H), max(c0, 0), min(c1, W)
        if ra >= rb or ca >= cb:
            return []
        return [(i, j) for i in range(ra // self.n, (rb - 1) // self.n + 1)
                for j in range(ca // self.n, (cb - 1) // self.n + 1)]

    def near(self, r0: int, r1: int, c0: int, c1: int, *, log=None) -> np.ndarray:
        """``HAND <= HAND_M`` on lattice rows ``r0:r1`` and columns ``c0:c1`` (which may
        reach outside the lattice: False there), from the tiles they touch."""
        out = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        for i, j in self._tiles(r0, r1, c0, c1):
            t = self.tile(i, j, log=log)
            tr, tc = i * self.n, j * self.n
            ya, yb = max(r0, tr), min(r1, tr + t.shape[0])
            xa, xb = max(c0, tc), min(c1, tc + t.shape[1])
            out[ya - r0:yb - r0, xa - c0:xb - c0] = t[ya - tr:yb - tr, xa - tc:xb - tc]
        return out


def _tagged(tag, *args):
    """``(tag, _near_drainage(*args))``: a job of :meth:`_Lattice.compute`, which gets
    the results in the order they finish."""
    return tag, _near_drainage(*args)


def _near_drainage(dem_path: str, shapes, core: tuple[slice, slice],
                   window: tuple[slice, slice], win: GridSpec) -> np.ndarray:
    """``HAND <= HAND_M`` on a tile's ``core``, from the DEM on its ``window`` (grid
    ``win``) masked to ``shapes`` (the land polygons that meet it). Module-level and of
    plain arguments, so that :meth:`_Lattice.compute` can run it in another process."""
    shape = (core[0].stop - core[0].start, core[1].stop - core[1].start)
    near = np.zeros(shape, dtype=bool)
    if len(shapes):
        land = rasterize_mask(shapes, win)
        dem = _read_window(dem_path, win).astype(np.float32)
        dem[(dem == _NODATA) | ~land] = np.nan
        inner = core_in_window(core, window)
        if not np.isnan(dem[inner]).all():
            hand = height_above_drainage(dem)[inner]
            near = np.isfinite(hand) & (hand <= HAND_M)
    return near


def on_block(features: dict, base) -> dict[str, np.ndarray]:
    """The two terrain proxies and the FZ3 residents share on ``base.grid`` (one block).

    Reads the DEM and low-lying windows of the block (paths in ``features``: the files
    must be on a path every worker sees) and the HAND tiles of the lattice the block
    touches (:class:`_Lattice`, cached per tile), so that a cell's value is the same in
    any block and in the whole grid. The 100 m land mask is ``base.shapes`` rasterised
    on the block's window.

    **Resolution.** At 100 m and coarser a cell is the share (0-100 %) of its 100 m land
    pixels that meet the threshold, NaN where it has none. Finer than the DEM (a 25 m
    region build) a cell takes the value of the 100 m pixel it lies in, 0 or 100: the
    DEM says nothing finer. A pixel whose centre is at sea has no HAND (the sea is the
    outlet), so a land cell in it reads 0 for ``flood_proxy_hand_pct``; its low ground
    is its own lowest post, land or not.
    """
    return _on_block(features, base)


def _on_block(features: dict, base, *, log=None) -> dict[str, np.ndarray]:
    grid = base.grid
    factor, split = _pixels(grid)
    if base.shapes is None:
        raise InputError("the flood proxies need the small-area polygons on the base "
                         "(base.shapes); make the base with build_base(read_small_areas(...), "
                         "grid)")
    lat = _Lattice(features, base.shapes)
    r0, r1, c0, c1 = lat.window_of(grid)
    xmin, _, _, ymax = grid.bounds
    fine = lat.grid(r0, r1, c0, c1)
    low = low_ground(_read_window(features["lowlying_path"], fine))
    near = lat.near(r0, r1, c0, c1, log=log)
    if split == 1:
        land100 = _land(lat.shapes, lat.tree, fine)
        low_pct = share_within(low, land100, factor)
        near_pct = share_within(near, land100, factor)
    else:
        oy = round((ymax - fine.bounds[3]) / -grid.resolution)
        ox = round((xmin - fine.bounds[0]) / grid.resolution)
        rows, cols = grid.shape

        def up(flag):
            a = np.repeat(np.repeat(flag, split, axis=0), split, axis=1)
            return (100.0 * a[oy:oy + rows, ox:ox + cols]).astype(np.float32)
        low_pct, near_pct = up(low), up(near)
    off = ~base.land
    low_pct[off] = np.nan
    near_pct[off] = np.nan
    return {
        "flood_proxy_low_ground_pct": low_pct,
        "flood_proxy_hand_pct": near_pct,
        "flood_zone3_residents_pct": base.map_values(
            fz3_residents_by_area(features["fz3"], base.areas)),
    }


def prepare(features: dict, grid: GridSpec, shapes, *, workers: int, log=None) -> int:
    """Before a build's blocks: compute the HAND tiles ``grid`` touches that are not
    cached, ``workers`` at a time in processes (:meth:`_Lattice.compute`); how many.
    ``shapes``: the national land polygons (``base.shapes``). The blocks then read them
    from the cache; without this step each is computed when a block first needs it."""
    lat = _Lattice(features, shapes)
    return lat.compute(*lat.window_of(grid), workers=workers, log=log)


def counts(features: dict, tallies: dict | None = None) -> dict[str, dict]:
    """The figures the flood coverage texts quote (from the FZ3 table)."""
    t = features["fz3"]
    return {"flood_zone3_residents_pct": {"lsoas_in_table": int(t["lsoa11cd"].nunique())}}


def build(sources: SourceFiles, grid: GridSpec, base, *, log=None) -> Built:
    """The two terrain proxies and the FZ3 residents share on the whole of ``grid``."""
    f = read(sources)
    prepare(f, grid, base.shapes, workers=os.cpu_count() or 1, log=log)
    out = _on_block(f, base, log=log)
    tallies = {k: out.pop(k) for k in [k for k in out if k.startswith("_")]}
    return Built(out, counts(f, tallies))
