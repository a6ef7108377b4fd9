"""Ranking places: distinct high-scoring sites picked from the score surface.

A site is the best cell of a place (at 1 km a cell is 100 ha, room for a 500 MW campus).
Sites are chosen greedily from the highest-scoring non-excluded cells, each at least
``min_separation_km`` from every site already chosen, so the top ten are ten different
places rather than ten cells of one hot spot. Each site also reports the connected area
of high-scoring land around it (cells in the top ``region_quantile`` of the country,
within half the separation distance). Ties are broken by position (north-west first)
so a ranking is reproducible.

:func:`rank_sites` is the public entry; :func:`top_sites` its geometry-free core;
:func:`site_table` the per-site table (location, council, name, breakdown) that
:func:`growthzones.sites.score_sites` uses for a user's own sites too. How stable a
ranking is under uncertain weights is :mod:`growthzones.stability`.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from . import _validate as V
from .areas import council_of_cells
from .context import _Neighbours, site_context
from .grid import BNG, to_wgs84
from .scoring import ScoreResult

_RESULT_FIX = "give the ScoreResult of gz.score(layers, scenario)"


def _check_result(result) -> ScoreResult:
    return V.instance(result, ScoreResult, "result", fix=_RESULT_FIX)


def _api_number(value, what: str, example: str, check):
    """A Python-API number: a str (e.g. ``"3"``) is refused here, unlike a CLI flag."""
    V.instance(value, numbers.Real, what, fix=f"give a number, e.g. {example}")
    return check(value, what, example=example)


def _check_site_args(top, min_separation_km, region_quantile):
    if top is not None:
        top = _api_number(top, "top", "top=20", V.positive_int)
    if min_separation_km is not None:
        min_separation_km = _api_number(min_separation_km, "min_separation_km",
                                        "min_separation_km=25", V.positive_number)
    region_quantile = _api_number(
        region_quantile, "region_quantile", "region_quantile=0.98",
        lambda v, w, example: V.number(v, w, min=0, max=1, strict_min=True, strict_max=True,
                                       example=example))
    return top, min_separation_km, region_quantile


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
    order = np.asarray(order)
    pts = np.asarray(xy, dtype=float)[order]
    kept = pick_separated_fast(pts[:, 0], pts[:, 1], top=top, min_separation_m=min_separation_m)
    return [int(order[k]) for k in kept]


def pick_separated_fast(x: np.ndarray, y: np.ndarray, *, top: int,
                        min_separation_m: float) -> list[int]:
    """Greedy non-maximum suppression over points already sorted best first.

    The same choice as :func:`pick_separated` (a point is dropped when
    within ``min_separation_m``, inclusive, of a kept one) without building a KD-tree:
    ``top`` vectorised passes over the candidates.

    Parameters
    ----------
    x, y
        Candidate coordinates in metres, best first.
    top
        How many to keep at most.
    min_separation_m
        Minimum distance between kept points, metres.

    Returns
    -------
    list of int
        Kept indices, best first.
    """
    alive = np.ones(len(x), dtype=bool)
    r2 = min_separation_m ** 2
    kept: list[int] = []
    i = 0
    while len(kept) < top:
        nxt = np.flatnonzero(alive[i:])
        if nxt.size == 0:
            break
        i += int(nxt[0])
        kept.append(i)
        alive[i:] &= (x[i:] - x[i]) ** 2 + (y[i:] - y[i]) ** 2 > r2
    return kept


def _site_windows(labels: np.ndarray, rows, cols, half: int):
    """For each site cell, ``(r0, c0, win)``: ``win`` marks the cells of the window of
    ``half`` cells around it that are in the site's connected region; None where the
    site's cell is in none.

    ``labels`` is 2-D connected-component labels (0 = background), or the boolean mask
    they would label: then the region of each site is found by a flood fill from it
    (4-connected, as ``scipy.ndimage.label``'s default), which visits only the sites'
    regions, a few thousand cells at 1 km, instead of labelling the whole grid.
    """
    h, w = labels.shape
    flat = labels.ravel()
    found: list[np.ndarray] = []  # flood-filled regions (sorted flat cells)
    visited = np.zeros(h * w, dtype=bool) if labels.dtype == bool else None
    for r, c in zip(np.atleast_1d(rows), np.atleast_1d(cols)):
        r, c = int(r), int(c)
        r0, r1, c0, c1 = max(r - half, 0), min(r + half + 1, h), max(c - half, 0), \
            min(c + half + 1, w)
        if not flat[r * w + c]:
            yield r0, c0, None
            continue
        if visited is None:
            yield r0, c0, labels[r0:r1, c0:c1] == labels[r, c]
            continue
        start = r * w + c
        if visited[start]:  # in the region of an earlier site
            cells = next(f for f in found
                         if f[min(np.searchsorted(f, start), f.size - 1)] == start)
        else:
            cells = _flood(flat, visited, start, w)
            found.append(cells)
        rr, cc = np.divmod(cells, w)
        inside = (rr >= r0) & (rr < r1) & (cc >= c0) & (cc < c1)
        win = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        win[rr[inside] - r0, cc[inside] - c0] = True
        yield r0, c0, win


def _flood(mask: np.ndarray, visited: np.ndarray, start: int, width: int) -> np.ndarray:
    """The sorted flat cells of ``mask`` (flat, row-major, ``width`` columns) 4-connected
    to ``start``; marks them in ``visited``."""
    size = mask.size
    visited[start] = True
    parts = [np.array([start], dtype=np.int64)]
    front = parts[0]
    while front.size:
        col = front % width
        nb = np.concatenate([front[col > 0] - 1, front[col < width - 1] + 1,
                             front[front >= width] - width, front[front < size - width] + width])
        nb = np.unique(nb[mask[nb] & ~visited[nb]])
        visited[nb] = True
        parts.append(nb)
        front = nb
    return np.sort(np.concatenate(parts))


def region_areas_km2(labels: np.ndarray, rows, cols, grid, radius_m: float) -> np.ndarray:
    """Area of each site's connected high-score region within ``radius_m`` of it.

    Looks only at each site's region and the window around it instead of the whole
    grid, so 20 sites at 1 km cost a few milliseconds. A site outside any region counts
    its own cell.

    Parameters
    ----------
    labels
        2-D connected-component labels (0 = background), e.g. from ``ndimage.label``, or
        the boolean mask of high-score cells (its regions are then found from the sites,
        4-connected).
    rows, cols
        Site cells.
    grid
        The :class:`~growthzones.grid.GridSpec`.
    radius_m
        Radius in metres (half the site separation in ``rank_sites``).
    """
    res = grid.resolution
    half = int(np.ceil(radius_m / res))
    out = []
    for (r0, c0, win), r, c in zip(_site_windows(labels, rows, cols, half),
                                   np.atleast_1d(rows), np.atleast_1d(cols)):
        if win is None:
            out.append(grid.cell_area_km2)
            continue
        dy = (np.arange(r0, r0 + win.shape[0]) - r)[:, None] * res
        dx = (np.arange(c0, c0 + win.shape[1]) - c)[None, :] * res
        out.append(float((win & (dx * dx + dy * dy <= radius_m ** 2)).sum()) * grid.cell_area_km2)
    return np.array(out, dtype=float)


def high_cells(store, s: np.ndarray, thr: float) -> np.ndarray:
    """The 2-D mask of land cells whose ``s`` is at least ``thr`` (NaN is not): the same
    as ``store.unflatten(s) >= thr`` without the float grid (350 MB at GB 100 m)."""
    high = np.zeros(store.grid.height * store.grid.width, dtype=bool)
    with np.errstate(invalid="ignore"):
        high[store.land_index[s >= thr]] = True
    return high.reshape(store.grid.shape)


def top_sites(result: ScoreResult, *, top: int | None = None,
              min_separation_km: float | None = None,
              region_quantile: float = 0.98, within=None) -> pd.DataFrame:
    """The geometry-free core of ``rank_sites``: the best separate cells and their regions.

    The same sites, order and ``region_area_km2`` as :func:`growthzones.rank_sites`
    (candidates by score, ties north-west first; greedy separation; connected cells in
    the top ``region_quantile`` within half the separation), in a few milliseconds at 1 km.
    If the candidates run out before ``top`` separate places are found, more are taken.

    ``within`` (anything :func:`growthzones.areas.select_area` takes: a council, region,
    ``"bbox:..."``, a polygon file or geometry, an :class:`~growthzones.areas.Area`)
    restricts the candidates to the cells inside; the score, exclusions and the
    ``region_quantile`` threshold stay national, and a site's high-scoring region is
    counted inside the area only.

    Raises
    ------
    InputError
        If ``result`` is not a ScoreResult, ``top`` is not a whole number >= 1,
        ``min_separation_km`` is not a finite number > 0 or ``region_quantile`` is not
        strictly between 0 and 1; or ``within`` names no known area, holds no land cell,
        or every cell inside is excluded.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``pos`` (land-vector position), ``row``, ``col``, ``easting``,
        ``northing`` (EPSG:27700 m), ``score``, ``region_area_km2``.
    """
    _check_result(result)
    top, min_separation_km, region_quantile = _check_site_args(top, min_separation_km,
                                                               region_quantile)
    sc = result.scenario
    top = top if top is not None else sc.top
    sep_m = 1000.0 * (min_separation_km if min_separation_km is not None
                      else sc.min_separation_km)
    store, grid = result.store, result.grid
    s = result.ranked
    thr_cells = s[~np.isnan(s)]
    if within is not None:
        from .areas import check_candidates, select_area

        area = select_area(store, within)
        check_candidates(result, area)
        s = np.where(area.mask, s, np.nan)
    # the candidates' scores, partitioned in place to find the k-th best: the cells with
    # at least that score are the candidates (ties at it included), with no index or
    # copy of every cell (at GB 100 m those were ~400 MB at the run's peak)
    vals = thr_cells if within is None else s[~np.isnan(s)]
    cols = ["rank", "pos", "row", "col", "easting", "northing", "score", "region_area_km2"]
    if vals.size == 0:
        return pd.DataFrame(columns=cols)
    k = min(vals.size, max(20000, top * 500))
    while True:
        if k < vals.size:
            vals.partition(vals.size - k)
            cand = np.flatnonzero(s >= vals[vals.size - k])
        else:
            cand = np.flatnonzero(~np.isnan(s))
        cand = cand[np.lexsort((cand, -s[cand]))]  # score desc, then land order (NW first)
        rows, cc = np.divmod(store.land_index[cand], grid.width)
        x, y = grid.xy(rows, cc)
        kept = pick_separated_fast(x, y, top=top, min_separation_m=sep_m)
        if len(kept) == top or k == vals.size:
            break
        k = min(vals.size, 4 * k)
    pos, rows, cc, x, y = cand[kept], rows[kept], cc[kept], x[kept], y[kept]
    # national, also within an area (thr_cells is a copy: its order does not matter)
    thr = np.quantile(thr_cells, region_quantile, overwrite_input=True)
    areas = region_areas_km2(high_cells(store, s, thr), rows, cc, grid, sep_m / 2)
    return pd.DataFrame({"rank": np.arange(1, len(pos) + 1), "pos": pos, "row": rows, "col": cc,
                         "easting": x, "northing": y, "score": s[pos].astype(float),
                         "region_area_km2": areas}, columns=cols)


def rank_sites(result: ScoreResult, *, top: int | None = None,
               min_separation_km: float | None = None, region_quantile: float = 0.98,
               place_radius_km: float = 15.0, within=None
               ) -> geopandas.GeoDataFrame:  # noqa: F821
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
    within
        Pick sites only inside this area: a council or county (April 2023, name or ONS
        code), an ITL1 region, a nation, ``"bbox:xmin,ymin,xmax,ymax"``, a polygon file,
        a geometry, or an :class:`~growthzones.areas.Area`; see :mod:`growthzones.areas`.
        Scores and exclusions stay national.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site in EPSG:27700 (Point at the cell centre), ranked 1..top:
        ``rank``, ``site_id``, ``name``, ``local_authority``, ``nation``, ``score``,
        ``easting``, ``northing``, ``lat``, ``lon``, ``region_area_km2``, ``coverage``,
        ``missing`` and per criterion ``<name>_raw``, ``<name>_value``, ``<name>_contrib``.

    Raises
    ------
    InputError
        If ``result`` is not a ScoreResult or an argument is out of range (``top`` a whole
        number >= 1; ``min_separation_km``, ``place_radius_km`` finite and > 0;
        ``region_quantile`` strictly between 0 and 1); the message names the parameter.
        Or ``within`` names no known area (close matches listed), holds no land cell, or
        every cell inside it is excluded.
    """
    import geopandas as gpd

    _check_result(result)
    place_radius_km = _api_number(place_radius_km, "place_radius_km", "place_radius_km=15",
                                  V.positive_number)
    core = top_sites(result, top=top, min_separation_km=min_separation_km,
                     region_quantile=region_quantile, within=within)
    if core.empty:
        return gpd.GeoDataFrame({"rank": []}, geometry=[], crs=BNG)
    pos, areas = core["pos"].to_numpy(), core["region_area_km2"].to_numpy()
    table = site_table(result, pos, place_radius_km=place_radius_km)
    table.insert(0, "rank", np.arange(1, len(pos) + 1))
    table.insert(table.columns.get_loc("coverage"), "region_area_km2", areas)
    return table


def site_table(result: ScoreResult, pos: np.ndarray, *, place_radius_km: float = 15.0,
               names=None) -> geopandas.GeoDataFrame:  # noqa: F821
    """Location, council, score and per-criterion breakdown of land cells ``pos``.

    Parameters
    ----------
    result
        A scoring result.
    pos
        Positions in the result's land vectors (one per site).
    names
        Site names; default :func:`name_sites` (the named feature that makes the site,
        else ``near <town>``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``name``, ``local_authority``, ``nation``, ``score``,
        ``score_before_exclusions``, ``easting``, ``northing``, ``lat``, ``lon``,
        ``coverage``, per criterion ``<name>_raw``, ``_value``, ``_contrib``, then
        ``missing``, ``excluded_by``, ``unassessed_exclusions``, ``allowed_in_exclusions``
        and the national context
        of :func:`growthzones.context.site_context` (``national_percentile``,
        ``national_percentile_before_exclusions``, ``status``, ``top_contributions``,
        ``notes``); Point geometry at the cell centres (EPSG:27700).
    """
    import geopandas as gpd

    store, grid = result.store, result.grid
    pos = np.asarray(pos, dtype=np.int64)
    rows, cols = np.divmod(store.land_index[pos], grid.width)
    x, y = grid.xy(rows, cols)
    council = council_of_cells(store, rows, cols)  # April 2023 councils
    lon, lat = to_wgs84(x, y).T
    df = pd.DataFrame({
        "site_id": site_ids(x, y, grid.resolution),
        "name": (list(names) if names is not None
                 else name_sites(store, x, y, place_radius_km=place_radius_km)),
        "local_authority": council["council_name"].to_numpy(),
        "nation": council["nation"].map({"E": "England", "W": "Wales",
                                         "S": "Scotland"}).to_numpy(),
        "score": np.round(result.ranked[pos].astype(float), 6),
        "score_before_exclusions": np.round(result.score[pos].astype(float), 6),
        "easting": x, "northing": y, "lat": np.round(lat, 5), "lon": np.round(lon, 5),
        "coverage": np.round(result.coverage[pos].astype(float), 4),
    })
    missing = {}
    for name in result.weights:
        raw = store.values_at(name, pos).astype(float)
        df[f"{name}_raw"] = np.round(raw, 4)
        # Only these cells: at 100 m a national vector is 92 MB per criterion.
        df[f"{name}_value"] = np.round(_at(result.values, name, pos).astype(float), 4)
        df[f"{name}_contrib"] = np.round(_at(result.contributions, name, pos).astype(float), 6)
        missing[name] = np.isnan(raw)
    df["missing"] = _join_flags(missing, len(pos))
    df["excluded_by"] = _join_flags({n: e[pos] for n, e in result.excluded_by.items()}, len(pos))
    df["unassessed_exclusions"] = _join_flags({n: u[pos] for n, u in result.unassessed.items()},
                                              len(pos))
    # exclusions the cell is inside but the previously-developed exception let through
    df["allowed_in_exclusions"] = _join_flags(
        {n: a[pos] for n, a in getattr(result, "allowed_by", {}).items()}, len(pos))
    df = pd.concat([df, site_context(result, df)], axis=1)  # percentiles, status, notes
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=BNG)


def _at(vectors, name: str, pos: np.ndarray) -> np.ndarray:
    """``vectors[name][pos]`` without computing the whole vector when it is lazy."""
    return vectors.at(name, pos) if hasattr(vectors, "at") else np.asarray(vectors[name])[pos]


def _join_flags(flags: dict[str, np.ndarray], n: int) -> list[str]:
    """Per site, the names whose flag is set, joined by ", " ("" for none).

    Each distinct combination is joined once, so 10,000 sites cost a few milliseconds.

    >>> _join_flags({"a": np.array([True, False, True]), "b": np.array([True, False, False])}, 3)
    ['a, b', '', 'a']
    """
    if not flags or n == 0:
        return [""] * n
    names = list(flags)
    m = np.column_stack([np.asarray(flags[k], dtype=bool) for k in names])
    if len(names) <= 62:  # one integer key per combination (unique on rows is slow)
        key = m.astype(np.int64) @ (np.int64(1) << np.arange(len(names), dtype=np.int64))
        keys, which = np.unique(key, return_inverse=True)
        patterns = (keys[:, None] >> np.arange(len(names))) & 1
    else:
        patterns, which = np.unique(m, axis=0, return_inverse=True)
    labels = np.array([", ".join(names[k] for k in np.flatnonzero(p)) for p in patterns],
                      dtype=object)
    return labels[np.ravel(which)].tolist()


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
    pxy = places[["easting", "northing"]].to_numpy(float)
    pop = places["population"].to_numpy(float)
    names = places["name"].to_numpy()
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    if x.size == 0:
        return []
    pts = np.column_stack([x, y])
    # All sites in one batched query; then, over the flattened (site, place) pairs, prefer
    # a town close by: population discounted by distance (first of equals wins).
    search = _Neighbours(pxy, pts)
    near = search.within(radius_km * 1000)
    counts = np.fromiter((len(n) for n in near), dtype=np.int64, count=len(near))
    best = np.empty(len(x), dtype=np.int64)
    if counts.sum():
        site = np.repeat(np.arange(len(x)), counts)
        cand = np.fromiter((i for n in near for i in n), dtype=np.int64, count=int(counts.sum()))
        d = np.hypot(pxy[cand, 0] - x[site], pxy[cand, 1] - y[site]) / 1000 + 1
        w = pop[cand] / d ** 2
        order = np.lexsort((np.arange(len(cand)), -w, site))
        first = order[np.r_[0, np.flatnonzero(np.diff(site[order])) + 1]]
        best[site[first]] = cand[first]
    none = counts == 0
    if none.any():  # nothing within the radius: the nearest place still names it
        best[none] = search.nearest(none)[1]
    return [f"near {n}" for n in names[best]]


def name_features(features: pd.DataFrame, x: np.ndarray, y: np.ndarray, *,
                  radius_km: float = 2.0) -> list[str | None]:
    """The label of the feature that makes each point, or None where none is near.

    The lowest ``tier`` with a feature within ``radius_km`` wins, the nearest of that tier
    (first in table order among equals); see :mod:`growthzones.layers.named_features`
    for the tiers (former power station, works, airfield, transmission substation).

    Parameters
    ----------
    features
        ``label``, ``tier``, ``easting``, ``northing`` (EPSG:27700), as ``features.csv``;
        rows with an empty ``label`` name nothing.
    x, y
        Points in EPSG:27700 metres.
    """
    from .store import naming_features

    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    out: list[str | None] = [None] * len(x)
    features = naming_features(features)  # rows with a label
    if features is None or len(features) == 0 or len(x) == 0:
        return out
    fxy = features[["easting", "northing"]].to_numpy(float)
    tier = features["tier"].to_numpy(int)
    labels = features["label"].to_numpy(object)
    near = _Neighbours(fxy, np.column_stack([x, y])).within(radius_km * 1000)
    for i, idx in enumerate(near):
        if idx:
            idx = np.sort(np.asarray(idx))
            d = np.hypot(fxy[idx, 0] - x[i], fxy[idx, 1] - y[i])
            best = idx[np.lexsort((idx, d, tier[idx]))[0]]
            out[i] = str(labels[best])
    return out


def name_sites(store, x: np.ndarray, y: np.ndarray, *, radius_km: float = 2.0,
               place_radius_km: float = 15.0) -> list[str]:
    """Name each point after what makes it, else after the nearest town.

    A named feature of the store's ``features.csv`` within ``radius_km``
    (:func:`name_features`: "Ratcliffe-on-Soar (former power station)"), else
    ``near <town>`` (:func:`name_places`). A store built without ``features.csv``
    names every site after its town, as before.
    """
    towns = name_places(store.places, x, y, radius_km=place_radius_km)
    feats = name_features(getattr(store, "features", None), x, y, radius_km=radius_km)
    return [f if f is not None else t for f, t in zip(feats, towns)]


def site_regions(result, sites, *, region_quantile: float = 0.98):
    """The high-score region around each ranked site, as polygons (EPSG:27700).

    The same region ``rank_sites`` measures in ``region_area_km2``: the connected cells
    scoring in the top ``region_quantile`` of ranked cells that contain the site, within
    half the scenario's minimum separation of it; vectorised with
    ``rasterio.features.shapes``. A site outside any region gets its own cell.

    Returns
    -------
    geopandas.GeoDataFrame
        ``rank``, ``name``, ``score``, ``region_area_km2``, geometry (one (multi)polygon
        per site), in the order of ``sites``.
    """
    import geopandas as gpd
    from rasterio import features
    from shapely.geometry import box, shape
    from shapely.ops import unary_union

    grid, store = result.grid, result.store
    s = np.asarray(result.ranked)
    ok = ~np.isnan(s)
    res = grid.resolution
    radius = 500.0 * result.scenario.min_separation_km
    geoms = []
    if ok.any() and len(sites):
        thr = np.quantile(s[ok], region_quantile, overwrite_input=True)  # of a copy
        high = high_cells(store, s, thr)
        h, w = high.shape
        half = int(np.ceil(radius / res))
        x0, y1 = grid.bounds[0], grid.bounds[3]
        rc = [(int((y1 - y) // res), int((x - x0) // res))
              for x, y in zip(sites.geometry.x, sites.geometry.y)]
        on_grid = [0 <= r < h and 0 <= c < w for r, c in rc]
        # a site off the grid has no region: its own cell, looked up nowhere
        inside = [k for k, on in enumerate(on_grid) if on]
        windows = dict(zip(inside, _site_windows(high, [rc[k][0] for k in inside],
                                                 [rc[k][1] for k in inside], half)))
        for k, (r, c) in enumerate(rc):
            r0, c0, win = windows.get(k, (0, 0, None))
            cell = box(x0 + c * res, y1 - (r + 1) * res, x0 + (c + 1) * res, y1 - r * res)
            if win is None:
                geoms.append(cell)
                continue
            dy = (np.arange(r0, r0 + win.shape[0]) - r)[:, None] * res
            dx = (np.arange(c0, c0 + win.shape[1]) - c)[None, :] * res
            win = win & (dx * dx + dy * dy <= radius ** 2)
            tr = grid.transform @ grid.transform.translation(c0, r0)
            # (no mask=: rasterio wraps a mask without the transform and warns of it)
            parts = [shape(g) for g, v in features.shapes(win.astype(np.uint8), transform=tr)
                     if v == 1]
            geoms.append(unary_union(parts) if parts else cell)
    cols = [c for c in ("rank", "name", "local_authority", "score", "region_area_km2")
            if c in sites.columns]
    return gpd.GeoDataFrame(sites[cols].reset_index(drop=True), geometry=geoms, crs=grid.crs)
