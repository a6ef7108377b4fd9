"""Scoring: transform each criterion to [0, 1], weight, aggregate, then apply exclusions.

Pure and fast: :func:`score` reads no files and rebuilds no layers. Transformed
criteria are cached on the :class:`~growthzones.store.LayerStore` in float32, keyed by
(criterion, direction, transform), so re-scoring with new weights costs one
weighted sum over land cells.

Missing data rule: a cell where a criterion has no data (NaN) is scored on the criteria
that do have data, with their weights renormalised. Its ``coverage`` (the share of the
scenario's weight that had data) is reported, so a gap is never silently read as good
or bad. Where an exclusion has no data the cell is not excluded but is flagged
``unassessed`` for that exclusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import transforms
from .scenario import Scenario
from .store import LayerStore


@dataclass
class ScoreResult:
    """The outcome of scoring: everything as 1-D float32 vectors over land cells.

    Attributes
    ----------
    score
        Weighted score in [0, 1] before exclusions (NaN if no criterion has data).
    ranked
        ``score`` with excluded cells set to NaN: what ranking uses.
    values
        Transformed value in [0, 1] per criterion.
    contributions
        ``weight * value / (sum of weights with data)`` per criterion; they sum to ``score``.
    coverage
        Share of the total weight whose criterion has data in the cell.
    excluded_by
        Boolean vector per active exclusion; ``unassessed`` likewise where it has no data.
    """

    store: LayerStore
    scenario: Scenario
    weights: dict[str, float]
    score: np.ndarray
    ranked: np.ndarray
    values: dict[str, np.ndarray]
    contributions: dict[str, np.ndarray]
    coverage: np.ndarray
    excluded: np.ndarray
    excluded_by: dict[str, np.ndarray] = field(default_factory=dict)
    unassessed: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def grid(self):
        return self.store.grid

    def surface(self, what: str = "score") -> np.ndarray:
        """A 2-D float32 array on the grid, NaN off land.

        ``what`` is ``"score"`` (excluded cells NaN), ``"score_all"`` (before exclusions),
        ``"coverage"``, ``"excluded"`` (1.0 where excluded), or a criterion name (its
        transformed value).
        """
        if what == "score":
            v = self.ranked
        elif what == "score_all":
            v = self.score
        elif what == "coverage":
            v = self.coverage
        elif what == "excluded":
            v = self.excluded.astype(np.float32)
        else:
            v = self.values[what]
        return self.store.unflatten(v)


def transformed(store: LayerStore, name: str, direction: str, spec: dict) -> np.ndarray:
    """Transformed values of one criterion on land cells, cached on ``store`` (float32)."""
    key = (name, direction, repr(sorted(spec.items())))
    cached = store._cache.get(key)
    if cached is None:
        cached = transforms.apply(store.vector(name), spec, direction)
        cached.setflags(write=False)
        store._cache[key] = cached
    return cached


def weighted_sum(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean over the criteria that have data, and the weight share that had data.

    Parameters
    ----------
    values
        (k, n) float32, transformed criteria (NaN = no data).
    weights
        (k,) non-negative weights summing to 1.

    Returns
    -------
    score, coverage
        (n,) float32 each. ``score`` is NaN where no criterion has data.
    """
    have = ~np.isnan(values)
    w = weights.astype(np.float32)
    coverage = w @ have.astype(np.float32)
    num = w @ np.where(have, values, np.float32(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(coverage > 0, num / coverage, np.float32(np.nan)).astype(np.float32)
    return score, coverage.astype(np.float32)


def score(store: LayerStore, scenario: Scenario) -> ScoreResult:
    """Score every land cell of ``store`` under ``scenario``.

    Examples
    --------
    >>> import growthzones as gz                                    # doctest: +SKIP
    >>> result = gz.score(gz.load_layers(), gz.load_scenario())     # doctest: +SKIP
    """
    weights = scenario.weights
    names = list(weights)
    values = {n: transformed(store, n, scenario.criterion(n).direction,
                             scenario.criterion(n).transform) for n in names}
    matrix = np.stack([values[n] for n in names])
    w = np.array([weights[n] for n in names], dtype=np.float32)
    total, coverage = weighted_sum(matrix, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(coverage > 0, 1 / coverage, 0).astype(np.float32)
    contributions = {n: np.nan_to_num(values[n] * w[i]) * scale for i, n in enumerate(names)}
    excluded = np.zeros(total.shape, dtype=bool)
    excluded_by, unassessed = {}, {}
    for name in scenario.exclusions:
        raw = store.vector(name)
        excluded_by[name] = raw == 1
        unassessed[name] = np.isnan(raw)
        excluded |= excluded_by[name]
    ranked = np.where(excluded, np.float32(np.nan), total)
    return ScoreResult(store=store, scenario=scenario, weights=weights, score=total,
                       ranked=ranked, values=values, contributions=contributions,
                       coverage=coverage, excluded=excluded, excluded_by=excluded_by,
                       unassessed=unassessed)


def cell_at(result: ScoreResult, x: float, y: float) -> int:
    """Position in the land vectors of the cell containing BNG point (x, y)."""
    rows, cols = result.grid.rowcol(np.array([x]), np.array([y]))
    if rows[0] < 0:
        raise ValueError(f"point ({x:.0f}, {y:.0f}) is outside the GB grid")
    flat = rows[0] * result.grid.width + cols[0]
    pos = np.searchsorted(result.store.land_index, flat)
    if pos >= len(result.store.land_index) or result.store.land_index[pos] != flat:
        raise ValueError(f"point ({x:.0f}, {y:.0f}) is not on GB land in this grid")
    return int(pos)


def explain(result: ScoreResult, x: float, y: float) -> pd.DataFrame:
    """Why a cell scores what it does: one row per criterion and per active exclusion.

    Parameters
    ----------
    x, y
        A point in EPSG:27700 metres (for a site: its ``easting``, ``northing``).

    Returns
    -------
    pandas.DataFrame
        Indexed by name: ``kind``, ``raw``, ``unit``, ``direction``, ``transform``,
        ``value``, ``weight``, ``contribution``, ``status``.
    """
    i = cell_at(result, x, y)
    rows = []
    for name, w in result.weights.items():
        c = result.scenario.criterion(name)
        raw = float(result.store.vector(name)[i])
        rows.append({"name": name, "kind": "criterion", "raw": raw,
                     "unit": result.store.meta[name]["unit"], "direction": c.direction,
                     "transform": c.transform["type"], "value": float(result.values[name][i]),
                     "weight": w, "contribution": float(result.contributions[name][i]),
                     "status": "ok" if raw == raw else "no data: weight shared by the others"})
    for name in result.scenario.exclusions:
        status = ("excluded" if result.excluded_by[name][i] else
                  "not assessed: no data here" if result.unassessed[name][i] else "clear")
        rows.append({"name": name, "kind": "exclusion",
                     "raw": float(result.store.vector(name)[i]), "unit": "flag",
                     "direction": None, "transform": None, "value": np.nan, "weight": np.nan,
                     "contribution": np.nan, "status": status})
    return pd.DataFrame(rows).set_index("name")
