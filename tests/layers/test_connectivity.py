"""Connectivity layer: pure functions on hand-made fixtures, then facts of the real data.

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import assert_blocks_match
from conftest import value_at_lonlat as _at

from growthzones.grid import GridSpec, to_bng
from growthzones.layers import connectivity as cn
from growthzones.layers.connectivity import CRITERIA


def test_every_criterion_names_known_sources_and_a_valid_transform():
    from growthzones.catalog import catalog
    from growthzones.transforms import check_transform

    known = catalog()
    for name, crit in CRITERIA.items():
        assert crit.layer == "connectivity" and crit.direction in ("max", "min"), name
        assert [s for s in crit.sources if s not in known] == [], name
        assert check_transform(crit.default_transform) == [], name


def test_round_trip_by_hand():
    # 2 x 1.5 x 100 km / (299792.458 / 1.468 / 1000 = 204.218 km/ms) = 1.4690 ms
    assert float(cn.round_trip_ms(100.0)) == pytest.approx(1.4690, abs=1e-4)
    assert cn.FIBRE_KM_PER_MS == pytest.approx(204.218, abs=1e-3)
    assert float(cn.round_trip_ms(100.0, route_factor=1.0)) == pytest.approx(0.9793, abs=1e-4)


def test_major_exchanges_are_those_spanning_many_buildings():
    pairs_fixture = pd.DataFrame({
        "building_id": [1, 2, 3, 4, 4, 5],
        "building": ["a", "b", "c", "d", "d", "e"],
        "exchange": ["BIG", "BIG", "BIG", "BIG", "SMALL", "SMALL"],
        "lon": [0.0, 0.1, 0.2, 0.3, 0.3, -3.0], "lat": [51.5] * 5 + [55.9]})
    assert cn.exchange_sizes(pairs_fixture).to_dict() == {"BIG": 4, "SMALL": 2}
    major = cn.major_ixp_buildings(pairs_fixture, min_buildings=4)
    assert sorted(major["building_id"]) == [1, 2, 3, 4]
    assert cn.hub_building(pairs_fixture)["building_id"] == 4  # two exchanges


def test_international_landings_leave_out_domestic_planned_and_ni():
    landings_fixture = pd.DataFrame({
        "name": ["Bude", "Stornoway", "Portpatrick", "Donaghadee", "Blackpool", "Brean"],
        "cables": ["Apollo; Yellow", "Hebrides 1", "SNI 1", "SNI 1", "E-LLAN", "EXA Express"],
        "in_great_britain": [True, True, True, False, True, True],
        "lon": [-4.5, -6.4, -5.1, -5.5, -3.0, -3.0], "lat": [50.8, 58.2, 54.8, 54.6, 53.8, 51.3]})
    cables_fixture = pd.DataFrame({
        "name": ["Apollo", "Yellow", "Hebrides 1", "SNI 1", "E-LLAN", "EXA Express"],
        "is_planned": [False, False, False, False, False, True],
        "landing_countries": ["France; United Kingdom; United States",
                              "United Kingdom; United States",
                              "United Kingdom", "United Kingdom", "Isle of Man; United Kingdom",
                              "Ireland; United Kingdom"]})
    out = cn.international_landings(landings_fixture, cables_fixture)
    assert out["name"].tolist() == ["Bude"] and out["international"].iloc[0] == "Apollo; Yellow"


def test_onshore_drops_points_far_from_land():
    g = GridSpec(resolution=1000, bounds=(0, 0, 20000, 1000))
    land = np.zeros(g.shape, bool)
    land[0, :3] = True  # land x 0..3 km
    keep = cn.onshore(np.array([[2500.0, 500.0], [7400.0, 500.0], [9000.0, 500.0]]), g, land,
                      max_km=5.0)
    assert keep.tolist() == [True, True, False]  # nearest land centre x = 2.5 km


def test_la_values_maps_abolished_councils_to_successors():
    las_fixture = pd.DataFrame({"la_code": ["E07000026", "E07000027", "E08000016", "E06000001",
                                            "W06000099"]})
    ofcom_fixture = pd.Series({"E06000063": 84.8, "E06000064": 81.8, "E08000038": 91.3,
                               "E06000001": 90.0}, name="gigabit_pct_premises")
    v, unmatched = cn.la_values(las_fixture, ofcom_fixture)
    assert v.tolist()[:4] == [84.8, 81.8, 91.3, 90.0] and np.isnan(v.iloc[4])
    assert unmatched == ["E07000026", "E07000027", "E08000016", "W06000099"]


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def layers(sources, base_1km):
    return cn.build(sources, base_1km.grid, base_1km)



def test_real_major_exchanges_and_the_docklands_hub(sources):
    pairs = pd.read_csv(sources.path("ixp_exchanges"))
    sizes = cn.exchange_sizes(pairs)
    assert set(sizes[sizes >= cn.MAJOR_IX_MIN_BUILDINGS].index) == {
        "LINX London", "EQIX-LD", "LONAP", "NL-ix", "LINX Manchester", "EQIX-MA"}
    major = cn.major_ixp_buildings(pairs)
    # 23 buildings, all in London (lat 51.5) or Manchester (lat 53.4-53.5)
    london, manchester = major["lat"].between(51.4, 51.6), major["lat"].between(53.3, 53.5)
    assert len(major) == 23 and (london | manchester).all()
    assert london.sum() == 17 and manchester.sum() == 6
    hub = cn.hub_building(pairs)
    assert hub["building"] == "14 Coriander Avenue"  # Telehouse North, Docklands


def test_real_broadband_join_has_19_unmatched_codes_all_resolved(sources, base_1km):
    ofcom = cn.read_ofcom(sources.path("ofcom_connectivity_la"))
    assert len(ofcom) == 350  # GB districts and unitaries (E06/07/08/09, W06, S12)
    v, unmatched = cn.la_values(base_1km.las, ofcom["gigabit_pct_premises"])
    assert len(unmatched) == 19 and set(unmatched) == set(cn.LA_SUCCESSORS)
    assert v.notna().all()
    las = base_1km.las.assign(v=v.values).set_index("la_name")["v"]
    assert las["Allerdale"] == 84.8 and las["Barrow-in-Furness"] == 81.8  # Cumbria split
    assert las["Sheffield"] == 94.1 and las["Na h-Eileanan Siar"] == 12.0


def test_real_layer_values_at_known_places(layers, base_1km):
    # Glasgow George Square to Telehouse North: 559.2 km in BNG,
    # so 2 x 1.5 x 559.2 / 204.22 = 8.21 ms.
    gx = to_bng([-4.2518], [55.8612])[0]
    hx = to_bng([-0.0029163], [51.511549])[0]
    d_km = np.hypot(*(gx - hx)) / 1000
    assert d_km == pytest.approx(559.2, abs=0.1)
    assert _at(base_1km, layers["latency_london_ms"], -4.2518, 55.8612) == pytest.approx(
        3 * d_km / cn.FIBRE_KM_PER_MS, abs=0.02)
    assert _at(base_1km, layers["latency_london_ms"], -0.01, 51.51) < 0.05
    assert _at(base_1km, layers["dist_cable_landing_km"], -4.544, 50.828) < 1.0     # Bude
    assert _at(base_1km, layers["dist_cable_landing_km"], -6.6, 58.2) > 60          # Lewis
    assert _at(base_1km, layers["dist_major_ixp_km"], -2.24, 53.47) < 2             # Manchester
    assert _at(base_1km, layers["dist_major_ixp_km"], -1.54, 53.79) > 50            # Leeds
    assert _at(base_1km, layers["dist_ixp_km"], -1.54, 53.79) < 2                   # IXLeeds
    assert _at(base_1km, layers["dist_motorway_km"], -1.2, 52.57) < 1               # M1, Leicester
    assert _at(base_1km, layers["dist_rail_km"], -1.47, 53.38) < 1                  # Sheffield
    assert _at(base_1km, layers["gigabit_broadband_pct"], -6.6, 58.2) == 12.0       # Lewis


def test_real_layers_have_data_on_every_land_cell_only(layers, base_1km):
    land = base_1km.land
    assert set(layers) == set(CRITERIA)
    for name, arr in layers.items():
        assert arr.shape == base_1km.grid.shape and arr.dtype == np.float32, name
        assert np.isfinite(arr[land]).all() and np.isnan(arr[~land]).all(), name


def test_near_land_keeps_points_within_reach_of_the_polygons():
    import shapely

    land_fixture = [shapely.box(0, 0, 3000, 1000)]  # land x 0..3 km
    pts = np.array([[2500.0, 500.0], [7900.0, 500.0], [8100.0, 500.0]])
    assert cn.near_land(pts, land_fixture, max_km=5.0).tolist() == [True, True, False]
    assert cn.near_land(np.empty((0, 2)), land_fixture).tolist() == []


# --------------------------------------------------------------------------- the contract


@pytest.fixture(scope="module")
def features(sources):
    return cn.read(sources)


def test_real_blocks_stitched_equal_the_whole_grid(features, base_1km, layers):
    whole = assert_blocks_match(cn.on_block, features, base_1km)
    assert set(whole) == set(CRITERIA)
    for name, arr in layers.items():  # and the whole-grid wrapper gives the same
        np.testing.assert_array_equal(whole[name], arr, err_msg=name)


def test_real_read_once_and_reference_from_the_features(sources, features, base_1km,
                                                        tmp_path):
    import geopandas as gpd

    from growthzones.catalog import SourceFiles

    # a new folder name for the same files, so the session's memoised read does not answer
    link = tmp_path / "data"
    link.symlink_to(sources.root, target_is_directory=True)
    fresh = SourceFiles(link)
    f = cn.read(fresh)
    requested = list(fresh.requested)
    assert sorted(requested) == sorted({s for c in CRITERIA.values() for s in c.sources})
    made = cn.reference(f)
    cn.counts(f, {})
    assert fresh.requested == requested  # nothing after read touches a source
    # what reference(sources) gave before: the motorways read a second time
    old = cn.motorways_geojson(gpd.read_file(sources.path("motorways_gb")))
    assert made == {"motorways": (old, ("motorways_gb",))}


def test_real_landings_kept_by_polygons_as_by_land_cells(features, base_1km):
    xy = features["landing_xy"]
    by_shapes = cn.near_land(xy, base_1km.shapes)
    assert by_shapes.tolist() == cn.onshore(xy, base_1km.grid, base_1km.land).tolist()
    assert 0 < (~by_shapes).sum() < len(xy) / 4  # the West of Shetland platforms


def test_real_rail_counts_fill_the_coverage_text(features):
    counts = cn.counts(features, {})
    text = CRITERIA["dist_rail_km"].coverage_text(counts["dist_rail_km"])
    assert "…" not in text and "{" not in text
    lengths = [g.length for g in features["rail"].geoms]
    assert counts["dist_rail_km"]["km"] == round(sum(lengths) / 1000)


def test_real_exchange_counts_fill_the_coverage_text(features, sources):
    import geopandas as gpd

    got = cn.counts(features, {})["dist_ixp_km"]
    ix = gpd.read_file(sources.path("ixp_buildings"), read_geometry=False)
    assert got["buildings"] == len(ix)
    assert got["metros"].split(", ")[0] == ix["metro_area"].mode()[0].title()
    text = CRITERIA["dist_ixp_km"].coverage_text(got)
    assert "…" not in text and f"{len(ix)} UK buildings" in text and got["metros"] in text


def test_real_100m_block_in_manchester_is_finite_on_land(features, base_1km):
    import geopandas as gpd

    from growthzones.grid import BNG
    from growthzones.layers.base import build_base

    national = GridSpec(resolution=100)
    x, y = to_bng([-2.24], [53.47])[0]
    r, c = (int(v[0]) for v in national.rowcol([x], [y]))
    block = national.block(slice(r - 30, r + 30), slice(c - 30, c + 30))
    base = build_base(gpd.GeoDataFrame(base_1km.areas, geometry=base_1km.shapes, crs=BNG),
                      block)
    assert base.land.all()
    whole = assert_blocks_match(cn.on_block, features, base)
    for name, arr in whole.items():
        assert arr.shape == (60, 60) and np.isfinite(arr).all(), name
    assert np.nanmax(whole["dist_major_ixp_km"]) < 6  # Manchester's exchanges
