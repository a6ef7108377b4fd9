"""TEC and NGED connection queues (grid_capacity.queues).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from growthzones.layers import grid_capacity as gc


def test_tec_projects_deduplicates_staged_rows():
    tec_fixture = pd.DataFrame({
        "Project Name": ["Big BESS", "Big BESS", "Big BESS", "Old CCGT", "Shrinking"],
        "Connection Site": ["X 400kV Substation"] * 3 + ["Y 400kV", "Z GSP"],
        "Stage": [1, 2, 3, np.nan, np.nan],
        "MW Connected": [0, 0, 0, 900, 300],
        "Cumulative Total Capacity (MW)": [100, 250, 400, 1200, 200],
        "Project Status": ["Scoping"] * 3 + ["Built", "Built"],
        "Plant Type": ["Energy Storage System"] * 3 + ["CCGT", "Wind Onshore"],
        "HOST TO": ["NGET"] * 5, "Project ID": ["p1", "p1", "p1", "p2", "p3"]})
    p = gc.tec_projects(tec_fixture).set_index("project_id")
    assert p["queued_mw"].to_dict() == {"p1": 400.0, "p2": 300.0, "p3": 0.0}
    assert p.loc["p1", "n_rows"] == 3  # the naive row sum would say 750 MW


def test_nged_queue_leaves_out_budget_estimates():
    q_fixture = pd.DataFrame({
        "Grid Supply Point": ["A", "A", "A", "B"],
        "Connection Status": ["Budget Estimates Provided", "Connection offers accepted",
                              "Connection offers not yet accepted", "Budget Estimates Provided"],
        "Total Demand Capacity (MW)": [500.0, 40.0, 10.0, 99.0],
        "Total Generation Capacity (MW)": [500.0, 5.0, 0.5, 1.0]})
    out = gc.nged_queue_by_gsp(q_fixture)
    assert out.to_dict("records") == [{"gsp": "A", "demand_mw": 50.0, "generation_mw": 5.5,
                                       "queued_mw": 55.5}]


def test_real_tec_dedup_reproduces_the_stated_ex_coal_queues(sources):
    tec = pd.read_csv(sources.path("tec_register_2025"), encoding="utf-8-sig")
    p = gc.tec_projects(tec)
    assert len(p) == 2082 and p["n_rows"].max() > 1
    by_site = p.groupby("connection_site")["queued_mw"].sum()
    # SOURCES-grid.md: Drax 4.3 GW, Didcot 3.4, Blyth 3.2, Eggborough 3.2, Cottam 2.7,
    # Ferrybridge C 1.7, West Burton 1.6, Fiddlers Ferry 1.3, Wylfa South 1.1.
    expected = {"Drax 400kV Substation": 4.3, "Didcot 400kV Substation": 3.4,
                "Blyth 400kV Substation": 3.2, "Eggborough 400kV Substation": 3.2,
                "Cottam 400kV Substation": 2.7, "Ferrybridge C 275kV Substation": 1.7,
                "West Burton 400kV Substation": 1.6, "Fiddlers Ferry 275kV Substation": 1.3,
                "Wylfa South 400kV Substation": 1.1}
    for site, gw in expected.items():
        assert by_site[site] / 1000 == pytest.approx(gw, abs=0.05), site
    naive = tec["Cumulative Total Capacity (MW)"].sum() - tec["MW Connected"].sum()
    assert p["queued_mw"].sum() < naive  # staged rows would double count
