"""Official-schema readers (layers.designations) on FIXTURE files, and the Scottish list.

The files in tests/data are hand-made FIXTURES in the publishers' schemas (see its
README); the real official files are not in the shared data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from growthzones._errors import SourceDataError
from growthzones.catalog import catalog
from growthzones.criteria import REGISTRY
from growthzones.grid import GridSpec
from growthzones.layers import designations as ds

DATA = Path(__file__).resolve().parent.parent / "data"
GRID = GridSpec(resolution=1000, bounds=(0, 0, 4000, 3000))


def test_every_official_layer_is_a_catalogued_exclusion():
    for name, layer in ds.OFFICIAL_LAYERS.items():
        crit = REGISTRY[name]
        assert crit.kind == "exclusion" and crit.layer == "designations"
        assert crit.sources == (layer.source,)
        src = catalog()[layer.source]
        assert src.link.startswith("https://") and src.path.startswith("official/")
        assert "not assessed" in crit.coverage


def test_sssi_fixture_becomes_a_mask_inside_its_territory():
    gdf = ds.read_official(DATA / "FIXTURE_ne_sssi.geojson", ds.OFFICIAL_LAYERS["sssi_england"])
    assert gdf.crs.to_epsg() == 27700 and len(gdf) == 1
    territory = np.ones(GRID.shape, bool)
    territory[:, 3] = False  # a column outside England
    m = ds.exclusion_on_grid(gdf, territory, GRID)
    # rows run north to south: the 2 km square at the origin is the bottom-left 2 x 2
    assert m[1:, :2].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert m[0, :3].tolist() == [0.0, 0.0, 0.0] and np.isnan(m[:, 3]).all()


def test_ea_reader_keeps_flood_zone_3_only():
    gdf = ds.read_official(DATA / "FIXTURE_ea_flood_zones.geojson",
                           ds.OFFICIAL_LAYERS["flood_zone3_england"])
    assert gdf["flood_zone"].tolist() == ["FZ3"]
    m = ds.exclusion_on_grid(gdf, np.ones(GRID.shape, bool), GRID)
    assert m.sum() == 1 and m[2, 0] == 1.0  # the FZ2-only cells stay 0


def test_green_belt_reader_drops_withdrawn_entries():
    gdf = ds.read_official(DATA / "FIXTURE_green_belt.geojson",
                           ds.OFFICIAL_LAYERS["green_belt_england"])
    assert gdf["reference"].tolist() == ["FIX1"]


def test_a_file_without_the_schema_is_refused_with_the_column_named():
    with pytest.raises(SourceDataError, match="lacks the column.*SSSI_NAME, REF_CODE"):
        ds.read_official(DATA / "FIXTURE_bad_schema.geojson", ds.OFFICIAL_LAYERS["sssi_england"])


def test_official_file_is_found_in_its_folder(tmp_path):
    assert ds.find_official_file(tmp_path / "missing") is None
    (tmp_path / "notes.txt").write_text("x")
    assert ds.find_official_file(tmp_path) is None
    shutil.copy(DATA / "FIXTURE_ne_sssi.geojson", tmp_path / "sssi.geojson")
    assert ds.find_official_file(tmp_path).name == "sssi.geojson"


def test_absent_official_files_leave_the_layers_out(sources, base_1km):
    # the shared data holds none of the official downloads: every one is not assessed
    out = ds.build(sources, base_1km.grid, base_1km)
    assert set(out) == {"sssi_share_council_scotland_pct"}
    assert not set(ds.OFFICIAL_LAYERS) & set(out)


def test_official_file_in_a_source_folder_is_built(tmp_path, base_1km, sources):
    from growthzones.catalog import SourceFiles

    root = tmp_path / "src"
    folder = root / catalog()["ne_sssi"].path
    folder.mkdir(parents=True)
    shutil.copy(DATA / "FIXTURE_ne_sssi.geojson", folder)
    site = root / catalog()["naturescot_sitelink"].path
    site.parent.mkdir(parents=True)
    shutil.copy(sources.path("naturescot_sitelink"), site)
    out = ds.build(SourceFiles(root), base_1km.grid, base_1km)
    m = out["sssi_england"]
    assert set(out) == {"sssi_england", "sssi_share_council_scotland_pct"}
    england = ds.nation_cells(base_1km, "E")
    assert np.isnan(m[~england]).all() and np.nanmax(m) in (0.0, 1.0)
    # the official exclusions without a file are said, with their folder
    left = ds.read(SourceFiles(root))["not_assessed"]
    assert set(left) == set(ds.OFFICIAL_LAYERS) - {"sssi_england"}
    assert str(root / catalog()["ea_flood_zones"].path) in left["flood_zone3_england"]


def test_sssi_share_per_council_on_the_real_list(sources, base_1km):
    sitelink = pd.read_csv(sources.path("naturescot_sitelink"))
    area = ds.sssi_area_by_council(sitelink)
    assert area.sum() == pytest.approx(1_025_211, rel=0.01)  # SOURCES-land.md: 1,025,211 ha
    scot = set(base_1km.las.loc[base_1km.las["nation"] == "S", "la_name"])
    # every council matched (Western Isles by alias) except Dundee, which has no SSSI
    assert scot - set(area.index) == {"Dundee City"}
    share = ds.council_share_on_grid(area, base_1km)
    s_cells = ds.nation_cells(base_1km, "S") & base_1km.land
    assert np.isfinite(share[s_cells]).all()
    assert np.isnan(share[base_1km.land & ~s_cells]).all()
    # independent: the share of Scotland's land, weighted by council land, is total/land
    assert np.nanmax(share[s_cells]) <= 100 and share[s_cells].min() == 0.0  # Dundee
    weighted = np.nansum(share[s_cells]) / s_cells.sum()
    assert weighted == pytest.approx(100 * area[list(scot & set(area.index))].sum()
                                     / (s_cells.sum() * 100), rel=0.05)


# ------------------------------------------------------------- blocks (theme contract) ---

@pytest.fixture(scope="module")
def designation_features(sources):
    """The designations features read once, plus a FIXTURE official polygon (a hand-drawn
    30 x 20 km box over Cambridgeshire, not real data) so that a mask is cut by blocks."""
    from shapely.geometry import box

    f = dict(ds.read(sources))  # a copy: the session's read is shared (conftest)
    f["official"] = {"sssi_england": (np.array([box(520_000, 240_000, 550_000, 260_000)]),
                                      "E")}
    return f


def _share_by_council(share, base):
    """The one value each council's cells hold (they hold one: a council-wide figure)."""
    out = {}
    for row in np.unique(base.la_index[np.isfinite(share)]):
        vals = np.unique(share[(base.la_index == row) & np.isfinite(share)])
        assert len(vals) == 1
        out[base.las["la_code"].iloc[row - 1]] = float(vals[0])
    return out


def test_designation_blocks_at_1km_match_the_whole_grid(designation_features, base_1km):
    from conftest import assert_blocks_match

    whole = assert_blocks_match(ds.on_block, designation_features, base_1km)
    assert np.nansum(whole["sssi_england"]) == 30 * 20   # the box's 600 cell centres
    tally = whole["_scottish_council_cells"]
    assert tally.sum() == (ds.nation_cells(base_1km, "S") & base_1km.land).sum()
    scottish = int((base_1km.las["nation"] == "S").sum())
    assert ds.counts(designation_features, {"_scottish_council_cells": tally}) == {
        "sssi_share_council_scotland_pct": {"councils": scottish}}
    text = REGISTRY["sssi_share_council_scotland_pct"].coverage_text(
        ds.counts(designation_features, {"_scottish_council_cells": tally})
        ["sssi_share_council_scotland_pct"])
    assert f"with land on this store's grid ({scottish};" in text and "{" not in text
    # a store of an English region has no Scottish council: it says so, not "all 0"
    none = ds.counts(designation_features, {"_scottish_council_cells": 0 * tally})
    english = REGISTRY["sssi_share_council_scotland_pct"].coverage_text(
        none["sssi_share_council_scotland_pct"])
    assert "(0;" in english and "all 0" not in english


def test_council_land_area_is_its_polygons_area(base_1km):
    land_ha = ds.council_land_ha(base_1km)
    cells_ha = np.bincount(base_1km.la_index[base_1km.land].ravel(),
                           minlength=len(base_1km.las) + 1)[1:] * 100.0
    # the 1 km land cells sample the same polygons: within 6 % for every council of
    # 100 km2 or more (the cell-centre rule on a council's edge), 0.5 % over GB
    big = land_ha > 10_000
    assert big.sum() > 250
    assert np.abs(cells_ha[big] / land_ha[big] - 1).max() < 0.06
    assert cells_ha.sum() / land_ha.sum() == pytest.approx(1, abs=0.005)


def test_share_is_the_same_at_100m_and_25m(designation_features, base_1km):
    import geopandas as gpd

    from growthzones.layers.base import build_base

    areas = gpd.GeoDataFrame(base_1km.areas, geometry=gpd.GeoSeries(base_1km.shapes),
                             crs="EPSG:27700")
    at_1km = _share_by_council(
        ds.on_block(designation_features, base_1km)["sssi_share_council_scotland_pct"],
        base_1km)
    # Edinburgh, Midlothian and East Lothian meet here: 8 x 8 km at 100 m, 2 x 2 km at 25 m
    for res, rows, cols in ((100, slice(5810, 5890), slice(3210, 3290)),
                            (25, slice(23240, 23320), slice(12840, 12920))):
        base = build_base(areas, GridSpec(resolution=res).block(rows, cols))
        got = _share_by_council(
            ds.on_block(designation_features, base)["sssi_share_council_scotland_pct"], base)
        assert len(got) >= (2 if res == 100 else 1), res
        assert got == {code: at_1km[code] for code in got}, res
