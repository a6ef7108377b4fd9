"""Scenario comparison: what changes when the weights, transforms or rules change.

:func:`compare_scenarios` scores two scenarios on the same layer store and reports
per-site rank changes, the sites entering and leaving the top N, and difference surfaces.

Sites are matched as places: each scenario's ranked sites come from
:func:`growthzones.rank_sites` (``pool`` of them, default ``max(5 * top, 50)``); a site
of B within ``match_km`` of a site of A is the same place, moved (``moved_km``). The
default is the separation distance, because site extraction never keeps two sites that
close: a B site that near an A site has taken its place. Matching is one to one, B's
best first, nearest A site first. A place in only one list has no rank in the other
(NaN: beyond the pool).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import InputError
from ._validate import positive_int
from .network_years import root_of
from .ranking import rank_sites
from .scenario import MAX_TOP, Scenario, check_min_separation_km, check_top
from .scoring import ScoreResult, cell_at, score
from .store import LayerStore


@dataclass
class Comparison:
    """Two scored scenarios side by side.

    Attributes
    ----------
    a, b
        The two results (A is the reference).
    sites
        One row per place ranked in either scenario (see :func:`compare_scenarios`).
    top
        N of "the top N".
    """

    a: ScoreResult
    b: ScoreResult
    sites: pd.DataFrame
    top: int

    @property
    def entered(self) -> pd.DataFrame:
        """Places in B's top N but not A's."""
        return self.sites[self.sites["status"] == "entered"]

    @property
    def left(self) -> pd.DataFrame:
        """Places in A's top N but not B's."""
        return self.sites[self.sites["status"] == "left"]

    def surface(self, what: str = "difference") -> np.ndarray:
        """A 2-D float32 array on the grid, NaN off land.

        ``"difference"``: B's score minus A's, before exclusions (where either has no
        data: NaN). ``"difference_ranked"``: the same where neither excludes the cell.
        ``"exclusion_change"``: +1 excluded in B only, -1 excluded in A only, 0 same.
        """
        a, b = self.a, self.b
        if what == "difference":
            v = b.score.astype(np.float32) - a.score.astype(np.float32)
        elif what == "difference_ranked":
            v = b.ranked.astype(np.float32) - a.ranked.astype(np.float32)
        elif what == "exclusion_change":
            v = b.excluded.astype(np.float32) - a.excluded.astype(np.float32)
        else:
            raise KeyError(f"no surface {what!r}; use 'difference', 'difference_ranked' or "
                           f"'exclusion_change'")
        return a.store.unflatten(v)

    def summary(self) -> str:
        """A few lines for a report: who entered, who left, the biggest movers."""
        lines = [f"{self.b.scenario.name!r} vs {self.a.scenario.name!r} (top {self.top}): "
                 f"{len(self.entered)} entered, {len(self.left)} left"]
        for label, df in (("entered", self.entered), ("left", self.left)):
            for r in df.itertuples():
                lines.append(f"  {label}: {r.name} ({r.site_id}) rank {_fmt(r.rank_a)} -> "
                             f"{_fmt(r.rank_b)}")
        return "\n".join(lines)


def _fmt(r) -> str:
    return "-" if r != r else f"{int(r)}"


def _result(store, s) -> ScoreResult:
    if isinstance(s, ScoreResult):
        return s
    if isinstance(s, Scenario):
        return score(store, s)
    raise InputError(f"a scenario to compare is a {type(s).__name__} ({str(s)[:40]!r}); give "
                     f"a Scenario (gz.load_scenario) or a ScoreResult (gz.score)")


def compare_scenarios(store: LayerStore, a: Scenario | ScoreResult, b: Scenario | ScoreResult,
                      *, top: int | None = None, pool: int | None = None,
                      match_km: float | None = None, within=None) -> Comparison:
    """Compare scenario B with scenario A on the same store.

    Parameters
    ----------
    store
        The layer store (results passed in must come from it).
    a, b
        Scenarios (scored here) or results of :func:`growthzones.score`.
    top
        N (default: A's ``[sites] top``).
    pool
        Sites ranked per scenario (default ``max(5 * top, 50)``).
    match_km
        Two sites this close (km) are the same place (default: A's separation).
    within
        Compare only places inside this area (a council, region, bbox, polygon, or an
        :class:`~growthzones.areas.Area`; see :func:`growthzones.rank_sites`). The
        difference surfaces stay national.

    Returns
    -------
    Comparison
        ``sites`` has one row per place: ``site_id``, ``name``, ``local_authority``,
        ``easting``, ``northing`` (A's site where both have it), ``rank_a``, ``rank_b``,
        ``rank_change`` (``rank_a - rank_b``: positive = rises under B), ``score_a``,
        ``score_b`` (each scenario's score at that cell, NaN if excluded there),
        ``status`` (``entered``, ``left``, ``stayed`` in the top N, or ``outside``),
        ``moved_km`` (distance from A's site to B's for a matched place),
        ``scenario_a``, ``scenario_b`` (the names, overrides included).

    Raises
    ------
    InputError
        ``store`` not a LayerStore, ``a``/``b`` not a Scenario or ScoreResult (or a result
        from another store), ``top`` not 1 .. MAX_TOP, ``pool`` < 1, ``match_km`` not in
        (0, MAX_SEPARATION_KM].
    """
    from scipy.spatial import cKDTree

    if not isinstance(store, LayerStore):
        raise InputError(f"store is a {type(store).__name__}; give the layer store first: "
                         f"compare_scenarios(gz.load_layers(), a, b)")
    if top is not None:
        top = check_top(top, "top", example="top=20")
    if pool is not None:
        pool = positive_int(pool, "pool", example="pool=100")
        if pool > 5 * MAX_TOP:
            raise InputError(f"pool is {pool}; it must be <= {5 * MAX_TOP}")
    if match_km is not None:
        match_km = check_min_separation_km(match_km, "match_km", example="match_km=25")
    ra, rb = _result(store, a), _result(store, b)  # each on its network year's view
    if _root(ra.store) is not _root(store) or _root(rb.store) is not _root(store):
        raise InputError("both results must be scored on the same store as `store`; score "
                         "them with gz.score(store, scenario) or pass the scenarios")
    top = top if top is not None else ra.scenario.top
    pool = pool if pool is not None else max(5 * top, 50)
    match_m = 1000 * (match_km if match_km is not None else ra.scenario.min_separation_km)
    if within is not None:
        from .areas import select_area

        within = select_area(store, within)  # once for both
    sa, sb = rank_sites(ra, top=pool, within=within), rank_sites(rb, top=pool, within=within)
    cols = ["site_id", "name", "local_authority", "easting", "northing"]
    # Match B's sites to A's: nearest unmatched A site within match_m, best B first.
    rank_b_of_a = np.full(len(sa), np.nan)
    moved = np.full(len(sa), np.nan)
    b_matched = np.zeros(len(sb), dtype=bool)
    if len(sa) and len(sb):
        tree = cKDTree(sa[["easting", "northing"]].to_numpy(float))
        for j, (x, y) in enumerate(sb[["easting", "northing"]].to_numpy(float)):
            for i in sorted(tree.query_ball_point([x, y], match_m),
                            key=lambda i: np.hypot(sa["easting"].iat[i] - x,
                                                   sa["northing"].iat[i] - y)):
                if np.isnan(rank_b_of_a[i]):
                    rank_b_of_a[i] = sb["rank"].iat[j]
                    moved[i] = np.hypot(sa["easting"].iat[i] - x, sa["northing"].iat[i] - y) / 1000
                    b_matched[j] = True
                    break
    rows_a = sa[cols].assign(rank_a=sa["rank"].to_numpy(float), rank_b=rank_b_of_a,
                             moved_km=moved)
    rows_b = sb.loc[~b_matched, cols].assign(rank_a=np.nan,
                                             rank_b=sb.loc[~b_matched, "rank"].to_numpy(float))
    df = pd.concat([rows_a, rows_b], ignore_index=True)
    pos = np.array([cell_at(ra, x, y) for x, y in zip(df["easting"], df["northing"])],
                   dtype=np.int64)
    df["score_a"] = ra.ranked[pos].astype(float) if len(pos) else []
    df["score_b"] = rb.ranked[pos].astype(float) if len(pos) else []
    df["rank_change"] = df["rank_a"] - df["rank_b"]
    in_a = df["rank_a"].fillna(np.inf) <= top
    in_b = df["rank_b"].fillna(np.inf) <= top
    df["status"] = np.select([in_a & in_b, in_b & ~in_a, in_a & ~in_b],
                             ["stayed", "entered", "left"], "outside")
    df = df.assign(_k=np.fmin(df["rank_a"], df["rank_b"])).sort_values(
        ["_k", "rank_a"]).drop(columns="_k").reset_index(drop=True)
    # the scenarios' names (with their overrides) on every row: the CSV stands alone
    df["scenario_a"], df["scenario_b"] = ra.scenario.name, rb.scenario.name
    order = ["site_id", "name", "local_authority", "rank_a", "rank_b", "rank_change",
             "score_a", "score_b", "status", "moved_km", "easting", "northing",
             "scenario_a", "scenario_b"]
    return Comparison(a=ra, b=rb, sites=df[order], top=top)


# --- network years: the same scenario on the grid of two years ---------------------------

def compare_network_years(store: LayerStore, scenario: Scenario, year_a: int, year_b: int, *,
                          top: int | None = None, pool: int | None = None,
                          match_km: float | None = None) -> Comparison:
    """The same scenario (same weights) scored on the grid of two network years.

    ``year_a`` is the reference. The result is :func:`compare_scenarios` of the two,
    with the columns of :func:`add_network_reasons` (``score_change``, ``why``).

    Raises
    ------
    InputError
        A year the store does not carry (the message lists those it has), or the checks
        of :func:`compare_scenarios`.
    """
    from .scenario import with_network_year

    if not isinstance(scenario, Scenario):
        raise InputError(f"scenario is a {type(scenario).__name__}; give a Scenario "
                         f"(gz.load_scenario)")
    a, b = with_network_year(scenario, year_a), with_network_year(scenario, year_b)
    return add_network_reasons(compare_scenarios(store, a, b, top=top, pool=pool,
                                                 match_km=match_km))


def _root(store: LayerStore) -> LayerStore:
    """The store a network-year view was made from (itself if it is not a view)."""
    return root_of(store)


def add_network_reasons(cmp: Comparison) -> Comparison:
    """Add ``score_change`` (B minus A at the place) and ``why`` to ``cmp.sites`` when A
    and B are scored on different network years.

    ``why`` names what changed near the place between the two snapshots, from the
    store's network tables (:func:`growthzones.layers.grid_capacity.why_changes`): the
    nearest 400/275 kV node and its circuit/transformer MVA, the TEC queue within 20 km,
    and the placed change-table rows (sheet and Excel row) near the place or at either
    node. Same network year: ``cmp`` unchanged.
    """
    from .layers.grid_capacity.changes import why_changes

    sa, sb = cmp.a.store.network_snapshot, cmp.b.store.network_snapshot
    if sa == sb or sa is None or sb is None:
        return cmp
    store = _root(cmp.a.store)
    tables = {k: store.network_table(k) for k in ("network_nodes", "network_changes",
                                                  "tec_projects")}
    df = cmp.sites
    df["score_change"] = df["score_b"] - df["score_a"]
    df["why"] = [why_changes(tables, float(x), float(y), sa, sb, with_rows=False)["text"]
                 for x, y in zip(df["easting"], df["northing"])]
    df.attrs["network_years"] = (sa, sb)
    return cmp


def network_year_movers(cmp: Comparison, n: int = 10) -> pd.DataFrame:
    """The ``n`` places whose score rises most and the ``n`` that fall most between the
    network years of ``cmp`` (see :func:`add_network_reasons`), rises first."""
    df = cmp.sites.dropna(subset=["score_change"]) if "score_change" in cmp.sites else \
        cmp.sites.iloc[0:0]
    up = df[df["score_change"] > 0].nlargest(n, "score_change")
    down = df[df["score_change"] < 0].nsmallest(n, "score_change")
    return pd.concat([up.assign(direction="rises"), down.assign(direction="falls")],
                     ignore_index=True)


def network_year_summary(cmp: Comparison, n: int = 10) -> str:
    """Lines for a report: the places that gain and lose most between two network years,
    and why."""
    years = cmp.sites.attrs.get("network_years")
    if not years:
        return ""
    from .layers.grid_capacity.network import snapshot_label

    a, b = (snapshot_label(y) for y in years)
    movers = network_year_movers(cmp, n)
    lines = [f"network year {b} vs {a}, same weights: places that gain and lose most"]
    for r in movers.itertuples():
        lines.append(f"  {r.direction}: {r.name} ({r.local_authority}) {r.score_a:.3f} -> "
                     f"{r.score_b:.3f} ({r.score_change:+.3f}): {r.why}")
    return "\n".join(lines)
