"""What the commands write: ``run``, ``compare`` and ``stability`` outputs, each as one set.

:func:`write_outputs` writes exactly what ``growthzones run`` writes (ranking.csv,
sites.geojson, score.tif, map.html), so a notebook can produce the same files. Every
writer checks first (:func:`check_result` refuses a result with nothing valid to write:
every cell excluded, an all-NaN score) and publishes its files as one set with
:func:`growthzones.fileset.write_set`: a crash or a kill leaves the old complete set.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import warnings
from pathlib import Path

import numpy as np

from . import fileset
from ._errors import ResultError
from .fileset import STDERR, _say, check_out_folder, write_set
from .ranking import site_regions


def check_result(result, sites=None) -> None:
    """Refuse a scoring result that has nothing valid to write; say why and what to change.

    Parameters
    ----------
    result : ScoreResult
        From :func:`growthzones.score`.
    sites : pandas.DataFrame, optional
        The sites that would be written; an empty table is refused. Given and not
        empty, every cell may be excluded: a user's sites in excluded cells are listed
        with the reason (``excluded_by``), which is worth writing.

    Raises
    ------
    ResultError
        If every score is NaN, ``sites`` is empty, or (without ``sites``) no cell is left
        after exclusions and constraints.
    """
    score = np.asarray(result.score)
    n = score.size
    if n == 0 or np.isnan(score).all():
        names = ", ".join(result.weights) or "none"
        raise ResultError(f"every land cell's score is NaN: no weighted criterion has data "
                          f"(weighted: {names}); give weight to a criterion with data "
                          f"(see 'growthzones criteria')")
    if sites is not None and len(sites) == 0:
        if np.isnan(np.asarray(result.ranked)).all():
            check_result(result)  # the reason: every cell excluded
        raise ResultError("no site to write: the sites table is empty; pass sites on GB land "
                          "or loosen the scenario's exclusions")
    if sites is None and np.isnan(np.asarray(result.ranked)).all():
        excl = set(result.scenario.exclusions)
        parts = [f"{'exclusion' if k in excl else 'constraint'} {k} removes {bad.sum():,} cells"
                 for k, bad in sorted(result.excluded_by.items(), key=lambda kv: -kv[1].sum())
                 if bad.any()]
        n_ex = int(np.asarray(result.excluded).sum())
        head = ("every land cell is excluded" if n_ex == n else
                f"no land cell is left to rank ({n_ex:,} of {n:,} excluded, the rest have "
                f"no score)")
        raise ResultError(f"{head} ({'; '.join(parts[:3]) or 'no exclusion'}); loosen "
                          f"[constraints] or drop [exclusions] in the scenario")


RUN_FILES = ("ranking.csv", "sites.geojson", "results.gpkg", "score.tif", "map.html")
#: The per-site network-year timeline ``run`` adds (see :mod:`growthzones.timeline`).
TIMELINE_FILE = "sites_timeline.csv"
#: Band description of ``score.tif``.
SCORE_DESCRIPTION = "suitability score (0-1)"
#: The file each command records its provenance in (see :mod:`growthzones.provenance`).
RECORD = "run.json"


def _record(staged, provenance, names) -> None:
    """Write ``run.json`` last, so its timings cover the other files."""
    if provenance is None:
        return
    from .provenance import write_record

    rec = provenance(list(names)) if callable(provenance) else dict(provenance)
    write_record(staged, rec)


def score_tags(scenario) -> dict:
    """Tags of ``score.tif``: scenario name, normalised weights, exclusions (JSON values)."""
    return {"scenario": scenario.name, "weights": dict(scenario.weights),
            "exclusions": list(scenario.exclusions),
            "except_previously_developed": list(scenario.except_previously_developed),
            "constraints": [c.label for c in scenario.constraints]}


def write_outputs(result, sites, folder: str | os.PathLike, *, map: bool = True,
                  offline: bool = True, log=STDERR, provenance=None,
                  user_sites: bool | None = None, timeline=None,
                  network_years=None) -> list[Path]:
    """Write what ``growthzones run`` writes, from one result, as one set.

    Parameters
    ----------
    result : ScoreResult
        From :func:`growthzones.score`.
    sites : geopandas.GeoDataFrame
        From :func:`growthzones.rank_sites` or :func:`growthzones.score_sites`
        (EPSG:27700).
    folder
        Output folder; other files in it are kept.
    map
        Also render ``map.html`` (the slow part).
    offline
        Self-contained map (see :func:`growthzones.map_html`).
    log
        Progress and clean-up lines (None: silent).
    provenance
        A ``run.json`` record (dict), or a callable taking the list of file names
        written and returning it (see :func:`growthzones.provenance.run_record`);
        None writes no ``run.json``.
    user_sites
        The sites are the user's own (``score_sites``): the GeoPackage gets
        ``user_sites``, ``user_sites_excluded`` and ``user_sites_unscored`` instead of
        ``sites`` and ``site_regions``. Default: True when ``sites`` has no ``region_area_km2``.
    timeline : pandas.DataFrame, optional
        :func:`growthzones.timeline.site_timeline` of the sites, written as
        ``sites_timeline.csv`` in the same set.
    network_years : dict, optional
        :func:`growthzones.timeline.network_year_results` of ``result``, for the map
        (see :func:`growthzones.render_map`).

    Returns
    -------
    list of pathlib.Path
        ``ranking.csv``, ``sites.geojson``, ``results.gpkg``, ``score.tif``, ``map.html``
        (and ``run.json``) in ``folder``.

    Notes
    -----
    ``score.tif`` is a float32 Cloud-Optimised GeoTIFF with overviews, band description
    :data:`SCORE_DESCRIPTION` and JSON tags (:func:`score_tags`). ``results.gpkg`` is
    described in :func:`write_geopackage`. ``sites.geojson`` (WGS84) is kept for the web.

    Raises
    ------
    ResultError
        If there is nothing valid to write (see :func:`check_result`); nothing is written.
    OutputError
        If ``folder`` cannot be written; nothing is written.
    """
    from .io import write_raster

    check_result(result, sites)
    folder = check_out_folder(folder)
    sc = result.scenario
    if user_sites is None:
        user_sites = "region_area_km2" not in sites.columns
    names = list(RUN_FILES if map else RUN_FILES[:4])
    if timeline is not None:
        names.append(TIMELINE_FILE)
    with write_set(folder, log=log) as staged:
        staged.write_csv("ranking.csv", sites.drop(columns="geometry"))
        if timeline is not None:
            staged.write_csv(TIMELINE_FILE, timeline)

        def geodata() -> None:
            # written under its final name, so the GeoJSON layer is called "sites"
            _to_file(sites.to_crs(4326), staged.path("sites.geojson"), driver="GeoJSON",
                     layer="sites")
            write_geopackage(staged.path("results.gpkg"), result, sites,
                             user_sites=user_sites)
            # result.surface("score"), a band of rows at a time (the map is drawn meanwhile)
            write_raster(staged.path("score.tif"), result.store.land_surface(
                result.ranked.astype(np.float32, copy=False)), result.grid, cog=True,
                description=SCORE_DESCRIPTION, tags=score_tags(sc))

        if not map:
            geodata()
        else:
            from concurrent.futures import ThreadPoolExecutor

            from .maps import map_html, render_map
            from .store import RESIDENT_CELLS

            # GDAL writes these in a thread while the map is built (its main thread
            # mostly waits for its overlay workers); each file is its own. Not on a big
            # grid: there the site regions' full-grid masks and the map's arrays would be
            # in memory together (~0.3 GB more at GB 100 m), so they are written first,
            # while the map's other network years are scored (run: in their own thread).
            beside = len(result.store.land_index) <= RESIDENT_CELLS
            if not beside:
                geodata()
            with (ThreadPoolExecutor(max_workers=1, thread_name_prefix="gz-write") if beside
                  else contextlib.nullcontext()) as side:
                written = side.submit(geodata) if beside else None
                _say("rendering map ...", log)
                fileset._hook("map")
                # a user's row with no usable location is in the tables, not on the map
                placed = sites[np.isfinite(sites["lat"].to_numpy(float))
                               & np.isfinite(sites["lon"].to_numpy(float))]
                page = map_html(render_map(result, placed, offline=offline,
                                           network_years=network_years), offline=offline)
                if written is not None:
                    written.result()
            staged.write_text("map.html", page)
        _record(staged, provenance, names)
    if provenance is not None:
        names.append(RECORD)
    return [folder / n for n in names]


def _to_file(gdf, path, **kwargs) -> None:
    """``gdf.to_file``; a NaN (no score, no data) is written as null without a warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "NaN of Infinity value found", RuntimeWarning)
        gdf.to_file(path, **kwargs)


# --- GeoPackage -------------------------------------------------------------------------------

#: viridis at five steps, for the score classes of the QGIS styles.
_VIRIDIS5 = ("68,1,84", "59,82,139", "33,145,140", "94,201,98", "253,231,37")


def _symbol(kind: str, index: int, color: str) -> str:
    if kind == "marker":
        opts = {"color": f"{color},255", "name": "circle", "size": "3.2",
                "outline_color": "35,35,35,255", "outline_width": "0.3"}
        cls = "SimpleMarker"
    else:
        opts = {"color": f"{color},150", "style": "solid", "outline_color": f"{color},255",
                "outline_width": "0.4"}
        cls = "SimpleFill"
    options = "".join(f'<Option name="{k}" type="QString" value="{v}"/>'
                      for k, v in opts.items())
    return (f'<symbol type="{kind}" name="{index}" alpha="1" clip_to_extent="1" '
            f'force_rhr="0"><layer class="{cls}" enabled="1" pass="0" locked="0">'
            f'<Option type="Map">{options}</Option></layer></symbol>')


def style_qml(kind: str, *, graduated: bool = True) -> str:
    """A minimal QGIS style (QML): graduated viridis by ``score`` in 0-1, or one grey symbol.

    ``kind`` is ``"marker"`` (points) or ``"fill"`` (polygons).
    """
    head = ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            '<qgis version="3.28.0" styleCategories="Symbology">')
    if not graduated:
        return (head + '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
                'forceraster="0"><symbols>' + _symbol(kind, 0, "150,150,150")
                + "</symbols></renderer-v2></qgis>")
    edges = np.linspace(0, 1, len(_VIRIDIS5) + 1)
    ranges = "".join(f'<range lower="{lo:g}" upper="{hi:g}" symbol="{i}" '
                     f'label="{lo:g} - {hi:g}" render="true"/>'
                     for i, (lo, hi) in enumerate(itertools.pairwise(edges)))
    symbols = "".join(_symbol(kind, i, c) for i, c in enumerate(_VIRIDIS5))
    return (head + '<renderer-v2 type="graduatedSymbol" attr="score" '
            'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><ranges>{ranges}</ranges><symbols>{symbols}</symbols>'
            "</renderer-v2></qgis>")


#: QGIS's own layer_styles table (what QGIS reads for a layer's default style).
_LAYER_STYLES_DDL = """CREATE TABLE IF NOT EXISTS layer_styles (
 id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
 f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
 styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
 update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"""


def _add_styles(path, styles: dict[str, str]) -> None:
    """Store ``{layer: QML}`` as each layer's default style in the GeoPackage."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(_LAYER_STYLES_DDL)
            con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, "
                        "identifier, description, last_change) VALUES ('layer_styles', "
                        "'attributes', 'layer_styles', 'QGIS default styles', "
                        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
            for layer, qml in styles.items():
                geom = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE "
                                   "table_name = ?", (layer,)).fetchone()
                con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                            "f_table_name, f_geometry_column, styleName, styleQML, "
                            "styleSLD, useAsDefault, description, owner, ui) "
                            "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                            (layer, geom[0] if geom else "geom", layer, qml,
                             "growthzones default style"))
    finally:
        con.close()


def write_geopackage(path, result, sites, *, user_sites: bool = False) -> Path:
    """Write the sites as a QGIS-ready GeoPackage (EPSG:27700), each layer styled.

    Layers: ``sites`` (points) and ``site_regions`` (polygons, :func:`site_regions`) for
    picked sites; for the user's own sites (``user_sites=True``) ``user_sites`` (the ranked
    ones, in the geometry the reader gave) and ``user_sites_excluded`` (those in excluded
    cells, with ``excluded_by``) and ``user_sites_unscored`` (rows that could not be scored,
    with ``problem``; geometry empty where the row had none), each written only when not
    empty; every column of the user's file is kept. A ``layer_styles``
    table (the one QGIS reads) holds a default style per layer: viridis graduated by
    ``score``, grey for excluded sites, so QGIS opens the file coloured. Text cells are
    data: names go in as values, never into SQL or the style.
    """
    path = Path(path)
    layers: dict[str, tuple] = {}
    if user_sites:
        def flagged(col):
            return (sites[col].fillna("").astype(str) != "").to_numpy() if col in \
                sites.columns else np.zeros(len(sites), bool)
        unscored = flagged("problem")
        excl = flagged("excluded_by") & ~unscored
        for name, keep, graduated in (("user_sites", ~excl & ~unscored, True),
                                      ("user_sites_excluded", excl, False),
                                      ("user_sites_unscored", unscored, False)):
            if keep.any():
                layers[name] = (sites[keep], graduated)
    else:
        layers["sites"] = (sites, True)
        layers["site_regions"] = (site_regions(result, sites), True)
    styles = {}
    for name, (gdf, graduated) in layers.items():
        _to_file(gdf, path, driver="GPKG", layer=name, engine="pyogrio")
        kind = "fill" if gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all() else "marker"
        styles[name] = style_qml(kind, graduated=graduated)
    _add_styles(path, styles)
    return path


def write_comparison(cmp, folder: str | os.PathLike, *, log=STDERR,
                     provenance=None) -> list[Path]:
    """Write ``comparison.csv`` and ``difference.tif`` (float32 COG) as one set.

    ``provenance`` as :func:`write_outputs` (adds ``run.json``).
    """
    from .io import write_raster

    if len(cmp.sites) == 0:
        raise ResultError("the comparison has no site in either top list; loosen the "
                          "scenarios' exclusions or constraints")
    folder = check_out_folder(folder)
    names = ["comparison.csv", "difference.tif"]
    with write_set(folder, log=log) as staged:
        staged.write_csv("comparison.csv", cmp.sites)
        write_raster(staged.path("difference.tif"),
                     cmp.surface("difference").astype(np.float32), cmp.a.grid, cog=True,
                     description="score B minus score A",
                     tags={"a": cmp.a.scenario.name, "b": cmp.b.scenario.name,
                           "meaning": "score B minus score A"})
        _record(staged, provenance, names)
    return [folder / n for n in names] + ([folder / RECORD] if provenance is not None else [])


def write_stability(table, folder: str | os.PathLike, *, log=STDERR,
                    provenance=None) -> list[Path]:
    """Write ``stability.csv`` (from :func:`growthzones.rank_stability`) as one set.

    ``provenance`` as :func:`write_outputs` (adds ``run.json``).
    """
    if len(table) == 0:
        raise ResultError("the stability table is empty: no site was ranked; loosen the "
                          "scenario's exclusions or constraints")
    folder = check_out_folder(folder)
    with write_set(folder, log=log) as staged:
        staged.write_csv("stability.csv", table)
        _record(staged, provenance, ["stability.csv"])
    return [folder / "stability.csv"] + ([folder / RECORD] if provenance is not None else [])
