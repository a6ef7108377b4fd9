"""Polygons scored as polygons: zonal statistics against a hand computation (issue #13).

The grid is a 4 x 4 FIXTURE (1 km cells from (0, 0); not real data). Row 0 is the
northern row, as in the store. Raw values of ``employment_deprivation_pct``::

    row 0:   1   2   3   4      (the cell at row 0, col 3 is not land)
    row 1:   5   6   7   8
    row 2:   9  10  11  12      (row 2, col 1 is in a "national park")
    row 3:  13  14 nan  16
"""

import numpy as np
import pytest
import shapely
from conftest import make_fixture_store

import growthzones as gz
from growthzones.sites.zonal import cell_coverage, land_weights, zonal_stats

RAW = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, np.nan, 16]], float)
PARK = np.zeros((4, 4))
PARK[2, 1] = 1
LAND = np.ones((4, 4), bool)
LAND[0, 3] = False


@pytest.fixture(scope="module")
def result():
    store = make_fixture_store({"employment_deprivation_pct": RAW, "national_parks": PARK},
                               land=LAND)
    sc = gz.parse_scenario({"criteria": {"employment_deprivation_pct": {"weight": 1}},
                            "exclusions": {"national_parks": True}})
    return gz.score(store, sc)


def _pos(result, row, col):
    return int(np.searchsorted(result.store.land_index, row * 4 + col))


def test_exactextract_gives_the_covered_fractions_by_hand(result):
    # x 500-2000, y 500-1500: a quarter of (2,0) and (3,0), half of (2,1) and (3,1)
    [(flat, frac)] = cell_coverage([shapely.box(500, 500, 2000, 1500)], result.grid)
    got = dict(zip(flat.tolist(), frac.tolist()))
    assert got == pytest.approx({2 * 4 + 0: 0.25, 2 * 4 + 1: 0.5, 3 * 4 + 0: 0.25,
                                 3 * 4 + 1: 0.5})


def test_zonal_statistics_match_the_hand_computation(result):
    poly = shapely.box(500, 500, 2000, 1500)
    [row] = zonal_stats(result, land_weights(result.store, [poly])).to_dict("records")
    # raw: (9*25 + 10*50 + 13*25 + 14*50) / 150 ha over all covered land
    assert row["land_ha"] == pytest.approx(150.0)
    assert row["employment_deprivation_pct_raw"] == pytest.approx(17.5 / 1.5)
    assert row["employment_deprivation_pct_raw_min"] == 9
    assert row["employment_deprivation_pct_raw_max"] == 14
    assert row["employment_deprivation_pct_share_with_data"] == pytest.approx(1.0)
    # the park cell (2, 1) holds 50 of the 150 ha
    assert row["share_excluded"] == pytest.approx(1 / 3)
    assert row["excluded_by"] == "" and row["partly_excluded_by"] == "national_parks 33 %"
    s = np.asarray(result.score, float)
    cells = {(2, 0): 0.25, (2, 1): 0.5, (3, 0): 0.25, (3, 1): 0.5}
    before = sum(w * s[_pos(result, *rc)] for rc, w in cells.items()) / 1.5
    after = sum(w * s[_pos(result, *rc)] for rc, w in cells.items() if rc != (2, 1)) / 1.0
    assert row["score_before_exclusions"] == pytest.approx(before)
    assert row["score"] == pytest.approx(after)
    assert row["score_min"] == pytest.approx(min(s[_pos(result, *rc)] for rc in cells
                                                 if rc != (2, 1)))
    assert row["score_max"] == pytest.approx(s[_pos(result, 3, 1)])
    # one criterion carries the whole score, so its mean contribution is the score
    assert row["employment_deprivation_pct_contrib"] == pytest.approx(row["score"])


def test_no_data_and_sea_are_left_out_of_the_means(result):
    # (3, 2) has no data (all of it covered), (3, 3) = 16 half covered; (0, 3) is sea
    gaps, sea = shapely.box(2000, 0, 3500, 1000), shapely.box(3000, 3000, 4500, 4500)
    a, b = zonal_stats(result, land_weights(result.store, [gaps, sea])).to_dict("records")
    assert a["land_ha"] == pytest.approx(150.0)
    assert a["employment_deprivation_pct_raw"] == 16
    assert a["employment_deprivation_pct_share_with_data"] == pytest.approx(1 / 3)
    assert b["land_ha"] == 0 and np.isnan(b["score"])


def test_the_mean_is_exactextracts_own_on_an_in_memory_raster(result):
    import geopandas as gpd
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    polys = [shapely.box(300, 200, 3700, 2900), shapely.Point(1800, 2300).buffer(900)]
    ours = zonal_stats(result, land_weights(result.store, polys))
    src = NumPyRasterSource(np.where(LAND, RAW, np.nan), 0, 0, 4000, 4000, nodata=np.nan)
    ref = exact_extract(src, gpd.GeoDataFrame(geometry=polys, crs=27700), ["mean", "min", "max"],
                        output="pandas")
    np.testing.assert_allclose(ours["employment_deprivation_pct_raw"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(ours["employment_deprivation_pct_raw_min"], ref["min"])
    np.testing.assert_allclose(ours["employment_deprivation_pct_raw_max"], ref["max"])


def test_score_sites_ranks_a_polygon_by_its_mean_and_keeps_its_geometry(result):
    import geopandas as gpd

    poly = shapely.box(500, 500, 2000, 1500)
    sites = gpd.GeoDataFrame({"name": ["plot", "cell"], "owner": ["A", "B"]},
                             geometry=[poly, shapely.Point(3500, 500)], crs=27700)
    table = gz.score_sites(result, sites)
    plot = table.set_index("name").loc["plot"]
    assert plot.geometry.equals(poly) and plot["area_ha"] == pytest.approx(150.0)
    assert plot["employment_deprivation_pct_raw"] == pytest.approx(17.5 / 1.5, rel=1e-5)
    assert plot["owner"] == "A" and table.set_index("name").loc["cell", "owner"] == "B"
    assert table["rank"].tolist() == [1, 2]
    assert (table["score"].diff().dropna() <= 0).all()
    cell = table.set_index("name").loc["cell"]  # a point is its cell: min = mean = max
    assert cell["score"] == pytest.approx(cell["score_min"]) == pytest.approx(cell["score_max"])
    assert np.isnan(cell["area_ha"])
    # a polygon wholly in the park is excluded, with the reason, and not ranked
    park = gpd.GeoDataFrame({"name": ["park"]}, geometry=[shapely.box(1100, 1100, 1900, 1900)],
                            crs=27700)
    t = gz.score_sites(result, park)
    assert t["excluded_by"].tolist() == ["national_parks"] and t["rank"].isna().all()
    assert t["status"].iloc[0].startswith("excluded: ") and t["share_excluded"].iloc[0] == 1
