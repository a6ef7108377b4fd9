"""A user's own candidate sites: read them from a file and score them.

:func:`read_sites` reads CSV (easting/northing or longitude/latitude), GeoPackage,
GeoJSON or Shapefile, judging every row (:func:`site_row_problems`) and raising one
:class:`~growthzones.SitesError` naming the bad rows; :func:`score_sites` scores and ranks
them at the cells they stand in. Picking the best places from the surface is
:mod:`growthzones.ranking`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _validate as V
from ._errors import InputError, SitesError
from .grid import BNG, GB_BOUNDS
from .ranking import _check_result, site_table
from .scoring import ScoreResult

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
               ) -> geopandas.GeoDataFrame:  # noqa: F821
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
    from pathlib import Path

    import geopandas as gpd

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


def score_sites(result: ScoreResult, sites) -> geopandas.GeoDataFrame:  # noqa: F821
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
