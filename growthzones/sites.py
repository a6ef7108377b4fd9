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

import functools

import numpy as np
import pandas as pd

from ._errors import SitesError
from .grid import BNG, GB_BOUNDS
from .scoring import ScoreResult


@functools.lru_cache(maxsize=1)
def _to_wgs84():
    from pyproj import Transformer

    return Transformer.from_crs(BNG, 4326, always_xy=True)


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

    The same choice as :func:`growthzones.sites.pick_separated` (a point is dropped when
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


def region_areas_km2(labels: np.ndarray, rows, cols, grid, radius_m: float) -> np.ndarray:
    """Area of each site's connected high-score region within ``radius_m`` of it.

    Looks only at the window around each site instead of the whole grid, so 20 sites at
    1 km cost well under a millisecond. A site outside any region counts its own cell.

    Parameters
    ----------
    labels
        2-D connected-component labels (0 = background), e.g. from ``ndimage.label``.
    rows, cols
        Site cells.
    grid
        The :class:`~growthzones.grid.GridSpec`.
    radius_m
        Radius in metres (half the site separation in ``rank_sites``).
    """
    res = grid.resolution
    half = int(np.ceil(radius_m / res))
    h, w = labels.shape
    out = []
    for r, c in zip(np.atleast_1d(rows), np.atleast_1d(cols)):
        lab = labels[r, c]
        if lab == 0:
            out.append(grid.cell_area_km2)
            continue
        r0, r1 = max(r - half, 0), min(r + half + 1, h)
        c0, c1 = max(c - half, 0), min(c + half + 1, w)
        win = labels[r0:r1, c0:c1] == lab
        dy = (np.arange(r0, r1) - r)[:, None] * res
        dx = (np.arange(c0, c1) - c)[None, :] * res
        out.append(float((win & (dx * dx + dy * dy <= radius_m ** 2)).sum()) * grid.cell_area_km2)
    return np.array(out, dtype=float)


def top_sites(result: ScoreResult, *, top: int | None = None,
              min_separation_km: float | None = None,
              region_quantile: float = 0.98) -> pd.DataFrame:
    """The geometry-free core of ``rank_sites``: the best separate cells and their regions.

    The same sites, order and ``region_area_km2`` as :func:`growthzones.rank_sites`
    (candidates by score, ties north-west first; greedy separation; connected cells in
    the top ``region_quantile`` within half the separation), in a few milliseconds at 1 km.
    If the candidates run out before ``top`` separate places are found, more are taken.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``pos`` (land-vector position), ``row``, ``col``, ``easting``,
        ``northing`` (EPSG:27700 m), ``score``, ``region_area_km2``.
    """
    from scipy import ndimage

    sc = result.scenario
    top = top if top is not None else sc.top
    sep_m = 1000.0 * (min_separation_km if min_separation_km is not None
                      else sc.min_separation_km)
    store, grid = result.store, result.grid
    s = result.ranked
    ok = np.flatnonzero(~np.isnan(s))
    cols = ["rank", "pos", "row", "col", "easting", "northing", "score", "region_area_km2"]
    if ok.size == 0:
        return pd.DataFrame(columns=cols)
    k = min(ok.size, max(20000, top * 500))
    while True:
        cand = ok[np.argpartition(-s[ok], k - 1)[:k]] if k < ok.size else ok
        cand = cand[np.lexsort((cand, -s[cand]))]  # score desc, then land order (NW first)
        rows, cc = np.divmod(store.land_index[cand], grid.width)
        x, y = grid.xy(rows, cc)
        kept = pick_separated_fast(x, y, top=top, min_separation_m=sep_m)
        if len(kept) == top or k == ok.size:
            break
        k = min(ok.size, 4 * k)
    pos, rows, cc, x, y = cand[kept], rows[kept], cc[kept], x[kept], y[kept]
    thr = np.quantile(s[ok], region_quantile)
    labels, _ = ndimage.label(store.unflatten(s) >= thr)
    areas = region_areas_km2(labels, rows, cc, grid, sep_m / 2)
    return pd.DataFrame({"rank": np.arange(1, len(pos) + 1), "pos": pos, "row": rows, "col": cc,
                         "easting": x, "northing": y, "score": s[pos].astype(float),
                         "region_area_km2": areas}, columns=cols)


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

    core = top_sites(result, top=top, min_separation_km=min_separation_km,
                     region_quantile=region_quantile)
    if core.empty:
        return gpd.GeoDataFrame({"rank": []}, geometry=[], crs=BNG)
    pos, areas = core["pos"].to_numpy(), core["region_area_km2"].to_numpy()
    table = site_table(result, pos, place_radius_km=place_radius_km)
    table.insert(0, "rank", np.arange(1, len(pos) + 1))
    table.insert(table.columns.get_loc("coverage"), "region_area_km2", areas)
    return table


def site_table(result: ScoreResult, pos: np.ndarray, *, place_radius_km: float = 15.0,
               names=None) -> "geopandas.GeoDataFrame":  # noqa: F821
    """Location, council, score and per-criterion breakdown of land cells ``pos``.

    Parameters
    ----------
    result
        A scoring result.
    pos
        Positions in the result's land vectors (one per site).
    names
        Site names; default ``near <place>`` from GeoNames.
    """
    import geopandas as gpd

    store, grid = result.store, result.grid
    pos = np.asarray(pos, dtype=np.int64)
    rows, cols = np.divmod(store.land_index[pos], grid.width)
    x, y = grid.xy(rows, cols)
    la = store.la_index[rows, cols].astype(int)
    las = store.las.set_index(pd.RangeIndex(1, len(store.las) + 1))
    lon, lat = _to_wgs84().transform(x, y)
    df = pd.DataFrame({
        "site_id": site_ids(x, y, grid.resolution),
        "name": (list(names) if names is not None
                 else name_places(store.places, x, y, radius_km=place_radius_km)),
        "local_authority": las["la_name"].reindex(la).to_numpy(),
        "nation": las["nation"].reindex(la).map({"E": "England", "W": "Wales",
                                                 "S": "Scotland"}).to_numpy(),
        "score": np.round(result.ranked[pos].astype(float), 6),
        "score_before_exclusions": np.round(result.score[pos].astype(float), 6),
        "easting": x, "northing": y, "lat": np.round(lat, 5), "lon": np.round(lon, 5),
        "coverage": np.round(result.coverage[pos].astype(float), 4),
    })
    missing = [[] for _ in pos]
    for name in result.weights:
        raw = store.values_at(name, pos).astype(float)
        df[f"{name}_raw"] = np.round(raw, 4)
        df[f"{name}_value"] = np.round(result.values[name][pos].astype(float), 4)
        df[f"{name}_contrib"] = np.round(result.contributions[name][pos].astype(float), 6)
        for j in np.flatnonzero(np.isnan(raw)):
            missing[j].append(name)
    df["missing"] = [", ".join(m) for m in missing]
    df["excluded_by"] = [", ".join(n for n, e in result.excluded_by.items() if e[p]) for p in pos]
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


def read_sites(path, *, name_column: str = "name") -> "geopandas.GeoDataFrame":  # noqa: F821
    """Read a user's candidate sites (GeoPackage, GeoJSON, Shapefile, or CSV) in EPSG:27700.

    A CSV needs ``easting``/``northing`` (British National Grid) or ``lon``/``lat``
    (WGS84) columns. Polygons are placed at their representative point.

    Raises
    ------
    SitesError
        If the file is missing or unreadable, has no geometry or CRS, or its sites do
        not fall in Great Britain once read in their stated CRS (a wrong CRS).
    """
    import geopandas as gpd
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise SitesError(f"sites file {path} not found; check the path")
    try:
        if path.suffix.lower() == ".csv":
            df = pd.read_csv(path)
            cols = {c.lower(): c for c in df.columns}
            if "easting" in cols and "northing" in cols:
                geom, crs = gpd.points_from_xy(df[cols["easting"]], df[cols["northing"]]), BNG
            elif "lon" in cols and "lat" in cols:
                geom, crs = gpd.points_from_xy(df[cols["lon"]], df[cols["lat"]]), "EPSG:4326"
            else:
                raise SitesError(f"sites file {path.name} has no geometry: a CSV needs columns "
                                 f"easting,northing (EPSG:27700) or lon,lat (WGS84)")
            gdf = gpd.GeoDataFrame(df, geometry=geom, crs=crs)
        else:
            gdf = gpd.read_file(path)
    except SitesError:
        raise
    except Exception as exc:  # pyogrio/pandas raise many types for unreadable files
        raise SitesError(f"cannot read sites file {path.name}: {exc}") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf or \
            gdf.geometry.isna().all():
        raise SitesError(f"sites file {path.name} has no geometry; give points or polygons "
                         f"(or a CSV with easting,northing or lon,lat)")
    if gdf.crs is None:
        raise SitesError(f"sites file {path.name} has no CRS; set it (EPSG:27700 for British "
                         f"National Grid, EPSG:4326 for lon/lat) and try again")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].to_crs(BNG)
    b = gdf.geometry.bounds  # a wrong CRS gives infinite coordinates here
    xmin, ymin, xmax, ymax = GB_BOUNDS
    outside = ~(np.isfinite(b.to_numpy()).all(axis=1) & b["minx"].ge(xmin) & b["maxx"].le(xmax)
                & b["miny"].ge(ymin) & b["maxy"].le(ymax)).to_numpy()
    if outside.any():
        raise SitesError(
            f"{int(outside.sum())} of {len(gdf)} sites in {path.name} fall outside Great Britain "
            f"when read as {gdf.crs.to_string() if gdf.crs else 'its CRS'}; is the file's CRS "
            f"right (e.g. BNG metres labelled as EPSG:4326)?")
    pts = gdf.geometry.representative_point()
    names = (gdf[name_column].astype(str) if name_column in gdf
             else pd.Series([f"site {i + 1}" for i in range(len(gdf))], index=gdf.index))
    return gpd.GeoDataFrame({"name": names.to_numpy()}, geometry=pts.to_numpy(), crs=BNG)


def score_sites(result: ScoreResult, sites) -> "geopandas.GeoDataFrame":  # noqa: F821
    """Score and rank a user's sites (from :func:`read_sites`) at the cells they stand in.

    Sites in excluded cells are listed last with no rank and ``excluded_by`` filled;
    sites off GB land raise :class:`SitesError`.
    """
    from .scoring import cell_at

    pos, bad = [], []
    for name, g in zip(sites["name"], sites.geometry):
        try:
            pos.append(cell_at(result, g.x, g.y))
        except ValueError:
            bad.append(str(name))
    if bad:
        raise SitesError(f"{len(bad)} sites are not on GB land at this resolution: "
                         f"{', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}; move them "
                         f"onshore or check their coordinates")
    table = site_table(result, np.array(pos), names=sites["name"])
    order = table["score"].rank(ascending=False, method="first")
    table.insert(0, "rank", order.astype("Int64"))
    return table.sort_values(["rank"], na_position="last").reset_index(drop=True)
