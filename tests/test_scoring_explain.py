"""Explanations: raw value, weight and contribution per criterion, adding up to the score.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close as _close
from test_scoring_masks import _constraint_store

import growthzones as gz
from growthzones import scoring as S
from growthzones.scenario import parse_scenario

SUB, TRANS, EMP, IXP = ("dist_substation_132kv_km", "dist_transmission_km",
                        "employment_deprivation_pct", "dist_ixp_km")


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
