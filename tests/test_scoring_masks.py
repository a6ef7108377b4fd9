"""Exclusions and constraints: applied after aggregation, each with its reason.
"""

from __future__ import annotations

import numpy as np
from conftest import assert_close as _close
from conftest import make_fixture_store

import growthzones as gz
from growthzones.scenario import parse_scenario

NAN = np.nan
SUB, TRANS, EMP, IXP = ("dist_substation_132kv_km", "dist_transmission_km",
                        "employment_deprivation_pct", "dist_ixp_km")


# --- constraints and exclusions --------------------------------------------------------------

def _constraint_store():
    # 1 x 4 cells: substation at 5, 12, (no data), 8 km; the last cell in a national park.
    return make_fixture_store({SUB: [[5.0, 12.0, NAN, 8.0]], EMP: [[10.0, 20.0, 30.0, 40.0]],
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


def test_a_network_years_exclusions_are_the_stores_own_arrays():
    # no exclusion layer varies by year: at 100 m each year would hold a 23 MB copy
    store, sc = gz.load_layers(), gz.load_scenario()
    year = next(s for s in sorted(store.network_years()) if store.at_network_year(s) is not store)
    here, there = gz.score(store, sc), gz.score(store, sc, network_year=year)
    assert there.store is not store and there.excluded.any()
    assert there.excluded is here.excluded
    assert all(there.excluded_by[k] is here.excluded_by[k] for k in here.excluded_by)
