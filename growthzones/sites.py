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
import numbers

import numpy as np
import pandas as pd

from . import _validate as V
from ._errors import InputError, SitesError
from .grid import BNG, GB_BOUNDS
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

    Raises
    ------
    InputError
        If ``result`` is not a ScoreResult, ``top`` is not a whole number >= 1,
        ``min_separation_km`` is not a finite number > 0 or ``region_quantile`` is not
        strictly between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``pos`` (land-vector position), ``row``, ``col``, ``easting``,
        ``northing`` (EPSG:27700 m), ``score``, ``region_area_km2``.
    """
    from scipy import ndimage

    _check_result(result)
    top, min_separation_km, region_quantile = _check_site_args(top, min_separation_km,
                                                               region_quantile)
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

    Raises
    ------
    InputError
        If ``result`` is not a ScoreResult or an argument is out of range (``top`` a whole
        number >= 1; ``min_separation_km``, ``place_radius_km`` finite and > 0;
        ``region_quantile`` strictly between 0 and 1); the message names the parameter.
    """
    import geopandas as gpd

    _check_result(result)
    place_radius_km = _api_number(place_radius_km, "place_radius_km", "place_radius_km=15",
                                  V.positive_number)
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
    missing = {}
    for name in result.weights:
        raw = store.values_at(name, pos).astype(float)
        df[f"{name}_raw"] = np.round(raw, 4)
        df[f"{name}_value"] = np.round(result.values[name][pos].astype(float), 4)
        df[f"{name}_contrib"] = np.round(result.contributions[name][pos].astype(float), 6)
        missing[name] = np.isnan(raw)
    df["missing"] = _join_flags(missing, len(pos))
    df["excluded_by"] = _join_flags({n: e[pos] for n, e in result.excluded_by.items()}, len(pos))
    df["unassessed_exclusions"] = _join_flags({n: u[pos] for n, u in result.unassessed.items()},
                                              len(pos))
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=BNG)


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
    from scipy.spatial import cKDTree

    pxy = places[["easting", "northing"]].to_numpy(float)
    pop = places["population"].to_numpy(float)
    names = places["name"].to_numpy()
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    if x.size == 0:
        return []
    tree = cKDTree(pxy)
    pts = np.column_stack([x, y])
    # All sites in one batched query; then, over the flattened (site, place) pairs, prefer
    # a town close by: population discounted by distance (first of equals wins).
    near = tree.query_ball_point(pts, radius_km * 1000)
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
        best[none] = tree.query(pts[none])[1]
    return [f"near {n}" for n in names[best]]


#: Suffixes :func:`read_sites` reads (``.json`` is read as GeoJSON).
SITE_SUFFIXES = (".csv", ".gpkg", ".geojson", ".json", ".shp")
#: How many bad rows a :class:`SitesError` names before "and N more".
NAMED_ROWS = 5
_CSV_AXES = {BNG: ("easting", "northing"), "EPSG:4326": ("longitude", "latitude")}


def _label(row: int, name: str) -> str:
    return f"row {row} ({name!r})" if name else f"row {row}"


def _coordinate(cell) -> tuple[float, str | None]:
    """A coordinate cell as a float, or NaN and what is wrong with it."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return np.nan, "missing"
    if isinstance(cell, str):
        text = cell.strip()
        if not text:
            return np.nan, "missing"
        try:
            x = float(text)
        except ValueError:
            return np.nan, f"{text[:40]!r}, not a number"
    else:
        try:
            x = float(cell)
        except (TypeError, ValueError, OverflowError):
            return np.nan, f"{str(cell)[:40]!r}, not a number"
    if not np.isfinite(x):
        return np.nan, f"{str(cell).strip()[:40]!r}, not a finite number"
    return x, None


def site_row_problems(names, x, y, *, crs: str = BNG,
                      labels: tuple[str, str] = ("easting", "northing"),
                      known: dict[int, str] | None = None
                      ) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """What makes each candidate site unusable, row by row; and where the usable ones are.

    The one place where rows of a sites file are judged (read_sites raises from the
    result; a caller could instead keep the good rows and report the rest).

    Parameters
    ----------
    names
        Site names ("" for an unnamed row), used in the messages.
    x, y
        Coordinate cells in ``crs`` as given (strings, numbers, None or NaN).
    crs
        CRS of ``x``, ``y`` (e.g. ``"EPSG:27700"`` metres or ``"EPSG:4326"`` degrees).
    labels
        How the user knows the two coordinates, e.g. ``("longitude", "latitude")``.
    known
        Problems already found for some rows (0-based index -> message), e.g. no geometry.

    Returns
    -------
    problems
        Per row ``None`` (usable) or one message such as
        ``"row 3 ('Site X') has no latitude; fill it or remove the row"``; rows are
        counted from 1, after the header.
    bx, by
        EPSG:27700 metres of each row (NaN where it has a problem).

    Examples
    --------
    >>> p, bx, by = site_row_problems(["A", "B"], ["479500", ""], ["379700", "1"])
    >>> p
    [None, "row 2 ('B') has no easting; fill it or remove the row"]
    >>> bx.tolist()[0], by.tolist()[0]
    (479500.0, 379700.0)
    """
    from pyproj import Transformer

    names = [str(n) for n in names]
    n = len(names)
    known = known or {}
    problems: list[str | None] = [None] * n
    fx, fy = np.full(n, np.nan), np.full(n, np.nan)
    for i, (cx, cy) in enumerate(zip(x, y)):
        lab = _label(i + 1, names[i])
        if i in known:
            problems[i] = f"{lab} {known[i]}"
            continue
        for axis, cell, out in ((labels[0], cx, fx), (labels[1], cy, fy)):
            v, bad = _coordinate(cell)
            if bad == "missing":
                problems[i] = f"{lab} has no {axis}; fill it or remove the row"
            elif bad:
                problems[i] = f"{lab} has {axis} {bad}; correct it or remove the row"
            if bad:
                break
            out[i] = v
    ok = np.array([p is None for p in problems], dtype=bool)
    bx, by = np.full(n, np.nan), np.full(n, np.nan)
    if ok.any():
        with np.errstate(all="ignore"):
            if crs == BNG:
                bx[ok], by[ok] = fx[ok], fy[ok]
            else:
                t = Transformer.from_crs(crs, BNG, always_xy=True)
                bx[ok], by[ok] = t.transform(fx[ok], fy[ok], errcheck=False)
    xmin, ymin, xmax, ymax = GB_BOUNDS
    inside = np.isfinite(bx) & np.isfinite(by) & (bx >= xmin) & (bx <= xmax) & \
        (by >= ymin) & (by <= ymax)
    for i in np.flatnonzero(ok & ~inside):
        problems[i] = (f"{_label(i + 1, names[i])} at {labels[0]} {fx[i]:g}, {labels[1]} "
                       f"{fy[i]:g} is outside Great Britain; check its coordinates")
    bx[~inside], by[~inside] = np.nan, np.nan
    return problems, bx, by


def _raise_bad_rows(source: str, problems: list[str | None], crs: str) -> None:
    """The one place a sites file with bad rows is refused (see :func:`read_sites`)."""
    bad = [p for p in problems if p is not None]
    if not bad:
        return
    n = len(problems)
    crs = crs if len(crs) <= 40 else crs[:37] + "..."  # a CRS without a code is long WKT
    if all(" is outside Great Britain" in p for p in bad) and len(bad) == n:
        raise SitesError(
            f"{f'all {n} sites' if n > 1 else 'the one site'} in {source} "
            f"{'fall' if n > 1 else 'falls'} outside Great Britain when read as {crs}; is the "
            f"file's CRS right (e.g. BNG metres labelled as EPSG:4326, or lon/lat swapped)? "
            f"First: {bad[0]}")
    shown = "; ".join(p.rsplit("; ", 1)[0] for p in bad[:NAMED_ROWS])
    more = f"; and {len(bad) - NAMED_ROWS} more" if len(bad) > NAMED_ROWS else ""
    head = (f"sites file {source}: {len(bad)} of {n} rows {'are' if len(bad) > 1 else 'is'} "
            f"unusable{' (no usable site left)' if len(bad) == n else ''}")
    fix = "fill, correct or remove these rows" if len(bad) > 1 else bad[0].rsplit("; ", 1)[1]
    raise SitesError(f"{head}: {shown}{more}; {fix}")


def _site_names(table: pd.DataFrame, name_column: str | None, source: str) -> list[str]:
    if name_column is None:
        lower = {str(c).lower(): c for c in table.columns if c != "geometry"}
        col = lower.get("name")
    else:
        col = name_column if name_column in table.columns else None
        if col is None:
            have = ", ".join(str(c) for c in table.columns if c != "geometry") or "none"
            raise SitesError(f"sites file {source} has no column {name_column!r} for the site "
                             f"names (it has: {have}); pass one of those as the name column")
    if col is None:
        return [""] * len(table)
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
            for v in table[col].tolist()]


def _read_sites_csv(path) -> tuple[pd.DataFrame, list, list, str]:
    """The raw table and coordinate cells of a sites CSV, all cells kept as text."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise SitesError(f"sites file {path.name} is empty; give a header row (e.g. "
                         f"name,easting,northing) and one row per site") from None
    except UnicodeDecodeError:
        raise SitesError(f"sites file {path.name} is not UTF-8 text; save it as "
                         f"'CSV UTF-8' and try again") from None
    table.columns = [str(c).strip() for c in table.columns]
    cols = {c.lower(): c for c in table.columns}
    for (cx, cy), crs in ((("easting", "northing"), BNG), (("lon", "lat"), "EPSG:4326")):
        if cx in cols and cy in cols:
            return table, table[cols[cx]].tolist(), table[cols[cy]].tolist(), crs
    raise SitesError(f"sites file {path.name} has no geometry: a CSV needs columns "
                     f"easting,northing (EPSG:27700) or lon,lat (WGS84); it has "
                     f"{', '.join(table.columns) or 'none'}")


def read_sites(path, *, name_column: str | None = None
               ) -> "geopandas.GeoDataFrame":  # noqa: F821
    """Read a user's candidate sites (GeoPackage, GeoJSON, Shapefile, or CSV) in EPSG:27700.

    A CSV needs ``easting``/``northing`` (British National Grid) or ``lon``/``lat``
    (WGS84) columns (any case). Polygons are placed at their representative point. Every
    cell of a CSV is read as text, so a name such as ``=SUM(A1)`` or ``007`` is kept as
    it is (writers neutralise formulas, not readers).

    A file with any unusable row (no or non-numeric coordinate, no geometry, outside
    Great Britain) is refused as a whole, naming the first few bad rows by 1-based row
    number (after the header) and name; the per-row check is
    :func:`site_row_problems`.

    Parameters
    ----------
    path
        A ``.csv``, ``.gpkg``, ``.geojson``/``.json`` or ``.shp`` file.
    name_column
        Column holding the site names. Default: a ``name`` column (any case) if there is
        one; rows without a name are called ``site <row>``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` (str) and Point geometry in EPSG:27700, one row per site, in file order.

    Raises
    ------
    SitesError
        If the path is missing, a folder, or of an unsupported type; the file is empty,
        unreadable, has no rows, geometry or CRS; ``name_column`` is not a column; or any
        row is unusable (see above).
    """
    import geopandas as gpd
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise SitesError(f"sites file {path} not found; check the path")
    if path.is_dir():
        raise SitesError(f"sites path {path} is a folder, not a file; give a "
                         f".csv/.gpkg/.geojson/.shp file")
    suffix = path.suffix.lower()
    if suffix not in SITE_SUFFIXES:
        raise SitesError(f"sites file {path.name} has type {suffix or '(no suffix)'!r}; give "
                         f"one of {', '.join(SITE_SUFFIXES)} (export a spreadsheet as CSV)")
    if path.stat().st_size == 0:
        raise SitesError(f"sites file {path.name} is empty; give one row or feature per site")
    known: dict[int, str] = {}
    try:
        if suffix == ".csv":
            table, x, y, crs = _read_sites_csv(path)
        else:
            table = gpd.read_file(path)
            if not isinstance(table, gpd.GeoDataFrame) or "geometry" not in table or \
                    (len(table) and table.geometry.isna().all()):
                raise SitesError(f"sites file {path.name} has no geometry; give points or "
                                 f"polygons (or a CSV with easting,northing or lon,lat)")
            if table.crs is None:
                raise SitesError(f"sites file {path.name} has no CRS; set it (EPSG:27700 for "
                                 f"British National Grid, EPSG:4326 for lon/lat) and try again")
            crs = table.crs.to_string()
            geoms = table.geometry
            empty = (geoms.isna() | geoms.is_empty).to_numpy()
            known = {int(i): "has no geometry; draw it or remove the row"
                     for i in np.flatnonzero(empty)}
            pts = geoms.copy()
            pts[~empty] = geoms[~empty].representative_point()
            x = [p.x if not e else None for p, e in zip(pts, empty)]
            y = [p.y if not e else None for p, e in zip(pts, empty)]
    except SitesError:
        raise
    except Exception as exc:  # pyogrio/pandas raise many types for unreadable files
        msg = " ".join(str(exc).split())[:200]
        raise SitesError(f"cannot read sites file {path.name}: {msg}; check it opens in a "
                         f"GIS or spreadsheet and is a valid {suffix} file") from None
    if len(table) == 0:
        raise SitesError(f"sites file {path.name} has no rows; add one row per site")
    names = _site_names(table, name_column, path.name)
    labels = _CSV_AXES.get(crs, ("x", "y")) if suffix == ".csv" else ("x", "y")
    problems, bx, by = site_row_problems(names, x, y, crs=crs, labels=labels, known=known)
    _raise_bad_rows(path.name, problems, crs)
    names = [nm or f"site {i + 1}" for i, nm in enumerate(names)]
    return gpd.GeoDataFrame({"name": pd.Series(names, dtype=object)},
                            geometry=gpd.points_from_xy(bx, by), crs=BNG)


def _check_sites(sites):
    """The user's sites as a GeoDataFrame of points in EPSG:27700, or an InputError."""
    import geopandas as gpd

    fix = "give a GeoDataFrame of points, e.g. gz.read_sites('my_sites.csv')"
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
    geoms = sites.geometry
    gtype = geoms.geom_type.to_numpy()
    bad = np.flatnonzero(geoms.isna().to_numpy() | geoms.is_empty.to_numpy() | (gtype != "Point"))
    if bad.size:
        i = int(bad[0])
        what = ("has no geometry" if gtype[i] is None or geoms.iloc[i] is None
                or geoms.iloc[i].is_empty else f"is a {gtype[i]}, not a point")
        more = f" ({bad.size} such rows)" if bad.size > 1 else ""
        raise InputError(f"sites {_label(i + 1, str(sites['name'].iloc[i]))} {what}{more}; "
                         f"give points (gz.read_sites places polygons at a representative "
                         f"point)")
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
    rows, cols = grid.rowcol(np.asarray(x, float), np.asarray(y, float))
    flat = rows * grid.width + cols
    pos = np.searchsorted(land, flat)
    on_land = (rows >= 0) & (pos < land.size)
    on_land[on_land] = land[pos[on_land]] == flat[on_land]
    return np.where(on_land, pos, -1), on_land


def score_sites(result: ScoreResult, sites) -> "geopandas.GeoDataFrame":  # noqa: F821
    """Score and rank a user's sites (from :func:`read_sites`) at the cells they stand in.

    Sites in excluded cells are listed last with no rank and ``excluded_by`` filled.

    Parameters
    ----------
    result
        Output of :func:`growthzones.score`.
    sites
        A GeoDataFrame of points in EPSG:27700 with a ``name`` column, as
        :func:`read_sites` returns.

    Raises
    ------
    InputError
        If ``result`` is not a ScoreResult, or ``sites`` is not a GeoDataFrame of points
        in EPSG:27700 with a ``name`` column.
    SitesError
        If any site is not on GB land at the result's resolution (the first few named).
    """
    _check_result(result)
    sites = _check_sites(sites)
    names = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
             for v in sites["name"].tolist()]
    pos, on_land = cells_at(result, sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
    if not on_land.all():
        bad = [names[i] or f"row {i + 1}" for i in np.flatnonzero(~on_land)]
        more = f" and {len(bad) - NAMED_ROWS} more" if len(bad) > NAMED_ROWS else ""
        raise SitesError(f"{len(bad)} of {len(names)} sites are not on GB land at this "
                         f"resolution: {', '.join(bad[:NAMED_ROWS])}{more}; move them "
                         f"onshore or check their coordinates")
    table = site_table(result, pos, names=names)
    order = table["score"].rank(ascending=False, method="first")
    table.insert(0, "rank", order.astype("Int64"))
    return table.sort_values(["rank"], na_position="last").reset_index(drop=True)
