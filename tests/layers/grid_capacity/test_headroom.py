"""UKPN headroom and DNO areas (grid_capacity.headroom).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import value_at_lonlat as _at

from growthzones.grid import GridSpec
from growthzones.layers import grid_capacity as gc


@pytest.fixture
def layers(grid_capacity_1km):
    """The grid-capacity layers at 1 km, built once per session (tests/conftest.py)."""
    return grid_capacity_1km


def test_firm_headroom_is_n_minus_1_capacity_less_demand():
    assert gc.parse_ratings("117, 117") == [117.0, 117.0]
    assert gc.firm_headroom([117, 117], 80.7) == (117.0, 36.3)
    assert gc.firm_headroom([80, 78, 78], 53.4) == (156.0, 102.6)
    assert gc.firm_headroom([72], 9.5) == (0.0, -9.5)  # one transformer: nothing firm
    f, h = gc.firm_headroom([], 10.0)
    assert np.isnan(f) and np.isnan(h)


def test_value_of_nearest_and_dno_area():
    g = GridSpec(resolution=1000, bounds=(0, 0, 10000, 1000))
    land = np.ones(g.shape, bool)
    v = gc.value_of_nearest(np.array([[500.0, 500.0], [9500.0, 500.0]]), [1.0, 2.0], g, land)
    assert v.tolist() == [[1.0] * 5 + [2.0] * 5]
    area = gc.dno_area(np.array([[500.0, 500.0]]), np.array([[6500.0, 500.0]]), g, land,
                       max_km=4.0)
    # within 4 km of own site and not nearer the other DNO: columns 0-3 (x 0.5..3.5 km)
    assert area.tolist() == [[True] * 4 + [False] * 6]


def test_real_dno_layers_are_nan_outside_their_areas(layers, base_1km):
    dq, hr = layers["dno_queue_mw"], layers["distribution_headroom_mva"]
    assert np.isnan(_at(base_1km, dq, -0.99, 53.74))          # Drax: Northern Powergrid
    assert _at(base_1km, dq, -1.255, 52.865) == pytest.approx(612.812, abs=0.01)  # Ratcliffe
    assert np.isnan(_at(base_1km, hr, -4.25, 55.86))          # Glasgow: SP Energy Networks
    assert np.isfinite(_at(base_1km, hr, 0.47, 51.57))        # Basildon: UKPN
    for arr in (dq, hr):
        share = np.isfinite(arr[base_1km.land]).mean()
        assert 0.05 < share < 0.3


# ----------------------------------------------------------------- every DNO group


def test_highest_level_keeps_only_the_top_level_with_a_figure():
    p = gc.substation_points(["a", "b", "c"], np.array(["primary", "BSP", "GSP"]), [0, 1, 2], [0, 1, 2],
                   [1.0, 2.0, np.nan], "X")  # the GSP has no figure, so it drops out
    assert gc.highest_level(p)["name"].tolist() == ["b"]
    assert gc.spd_group_name("Crookston A/B") == "Crookston"
    assert gc.spd_group_name("Tongland 33Kv") == "Tongland"
    assert gc.spd_group_name("Ayr") == "Ayr"


def test_value_by_area_uses_own_area_points_within_the_levels_reach():
    g = GridSpec(resolution=1000, bounds=(0, 0, 60000, 1000))
    land = np.ones(g.shape, bool)
    area = np.zeros(g.shape, np.int16)
    area[:, :30], area[:, 30:] = 1, 2
    pts = {"_X": gc.substation_points(["p"], "primary", [500.0], [500.0], [7.0], "X"),
           # area _Y's only point lies in area _X: its cells still take it, within reach
           "_Y": gc.substation_points(["g"], "GSP", [25500.0], [500.0], [-50.0], "Y")}
    v = gc.value_by_area(pts, area, ["_X", "_Y"], g, land)[0]
    reach_p = int(gc.LEVEL_REACH_KM["primary"])  # cells 0..reach-? within 10 km of x=0.5
    assert (v[:reach_p + 1] == 7.0).all() and np.isnan(v[reach_p + 1:30]).all()
    # GSP at x=25.5 km reaches 30 km: cells of area _Y with centre <= 55.5 km
    assert (v[30:56] == -50.0).all() and np.isnan(v[56:]).all()
    none = gc.value_by_area({}, area, ["_X", "_Y"], g, land)
    assert np.isnan(none).all()  # an operator with nothing usable: NaN, never 0


def test_dno_readers_on_the_real_files(grid_capacity_raw):
    raw = grid_capacity_raw
    sepd, shepd = gc.ssen_headroom(raw["ssen"], "SEPD"), gc.ssen_headroom(raw["ssen"], "SHEPD")
    assert (sepd["level"] == "BSP").sum() == 80 and (sepd["level"] == "GSP").sum() == 0
    assert gc.highest_level(shepd)["level"].unique().tolist() == ["primary"]
    assert len(shepd) == 375
    npg = gc.npg_headroom(raw["npg"])
    drax = npg[npg["name"].str.strip().str.lower() == "drax"]
    assert (drax["level"] == "GSP").any()
    assert drax.loc[drax["level"] == "GSP", "value"].iloc[0] == pytest.approx(203.9, abs=0.1)
    assert (npg["level"] == "GSP").sum() == 41
    enwl = gc.enwl_headroom(raw["enwl"]).set_index("name")
    assert len(enwl) == 14
    assert enwl.loc["Harker / Hutton GSP (132)", "value"] == pytest.approx(-654.4)
    # the SPD file is consistent: available = firm - utilisation
    spd = raw["spd"]
    diff = (spd["Firm Capacity (MVA) 2024"] - spd["Utilisation (MVA) 2024"]
            - spd["Available Capacity (MVA) 2024"]).abs()
    assert (diff.dropna() < 0.011).all()


def test_dno_points_and_limits_are_placed(grid_capacity_features):
    f = grid_capacity_features
    head, lim = f["dno_headroom"], f["dno_limits"]
    assert set(head) | set(lim) == set(gc.DNO_MEASURES)
    assert all(gc.DNO_MEASURES[a] is None for a in lim)  # limits never count as headroom
    assert len(head["_N"]) >= 80  # 86 SPD grid groups, nearly all placed by name
    nged = lim["_B"].set_index("name")
    assert len(nged) >= 45
    # published winter import limits (negative = import), taken as positive MW
    assert nged.filter(like="Ratcliffe", axis=0)["value"].iloc[0] == pytest.approx(387.4)
    assert nged.filter(like="West Burton", axis=0)["value"].iloc[0] == pytest.approx(207.3)
    assert lim["_D"].set_index("name").loc["Rainhill", "value"] == pytest.approx(430.3)


def test_dno_headroom_covers_every_publishing_area(grid_capacity_features, base_1km):
    f = grid_capacity_features
    out = gc.dno_headroom_on_grid(f, base_1km.grid, base_1km.land)
    hr, lim = out["dno_demand_headroom_mva"], out["gsp_import_limit_mw"]
    idx, names = gc.licence_area_index(f["dno_areas"], base_1km.grid)
    for i, name in enumerate(names, 1):
        cells = base_1km.land & (idx == i)
        cov_h, cov_l = np.isfinite(hr[cells]).mean(), np.isfinite(lim[cells]).mean()
        if gc.DNO_MEASURES[name] is None:
            assert cov_h == 0 and cov_l > 0.4, name
        else:
            assert cov_h > 0.2 and cov_l == 0, name
    assert np.isnan(_at(base_1km, hr, -1.255, 52.865))       # Ratcliffe: NGED, no headroom
    assert _at(base_1km, lim, -1.255, 52.865) > 0
    assert np.isfinite(_at(base_1km, hr, -0.99, 53.74))      # Drax: Northern Powergrid GSP
    old = layers_old = gc.features_on_grid(f, base_1km.grid, base_1km.land)
    assert np.isfinite(old["distribution_headroom_mva"][base_1km.land]).mean() < \
        np.isfinite(hr[base_1km.land]).mean() / 3
    del layers_old
