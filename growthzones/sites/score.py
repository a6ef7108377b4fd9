"""Scoring a user's own sites: points at their cell, polygons by zonal statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _validate as V
from .._errors import InputError, SitesError
from ..context import CONTEXT_COLUMNS, site_context
from ..grid import BNG, to_wgs84
from ..ranking import _check_result, site_table
from ..scoring import ScoreResult
from .reading import FILE_COLUMNS, READ_COLUMNS, _label, user_columns
from .zonal import land_weights, zonal_stats

_POLYGONS = ("Polygon", "MultiPolygon")
#: Site-table columns a polygon's zonal statistics replace (the rest describe its anchor cell).
_STAT_COLUMNS = ("score", "score_before_exclusions", "coverage", "missing", "excluded_by",
                 "unassessed_exclusions")


def _check_sites(sites):
    """The user's sites as a GeoDataFrame in EPSG:27700 with names, or an InputError."""
    import geopandas as gpd

    fix = "give a GeoDataFrame of points or polygons, e.g. gz.read_sites('my_sites.csv')"
    V.instance(sites, pd.DataFrame, "sites", fix=fix)
    if not isinstance(sites, gpd.GeoDataFrame) or sites._geometry_column_name not in sites:
        raise InputError(f"sites has no geometry column (columns: "
                         f"{', '.join(map(str, sites.columns)) or 'none'}); {fix}")
    if "name" not in sites.columns:
        raise InputError(f"sites has no 'name' column (columns: "
                         f"{', '.join(str(c) for c in sites.columns if c != 'geometry')}); "
                         f"add one, e.g. sites['name'] = ..., or use gz.read_sites")
    if len(sites) == 0:
        raise InputError("sites has no rows; give at least one site")
    if sites.crs is None:
        raise InputError("sites has no CRS; set it, e.g. sites.set_crs(27700) for British "
                         "National Grid metres")
    if not sites.crs.equals(BNG):
        raise InputError(f"sites are in {sites.crs.to_string()}, not {BNG}; reproject them "
                         f"with sites.to_crs(27700)")
    return sites


def cells_at(result: ScoreResult, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Land-vector positions of the cells holding many points at once.

    Parameters
    ----------
    result
        A scoring result (its grid and land cells).
    x, y
        Points in EPSG:27700 metres.

    Returns
    -------
    pos, on_land
        ``pos`` (int64, -1 where not on land) and a boolean mask of the points on GB land.
    """
    grid, land = result.grid, result.store.land_index
    x, y = np.asarray(x, float), np.asarray(y, float)
    finite = np.isfinite(x) & np.isfinite(y)
    rows, cols = grid.rowcol(np.where(finite, x, -1e12), np.where(finite, y, -1e12))
    flat = rows * grid.width + cols
    pos = np.searchsorted(land, flat)
    on_land = finite & (rows >= 0) & (pos < land.size)
    on_land[on_land] = land[pos[on_land]] == flat[on_land]
    return np.where(on_land, pos, -1), on_land


def _text_list(values) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in values]


def score_sites(result: ScoreResult, sites) -> geopandas.GeoDataFrame:  # noqa: F821
    """Score and rank a user's sites; points at their cell, polygons by zonal statistics.

    Every input row comes back. Ranked first (``rank`` 1..k by ``score``, ties in file
    order), then the sites whose land is all excluded (``excluded_by`` and ``status``
    say why, ``score_before_exclusions`` what they would score), then the rows that
    could not be scored (``problem``: from :func:`read_sites`, or off the land mask at
    this resolution, or a polygon covering no land), all unranked.

    Parameters
    ----------
    result
        Output of :func:`growthzones.score`.
    sites
        A GeoDataFrame in EPSG:27700 with a ``name`` column and Point / Polygon /
        MultiPolygon geometry, as :func:`read_sites` returns (its ``problem`` rows are
        kept as they are); any other columns are the user's and are kept.

    Returns
    -------
    geopandas.GeoDataFrame
        The :func:`growthzones.ranking.site_table` columns (for a polygon, the location
        columns describe the cell it covers most, and ``easting``/``northing``/``lat``/
        ``lon`` its representative point; for a point, the point itself), ``problem``,
        ``area_ha`` (polygons), the zonal statistics of
        :func:`growthzones.sites.zonal.zonal_stats`, the national context of
        :func:`growthzones.context.site_context`, then the user's columns (a clashing
        name as ``user_<name>``); the geometry as given.

    Raises
    ------
    InputError
        If ``result`` is not a ScoreResult, or ``sites`` is not a GeoDataFrame in
        EPSG:27700 with a ``name`` column.
    SitesError
        If no site can be scored (each reason named).
    """
    import geopandas as gpd

    _check_result(result)
    sites = _check_sites(sites).reset_index(drop=True)
    n = len(sites)
    grid = result.grid
    names = _text_list(sites["name"])
    ids = _text_list(sites["site_id"]) if "site_id" in sites else [""] * n
    problem = _text_list(sites["problem"]) if "problem" in sites else [""] * n
    rows_in = sites["input_row"].to_numpy() if "input_row" in sites else np.arange(1, n + 1)
    geoms = sites.geometry
    gtype = np.array([None if g is None or g.is_empty else g.geom_type for g in geoms],
                     dtype=object)
    for i in range(n):
        if problem[i]:
            continue
        if gtype[i] is None:
            problem[i] = "has no geometry; draw it or remove the row"
        elif gtype[i] not in ("Point", *_POLYGONS):
            problem[i] = f"is a {gtype[i]}; give a point or a polygon"
    ok = np.array([not p for p in problem], dtype=bool)
    is_poly = ok & np.isin(gtype.astype(str), _POLYGONS)
    is_pt = ok & ~is_poly
    cell_ha = grid.cell_area_km2 * 100.0
    anchor = np.full(n, -1, dtype=np.int64)
    weights: list = [None] * n
    if is_pt.any():
        pts = geoms[is_pt]
        pos, on = cells_at(result, pts.x.to_numpy(), pts.y.to_numpy())
        for i, p, o in zip(np.flatnonzero(is_pt), pos, on):
            if o:
                anchor[i], weights[i] = p, (np.array([p]), np.array([cell_ha]))
            else:
                problem[i] = (f"is not on GB land at this {grid.resolution:g} m grid (at sea "
                              f"or off the land mask); move it onshore or check its "
                              f"coordinates")
    if is_poly.any():
        for i, (p, w) in zip(np.flatnonzero(is_poly), land_weights(result.store,
                                                                   geoms[is_poly])):
            if p.size:
                anchor[i], weights[i] = p[np.argmax(w)], (p, w)
            else:
                problem[i] = ("covers no GB land at this grid (at sea or off the land mask); "
                              "check its geometry")
    good = anchor >= 0
    if not good.any():
        shown = "; ".join(f"{_label(int(rows_in[i]), names[i])} {problem[i].rsplit('; ', 1)[0]}"
                          for i in range(min(n, 5)))
        raise SitesError(f"no site can be scored: {shown}{'; ...' if n > 5 else ''}; check "
                         f"their coordinates or geometry")
    gi = np.flatnonzero(good)
    table = site_table(result, anchor[gi], names=[names[i] for i in gi])
    table = pd.DataFrame(table.drop(columns=["geometry", *CONTEXT_COLUMNS])
                         ).set_index(pd.Index(gi))
    stats = zonal_stats(result, [weights[i] for i in gi]).set_index(pd.Index(gi))
    for col in stats.columns:
        if col in _STAT_COLUMNS or col.endswith(("_raw", "_value", "_contrib")):
            v = stats[col]
            table[col] = np.round(v.astype(float), 6) if v.dtype.kind == "f" else v
    extra = [c for c in stats.columns if c not in table.columns]
    table = pd.concat([table, stats[extra]], axis=1)
    full = table.reindex(pd.RangeIndex(n)).copy()
    full["name"] = names
    sid = [ids[i] or (full.at[i, "site_id"] if good[i] else f"row {rows_in[i]}")
           for i in range(n)]
    seen = pd.Series(sid).duplicated(keep=False).to_numpy()
    # two of the user's sites in one cell (and no id column): told apart by their row
    full["site_id"] = [f"{v} row {rows_in[i]}" if seen[i] and not ids[i] else v
                       for i, v in enumerate(sid)]
    full.insert(full.columns.get_loc("site_id") + 1, "input_row", rows_in)
    for col in ("local_authority", "nation", "missing", "excluded_by", "partly_excluded_by",
                "unassessed_exclusions"):
        full[col] = full[col].fillna("")
    full["problem"] = problem
    # where the site is: the user's point, or a polygon's representative point
    rep = geoms.copy()
    has_geom = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    rep[has_geom] = geoms[has_geom].representative_point()
    x = np.array([p.x if h else np.nan for p, h in zip(rep, has_geom)])
    y = np.array([p.y if h else np.nan for p, h in zip(rep, has_geom)])
    lon, lat = to_wgs84(x, y).T
    full["easting"], full["northing"] = x, y
    full["lat"], full["lon"] = np.round(lat, 5), np.round(lon, 5)
    area = np.full(n, np.nan)
    area[is_poly] = geoms[is_poly].area.to_numpy() / 1e4
    full.insert(full.columns.get_loc("score"), "area_ha", np.round(area, 2))
    full["land_ha"] = np.where(is_poly, np.round(full["land_ha"].astype(float), 2), np.nan)
    score = full["score"].astype(float)
    ranked = good & np.isfinite(score.to_numpy())
    order = np.lexsort((np.arange(n), -np.where(ranked, score, -np.inf)))
    rank = pd.array([pd.NA] * n, dtype="Int64")
    rank[order[: ranked.sum()]] = np.arange(1, ranked.sum() + 1)
    full = full.copy()
    full.insert(0, "rank", rank)
    full = pd.concat([full, site_context(result, full)], axis=1)
    mine = sites.drop(columns=[c for c in (*READ_COLUMNS, sites.geometry.name) if c in sites])
    mine = user_columns(mine, [*full.columns, *FILE_COLUMNS])
    out = gpd.GeoDataFrame(pd.concat([full, mine], axis=1),
                           geometry=geoms.reset_index(drop=True).to_numpy(), crs=BNG)
    # ranked first, then excluded, then unscored; each group in file order
    group = np.where(ranked, 0, np.where(good, 1, 2))
    key = np.lexsort((np.arange(n), np.where(ranked, rank.to_numpy(dtype=float, na_value=0), 0),
                      group))
    return out.iloc[key].reset_index(drop=True)
