"""Areas to search within (``--within``): councils, counties, regions, boxes, polygon files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import growthzones as gz
from growthzones import areas
from growthzones._errors import InputError
from growthzones.cli import main
from growthzones.grid import to_wgs84


@pytest.fixture(scope="module")
def result(store):
    return gz.score(store, gz.load_scenario())


def _cells_xy(store):
    rows, cols = np.divmod(store.land_index, store.grid.width)
    return store.grid.xy(rows, cols)


def _store_codes(store, area):
    """The store's (2021 vintage) council codes of the cells inside ``area``."""
    la = store.la_index.ravel()[store.land_index][area.mask]
    return set(store.las["la_code"].iloc[np.unique(la) - 1])


# --- the council table --------------------------------------------------------------------

def test_packaged_council_table_is_the_register_derived(sources):
    reg = pd.read_csv(sources.root / "post_industrial" / "geography"
                      / "uk_local_authorities_current_mysociety.csv")
    again = areas.council_table(reg).astype(str)
    packaged = areas.councils()
    pd.testing.assert_frame_equal(packaged.reset_index(drop=True),
                                  again.reset_index(drop=True), check_dtype=False)
    # April 2023: 296 English district-level councils (City of London included), 22 Welsh,
    # 32 Scottish
    assert packaged["nation"].value_counts().to_dict() == {"E": 296, "S": 32, "W": 22}


def test_every_store_council_maps_to_an_april_2023_council(store):
    cur = areas.current_codes(store.las["la_code"])
    assert (cur != "").all()
    # the 2023 reorganisations: the 17 districts merged or split, nothing else changed
    changed = dict(zip(store.las["la_name"][cur != store.las["la_code"]],
                       cur[cur != store.las["la_code"]]))
    assert changed["Craven"] == changed["Selby"] == "E06000065"   # North Yorkshire
    assert changed["Mendip"] == "E06000066"                        # Somerset
    assert changed["Carlisle"] == "E06000063" and changed["Eden"] == "E06000064"
    assert len(changed) == 17


# --- selecting an area ------------------------------------------------------------------

def test_council_by_name_and_by_code_is_the_same_area(store):
    by_name = areas.select_area(store, "north yorkshire")
    by_code = areas.select_area(store, "E06000065")
    assert by_name.label == by_code.label == "North Yorkshire (E06000065)"
    assert np.array_equal(by_name.mask, by_code.mask)
    # the union of the seven districts it replaced, and nothing else
    assert _store_codes(store, by_name) == {f"E0700016{i}" for i in range(3, 10)}


@pytest.mark.parametrize("text, label", [
    ("Leeds City Council", "Leeds (E08000035)"),        # the register's official name
    ("Bristol, City of", "City of Bristol (E06000023)"),  # the store's (ONS) name
    ("rhondda cynon taf", "Rhondda Cynon Taff (W06000016)"),
    ("Vale of Glamorgan", "The Vale of Glamorgan (W06000014)"),
    ("Kent", "Kent (E10000016)"),                        # a county council
    ("Yorkshire & the Humber", "Yorkshire and The Humber (region)"),
    ("TLJ", "South East (region)"),                      # ITL1 code
    ("E12000001", "North East (region)"),                # ONS region code
    ("Scotland", "Scotland (nation)"),            # the same cells as ITL1 TLM
    ("TLM", "Scotland (region)"),
    ("England", "England (nation)"),
    ("Edinburgh", "City of Edinburgh (S12000036)"),     # the register's other spellings
    ("durham", "County Durham (E06000047)"),
])
def test_names_codes_and_spellings(store, text, label):
    assert areas.select_area(store, text).label == label


def test_region_and_county_are_unions_of_their_councils(store):
    c = areas.councils()
    ne = areas.select_area(store, "North East")
    union = np.zeros_like(ne.mask)
    for code in c.loc[c["region"] == "North East", "council_code"]:
        union |= areas.select_area(store, code).mask
    assert np.array_equal(ne.mask, union) and ne.cells > 0
    kent = areas.select_area(store, "Kent")
    districts = c.loc[c["county_code"] == "E10000016", "council_code"]
    assert len(districts) == 12
    assert kent.cells == sum(areas.select_area(store, d).cells for d in districts)
    # nations partition GB land
    total = sum(areas.select_area(store, n).cells for n in ("England", "Wales", "Scotland"))
    assert total == len(store.land_index)


def test_bbox_in_bng_metres_and_in_lon_lat(store):
    x, y = _cells_xy(store)
    bng = areas.select_area(store, "bbox:400000,300000,450000,350000")
    expect = (x >= 400000) & (x <= 450000) & (y >= 300000) & (y <= 350000)
    assert np.array_equal(bng.mask, expect) and bng.kind == "bbox"
    assert "EPSG:27700" in bng.label
    ll = areas.select_area(store, "bbox:-1.6,53.7,-0.9,54.1")
    assert "lon/lat" in ll.label
    lon, lat = to_wgs84(x, y).T
    expect = (lon >= -1.6) & (lon <= -0.9) & (lat >= 53.7) & (lat <= 54.1)
    # the same cells as the lon/lat test, but for centres within metres of the edge
    differ = ll.mask != expect
    assert differ.sum() <= 2 and expect.sum() > 2000


def test_polygon_file_gpkg_and_geojson(store, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    square = box(420_000, 420_000, 440_000, 440_000)
    gdf = gpd.GeoDataFrame({"name": ["plot"]}, geometry=[square], crs=27700)
    gdf.to_file(tmp_path / "plots.gpkg")
    gdf.to_crs(4326).to_file(tmp_path / "plots.geojson", driver="GeoJSON")
    x, y = _cells_xy(store)
    expect = (x > 420_000) & (x < 440_000) & (y > 420_000) & (y < 440_000)
    for f in ("plots.gpkg", "plots.geojson"):
        a = areas.select_area(store, str(tmp_path / f))
        assert a.kind == "polygon" and a.label == f"polygon file {f}"
        # reprojection moves the edge a little; cell centres are 500 m from it
        assert np.array_equal(a.mask, expect), f
    assert areas.select_area(store, gdf).cells == expect.sum()  # the Python API takes frames


def test_unknown_name_lists_close_matches(store):
    with pytest.raises(InputError, match=r"--within 'Leeds Cty' is not a GB council, county, "
                                         r"region or nation; did you mean 'Leeds'"):
        areas.select_area(store, "Leeds Cty")


def test_an_ambiguous_short_name_lists_both_councils(store):
    with pytest.raises(InputError, match=r"did you mean 'Newcastle upon Tyne', "
                                         r"'Newcastle-under-Lyme'\?"):
        areas.select_area(store, "Newcastle")


def test_abolished_council_names_its_successor(store):
    with pytest.raises(InputError, match=r"Craven \(E07000163\) was abolished on 1 April 2023 "
                                         r"and is now part of North Yorkshire \(E06000065\)"):
        areas.select_area(store, "Craven")


@pytest.mark.parametrize("spec, message", [
    ("bbox:0,0,10,10", "no land cell of the 1000 m grid has its centre inside"),
    ("bbox:1,2,3", "has 3 numbers; give four"),
    ("bbox:5,0,1,1", "xmin must be < xmax"),
    ("bbox:a,b,c,d", "is not four numbers"),
    ("missing.gpkg", "no such file"),
])
def test_bad_or_empty_areas_are_one_line_errors(store, spec, message):
    with pytest.raises(InputError, match=message):
        areas.select_area(store, spec)


def test_a_polygon_between_cell_centres_is_empty(store, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame(geometry=[box(430_100, 430_100, 430_400, 430_400)],
                     crs=27700).to_file(tmp_path / "tiny.gpkg")
    with pytest.raises(InputError, match="no land cell .* has its centre inside"):
        areas.select_area(store, str(tmp_path / "tiny.gpkg"))


def test_points_are_not_an_area(store, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame(geometry=[Point(430_000, 430_000)], crs=27700).to_file(tmp_path / "p.gpkg")
    with pytest.raises(InputError, match="holds no polygon .*use --sites for points"):
        areas.select_area(store, str(tmp_path / "p.gpkg"))


# --- ranking within an area -------------------------------------------------------------

def test_sites_within_a_council_are_inside_it_and_ranked_as_nationally(store, result):
    area = areas.select_area(store, "North Yorkshire")
    sites = gz.rank_sites(result, top=8, within="North Yorkshire")
    assert len(sites) == 8
    assert (sites["local_authority"] == "North Yorkshire").all()
    pos = np.array([gz.scoring.cell_at(result, x, y)
                    for x, y in zip(sites["easting"], sites["northing"])])
    assert area.mask[pos].all()
    # the best site is the best non-excluded cell inside, at the national score
    inside = np.where(area.mask, result.ranked, np.nan)
    assert sites["score"].iloc[0] == pytest.approx(np.nanmax(inside), abs=1e-6)
    assert (np.diff(sites["score"].to_numpy()) <= 0).all()
    # the national ranking is unchanged by having looked inside
    national = gz.rank_sites(result, top=3)
    assert national["local_authority"].iloc[0] != "North Yorkshire"


def test_area_whose_cells_are_all_excluded_is_an_error(store):
    # FIXTURE-free: exclude everything by a constraint no cell meets
    sc = gz.load_scenario().updated({"constraints": {"dist_transmission_km": {"max": -1}}})
    r = gz.score(store, sc)
    with pytest.raises(InputError, match=r"--within Leeds \(E08000035\): none of its 552 land "
                                         r"cells can be ranked \(excluded by "):
        gz.rank_sites(r, within="Leeds")


def test_compare_within_an_area(store, result):
    b = gz.load_scenario("default", themes={"grid_capacity": 3})
    cmp = gz.compare_scenarios(store, result, b, top=5, within="Wales")
    assert set(cmp.sites["local_authority"]) <= set(
        areas.councils().query("nation == 'W'")["council_name"])


# --- the command line -------------------------------------------------------------------

def test_run_within_by_name_and_code(tmp_path, capsys):
    import json

    assert main(["run", "--within", "E06000065", "--top", "3", "--out", str(tmp_path / "a")]) == 0
    assert main(["run", "--within", "North Yorkshire", "--top", "3",
                 "--out", str(tmp_path / "b")]) == 0
    a = pd.read_csv(tmp_path / "a" / "ranking.csv")
    b = pd.read_csv(tmp_path / "b" / "ranking.csv")
    assert a["site_id"].tolist() == b["site_id"].tolist() and len(a) == 3
    assert (a["local_authority"] == "North Yorkshire").all()
    rec = json.loads((tmp_path / "a" / "run.json").read_text())
    assert rec["within"] == {"label": "North Yorkshire (E06000065)", "kind": "council",
                             "code": "E06000065", "land_cells": 8039}
    assert "--within North Yorkshire (E06000065): 8,039 land cells" in capsys.readouterr().err


def test_run_within_unknown_name_exits_2_with_one_line(tmp_path, capsys):
    assert main(["run", "--within", "Narnia Shire", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --within 'Narnia Shire' is not a GB ")
    assert not any(tmp_path.iterdir())  # nothing written


def test_stability_within_ranks_only_places_inside(store, result, tmp_path):
    assert main(["stability", "--within", "Wales", "--draws", "20", "--top", "3",
                 "--out", str(tmp_path)]) == 0
    st = pd.read_csv(tmp_path / "stability.csv")
    wales = areas.select_area(store, "Wales")
    assert len(st) >= 3
    for sid in st["site_id"]:  # E<km>N<km>: the cell's south-west corner
        e, n = (float(v) for v in sid[1:].split("N"))
        assert wales.mask[gz.scoring.cell_at(result, e * 1000 + 500, n * 1000 + 500)], sid
