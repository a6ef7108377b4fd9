"""National context of a site: its percentile among GB land, why it is excluded, what drives it.

Pure functions over a :class:`~growthzones.ScoreResult` and a site table (from
:func:`growthzones.ranking.site_table`, :func:`growthzones.rank_sites` or
:func:`growthzones.score_sites`); both site tables call :func:`site_context`, and the
dossier can call it on any table with the same columns.

Percentile rule: the share (in %) of scored GB land cells whose score is at or below the
site's, so the best cell is at the 100th percentile and ties share the higher figure.
``national_percentile`` ranks the score after exclusions among the cells left after
exclusions; ``national_percentile_before_exclusions`` ranks the score before exclusions
among every scored land cell (what an excluded site would have been).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .scoring import ScoreResult

#: Which named features (the store's ``features.csv``, by ``kind``) stand behind a
#: criterion: a site's contribution from it is explained by the nearest such feature.
FEATURE_KINDS = {
    "retired_capacity_mw": "power station", "dist_closed_power_station_km": "power station",
    "retired_generation_mw_10km": "power station", "post_industrial": "power station",
    "dist_former_industry_km": "works",
    "dist_transmission_km": "substation", "transmission_node_mva": "substation",
    "transformer_mva": "substation",
}
#: How many of the largest contributions ``top_contributions`` names.
TOP_CONTRIBUTIONS = 3
#: Columns :func:`site_context` returns.
CONTEXT_COLUMNS = ("national_percentile", "national_percentile_before_exclusions", "status",
                   "top_contributions", "notes")


def percentile_of(sorted_scores: np.ndarray, values) -> np.ndarray:
    """Percent of ``sorted_scores`` (ascending, no NaN) at or below each value (NaN stays).

    >>> percentile_of(np.array([0.1, 0.2, 0.2, 0.9]), [0.9, 0.2, 0.0, np.nan]).tolist()
    [100.0, 75.0, 0.0, nan]
    """
    v = np.asarray(values, dtype=float)
    if sorted_scores.size == 0:
        return np.full(v.shape, np.nan)
    out = 100.0 * np.searchsorted(sorted_scores, v, side="right") / sorted_scores.size
    return np.where(np.isnan(v), np.nan, out)


def national_percentile(result: ScoreResult, scores, *, before_exclusions: bool = False
                        ) -> np.ndarray:
    """Each score's national percentile among the scored GB land cells of ``result``.

    Parameters
    ----------
    result
        A scoring result.
    scores
        Scores in [0, 1] (a cell's, or a polygon's area-weighted mean).
    before_exclusions
        Rank among every scored land cell's score before exclusions (else among the
        cells left after exclusions, by their score).

    Returns
    -------
    numpy.ndarray
        Percentiles in [0, 100] (NaN where the score is NaN), rounded to 0.01.
    """
    v = np.asarray(result.score if before_exclusions else result.ranked)
    v = v[~np.isnan(v)]
    x = np.atleast_1d(np.asarray(scores, dtype=float))
    if x.size <= 32:  # a few sites: count directly (a sort of GB at 100 m takes seconds)
        # compared in the score's own dtype, as the cells are
        cast = x.astype(v.dtype)
        share = np.array([100.0 * np.count_nonzero(v <= c) / v.size if v.size else np.nan
                          for c in cast])
        return np.round(np.where(np.isnan(x), np.nan, share), 2)
    return np.round(percentile_of(np.sort(v.astype(float)), x.astype(v.dtype).astype(float)),
                    2)


def _num(x: float) -> str:
    """A raw value for a sentence: ``17,130``, ``2.3``, ``0.286``."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _pct(p: float) -> str:
    """A percentile to one decimal, rounded down (99.96 is not yet the 100th)."""
    return f"{np.floor(p * 10) / 10:.1f}"


def _kind_of(kind: str) -> str:
    """A ``features.csv`` kind as one of the groups of :data:`FEATURE_KINDS`."""
    k = str(kind)
    if k.endswith("power station"):
        return "power station"
    if k == "substation":
        return "substation"
    if k.endswith(("works", "mill", "refinery")):
        return "works"
    return k


class _Neighbours:
    """Points of ``ref`` near each of ``pts`` (both ``(n, 2)``, metres).

    A few sites among a few thousand places (``rank_sites``' 20, their context) are a
    direct distance table: importing ``scipy.spatial`` costs more (~0.35 s) than the
    search. Many sites (a user's file) use a k-d tree. Either gives the same indices, in index order, and
    the same nearest point: of equally near ones, the first in ``ref``'s order.
    """

    #: Most (site, reference point) pairs searched directly.
    DIRECT_PAIRS = 4_000_000

    def __init__(self, ref: np.ndarray, pts: np.ndarray):
        self.ref, self.pts = ref, pts
        self.direct = len(ref) * len(pts) <= self.DIRECT_PAIRS
        if not self.direct:
            from scipy.spatial import cKDTree

            self.tree = cKDTree(ref)

    def _d2(self, pts: np.ndarray) -> np.ndarray:
        return ((pts[:, None, 0] - self.ref[None, :, 0]) ** 2
                + (pts[:, None, 1] - self.ref[None, :, 1]) ** 2)

    def within(self, radius_m: float) -> list:
        """Per point, the indices of ``ref`` within ``radius_m`` (sorted)."""
        if not self.direct:
            return [sorted(n) for n in self.tree.query_ball_point(self.pts, radius_m)]
        d2 = self._d2(self.pts)
        # the tree's test, on the same float64 distances: d <= r
        return [np.flatnonzero(row).tolist() for row in np.sqrt(d2) <= radius_m]

    def nearest(self, which=slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m) to and index of the nearest point of ``ref`` for each of
        ``pts[which]``."""
        pts = self.pts[which]
        if self.direct:
            d2 = self._d2(pts)
            i = np.argmin(d2, axis=1)  # the first of equals
            return np.sqrt(d2[np.arange(len(i)), i]), i
        d, i = self.tree.query(pts)
        # the tree returns any of equally near points: take the first, as the table does
        for k, near in enumerate(self.tree.query_ball_point(pts, d * (1 + 1e-9))):
            if len(near) > 1:
                near = np.sort(near)
                d2 = ((pts[k, 0] - self.ref[near, 0]) ** 2 + (pts[k, 1] - self.ref[near, 1]) ** 2)
                i[k] = near[np.argmin(d2)]
                d[k] = np.sqrt(d2.min())
        return d, i


def nearest_named(features: pd.DataFrame | None, group: str, x, y
                  ) -> tuple[list[str], np.ndarray]:
    """The label of the nearest named feature of ``group`` to each point, and its distance.

    Parameters
    ----------
    features
        ``label``, ``kind``, ``easting``, ``northing`` (EPSG:27700), as the store's
        ``features.csv`` (rows with an empty ``label`` name nothing); None (a store
        built without it) names nothing.
    group
        ``"power station"``, ``"works"`` or ``"substation"`` (see :data:`FEATURE_KINDS`).
    x, y
        Points in EPSG:27700 metres.

    Returns
    -------
    labels, km
        ``""`` and NaN where there is no such feature (or the point is NaN).
    """
    from .store import naming_features

    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    labels, km = [""] * len(x), np.full(len(x), np.nan)
    features = naming_features(features)  # rows with a label
    if features is None or len(features) == 0 or len(x) == 0:
        return labels, km
    f = features[features["kind"].map(_kind_of) == group]
    ok = np.isfinite(x) & np.isfinite(y)
    if len(f) == 0 or not ok.any():
        return labels, km
    d, i = _Neighbours(f[["easting", "northing"]].to_numpy(float),
                       np.column_stack([x[ok], y[ok]])).nearest()
    names = f["label"].to_numpy(object)
    for k, di, ii in zip(np.flatnonzero(ok), d, i):
        labels[k], km[k] = str(names[ii]), round(float(di) / 1000, 2)
    return labels, km


def contribution_table(result: ScoreResult, table: pd.DataFrame, *,
                       top: int | None = TOP_CONTRIBUTIONS) -> pd.DataFrame:
    """Each site's largest contributions, long format, with the named feature behind each.

    Parameters
    ----------
    result
        The result the sites were scored with.
    table
        A site table (``easting``, ``northing``, per criterion ``<name>_raw``,
        ``<name>_contrib``).
    top
        How many per site, largest first (None: every criterion with a contribution > 0).

    Returns
    -------
    pandas.DataFrame
        ``site`` (the index label in ``table``), ``order`` (1 = largest), ``criterion``,
        ``title``, ``raw``, ``unit``, ``contribution``, ``feature`` (the nearest named
        feature of the kind :data:`FEATURE_KINDS` gives the criterion, e.g.
        "Ratcliffe-on-Soar (former power station)"; ``""`` if none or the store has no
        ``features.csv``) and ``feature_km`` (its distance from the site's point).
    """
    meta = result.store.meta
    names = [n for n in result.weights if f"{n}_contrib" in table]
    cols = ["site", "order", "criterion", "title", "raw", "unit", "contribution", "feature",
            "feature_km"]
    if not names or len(table) == 0:
        return pd.DataFrame(columns=cols)
    c = np.column_stack([table[f"{n}_contrib"].to_numpy(float) for n in names])
    c = np.where(np.isfinite(c) & (c > 0), c, 0.0)
    raw = np.column_stack([table[f"{n}_raw"].to_numpy(float) if f"{n}_raw" in table
                           else np.full(len(table), np.nan) for n in names])
    order = np.argsort(-c, axis=1, kind="stable")
    k = len(names) if top is None else min(top, len(names))
    rows = []
    for i, site in enumerate(table.index):
        for j in range(k):
            n = names[order[i, j]]
            if c[i, order[i, j]] <= 0:
                break
            rows.append((site, j + 1, n, str(meta.get(n, {}).get("title", n) or n),
                         float(raw[i, order[i, j]]),
                         str(meta.get(n, {}).get("unit", "") or ""), float(c[i, order[i, j]]),
                         i))
    out = pd.DataFrame(rows, columns=[*cols[:7], "_i"])
    out["feature"], out["feature_km"] = "", np.nan
    feats = getattr(result.store, "features", None)
    x = table["easting"].to_numpy(float) if "easting" in table else np.full(len(table), np.nan)
    y = table["northing"].to_numpy(float) if "northing" in table else np.full(len(table), np.nan)
    for group in sorted(set(FEATURE_KINDS.values())):
        hit = out["criterion"].map(FEATURE_KINDS).eq(group).to_numpy()
        if hit.any():
            at = out.loc[hit, "_i"].to_numpy()
            labels, km = nearest_named(feats, group, x[at], y[at])
            out.loc[hit, "feature"], out.loc[hit, "feature_km"] = labels, km
    return out.drop(columns="_i")


def _contribution_texts(parts: pd.DataFrame) -> dict:
    """Per site, ``"Title: 2,021 MW (+0.136), Ratcliffe-on-Soar (former power station)
    0.3 km away; ..."`` from :func:`contribution_table` rows (plain tuples: fast)."""
    out: dict = {}
    for site, title, raw, unit, c, feature, km in zip(
            parts["site"], parts["title"], parts["raw"], parts["unit"], parts["contribution"],
            parts["feature"], parts["feature_km"]):
        what = f"{_num(raw)} {unit}".strip() if np.isfinite(raw) else "no data"
        near = f", {feature} {km:g} km away" if feature else ""
        out.setdefault(site, []).append(f"{title}: {what} (+{c:.3f}){near}")
    return {k: "; ".join(v) for k, v in out.items()}


def site_context(result: ScoreResult, table: pd.DataFrame) -> pd.DataFrame:
    """Percentiles, status, top contributions and a one-line note for each site.

    Parameters
    ----------
    result
        The result the sites were scored with.
    table
        A site table: ``score``, ``score_before_exclusions``, ``excluded_by``, per
        criterion ``<name>_raw`` and ``<name>_contrib``; optionally ``problem`` (why a
        user's row could not be scored) and ``partly_excluded_by`` (polygons).

    Returns
    -------
    pandas.DataFrame
        Aligned to ``table``'s index: :data:`CONTEXT_COLUMNS`. ``status`` is
        ``"scored"``, ``"excluded: <reasons>"`` (the scenario's sentences, with the
        score before exclusions) or ``"not scored: <problem>"``; ``notes`` is what the
        map's popup shows (percentiles, partial exclusions, top contributions).
    """
    n = len(table)
    score = table["score"].to_numpy(float) if n else np.zeros(0)
    before = table["score_before_exclusions"].to_numpy(float) if n else np.zeros(0)
    pct = national_percentile(result, score)
    pct_all = national_percentile(result, before, before_exclusions=True)
    excl = table.get("excluded_by", pd.Series([""] * n, index=table.index)).fillna("")
    problem = table.get("problem", pd.Series([""] * n, index=table.index)).fillna("")
    partly = table.get("partly_excluded_by", pd.Series([""] * n, index=table.index)).fillna("")
    status, tops, notes = [], [], []
    parts = contribution_table(result, table[(problem == "").to_numpy()])
    text = _contribution_texts(parts)
    for i, site in enumerate(table.index):
        top = text.get(site, "") if not problem.iloc[i] else ""
        if problem.iloc[i]:
            st = f"not scored: {problem.iloc[i]}"
        elif excl.iloc[i]:
            keys = [k.strip() for k in str(excl.iloc[i]).split(",") if k.strip()]
            why = "; ".join(result.reasons.get(k, k) for k in keys)
            b = f"; score before exclusions {before[i]:.3f}" if np.isfinite(before[i]) else ""
            st = f"excluded: {why}{b}"
        elif np.isfinite(score[i]):
            st = "scored"
        else:
            st = "not scored: no criterion has data here"
        bits = []
        if np.isfinite(pct[i]):
            bits.append(f"national percentile {_pct(pct[i])}")
        if np.isfinite(pct_all[i]):
            bits.append(f"{_pct(pct_all[i])} before exclusions")
        if partly.iloc[i]:
            bits.append(f"partly excluded: {partly.iloc[i]}")
        if top:
            bits.append(f"biggest contributions: {top}")
        status.append(st)
        tops.append(top)
        notes.append("; ".join(bits))
    return pd.DataFrame({"national_percentile": pct,
                         "national_percentile_before_exclusions": pct_all,
                         "status": status, "top_contributions": tops, "notes": notes},
                        index=table.index)
