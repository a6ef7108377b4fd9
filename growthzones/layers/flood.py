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
    ``pysheds`` (fill pits and depressions, resolve flats, D8 flow directions,
    accumulation, streams = at least :data:`STREAM_KM2` km² upstream, HAND). It finds
    river flood plains, and also flat clay vales and plateaux that never flood.
``flood_zone3_residents_pct``
    Share of the LSOA's residents living in Flood Zone 3 (British Red Cross from the EA
    and NRW zones, 2020): where people live, not land, and England and Wales only.

**Aggregation.** Both proxies are computed on the 100 m DEM grid, whatever the build
resolution, and put on a coarser grid as the share (0-100 %) of the cell's 100 m land
pixels (land: the centre lies in an LSOA or Data Zone polygon) that meet the threshold.
A share keeps a 1 km cell with a 30 ha riverside strip apart from one that is all marsh,
which a minimum or a majority rule would not. At 100 m a pixel is 0 or 100.

**Tiles.** HAND is computed tile by tile (:data:`TILE_KM` km squares, each read with a
:data:`HALO_KM` km halo and only its core kept), so peak memory stays near 1.5 GB at
100 m for all GB. A stream that enters a tile's halo from outside starts its
accumulation at the halo edge; after the halo's width it has far more than
:data:`STREAM_KM2` km² upstream, so the stream network of each core is the same as a
whole-GB run except for streams whose source lies within a few pixels of the halo edge.
The sea (outside the land polygons) is nodata, so it is the outlet of every coastal
catchment, as it should be; OS fills sea with flat negative values that would otherwise
form one giant flat.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..criteria import theme_criteria
from ..grid import GridSpec, rasterize_mask

CRITERIA = theme_criteria("flood")

#: Lowest ground at or below this height (m above Ordnance Datum) counts as low ground.
LOW_GROUND_M = 5.0
#: Ground within this height (m) above the stream it drains to counts as near drainage.
HAND_M = 2.0
#: Upstream area (km²) from which a cell is a stream for HAND.
STREAM_KM2 = 5.0
#: Core size and halo (km) of the HAND tiles.
TILE_KM = 200.0
HALO_KM = 15.0
#: Resolution (m) of the DEM and of both proxies.
DEM_RESOLUTION = 100.0

_NODATA = -32768
_ABOVE_10M = 32767  # low-lying file: the minimum post is above 10.0 m


def _in1d(ar1, ar2, assume_unique=False, invert=False):
    return np.isin(np.ravel(ar1), ar2, assume_unique=assume_unique, invert=invert)


def height_above_drainage(dem: np.ndarray, *, cell_m: float = DEM_RESOLUTION,
                          stream_km2: float = STREAM_KM2,
                          outlet_m: float | None = 0.0) -> np.ndarray:
    """Height (m) of each cell above the stream cell it drains to, with ``pysheds``.

    Parameters
    ----------
    dem
        2-D heights in metres; NaN is nodata (sea, outside the survey), and an outlet.
    cell_m
        Cell size in metres.
    stream_km2
        Upstream area (km²) at which a cell is a stream.
    outlet_m
        Height of the nodata outlet. A cell whose flow path leaves through nodata (the
        sea, when the sea is masked) without meeting a stream drains to the sea itself,
        so its HAND is its height above ``outlet_m`` (0: mean sea level, about Ordnance
        Datum). None leaves those cells NaN, as pysheds does.

    Returns
    -------
    numpy.ndarray
        float32, NaN where ``dem`` is NaN (and, with ``outlet_m=None``, where the flow
        path never meets a stream).
    """
    from affine import Affine
    from pysheds.grid import Grid
    from pysheds.sview import Raster, ViewFinder

    if not hasattr(np, "in1d"):  # pysheds 0.5 still calls np.in1d, removed in NumPy 2.4
        np.in1d = _in1d
    dem = np.asarray(dem, dtype=np.float64)
    if dem.ndim != 2:
        raise ValueError(f"dem must be 2-D, got shape {dem.shape}")
    nodata = np.isnan(dem)
    if nodata.all():
        return np.full(dem.shape, np.nan, dtype=np.float32)
    work = np.where(nodata, -9999.0, dem)
    vf = ViewFinder(affine=Affine(cell_m, 0, 0, 0, -cell_m, dem.shape[0] * cell_m),
                    shape=dem.shape, nodata=np.float64(-9999.0))
    r = Raster(work, viewfinder=vf)
    g = Grid(viewfinder=vf)
    filled = g.resolve_flats(g.fill_depressions(g.fill_pits(r)))
    fdir = g.flowdir(filled, nodata_out=np.int64(0))
    acc = g.accumulation(fdir, nodata_out=np.float64(0))
    streams = acc >= stream_km2 / (cell_m / 1000.0) ** 2  # a Raster, as pysheds needs
    hand = np.asarray(g.compute_hand(fdir, r, streams, nodata_out=np.float64(np.nan)),
                      dtype=np.float32)
    if outlet_m is not None:
        to_sea = np.isnan(hand) & ~nodata
        hand[to_sea] = np.maximum(dem[to_sea] - outlet_m, 0.0)
    hand[nodata] = np.nan
    return hand


def hand_by_tiles(dem: np.ndarray, *, cell_m: float = DEM_RESOLUTION,
                  tile_km: float = TILE_KM, halo_km: float = HALO_KM,
                  stream_km2: float = STREAM_KM2, log=None) -> np.ndarray:
    """:func:`height_above_drainage` over a large DEM, tile by tile with a halo.

    Each core of ``tile_km`` km is computed from the core plus ``halo_km`` km on every
    side, and only the core is kept. Tiles with no data are skipped.
    """
    import time

    dem = np.asarray(dem)
    n = round(tile_km * 1000 / cell_m)
    h = round(halo_km * 1000 / cell_m)
    out = np.full(dem.shape, np.nan, dtype=np.float32)
    rows, cols = dem.shape
    for r0 in range(0, rows, n):
        for c0 in range(0, cols, n):
            core = dem[r0:r0 + n, c0:c0 + n]
            if np.isnan(core).all():
                continue
            t = time.perf_counter()
            a0, b0 = max(r0 - h, 0), max(c0 - h, 0)
            win = dem[a0:min(r0 + n + h, rows), b0:min(c0 + n + h, cols)]
            hand = height_above_drainage(win, cell_m=cell_m, stream_km2=stream_km2)
            out[r0:r0 + n, c0:c0 + n] = hand[r0 - a0:r0 - a0 + core.shape[0],
                                             c0 - b0:c0 - b0 + core.shape[1]]
            if log is not None:
                print(f"    HAND tile row {r0} col {c0}: {time.perf_counter() - t:.1f}s",
                      file=log, flush=True)
    return out


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


def read_land_100m(sources: SourceFiles, grid: GridSpec | None = None) -> np.ndarray:
    """Land at 100 m: pixel centre inside an LSOA or Data Zone polygon."""
    from .base import read_small_areas

    grid = grid or GridSpec(resolution=DEM_RESOLUTION)
    return rasterize_mask(read_small_areas(sources).geometry.values, grid)


def _factor(grid: GridSpec) -> int:
    f = grid.resolution / DEM_RESOLUTION
    if f < 1 or abs(f - round(f)) > 1e-9 or grid.bounds[0] % DEM_RESOLUTION \
            or grid.bounds[3] % DEM_RESOLUTION:
        raise ValueError(f"the flood proxies need a grid whose resolution is a whole multiple "
                         f"of {DEM_RESOLUTION:g} m aligned to the DEM, got "
                         f"{grid.resolution:g} m; build at 100 m, 1 km or another multiple")
    return round(f)


def _window(grid: GridSpec):
    from rasterio.windows import from_bounds

    xmin, ymin, xmax, ymax = grid.bounds
    return from_bounds(xmin, ymin, xmax, ymax,
                       GridSpec(resolution=DEM_RESOLUTION).transform).round_offsets() \
        .round_lengths()


#: Bump when the HAND method changes, so that cached results are not reused.
HAND_VERSION = 1


def cache_dir() -> Path:
    """``$GROWTHZONES_CACHE`` if set, else ``~/.cache/growthzones``."""
    env = os.environ.get("GROWTHZONES_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "growthzones"


def near_drainage_cached(dem: np.ndarray, land: np.ndarray, dem_path, *, log=None
                         ) -> np.ndarray:
    """``HAND <= HAND_M`` on the DEM pixels, from the cache when the inputs are unchanged.

    HAND for all GB takes about 20 minutes on two cores, so the boolean result is kept
    (bit-packed, about 11 MB) in :func:`cache_dir`, keyed by a hash of the DEM file's
    name, size and modification time, the land mask, the constants and
    :data:`HAND_VERSION`. Delete the folder to force a recomputation.
    """
    import hashlib

    st = Path(dem_path).stat()
    h = hashlib.sha256(f"{Path(dem_path).name}|{st.st_size}|{st.st_mtime_ns}|{HAND_M}|"
                       f"{STREAM_KM2}|{TILE_KM}|{HALO_KM}|{HAND_VERSION}|{dem.shape}".encode())
    h.update(np.packbits(land).tobytes())
    path = cache_dir() / f"near_drainage_{h.hexdigest()[:20]}.npy"
    if path.exists():
        try:
            return np.unpackbits(np.load(path), count=dem.size).reshape(dem.shape).astype(bool)
        except (OSError, ValueError):
            pass  # a damaged cache file is recomputed
    hand = hand_by_tiles(dem, log=log)
    near = np.isfinite(hand) & (hand <= HAND_M)
    del hand
    try:
        from ..io import atomic_path

        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.save(f, np.packbits(near))
    except OSError:
        pass  # a read-only home: the build still succeeds, uncached
    return near


def build(sources: SourceFiles, grid: GridSpec, base, *, log=None) -> dict[str, np.ndarray]:
    """The two terrain proxies and the FZ3 residents share on ``grid``."""
    import rasterio

    factor = _factor(grid)
    fine = GridSpec(resolution=DEM_RESOLUTION, bounds=grid.bounds)
    land100 = read_land_100m(sources, fine)
    win = _window(grid)
    with rasterio.open(sources.path("os_terrain50_lowlying")) as src:
        low = low_ground(src.read(1, window=win, boundless=True, fill_value=_NODATA))
    with rasterio.open(sources.path("os_terrain50_dem")) as src:
        dem = src.read(1, window=win, boundless=True, fill_value=_NODATA).astype(np.float32)
    dem[(dem == _NODATA) | ~land100] = np.nan
    near = near_drainage_cached(dem, land100, sources.path("os_terrain50_dem"), log=log)
    del dem
    table = pd.read_csv(sources.path("flood_zone3_lsoa_ew"))
    return {
        "flood_proxy_low_ground_pct": share_within(low, land100, factor),
        "flood_proxy_hand_pct": share_within(near, land100, factor),
        "flood_zone3_residents_pct": base.map_values(fz3_residents_by_area(table, base.areas)),
    }
