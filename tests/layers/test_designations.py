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
