"""Polygons scored as polygons: area-weighted zonal statistics over the land cells.

The share of each grid cell a polygon covers comes from ``exactextract`` (exact
coverage fractions, run on an in-memory raster window of the store grid;
:func:`cell_coverage`); the statistics are then weighted sums over the flat land vectors
of a :class:`~growthzones.ScoreResult` (:func:`zonal_stats`), so every criterion costs one
gather, whatever the resolution. A point is the same computation with weight 1 on its
cell, so points and polygons share one table.

Rules (decided here, reported in the columns):

- only land cells count; ``land_ha`` is the covered land, ``area_ha`` the polygon's area;
- ``score`` (and ``score_min``/``score_max``) is over the covered land that is not
  excluded and has a score; ``score_before_exclusions`` over all covered land with a score;
- ``share_excluded`` is the excluded share of the covered land; the site counts as
  excluded (``excluded_by`` filled, no rank) only when all of it is excluded, and
  ``partly_excluded_by`` names each exclusion covering part of it with its share;
- a criterion's ``_raw`` mean, ``_raw_min``, ``_raw_max`` are over covered land with data
  (``_share_with_data`` is that land's share); ``_value`` and ``_contrib`` over the same
  land as ``score`` (else, when all is excluded, as ``score_before_exclusions``), a
  contribution with no data counting 0, so the ``_contrib`` means add up to that score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ranking import _join_flags as _join
from ..scoring import ScoreResult


def cell_coverage(geoms, grid) -> list[tuple[np.ndarray, np.ndarray]]:
    """Flat grid indices and covered fractions (0-1] of the cells under each polygon.

    Parameters
    ----------
    geoms
        Polygons (shapely or a GeoSeries) in the grid's CRS (EPSG:27700 metres).
    grid
        The :class:`~growthzones.grid.GridSpec`.

    Returns
    -------
    list of (flat, fraction)
        Per polygon, ``row * grid.width + col`` of each cell it touches (int64) and the
        share of that cell it covers, as computed by ``exactextract``.
    """
    import geopandas as gpd
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    geoms = gpd.GeoSeries(list(geoms), crs=grid.crs)
    out: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, np.int64), np.zeros(0))
                                                 for _ in range(len(geoms))]
    res = grid.resolution
    x0, _, _, y1 = grid.bounds
    b = geoms.bounds.to_numpy()
    keep = np.isfinite(b).all(axis=1)
    if not keep.any():
        return out
    # one raster window over all the polygons, snapped to the grid and clipped to it
    c0 = int(max(np.floor((b[keep, 0].min() - x0) / res), 0))
    c1 = int(min(np.ceil((b[keep, 2].max() - x0) / res), grid.width))
    r0 = int(max(np.floor((y1 - b[keep, 3].max()) / res), 0))
    r1 = int(min(np.ceil((y1 - b[keep, 1].min()) / res), grid.height))
    if c1 <= c0 or r1 <= r0:
        return out
    win = np.zeros((r1 - r0, c1 - c0), dtype=np.float32)
    src = NumPyRasterSource(win, x0 + c0 * res, y1 - r1 * res, x0 + c1 * res, y1 - r0 * res,
                            srs_wkt=None)
    feats = gpd.GeoDataFrame({"i": np.flatnonzero(keep)}, geometry=geoms[keep].to_numpy(),
                             crs=grid.crs)
    table = exact_extract(src, feats, ["cell_id", "coverage"], include_cols=["i"],
                          output="pandas")
    for i, cells, cover in zip(table["i"], table["cell_id"], table["coverage"]):
        wr, wc = np.divmod(np.asarray(cells, np.int64), c1 - c0)
        good = np.asarray(cover, float) > 0
        out[int(i)] = (((wr + r0) * grid.width + wc + c0)[good], np.asarray(cover, float)[good])
    return out


def land_weights(store, geoms) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per polygon, land-vector positions and covered area in hectares of its land cells."""
    cell_ha = store.grid.cell_area_km2 * 100.0
    land = store.land_index
    out = []
    for flat, frac in cell_coverage(geoms, store.grid):
        pos = np.searchsorted(land, flat)
        on = pos < land.size
        on[on] = land[pos[on]] == flat[on]
        out.append((pos[on].astype(np.int64), frac[on] * cell_ha))
    return out


def _gather(vectors, name: str, pos: np.ndarray) -> np.ndarray:
    """``vectors[name][pos]`` without computing a lazy vector over the whole country."""
    if hasattr(vectors, "at"):
        return np.asarray(vectors.at(name, pos), float)
    return np.asarray(vectors[name], float)[pos]


def _wstats(v: np.ndarray, w: np.ndarray, starts: np.ndarray, use: np.ndarray | None = None):
    """Weighted mean, min, max and weight with data of each group (NaN = no data)."""
    ok = ~np.isnan(v) & (w > 0) & (use if use is not None else True)
    ww = np.where(ok, w, 0.0)
    num = np.add.reduceat(np.where(ok, v, 0.0) * ww, starts) if v.size else np.zeros(0)
    den = np.add.reduceat(ww, starts) if v.size else np.zeros(0)
    lo = np.minimum.reduceat(np.where(ok, v, np.inf), starts) if v.size else np.zeros(0)
    hi = np.maximum.reduceat(np.where(ok, v, -np.inf), starts) if v.size else np.zeros(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return mean, np.where(den > 0, lo, np.nan), np.where(den > 0, hi, np.nan), den


def zonal_stats(result: ScoreResult, weights: list[tuple[np.ndarray, np.ndarray]]
                ) -> pd.DataFrame:
    """Area-weighted statistics of the score and every weighted criterion, per site.

    Parameters
    ----------
    result
        A scoring result.
    weights
        Per site, land-vector positions and their weights (covered hectares, from
        :func:`land_weights`; a point is ``([pos], [1.0])``). A site with no land cell
        gets NaN statistics and ``land_ha`` 0.

    Returns
    -------
    pandas.DataFrame
        One row per site: ``land_ha``, ``score``, ``score_min``, ``score_max``,
        ``score_before_exclusions`` (+ ``_min``, ``_max``), ``share_excluded``,
        ``coverage``, per criterion ``<name>_raw`` (+ ``_min``, ``_max``),
        ``<name>_share_with_data``, ``<name>_value``, ``<name>_contrib``; and
        ``missing``, ``excluded_by``, ``partly_excluded_by``, ``unassessed_exclusions``
        (names joined by ", "). See the module docstring for the rules.
    """
    n = len(weights)
    sizes = np.array([len(p) for p, _ in weights], dtype=np.int64)
    has = sizes > 0
    pos = np.concatenate([p for p, _ in weights]) if n else np.zeros(0, np.int64)
    w = np.concatenate([np.asarray(x, float) for _, x in weights]) if n else np.zeros(0)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[has] if n else np.zeros(0, np.int64)
    out: dict[str, np.ndarray] = {}  # columns, made into one frame at the end

    def put(col, values):
        full = np.full(n, np.nan)
        full[has] = values
        out[col] = full

    land = np.add.reduceat(w, starts) if pos.size else np.zeros(0)
    put("land_ha", land)
    out["land_ha"] = np.nan_to_num(out["land_ha"], nan=0.0)
    excl = np.asarray(result.excluded)[pos]
    before = np.asarray(result.score, float)[pos]
    ranked = np.where(excl, np.nan, before)
    m, lo, hi, _ = _wstats(ranked, w, starts)
    put("score", m), put("score_min", lo), put("score_max", hi)
    m, lo, hi, _ = _wstats(before, w, starts)
    put("score_before_exclusions", m)
    put("score_before_exclusions_min", lo), put("score_before_exclusions_max", hi)
    put("share_excluded", _wstats(excl.astype(float), w, starts)[0])
    # value/contribution means: over the non-excluded scored land, else all scored land
    any_ok = np.repeat(np.add.reduceat((~np.isnan(ranked)).astype(float), starts) > 0,
                       sizes[has]) if pos.size else np.zeros(0, bool)
    base = np.where(any_ok, ~np.isnan(ranked), ~np.isnan(before))
    put("coverage", _wstats(np.asarray(result.coverage, float)[pos], w, starts, base)[0])
    missing = {}
    for name in result.weights:
        raw = result.store.values_at(name, pos).astype(float) if pos.size else np.zeros(0)
        m, lo, hi, den = _wstats(raw, w, starts)
        put(f"{name}_raw", m), put(f"{name}_raw_min", lo), put(f"{name}_raw_max", hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            put(f"{name}_share_with_data", den / np.where(land > 0, land, np.nan))
        missing[name] = np.nan_to_num(out[f"{name}_share_with_data"], nan=0.0) == 0
        val = _gather(result.values, name, pos) if pos.size else np.zeros(0)
        put(f"{name}_value", _wstats(val, w, starts, base)[0])
        con = _gather(result.contributions, name, pos) if pos.size else np.zeros(0)
        put(f"{name}_contrib", _wstats(np.nan_to_num(con), w, starts, base)[0])
    whole = out["share_excluded"] >= 1.0 - 1e-9
    flags, partly, unassessed = {}, [""] * n, {}
    for key, bad in result.excluded_by.items():
        share = np.full(n, np.nan)
        share[has] = _wstats(np.asarray(bad)[pos].astype(float), w, starts)[0]
        flags[key] = whole & (share > 0)
        for i in np.flatnonzero(~whole & (share > 0)):
            partly[i] += f"{', ' if partly[i] else ''}{key} {100 * share[i]:.0f} %"
        un = np.zeros(n, bool)
        un[has] = np.add.reduceat(np.asarray(result.unassessed[key])[pos].astype(float),
                                  starts) > 0
        unassessed[key] = un
    out["missing"] = _join(missing, n)
    out["excluded_by"] = _join(flags, n)
    out["partly_excluded_by"] = partly
    out["unassessed_exclusions"] = _join(unassessed, n)
    return pd.DataFrame(out, index=range(n))
