"""Weights (direct, AHP), aggregation (WLC, TOPSIS, OWA), constraints and explain.

Hand arithmetic on tiny matrices, a published AHP example, scikit-criteria on the real
1 km decision matrix, and properties that could fail.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from conftest import foundation_scenario, make_fixture_store

import growthzones as gz
from growthzones import scoring as S
from growthzones.layers import REGISTRY
from growthzones.scenario import AHPResult, ahp_weights, load_scenario, parse_scenario
from growthzones.store import LayerStore

NAN = np.nan
SUB, TRANS, EMP, IXP = ("dist_substation_132kv_km", "dist_transmission_km",
                        "employment_deprivation_pct", "dist_ixp_km")


def make_store(layers: dict) -> LayerStore:
    """The shared hand-made FIXTURE store (conftest), from nested lists."""
    return make_fixture_store({n: np.asarray(a, dtype=float) for n, a in layers.items()})


def _close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol)


# --- WLC, TOPSIS, OWA by hand ----------------------------------------------------------------

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

@pytest.fixture(scope="module")
def default_scenario():
    return foundation_scenario()


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
    store = make_store(layers)
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
    before = gz.score(make_store(layers), sc).score
    layers[EMP] = layers[EMP].copy()
    layers[EMP][2, 3] += 5.0        # more employment deprivation: better (direction max)
    after = gz.score(make_store(layers), sc).score
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


# --- constraints and exclusions --------------------------------------------------------------

def _constraint_store():
    # 1 x 4 cells: substation at 5, 12, (no data), 8 km; the last cell in a national park.
    return make_store({SUB: [[5.0, 12.0, NAN, 8.0]], EMP: [[10.0, 20.0, 30.0, 40.0]],
                       "national_parks": [[0, 0, 0, 1]]})


def test_constraint_excludes_after_aggregation_and_says_why():
    sc = parse_scenario({"criteria": {EMP: 1}, "constraints": {SUB: {"max": 10}},
                         "exclusions": {"national_parks": True}})
    res = gz.score(_constraint_store(), sc)
    label = f"{SUB} <= 10"
    assert res.excluded_by[label].tolist() == [False, True, False, False]
    assert res.unassessed[label].tolist() == [False, False, True, False]
    assert res.excluded.tolist() == [False, True, False, True]
    _close(res.score, [0.0, 1 / 3, 2 / 3, 1.0], 1e-6)       # aggregation is unchanged
    assert np.isnan(res.ranked[[1, 3]]).all()
    assert res.why_excluded([1, 3, 0]) == [[f"fails constraint {label} km"],
                                           ["in an excluded area: national_parks"], []]
    summary = res.exclusion_summary()
    assert summary.loc[label, "cells"] == 1 and summary.loc[label, "unassessed"] == 1


def test_constraint_missing_exclude_and_two_sided_bounds():
    sc = parse_scenario({"criteria": {EMP: 1},
                         "constraints": {SUB: {"min": 6, "max": 10, "missing": "exclude"}}})
    res = gz.score(_constraint_store(), sc)
    assert res.excluded.tolist() == [True, True, True, False]
    assert list(res.excluded_by) == [f"6 <= {SUB} <= 10"]


def test_explain_reports_raw_value_weight_contribution_and_the_exclusion():
    sc = parse_scenario({"criteria": {EMP: 2, SUB: {"weight": 1, "transform":
                                                    {"type": "linear", "lo": 0, "hi": 20}}},
                         "constraints": {SUB: {"max": 10}}})
    res = gz.score(_constraint_store(), sc)
    e = S.explain(res, 1500.0, 500.0)            # the second cell: 12 km, 20 %
    assert e.loc[SUB, "raw"] == 12.0 and e.loc[SUB, "unit"] == "km"
    _close(e.loc[SUB, "value"], 0.4, 1e-6)       # (20 - 12) / 20
    _close(e.loc[EMP, "value"], 1 / 3, 1e-6)     # (20 - 10) / 30
    _close(e.loc[EMP, "weight"], 2 / 3)
    _close(e.loc[[EMP, SUB], "contribution"].sum(), e.attrs["score_all"], 1e-6)
    _close(e.attrs["score_all"], 2 / 3 * 1 / 3 + 1 / 3 * 0.4, 1e-6)
    assert e.loc[f"{SUB} <= 10", "kind"] == "constraint"
    assert e.loc[f"{SUB} <= 10", "status"] == "excluded"
    assert e.loc[f"{SUB} <= 10", "reason"] == f"fails constraint {SUB} <= 10 km"
    assert e.attrs["excluded"] and np.isnan(e.attrs["score"])
    no_data = S.explain(res, {"easting": 2500.0, "northing": 500.0})   # a site-like mapping
    assert no_data.loc[SUB, "status"] == "no data: weight shared by the others"
    assert no_data.loc[f"{SUB} <= 10", "status"] == "not assessed: no data here"
    with pytest.raises(TypeError, match="easting"):
        S.explain(res, 5.0)


@pytest.mark.parametrize("agg", [{"method": "topsis"}, {"method": "owa", "orness": 0.3}])
def test_explain_contributions_add_up_for_topsis_and_owa(store, default_scenario, agg):
    res = gz.score(store, default_scenario.updated({"aggregation": agg}))
    site = gz.rank_sites(res, top=1).iloc[0]
    e = S.explain(res, site)
    crit = e[e["kind"] == "criterion"]
    _close(crit["contribution"].sum(), site["score"], 1e-5)
    assert e.attrs["method"] == agg["method"]


# --- weights: direct and AHP -----------------------------------------------------------------

def test_direct_weights_are_reported_normalised(default_scenario):
    t = default_scenario.weights_table()
    assert t["raw_weight"].tolist() == [3.0, 3.0, 2.0, 1.0]
    _close(t["weight"], [3 / 9, 3 / 9, 2 / 9, 1 / 9])
    assert t.attrs["method"] == "direct"


def test_ahp_reproduces_saatys_published_drinks_example():
    # Saaty (2008), "Decision making with the analytic hierarchy process", Int. J. Services
    # Sciences 1(1): relative consumption of drinks in the US. Published priorities and
    # C.R. = 0.022 (Saaty's random index, n = 7: 1.32).
    a = [[1, 9, 5, 2, 1, 1, 1 / 2], [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
         [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9], [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
         [1, 9, 4, 2, 1, 2, 1 / 2], [1, 9, 3, 1, 1 / 2, 1, 1 / 3], [2, 9, 9, 3, 2, 3, 1]]
    w, lam, ci, cr = ahp_weights(a)
    _close(w, [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327], 0.0005)
    assert round(cr, 3) == 0.022
    _close(ci, (lam - 7) / 6)


def _ahp_data(pairwise, criteria=None):
    return {"criteria": criteria or {}, "weights": {"method": "ahp", "pairwise": pairwise}}


def test_ahp_consistent_judgements_give_exact_weights():
    # Weights 4 : 2 : 1 : 1 written as ratios (fractions as strings work too).
    sc = parse_scenario(_ahp_data({SUB: {TRANS: 2, EMP: 4, IXP: "4"},
                                   TRANS: {EMP: 2, IXP: 2}, IXP: {EMP: "1/1"}},
                                  {SUB: {"transform": "linear"}}))
    _close(list(sc.weights.values()), [0.5, 0.25, 0.125, 0.125], 1e-9)
    assert list(sc.weights) == [SUB, TRANS, EMP, IXP]
    assert sc.criterion(SUB).transform == {"type": "linear"}
    assert sc.ahp.consistency_ratio < 1e-9 and sc.weighting == "ahp"
    assert sc.weights_table().attrs["consistency_ratio"] < 1e-9
    assert parse_scenario(sc.to_dict()).weights == sc.weights
    rw = sc.reweighted(**{IXP: 0.5})       # becomes direct, starting from the AHP weights
    assert rw.weighting == "direct" and rw.ahp is None
    _close([rw.weights[n] for n in (SUB, IXP)], [0.5 / 1.375, 0.5 / 1.375], 1e-9)


def test_ahp_inconsistency_above_0_1_names_the_worst_pair():
    data = _ahp_data({SUB: {TRANS: 2, EMP: 4, IXP: 4}, TRANS: {EMP: 2, IXP: 2},
                      EMP: {IXP: 9}})
    with pytest.raises(gz.ScenarioError) as err:
        parse_scenario(data)
    msg = str(err.value)
    assert "consistency ratio is 0." in msg and "above 0.1" in msg
    assert f"The most inconsistent pair is {EMP} vs {IXP}: given 9" in msg


def test_ahp_problems_are_collected_once():
    data = _ahp_data({SUB: {TRANS: 12, "dist_ixp": 3}, TRANS: {EMP: "x"}},
                     {SUB: {"weight": 2}})
    with pytest.raises(gz.ScenarioError) as err:
        parse_scenario(data)
    p = err.value.problems
    assert any(f"[criteria.{SUB}] weight is set by the AHP judgements" in x for x in p)
    assert any("outside Saaty's scale 1/9 .. 9" in x for x in p)
    assert any("unknown criterion 'dist_ixp'. Did you mean 'dist_ixp_km'?" in x for x in p)
    assert any("is not a positive number or 'p/q'" in x for x in p)
    assert any("missing judgement" in x and f"{SUB} vs {EMP}" in x for x in p)
    assert str(err.value).startswith(f"scenario '<memory>' has {len(p)} problems")


def test_most_inconsistent_is_the_judgement_furthest_from_the_weights():
    res = AHPResult(names=("a", "b", "c"), matrix=((1, 2, 4), (0.5, 1, 8), (0.25, 0.125, 1)),
                    weights=(0.5, 0.4, 0.1), lambda_max=3, consistency_index=0,
                    consistency_ratio=0)
    # eps_ij = a_ij w_j / w_i: ab 1.6, ac 0.8, bc 2.0 -> b vs c.
    assert res.most_inconsistent() == ("b", "c", 8.0, 4.0)


# --- scenario sections: errors and round trips -----------------------------------------------

def test_aggregation_and_constraint_errors_are_specific():
    data = {"criteria": {SUB: 1, EMP: 1},
            "aggregation": {"method": "owa", "orness": 1.5, "ideal": "data", "ornes": 1},
            "constraints": {"national_parks": {"max": 1}, SUB: {"mx": 3},
                            EMP: {"min": 5, "max": 2, "missing": "drop"}}}
    with pytest.raises(gz.ScenarioError) as err:
        parse_scenario(data)
    p = err.value.problems
    assert "[aggregation] unknown key 'ornes'. Did you mean 'orness'?" in p
    assert "[aggregation] ideal applies only to method = 'topsis', not 'owa'" in p
    assert any(x.startswith("[aggregation] orness is 1.5; it must lie strictly between 0")
               for x in p)
    assert ("[constraints.national_parks] is an exclusion, not a criterion; list it under "
            "[exclusions] as national_parks = true") in p
    assert f"[constraints.{SUB}] unknown key 'mx'. Did you mean 'max'?" in p
    assert f"[constraints.{EMP}] min 5 is above max 2" in p
    assert any("missing is 'drop'; use 'keep'" in x for x in p)
    with pytest.raises(gz.ScenarioError, match="unknown method 'topsys'. Did you mean 'topsis'?"):
        parse_scenario({"criteria": {SUB: 1}, "aggregation": {"method": "topsys"}})
    with pytest.raises(gz.ScenarioError, match="order_weights has 3 values but 2 criteria"):
        parse_scenario({"criteria": {SUB: 1, EMP: 1},
                        "aggregation": {"method": "owa", "order_weights": [1, 1, 1]}})
    with pytest.raises(gz.ScenarioError, match="needs exactly one of orness"):
        parse_scenario({"criteria": {SUB: 1}, "aggregation": {"method": "owa"}})


def test_every_new_section_parses_from_toml_and_round_trips(tmp_path):
    f = tmp_path / "full.toml"
    f.write_text(textwrap.dedent(f"""
        name = "Everything"
        [weights]
        method = "ahp"
        [weights.pairwise]
        {SUB} = {{ {TRANS} = 1, {EMP} = 3, {IXP} = 5 }}
        {TRANS} = {{ {EMP} = 3, {IXP} = 5 }}
        {EMP} = {{ {IXP} = "2" }}
        [criteria.{SUB}]
        transform = {{ type = "piecewise", points = [[0, 1], [5, 0.5], [20, 0]] }}
        [aggregation]
        method = "owa"
        orness = 0.3
        [constraints]
        {SUB} = {{ max = 10 }}
        {EMP} = {{ min = 5, missing = "exclude" }}
        [exclusions]
        national_parks = true
        """), encoding="utf-8")
    sc = load_scenario(f)
    assert sc.weighting == "ahp" and sc.ahp.consistency_ratio < 0.1
    assert sc.aggregation.method == "owa" and sc.aggregation.orness == 0.3
    assert [c.label for c in sc.constraints] == [f"{SUB} <= 10", f"{EMP} >= 5"]
    assert parse_scenario(sc.to_dict(), source="again") == sc.__class__(**{**sc.__dict__,
                                                                           "source": "again"})
    over = load_scenario(f, weights={IXP: 1.0})      # an override makes AHP weights direct
    assert over.weighting == "direct" and over.criterion(IXP).weight == 1.0


def test_old_scenarios_keep_their_dict_shape(default_scenario):
    d = default_scenario.to_dict()
    assert set(d) == {"name", "description", "criteria", "exclusions", "sites"}
    assert parse_scenario(d, source=default_scenario.source) == default_scenario
