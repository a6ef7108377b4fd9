"""Per-site timeline: each site's grid criteria and score on every network year's grid.

``growthzones run`` writes it as ``sites_timeline.csv`` beside ``ranking.csv`` (a dossier
reads it too): one row per site and ETYS snapshot, with the scenario's score there (same
weights), the raw values of the criteria that depend on the network year
(:data:`growthzones.layers.grid_capacity.NETWORK_YEAR_CRITERIA`), and what changed near
the site since the previous snapshot (change-table rows, node MVA, TEC queue;
:func:`growthzones.layers.grid_capacity.why_changes`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .network_years import at_network_year, root_of
from .scoring import ScoreResult, cell_at, score, scorer_at, scores_at
from .store import RESIDENT_CELLS

#: Sites whose ``why`` text is written, in table order (a ranking's best first): the
#: numbers are vectorised, the text is ~1 ms per site and year, so 100,000 user sites
#: would take minutes; past this many the column is empty and the criteria still say it.
WHY_SITES = 500
#: Leading columns of :func:`site_timeline` (the criteria follow, then ``why``).
TIMELINE_COLUMNS = ["site_id", "name", "network_year", "snapshot", "score", "excluded"]


def network_year_results(result: ScoreResult, *, workers: int = 2,
                         draw_ahead: bool = False) -> Mapping[int, ScoreResult]:
    """The result's scenario scored on every network year's grid of its store, by snapshot.

    Each year is scored in one of ``workers`` threads (reading its rasters and building
    its criteria matrix release the GIL), so ``run`` can start them while it picks the
    sites. Empty for a store without network years.

    A store of more than :data:`~growthzones.store.RESIDENT_CELLS` land cells (100 m)
    gives instead a mapping that scores each other year each time it is read, a chunk of
    cells at a time without its criteria matrix (``score(..., matrix=False)``; 1.9 GB a
    year at GB 100 m), and keeps none. What the map draws of the first and the last year
    (``.drawn``, their score on the map's coarse grid,
    :func:`growthzones.maps._overview.drawn_score`, made from a chunk of cells at a time,
    :func:`~growthzones.scoring.scorer_at`, without any full vector of the year) is
    made when first asked for, or with ``draw_ahead`` at once in a thread of its own
    (``run``: while it picks the sites and writes the tables; ~3 s a year at GB 100 m).
    :func:`site_timeline` scores every year at the sites alone (``at_sites``:
    :func:`~growthzones.scoring.scores_at`, the same numbers), so a run holds its own
    matrix and at most one other year at a time.
    """
    from concurrent.futures import ThreadPoolExecutor

    store = root_of(result.store)
    snaps = sorted(store.network_years())
    if not snaps:
        return {}
    if store.land_index.size > RESIDENT_CELLS:
        years = _YearsWhenRead(result, snaps)
        if draw_ahead:
            years.draw_ahead()
        return years
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(snaps))),
                            thread_name_prefix="gz-years") as pool:
        jobs = {snap: pool.submit(score, store, result.scenario, network_year=snap)
                for snap in snaps}
    return {snap: job.result() for snap, job in jobs.items()}


class _YearsWhenRead(Mapping):
    """:func:`network_year_results` of a big store: each year scored when read; what the
    map draws of the first and the last made once (see there)."""

    def __init__(self, result: ScoreResult, snaps: list[int]):
        import threading

        self._result, self._snaps = result, snaps
        #: the years the map draws: the first and the last, where not the result's own
        self._ends = tuple(dict.fromkeys(snap for snap in snaps[:1] + snaps[-1:]
                                         if snap != result.store.network_snapshot))
        self._drawing = None  # the Future of .drawn, once started
        self._lock = threading.Lock()

    def __getitem__(self, snap: int) -> ScoreResult:
        if snap not in self._snaps:
            raise KeyError(snap)
        root = root_of(self._result.store)
        if self._result.store is at_network_year(root, snap):
            return self._result  # its own year
        return score(root, self._result.scenario, network_year=snap, matrix=False)

    def draw_ahead(self) -> None:
        """Start making :attr:`drawn` in a thread of its own (once)."""
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if self._drawing is None:
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gz-drawn")
                self._drawing = pool.submit(self._draw)
                pool.shutdown(wait=False)  # its thread ends with the job

    @property
    def drawn(self) -> dict[int, object]:
        """What the map draws of the first and the last year, where not the result's own
        (:func:`growthzones.maps._overview.drawn_score`), by snapshot; made when first
        asked for unless :meth:`draw_ahead` started it (its error, if any, is raised
        here)."""
        self.draw_ahead()
        return self._drawing.result()

    def _draw(self) -> dict[int, object]:
        from .maps._overview import OverviewResult, drawn_score, map_view

        view = map_view(self._result)
        if not isinstance(view, OverviewResult):  # the map draws the grid whole
            return {snap: self[snap] for snap in self._ends}
        root, nan = root_of(self._result.store), np.float32(np.nan)
        out = {}
        for snap in self._ends:  # a chunk of cells at a time: no full vector of the year
            at, excluded = scorer_at(root, self._result.scenario, network_year=snap)
            out[snap] = drawn_score(view, lambda pos, at=at, ex=excluded:
                                    np.where(ex[pos], nan, at(pos)))
        return out

    def at_sites(self, snap: int, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, object]:
        """``(score, excluded, store view)`` of year ``snap`` at land positions ``pos``,
        scored there alone (:func:`~growthzones.scoring.scores_at`, the same numbers)."""
        root = root_of(self._result.store)
        if self._result.store is at_network_year(root, snap):
            return _at(self._result, pos)
        s, ex = scores_at(root, self._result.scenario, pos, network_year=snap)
        return s, ex, at_network_year(root, snap)

    def __contains__(self, snap) -> bool:  # without scoring it (Mapping's would)
        return snap in self._snaps

    def __iter__(self):
        return iter(self._snaps)

    def __len__(self) -> int:
        return len(self._snaps)


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
        :func:`network_year_results` of ``result``, if already made (else it is); each
        year is read once.

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
    at_sites = getattr(results, "at_sites", lambda snap, pos: _at(results[snap], pos))
    for snap in snaps:
        s, ex, view = at_sites(snap, pos)
        part = pd.DataFrame({"site_id": sites["site_id"].to_numpy(),
                             "name": sites["name"].to_numpy(), "network_year": snap,
                             "snapshot": snapshot_label(snap),
                             "score": s.astype(float), "excluded": ex.astype(bool)})
        for c in crit:
            part[c] = view.values_at(c, pos).astype(float)
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


def _at(r: ScoreResult, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, object]:
    return r.score[pos], r.excluded[pos], r.store
