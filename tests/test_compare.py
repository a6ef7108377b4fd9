"""Scenario comparison: rank changes, entering and leaving the top N, difference surfaces."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import foundation_scenario

import growthzones as gz
from growthzones.compare import compare_scenarios

SUB, IXP = "dist_substation_132kv_km", "dist_ixp_km"


@pytest.fixture(scope="module")
def base():
    return foundation_scenario()


@pytest.fixture(scope="module")
def ixp_heavy(store, base):
    return compare_scenarios(store, base, base.reweighted(**{IXP: 4}))


def test_a_scenario_compared_with_itself_changes_nothing(store, base):
    c = compare_scenarios(store, base, base)
    assert (c.sites["rank_change"].dropna() == 0).all()
    assert c.sites["rank_a"].notna().all() and (c.sites["rank_a"] == c.sites["rank_b"]).all()
    assert c.entered.empty and c.left.empty
    assert set(c.sites["status"]) == {"stayed", "outside"}
    d = c.surface("difference")
    assert np.nanmax(np.abs(d)) == 0 and np.isnan(d[~store.land]).all()


def test_entering_and_leaving_balance_and_ranks_are_consistent(ixp_heavy):
    c = ixp_heavy
    s = c.sites
    assert len(c.entered) == len(c.left) > 0
    assert (s["rank_a"].fillna(99) <= 20).sum() == 20 and (s["rank_b"].fillna(99) <= 20).sum() == 20
    both = s.dropna(subset=["rank_a", "rank_b"])
    assert (both["rank_change"] == both["rank_a"] - both["rank_b"]).all()
    assert (c.entered["rank_b"] <= 20).all()
    assert (c.entered["rank_a"].fillna(np.inf) > 20).all()
    assert (c.left["rank_a"] <= 20).all() and (c.left["rank_b"].fillna(np.inf) > 20).all()
    assert (s["moved_km"].dropna() <= c.a.scenario.min_separation_km).all()
    assert f"{len(c.entered)} entered, {len(c.left)} left" in c.summary()


def test_site_scores_are_each_scenarios_score_at_the_site(ixp_heavy):
    c = ixp_heavy
    row = c.sites.iloc[0]
    pos = gz.scoring.cell_at(c.a, row["easting"], row["northing"])
    assert row["score_a"] == pytest.approx(float(c.a.ranked[pos]))
    assert row["score_b"] == pytest.approx(float(c.b.ranked[pos]))


def test_difference_surface_is_b_minus_a(store, ixp_heavy):
    c = ixp_heavy
    d = c.surface("difference")
    r, col = np.argwhere(store.land)[1234]
    want = c.b.surface("score_all")[r, col] - c.a.surface("score_all")[r, col]
    assert d[r, col] == pytest.approx(want)


def test_exclusion_change_marks_cells_a_constraint_removes(store, base):
    b = base.updated({"constraints": {SUB: {"max": 10}}})
    c = compare_scenarios(store, base, b, pool=40)
    ch = c.surface("exclusion_change")
    newly = (store.layer(SUB) > 10) & store.land & (store.layer("national_parks") != 1)
    assert (ch[newly] == 1).all() and (ch[store.land & ~newly] == 0).all()
    assert np.isnan(c.surface("difference_ranked")[newly]).all()


def test_bad_inputs_are_errors(store, base):
    from growthzones._errors import InputError

    # a wrong type is an InputError (one line on the CLI), no longer a bare TypeError
    with pytest.raises(InputError, match="is a str .*give a Scenario .* or a ScoreResult"):
        compare_scenarios(store, base, "power.toml")
    other = gz.scoring.score(gz.load_layers(store.path), base)
    with pytest.raises(ValueError, match="same store"):
        compare_scenarios(store, base, other)
    with pytest.raises(KeyError, match="no surface 'ratio'"):
        compare_scenarios(store, base, base, pool=20).surface("ratio")


@pytest.mark.parametrize("kwargs, message", [
    ({"top": 0}, "top is 0; it must be a whole number >= 1 (e.g. top=20)"),
    ({"top": -5}, "top is -5"),
    ({"top": 2.5}, "top is 2.5; it must be a whole number"),
    ({"pool": 0}, "pool is 0; it must be a whole number >= 1"),
    ({"match_km": float("nan")}, "match_km is nan; it must be a finite number"),
    ({"match_km": 0}, "match_km is 0; it must be > 0"),
])
def test_bad_compare_arguments_are_input_errors(store, base, kwargs, message):
    from growthzones._errors import InputError

    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compare_scenarios(store, base, base, **kwargs)
    with pytest.raises(InputError, match="store is a Scenario; give the layer store first"):
        compare_scenarios(base, base, base)
