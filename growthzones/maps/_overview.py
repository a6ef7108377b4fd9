"""A map of a big grid drawn from the store's overviews, not from the full grid.

A map's overlay has at most :data:`~growthzones.maps.raster.MAX_OVERLAY_PX` pixels on
its long side, so a map of GB shows no more than ~500 m of ground a pixel. Drawing it
from the full 100 m grid read every criterion raster whole (350 MB each) and computed
every criterion's contribution nationally for the click-to-identify data: 8.6 GB and
2 min 45 s for ``run --store gb_100m``, mostly the map. :func:`map_view` gives instead a
stand-in for the result on the coarser grid of the store's overviews (x2, x4, ...,
written by :func:`growthzones.blocks.build_overviews`) whose cells are as large as a map
pixel can show, and :func:`~growthzones.maps.render_map` draws that:

- each criterion and exclusion layer is the file's internal average overview
  (:meth:`growthzones.store.LayerStore.overview`; averaged here where a file has none);
- the score is the mean over a block's not-excluded land cells; "excluded", each
  exclusion's cells and the cells an exception let through are the share of the block's
  land cells, drawn where it is at least half;
- the click-to-identify data are per block the means of the cells' values,
  contributions computed a chunk of cells at a time (never a national vector);
- a block is land where any of its cells is.

The sites, their high-score regions, ``ranking.csv`` and ``score.tif`` stay at the full
resolution; only the drawing is coarser, and the map's legend says at what resolution.
A grid the map can show whole (GB at 1 km, a region at 100 m) is drawn as it is.

GDAL makes an overview of a grid whose side is not a multiple of the factor with
``ceil(n / factor)`` pixels spanning the same extent, so its pixels are slightly
narrower than ``factor`` cells; the coarse grid here takes them as exactly ``factor``
cells, which moves the far edge by less than one coarse cell.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping

import numpy as np

#: Land cells aggregated at a time (bounded memory: a few arrays of this length).
CHUNK_CELLS = 1 << 21
#: One coarse grid made at a time (:func:`map_view`).
_BLOCKS_LOCK = threading.Lock()


def overview_factor(grid) -> int:
    """The smallest power of two ``f`` such that cells of ``f`` times ``grid``'s size are
    at least as large as a pixel of the map's overlays (1: draw the grid as it is).

    At least a pixel, not at most: the click-to-identify data and the lazily drawn
    surfaces grow with the cells drawn, and the page must stay under ~10 MB. GB at 100 m
    (a pixel shows ~520 m) is drawn at 800 m, about as many land cells as GB at 1 km.
    """
    from .raster import _MercatorWarp

    ground = _MercatorWarp(grid).ground_pixel_m
    f = 1
    while f * grid.resolution < ground * (1 - 1e-6):
        f *= 2
    return f


def map_view(result, factor: int | None = None):
    """``result`` as :func:`~growthzones.maps.render_map` should draw it: itself when the
    map can show its grid whole, else an :class:`OverviewResult` on the coarser grid of
    :func:`overview_factor` (or ``factor``)."""
    if isinstance(result, OverviewResult) or not hasattr(result, "store"):
        return result
    f = overview_factor(result.grid) if factor is None else int(factor)
    if f < 2 or not hasattr(result.store, "overview"):
        return result
    # one coarse grid per store and factor (its block of each cell is 92 MB at GB 100 m),
    # so that results drawn apart (the other network years, drawn_score) share it
    with _BLOCKS_LOCK:  # run draws its other years in a thread while the map starts
        made = result.store.__dict__.setdefault("_map_blocks", {})
        if f not in made:
            made[f] = _Blocks(result.store, f)
    return OverviewResult(result, made[f])


def drawn_score(view: OverviewResult, ranked_at) -> OverviewResult:
    """What the map of ``view`` (:func:`map_view` of a result) draws of the same scenario
    scored otherwise, e.g. on another network year: its score on ``view``'s coarse grid,
    the block means of ``ranked_at(positions)`` (its ``ranked`` at those land cells, asked
    for a chunk of cells at a time), made now without any full vector of it (0.3 GB at
    GB 100 m). :func:`~growthzones.maps.render_map` takes it in place of that result."""
    drawn = OverviewResult(view.full, view.blocks)
    drawn._cache["ranked"] = view.blocks.mean(at=ranked_at)
    drawn.full = None  # only its score surface is drawn
    return drawn


class _Blocks:
    """The coarse grid of ``factor`` x ``factor`` blocks of a store's grid and the block of
    each land cell, with chunked block means of land vectors."""

    def __init__(self, store, factor: int):
        from ..grid import GridSpec

        self.store, self.factor = store, factor
        grid = store.grid
        h2, w2 = -(-grid.height // factor), -(-grid.width // factor)
        res = grid.resolution * factor
        x0, y1 = grid.bounds[0], grid.bounds[3]
        self.grid = GridSpec(resolution=res, bounds=(x0, y1 - h2 * res, x0 + w2 * res, y1),
                             crs=grid.crs)
        counts = np.zeros(h2 * w2, dtype=np.int64)
        for sl in self._chunks():
            counts += np.bincount(self._flat(sl), minlength=h2 * w2)
        self.counts = counts  # land cells per block
        self.land = (counts > 0).reshape(h2, w2)
        self.land_index = np.flatnonzero(counts)
        #: coarse land position of each fine land cell (int32: 4 bytes a land cell)
        self.block_of = np.empty(len(store.land_index), dtype=np.int32)
        where = np.full(h2 * w2, -1, dtype=np.int64)
        where[self.land_index] = np.arange(len(self.land_index))
        for sl in self._chunks():
            self.block_of[sl] = where[self._flat(sl)]
        self.cells = counts[self.land_index]

    def _chunks(self):
        n = len(self.store.land_index)
        return [slice(a, min(a + CHUNK_CELLS, n)) for a in range(0, n, CHUNK_CELLS)]

    def _flat(self, sl: slice) -> np.ndarray:
        rows, cols = np.divmod(self.store.land_index[sl], self.store.grid.width)
        return (rows // self.factor) * self.grid.width + cols // self.factor

    def mean(self, values=None, *, at=None) -> np.ndarray:
        """Per block (coarse land vector, float32) the mean of the finite values of its
        land cells, NaN where none. ``values``: a land vector; or ``at(positions)`` gives
        the values of those land cells (computed a chunk at a time)."""
        m = len(self.land_index)
        total = np.zeros(m, dtype=np.float64)
        count = np.zeros(m, dtype=np.float64)
        for sl in self._chunks():
            v = (np.asarray(values[sl]) if at is None
                 else np.asarray(at(np.arange(sl.start, sl.stop))))
            ok = np.isfinite(v)
            b = self.block_of[sl][ok]
            total += np.bincount(b, weights=v[ok], minlength=m)
            count += np.bincount(b, minlength=m)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / count, np.nan).astype(np.float32)

    def share(self, flags) -> np.ndarray:
        """Per block the share of its land cells where ``flags`` (a land vector) is true."""
        m = len(self.land_index)
        hits = np.zeros(m, dtype=np.float64)
        for sl in self._chunks():
            f = np.asarray(flags[sl], dtype=bool)
            hits += np.bincount(self.block_of[sl][f], minlength=m)
        return (hits / self.cells).astype(np.float32)

    def majority(self, flags) -> np.ndarray:
        """True where at least half of a block's land cells are flagged."""
        return self.share(flags) >= 0.5

    def coarse_store(self):
        """The store on the coarse grid: criteria and exclusions from the overviews."""
        from dataclasses import replace

        store, f = self.store, self.factor
        la = store.la_index[f // 2::f, f // 2::f]  # the council of each block's middle cell
        la_index = np.zeros(self.grid.shape, dtype=la.dtype)
        la_index[:la.shape[0], :la.shape[1]] = la
        land_index = self.land_index

        def reader(name):
            return store.overview(name, f).ravel()[land_index]

        view = replace(store, grid=self.grid, land=self.land, la_index=la_index,
                       layers=_OverviewRasters(store, f), reader=reader, _vectors={})
        view._vectors["_land"] = land_index
        view.__dict__["_overview_of"] = store
        return view


class _OverviewRasters(Mapping):
    """A store's layers as 2-D overviews of one factor, read on access, not kept."""

    def __init__(self, store, factor: int):
        self._store, self._factor = store, factor

    def __getitem__(self, name):
        if name not in self._store.layers:
            raise KeyError(name)
        return self._store.overview(name, self._factor)

    def __iter__(self):
        return iter(self._store.layers)

    def __len__(self):
        return len(self._store.layers)

    def __contains__(self, name):
        return name in self._store.layers


class _BlockMeans(Mapping):
    """Per criterion the block means of a result's lazy vectors (e.g. contributions),
    computed on first access from the cells a chunk at a time and kept (coarse: small)."""

    def __init__(self, vectors, blocks: _Blocks):
        self._vectors, self._blocks, self._done = vectors, blocks, {}

    def __getitem__(self, name):
        if name not in self._done:
            vec = self._vectors
            at = (lambda pos: vec.at(name, pos)) if hasattr(vec, "at") else None
            self._done[name] = (self._blocks.mean(at=at) if at is not None
                                else self._blocks.mean(vec[name]))
        return self._done[name]

    def __iter__(self):
        return iter(self._vectors)

    def __len__(self):
        return len(self._vectors)


class OverviewResult:
    """A scoring result seen on the coarse grid of a store's overviews (see the module
    docstring): what :func:`~growthzones.maps.render_map` reads of a result, each a block
    aggregate computed on first use. ``full`` is the result itself (its sites and regions
    stay at the full resolution)."""

    def __init__(self, full, blocks: _Blocks):
        self.full, self.blocks = full, blocks
        self.store = blocks.coarse_store()
        self.scenario, self.weights = full.scenario, full.weights
        self.method = getattr(full, "method", "wlc")
        self.reasons = dict(getattr(full, "reasons", {}))
        self.contributions = _BlockMeans(full.contributions, blocks)
        self._cache: dict = {}

    @property
    def grid(self):
        return self.blocks.grid

    @property
    def factor(self) -> int:
        return self.blocks.factor

    @property
    def map_note(self) -> str:
        """The legend's line on what the map shows (plain text)."""
        fine, coarse = self.full.grid.resolution, self.grid.resolution
        return (f"Map drawn at {_metres(coarse)} from the overviews of the store: each "
                f"pixel is the mean of its {self.factor} x {self.factor} cells of "
                f"{_metres(fine)} "
                f"(click values too). Sites, ranking.csv and score.tif are at "
                f"{_metres(fine)}.")

    def _get(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def ranked(self) -> np.ndarray:
        return self._get("ranked", lambda: self.blocks.mean(self.full.ranked))

    @property
    def score(self) -> np.ndarray:
        return self._get("score", lambda: self.blocks.mean(self.full.score))

    @property
    def excluded(self) -> np.ndarray:
        return self._get("excluded", lambda: self.blocks.share(self.full.excluded) >= 0.5)

    @property
    def excluded_by(self) -> dict[str, np.ndarray]:
        return self._get("excluded_by", lambda: {
            k: self.blocks.majority(v) for k, v in self.full.excluded_by.items()})

    @property
    def allowed_by(self) -> dict[str, np.ndarray]:
        return self._get("allowed_by", lambda: {
            k: self.blocks.majority(v)
            for k, v in getattr(self.full, "allowed_by", {}).items()})

    def surface(self, what: str = "score") -> np.ndarray:
        """A 2-D array on the coarse grid, NaN off land: ``"score"`` (block means of the
        not-excluded cells) or ``"excluded"`` (share of the block's cells excluded)."""
        if what == "score":
            v = self.ranked
        elif what == "excluded":
            v = self._get("excluded_share", lambda: self.blocks.share(self.full.excluded))
        else:
            raise KeyError(f"no overview surface {what!r}; use 'score' or 'excluded'")
        return self.store.unflatten(v)

    def like(self, other) -> OverviewResult:
        """Another result on the same store (e.g. another network year) on this grid
        (``other`` itself if it is already, e.g. from :func:`drawn_score`)."""
        if isinstance(other, OverviewResult) and other.blocks is self.blocks:
            return other
        return OverviewResult(other, self.blocks)


def _metres(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 and math.isclose(m % 1000, 0) else f"{m:g} m"
