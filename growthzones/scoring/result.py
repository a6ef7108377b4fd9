"""The result of scoring, and :func:`score`, which makes one.

Pure and fast: :func:`score` reads no files after the first call for a store and
scenario (the transformed criteria and masks are cached by :mod:`.matrix`), so a
re-score with new weights is the kernels on the cached :class:`~.matrix.CriteriaMatrix`.
Each cell's ``coverage`` (the share of the scenario's weight that had data) is reported,
so a gap is never silently read as good or bad.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from ..scenario import Scenario
from ..store import LayerStore
from . import kernels as K
from .masks import allowed_text, combined_mask, exception_masks, exclusion_masks
from .matrix import CriteriaMatrix, criteria_matrix, row_reader, transformed

#: Land cells scored at a time by ``score(..., matrix=False)`` (its memory: the
#: criteria of this many cells, ~0.1 GB with 21 criteria in float32).
CHUNK_CELLS = 1 << 20


class _LazyMap(Mapping):
    """A read-only mapping whose values are computed on first access.

    ``at(name, positions)`` reads some cells without computing the whole vector (when a
    ``compute_at`` is given and the vector is not computed yet).
    """

    def __init__(self, names, compute, compute_at=None):
        self._names, self._compute, self._done = list(names), compute, {}
        self._compute_at = compute_at

    def at(self, name, positions) -> np.ndarray:
        """``self[name][positions]``, computing only those cells if it can."""
        if name not in self._names:
            raise KeyError(name)
        if name in self._done or self._compute_at is None:
            return self[name][positions]
        return self._compute_at(name, positions)

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._done:
            self._done[name] = self._compute(name)
        return self._done[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __repr__(self):
        return f"<{len(self)} criteria: {', '.join(self._names)}>"


@dataclass
class ScoreResult:
    """The outcome of scoring: everything as 1-D vectors over land cells (float32 by default).

    Attributes
    ----------
    score
        Aggregated score in [0, 1] before exclusions (NaN if no criterion has data).
    ranked
        ``score`` with excluded cells set to NaN: what ranking uses.
    values
        Transformed value in [0, 1] per weighted criterion.
    contributions
        Per weighted criterion, its part of ``score`` (they sum to ``score``; see the
        :mod:`.kernels` docstring for TOPSIS and OWA). Computed on first access.
    coverage
        Share of the total weight whose criterion has data in the cell.
    excluded
        True where any exclusion or constraint rules the cell out.
    excluded_by
        Boolean vector per active exclusion (by name) and constraint (by its label, e.g.
        ``dist_substation_132kv_km <= 10``); ``unassessed`` likewise where it has no data.
    reasons
        The same keys -> a sentence saying why a cell is excluded.
    allowed_by
        Per exclusion the scenario lifts on previously developed land
        (``except_previously_developed``): True where it covers the cell but the
        exception let the cell through (those cells are not in ``excluded_by``).
    method
        The aggregation used.
    """

    store: LayerStore
    scenario: Scenario
    weights: dict[str, float]
    score: np.ndarray
    ranked: np.ndarray
    values: Mapping[str, np.ndarray]
    contributions: Mapping[str, np.ndarray]
    coverage: np.ndarray
    excluded: np.ndarray
    excluded_by: dict[str, np.ndarray] = field(default_factory=dict)
    unassessed: dict[str, np.ndarray] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    allowed_by: dict[str, np.ndarray] = field(default_factory=dict)
    method: str = "wlc"
    matrix: CriteriaMatrix | None = field(default=None, repr=False)

    @property
    def grid(self):
        return self.store.grid

    def surface(self, what: str = "score") -> np.ndarray:
        """A 2-D array on the grid, NaN off land.

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
        elif what in self.values:
            v = self.values[what]
        else:
            raise KeyError(f"no surface {what!r}; use 'score', 'score_all', 'coverage', "
                           f"'excluded' or a weighted criterion ({', '.join(self.values)})")
        return self.store.unflatten(v)

    def why_excluded(self, positions) -> list[list[str]]:
        """For land-vector positions, the reasons (sentences) each cell is excluded."""
        pos = np.atleast_1d(np.asarray(positions))
        return [[self.reasons[k] for k, bad in self.excluded_by.items() if bad[p]] for p in pos]

    def why_allowed(self, positions) -> list[list[str]]:
        """For land-vector positions, the exclusions each cell is inside but let through by
        the previously-developed exception (sentences)."""
        pos = np.atleast_1d(np.asarray(positions))
        return [[allowed_text(self.store, k) for k, ok in self.allowed_by.items() if ok[p]]
                for p in pos]

    def exclusion_summary(self) -> pd.DataFrame:
        """Per exclusion or constraint: cells excluded, of which by it alone, and unassessed."""
        n = len(self.score)
        count = np.zeros(n, dtype=np.int16)
        for bad in self.excluded_by.values():
            count += bad
        rows = []
        for k, bad in self.excluded_by.items():
            ok = self.allowed_by.get(k)
            rows.append({"reason": k, "why": self.reasons[k], "cells": int(bad.sum()),
                         "share_of_land": round(float(bad.sum()) / n, 4),
                         "only_reason": int((bad & (count == 1)).sum()),
                         "unassessed": int(self.unassessed[k].sum()),
                         "allowed_previously_developed": 0 if ok is None else int(ok.sum())})
        cols = ["reason", "why", "cells", "share_of_land", "only_reason", "unassessed",
                "allowed_previously_developed"]
        return pd.DataFrame(rows, columns=cols).set_index("reason")


def score(store: LayerStore, scenario: Scenario, *, dtype=np.float32,
          network_year: int | None = None, matrix: bool = True) -> ScoreResult:
    """Score every land cell of ``store`` under ``scenario``.

    Parameters
    ----------
    store
        The layer store; its transformed criteria are cached (see :func:`.matrix.cache_for`).
    scenario
        Weights, transforms, aggregation, constraints and exclusions.
    dtype
        ``numpy.float32`` (default, fast) or ``numpy.float64`` (for exact comparisons
        with other MCDA libraries); each has its own cache.
    network_year
        The grid of this year (overrides the scenario's ``network_year``); the result's
        ``store`` is then the store's view in that year
        (:meth:`~growthzones.store.LayerStore.at_network_year`).
    matrix
        False: score :data:`CHUNK_CELLS` cells at a time without building (or caching)
        the criteria matrix, a copy of every criterion (1.9 GB at GB 100 m), for a result
        wanted for its scores (``run`` scores the other network years of a 100 m store
        so, :mod:`growthzones.timeline`). The same ``score``, ``ranked``, ``coverage``
        and exclusions; ``values`` and ``contributions`` score again with the matrix
        when first read.

    Examples
    --------
    >>> import growthzones as gz                                    # doctest: +SKIP
    >>> result = gz.score(gz.load_layers(), gz.load_scenario())     # doctest: +SKIP

    Raises
    ------
    InputError
        ``store`` is not a :class:`LayerStore` or ``scenario`` not a :class:`Scenario`
        (including the two swapped), or ``dtype`` is not float32/float64.
    """
    store, scenario, dtype = _scored_as(store, scenario, network_year, dtype)
    if not matrix:
        return _scores_only(store, scenario, dtype)
    weights = scenario.weights
    cm = criteria_matrix(store, scenario, dtype)
    w = cm.weights_vector(weights)
    method, params = scenario.aggregation.method, scenario.aggregation.params
    total, cov, aux = cm.run(w, method, **params)
    names = list(weights)
    crit = {c.name: c for c in scenario.criteria}
    rows = {n: i for i, n in enumerate(cm.names)}
    values = _LazyMap(names, lambda n: transformed(store, n, crit[n].direction,
                                                   crit[n].transform, dtype),
                      lambda n, pos: cm.values_at(rows[n], pos))
    part = K.contribution_fn(cm, w, method, total, cov, aux)
    contrib = _LazyMap(names, lambda n: part(rows[n]), lambda n, pos: part(rows[n], pos))
    return _result(store, scenario, total, K.share(cov, w, cm.n), values, contrib, cm)


def _scored_as(store, scenario, network_year, dtype):
    """The arguments checked, and ``(view, scenario, dtype)`` to score: the scenario in
    ``network_year`` (if given) and the store's view in the scenario's year."""
    check_score_args(store, scenario, dtype)
    if network_year is not None:
        from ..scenario import with_network_year

        scenario = with_network_year(scenario, network_year)
    return store.at_network_year(scenario.network_year), scenario, np.dtype(dtype)


def _result(store, scenario, total, coverage, values, contributions, matrix) -> ScoreResult:
    """The :class:`ScoreResult` of aggregated scores: the exclusions applied, the arrays
    made read-only (results share them: ``ranked`` is ``score`` if nothing is excluded)."""
    per_reason = exclusion_masks(store, scenario)
    excluded = combined_mask(store, scenario, per_reason)
    ranked = np.where(excluded, total.dtype.type(np.nan), total) if excluded.any() else total
    for a in (total, ranked, coverage):
        a.setflags(write=False)
    return ScoreResult(
        store=store, scenario=scenario, weights=scenario.weights, score=total, ranked=ranked,
        values=values, contributions=contributions, coverage=coverage, excluded=excluded,
        excluded_by={k: m[0] for k, m in per_reason.items()},
        unassessed={k: m[1] for k, m in per_reason.items()},
        reasons={k: m[2] for k, m in per_reason.items()},
        allowed_by=exception_masks(store, scenario), method=scenario.aggregation.method,
        matrix=matrix)


def _chunks(n: int):
    return (np.arange(a, min(a + CHUNK_CELLS, n)) for a in range(0, n, CHUNK_CELLS))


def _chunk_scorer(store: LayerStore, scenario: Scenario, dtype):
    """``run(cells)`` -> (score, coverage) of the scenario at land positions ``cells`` (one
    chunk), each chunk scored as a criteria matrix of its own: the same kernels on the
    same parts, cell by cell. What depends on every cell is taken over all of them first:
    a transform's range (by parts, :func:`~.matrix.row_reader`), TOPSIS's ideals of the
    data (the extremes of the chunks' extremes)."""
    crit = scenario.criteria
    names = [c.name for c in crit]
    n = len(store.land_index)
    read = [row_reader(store, c, dtype, lambda: _chunks(n)) for c in crit]
    buffer = []  # one chunk's values, reused by every chunk (each is scored before the next)

    def block(cells) -> CriteriaMatrix:
        size = len(crit) * len(cells)
        if not buffer or buffer[0].size < size:
            buffer[:] = [np.empty(size, dtype=dtype)]
        return CriteriaMatrix(names, (r(cells) for r in read), n=len(cells), dtype=dtype,
                              out=buffer[0][:size].reshape(len(crit), len(cells)))

    method, params = scenario.aggregation.method, scenario.aggregation.params
    empty = block(np.arange(0))
    w = empty.weights_vector(scenario.weights)
    ideals = None
    if method == "topsis":
        ideal = params.get("ideal", "data")
        ideals = empty.ideals(ideal)  # ("fixed": 1 and 0; a bad name raises here)
        if ideal == "data" and n:
            best, worst = zip(*(block(cells).ideals("data") for cells in _chunks(n)))
            ideals = np.fmax.reduce(best), np.fmin.reduce(worst)

    def run(cells):
        s, cov, _ = K.run_kernel(block(cells), w, method, params, ideals)
        return s, K.share(cov, w, len(cells))

    return run


def _scores_only(store: LayerStore, scenario: Scenario, dtype) -> ScoreResult:
    """``score(store, scenario, matrix=False)`` on the scenario's own view of the store."""
    import functools

    from ..network_years import root_of

    n = len(store.land_index)
    run = _chunk_scorer(store, scenario, dtype)
    total = np.empty(n, dtype=dtype)
    coverage = np.empty(n, dtype=dtype)
    for cells in _chunks(n):
        total[cells], coverage[cells] = run(cells)
    # values and contributions from scoring again, with the matrix, when first read (the
    # closure holds what scores it, not this result)
    root = root_of(store)
    again = functools.cache(lambda: score(root, scenario, dtype=dtype))

    def lazy(attr: str) -> _LazyMap:
        return _LazyMap(scenario.weights, lambda name: getattr(again(), attr)[name],
                        lambda name, pos: getattr(again(), attr).at(name, pos))

    return _result(store, scenario, total, coverage, lazy("values"), lazy("contributions"),
                   None)


def scorer_at(store: LayerStore, scenario: Scenario, *, network_year: int | None = None,
              dtype=np.float32):
    """``(at, excluded)`` for ``score(store, scenario, network_year=...)`` a few cells at
    a time: ``at(cells)`` is its ``score`` at land positions ``cells`` (each call scores
    only those), ``excluded`` its ``excluded`` vector.

    What depends on every cell (a transform's range, TOPSIS's ideals of the data, the
    exclusion masks) is taken once, here, so that scoring every cell a chunk at a time
    costs one pass over the criteria and holds no full vector but ``excluded``: the map
    of a 100 m store draws its other network years so (their score on its coarse grid,
    :mod:`growthzones.timeline`), and :func:`scores_at` scores some cells so.
    """
    store, scenario, dtype = _scored_as(store, scenario, network_year, dtype)
    run = _chunk_scorer(store, scenario, dtype)
    excluded = combined_mask(store, scenario, exclusion_masks(store, scenario))
    return (lambda cells: run(np.asarray(cells, dtype=np.int64))[0]), excluded


def scores_at(store: LayerStore, scenario: Scenario, cells, *, network_year: int | None = None,
              dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """``score(store, scenario, network_year=...)``'s ``score`` and ``excluded`` at some
    land positions, scoring only those cells (:func:`scorer_at`).

    The same numbers as the full result there (each cell is scored from its own values;
    what depends on every cell, a transform's range or TOPSIS's ideals of the data, is
    taken over all of them first), without the full vectors: the site timeline of a
    100 m store scores its sites so in the other network years (well under a second a
    year for its 20 sites, against ~5 s for every cell).

    Parameters
    ----------
    store, scenario
        As for :func:`score`.
    cells
        Positions in the land vectors (any order, repeats allowed).
    network_year
        As for :func:`score`.
    dtype
        As for :func:`score`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(score, excluded)`` at ``cells``, in their order.
    """
    at, excluded = scorer_at(store, scenario, network_year=network_year, dtype=dtype)
    cells = np.asarray(cells, dtype=np.int64)
    uniq, back = np.unique(cells, return_inverse=True)
    total = np.empty(len(uniq), dtype=np.dtype(dtype))
    for part in _chunks(len(uniq)):
        total[part] = at(uniq[part])
    return total[back], np.asarray(excluded[cells], dtype=bool)


# --- argument checks --------------------------------------------------------------------------

def check_score_args(store, scenario, dtype=np.float32) -> None:
    """InputError unless ``score(store, scenario, dtype=dtype)`` has arguments it can use."""
    if isinstance(store, Scenario) and isinstance(scenario, LayerStore):
        raise InputError("score(store, scenario) got the scenario first and the layer store "
                         "second; swap them: score(layers, scenario)")
    if not isinstance(store, LayerStore):
        raise InputError(f"store is a {type(store).__name__} ({str(store)[:40]!r}); give the "
                         f"layer store: score(gz.load_layers(), scenario)")
    if not isinstance(scenario, Scenario):
        kind = type(scenario).__name__
        raise InputError(f"scenario is {'an' if kind[0] in 'aeiou' else 'a'} {kind} "
                         f"({str(scenario)[:40]!r}); "
                         f"give a Scenario: score(layers, gz.load_scenario('my.toml'))")
    try:
        ok = np.dtype(dtype) in (np.float32, np.float64)
    except TypeError:
        ok = False
    if not ok:
        raise InputError(f"dtype is {dtype!r}; use numpy.float32 (default) or numpy.float64")


def check_result(result, what: str = "result") -> ScoreResult:
    """``result`` if it is a :class:`ScoreResult`, else an InputError saying how to get one."""
    if not isinstance(result, ScoreResult):
        raise InputError(f"{what} is a {type(result).__name__}; give the output of "
                         f"growthzones.score(layers, scenario)")
    return result
