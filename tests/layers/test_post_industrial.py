"""Post-industrial status: composite UK deprivation, closed power stations, the index.

Hand arithmetic on small fixtures for the pure functions; the real files for the joins
(every GB small-area code must match) and for known places (Jaywick is England's most
deprived LSOA in IoD2019; Longannet and Cottam are closed coal stations).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_blocks_match
from conftest import value_at as at

from growthzones.catalog import catalog
from growthzones.grid import GridSpec
from growthzones.layers import post_industrial as pi

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pi_1km(sources, base_1km):
    """Every post-industrial layer built from the real shared data at 1 km (about 3 s)."""
    return pi.build(sources, base_1km.grid, base_1km)


@pytest.fixture(scope="module")
def stations(sources):
    return pi.read_closed_stations(sources)


@pytest.fixture(scope="module")
def features(sources):
    """The theme's features, every source read once (``pi.read``)."""
    return pi.read(sources)


def region_base(base_1km, resolution, bounds):
    """A base of its own (the region is the whole grid) at ``resolution`` over ``bounds``,
    from the national small-area polygons every base carries."""
    import geopandas as gpd

    from growthzones.grid import BNG
    from growthzones.layers.base import build_base

    areas = gpd.GeoDataFrame(base_1km.areas, geometry=base_1km.shapes, crs=BNG)
    return build_base(areas, GridSpec(resolution=resolution, bounds=bounds))


# ------------------------------------------------------------------- pure functions ---

def test_mean_within_radius_by_hand():
    g = GridSpec(resolution=1000, bounds=(0, 0, 4000, 1000))
    pts = np.array([[500.0, 500.0], [600.0, 400.0], [2500.0, 500.0], [3500.0, 500.0]])
    vals = np.array([2.0, 4.0, 9.0, np.nan])
    mean, count = pi.mean_within_radius(pts, vals, g, 1000.0)
    # Cells 0 and 1 see bins 0-1 and 0-2: (2 + 4) / 2 and (2 + 4 + 9) / 3; cell 2 sees
    # bins 1-3 (one value, the NaN is ignored); cell 3 sees bin 2 only.
    np.testing.assert_allclose(mean[0], [3.0, 5.0, 9.0, 9.0])
    np.testing.assert_array_equal(count[0], [2, 3, 1, 1])
    mean, count = pi.mean_within_radius(pts[:1], vals[:1], g, 1000.0)
    assert np.isnan(mean[0, 2]) and count[0, 2] == 0


def test_mean_within_radius_counts_points_beyond_the_grid():
    # a one-row grid and its right half: the half sees the point in the left half
    g = GridSpec(resolution=1000, bounds=(0, 0, 4000, 1000))
    half = g.block(slice(0, 1), slice(2, 4))
    pts, vals = np.array([[1500.0, 500.0], [2500.0, 500.0]]), np.array([1.0, 0.1])
    mean, count = pi.mean_within_radius(pts, vals, g, 1000.0)
    hmean, hcount = pi.mean_within_radius(pts, vals, half, 1000.0)
    np.testing.assert_array_equal(hcount, count[:, 2:])
    np.testing.assert_array_equal(hmean, mean[:, 2:])   # exactly: sums in whole units
    assert hmean[0, 0] == pytest.approx(0.55)


def test_post_industrial_index_by_hand():
    e = np.array([20.0, 8.0, 14.0, 30.0, 5.0])
    d = np.array([0.0, 1e9, 10.0, 20.0, 0.0])
    got = pi.post_industrial_index(e, d)
    # 0.5*1 + 0.5*1; 0 + 0; 0.5*0.5 + 0.5*0.5; 0.5*1 + 0.5*0.25; 0 + 0.5*1
    np.testing.assert_allclose(got, [1.0, 0.0, 0.5, 0.625, 0.5], atol=1e-6)
    assert np.isnan(pi.post_industrial_index(np.array([np.nan]), np.array([1.0]))[0])


def test_criteria_declare_units_directions_and_catalogued_sources():
    cat = catalog()
    for crit in pi.CRITERIA.values():
        assert crit.layer == "post_industrial" and crit.kind == "criterion"
        assert crit.direction in ("max", "min") and crit.unit and crit.coverage
        assert all(s in cat for s in crit.sources)
    assert "employment_deprivation_pct" in pi.CRITERIA   # the default scenario uses it


def test_post_industrial_only_scenario_loads():
    import growthzones as gz

    sc = gz.load_scenario(REPO / "growthzones" / "scenarios" / "post_industrial_only.toml")
    assert list(sc.weights) == ["post_industrial"] and sc.top == 15


# --------------------------------------------------------------------- real data ---

def test_composite_codes_join_every_gb_small_area(sources, base_1km):
    imd = pi.read_composite_imd(sources.path("uk_composite_imd"))
    raw = pd.read_csv(sources.path("uk_composite_imd"))
    assert (raw["nation"] == "N").sum() == 890 and len(imd) == len(raw) - 890
    codes = set(base_1km.areas["code"])
    assert len(codes) == 34_753 + 6_976
    assert len(codes - set(imd.index)) == 0        # small areas without a score
    assert len(set(imd.index) - codes) == 0        # scores without a polygon
    assert not imd.index.duplicated().any()


def test_jaywick_is_in_the_most_deprived_decile(pi_1km, base_1km, sources):
    # Tendring 018A (Jaywick, E01021988): IoD2019 rank 1 of 32,844 in England, and the
    # highest employment deprivation in England (53.4 %). At 1 km one cell's centre falls
    # in it: the cell at 614.5 km E, 213.5 km N.
    eng = pd.read_csv(Path(sources.root) / "post_industrial/deprivation/imd2019_england_lsoa11.csv")
    assert eng.set_index("lsoa11_code").loc["E01021988", "IMD_rank"] == 1
    x, y = 614_500, 213_500
    r, c = base_1km.grid.rowcol(np.array([x]), np.array([y]))
    assert base_1km.areas["code"].iloc[base_1km.area_index[r[0], c[0]] - 1] == "E01021988"
    assert at(pi_1km, base_1km, "uk_imd_decile", x, y) == 1
    assert at(pi_1km, base_1km, "employment_deprivation_pct", x, y) == pytest.approx(53.4, abs=0.01)


def test_deprivation_layers_cover_all_gb_land(pi_1km, base_1km):
    for name in ("employment_deprivation_pct", "income_deprivation_pct", "uk_imd_score",
                 "uk_imd_decile", "employment_deprivation_10km_pct", "post_industrial"):
        assert np.isfinite(pi_1km[name][base_1km.land]).all(), name
    dec = pi_1km["uk_imd_decile"][base_1km.land]
    assert set(np.unique(dec)) == set(range(1, 11))


def test_place_deprivation_smooths_but_stays_in_range(pi_1km, base_1km):
    e10 = pi_1km["employment_deprivation_10km_pct"][base_1km.land]
    own = pi_1km["employment_deprivation_pct"][base_1km.land]
    assert e10.max() < own.max() and e10.min() > own.min()
    # Middlesbrough's neighbourhood is more employment-deprived than Cambridge's.
    assert (at(pi_1km, base_1km, "employment_deprivation_10km_pct", 449_500, 519_500)
            > 2 * at(pi_1km, base_1km, "employment_deprivation_10km_pct", 545_000, 258_500))


def test_place_deprivation_falls_back_to_the_own_small_area(pi_1km, base_1km, sources):
    imd = pi.read_composite_imd(sources.path("uk_composite_imd"))
    cent = pi.small_area_centroids(sources)
    emp = cent.index.to_series().map(imd["employment_score"]).to_numpy(float)
    _, count = pi.mean_within_radius(cent[["x", "y"]].to_numpy(), emp, base_1km.grid,
                                     pi.PLACE_RADIUS_M)
    lonely = base_1km.land & (count == 0)
    assert 0.03 < lonely.sum() / base_1km.land.sum() < 0.07   # remote uplands and islands
    np.testing.assert_array_equal(pi_1km["employment_deprivation_10km_pct"][lonely],
                                  pi_1km["employment_deprivation_pct"][lonely])


def test_closed_stations_are_located_or_listed_as_not_located(stations):
    # Barry and Roosecote are now placed from OpenStreetMap (2026), Teesside at the Wilton
    # substation; three small CCGTs remain without a position in any source.
    assert set(stations.loc[stations["x"].isna(), "name"]) == {"Deeside", "Derwent", "Shotton"}
    located = stations.dropna(subset=["x"])
    assert {"Longannet", "Cockenzie", "Ferrybridge C", "Fiddler's Ferry", "Cottam",
            "Aberthaw B; Aberthaw GT", "Ratcliffe-on-Soar", "Wylfa", "Drax", "Teesside",
            "Oldbury", "Barry", "Roosecote"} <= set(located["name"])
    assert (stations["retired_mw_since_2010"] >= pi.MIN_CLOSED_MW).all()
    by = stations.set_index("name")
    assert by.loc["Wylfa", "retired_mw_since_2010"] == 980   # both reactors
    assert by.loc["Tilbury B", "retired_mw_since_2010"] == 1063  # coal peak, not the biomass 750
    assert not {"Ballylumford B", "EP Kilroot"} & set(stations["name"])  # Northern Ireland


def test_plant_positions_agree_with_the_substations_that_served_them(sources, stations):
    # Plant points (GEM, DUKES lists) and the ETYS substation beside the station agree
    # within 2.5 km, so a station placed by its substation (Teesside) is fairly placed.
    from growthzones.layers import industry

    etys = industry.read_etys_points(sources)
    by = stations.set_index("name")
    for name, code in [("Cottam", "COTT"), ("Eggborough", "EGGB"),
                       ("Aberthaw B; Aberthaw GT", "ABTH"), ("Ratcliffe-on-Soar", "RATS"),
                       ("West Burton", "WBUR"), ("Longannet", "LOAN"), ("Tilbury B", "TILB")]:
        a, b = by.loc[name], etys.loc[code]
        assert np.hypot(a["x"] - b["x"], a["y"] - b["y"]) < 2500, name


def test_closed_station_distance_and_index_at_longannet(pi_1km, base_1km, stations):
    lon = stations.set_index("name").loc["Longannet"]
    d = at(pi_1km, base_1km, "dist_closed_power_station_km", lon["x"], lon["y"])
    assert d < 0.71   # the cell holding the station: at most half a diagonal away
    e10 = at(pi_1km, base_1km, "employment_deprivation_10km_pct", lon["x"], lon["y"])
    want = 0.5 * np.clip((e10 - 8) / 12, 0, 1) + 0.5 * 2 ** (-d / 10)
    got = at(pi_1km, base_1km, "post_industrial", lon["x"], lon["y"])
    assert got == pytest.approx(want, abs=1e-5)


def test_post_industrial_ranks_teesside_above_the_cotswolds(pi_1km, base_1km):
    tees = at(pi_1km, base_1km, "post_industrial", 457_000, 521_500)     # Wilton, Redcar
    cotswolds = at(pi_1km, base_1km, "post_industrial", 415_000, 220_000)
    assert tees > 0.8 and cotswolds < 0.1


def test_blocks_equal_the_whole_grid_at_1km(features, base_1km, pi_1km):
    whole = assert_blocks_match(pi.on_block, features, base_1km)
    tallies = {k: whole.pop(k) for k in ("_own_cells", "_land_cells")}
    assert set(whole) == set(pi_1km) == set(pi.CRITERIA)
    for name, arr in pi_1km.items():   # build is on_block on the whole grid
        np.testing.assert_array_equal(whole[name], arr, err_msg=name)
    assert tallies["_land_cells"] == base_1km.land.sum()
    lonely = np.isnan(pi.mean_within_radius(
        features["centroids"][["x", "y"]].to_numpy(), features["centroids"]["employment"],
        base_1km.grid, pi.PLACE_RADIUS_M)[0]) & base_1km.land
    assert tallies["_own_cells"] == lonely.sum() > 0
    counts = pi.counts(features, tallies)
    assert counts == pi_1km.counts
    assert counts["employment_deprivation_10km_pct"]["own_area_pct"] == round(
        100 * lonely.sum() / base_1km.land.sum())
    assert counts["uk_imd_score"] == {"unmatched": 0, "codes": len(base_1km.areas)}
    text = pi.CRITERIA["employment_deprivation_10km_pct"].coverage_text(
        counts["employment_deprivation_10km_pct"])
    assert f"({counts['employment_deprivation_10km_pct']['own_area_pct']} % of GB" in text


def test_a_100m_region_agrees_with_1km(features, base_1km, pi_1km):
    # Teesside, 20 km square: 200 x 200 cells
    b100 = region_base(base_1km, 100, (440_000, 510_000, 460_000, 530_000))
    out = assert_blocks_match(pi.on_block, features, b100)
    land = b100.land
    assert out["_land_cells"] == land.sum() > 30_000 and out["_own_cells"] == 0
    x, y = b100.grid.centres()
    xx, yy = np.meshgrid(x, y)
    # distances within a 1 km cell's reach; the 10 km means move where the disc's edge
    # (binned to 1 km or to 100 m) cuts a dense estate, but not typically
    for name, tol, typical in [("dist_closed_power_station_km", 0.75, 0.5),
                               ("dist_former_industry_km", 0.75, 0.5),
                               ("employment_deprivation_10km_pct", 5.0, 0.5)]:
        v = out[name][land]
        one_km = base_1km.grid.sample(pi_1km[name], xx[land], yy[land])
        ok = np.isfinite(one_km)
        assert np.isfinite(v).all() and ok.mean() > 0.95, name
        diff = np.abs(v[ok] - one_km[ok])
        assert diff.max() < tol and np.median(diff) < typical, name
    assert ((out["post_industrial"][land] >= 0) & (out["post_industrial"][land] <= 1)).all()
    assert out["post_industrial"][land].mean() > 0.6   # deprived and a former power site


def test_a_25m_region_at_longannet(features, base_1km, stations):
    lon = stations.set_index("name").loc["Longannet"]
    x0, y0 = 1000 * np.floor(lon["x"] / 1000) - 1000, 1000 * np.floor(lon["y"] / 1000) - 1000
    b25 = region_base(base_1km, 25, (x0, y0, x0 + 3000, y0 + 3000))   # 120 x 120 cells
    out = assert_blocks_match(pi.on_block, features, b25, rows=(0, 0.5, 1), cols=(0, 0.6, 1))
    land = b25.land
    assert land.any() and not land.all()   # the Forth shore
    d = out["dist_closed_power_station_km"]
    assert np.nanmin(d) < 0.02 and np.isnan(d[~land]).all()
    assert np.isin(out["uk_imd_decile"][land], np.arange(1, 11)).all()
    assert (out["retired_generation_mw_10km"][land] >= 2000).all()  # Longannet's 2.4 GW


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(pi, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
