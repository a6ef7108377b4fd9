"""Candidate sites: distinct high-scoring places picked from the score surface.

A site is the best cell of a place (at 1 km a cell is 100 ha, room for a 500 MW campus).
Sites are chosen greedily from the highest-scoring non-excluded cells, each at least
``min_separation_km`` from every site already chosen, so the top ten are ten different
places rather than ten cells of one hot spot. Each site also reports the connected area
of high-scoring land around it (cells in the top ``region_quantile`` of the country,
within half the separation distance). Ties are broken by position (north-west first)
so a ranking is reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .grid import BNG
from .scoring import ScoreResult


def pick_separated(xy: np.ndarray, order: np.ndarray, *, top: int, min_separation_m: float
                   ) -> list[int]:
    """Greedy non-maximum suppression: walk ``order`` best first, keep points far apart.

    Parameters
    ----------
    xy
        (n, 2) coordinates in metres.
    order
        Indices into ``xy``, best first.
    top
        How many to keep at most.
    min_separation_m
        Every kept point is farther than this from every other kept point.

    Returns
    -------
    list of int
        Kept indices into ``xy``, best first.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(xy)
    alive = np.ones(len(xy), dtype=bool)
    kept: list[int] = []
    for i in order:
        if not alive[i]:
            continue
        kept.append(int(i))
        if len(kept) == top:
            break
        alive[tree.query_ball_point(xy[i], min_separation_m)] = False
    return kept


def rank_sites(result: ScoreResult, *, top: int | None = None,
               min_separation_km: float | None = None, region_quantile: float = 0.98,
               place_radius_km: float = 15.0) -> "geopandas.GeoDataFrame":  # noqa: F821
    """The ``top`` best separate places, with score, location, council and breakdown.

    Parameters
    ----------
    result
        Output of :func:`growthzones.score`.
    top
        Number of sites (default: the scenario's ``[sites] top``).
    min_separation_km
        Minimum distance between sites in km (default: the scenario's).
    region_quantile
        Cells at or above this quantile of the national (non-excluded) score form the
        high-scoring regions reported around each site.
    place_radius_km
        A site is named after the largest GeoNames place within this radius (else the
        nearest place).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site in EPSG:27700 (Point at the cell centre), ranked 1..top:
        ``rank``, ``site_id``, ``name``, ``local_authority``, ``nation``, ``score``,
        ``easting``, ``northing``, ``lat``, ``lon``, ``region_area_km2``, ``coverage``,
        ``missing`` and per criterion ``<name>_raw``, ``<name>_value``, ``<name>_contrib``.
    """
    import geopandas as gpd
    from pyproj import Transformer
    from scipy import ndimage

    sc = result.scenario
    top = top if top is not None else sc.top
    sep_m = 1000.0 * (min_separation_km if min_separation_km is not None
                      else sc.min_separation_km)
    store, grid = result.store, result.grid
    s = result.ranked
    ok = np.flatnonzero(~np.isnan(s))
    if ok.size == 0:
        return gpd.GeoDataFrame({"rank": []}, geometry=[], crs=BNG)
    # Candidates: enough of the best cells to find `top` separate places.
    k = min(ok.size, max(20000, top * 500))
    cand = ok[np.argpartition(-s[ok], k - 1)[:k]] if k < ok.size else ok
    cand = cand[np.lexsort((cand, -s[cand]))]  # score desc, then land order (NW first)
    flat = store.land_index[cand]
    rows, cols = np.divmod(flat, grid.width)
    x, y = grid.xy(rows, cols)
    kept = pick_separated(np.column_stack([x, y]), np.arange(len(cand)), top=top,
                          min_separation_m=sep_m)
    pos, x, y, rows, cols = cand[kept], x[kept], y[kept], rows[kept], cols[kept]

    # High-scoring connected regions around each site.
    thr = np.quantile(s[ok], region_quantile)
    labels, _ = ndimage.label(store.unflatten(s) >= thr)
    areas = []
    for r, c, xi, yi in zip(rows, cols, x, y):
        lab = labels[r, c]
        if lab == 0:
            areas.append(grid.cell_area_km2)
            continue
        rr, cc = np.nonzero(labels == lab)
        xx, yy = grid.xy(rr, cc)
        near = (xx - xi) ** 2 + (yy - yi) ** 2 <= (sep_m / 2) ** 2
        areas.append(float(near.sum()) * grid.cell_area_km2)

    la = store.la_index[rows, cols].astype(int)
    las = store.las.set_index(pd.RangeIndex(1, len(store.las) + 1))
    lon, lat = Transformer.from_crs(BNG, 4326, always_xy=True).transform(x, y)
    df = pd.DataFrame({
        "rank": np.arange(1, len(pos) + 1),
        "site_id": site_ids(x, y, grid.resolution),
        "name": name_places(store.places, x, y, radius_km=place_radius_km),
        "local_authority": las["la_name"].reindex(la).to_numpy(),
        "nation": las["nation"].reindex(la).map({"E": "England", "W": "Wales",
                                                 "S": "Scotland"}).to_numpy(),
        "score": np.round(s[pos].astype(float), 6),
        "easting": x, "northing": y, "lat": np.round(lat, 5), "lon": np.round(lon, 5),
        "region_area_km2": areas,
        "coverage": np.round(result.coverage[pos].astype(float), 4),
    })
    missing = [[] for _ in pos]
    for name in result.weights:
        raw = store.vector(name)[pos].astype(float)
        df[f"{name}_raw"] = np.round(raw, 4)
        df[f"{name}_value"] = np.round(result.values[name][pos].astype(float), 4)
        df[f"{name}_contrib"] = np.round(result.contributions[name][pos].astype(float), 6)
        for j in np.flatnonzero(np.isnan(raw)):
            missing[j].append(name)
    df["missing"] = [", ".join(m) for m in missing]
    df["unassessed_exclusions"] = [
        ", ".join(n for n, u in result.unassessed.items() if u[p]) for p in pos]
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=BNG)


def site_ids(x: np.ndarray, y: np.ndarray, resolution: float) -> list[str]:
    """Stable ids from each cell's south-west corner in km, e.g. ``E530N180`` at 1 km."""
    h = resolution / 2
    return [f"E{(xi - h) / 1000:g}N{(yi - h) / 1000:g}" for xi, yi in zip(x, y)]


def name_places(places: pd.DataFrame, x: np.ndarray, y: np.ndarray, *,
                radius_km: float = 15.0) -> list[str]:
    """Name each point after the most populous place within ``radius_km``, else the nearest.

    Parameters
    ----------
    places
        ``name``, ``population``, ``easting``, ``northing`` (EPSG:27700).
    x, y
        Points in EPSG:27700 metres.
    """
    from scipy.spatial import cKDTree

    pxy = places[["easting", "northing"]].to_numpy(float)
    tree = cKDTree(pxy)
    pop = places["population"].to_numpy()
    names = places["name"].to_numpy()
    out = []
    for xi, yi in zip(np.atleast_1d(x), np.atleast_1d(y)):
        near = tree.query_ball_point([xi, yi], radius_km * 1000)
        if near:
            # Prefer a town close by: population discounted by distance.
            d = np.hypot(pxy[near, 0] - xi, pxy[near, 1] - yi) / 1000 + 1
            best = near[int(np.argmax(pop[near] / d ** 2))]
            out.append(f"near {names[best]}")
        else:
            out.append(f"near {names[tree.query([xi, yi])[1]]}")
    return out


def compare_sites(before, after, *, match_km: float = 12.5) -> "pandas.DataFrame":  # noqa: F821
    """How sites moved between two rankings (e.g. before and after a re-weighting).

    A site in ``after`` is the same place as the nearest site in ``before`` within
    ``match_km`` (default half the default separation), since a re-weighting can move the
    best cell of a place by a cell or two.

    Returns
    -------
    pandas.DataFrame
        One row per place in either ranking: ``name``, ``local_authority``,
        ``rank_before``, ``rank_after``, ``change`` (positive = moved up), ``status``
        (``kept``, ``new``, ``dropped``), sorted by ``rank_after``.
    """
    from scipy.spatial import cKDTree

    rows = []
    matched = set()
    if len(before):
        tree = cKDTree(before[["easting", "northing"]].to_numpy(float))
    for a in after.itertuples():
        j = None
        if len(before):
            d, k = tree.query([a.easting, a.northing])
            if d <= match_km * 1000 and k not in matched:
                j = int(k)
                matched.add(j)
        rb = int(before.iloc[j]["rank"]) if j is not None else None
        rows.append({"name": a.name, "local_authority": a.local_authority,
                     "rank_before": rb, "rank_after": int(a.rank),
                     "change": (rb - int(a.rank)) if rb is not None else None,
                     "status": "kept" if rb is not None else "new"})
    for j, b in enumerate(before.itertuples()):
        if j not in matched:
            rows.append({"name": b.name, "local_authority": b.local_authority,
                         "rank_before": int(b.rank), "rank_after": None, "change": None,
                         "status": "dropped"})
    out = pd.DataFrame(rows)
    for col in ("rank_before", "rank_after", "change"):
        out[col] = out[col].astype("Int64")
    return out.sort_values(["rank_after", "rank_before"], na_position="last").reset_index(drop=True)
