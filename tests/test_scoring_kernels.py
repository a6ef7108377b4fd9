"""The scoring kernels (WLC, TOPSIS, OWA): hand arithmetic on tiny matrices, scikit-criteria
on the real 1 km decision matrix, and properties that could fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close as _close
from conftest import make_fixture_store

import growthzones as gz
from growthzones import scoring as S
from growthzones.layers import REGISTRY
from growthzones.scenario import parse_scenario

NAN = np.nan
SUB, TRANS, EMP, IXP = ("dist_substation_132kv_km", "dist_transmission_km",
                        "employment_deprivation_pct", "dist_ixp_km")


# Three sites (columns), two criteria (rows), weights 3:1.
V = np.array([[1.0, 0.0, 0.5],
              [0.0, 1.0, 0.5]])
W = np.array([3.0, 1.0])


def test_wlc_by_hand():
    s, cov = S.wlc(V, W)
    _close(s, [0.75, 0.25, 0.5])
    _close(cov, [1, 1, 1])


def test_wlc_missing_data_renormalises_and_reports_coverage():
    v = np.array([[1.0, 0.2, NAN], [0.0, NAN, NAN]])
    s, cov = S.wlc(v, W)
    _close(s[:2], [0.75, 0.2])           # the second site is scored on criterion 1 alone
    _close(cov, [1.0, 0.75, 0.0])
    assert np.isnan(s[2])                 # no data at all: no score, never 0


def test_topsis_by_hand():
    # Weighted: (0.75, 0), (0, 0.25), (0.375, 0.125); ideal (0.75, 0.25), anti-ideal (0, 0).
    # d+ = 0.25, 0.75, sqrt(0.15625); d- = 0.75, 0.25, sqrt(0.15625).
    s, _ = S.topsis(V, W)
    _close(s, [0.75, 0.25, 0.5])
    s_fixed, _ = S.topsis(np.array([[0.5], [0.5]]), W, ideal="fixed")
    _close(s_fixed, [0.5])


def test_topsis_missing_data_uses_the_available_criteria():
    v = np.array([[1.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.5, NAN]])
    s, cov = S.topsis(v, W)
    # Site 4 has only criterion 1 at 0.5 between best 1 and worst 0: closeness 0.5.
    _close(s, [0.75, 0.25, 0.5, 0.5])
    _close(cov, [1, 1, 1, 0.75])


def test_owa_by_hand():
    v = np.array([[1.0], [0.5], [0.0]])
    w = np.ones(3)
    _close(S.owa(v, w, orness=0.5)[0], [0.5])                 # = WLC (the mean)
    _close(S.owa(v, w, order_weights=[1, 0, 0])[0], [1.0])    # the best criterion
    _close(S.owa(v, w, order_weights=[0, 0, 1])[0], [0.0])    # the worst criterion
    # orness 0.25 -> Q(t) = t^3; T = 1/3, 2/3, 1 -> weights 1/27, 7/27, 19/27.
    _close(S.owa(v, w, orness=0.25)[0], [(1 + 0.5 * 7) / 27])


def test_weighted_owa_by_hand():
    # Values 0.2, 1, 0.6 with weights 2:1:1 and order weights (0.5, 0.5, 0): Q through
    # (0, 0), (1/3, 0.5), (2/3, 1), (1, 1). Sorted: 1 (u .25), 0.6 (.25), 0.2 (.5);
    # T = .25, .5, 1 -> Q = .375, .75, 1 -> weights .375, .375, .25.
    v = np.array([[0.2], [1.0], [0.6]])
    s, _ = S.owa(v, np.array([2.0, 1.0, 1.0]), order_weights=[0.5, 0.5, 0])
    _close(s, [0.375 + 0.6 * 0.375 + 0.2 * 0.25])


def test_orness_of_order_weights():
    assert S.orness([1, 0, 0]) == 1.0
    assert S.orness([0, 0, 1]) == 0.0
    assert S.orness([1, 1, 1]) == pytest.approx(0.5)
    assert S.orness([0.5, 0.5, 0]) == pytest.approx(0.75)


def test_contributions_sum_to_the_score_for_every_method():
    rng = np.random.default_rng(0)
    v = rng.random((4, 300))
    v[rng.random(v.shape) < 0.1] = NAN
    w = np.array([3.0, 3.0, 2.0, 1.0])
    for method, params in (("wlc", {}), ("topsis", {}), ("owa", {"orness": 0.3})):
        s, _ = S.aggregate(v, w, method, **params)
        c = S.contributions(v, w, method, **params)
        ok = ~np.isnan(s)
        _close(c.sum(axis=0)[ok], s[ok])
        assert np.all(c[np.isnan(v)] == 0)


def test_kernel_shape_errors_name_the_fix():
    with pytest.raises(ValueError, match="weights has shape \\(3,\\) but values has 2 criteria"):
        S.wlc(V, [1, 2, 3])
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        S.topsis(V, [1, -1])
    with pytest.raises(ValueError, match="unknown aggregation 'ahp'; use one of wlc, topsis, owa"):
        S.aggregate(V, W, "ahp")
    with pytest.raises(ValueError, match="orness must lie strictly between 0 and 1"):
        S.owa(V, W, orness=1.0)


# --- the same as scikit-criteria, on the real 1 km decision matrix ---------------------------

def _real_matrix(store, scenario):
    names = list(scenario.weights)
    m = np.column_stack([S.transformed(store, n, scenario.criterion(n).direction,
                                       scenario.criterion(n).transform, np.float64)
                         for n in names])
    return m, np.array([scenario.weights[n] for n in names])


@pytest.mark.parametrize("method", ["wlc", "topsis"])
def test_score_equals_scikit_criteria_on_the_real_matrix(store, default_scenario, method):
    skc = pytest.importorskip("skcriteria")
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS

    scenario = default_scenario.updated({"aggregation": {"method": method}})
    res = gz.score(store, scenario, dtype=np.float64)
    m, w = _real_matrix(store, scenario)
    assert not np.isnan(m).any() and m.shape[0] == len(res.score) > 200_000
    dm = skc.mkdm(m, objectives=[max] * m.shape[1], weights=w)
    model = WeightedSumModel() if method == "wlc" else TOPSIS()
    rk = model.evaluate(dm)
    theirs = rk.e_.score if method == "wlc" else rk.e_.similarity
    np.testing.assert_allclose(res.score, theirs, rtol=0, atol=1e-9)
    from scipy.stats import rankdata

    assert np.array_equal(rankdata(-res.score, method="dense"), rk.rank_)


def test_float32_production_scores_match_float64_closely(store, default_scenario):
    r32 = gz.score(store, default_scenario)
    r64 = gz.score(store, default_scenario, dtype=np.float64)
    assert r32.score.dtype == np.float32 and r64.score.dtype == np.float64
    assert np.nanmax(np.abs(r32.score - r64.score)) < 1e-6


@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "topsis"},
                                 {"method": "topsis", "ideal": "fixed"},
                                 {"method": "owa", "orness": 0.2},
                                 {"method": "owa", "order_weights": [0.4, 0.3, 0.2, 0.1]}])
def test_cached_fast_path_equals_the_kernels_with_missing_data(agg):
    rng = np.random.default_rng(7)
    layers = {}
    for n in (SUB, TRANS, EMP, IXP):
        a = (rng.random((20, 30)) * 50).astype(np.float32)
        a[rng.random(a.shape) < 0.2] = NAN
        layers[n] = a
    store = make_fixture_store(layers)
    sc = parse_scenario({"criteria": {SUB: 3, TRANS: 3, EMP: 2, IXP: 1}, "aggregation": agg})
    res = gz.score(store, sc, dtype=np.float64)
    m = np.stack([S.transformed(store, n, sc.criterion(n).direction, sc.criterion(n).transform,
                                np.float64) for n in sc.weights])
    w = np.array(list(sc.weights.values()))
    params = {k: v for k, v in agg.items() if k != "method"}
    s, cov = S.aggregate(m, w, agg["method"], **params)
    assert res.matrix.pattern is not None and res.matrix.patterns.shape[0] > 1
    _close(res.score[~np.isnan(s)], s[~np.isnan(s)])
    assert np.array_equal(np.isnan(res.score), np.isnan(s))
    _close(res.coverage, cov)
    _close(np.stack([res.contributions[n] for n in sc.weights]),
           S.contributions(m, w, agg["method"], **params))


# --- properties ------------------------------------------------------------------------------

@pytest.mark.parametrize("method, params", [("wlc", {}), ("topsis", {}), ("owa", {"orness": 0.3}),
                                            ("owa", {"order_weights": [0.1, 0.2, 0.3, 0.4]})])
def test_scaling_all_weights_keeps_scores_and_ranks(store, default_scenario, method, params):
    m, w = _real_matrix(store, default_scenario)
    a, _ = S.aggregate(m.T, w, method, **params)
    b, _ = S.aggregate(m.T, 7.3 * w, method, **params)
    _close(a, b, 1e-12)
    sc = default_scenario.updated({"aggregation": {"method": method, **params}})
    r1 = gz.score(store, sc)
    r2 = gz.score(store, sc.reweighted(**{n: 7.3 * c.weight for n, c in
                                          ((c.name, c) for c in sc.criteria)}))
    assert np.array_equal(np.argsort(-r1.ranked, kind="stable"),
                          np.argsort(-r2.ranked, kind="stable"))


@pytest.mark.parametrize("method, params", [("wlc", {}), ("topsis", {}),
                                            ("topsis", {"ideal": "fixed"}),
                                            ("owa", {"orness": 0.2}), ("owa", {"orness": 0.8})])
def test_improving_a_cell_on_a_max_criterion_never_lowers_its_score(method, params):
    rng = np.random.default_rng(11)
    v = rng.random((4, 400))
    v[rng.random(v.shape) < 0.1] = NAN
    w = np.array([3.0, 3.0, 2.0, 1.0])
    base, _ = S.aggregate(v, w, method, **params)
    # One cell at a time (TOPSIS's data ideal moves with the others' values); include the
    # column's best and worst cells, where the ideal itself moves.
    cells = set(rng.choice(400, 25, replace=False)) | set(np.nanargmax(v, axis=1)) | set(
        np.nanargmin(v, axis=1))
    for i in cells:
        for j in range(4):
            if np.isnan(v[j, i]):
                continue
            up = v.copy()
            up[j, i] = min(up[j, i] + 0.3, 1.0)  # better on criterion j (all are 'max')
            s, _ = S.aggregate(up, w, method, **params)
            assert s[i] >= base[i] - 1e-12, (method, i, j)


def test_improving_a_raw_max_criterion_never_lowers_the_score_through_score():
    rng = np.random.default_rng(5)
    layers = {EMP: rng.random((6, 6)) * 40, SUB: rng.random((6, 6)) * 30}
    sc = parse_scenario({"criteria": {EMP: {"weight": 1, "transform": "linear"}, SUB: 2}})
    before = gz.score(make_fixture_store(layers), sc).score
    layers[EMP] = layers[EMP].copy()
    layers[EMP][2, 3] += 5.0        # more employment deprivation: better (direction max)
    after = gz.score(make_fixture_store(layers), sc).score
    cell = 2 * 6 + 3
    assert after[cell] >= before[cell]
    assert REGISTRY[EMP].direction == "max"


def test_excluded_cells_never_rank(store, default_scenario):
    sc = default_scenario.updated({"constraints": {SUB: {"max": 10}}})
    res = gz.score(store, sc)
    assert res.excluded.any() and np.all(np.isnan(res.ranked[res.excluded]))
    assert not np.isnan(res.score[res.excluded]).all()   # the score before exclusion is kept
    from growthzones.ranking import top_sites

    picked = top_sites(res, top=20)
    assert not res.excluded[picked["pos"]].any()
    assert (res.store.vector(SUB)[picked["pos"]] <= 10).all()
