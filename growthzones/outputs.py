"""What the commands write: ``run``, ``compare`` and ``stability`` outputs, each as one set.

:func:`write_outputs` writes exactly what ``growthzones run`` writes (ranking.csv,
sites.geojson, score.tif, map.html), so a notebook can produce the same files. Every
writer checks first (:func:`check_result` refuses a result with nothing valid to write:
every cell excluded, an all-NaN score) and publishes its files as one set with
:func:`growthzones.fileset.write_set`: a crash or a kill leaves the old complete set.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._errors import ResultError
from . import fileset
from .fileset import STDERR, _say, check_out_folder, write_set

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


RUN_FILES = ("ranking.csv", "sites.geojson", "score.tif", "map.html")


def write_outputs(result, sites, folder: str | os.PathLike, *, map: bool = True,
                  offline: bool = True, log=STDERR) -> list[Path]:
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

    Returns
    -------
    list of pathlib.Path
        ``ranking.csv``, ``sites.geojson``, ``score.tif`` and ``map.html`` in ``folder``.

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
    names = list(RUN_FILES if map else RUN_FILES[:3])
    with write_set(folder, log=log) as staged:
        staged.write_csv("ranking.csv", sites.drop(columns="geometry"))
        # written under its final name, so the GeoJSON layer is called "sites"
        sites.to_crs(4326).to_file(staged.path("sites.geojson"), driver="GeoJSON",
                                   layer="sites")
        write_raster(staged.path("score.tif"), result.surface("score"), result.grid,
                     tags={"scenario": sc.name, "weights": sc.weights,
                           "exclusions": ",".join(sc.exclusions)})
        if map:
            from .maps import map_html, render_map

            _say("rendering map ...", log)
            fileset._hook("map")
            page = map_html(render_map(result, sites, offline=offline), offline=offline)
            staged.write_text("map.html", page)
    return [folder / n for n in names]


def write_comparison(cmp, folder: str | os.PathLike, *, log=STDERR) -> list[Path]:
    """Write ``comparison.csv`` and ``difference.tif`` of a scenario comparison as one set."""
    from .io import write_raster

    if len(cmp.sites) == 0:
        raise ResultError("the comparison has no site in either top list; loosen the "
                          "scenarios' exclusions or constraints")
    folder = check_out_folder(folder)
    with write_set(folder, log=log) as staged:
        staged.write_csv("comparison.csv", cmp.sites)
        write_raster(staged.path("difference.tif"), cmp.surface("difference"), cmp.a.grid,
                     tags={"a": cmp.a.scenario.name, "b": cmp.b.scenario.name,
                           "meaning": "score B minus score A"})
    return [folder / "comparison.csv", folder / "difference.tif"]


def write_stability(table, folder: str | os.PathLike, *, log=STDERR) -> list[Path]:
    """Write ``stability.csv`` (from :func:`growthzones.rank_stability`) as one set."""
    if len(table) == 0:
        raise ResultError("the stability table is empty: no site was ranked; loosen the "
                          "scenario's exclusions or constraints")
    folder = check_out_folder(folder)
    with write_set(folder, log=log) as staged:
        staged.write_csv("stability.csv", table)
    return [folder / "stability.csv"]
