"""The industrial register, the former-industry criteria and existing data centres.

Small hand-made frames (``*_fixture``) for the pure functions; the real shared files for
each reader, the register's deduplication and the agreement of the two layers that use
closed power stations (post_industrial and grid_capacity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import value_at as at

from growthzones.criteria import REGISTRY
from growthzones.grid import GridSpec
from growthzones.layers import industry
from growthzones.layers import post_industrial as pi


@pytest.fixture(scope="module")
def register(sources):
    return industry.read_register(sources)


@pytest.fixture(scope="module")
def pi_1km(sources, base_1km):
    return pi.build(sources, base_1km.grid, base_1km)


def _closures(rows):
    return pd.DataFrame(rows, columns=["station", "sites", "fuels", "peak_mw", "present_mw",
                                       "retired_mw", "last_change"])


# ------------------------------------------------------------------- pure functions ---

def test_place_closures_names_a_station_missing_from_the_table():
    closures_fixture = _closures([("NOWHERE", "Nowhere B", "coal", 500, 0, 500, 2030)])
    table_fixture = pd.DataFrame({"station": ["ELSEWHERE"], "position_source": ["none"],
                                  "position_key": [np.nan]})
    with pytest.raises(KeyError, match="'NOWHERE' have no row in closed_stations.csv"):
        industry.place_closures(closures_fixture, table_fixture, {})


def test_place_closures_names_a_key_its_source_lacks():
    closures_fixture = _closures([("TILBURY", "Tilbury B", "coal", 1063, 0, 1063, 2013)])
    table_fixture = pd.DataFrame({"station": ["TILBURY"], "position_source": ["etys"],
                                  "position_key": ["TILX"]})
    etys_fixture = pd.DataFrame({"x": [1.0], "y": [2.0]}, index=["TILB"])
    with pytest.raises(KeyError, match="placed by etys 'TILX'"):
        industry.place_closures(closures_fixture, table_fixture, {"etys": etys_fixture})


def test_merge_register_deduplicates_dukes_and_gem_stations():
    # DUKES holds Dungeness B (1,090 MW since 2010); GEM's project also has Dungeness A
    # (460 MW, 2006): one site of 1,550 MW. GEM's Lynemouth retired coal in 2015 but DUKES
    # nets its biomass conversion: no site. Methil (2000) is GEM-only: its own site.
    closures_fixture = _closures([
        ("DUNGENESS", "Dungeness B", "nuclear", 1090, 0, 1090, 2021)]).assign(
        x=[608_311.0], y=[116_893.0], position=["plant"], position_source=["gem_nuclear:D"])
    table_fixture = pd.DataFrame({"station": ["DUNGENESS"], "gem_plant": ["D"]})
    nuclear_fixture = pd.DataFrame({"before_2010_mw": [460.0], "since_2010_mw": [1090.0],
                                    "closure_year": [2006.0], "x": [608_300.0],
                                    "y": [116_900.0]}, index=["D"])
    coal_fixture = pd.DataFrame({"before_2010_mw": [0.0, 60.0], "since_2010_mw": [456.0, 0.0],
                                 "closure_year": [np.nan, 2000.0], "x": [1.0, 2.0],
                                 "y": [1.0, 2.0]}, index=["Lynemouth", "Methil"])
    steel_fixture = pd.DataFrame({"name": ["Port Talbot"], "status": ["retired (part)"],
                                  "capacity": [5e6], "x": [276_000.0], "y": [186_000.0]})
    hotmaps_fixture = pd.DataFrame({"name": ["Port Talbot Works", "Fawley Refinery"],
                                    "kind": ["steelworks", "refinery"],
                                    "capacity": [np.nan, 1e6], "x": [277_500.0, 445_000.0],
                                    "y": [186_500.0, 103_000.0]})
    airfields_fixture = pd.DataFrame({"name": ["RAF Upper Heyford"], "x": [451_000.0],
                                      "y": [226_000.0]})
    reg = industry.merge_register(closures_fixture, table_fixture, coal_fixture,
                                  nuclear_fixture, steel_fixture, hotmaps_fixture,
                                  airfields_fixture).set_index("name")
    assert list(reg.index) == ["Dungeness B", "Methil", "Port Talbot", "Fawley Refinery",
                               "RAF Upper Heyford"]
    assert reg.loc["Dungeness B", "capacity"] == 1550.0
    assert reg.loc["Dungeness B", "retired_mw_before_2010"] == 460.0
    assert reg.loc["Methil", "closure_year"] == 2000.0
    assert reg.loc["Port Talbot", "capacity_unit"] == "t/yr"   # the Hotmaps copy dropped
    assert np.isnan(reg.loc["Fawley Refinery", "retired_mw_since_2010"])  # not a station


def test_hotmaps_office_points_and_duplicates_are_dropped_and_counted():
    raw_fixture = pd.DataFrame({
        "SiteName": ["Port Talbot", "Llanwern", "Glass A", "Glass A (E-PRTR)", "Cement B"],
        "Subsector": ["Iron and steel", "Iron and steel", "Glass", "Glass", "Cement"],
        "DataSource": ["ETS", "ETS", "ETS/EPRTR", "EPRTR", "ETS"],
        "easting": [440_000.0, 440_000.0, 450_000.0, 450_300.0, np.inf],
        "northing": [390_000.0, 390_000.0, 420_000.0, 420_100.0, np.inf],
        "lat": [53.4, 53.4, 53.7, 53.7, np.nan], "in_ni": [False] * 5,
        "Production": [np.nan] * 5, "Emissions_ETS_2014": [9.0, 9.0, 1.0, np.nan, 1.0],
        "Emissions_EPRTR_2014": [np.nan, np.nan, np.nan, 2.0, np.nan]})
    sites, dropped = industry.hotmaps_sites(raw_fixture)
    assert dropped == {"northern_ireland": 0, "no_coordinates": 1, "office_address": 2,
                       "duplicate": 1}
    assert sites["name"].tolist() == ["Glass A (E-PRTR)"]   # the larger emitter kept


def test_former_industry_criteria_by_hand():
    g = GridSpec(resolution=1000, bounds=(0, 0, 30_000, 1000))
    land = np.ones(g.shape, bool)
    reg_fixture = pd.DataFrame({
        "kind": ["coal power station", "nuclear power station", "airfield", "cement works"],
        "capacity": [1000.0, 400.0, np.nan, 1e6],
        "x": [500.0, 10_500.0, 25_500.0, np.nan], "y": [500.0] * 4})
    out = industry.former_industry_on_grid(reg_fixture, g, land)
    # The airfield and the unplaced works do not count for the distance.
    np.testing.assert_allclose(out["dist_former_industry_km"][0, [0, 5, 10, 29]],
                               [0, 5, 0, 19])
    # Both stations within 10 km of cell 5 and cell 10 only reaches the nuclear one...
    assert out["retired_generation_mw_10km"][0, 5] == 1400
    assert out["retired_generation_mw_10km"][0, 11] == 400
    assert out["retired_generation_mw_10km"][0, 29] == 0
    # ...while previously developed includes the airfield, within 1 km.
    assert out["previously_developed"][0].tolist() == (
        [1, 1] + [0] * 7 + [1, 1, 1] + [0] * 12 + [1, 1, 1] + [0] * 3)


def test_data_centre_elements_of_one_campus_count_once():
    g = GridSpec(resolution=1000, bounds=(0, 0, 60_000, 1000))
    land = np.ones(g.shape, bool)
    # Three buildings of one campus (links of 250 m) and a lone building 30 km away.
    xy = np.array([[500.0, 500], [750, 500], [1000, 500], [30_500, 500]])
    out = industry.data_centres_on_grid(xy, g, land)
    assert out["data_centres_20km"][0, 0] == 1 and out["data_centres_20km"][0, 15] == 2
    assert out["data_centres_20km"][0, 55] == 0
    assert out["dist_data_centre_km"][0, 30] == 0 and out["dist_data_centre_km"][0, 1] == 0.5


# --------------------------------------------------------------------- real data ---

def test_gem_coal_reaches_back_to_2000(sources):
    coal = industry.gem_plants(industry.read_gem_coal(sources), name_col="Plant name",
                               retired_col="Retired year")
    assert coal.loc["Drakelow power station", "closure_year"] == 2003
    assert coal.loc["High Marnham power station", "before_2010_mw"] > 0
    assert coal.loc["Tilbury power station", "before_2010_mw"] == 0   # retired 2011


def test_gem_nuclear_and_steel_readers(sources):
    nuc = industry.gem_plants(industry.read_gem_nuclear(sources), name_col="Project Name",
                              retired_col="Retirement Date")
    assert nuc.loc["Berkeley nuclear power plant", "closure_year"] == 1989
    assert nuc.loc["Hunterston nuclear power plant", "before_2010_mw"] > 0   # Hunterston A
    steel = industry.read_gem_steel(sources).set_index("name")
    assert steel.loc["Tata Steel Port Talbot steel plant", "status"] == "retired (part)"
    assert steel["x"].between(200_000, 500_000).all()   # Wales to Teesside, in BNG


def test_hotmaps_reader_drops_the_rotherham_office(sources):
    raw = industry.read_hotmaps(sources)
    sites, dropped = industry.hotmaps_sites(raw)
    assert dropped["no_coordinates"] == int((raw["lat"].isna() & ~raw["in_ni"]).sum())
    assert "Port Talbot Steelworks" not in set(sites["name"])    # Rotherham office point
    assert np.isfinite(sites[["x", "y"]].to_numpy()).all()
    assert sites["kind"].isin(industry.HOTMAPS_KINDS.values()).all()
    assert {"refinery", "non-ferrous metals works", "cement works"} <= set(sites["kind"])


def test_airfield_osm_plant_and_data_centre_readers(sources):
    af = industry.read_closed_airfields(sources)
    assert af["name"].str.contains("Upper Heyford").any()
    osm = industry.read_osm_power_plants(sources)
    assert osm.loc["483571979", "name"] == "Barry Power Station"
    dc = industry.read_data_centres(sources)
    assert dc["x"].between(0, 700_000).all() and dc["id"].is_unique
    assert set(dc["lifecycle"]) >= set(industry.DATA_CENTRE_LIFECYCLES)


def test_register_holds_pre_2010_coal_and_nuclear_closures(register):
    reg, _ = register
    by = reg.set_index("name")
    for name in ("Methil power station", "Drakelow power station",
                 "High Marnham power station", "Berkeley nuclear power plant",
                 "Bradwell nuclear power plant"):
        assert by.loc[name, "closure_year"] < 2010 and by.loc[name, "position"] == "plant"
    assert by.loc["Hunterston B", "retired_mw_before_2010"] > 0     # Hunterston A joined
    power = reg[reg["kind"].isin(industry.POWER_KINDS)]
    assert not power["name"].str.contains("Lynemouth").any()    # converted, not closed...
    assert (reg.loc[reg["name"].str.contains("Lynemouth"), "kind"]
            == "non-ferrous metals works").all()                 # ...but its smelter closed
    # no GEM-only site repeats a DUKES station (same kind within 1 km); Calder Hall and
    # Windscale, 0.7 km apart at Sellafield, are two GEM stations and stay two
    p = power.dropna(subset=["x"])
    du = p[p["source"].str.startswith("dukes_5_11")]
    for r in p[~p["source"].str.startswith("dukes_5_11")].itertuples():
        same = du[du["kind"] == r.kind]
        assert (np.hypot(same["x"] - r.x, same["y"] - r.y) > 1000).all(), r.name


def test_summary_counts_every_site_once(register):
    reg, _ = register
    s = industry.register_summary(reg)
    assert s["sites"].sum() == len(reg) and (s["placed"] <= s["sites"]).all()
    counts = industry.coverage_counts(reg, {})["dist_former_industry_km"]
    text = REGISTRY["dist_former_industry_km"].coverage_text(counts)
    assert f"airfield {s.loc['airfield', 'placed']} of {s.loc['airfield', 'sites']}" in text
    assert "…" not in text  # every placeholder of the coverage text has its figure


def test_both_layers_read_the_same_closed_stations(grid_capacity_features, sources):
    """post_industrial and grid_capacity agree on stations, MW and points."""
    grid = grid_capacity_features["retired"]
    post = pi.read_closed_stations(sources)
    g = grid[grid["retired_mw_since_2010"] >= pi.MIN_CLOSED_MW].set_index("name")
    p = post.set_index("name")
    assert set(g.index) == set(p.index)
    pd.testing.assert_series_equal(g["retired_mw_since_2010"], p.loc[g.index,
                                   "retired_mw_since_2010"])
    np.testing.assert_array_equal(g[["x", "y"]].to_numpy(), p.loc[g.index, ["x", "y"]].to_numpy())


def test_both_rasters_see_each_placed_station(grid_capacity_1km, pi_1km, base_1km, sources):
    post = pi.read_closed_stations(sources).dropna(subset=["x"])
    on_land = [r for r in post.itertuples() if base_1km.grid.sample(
        base_1km.land.astype(float), np.array([r.x]), np.array([r.y]))[0] == 1]
    assert len(on_land) >= len(post) - 5   # a few shore stations fall in 1 km sea cells
    for r in on_land:
        assert at(pi_1km, base_1km, "dist_closed_power_station_km", r.x, r.y) < 0.71, r.name
        assert at(grid_capacity_1km, base_1km, "retired_capacity_mw", r.x, r.y) >= \
            r.retired_mw_since_2010, r.name


def test_former_industry_rasters_at_known_places(pi_1km, base_1km):
    land = base_1km.land
    for name in ("dist_former_industry_km", "retired_generation_mw_10km",
                 "previously_developed", "dist_data_centre_km", "data_centres_20km"):
        assert np.isfinite(pi_1km[name][land]).all() and np.isnan(pi_1km[name][~land]).all()
    assert set(np.unique(pi_1km["previously_developed"][land])) == {0.0, 1.0}
    # Drakelow C (closed 2003) now counts; the Cairngorms are far from any industry.
    assert at(pi_1km, base_1km, "retired_generation_mw_10km", 423_194, 319_627) >= 1075
    assert at(pi_1km, base_1km, "dist_former_industry_km", 300_000, 800_000) > 20
    # Slough has the densest data-centre cluster in GB.
    slough = at(pi_1km, base_1km, "data_centres_20km", 496_500, 181_500)
    assert slough >= 10 and slough > at(pi_1km, base_1km, "data_centres_20km", 300_000, 800_000)


def test_docstring_examples_run():
    import doctest

    from growthzones.layers.industry import register

    result = doctest.testmod(register, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
