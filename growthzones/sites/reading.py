"""Reading a user's candidate sites: files, columns, coordinates and postcodes, row by row.

:func:`read_sites` reads GeoPackage, GeoJSON, Shapefile, CSV or XLSX and judges every row
(:func:`site_row_problems`). A bad row never aborts the file and is never dropped: it
comes back with its reason in ``problem`` and no geometry, and the outputs list it. Only
a file with no usable row at all is refused (:class:`~growthzones.SitesError`).

Column rules (names compared case-insensitively, ignoring spaces, ``_`` and ``-``):

- coordinates: ``easting``/``northing`` (EPSG:27700 metres), ``latitude``/``longitude``
  (``lat``; ``lon``, ``long``, ``lng``; WGS84 degrees), or ``x``/``y`` only when no other
  pair is present and every value reads unambiguously as degrees or as BNG metres;
- postcode: ``postcode``, ``post code``, ``postal code``, ``pcd`` or ``pcds``, looked up
  offline in OS Code-Point Open (:mod:`.postcodes`). With coordinates too, a row's
  postcode is used only where its coordinates are blank;
- name: ``name_column``, else ``name``, ``site name`` or ``site``; id: ``id_column``,
  else ``id``, ``site id``, ``ref``, ``site ref`` or ``reference`` (else none).

Every user column is kept; one whose name clashes with a column growthzones writes is
kept as ``user_<name>`` (:func:`user_columns`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .._errors import SitesError
from ..grid import BNG, GB_BOUNDS

#: Suffixes :func:`read_sites` reads (``.json`` is read as GeoJSON).
SITE_SUFFIXES = (".csv", ".xlsx", ".gpkg", ".geojson", ".json", ".shp")
#: How many bad rows a message names before "and N more".
NAMED_ROWS = 5
#: Columns :func:`read_sites` adds in front of the user's own.
READ_COLUMNS = ("site_id", "name", "input_row", "problem")
#: Names the output files keep for themselves (GeoPackage's feature id and geometry): a
#: user column called so is renamed like any other clash.
FILE_COLUMNS = ("geometry", "geom", "fid", "ogc_fid")
WGS84 = "EPSG:4326"

_LAT = ("lat", "latitude")
_LON = ("lon", "long", "lng", "longitude")
_EAST = ("easting", "eastings", "east")
_NORTH = ("northing", "northings", "north")
_POSTCODE = ("postcode", "postalcode", "pcd", "pcds")
_NAMES = ("name", "sitename", "site")
_IDS = ("id", "siteid", "ref", "siteref", "reference")


def _key(column) -> str:
    return re.sub(r"[\s_\-]+", "", str(column)).lower()


def _find(columns, keys) -> str | None:
    """The first column (in the file's order) whose normalised name is one of ``keys``."""
    for c in columns:
        if _key(c) in keys:
            return c
    return None


def _label(row: int, name: str) -> str:
    return f"row {row} ({name!r})" if name else f"row {row}"


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()


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


def _in_gb(bx, by) -> np.ndarray:
    xmin, ymin, xmax, ymax = GB_BOUNDS
    return np.isfinite(bx) & np.isfinite(by) & (bx >= xmin) & (bx <= xmax) & \
        (by >= ymin) & (by <= ymax)


def _to_bng(fx, fy, crs):
    from pyproj import Transformer

    if crs == BNG:
        return np.asarray(fx, float), np.asarray(fy, float)
    with np.errstate(all="ignore"):
        t = Transformer.from_crs(crs, BNG, always_xy=True)
        return t.transform(np.asarray(fx, float), np.asarray(fy, float), errcheck=False)


def row_reasons(x, y, *, crs: str = BNG, labels: tuple[str, str] = ("easting", "northing"),
                known: dict[int, str] | None = None
                ) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """Why each row's coordinates cannot be used (a phrase, or None) and its BNG point.

    The reasons read after a row label, e.g. ``"has no latitude; fill it or remove the
    row"``; a point outside Great Britain that would be inside with its two coordinates
    exchanged is reported as swapped (``"latitude -1.5 and longitude 54.6 look swapped;
    ..."``). ``known`` holds reasons already found (0-based row -> phrase).
    """
    n = len(x)
    known = known or {}
    reasons: list[str | None] = [None] * n
    fx, fy = np.full(n, np.nan), np.full(n, np.nan)
    for i, (cx, cy) in enumerate(zip(x, y)):
        if i in known:
            reasons[i] = known[i]
            continue
        for axis, cell, out in ((labels[0], cx, fx), (labels[1], cy, fy)):
            v, bad = _coordinate(cell)
            if bad == "missing":
                reasons[i] = f"has no {axis}; fill it or remove the row"
            elif bad:
                reasons[i] = f"has {axis} {bad}; correct it or remove the row"
            if bad:
                break
            out[i] = v
    ok = np.array([r is None for r in reasons], dtype=bool)
    bx, by = np.full(n, np.nan), np.full(n, np.nan)
    if ok.any():
        bx[ok], by[ok] = _to_bng(fx[ok], fy[ok], crs)
    inside = _in_gb(bx, by)
    out = ok & ~inside
    if out.any():
        sx, sy = _to_bng(fy[out], fx[out], crs)  # the same rows with the axes exchanged
        swapped = _in_gb(np.asarray(sx), np.asarray(sy))
        for i, sw in zip(np.flatnonzero(out), swapped):
            if sw:
                reasons[i] = (f"has {labels[1]} {fy[i]:g} and {labels[0]} {fx[i]:g}, which "
                              f"look swapped (the point is outside Great Britain, swapped it "
                              f"is inside); exchange the two values")
            else:
                reasons[i] = (f"at {labels[0]} {fx[i]:g}, {labels[1]} {fy[i]:g} is outside "
                              f"Great Britain; check its coordinates")
    bx[~inside], by[~inside] = np.nan, np.nan
    return reasons, bx, by


def site_row_problems(names, x, y, *, crs: str = BNG,
                      labels: tuple[str, str] = ("easting", "northing"),
                      known: dict[int, str] | None = None
                      ) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """What makes each candidate site unusable, row by row; and where the usable ones are.

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
        Problems already found for some rows (0-based index -> phrase), e.g. no geometry.

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
    names = [str(n) for n in names]
    reasons, bx, by = row_reasons(x, y, crs=crs, labels=labels, known=known)
    return ([None if r is None else f"{_label(i + 1, names[i])} {r}"
             for i, r in enumerate(reasons)], bx, by)


def describe_bad_rows(source: str, sites) -> str:
    """One line naming the first few unusable rows of ``sites`` (``problem`` filled)."""
    bad = sites[sites["problem"] != ""]
    shown = "; ".join(f"{_label(int(r), n)} {p.rsplit('; ', 1)[0]}" for r, n, p in
                      zip(bad["input_row"].head(NAMED_ROWS), bad["name"].head(NAMED_ROWS),
                          bad["problem"].head(NAMED_ROWS)))
    more = f"; and {len(bad) - NAMED_ROWS} more" if len(bad) > NAMED_ROWS else ""
    return f"{source}: {len(bad)} of {len(sites)} rows unusable: {shown}{more}"


def _refuse_if_none_usable(source: str, sites, crs: str) -> None:
    """The one place a sites file is refused: no row can be used."""
    problems = sites["problem"].tolist()
    if any(p == "" for p in problems):
        return
    n = len(problems)
    crs = crs if len(crs) <= 40 else crs[:37] + "..."  # a CRS without a code is long WKT
    if all(" is outside Great Britain" in p for p in problems):
        first = f"{_label(1, sites['name'].iloc[0])} {problems[0].rsplit('; ', 1)[0]}"
        raise SitesError(
            f"{f'all {n} sites' if n > 1 else 'the one site'} in {source} "
            f"{'fall' if n > 1 else 'falls'} outside Great Britain when read as {crs}; is the "
            f"file's CRS right (e.g. BNG metres labelled as EPSG:4326, or lon/lat swapped)? "
            f"First: {first}")
    fix = "fill, correct or remove these rows" if n > 1 else problems[0].rsplit("; ", 1)[-1]
    line = describe_bad_rows(f"sites file {source}", sites)
    raise SitesError(f"{line} (no usable site left); {fix}")


def user_columns(table: pd.DataFrame, reserved) -> pd.DataFrame:
    """The user's columns, renamed ``user_<name>`` where a name clashes with ``reserved``.

    Compared case-insensitively (a GeoPackage's columns are), repeated until unique.

    >>> list(user_columns(pd.DataFrame(columns=["Score", "town"]), ["score"]).columns)
    ['user_Score', 'town']
    """
    taken = {str(c).lower() for c in reserved}
    names = []
    for c in table.columns:
        new = str(c)
        while new.lower() in taken:
            new = f"user_{new}"
        taken.add(new.lower())
        names.append(new)
    out = table.copy()
    out.columns = names
    return out


def _read_table(path, suffix: str) -> pd.DataFrame:
    """The raw table of a CSV or XLSX file, every cell as text (``""`` when blank)."""
    name = path.name
    if suffix == ".xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise SitesError("reading .xlsx needs openpyxl; install it with: pip install "
                             "openpyxl (or save the sheet as CSV UTF-8)") from None
        table = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        table = table.loc[~(table == "").all(axis=1)] if len(table.columns) else table
    else:
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                skip_blank_lines=True)
        except pd.errors.EmptyDataError:
            raise SitesError(f"sites file {name} is empty; give a header row (e.g. "
                             f"name,easting,northing) and one row per site") from None
        except UnicodeDecodeError:
            raise SitesError(f"sites file {name} is not UTF-8 text; save it as "
                             f"'CSV UTF-8' and try again") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table.reset_index(drop=True)


def _xy_crs(table, cx, cy) -> str | None:
    """Whether bare ``x``/``y`` columns are degrees or BNG metres; None if unclear."""
    v = [np.array([_coordinate(c)[0] for c in table[col]]) for col in (cx, cy)]
    ok = np.isfinite(v[0]) & np.isfinite(v[1])
    if not ok.any():
        return None
    x, y = v[0][ok], v[1][ok]
    if (np.abs(x) <= 180).all() and (np.abs(y) <= 90).all():
        return WGS84
    if _in_gb(x, y).all() and (np.abs(x) > 180).all():
        return BNG
    return None


def _table_points(table, name: str):
    """Coordinate cells, their CRS and labels, and the postcode column of a CSV/XLSX table.

    Returns ``(x, y, crs, labels, postcode_column)``; x and y are None when the file has
    only postcodes.
    """
    cols = list(table.columns)
    pairs = [((_find(cols, _EAST), _find(cols, _NORTH)), BNG, ("easting", "northing")),
             ((_find(cols, _LON), _find(cols, _LAT)), WGS84, ("longitude", "latitude"))]
    pc = _find(cols, _POSTCODE)
    for (cx, cy), crs, labels in pairs:
        if cx is not None and cy is not None:
            return table[cx].tolist(), table[cy].tolist(), crs, labels, pc
    cx, cy = _find(cols, ("x",)), _find(cols, ("y",))
    if cx is not None and cy is not None:
        crs = _xy_crs(table, cx, cy)
        if crs is None and pc is None:
            raise SitesError(f"sites file {name} has columns x,y that are neither all "
                             f"lon/lat degrees nor all British National Grid metres; rename "
                             f"them longitude,latitude or easting,northing")
        if crs is not None:
            labels = ("x (longitude)", "y (latitude)") if crs == WGS84 else \
                ("x (easting)", "y (northing)")
            return table[cx].tolist(), table[cy].tolist(), crs, labels, pc
    if pc is not None:
        return None, None, BNG, ("easting", "northing"), pc
    raise SitesError(f"sites file {name} has no geometry: a table needs columns "
                     f"easting,northing (EPSG:27700), latitude,longitude (WGS84) or a UK "
                     f"postcode column; it has {', '.join(cols) or 'none'}")


def _table_sites(table, name: str):
    """Reasons, BNG x, y and the point columns used, for a CSV/XLSX table."""
    from .postcodes import lookup_postcodes

    x, y, crs, labels, pc = _table_points(table, name)
    n = len(table)
    if x is None:
        px, py, why = lookup_postcodes(table[pc].tolist())
        return [None if w is None else f"{w}; correct it or give coordinates"
                for w in why], px, py, crs
    reasons, bx, by = row_reasons(x, y, crs=crs, labels=labels)
    if pc is not None:  # a blank coordinate falls back to the row's postcode
        blank = [i for i in range(n) if reasons[i] is not None and " has no " in
                 f" {reasons[i]}" and _text(table[pc].iloc[i])]
        if blank:
            px, py, why = lookup_postcodes(table[pc].iloc[blank].tolist())
            for k, i in enumerate(blank):
                if why[k] is None:
                    reasons[i], bx[i], by[i] = None, px[k], py[k]
                else:
                    reasons[i] = (f"{why[k]}, and {reasons[i].split(';')[0]}; correct one "
                                  f"of them")
    return reasons, bx, by, crs


def _geo_sites(table, name: str):
    """Reasons and BNG geometries of a GeoPackage/GeoJSON/Shapefile table."""
    import geopandas as gpd
    import shapely

    if not isinstance(table, gpd.GeoDataFrame) or "geometry" not in table or \
            (len(table) and table.geometry.isna().all()):
        raise SitesError(f"sites file {name} has no geometry; give points or polygons "
                         f"(or a CSV with easting,northing or latitude,longitude)")
    if table.crs is None:
        raise SitesError(f"sites file {name} has no CRS; set it (EPSG:27700 for British "
                         f"National Grid, EPSG:4326 for lon/lat) and try again")
    crs = table.crs.to_string()
    geoms = table.geometry
    empty = (geoms.isna() | geoms.is_empty).to_numpy()
    gtype = geoms.geom_type.to_numpy()
    known = {int(i): "has no geometry; draw it or remove the row" for i in np.flatnonzero(empty)}
    for i in np.flatnonzero(~empty & ~np.isin(gtype, ["Point", "Polygon", "MultiPolygon"])):
        known[int(i)] = f"is a {gtype[i]}; give a point or a polygon"
    use = np.array([i not in known for i in range(len(table))], dtype=bool)
    g = geoms.copy()
    g[use] = shapely.make_valid(geoms[use].to_numpy()) if use.any() else g[use]
    reps = g.copy()
    reps[use] = g[use].representative_point()
    x = [p.x if u else None for p, u in zip(reps, use)]
    y = [p.y if u else None for p, u in zip(reps, use)]
    labels = ("longitude", "latitude") if table.crs.is_geographic else ("x", "y")
    reasons, _, _ = row_reasons(x, y, crs=crs, labels=labels, known=known)
    ok = np.array([r is None for r in reasons], dtype=bool)
    out = gpd.GeoSeries([None] * len(table), crs=BNG)
    if ok.any():
        out[ok] = gpd.GeoSeries(g[ok].to_numpy(), crs=table.crs).to_crs(BNG).to_numpy()
    return reasons, out, crs, table.drop(columns=table.geometry.name)


def _column(table, given: str | None, keys, what: str, name: str) -> str | None:
    if given is None:
        return _find(table.columns, keys)
    if given in table.columns:
        return given
    have = ", ".join(str(c) for c in table.columns if c != "geometry") or "none"
    raise SitesError(f"sites file {name} has no column {given!r} for the site {what} (it "
                     f"has: {have}); pass one of those as the {what} column")


def read_sites(path, *, name_column: str | None = None, id_column: str | None = None
               ) -> geopandas.GeoDataFrame:  # noqa: F821
    """Read a user's candidate sites in EPSG:27700, every row kept, bad ones flagged.

    Reads GeoPackage, GeoJSON, Shapefile (the first layer; points or polygons, any CRS),
    or a CSV/XLSX table (the first sheet) with coordinates or UK postcodes (see the module
    docstring for the column names). Polygons stay polygons (scored by zonal statistics in
    :func:`growthzones.score_sites`). Every table cell is read as text, so a name such as
    ``=SUM(A1)`` or ``007`` is kept as it is (writers neutralise formulas, not readers).

    A row that cannot be used (no, non-numeric, swapped or out-of-GB coordinates, an
    unknown postcode, no geometry) is kept with no geometry and its reason in
    ``problem``; only a file with no usable row is refused.

    Parameters
    ----------
    path
        A ``.csv``, ``.xlsx``, ``.gpkg``, ``.geojson``/``.json`` or ``.shp`` file.
    name_column
        Column holding the site names. Default: ``name``, ``site name`` or ``site`` (any
        case) if there is one; rows without a name are called ``site <row>``.
    id_column
        Column holding the user's site ids. Default: ``id``, ``site id``, ``ref``,
        ``site ref`` or ``reference`` if there is one, else none (``site_id`` is then
        filled by :func:`growthzones.score_sites` from the grid cell).

    Returns
    -------
    geopandas.GeoDataFrame
        In file order: ``site_id`` (str, "" when there is no id column), ``name``
        (str), ``input_row`` (1-based, after the header), ``problem`` (``""`` when
        usable, else why not, e.g. ``"has no latitude; fill it or remove the row"``),
        then the user's own columns (clashing names as ``user_<name>``), geometry
        (Point, Polygon or MultiPolygon in EPSG:27700; None when unusable).

    Raises
    ------
    SitesError
        If the path is missing, a folder, or of an unsupported type; the file is empty,
        unreadable, has no rows, geometry or CRS; ``name_column`` or ``id_column`` is
        not a column; or no row is usable (the first few named with their reasons).
    """
    from pathlib import Path

    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise SitesError(f"sites file {path} not found; check the path")
    if path.is_dir():
        raise SitesError(f"sites path {path} is a folder, not a file; give a "
                         f".csv/.xlsx/.gpkg/.geojson/.shp file")
    suffix = path.suffix.lower()
    if suffix not in SITE_SUFFIXES:
        raise SitesError(f"sites file {path.name} has type {suffix or '(no suffix)'!r}; give "
                         f"one of {', '.join(SITE_SUFFIXES)}")
    if path.stat().st_size == 0:
        raise SitesError(f"sites file {path.name} is empty; give one row or feature per site")
    try:
        if suffix in (".csv", ".xlsx"):
            table = _read_table(path, suffix)
            if len(table) == 0:
                raise SitesError(f"sites file {path.name} has no rows; add one row per site")
            reasons, bx, by, crs = _table_sites(table, path.name)
            geometry = gpd.GeoSeries(
                [None if r is not None else _point(x, y)
                 for r, x, y in zip(reasons, bx, by)], crs=BNG)
        else:
            raw = gpd.read_file(path)
            if len(raw) == 0:
                raise SitesError(f"sites file {path.name} has no rows; add one row per site")
            reasons, geometry, crs, table = _geo_sites(raw, path.name)
    except SitesError:
        raise
    except Exception as exc:  # pyogrio/pandas/openpyxl raise many types for unreadable files
        msg = " ".join(str(exc).split())[:200]
        raise SitesError(f"cannot read sites file {path.name}: {msg}; check it opens in a "
                         f"GIS or spreadsheet and is a valid {suffix} file") from None
    name_col = _column(table, name_column, _NAMES, "name", path.name)
    id_col = _column(table, id_column, _IDS, "id", path.name)
    names = [_text(v) for v in table[name_col]] if name_col is not None else [""] * len(table)
    ids = [_text(v) for v in table[id_col]] if id_col is not None else [""] * len(table)
    n = len(table)
    front = pd.DataFrame({
        "site_id": pd.Series(ids, dtype=object),
        "name": pd.Series([nm or f"site {i + 1}" for i, nm in enumerate(names)], dtype=object),
        "input_row": np.arange(1, n + 1),
        "problem": pd.Series(["" if r is None else r for r in reasons], dtype=object)})
    # a user column that *is* one of ours (a "name" column used as the names) is not doubled
    same = [c for c, ours in ((name_col, "name"), (id_col, "site_id"))
            if c is not None and str(c).lower() == ours]
    mine = user_columns(table.drop(columns=same).reset_index(drop=True),
                        [*READ_COLUMNS, *FILE_COLUMNS])
    sites = gpd.GeoDataFrame(pd.concat([front, mine], axis=1),
                             geometry=geometry.reset_index(drop=True), crs=BNG)
    _refuse_if_none_usable(path.name, sites, crs)
    return sites


def _point(x: float, y: float):
    import shapely

    return shapely.Point(x, y)
