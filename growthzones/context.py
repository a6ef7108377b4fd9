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
    v = np.asarray(result.score if before_exclusions else result.ranked, dtype=float)
    ref = np.sort(v[~np.isnan(v)])
    return np.round(percentile_of(ref, scores), 2)


def _num(x: float) -> str:
    """A raw value for a sentence: ``17,130``, ``2.3``, ``0.286``."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _pct(p: float) -> str:
    """A percentile to one decimal, rounded down (99.96 is not yet the 100th)."""
    return f"{np.floor(p * 10) / 10:.1f}"


def _contributions(result: ScoreResult, row) -> str:
    """The largest contributions of one site, each with its raw value and unit."""
    meta = result.store.meta
    parts = []
    for name in result.weights:
        c = row.get(f"{name}_contrib")
        if c is not None and np.isfinite(c) and c > 0:
            parts.append((float(c), name))
    parts.sort(key=lambda t: -t[0])
    out = []
    for c, name in parts[:TOP_CONTRIBUTIONS]:
        raw = row.get(f"{name}_raw")
        unit = str(meta.get(name, {}).get("unit", "") or "")
        title = str(meta.get(name, {}).get("title", name) or name)
        what = f"{_num(raw)} {unit}".strip() if raw is not None and np.isfinite(raw) \
            else "no data"
        out.append(f"{title}: {what} (+{c:.3f})")
    return "; ".join(out)


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
    cols = [c for n in result.weights for c in (f"{n}_raw", f"{n}_contrib") if c in table]
    rows = table[cols].to_dict("records")  # plain dicts: iterrows costs ~1 ms a row
    for i, row in enumerate(rows):
        top = _contributions(result, row) if not problem.iloc[i] else ""
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
