"""Theme scales (``--theme``), weight overrides and the scenario names that record them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import growthzones as gz
from growthzones._errors import InputError
from growthzones.cli import main
from growthzones.criteria import REGISTRY
from growthzones.scenario import override_label, parse_scenario, with_overrides

CRIT = {"dist_transmission_km": 2.0,        # grid_capacity
        "dist_substation_132kv_km": 1.0,    # grid_capacity
        "dist_major_river_km": 1.0,         # water
        "dist_ixp_km": 4.0}                 # connectivity


def _raw(sc):
    return {c.name: c.weight for c in sc.criteria}


def _file(tmp_path, extra=""):
    body = "".join(f"[criteria.{n}]\nweight = {w}\n" for n, w in CRIT.items())
    p = tmp_path / "s.toml"
    p.write_text(f'name = "Mine"\n{extra}\n{body}', encoding="utf-8")
    return p


def test_theme_scale_multiplies_every_weighted_criterion_of_the_theme(tmp_path):
    sc = gz.load_scenario(_file(tmp_path), themes={"grid_capacity": 3})
    assert _raw(sc) == {"dist_transmission_km": 6.0, "dist_substation_132kv_km": 3.0,
                        "dist_major_river_km": 1.0, "dist_ixp_km": 4.0}
    # normalised: grid now 9 of 14
    grid = sum(w for n, w in sc.weights.items() if REGISTRY[n].layer == "grid_capacity")
    assert grid == pytest.approx(9 / 14)


def test_theme_first_then_weight_overrides_exactly(tmp_path):
    sc = gz.load_scenario(_file(tmp_path), themes={"grid_capacity": 3},
                          weights={"dist_transmission_km": 1})
    assert _raw(sc)["dist_transmission_km"] == 1.0         # set, not scaled
    assert _raw(sc)["dist_substation_132kv_km"] == 3.0     # scaled
    assert sc.name == "Mine (dist_transmission_km=1, grid_capacity×3)"


def test_a_file_themes_table_scales_its_own_weights_before_overrides(tmp_path):
    p = _file(tmp_path, "[themes]\nwater = 0.5\n")
    assert _raw(gz.load_scenario(p))["dist_major_river_km"] == 0.5
    sc = gz.load_scenario(p, weights={"dist_major_river_km": 2}, themes={"water": 3})
    assert _raw(sc)["dist_major_river_km"] == 2.0         # the override wins over both scales
    sc = gz.load_scenario(p, themes={"water": 3})
    assert _raw(sc)["dist_major_river_km"] == pytest.approx(1.5)  # file scale, then --theme
    # a parsed scenario round-trips without scaling twice
    assert _raw(parse_scenario(sc.to_dict())) == _raw(sc)


def test_with_overrides_matches_load_and_converts_ahp():
    base = gz.load_scenario("default")
    a = with_overrides(base, weights={"dist_ixp_km": 2}, themes={"water": 0.5})
    b = gz.load_scenario("default", weights={"dist_ixp_km": 2}, themes={"water": 0.5})
    assert a.weights == pytest.approx(b.weights) and a.name == b.name
    assert with_overrides(base) is base


@pytest.mark.parametrize("themes, message", [
    ({"watr": 2}, "unknown theme 'watr'. Did you mean 'water'?"),
    ({"water": -1}, "themes water is -1; it must be >= 0"),
    ({"water": float("nan")}, "must be a finite number"),
    ({"flood": 2}, "theme flood: the scenario gives no weight to any flood criterion"),
])
def test_bad_theme_scales_are_errors(tmp_path, themes, message):
    with pytest.raises((InputError, gz.ScenarioError), match=message):
        gz.load_scenario(_file(tmp_path), themes=themes)


def test_ahp_file_refuses_a_themes_table():
    data = {"weights": {"method": "ahp", "pairwise": {
        "dist_ixp_km": {"dist_transmission_km": 3}}}, "themes": {"water": 2}}
    with pytest.raises(gz.ScenarioError, match=r"\[themes\] scales direct weights"):
        parse_scenario(data)


def test_override_label_is_the_one_name():
    assert override_label("Default", {"grid_headroom_mw": 2}, {"water": 0.5}) == \
        "Default (grid_headroom_mw=2, water×0.5)"
    assert override_label("Default", {}, {}) == "Default"


def test_run_names_the_overrides_in_every_output(tmp_path):
    out = tmp_path / "r"
    assert main(["run", "--weight", "dist_ixp_km=2", "--theme", "water=0.5", "--top", "2",
                 "--out", str(out)]) == 0
    name = "Default (dist_ixp_km=2, water×0.5)"
    assert json.loads((out / "run.json").read_text())["scenario"]["name"] == name
    assert name in (out / "map.html").read_text(encoding="utf-8")


def test_compare_applies_overrides_to_b_and_names_it(tmp_path):
    out = tmp_path / "c"
    assert main(["compare", "default", "--theme", "grid_capacity=2", "--top", "5",
                 "--within", "England", "--out", str(out)]) == 0
    rec = json.loads((out / "run.json").read_text())
    assert [s["name"] for s in rec["scenarios"]] == ["Default", "Default (grid_capacity×2)"]
    assert rec["within"]["label"] == "England (nation)"
    cmp = pd.read_csv(out / "comparison.csv")
    assert (cmp["scenario_b"] == "Default (grid_capacity×2)").all()
    assert set(cmp["local_authority"]) <= set(
        gz.areas.councils().query("nation == 'E'")["council_name"])


def test_theme_scale_on_an_ahp_scenario_makes_it_direct(tmp_path):
    p = tmp_path / "ahp.toml"
    p.write_text('name = "Pairs"\n[weights]\nmethod = "ahp"\n[weights.pairwise]\n'
                 'dist_transmission_km = { dist_ixp_km = 3 }\n', encoding="utf-8")
    base = gz.load_scenario(p)
    sc = gz.load_scenario(p, themes={"connectivity": 3})
    assert sc.weighting == "direct" and sc.name == "Pairs (connectivity×3)"
    # AHP gives 0.75 / 0.25; tripling connectivity makes them equal
    assert base.weights["dist_transmission_km"] == pytest.approx(0.75)
    assert sc.weights["dist_ixp_km"] == pytest.approx(0.5)
