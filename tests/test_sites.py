"""Candidate sites: distinct places, named, with a breakdown that adds up."""

import numpy as np
import pytest

import growthzones as gz
from growthzones.sites import name_places, pick_separated

from conftest import foundation_scenario, make_fixture_store


def test_pick_separated_skips_near_neighbours():
    xy = np.array([[0, 0], [1000, 0], [30_000, 0], [31_000, 0], [60_000, 0]], float)
    kept = pick_separated(xy, np.arange(5), top=10, min_separation_m=25_000)
    assert kept == [0, 2, 4]
    assert pick_separated(xy, np.array([1, 0, 3, 2, 4]), top=2,
                          min_separation_m=25_000) == [1, 3]


def test_name_places_prefers_a_close_town():
    import pandas as pd

    places = pd.DataFrame({"name": ["Bigcity", "Smalltown"], "population": [500_000, 20_000],
                           "easting": [0.0, 14_000.0], "northing": [0.0, 0.0]})
    assert name_places(places, np.array([13_500.0]), np.array([0.0])) == ["near Smalltown"]
    assert name_places(places, np.array([2_000.0]), np.array([0.0])) == ["near Bigcity"]
    # nothing within the radius: the nearest place still names it
    assert name_places(places, np.array([100_000.0]), np.array([0.0])) == ["near Smalltown"]


def test_sites_are_ranked_by_score_and_tie_broken_by_position():
    # FIXTURE: a 1 x 4 strip with a tie between the two middle cells
    store = make_fixture_store({"employment_deprivation_pct": np.array([[1.0, 3.0, 3.0, 2.0]])})
    sc = gz.parse_scenario({"criteria": {"employment_deprivation_pct": {"weight": 1}}})
    sites = gz.rank_sites(gz.score(store, sc), top=4, min_separation_km=0.5)
    assert sites["site_id"].tolist() == ["E1N0", "E2N0", "E3N0", "E0N0"]
    assert sites["rank"].tolist() == [1, 2, 3, 4]
    assert (np.diff(sites["score"]) <= 0).all()


@pytest.fixture(scope="module")
def default_sites(store):
    result = gz.score(store, gz.load_scenario())
    return result, gz.rank_sites(result, top=20)


def test_top_sites_are_distinct_real_places(default_sites):
    result, sites = default_sites
    sc = result.scenario
    assert len(sites) == 20
    xy = sites[["easting", "northing"]].to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() > sc.min_separation_km * 1000
    assert sites["name"].str.startswith("near ").all()
    assert sites["local_authority"].notna().all()
    assert set(sites["nation"]) <= {"England", "Wales", "Scotland"}
    # lat/lon agree with BNG (GB lies within these bounds)
    assert sites["lat"].between(49.8, 61).all() and sites["lon"].between(-8.7, 2).all()


def test_site_breakdown_adds_up_and_matches_explain(default_sites):
    result, sites = default_sites
    contrib = sites[[f"{n}_contrib" for n in result.weights]].sum(axis=1)
    np.testing.assert_allclose(contrib, sites["score"], atol=1e-5)
    first = sites.iloc[0]
    ex = gz.explain(result, first.easting, first.northing)
    for name in result.weights:
        assert ex.loc[name, "value"] == pytest.approx(first[f"{name}_value"], abs=1e-4)


def test_no_site_in_an_excluded_cell(default_sites, store):
    result, sites = default_sites
    parks = store.grid.sample(store.layer("national_parks"), sites.easting, sites.northing)
    assert (parks == 0).all()


def test_read_sites_errors_name_the_problem(tmp_path):
    import geopandas as gpd
    import shapely

    with pytest.raises(gz.SitesError, match="not found"):
        gz.read_sites(tmp_path / "none.gpkg")
    csv = tmp_path / "table.csv"
    csv.write_text("name,town\nA,Leeds\n")
    with pytest.raises(gz.SitesError, match="has no geometry: a CSV needs columns easting,northing"):
        gz.read_sites(csv)
    nocrs = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns about a file with no CRS
        gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(430000, 580000)]).to_file(nocrs)
    with pytest.raises(gz.SitesError, match="has no CRS"):
        gz.read_sites(nocrs)
    wrong = tmp_path / "wrong.geojson"  # BNG metres written as if they were lon/lat
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(430000, 580000)],
                     crs=4326).to_file(wrong)
    with pytest.raises(gz.SitesError, match="outside Great Britain .* is the file's CRS right"):
        gz.read_sites(wrong)


def test_score_user_sites_ranks_them_and_flags_exclusions(store, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("name,easting,northing\nCottam,479500,379700\nHelvellyn,334200,515100\n"
                   "Blyth,431000,583000\n")
    result = gz.score(store, foundation_scenario())  # National Parks the only exclusion
    table = gz.score_sites(result, gz.read_sites(csv))
    assert table["name"].tolist()[-1] == "Helvellyn"  # in a National Park: unranked, last
    assert table["rank"].isna().tolist() == [False, False, True]
    assert table.loc[2, "excluded_by"] == "national_parks"
    assert table.loc[2, "score_before_exclusions"] > 0
    assert (table.loc[:1, "score"].diff().dropna() <= 0).all()
    sea = tmp_path / "sea.csv"
    sea.write_text("name,easting,northing\nDogger,650000,500000\n")
    with pytest.raises(gz.SitesError, match="not on GB land"):
        gz.score_sites(result, gz.read_sites(sea))
