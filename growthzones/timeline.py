"""Per-site timeline: each site's grid criteria and score on every network year's grid.

``growthzones run`` writes it as ``sites_timeline.csv`` beside ``ranking.csv`` (a dossier
reads it too): one row per site and ETYS snapshot, with the scenario's score there (same
weights), the raw values of the criteria that depend on the network year
(:data:`growthzones.layers.grid_capacity.NETWORK_YEAR_CRITERIA`), and what changed near
the site since the previous snapshot (change-table rows, node MVA, TEC queue;
:func:`growthzones.layers.grid_capacity.why_changes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .network_years import at_network_year, root_of
from .scoring import ScoreResult, cell_at, clear_cache, score, without_matrix
from .store import RESIDENT_CELLS

#: Sites whose ``why`` text is written, in table order (a ranking's best first): the
#: numbers are vectorised, the text is ~1 ms per site and year, so 100,000 user sites
#: would take minutes; past this many the column is empty and the criteria still say it.
WHY_SITES = 500
#: Leading columns of :func:`site_timeline` (the criteria follow, then ``why``).
TIMELINE_COLUMNS = ["site_id", "name", "network_year", "snapshot", "score", "excluded"]


def network_year_results(result: ScoreResult, *, workers: int = 2) -> dict[int, ScoreResult]:
    """The result's scenario scored on every network year's grid of its store, by snapshot.

    Each year is scored in one of ``workers`` threads (reading its rasters and building
    its criteria matrix release the GIL), so ``run`` can start them while it picks the
    sites. Empty for a store without network years. A store of more than
    :data:`~growthzones.store.RESIDENT_CELLS` land cells (100 m) scores one year at a time
    and keeps each other year without its criteria matrix
    (:func:`~growthzones.scoring.without_matrix`), so the run holds only its own.
    """
    from concurrent.futures import ThreadPoolExecutor

    store = root_of(result.store)
    snaps = sorted(store.network_years())
    if not snaps:
        return {}
    big = store.land_index.size > RESIDENT_CELLS

    def one(snap):
        r = score(store, result.scenario, network_year=snap)
        if big and r.store is not result.store:
            # A year's criteria matrix is a copy of every criterion (1.9 GB at GB 100 m):
            # keep the year's scores, not the matrix (neither in the result nor in the
            # cache), and let a later re-score of that year rebuild it.
            r = without_matrix(r)
            clear_cache(at_network_year(store, snap))
        return r

    if big:
        workers = 1  # one year's matrix in memory at a time
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(snaps))),
                            thread_name_prefix="gz-years") as pool:
        jobs = {snap: pool.submit(one, snap) for snap in snaps}
    return {snap: job.result() for snap, job in jobs.items()}


def site_timeline(result: ScoreResult, sites: pd.DataFrame, *,
                  results: dict[int, ScoreResult] | None = None) -> pd.DataFrame:
    """The sites' grid criteria and score in each network year of the result's store.

    Parameters
    ----------
    result
        From :func:`growthzones.score` (its scenario is re-scored per snapshot).
    sites
        From :func:`growthzones.rank_sites` or :func:`growthzones.score_sites`
        (``site_id``, ``name``, ``easting``, ``northing``).
    results
        :func:`network_year_results` of ``result``, if already computed (else they are).

    Returns
    -------
    pandas.DataFrame
        :data:`TIMELINE_COLUMNS` (``network_year``: the snapshot's first year;
        ``snapshot``: its label such as ``2029/30``; ``score``: before exclusions;
        ``excluded``: ruled out there), one column per network-year criterion (raw
        value, its unit), and ``why`` (empty in the first snapshot, and past the first
        :data:`WHY_SITES` sites). Empty (those columns)
        if the store has no network years.
    """
    from .layers.grid_capacity.changes import why_changes
    from .layers.grid_capacity.network import snapshot_label

    store = root_of(result.store)
    snaps = sorted(store.network_years())
    crit = list(store.network.get("criteria", []))
    cols = TIMELINE_COLUMNS + crit + ["why"]
    if not snaps or len(sites) == 0:
        return pd.DataFrame(columns=cols)
    # a user's row that could not be placed on land (problem set, no cell) has no timeline
    if "problem" in sites:
        sites = sites[sites["problem"].fillna("").astype(str) == ""]
    xy = sites[["easting", "northing"]].to_numpy(float)
    ok = np.isfinite(xy).all(axis=1)
    sites, xy = sites[ok], xy[ok]
    if len(sites) == 0:
        return pd.DataFrame(columns=cols)
    pos = np.array([cell_at(result, x, y) for x, y in xy], dtype=np.int64)
    tables = {k: store.network_table(k) for k in ("network_nodes", "network_changes",
                                                  "tec_projects")}
    parts, prev = [], None
    if results is None:
        results = network_year_results(result)
    for snap in snaps:
        r = results[snap]
        part = pd.DataFrame({"site_id": sites["site_id"].to_numpy(),
                             "name": sites["name"].to_numpy(), "network_year": snap,
                             "snapshot": snapshot_label(snap),
                             "score": r.score[pos].astype(float),
                             "excluded": r.excluded[pos].astype(bool)})
        for c in crit:
            part[c] = r.store.values_at(c, pos).astype(float)
        part["why"] = ["" if prev is None or i >= WHY_SITES
                       else why_changes(tables, x, y, prev, snap, with_rows=False)["text"]
                       for i, (x, y) in enumerate(xy)]
        parts.append(part)
        prev = snap
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(sites["site_id"])}
    out = out.sort_values(["site_id", "network_year"], key=lambda s: s.map(order)
                          if s.name == "site_id" else s, kind="stable")
    return out[cols].reset_index(drop=True)
