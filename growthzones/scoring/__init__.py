"""Scoring: transform each criterion to [0, 1], weight, aggregate, then apply constraints.

Pure and fast: :func:`score` reads no files and rebuilds no layers once a store's
criteria are cached. The package, one concern per module:

=============== ============================================================================
``kernels``     WLC, TOPSIS, OWA and contributions: one implementation per method, on
                NumPy or dask arrays shaped (criteria, ...) and on the cached matrix alike
``matrix``      :class:`CriteriaMatrix` (a store's transformed criteria, stacked once) and
                the cache of what scoring derives from a store (:func:`cache_for`)
``masks``       exclusions and constraints, applied after aggregation
``result``      :class:`ScoreResult`, :func:`score`, and :func:`scores_at` (some cells)
                with :func:`scorer_at`
``explain``     :func:`explain`, :func:`explain_sites`, :func:`cell_at`
``dataset``     the xarray / dask path: :func:`score_dataset`, :func:`store_dataset`
=============== ============================================================================

See :mod:`.kernels` for the formulas, the missing-data rule and how contributions split
each method's score; :mod:`.masks` for how exclusions and missing data interact.
"""

from .dataset import score_dataset, store_dataset
from .explain import cell_at, explain, explain_sites
from .kernels import (
                      AGGREGATIONS,
                      aggregate,
                      contributions,
                      orness,
                      owa,
                      owa_quantifier,
                      topsis,
                      topsis_ideals,
                      wlc,
)
from .masks import combined_mask, excluded_area, exclusion_masks, fails_constraint
from .matrix import CriteriaMatrix, cache_for, clear_cache, criteria_matrix, transformed
from .result import (
    ScoreResult,
    check_result,
    check_score_args,
    score,
    scorer_at,
    scores_at,
)

__all__ = [
                      "AGGREGATIONS",
                      "CriteriaMatrix",
                      "ScoreResult",
                      "aggregate",
                      "cache_for",
                      "cell_at",
                      "check_result",
                      "check_score_args",
                      "clear_cache",
                      "combined_mask",
                      "contributions",
                      "criteria_matrix",
                      "excluded_area",
                      "exclusion_masks",
                      "explain",
                      "explain_sites",
                      "fails_constraint",
                      "orness",
                      "owa",
                      "owa_quantifier",
                      "score",
                      "score_dataset",
                      "scorer_at",
                      "scores_at",
                      "store_dataset",
                      "topsis",
                      "topsis_ideals",
                      "transformed",
                      "wlc",
]
