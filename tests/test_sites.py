"""A user's own sites: read_sites judges every row, score_sites ranks them."""

import numpy as np
import pytest
from conftest import foundation_scenario, make_fixture_store

import growthzones as gz
from growthzones._errors import InputError


def test_read_sites_errors_name_the_problem(tmp_path):
    import geopandas as gpd
    import shapely

    with pytest.raises(gz.SitesError, match="not found"):
        gz.read_sites(tmp_path / "none.gpkg")
    csv = tmp_path / "table.csv"
    csv.write_text("name,town\nA,Leeds\n")
    with pytest.raises(gz.SitesError, match="has no geometry: a table needs columns "
                                            "easting,northing .* or a UK postcode column"):
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
    with pytest.raises(gz.SitesError, match=r"no site can be scored: row 1 \('Dogger'\) is "
                                            r"not on GB land at this 1000 m grid"):
        gz.score_sites(result, gz.read_sites(sea))


# --- read_sites: user files are hostile (issue #9) -----------------------------------------

def _csv(tmp_path, text, name="sites.csv"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_one_off_gb_row_is_kept_with_its_coordinates_in_the_reason(tmp_path):
    f = _csv(tmp_path, "name,lon,lat\nLeeds,-1.5491,53.8008\nParis,2.3522,48.8566\n"
                       "York,-1.0815,53.9590\n")
    sites = gz.read_sites(f)
    assert sites["name"].tolist() == ["Leeds", "Paris", "York"]  # nothing dropped
    assert sites["problem"].tolist() == [
        "", "at longitude 2.3522, latitude 48.8566 is outside Great Britain; check its "
            "coordinates", ""]
    assert sites.geometry.isna().tolist() == [False, True, False]


def test_every_row_off_gb_keeps_the_crs_hint(tmp_path):
    f = _csv(tmp_path, "name,lon,lat\nA,430000,580000\nB,431000,581000\n")
    with pytest.raises(gz.SitesError, match=r"all 2 sites .* outside Great Britain .*"
                                            r"is the file's CRS right"):
        gz.read_sites(f)


@pytest.mark.parametrize("cell", ["", "   ", "abc", "nan", "inf", "-inf", "1e400", "=1+2"])
def test_a_bad_latitude_cell_flags_the_row(tmp_path, cell):
    f = _csv(tmp_path, f'name,lon,lat\nA,-1.5,53.8\nB,-1.6,53.7\nSite X,-1.7,"{cell}"\n')
    sites = gz.read_sites(f)
    assert sites["problem"].tolist()[:2] == ["", ""]
    msg = sites["problem"].iloc[2]
    assert "latitude" in msg and ("fill it or remove the row" in msg or "not a" in msg)
    if not cell.strip():
        assert msg == "has no latitude; fill it or remove the row"


def test_many_bad_rows_are_capped_in_one_line(tmp_path):
    rows = "".join(f"S{i},-1.5,\n" for i in range(1, 9))
    f = _csv(tmp_path, "name,lon,lat\n" + rows)
    with pytest.raises(gz.SitesError) as info:
        gz.read_sites(f)
    msg = info.value.one_line()
    assert "8 of 8 rows unusable" in msg and "no usable site left" in msg
    assert all(f"'S{i}'" in msg for i in range(1, 6)) and "'S6'" not in msg
    assert "and 3 more" in msg and "\n" not in str(info.value)


def test_site_row_problems_is_one_per_row():
    from growthzones.sites import site_row_problems

    problems, x, _y = site_row_problems(["a", "b", "c", "d"], ["-1.5", "", "2.35", "x"],
                                       ["53.8", "53.8", "48.86", "53"], crs="EPSG:4326",
                                       labels=("longitude", "latitude"))
    assert problems[0] is None and 400_000 < x[0] < 450_000
    assert "no longitude" in problems[1] and "outside Great Britain" in problems[2]
    assert "'x'" in problems[3] and "not a number" in problems[3]
    assert np.isnan(x[1:]).all()


def test_a_folder_is_not_a_sites_file(tmp_path):
    with pytest.raises(gz.SitesError, match=r"is a folder, not a file; give a "
                                            r"\.csv/\.xlsx/\.gpkg/\.geojson/\.shp"):
        gz.read_sites(tmp_path)


def test_an_unsupported_suffix_says_which_are(tmp_path):
    f = tmp_path / "sites.ods"
    f.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(gz.SitesError, match=r"sites.ods .*'.ods'.*\.csv.*\.xlsx.*\.gpkg"):
        gz.read_sites(f)


def test_a_broken_xlsx_is_one_clear_error(tmp_path):
    f = tmp_path / "sites.xlsx"
    f.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(gz.SitesError, match=r"cannot read sites file sites.xlsx: .*valid "
                                            r"\.xlsx file"):
        gz.read_sites(f)


def test_a_missing_name_column_lists_the_columns(tmp_path):
    f = _csv(tmp_path, "Site Name,easting,northing\nCottam,479500,379700\n")
    with pytest.raises(gz.SitesError, match=r"no column 'title'.*Site Name, easting, northing"):
        gz.read_sites(f, name_column="title")
    # the named column is used; without one a default file still gets "site N" names
    assert gz.read_sites(f, name_column="Site Name")["name"].tolist() == ["Cottam"]
    assert gz.read_sites(_csv(tmp_path, "easting,northing\n479500,379700\n", "n.csv")
                         )["name"].tolist() == ["site 1"]


@pytest.mark.parametrize("text, match", [
    ("", r"is empty"),
    ("\n\n", r"is empty"),
    ("name,easting,northing\n", r"has no rows"),
])
def test_an_empty_csv_is_one_clear_error(tmp_path, text, match):
    with pytest.raises(gz.SitesError, match=match):
        gz.read_sites(_csv(tmp_path, text))


def test_an_empty_geo_file_is_one_clear_error(tmp_path):
    f = tmp_path / "sites.geojson"
    f.write_text("")
    with pytest.raises(gz.SitesError, match="is empty"):
        gz.read_sites(f)
    f.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(gz.SitesError, match="has no rows"):
        gz.read_sites(f)


def test_zero_usable_rows_is_one_clear_error(tmp_path):
    f = _csv(tmp_path, "name,easting,northing\nA,,\nB,x,y\n")
    with pytest.raises(gz.SitesError, match=r"2 of 2 rows .*no usable site"):
        gz.read_sites(f)


def test_null_geometry_row_is_flagged(tmp_path):
    import geopandas as gpd
    import shapely

    f = tmp_path / "s.gpkg"
    gpd.GeoDataFrame({"name": ["ok", "hole"]}, geometry=[shapely.Point(430000, 580000), None],
                     crs=27700).to_file(f)
    assert gz.read_sites(f)["problem"].tolist() == [
        "", "has no geometry; draw it or remove the row"]
    gpd.GeoDataFrame({"name": ["hole"]}, geometry=[None], crs=27700).to_file(f)
    with pytest.raises(gz.SitesError, match=r"sites file s.gpkg has no geometry; give points "
                                            r"or polygons"):
        gz.read_sites(f)


def test_formula_and_markup_cells_are_kept_as_text(tmp_path):
    f = _csv(tmp_path, 'name,easting,northing\n"=HYPERLINK(""http://x"",""y"")",479500,379700\n'
                       "+SUM(A1:A2),334200,515100\n{{ 7*7 }},431000,583000\n007,430000,580000\n")
    names = gz.read_sites(f)["name"].tolist()
    assert names == ['=HYPERLINK("http://x","y")', "+SUM(A1:A2)", "{{ 7*7 }}", "007"]


def test_utf8_bom_and_blank_names(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_bytes("\ufeffname,Easting,Northing\nCaerdydd ☃,318000,176000\n,430000,580000\n"
                  .encode("utf-8"))
    sites = gz.read_sites(f)
    assert sites["name"].tolist() == ["Caerdydd ☃", "site 2"]
    assert sites.crs.to_epsg() == 27700


# --- rank_sites / top_sites / score_sites refuse bad arguments (issue #9) ------------------

@pytest.fixture(scope="module")
def small_result():
    store = make_fixture_store({"employment_deprivation_pct": np.array([[1.0, 3.0, 3.0, 2.0]])})
    sc = gz.parse_scenario({"criteria": {"employment_deprivation_pct": {"weight": 1}}})
    return gz.score(store, sc)


@pytest.mark.parametrize("fn", ["rank_sites", "top_sites"])
@pytest.mark.parametrize("kwargs, match", [
    ({"top": 0}, r"top is 0; it must be a whole number >= 1"),
    ({"top": -1}, r"top is -1; it must be a whole number >= 1"),
    ({"top": 2.5}, r"top is 2.5; it must be a whole number"),
    ({"top": "3"}, r"top is a str \('3'\); give a number, e.g. top=20"),
    ({"top": True}, r"top is True"),
    ({"min_separation_km": float("nan")}, r"min_separation_km is nan; .*finite"),
    ({"min_separation_km": float("inf")}, r"min_separation_km is inf; .*finite"),
    ({"min_separation_km": 0}, r"min_separation_km is 0; it must be > 0"),
    ({"min_separation_km": -5}, r"min_separation_km is -5; it must be > 0"),
    ({"region_quantile": 0}, r"region_quantile is 0; it must be > 0"),
    ({"region_quantile": 1}, r"region_quantile is 1; it must be < 1"),
    ({"region_quantile": 1.5}, r"region_quantile is 1.5; it must be < 1"),
    ({"region_quantile": float("nan")}, r"region_quantile is nan"),
])
def test_bad_site_arguments_name_the_parameter(small_result, fn, kwargs, match):
    with pytest.raises(InputError, match=match):
        getattr(gz, fn)(small_result, **kwargs)


@pytest.mark.parametrize("radius", [0, -1, float("nan"), "far"])
def test_bad_place_radius_is_refused(small_result, radius):
    with pytest.raises(InputError, match=r"place_radius_km is .*; (it must be|give a number)"):
        gz.rank_sites(small_result, place_radius_km=radius)


@pytest.mark.parametrize("fn", ["rank_sites", "top_sites", "score_sites"])
def test_the_wrong_object_instead_of_a_result(small_result, fn):
    import geopandas as gpd

    args = [gpd.GeoDataFrame({"name": ["a"]}, geometry=gpd.points_from_xy([1], [1]))] \
        if fn == "score_sites" else []
    for wrong in (small_result.store, gpd.GeoDataFrame(), None):
        with pytest.raises(InputError, match=r"result is a \w+ .*give the ScoreResult of "
                                                r"gz.score\(layers, scenario\)"):
            getattr(gz, fn)(wrong, *args)


@pytest.mark.parametrize("sites, match", [
    ("sites.csv", r"sites is a str .*gz.read_sites"),
    (None, r"sites is a NoneType"),
    ("frame", r"sites has no geometry column"),
    ("no_name", r"sites has no 'name' column"),
    ("lonlat", r"sites are in EPSG:4326, not EPSG:27700; .*to_crs"),
])
def test_score_sites_refuses_the_wrong_sites(small_result, sites, match):
    import geopandas as gpd
    import pandas as pd
    pts = gpd.points_from_xy([500.0], [500.0])
    sites = {
        "frame": pd.DataFrame({"name": ["a"], "easting": [500], "northing": [500]}),
        "no_name": gpd.GeoDataFrame({"id": [1]}, geometry=pts, crs=27700),
        "lonlat": gpd.GeoDataFrame({"name": ["a"]}, geometry=pts, crs=4326),
    }.get(sites, sites)
    with pytest.raises(InputError, match=match):
        gz.score_sites(small_result, sites)


def test_score_sites_refuses_a_crs_less_frame_and_ranks_a_bng_one(small_result):
    import geopandas as gpd

    sites = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=gpd.points_from_xy([500.0, 3500.0], [500.0, 500.0]))
    with pytest.raises(InputError, match=r"sites has no CRS; set it"):
        gz.score_sites(small_result, sites)
    table = gz.score_sites(small_result, sites.set_crs(27700))
    assert table["name"].tolist() == ["east", "west"]  # scores 2 and 1
    assert table["rank"].tolist() == [1, 2]
