"""Weights: direct weights normalised, AHP against a published example and its consistency checks.
"""

from __future__ import annotations

import pytest
from conftest import assert_close as _close

import growthzones as gz
from growthzones.scenario import AHPResult, ahp_weights, parse_scenario

SUB, TRANS, EMP, IXP = ("dist_substation_132kv_km", "dist_transmission_km",
                        "employment_deprivation_pct", "dist_ixp_km")


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
