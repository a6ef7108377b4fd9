"""Exclusion exceptions for previously developed land (issue 11 item 3).

Hand-made FIXTURE stores for the rule and its explanation; the embedded store for one real
case (a National Park cell beside a former works) and the CLI's one-line errors.
"""

import numpy as np
import pytest
from conftest import make_fixture_store

import growthzones as gz
from growthzones._errors import ScenarioError
from growthzones.scenario import parse_scenario
from growthzones.scoring import masks

NAN = np.nan


def park_store():
    # FIXTURE: four cells; B and C in a National Park, C (and D, outside it) previously
    # developed; D's former-industry distance shows an airfield-only flag.
    return make_fixture_store({
        "employment_deprivation_pct": np.array([[5.0, 25.0, 15.0, 10.0]]),
        "national_parks": np.array([[0.0, 1.0, 1.0, 0.0]]),
        "previously_developed": np.array([[0.0, 0.0, 1.0, 1.0]]),
        "dist_former_industry_km": np.array([[9.0, 4.0, 0.4, 3.0]]),
    })


def park_scenario(excepted=None, **exclusions):
    ex = {"national_parks": True, **exclusions}
    if excepted is not None:
        ex["except_previously_developed"] = excepted
    return parse_scenario({"criteria": {"employment_deprivation_pct": 1},
                           "exclusions": ex})


def test_previously_developed_cell_in_a_designation_is_excluded_without_the_exception():
    r = gz.score(park_store(), park_scenario())
    assert r.excluded.tolist() == [False, True, True, False]
    assert r.allowed_by == {}
    assert gz.explain(r, 2500, 500).loc["national_parks", "status"] == "excluded"


def test_the_exception_lets_only_previously_developed_cells_through():
    r = gz.score(park_store(), park_scenario(["national_parks"]))
    # B stays excluded (park, not previously developed); C is let through and ranks.
    assert r.excluded.tolist() == [False, True, False, False]
    assert r.allowed_by["national_parks"].tolist() == [False, False, True, False]
    assert not np.isnan(r.ranked[2]) and r.ranked[2] == r.score[2]
    sites = gz.rank_sites(r, top=4, min_separation_km=0.1)
    assert "E2N0" in sites["site_id"].tolist() and "E1N0" not in sites["site_id"].tolist()
    summary = r.exclusion_summary()
    assert summary.loc["national_parks", "cells"] == 1
    assert summary.loc["national_parks", "allowed_previously_developed"] == 1


def test_explain_says_an_exception_let_the_cell_through():
    r = gz.score(park_store(), park_scenario(["national_parks"]))
    ex = gz.explain(r, 2500, 500)  # cell C
    row = ex.loc["national_parks"]
    assert row["status"] == "allowed: previously developed land"
    assert row["reason"] == ("inside National Parks (national_parks), allowed: previously "
                             "developed land (former heavy-industry site 0.4 km from the "
                             "cell centre)")
    assert ex.attrs["allowed"] == [row["reason"]] and ex.attrs["excluded"] is False
    assert r.why_allowed([1, 2]) == [[], ["inside National Parks (national_parks), allowed: "
                                          "previously developed land"]]
    # B, in the park but not previously developed, is still excluded and says why.
    assert gz.explain(r, 1500, 500).attrs["allowed"] == []


def _fixture_features(**cols):
    import pandas as pd

    # FIXTURE features table with the store's features.csv columns: a closed station
    # 400 m east of cell C's centre (2500, 500), a substation nearer still (not a register
    # site: it makes nothing previously developed) and a works 3 km away.
    base = {
        "label": ["Fixture A (former power station)", "Far Works (cement works)",
                  "Fixture Hub (400 kV substation)"],
        "name": ["Fixture A", "Far Works", "Fixture Hub"],
        "kind": ["coal power station", "cement works", "substation"], "tier": [1, 2, 4],
        "status": ["closed", "reporting in 2014", ""], "closure_year": [1994.0, NAN, NAN],
        "easting": [2900.0, 2500.0, 2600.0], "northing": [500.0, 3500.0, 500.0],
        "source": ["fixture"] * 3}
    return pd.DataFrame({**base, **cols})


def test_explain_names_the_former_works_when_the_store_has_the_register():
    store = park_store()
    store.features = _fixture_features()
    r = gz.score(store, park_scenario(["national_parks"]))
    assert gz.explain(r, 2500, 500).loc["national_parks", "reason"].endswith(
        "allowed: previously developed land (Fixture A, coal power station, closed 1994, "
        "0.4 km from the cell centre)")


def test_explain_names_a_works_that_names_no_site():
    # A works known only by its company has no label (it names no site) but still
    # explains the flag, by its company name and its state.
    from growthzones.ranking import name_features
    from growthzones.scoring.explain import previously_developed_detail

    store = park_store()
    store.features = _fixture_features(label=["", "Far Works (cement works)",
                                              "Fixture Hub (400 kV substation)"],
                                       name=["Fixture Bricks Ltd", "Far Works", "Fixture Hub"],
                                       kind=["brick, lime or ceramics works", "cement works",
                                             "substation"],
                                       status=["reporting in 2014", "reporting in 2014", ""],
                                       closure_year=[NAN, NAN, NAN])
    assert previously_developed_detail(store, 2) == (
        "Fixture Bricks Ltd, brick, lime or ceramics works, reporting in 2014, 0.4 km from "
        "the cell centre")
    # naming skips it: the substation names the point
    assert name_features(store.features, [2900.0], [500.0]) == [
        "Fixture Hub (400 kV substation)"]


def test_airfield_only_flag_is_described_as_such():
    from growthzones.scoring.explain import previously_developed_detail

    assert previously_developed_detail(park_store(), 3) == (
        "a closed airfield within 1 km; nearest former heavy-industry site 3.0 km")


def test_no_flag_data_means_no_exception():
    store = make_fixture_store({
        "employment_deprivation_pct": np.array([[5.0, 25.0]]),
        "national_parks": np.array([[1.0, 1.0]]),
        "previously_developed": np.array([[NAN, 1.0]]),
    })
    r = gz.score(store, park_scenario(["national_parks"]))
    assert r.excluded.tolist() == [True, False]


def test_exception_is_per_exclusion():
    store = make_fixture_store({
        "employment_deprivation_pct": np.array([[5.0, 25.0]]),
        "national_parks": np.array([[1.0, 0.0]]),
        "aonb_wales": np.array([[0.0, 1.0]]),
        "previously_developed": np.array([[1.0, 1.0]]),
    })
    r = gz.score(store, park_scenario(["national_parks"], aonb_wales=True))
    assert r.excluded.tolist() == [False, True]
    assert r.why_excluded(1) == [["in an excluded area: aonb_wales"]]


def test_rescoring_with_and_without_the_exception_uses_separate_cache_entries():
    store = park_store()
    a = gz.score(store, park_scenario(["national_parks"]))
    b = gz.score(store, park_scenario())
    c = gz.score(store, park_scenario(["national_parks"]))
    assert a.excluded.tolist() == c.excluded.tolist() != b.excluded.tolist()


def test_radius_matches_the_layer_build():
    from growthzones.layers import industry

    assert masks.PREVIOUSLY_DEVELOPED_KM == industry.PREVIOUSLY_DEVELOPED_KM


def test_exceptions_round_trip_through_to_dict():
    sc = park_scenario(["national_parks", "national_parks"])
    assert sc.except_previously_developed == ("national_parks",)
    d = sc.to_dict()
    assert d["exclusions"]["except_previously_developed"] == ["national_parks"]
    assert parse_scenario(d) == parse_scenario(d)
    assert parse_scenario(d).except_previously_developed == ("national_parks",)
    # without exceptions the key is left out, so older scenarios round-trip unchanged
    assert "except_previously_developed" not in park_scenario().to_dict()["exclusions"]


@pytest.mark.parametrize("value, message", [
    (["national_park"], "[exclusions] except_previously_developed names 'national_park', "
                        "an unknown exclusion. Did you mean 'national_parks'?"),
    (["aonb_wales"], "[exclusions] except_previously_developed names 'aonb_wales', which "
                     "this scenario does not exclude; add aonb_wales = true or drop it"),
    ("national_parks", "[exclusions] except_previously_developed is a string "
                       "('national_parks'); it must be a list of exclusion names"),
    ([1], "[exclusions] except_previously_developed is an array ([1]); it must be a list"),
])
def test_bad_exception_lists_are_named(value, message):
    with pytest.raises(ScenarioError) as e:
        park_scenario(value)
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(message)


def test_misspelt_exception_key_suggests_it():
    with pytest.raises(ScenarioError, match="Did you mean 'except_previously_developed'"):
        parse_scenario({"criteria": {"employment_deprivation_pct": 1},
                        "exclusions": {"except_previously_develop": ["national_parks"]}})


def test_cli_prints_a_bad_exception_key_as_one_line(tmp_path):
    import subprocess
    import sys

    f = tmp_path / "bad.toml"
    f.write_text('[criteria.employment_deprivation_pct]\nweight = 1\n[exclusions]\n'
                 'national_parks = true\nexcept_previously_developed = ["nationl_parks"]\n')
    p = subprocess.run([sys.executable, "-m", "growthzones.cli", "run", "--scenario", str(f),
                        "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "except_previously_developed names 'nationl_parks'" in lines[0]
    assert "Did you mean 'national_parks'?" in lines[0]


def test_embedded_store_park_cell_on_former_works():
    # The real case: embedded-store cells inside a National Park with the flag set, which
    # the default's other rules (room for a campus, built-up land) leave in play.
    store = gz.load_layers()
    base = gz.load_scenario("default")
    ex = base.to_dict()["exclusions"]
    without = gz.score(store, base)
    with_ = gz.score(store, base.updated(
        {"exclusions": {**ex, "except_previously_developed": ["national_parks"]}}))
    let = with_.allowed_by["national_parks"]
    assert let.any()
    park = store.read_vector("national_parks") == 1
    flag = store.read_vector("previously_developed") == 1
    assert (let == (park & flag)).all()
    assert without.excluded_by["national_parks"][let].all()
    freed = let & ~with_.excluded
    assert freed.any() and without.excluded[freed].all()
    i = int(np.flatnonzero(freed)[0])
    rows, cols = np.divmod(store.land_index[i], store.grid.width)
    x, y = store.grid.xy(rows, cols)
    e = gz.explain(with_, float(x), float(y))
    assert e.loc["national_parks", "status"] == "allowed: previously developed land"
    assert e.attrs["allowed"][0].startswith("inside National Parks (national_parks), allowed")
    # the cell of the former Trawsfynydd station, in Snowdonia, names it
    d = np.hypot(*(np.array(store.grid.xy(*np.divmod(store.land_index, store.grid.width)))
                   - np.array([[269184.0], [338197.0]])))
    j = int(np.argmin(np.where(let, d, np.inf)))
    rows, cols = np.divmod(store.land_index[j], store.grid.width)
    reason = gz.explain(with_, *map(float, store.grid.xy(rows, cols))).loc[
        "national_parks", "reason"]
    assert reason == ("inside National Parks (national_parks), allowed: previously developed "
                      "land (Trawsfynydd, nuclear power station, closed 1991, 0.4 km from the "
                      "cell centre)")


def test_dataset_path_applies_the_exception_like_the_store_path():
    store = park_store()
    sc = park_scenario(["national_parks"])
    ds = gz.scoring.score_dataset(gz.scoring.store_dataset(store), sc)
    assert (ds["excluded"].values.ravel() == 1).tolist() == \
        gz.score(store, sc).excluded.tolist()


def test_sites_table_and_map_say_which_exclusion_was_lifted():
    from growthzones import maps

    r = gz.score(park_store(), park_scenario(["national_parks"]))
    sites = gz.rank_sites(r, top=4, min_separation_km=0.1)
    flags = dict(zip(sites["site_id"], sites["allowed_in_exclusions"]))
    assert flags["E2N0"] == "national_parks" and flags["E0N0"] == ""
    page = maps.map_html(maps.render_map(r, sites))
    assert "Allowed inside an exclusion: previously developed land (national_parks)" in page
    plain = maps.map_html(maps.render_map(gz.score(park_store(), park_scenario()), None))
    assert "Allowed inside an exclusion" not in plain


def test_store_features_carry_the_register_sites_it_was_built_with():
    # load_layers reads the one features table (tests/layers/test_named_features.py checks
    # its build); the embedded store ships it with what explain reads.
    from growthzones.store import FEATURES_COLUMNS

    emb = gz.load_layers().features
    assert emb is not None and set(FEATURES_COLUMNS) <= set(emb.columns)
    sites = emb[emb["kind"] != "substation"]
    assert len(sites) > 400 and (emb["label"] == "").any()
    assert "Trawsfynydd" in set(sites["name"])


def test_a_store_without_the_register_table_loads_and_explains_by_distance(tmp_path):
    import shutil

    from growthzones.store import FEATURES_FILE

    src = gz.catalog.embedded_store_dir() / "gb_1000m"
    copy = tmp_path / "gb_1000m"
    (copy / "layers").mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file() and f.name != FEATURES_FILE:
            shutil.copy(f, copy / f.name)
    for f in (src / "layers").iterdir():
        (copy / "layers" / f.name).symlink_to(f)
    store = gz.load_layers(copy)
    assert store.features is None
    from growthzones.scoring.explain import previously_developed_detail

    i = int(np.flatnonzero(store.read_vector("previously_developed") == 1)[0])
    assert previously_developed_detail(store, i).startswith(("former heavy-industry site",
                                                             "a closed airfield"))
