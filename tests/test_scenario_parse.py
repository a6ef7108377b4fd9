"""The scenario sections (aggregation, constraints) parse, fail with specific messages and
round-trip through TOML.
"""

from __future__ import annotations

import textwrap

import pytest

import growthzones as gz
from growthzones.scenario import load_scenario, parse_scenario

SUB, TRANS, EMP, IXP = ("dist_substation_132kv_km", "dist_transmission_km",
                        "employment_deprivation_pct", "dist_ixp_km")


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
