"""National context of every site: percentiles, exclusion reasons, top contributions (#13)."""

import re

import numpy as np
import pytest
from conftest import make_fixture_store
from hypothesis import given, settings
from hypothesis import strategies as st

import growthzones as gz
from growthzones.context import national_percentile, percentile_of, site_context


@pytest.fixture(scope="module")
def real(store):
    return gz.score(store, gz.load_scenario())


def test_the_best_picked_site_is_at_the_100th_percentile(real):
    sites = gz.rank_sites(real, top=5)
    assert sites["national_percentile"].iloc[0] == 100.0
    assert (sites["national_percentile"].diff().dropna() <= 0).all()
    assert (sites["national_percentile"] > 99).all()  # five of ~195k scored cells
    # by hand: the share of scored cells at or below the 5th site's score
    s = np.asarray(real.ranked, float)
    s = s[~np.isnan(s)]
    fifth = float(real.ranked[gz.top_sites(real, top=5)["pos"].iloc[4]])
    assert sites["national_percentile"].iloc[4] == pytest.approx(
        100 * (s <= fifth).sum() / s.size, abs=0.01)
    assert sites["notes"].iloc[0].startswith("national percentile 100.0; 100.0 before "
                                             "exclusions; biggest contributions: ")


def test_an_excluded_site_says_why_and_what_it_would_score(real, tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("name,easting,northing\nHelvellyn,334200,515100\n")
    row = gz.score_sites(real, gz.read_sites(f)).iloc[0]
    assert np.isnan(row["score"]) and np.isnan(row["national_percentile"])
    assert row["status"].startswith("excluded: ")
    assert real.reasons["national_parks"] in row["status"]
    assert f"score before exclusions {row['score_before_exclusions']:.3f}" in row["status"]
    assert 0 < row["national_percentile_before_exclusions"] < 100
    # the popup shows the reason where the score would be
    from growthzones.maps._sites import _popup_cells

    head = dict(_popup_cells(row, real.weights, real.store.meta)[0])
    assert head["Score"] == row["status"] and "before exclusions" in head["Notes"]


def test_top_contributions_name_the_criterion_its_value_and_unit(real):
    row = gz.rank_sites(real, top=1).iloc[0]
    parts = row["top_contributions"].split("; ")
    assert len(parts) == 3
    contribs = [float(re.search(r"\(\+([0-9.]+)\)", p).group(1)) for p in parts]
    assert contribs == sorted(contribs, reverse=True)
    # with the store's named features, each names the thing behind it, with its distance
    assert all(re.search(r"\) [0-9.]+ km away$", p) for p in parts), parts
    best = max(real.weights, key=lambda n: row[f"{n}_contrib"])
    meta = real.store.meta[best]
    assert parts[0].startswith(f"{meta['title']}: ") and meta["unit"] in parts[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=200),
       st.floats(0, 1), st.floats(0, 1))
def test_percentiles_are_monotone_in_the_score(ref, a, b):
    ref = np.sort(np.array(ref))
    lo, hi = min(a, b), max(a, b)
    p_lo, p_hi = percentile_of(ref, [lo, hi])
    assert 0 <= p_lo <= p_hi <= 100
    assert percentile_of(ref, [ref.max()])[0] == 100.0


def test_national_percentile_before_exclusions_ranks_every_scored_cell():
    store = make_fixture_store({"employment_deprivation_pct": np.array([[1.0, 2.0, 3.0, 4.0]]),
                                "national_parks": np.array([[0, 0, 0, 1.0]])})
    sc = gz.parse_scenario({"criteria": {"employment_deprivation_pct": {"weight": 1}},
                            "exclusions": {"national_parks": True}})
    r = gz.score(store, sc)
    s = np.asarray(r.score, float)
    # after exclusions three cells are left: the third is the top one
    assert national_percentile(r, [s[2]]).tolist() == [100.0]
    assert national_percentile(r, [s[2]], before_exclusions=True).tolist() == [75.0]
    assert national_percentile(r, [s[0]]).tolist() == [pytest.approx(33.33)]
    ctx = site_context(r, gz.ranking.site_table(r, np.arange(4)))
    assert ctx["status"].tolist()[:3] == ["scored"] * 3
    assert ctx["status"].iloc[3].startswith("excluded: ")


def test_contributions_name_the_feature_behind_them_with_its_distance():
    import pandas as pd

    from growthzones.context import contribution_table

    store = make_fixture_store({
        "dist_closed_power_station_km": np.array([[3.0, 2.0, 1.0, 0.2]]),
        "employment_deprivation_pct": np.array([[1.0, 1.0, 1.0, 2.0]])})
    # a FIXTURE features table (the store's features.csv columns), not real places
    # (the unlabelled station, nearer, is a register site that names nothing)
    store.features = pd.DataFrame({
        "label": ["Fixture A (former power station)", "Fixture Works (steelworks)", ""],
        "name": ["Fixture A", "Fixture Works", "Fixture Power Ltd"],
        "kind": ["coal power station", "steelworks", "gas power station"],
        "tier": [1, 2, 1], "status": ["closed", "operating", "closed"],
        "closure_year": [2019.0, np.nan, 2015.0], "easting": [3600.0, 500.0, 3500.0],
        "northing": [500.0, 500.0, 500.0], "source": ["fixture"] * 3})
    sc = gz.parse_scenario({"criteria": {"dist_closed_power_station_km": {"weight": 3},
                                         "employment_deprivation_pct": {"weight": 1}}})
    r = gz.score(store, sc)
    sites = gz.rank_sites(r, top=1, min_separation_km=1)
    parts = contribution_table(r, sites, top=None)
    first = parts.iloc[0]
    assert first["criterion"] == "dist_closed_power_station_km"
    assert first["feature"] == "Fixture A (former power station)"
    assert first["feature_km"] == pytest.approx(0.1)  # cell centre (3500, 500) to (3600, 500)
    assert "Fixture A (former power station) 0.1 km away" in sites["top_contributions"].iloc[0]
    # a criterion no feature explains names nothing
    other = parts[parts["criterion"] == "employment_deprivation_pct"]
    assert len(other) == 1 and other["feature"].iloc[0] == ""


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False, width=32), min_size=1, max_size=60))
def test_few_and_many_sites_get_the_same_percentiles(real, scores):
    # up to 32 scores are counted directly, more through a sorted copy: the same rule
    scores = np.array(scores, dtype=float)
    many = national_percentile(real, np.concatenate([scores, np.linspace(0, 1, 40)]))
    few = np.concatenate([national_percentile(real, scores[i:i + 10])
                          for i in range(0, len(scores), 10)])
    np.testing.assert_array_equal(few, many[: len(scores)])
    order = np.argsort(scores, kind="stable")
    assert (np.diff(many[: len(scores)][order]) >= 0).all()  # monotone in the score
