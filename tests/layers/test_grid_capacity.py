"""Grid capacity layer: pure functions on hand-made fixtures, then facts of the real data.

Fixtures named ``*_fixture`` are small hand-made tables, not data. Real-data tests take
the ``sources`` fixture (shared_data marker) and reuse one build of the layer at 1 km.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from growthzones.grid import GridSpec
from growthzones.layers import grid_capacity as gc
from growthzones.layers.grid_capacity import CRITERIA

from conftest import value_at_lonlat as _at


# --------------------------------------------------------------------------- registry


def test_every_criterion_names_known_sources_and_a_valid_transform():
    from growthzones.catalog import catalog
    from growthzones.transforms import check_transform

    known = catalog()
    for name, crit in CRITERIA.items():
        assert crit.layer == "grid_capacity"
        assert crit.direction in ("max", "min"), name
        assert crit.unit and crit.coverage, name
        assert [s for s in crit.sources if s not in known] == [], name
        assert len(set(crit.sources)) == len(crit.sources), name
        assert check_transform(crit.default_transform) == [], name


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("raw, key", [
    ("Ratcliffe-On-Soar 132kV Substation", "RATCLIFFE ON SOAR"),
    ("Abham  S.G.P.", "ABHAM"),
    ("Feckenham 66 11 kV S Stn", "FECKENHAM"),
    ("Bustleholm 132kv National Grid Site", "BUSTLEHOLM"),
    ("Chesterfield 275/132kv (Ngt)", "CHESTERFIELD"),
    ("'St John''s Wood substation'", "ST JOHNS WOOD"),
    ("Fiddler’s Ferry", "FIDDLERS FERRY"),
    ("DISS GRID 132/33KV", "DISS"),
    (float("nan"), ""),
])
def test_normalise_site_name(raw, key):
    assert gc.normalise_site_name(raw) == key


@pytest.mark.parametrize("raw, key", [
    ("Killingholme A and B", "KILLINGHOLME"), ("Didcot A", "DIDCOT"),
    ("Wylfa (Reactor 2)", "WYLFA"), ("Aberthaw GT", "ABERTHAW"), ("Grain CHP", "GRAIN"),
    ("EP Kilroot", "KILROOT"), ("Keadby 2", "KEADBY 2"), ("Ratcliffe (Steam)", "RATCLIFFE"),
])
def test_station_key_joins_units_of_one_station(raw, key):
    assert gc.station_key(raw) == key


# --------------------------------------------------------------------------- ETYS arithmetic


def test_node_circuit_mva_counts_only_real_inter_site_transmission_circuits():
    circuits_fixture = pd.DataFrame({
        "node1": ["AAAA41", "AAAA41", "AAAA41", "AAAA21", "AAAA11", "AAAA41"],
        "node2": ["BBBB41", "AAAA42", "CCCC41", "DDDD21", "EEEE11", "FFFF41"],
        "rating_mva": [2000, 1500, 9999, 700, 300, np.nan]})
    mva = gc.node_circuit_mva(circuits_fixture)
    # AAAA: 2000 (to BBBB) + 700 (275 kV to DDDD); the coupler inside AAAA, the 9999
    # placeholder, the 132 kV circuit and the unrated one are not counted.
    assert mva["AAAA"] == 2700
    assert mva["BBBB"] == 2000 and mva["DDDD"] == 700
    assert "CCCC" not in mva and "EEEE" not in mva


def test_node_transformer_mva_counts_step_down_only():
    trafos_fixture = pd.DataFrame({
        "node1": ["AAAA41", "AAAA42", "AAAA41", "AAAA21", "BBBB21"],
        "node2": ["AAAA11", "AAAA12", "AAAA21", "AAAA13", "BBBB11"],
        "rating_mva": [240, 240, 1000, 9999, 180]})
    mva = gc.node_transformer_mva(trafos_fixture)
    assert mva.to_dict() == {"AAAA": 480.0, "BBBB": 180.0}  # interbus and 9999 left out


def test_apply_changes_adds_removes_and_rerates_up_to_the_year():
    base_fixture = pd.DataFrame({"node1": ["AAAA41", "AAAA41", "AAAA41"],
                                 "node2": ["BBBB41", "BBBB41", "CCCC41"],
                                 "rating_mva": [1000.0, 1000.0, 800.0],
                                 "length_km": [10.0, 10.0, 5.0]})
    changes_fixture = pd.DataFrame({
        "node1": ["BBBB41", "CCCC41", "DDDD41", "EEEE41", "AAAA41"],
        "node2": ["AAAA41", "AAAA41", "AAAA41", "FFFF41", "DDDD41"],
        "year": [2025, 2027, 2029, 2029, 2032],
        "status": ["Removed", "Change", "Addition", "Removed", "Removed"],
        "rating_mva": [1000.0, 1200.0, 3000.0, 500.0, 3000.0],
        "length_km": [10.0, np.nan, 20.0, 1.0, 20.0]})
    out, unmatched = gc.apply_changes(base_fixture, changes_fixture, year=2030)
    # One of the two parallel AAAA-BBBB circuits goes; AAAA-CCCC is re-rated (length kept);
    # AAAA-DDDD is added in 2029 and its 2032 removal is after the network year.
    assert sorted(map(tuple, out[["node1", "node2", "rating_mva", "length_km"]].values.tolist())) \
        == [("AAAA41", "BBBB41", 1000.0, 10.0), ("AAAA41", "CCCC41", 1200.0, 5.0),
            ("DDDD41", "AAAA41", 3000.0, 20.0)]
    assert unmatched == 1  # EEEE-FFFF does not exist
    assert gc.node_circuit_mva(out)["AAAA"] == 1000 + 1200 + 3000


def test_site_links_keep_the_shortest_route_between_two_sites():
    c = pd.DataFrame({"node1": ["BBBB41", "AAAA41", "AAAA41"],
                      "node2": ["AAAA41", "BBBB42", "AAAA12"], "length_km": [9.0, 7.5, 0.2]})
    assert gc.site_links(c).to_dict("records") == [{"a": "AAAA", "b": "BBBB", "length_km": 7.5}]


def test_summarise_sites_drops_another_sites_primary_name():
    # ETYS lists ABHA (Abham) once as ABERTHAW, the name of ABTH.
    rows_fixture = pd.DataFrame({"site_code": ["ABTH", "ABTH", "ABHA", "ABHA", "OVER", "YORK"],
                                 "site_name": ["ABERTHAW", "ABERTHAW", "ABERTHAW", "ABHAM",
                                               "YORK NORTH", "YORK NORTH"],
                                 "kv": [275, 132, 400, 132, 275, 400]})
    s = gc.summarise_sites(rows_fixture).set_index("site_code")
    assert s.loc["ABHA", "site_name"] == "ABHAM" and s.loc["ABHA", "names"] == ("ABHAM",)
    assert s.loc["ABTH", "names"] == ("ABERTHAW",)
    assert s.loc["OVER", "names"] == ("YORK NORTH",) == s.loc["YORK", "names"]
    assert s.loc["ABHA", "max_kv"] == 400


# --------------------------------------------------------------------------- placement


def test_place_sites_follows_trust_order_and_refuses_points_that_break_circuits():
    sites_fixture = pd.DataFrame({"site_code": ["AAAA", "BBBB", "CCCC", "DALL"],
                                  "names": [("ALPHA",), ("BRAVO",), ("CHARLIE",), ("DALMALLY",)]})
    fes = pd.DataFrame({"x": [100_000.0, 900.0, 400_000.0], "y": [100_000.0, 900.0, 0.0],
                        "name": ["Alpha", None, "Dallas"], "source": "fes2024_gsp"},
                       index=["AAAA", "ZZZZ", "DALL"])
    by_name = pd.DataFrame({"x": [100_300.0, 160_000.0], "y": [100_400.0, 100_000.0],
                            "source": "nged_substations"}, index=["BRAVO", "CHARLIE"])
    geocode = pd.DataFrame({"x": [150_000.0, 108_000.0], "y": [100_000.0, 100_000.0],
                            "source": "pypsagb_geocoded"}, index=["BBBB", "CCCC"])
    links = pd.DataFrame({"a": ["AAAA", "AAAA"], "b": ["BBBB", "CCCC"], "length_km": [3.0, 10.0]})
    out = gc.place_sites(sites_fixture, [("code", fes), ("name", by_name), ("code", geocode)],
                         links).set_index("site_code")
    assert out.loc["AAAA", "coord_source"] == "fes2024_gsp"
    # BRAVO by name is 0.5 km from AAAA: within 3 km of circuit + 15 km slack.
    assert out.loc["BBBB", "coord_source"] == "nged_substations"
    # CHARLIE by name is 60 km from AAAA over a 10 km circuit: refused; the geocode
    # 8 km away is consistent and used.
    assert out.loc["CCCC", "coord_source"] == "pypsagb_geocoded"
    assert out.loc["CCCC", "refused"] == "nged_substations"
    assert out.loc["CCCC", "x"] == 108_000.0
    # NESO's DALL is Dallas, not ETYS's Dalmally: not used.
    assert np.isnan(out.loc["DALL", "x"]) and pd.isna(out.loc["DALL", "coord_source"])


def test_points_by_name_drops_ambiguous_names_and_bad_coordinates():
    pts = gc.points_by_name(["Oldbury 132kV", "Oldbury S Stn", "Penn", "Penn", "Nowhere"],
                            [398_000, 364_000, 386_000, 386_500, 0],
                            [289_000, 194_000, 295_000, 295_200, 0], source="test")
    assert list(pts.index) == ["PENN"]  # Oldbury: two places 100 km apart; 0/0 dropped
    assert pts.loc["PENN", "x"] == 386_250


# --------------------------------------------------------------------------- retired plant


def _changes(rows):
    return pd.DataFrame(rows, columns=[
        "Year of opening/closure, capacity change or conversion", "Site", "Fuel", "Status",
        "Previous Capacity (MW)", "New Capacity (MW)"])


def test_retired_capacity_nets_conversions_reopenings_and_new_units():
    changes_fixture = _changes([
        (2013, "Drax", "Coal [note 20]", "Partially Converted", 3960, 3300),
        (2013, "Drax", "Biomass [note 20]", "Partially Converted", 0, 660),
        (2018, "Drax", "Coal [note 20]", "Converted", 3300, 1320),
        (2018, "Drax", "Biomass [note 20]", "Converted", 660, 2640),
        (2023, "Drax", "Coal", "Closed", 1320, 0),
        (2012, "Wylfa (Reactor 2)", "Nuclear [note 19]", "Partially Closed", 980, 490),
        (2015, "Wylfa (Reactor 1)", "Nuclear [note 19]", "Closed", 490, 0),
        (2013, "Keadby", "CCGT", "Mothballed", 749, 0),
        (2015, "Keadby", "CCGT", "Re-opened", 0, 749),
        (2013, "West Burton", "CCGT", "Opened", 0, 1332),
        (2023, "West Burton", "Coal", "Closed", 2000, 0),
        (2020, "Sandbach", "CCGT", "Closed", 56, 0),
        (2015, "Ironbridge", "Biomass", "Closed", 370, 0),
    ])
    r = gc.retired_capacity_by_station(changes_fixture).set_index("station")["retired_mw"]
    assert r.to_dict() == {"WEST BURTON": 2000.0, "DRAX": 1320.0, "WYLFA": 980.0}
    # Keadby reopened (0 MW), Sandbach < 100 MW, Ironbridge row here is biomass only.


def test_clean_plant_coordinates_flags_irish_grid_and_drops_bad_points():
    dukes_fixture = pd.DataFrame({
        "Site Name": ["EP Kilroot", "Grain (OCGT)", "Bad X", "Cottam Development Centre"],
        "InstalledCapacity (MW)": [559, 50, 300, 445],
        "Primary Fuel": ["Coal", "Gas", "Gas", "Gas"],
        "Country": ["Northern Ireland", "England", "England", "England"],
        "X-Coordinate": [157669, 0, 3_201_233, 470307],
        "Y-Coordinate": [543287, 0, 200_000, 378332]})
    out = gc.clean_plant_coordinates(dukes_fixture)
    assert list(out["name"]) == ["EP Kilroot", "Cottam Development Centre"]
    kil = out.iloc[0]
    assert kil["ni"] and np.isnan(kil["x"]) and np.isnan(kil["y"])  # never read as BNG
    assert (out.iloc[1][["x", "y"]] == [470307, 378332]).all()


def test_locate_retired_refuses_an_ambiguous_name_without_coordinates():
    sites_fixture = pd.DataFrame({
        "site_code": ["OLDB", "OLDS", "WYLF", "WYLS"],
        "names": [("OLDBURY",), ("OLDBURY ON SEVERN",), ("WYLFA",), ("WYLFA SOUTH",)],
        "max_kv": [400.0, 132.0, 400.0, 400.0],
        "x": [398_600.0, np.nan, 235_100.0, np.nan], "y": [289_000.0, np.nan, 393_700.0, np.nan]})
    retired_fixture = pd.DataFrame({"station": ["OLDBURY", "WYLFA", "KILROOT"],
                                    "retired_mw": [434.0, 980.0, 559.0]})
    plants_fixture = pd.DataFrame({"station": ["KILROOT"], "x": [np.nan], "y": [np.nan],
                                   "ni": [True], "source": ["gppd_gbr"]})
    links_fixture = pd.DataFrame({"a": ["WYLF"], "b": ["WYLS"], "length_km": [8.11]})
    out = gc.locate_retired(retired_fixture, sites_fixture, plants_fixture,
                            links_fixture).set_index("station")
    assert out.loc["OLDBURY", "how"] == "unplaced"          # OLDBURY ON SEVERN elsewhere
    assert out.loc["WYLFA", "how"] == "name" and out.loc["WYLFA", "site_code"] == "WYLF"
    assert out.loc["KILROOT", "how"] == "northern_ireland"


# --------------------------------------------------------------------------- queues, headroom


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


def test_firm_headroom_is_n_minus_1_capacity_less_demand():
    assert gc.parse_ratings("117, 117") == [117.0, 117.0]
    assert gc.firm_headroom([117, 117], 80.7) == (117.0, 36.3)
    assert gc.firm_headroom([80, 78, 78], 53.4) == (156.0, 102.6)
    assert gc.firm_headroom([72], 9.5) == (0.0, -9.5)  # one transformer: nothing firm
    f, h = gc.firm_headroom([], 10.0)
    assert np.isnan(f) and np.isnan(h)


def test_read_osm_lines_handles_hash_separator_srid_and_multi_voltages(tmp_path):
    f = tmp_path / "links_fixture.csv"
    f.write_text(
        "l_id#voltage#wkt_srid_4326\n"
        "1#400000;132000#SRID=4326;LINESTRING(-1.0 53.0,-1.1 53.1)\n"
        "2#132000;132000#SRID=4326;LINESTRING(-2.0 52.0,-2.1 52.1)\n"
        "3#275000#SRID=4326;LINESTRING(-3.0 55.0,-3.2 55.1)\n"
        "4##SRID=4326;LINESTRING(-3.0 55.0,-3.2 55.1)\n", encoding="utf-8")
    lines = gc.read_osm_lines(f)
    assert len(lines) == 2  # the 132 kV-only link and the one with no voltage dropped
    x, y = lines[0].coords[0]
    assert x == pytest.approx(467_209, abs=5) and y == pytest.approx(345_210, abs=5)  # BNG
    assert gc.parse_voltages_kv("400000;132000") == [400.0, 132.0]


# --------------------------------------------------------------------------- geometry


def test_boundary_crossings_parity_loops_and_the_pi_cut():
    import shapely

    east = shapely.LineString([(10, -100), (10, 100)])
    west = shapely.LineString([(-10, -100), (-10, 100)])             # spans the +-pi cut
    zigzag = shapely.LineString([(30, -100), (30, 5), (40, -5), (50, 5), (50, 100)])
    loop = shapely.LineString([(-5, -5), (5, -5), (5, 5), (-5, 5), (-5, -5)])
    pts = np.array([[20.0, 0.0], [-20.0, 0.0], [60.0, 0.0], [0.0, 1.0], [20.0, 260.0]])
    got = gc.boundary_crossings(pts, [east, west, zigzag, loop], origin=(0.0, 0.0))
    assert got.tolist() == [
        2,   # (20, 0): east and the loop
        2,   # (-20, 0), bearing pi: west and the loop
        3,   # (60, 0): east, the loop, and the zigzag crossed three times (odd)
        0,   # (0, 1): inside the loop, nothing between it and the origin
        1,   # (20, 260): passes beyond the end of east (y = 130 > 100): only the loop
    ]


def test_reduce_within_max_sum_fill_and_land():
    g = GridSpec(resolution=1000, bounds=(0, 0, 5000, 1000))
    land = np.array([[True, True, True, True, False]])
    pts = np.array([[500.0, 500.0], [1500.0, 500.0]])
    s = gc.reduce_within(pts, [3.0, 4.0], g, land, radius_km=1.0, how="sum")
    assert s.tolist()[0][:4] == [7.0, 7.0, 4.0, 0.0] and np.isnan(s[0, 4])
    m = gc.reduce_within(pts, [3.0, 4.0], g, land, radius_km=1.0, how="max", fill=None)
    assert m.tolist()[0][:3] == [4.0, 4.0, 4.0] and np.isnan(m[0, 3])
    with pytest.raises(ValueError, match="how must be 'max' or 'sum'"):
        gc.reduce_within(pts, [1, 1], g, land, radius_km=1, how="mean")


def test_value_of_nearest_and_dno_area():
    g = GridSpec(resolution=1000, bounds=(0, 0, 10000, 1000))
    land = np.ones(g.shape, bool)
    v = gc.value_of_nearest(np.array([[500.0, 500.0], [9500.0, 500.0]]), [1.0, 2.0], g, land)
    assert v.tolist() == [[1.0] * 5 + [2.0] * 5]
    area = gc.dno_area(np.array([[500.0, 500.0]]), np.array([[6500.0, 500.0]]), g, land,
                       max_km=4.0)
    # within 4 km of own site and not nearer the other DNO: columns 0-3 (x 0.5..3.5 km)
    assert area.tolist() == [[True] * 4 + [False] * 6]


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def network(sources):
    return gc.locate_network_sites(sources)


@pytest.fixture(scope="module")
def layers(sources, base_1km):
    return gc.build(sources, base_1km.grid, base_1km)



def test_real_etys_placeholders_and_cottam_circuits_by_hand(sources):
    t = gc.read_etys(sources.path("etys_2024"))
    assert (t["circuits"]["rating_mva"] == 9999).sum() == 72  # SOURCES-grid.md: couplers
    # Cottam's 2024/25 circuits (B-2-1c): 2213 + 2212 + 2009 + 3326 + 2213 (COTT41 to
    # KEAD, KEAD, MARH, RYHA, STAY) + 2807 + 2212 + 3326 (COTT42 to RYHA, STAY, WBUR).
    assert gc.node_circuit_mva(t["circuits"])["COTT"] == 20318
    # Four 9999 placeholders join two different sites (e.g. BEAT4- to BLHI4-): they
    # must not count, so Beatrice's MVA is the same with or without those rows.
    c = t["circuits"]
    real = c[c["rating_mva"] != 9999]
    assert gc.node_circuit_mva(c)["BLHI"] == gc.node_circuit_mva(real)["BLHI"]


def test_real_placement_counts_and_known_sites(network):
    sites, info = network
    assert info["placed"] == 551 and info["tx_placed"] == 338 and info["refused"] == 26
    assert info["by_source"]["fes2024_gsp"] == 312
    s = sites.set_index("site_code")
    # Abham (ABHA) in Devon, not at Aberthaw; Dalmally not at NESO's Dallas.
    assert s.loc["ABHA", "y"] < 100_000 and s.loc["ABTH", "y"] > 150_000
    assert s.loc["DALL", "coord_source"] != "fes2024_gsp"
    # Tee points, border nodes and offshore platforms are not sites.
    assert not sites["site_name"].str.contains(r"\bTEE\b|BORDER|OFFSHORE").any()
    # Every placed point lies in GB.
    placed = sites.dropna(subset=["x"])
    assert placed["x"].between(0, 700_000).all() and placed["y"].between(0, 1_250_000).all()


def test_real_distance_to_400kv_matches_hand_calculation(network, layers, base_1km):
    sites, _ = network
    rats = sites.set_index("site_code").loc["RATS"]
    assert rats["coord_source"] == "fes2024_gsp"
    # The cell centred at (450500, 329500) m; RATS from FES (52.865 N, 1.255 W) is at
    # (450388.3, 329762.8): sqrt(111.7^2 + 262.8^2) = 285.6 m.
    x, y = np.array([450_500.0]), np.array([329_500.0])
    got = base_1km.grid.sample(layers["dist_transmission_km"], x, y)[0]
    assert got == pytest.approx(0.2856, abs=0.0005)
    assert np.hypot(450_500 - rats["x"], 329_500 - rats["y"]) / 1000 == pytest.approx(got, abs=1e-3)


@pytest.mark.parametrize("place, lon, lat, mw", [
    ("Cottam", -0.781, 53.304, 2000.0), ("Ratcliffe-on-Soar", -1.255, 52.865, 2021.0),
    ("Fiddlers Ferry", -2.69, 53.372, 1510.0), ("Longannet", -3.68, 56.047, 2260.0),
    ("Aberthaw", -3.40, 51.387, 1610.0), ("Wylfa", -4.48, 53.416, 980.0),
])
def test_real_retired_capacity_at_closed_stations(layers, base_1km, place, lon, lat, mw):
    assert _at(base_1km, layers["retired_capacity_mw"], lon, lat) >= mw, place


def test_real_retired_capacity_is_zero_far_from_closures_and_nan_at_sea(layers, base_1km):
    assert _at(base_1km, layers["retired_capacity_mw"], -3.13, 54.60) == 0.0   # Keswick
    assert np.isnan(layers["retired_capacity_mw"][~base_1km.land]).all()


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


def test_real_dukes_northern_ireland_rows_never_get_bng_coordinates(sources):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(sources.path("dukes_5_11"), sheet_name="DUKES 2022", header=5)
    ni = raw["Country"].astype(str).str.strip() == "Northern Ireland"
    assert ni.sum() > 0
    clean = gc.clean_plant_coordinates(raw)
    assert clean.loc[clean["ni"], ["x", "y"]].isna().all().all()
    assert clean.loc[~clean["ni"], "x"].between(1, 700_000).all()
    assert "Grain (OCGT)" not in set(clean["name"])  # 0/0 in the file


def test_real_dno_layers_are_nan_outside_their_areas(layers, base_1km):
    dq, hr = layers["dno_queue_mw"], layers["distribution_headroom_mva"]
    assert np.isnan(_at(base_1km, dq, -0.99, 53.74))          # Drax: Northern Powergrid
    assert _at(base_1km, dq, -1.255, 52.865) == pytest.approx(612.812, abs=0.01)  # Ratcliffe
    assert np.isnan(_at(base_1km, hr, -4.25, 55.86))          # Glasgow: SP Energy Networks
    assert np.isfinite(_at(base_1km, hr, 0.47, 51.57))        # Basildon: UKPN
    for arr in (dq, hr):
        share = np.isfinite(arr[base_1km.land]).mean()
        assert 0.05 < share < 0.3


def test_real_boundaries_increase_northwards(layers, base_1km, sources):
    import geopandas as gpd

    b = layers["boundaries_to_london"]
    assert _at(base_1km, b, -0.13, 51.51) == 0                 # central London
    glasgow, leeds, inverness = (_at(base_1km, b, *p) for p in
                                 ((-4.25, 55.86), (-1.55, 53.80), (-4.22, 57.48)))
    assert inverness > glasgow > leeds > 0
    bnd = gpd.read_file(sources.path("etys_boundaries_2025")).to_crs("EPSG:27700")
    crossed = {n for n, g in zip(bnd["Boundary_n"], bnd.geometry)
               if gc.boundary_crossings(gc.to_bng([-4.25], [55.86]), [g])[0]}
    assert {"B6", "B7", "B8", "B9"} <= crossed and not {"B0", "B1", "B2", "B4"} & crossed
    assert len(crossed) == glasgow


def test_real_layers_have_data_on_land_only(layers, base_1km):
    land = base_1km.land
    for name, arr in layers.items():
        assert arr.shape == base_1km.grid.shape and arr.dtype == np.float32, name
        assert np.isnan(arr[~land]).all(), name
        if name not in ("dno_queue_mw", "distribution_headroom_mva"):
            assert np.isfinite(arr[land]).all(), name
    assert set(layers) == set(CRITERIA)
