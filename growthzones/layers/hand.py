"""Height above nearest drainage (HAND) of a DEM, with ``pysheds``: the terrain half of
the flood proxy ``flood_proxy_hand_pct`` (:mod:`growthzones.layers.flood`).

Pits filled, depressions filled (by :mod:`.depressions`, as pysheds does, 5x faster),
flats resolved, D8 flow directions, accumulation, streams where at least
:data:`STREAM_KM2` km² drain, then each cell's height above the stream cell it drains to.
A large DEM is done tile by tile with a halo (:func:`hand_by_tiles`).
"""

from __future__ import annotations

import threading

import numpy as np

#: Upstream area (km²) from which a cell is a stream for HAND.
STREAM_KM2 = 5.0
#: Core size and halo (km) of the HAND tiles.
TILE_KM = 200.0
HALO_KM = 15.0
#: Resolution (m) of the DEM and of both flood proxies.
DEM_RESOLUTION = 100.0


def _in1d(ar1, ar2, assume_unique=False, invert=False):
    return np.isin(np.ravel(ar1), ar2, assume_unique=assume_unique, invert=invert)


#: One pysheds computation at a time per process (see :func:`height_above_drainage`).
_PYSHEDS_LOCK = threading.Lock()


def import_pysheds():
    """pysheds' ``Grid``, ``Raster`` and ``ViewFinder``, its numba kernels compiled when
    first called rather than when imported.

    pysheds declares a signature for each of the 83 kernels of ``pysheds._sgrid``, so
    numba compiles every one of them as the module is imported: 35-50 s on a fresh
    install (once; numba caches them), before the first HAND, which calls a dozen. Here
    ``numba.njit`` drops those signatures while that module is imported, so numba
    compiles just the kernels called, for the types they are called with (the float64
    and int64 arrays and scalars :func:`height_above_drainage` passes, which are the
    declared ones): ~20 s fresh, ~1 s from the cache, and the same HAND. If pysheds is
    already imported, nothing is changed.
    """
    import sys

    with _PYSHEDS_LOCK:
        if "pysheds._sgrid" not in sys.modules:
            import numba

            eager = numba.njit

            def lazy(*args, **kwargs):
                if args and not callable(args[0]):  # @njit(signature, ...): no signature
                    args = args[1:]
                return eager(*args, **kwargs)

            numba.njit = lazy
            try:
                import pysheds._sgrid  # noqa: F401  (it binds njit as it is imported)
            finally:
                numba.njit = eager
        from pysheds.grid import Grid
        from pysheds.sview import Raster, ViewFinder
    return Grid, Raster, ViewFinder


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

    from .depressions import fill_depressions

    Grid, Raster, ViewFinder = import_pysheds()

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
    # numba compiles pysheds' kernels on first call, and its compiler is not thread-safe:
    # two blocks of a threaded build meeting an uncached tile at once failed with a
    # KeyError inside numba. The kernels run in parallel themselves, so nothing is lost.
    with _PYSHEDS_LOCK:
        r = Raster(work, viewfinder=vf)
        g = Grid(viewfinder=vf)
        # depressions filled as pysheds' fill_depressions does, 5x faster (.depressions)
        pits = np.asarray(g.fill_pits(r), dtype=np.float64)
        filled = g.resolve_flats(Raster(fill_depressions(pits, nodata), viewfinder=vf))
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
    for i in range(-(-dem.shape[0] // n)):
        for j in range(-(-dem.shape[1] // n)):
            core, win = tile_slices(i, j, n, h, dem.shape)
            if np.isnan(dem[core]).all():
                continue
            t = time.perf_counter()
            hand = height_above_drainage(dem[win], cell_m=cell_m, stream_km2=stream_km2)
            out[core] = hand[core_in_window(core, win)]
            if log is not None:
                print(f"    HAND tile {i},{j}: {time.perf_counter() - t:.1f}s",
                      file=log, flush=True)
    return out


def tile_slices(i: int, j: int, n: int, h: int, shape: tuple[int, int]
                ) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Core and window (core plus ``h`` of halo, stopping at the array's edges) of tile
    ``(i, j)`` of ``n`` x ``n`` pixels in an array of ``shape``."""
    rows, cols = shape
    r0, c0 = i * n, j * n
    r1, c1 = min(r0 + n, rows), min(c0 + n, cols)
    return ((slice(r0, r1), slice(c0, c1)),
            (slice(max(r0 - h, 0), min(r1 + h, rows)), slice(max(c0 - h, 0), min(c1 + h, cols))))


def core_in_window(core: tuple[slice, slice], win: tuple[slice, slice]
                   ) -> tuple[slice, slice]:
    """The core's slices within its window (a :func:`tile_slices` pair)."""
    return tuple(slice(c.start - w.start, c.stop - w.start) for c, w in zip(core, win))
