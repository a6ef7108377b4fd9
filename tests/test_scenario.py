"""Scenario loading: every problem reported at once, with the fix."""

from pathlib import Path

import pytest

import growthzones as gz
from growthzones.scenario import parse_scenario

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_default_scenario_loads_and_normalises_weights():
    sc = gz.load_scenario(REPO / "scenarios" / "default.toml")
    w = sc.weights
    assert abs(sum(w.values()) - 1) < 1e-12
    raw = {c.name: c.weight for c in sc.criteria}
    total = sum(raw.values())
    for name, value in w.items():
        assert value == pytest.approx(raw[name] / total)
    assert "national_parks" in sc.exclusions


def test_all_problems_reported_at_once_with_suggestions(tmp_path):
    p = write(tmp_path, """
[criteria.dist_substaton_132kv_km]
weight = 1
[criteria.dist_ixp_km]
weight = -0.15
transform = "lnear"
[exclusions]
national_park = true
""")
    with pytest.raises(gz.ScenarioError) as err:
        gz.load_scenario(p)
    msg = str(err.value)
    assert "has 4 problems" in msg
    assert ("[criteria.dist_substaton_132kv_km] unknown criterion. "
            "Did you mean 'dist_substation_132kv_km'?") in msg
    assert "[criteria.dist_ixp_km] weight is -0.15; weights must be >= 0" in msg
    assert "unknown transform 'lnear'. Did you mean 'linear'?" in msg
    assert "[exclusions.national_park] unknown exclusion. Did you mean 'national_parks'?" in msg


def test_all_zero_weights_rejected():
    with pytest.raises(gz.ScenarioError, match="all weights are zero"):
        parse_scenario({"criteria": {"dist_ixp_km": {"weight": 0},
                                     "dist_transmission_km": {"weight": 0}}})


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(gz.ScenarioError, match="file not found"):
        gz.load_scenario(tmp_path / "nope.toml")
    with pytest.raises(gz.ScenarioError, match="not valid TOML"):
        gz.load_scenario(write(tmp_path, "[criteria\nweight = "))


def test_exclusion_listed_as_criterion_is_explained():
    with pytest.raises(gz.ScenarioError, match=r"is an exclusion, not a criterion; list it "
                                               r"under \[exclusions\]"):
        parse_scenario({"criteria": {"national_parks": {"weight": 1}}})


def test_bad_transform_parameters():
    with pytest.raises(gz.ScenarioError) as err:
        parse_scenario({"criteria": {
            "dist_ixp_km": {"weight": 1, "transform": {"type": "piecewise",
                                                       "points": [[5, 1], [0, 0]]}},
            "dist_transmission_km": {"weight": 1, "transform": {"type": "decay"}}}})
    assert "strictly increasing x" in str(err.value)
    assert "transform 'decay' needs parameter 'half_distance'" in str(err.value)


def test_weight_overrides_and_reweighted():
    sc = gz.load_scenario(REPO / "scenarios" / "default.toml",
                          weights={"dist_ixp_km": 0})
    assert "dist_ixp_km" not in sc.weights
    again = sc.reweighted(dist_ixp_km=5)
    assert again.weights["dist_ixp_km"] > sc.weights.get("dist_ixp_km", 0)
    with pytest.raises(gz.ScenarioError, match="unknown criterion"):
        sc.reweighted(dist_ixpp_km=1)
