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
    sc = gz.load_scenario(REPO / "growthzones" / "scenarios" / "default.toml")
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
    sc = gz.load_scenario(REPO / "growthzones" / "scenarios" / "default.toml",
                          weights={"dist_ixp_km": 0})
    assert "dist_ixp_km" not in sc.weights
    again = sc.reweighted(dist_ixp_km=5)
    assert again.weights["dist_ixp_km"] > sc.weights.get("dist_ixp_km", 0)
    with pytest.raises(gz.ScenarioError, match="unknown criterion"):
        sc.reweighted(dist_ixpp_km=1)


# --- issue #9: wrong types, non-finite and huge numbers are ScenarioErrors, never a crash ------

import datetime as _dt  # noqa: E402
import math  # noqa: E402

from growthzones._errors import InputError  # noqa: E402
from growthzones.scenario import ahp_weights, with_sites  # noqa: E402

IXP = "dist_ixp_km"


def _one(doc: dict, *, base=True) -> str:
    """The single problem reported for ``doc`` (on top of a valid base scenario)."""
    data = {"criteria": {IXP: {"weight": 1}}, **doc} if base else doc
    with pytest.raises(gz.ScenarioError) as err:
        parse_scenario(data, source="t.toml")
    assert isinstance(err.value, gz.GrowthZonesError) and len(err.value.problems) == 1, \
        err.value.problems
    return err.value.problems[0]


@pytest.mark.parametrize("doc, message", [
    ({"exclusions": ["national_parks"]},
     "[exclusions] is an array (['national_parks']); it must be a table, e.g. "
     "[exclusions] national_parks = true"),
    ({"exclusions": []}, "[exclusions] is an array ([]); it must be a table"),
    ({"sites": 5}, "[sites] is a number (5); it must be a table, e.g. [sites] top = 20"),
    ({"sites": "top"}, "[sites] is a string ('top'); it must be a table"),
    ({"weights": [1]}, "[weights] is an array ([1]); it must be a table"),
    ({"constraints": ["x"]}, "[constraints] is an array (['x']); it must be a table"),
    ({"aggregation": 3}, "[aggregation] is a number (3); it must be a table with a method"),
    ({"name": {"a": 1}}, "name is a table ({'a': 1}); it must be a string"),
    ({"name": _dt.date(1979, 5, 27)}, "name is a date/time (datetime.date(1979, 5, 27)); it "
                                      "must be a string"),
    ({"description": 5}, "description is a number (5); it must be a string"),
    ({"sites": {"top": 10**30}}, "[sites] top is 1000000000000000000000000000000; it must be "
                                 "a whole number <= 10000"),
    ({"sites": {"top": "20"}}, "[sites] top is '20'; it must be a whole number >= 1"),
    ({"sites": {"top": _dt.date(2020, 1, 1)}}, "[sites] top is datetime.date(2020, 1, 1); it "
                                               "must be a whole number >= 1"),
    ({"sites": {"min_separation_km": math.nan}}, "[sites] min_separation_km is nan; it must "
                                                 "be a finite number"),
    ({"sites": {"min_separation_km": math.inf}}, "[sites] min_separation_km is inf"),
    ({"sites": {"min_separation_km": 1e308}}, "[sites] min_separation_km is 1e+308; it must "
                                              "be <= 1500"),
    ({"sites": {"min_separation_km": 10**400}}, "it must be a finite number"),
    ({"constraints": {IXP: {"max": 10**400}}}, f"[constraints.{IXP}] max is 1000"),
    ({"aggregation": {"method": "owa", "orness": 10**400}}, "[aggregation] orness is 1000"),
])
def test_wrong_typed_and_non_finite_values_are_scenario_errors(doc, message):
    assert message in _one(doc)


@pytest.mark.parametrize("weight", [math.inf, -math.inf, math.nan, 10**400, "1", True,
                                    _dt.datetime(2020, 1, 1), [1], {"a": 1}])
def test_weight_of_wrong_type_or_not_finite(weight):
    assert "weights must be finite numbers >= 0" in _one(
        {"criteria": {IXP: {"weight": 1}, "dist_transmission_km": {"weight": weight}}})


@pytest.mark.parametrize("transform, message", [
    ({"type": ["linear"]}, "transform type is ['linear']; give a name: one of linear"),
    ({"type": 3}, "transform type is 3"),
    ({"type": "decay", "half_distance": "60"}, "decay half_distance must be a positive number, "
                                               "got '60'"),
    ({"type": "decay", "half_distance": 10**400}, "decay half_distance must be a positive"),
    ({"type": "decay", "half_distance": 1e-320}, "decay half_distance must be a positive"),
    ({"type": "threshold", "value": True}, "threshold value must be a finite number"),
    ({"type": "linear", "lo": -1e308, "hi": 0}, "linear lo must be a finite number within "
                                                    "+-1e+12"),
    ({"type": "linear", "lo": _dt.date(2020, 1, 1)}, "linear lo must be a finite number"),
    ({"type": "piecewise", "points": [[True, 1], [5, 0]]}, "piecewise points must be numbers, "
                                                           "got True (bool)"),
    ({"type": "piecewise", "points": [["0", 1], ["5", 0]]}, "piecewise points must be numbers"),
    ({"type": "piecewise", "points": [[10**400, 1], [5, 0]]}, "must be finite numbers"),
    ({"type": "piecewise", "points": [[-1e308, 1], [1e308, 0]]}, "must lie within +-1e+12"),
    ({"type": "piecewise", "points": "0,1"}, "at least two [x, value] pairs"),
])
def test_wrong_typed_transform_fields(transform, message):
    problem = _one({"criteria": {IXP: {"weight": 1, "transform": transform}}}, base=False)
    assert problem.startswith(f"[criteria.{IXP}] ") and message in problem


def test_huge_weights_normalise_without_overflow():
    sc = parse_scenario({"criteria": {IXP: 1e308, "dist_transmission_km": 1e308}})
    assert sc.weights == {IXP: 0.5, "dist_transmission_km": 0.5}
    assert sc.weights_table()["weight"].tolist() == [0.5, 0.5]
    sc = parse_scenario({"criteria": {IXP: 10**30, "dist_transmission_km": 3 * 10**30}})
    assert sc.weights == pytest.approx({IXP: 0.25, "dist_transmission_km": 0.75}, rel=1e-12)
    order = parse_scenario({"criteria": {IXP: 1, "dist_transmission_km": 1}, "aggregation": {
        "method": "owa", "order_weights": [1e308, 1e308]}}).aggregation.order_weights
    assert order == (0.5, 0.5)


def test_a_negligible_positive_weight_is_refused():
    assert "is below a billionth of the largest" in _one(
        {"criteria": {IXP: 1e308, "dist_transmission_km": 5e-324}}, base=False)


def test_not_a_mapping_and_bad_load_arguments(tmp_path):
    with pytest.raises(gz.ScenarioError, match="the scenario is an array"):
        parse_scenario([1, 2])
    with pytest.raises(InputError, match="path is 5 .*give the scenario file as a str or Path"):
        gz.load_scenario(5)
    with pytest.raises(InputError, match="weights is .*give a mapping of criterion name"):
        gz.load_scenario(REPO / "growthzones" / "scenarios" / "default.toml", weights=[("dist_ixp_km", 1)])
    p = write(tmp_path, "criteria = [1]\n")
    with pytest.raises(gz.ScenarioError, match=r"\[criteria\] is an array"):
        gz.load_scenario(p, weights={IXP: 2})  # an override does not crash on a bad section


def test_weight_override_replaces_the_shorthand(tmp_path):
    p = write(tmp_path, f"[criteria]\n{IXP} = 1\ndist_transmission_km = 1\n")
    sc = gz.load_scenario(p, weights={IXP: 3})
    assert sc.weights[IXP] == pytest.approx(0.75)  # before: the override was silently ignored


@pytest.mark.parametrize("kwargs, message", [
    ({IXP: math.inf}, "weight is inf; weights must be finite numbers >= 0"),
    ({IXP: math.nan}, "weight is nan"),
    ({IXP: -1}, "weight is -1; weights must be >= 0"),
    ({"dist_ixpp_km": 1}, "unknown criterion. Did you mean 'dist_ixp_km'?"),
    ({"national_parks": 1}, "is an exclusion, not a criterion"),
])
def test_reweighted_checks_like_a_file(kwargs, message):
    sc = gz.load_scenario(REPO / "growthzones" / "scenarios" / "default.toml")
    with pytest.raises(gz.ScenarioError) as err:
        sc.reweighted(**kwargs)
    assert any(message in p for p in err.value.problems), err.value.problems


def test_with_sites_uses_the_scenario_file_checks():
    sc = gz.load_scenario(REPO / "growthzones" / "scenarios" / "default.toml")
    assert with_sites(sc, top=5, min_separation_km=10).top == 5
    for kw, message in (({"top": 0}, "top is 0; it must be a whole number >= 1"),
                        ({"top": 2.5}, "top is 2.5; it must be a whole number"),
                        ({"top": "5"}, "top is '5'; it must be a whole number >= 1"),
                        ({"min_separation_km": math.nan}, "min_separation_km is nan"),
                        ({"min_separation_km": 0}, "min_separation_km is 0; it must be > 0"),
                        ({"min_separation_km": -1}, "min_separation_km is -1")):
        with pytest.raises(InputError, match=message):
            with_sites(sc, **kw)
    with pytest.raises(InputError, match="changes is a list"):
        sc.updated([("sites", {})])


@pytest.mark.parametrize("matrix, message", [
    ([[1, 3], [3, 1]], r"matrix\[0\]\[1\] is 3 but matrix\[1\]\[0\] is 3; a reciprocal matrix "
                       r"needs matrix\[1\]\[0\] = 1 / 3 = 0.3333"),
    ([[2, 3], [1 / 3, 1]], r"matrix\[0\]\[0\] is 2; the diagonal must be 1"),
    ([[1, -3], [-1 / 3, 1]], r"matrix\[0\]\[1\] is -3; every entry must be a finite number > 0"),
    ([[1, 0], [0, 1]], r"matrix\[0\]\[1\] is 0"),
    ([[1, math.inf], [0, 1]], r"matrix\[0\]\[1\] is inf"),
    ([[1, 2, 3], [1, 2]], r"AHP matrix is .*give an \(n, n\) table"),
    ([[1, 2, 3]], r"AHP matrix has shape \(1, 3\); it must be square"),
    ("abc", r"AHP matrix"),
    ([[1] * 16] * 16, r"AHP supports at most 15 criteria"),
])
def test_ahp_weights_needs_a_positive_reciprocal_matrix(matrix, message):
    with pytest.raises(InputError, match=message):
        ahp_weights(matrix)


def test_an_unknown_exclusion_with_no_close_name_lists_the_valid_ones():
    from growthzones.criteria import REGISTRY

    with pytest.raises(gz.ScenarioError) as err:
        parse_scenario({"criteria": {"dist_transmission_km": {"weight": 1}},
                        "exclusions": {"zzzz": True}})
    msg = err.value.one_line()
    assert "[exclusions.zzzz] unknown exclusion. Valid exclusions:" in msg
    assert all(n in msg for n, c in REGISTRY.items() if c.kind == "exclusion")


def test_with_latency_is_the_default_plus_two_latency_criteria():
    default, latency = gz.load_scenario("default"), gz.load_scenario("with_latency")
    assert set(latency.weights) - set(default.weights) == {"latency_london_ms",
                                                           "dist_major_ixp_km"}
    assert all(latency.criterion(c.name) == c for c in default.criteria)
    assert (latency.exclusions, latency.constraints, latency.except_previously_developed) == \
        (default.exclusions, default.constraints, default.except_previously_developed)
