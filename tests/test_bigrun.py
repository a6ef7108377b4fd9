"""The everyday path on a big store (issues #15, #17 item 5), pinned on the 1 km store.

A GB 100 m store is too big for a test, so the 1 km store is copied with internal
overviews (what the build writes for grids over ``OVERVIEW_CELLS``) and the map's pixel
budget is lowered until the map must draw it from an overview; the store's "big grid"
threshold is lowered so that ranking takes the path it takes at 100 m.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

import growthzones as gz
from growthzones import store as store_mod
from growthzones.blocks import build_overviews
from growthzones.layer_files import LayerFiles, block_mean
from growthzones.maps import _overview, raster


@pytest.fixture(scope="module")
def overview_store(tmp_path_factory):
    """A copy of the embedded store whose rasters carry x2, x4 overviews."""
    src = store_mod.default_store_path()
    dst = tmp_path_factory.mktemp("ov") / src.name
    shutil.copytree(src, dst)
    for f in sorted((dst / "layers").glob("*.tif")):
        build_overviews(f)
    return dst


@pytest.fixture(scope="module")
def scored(overview_store):
    store = gz.load_layers(overview_store)
    result = gz.score(store, gz.load_scenario())
    return result, gz.rank_sites(result)


def test_read_overview_is_the_files_overview(overview_store):
    import rasterio

    store = gz.load_layers(overview_store)
    name = "dist_ixp_km"
    h, w = store.grid.shape
    got = store.overview(name, 4)
    assert got.shape == (math.ceil(h / 4), math.ceil(w / 4))
    with rasterio.open(overview_store / "layers" / f"{name}.tif") as src:
        level = src.overviews(1).index(4)
    with rasterio.open(overview_store / "layers" / f"{name}.tif", overview_level=level) as src:
        want = src.read(1)
    np.testing.assert_array_equal(got, want)
    # a file without overviews gives the same shape, averaged in Python; where the grid
    # divides by the factor (x2 here: 1250 x 700) the same values as GDAL's average
    assert block_mean(store.layers.read(name), 4).shape == got.shape
    assert h % 2 == 0 and w % 2 == 0
    mean, gdal = block_mean(store.layers.read(name), 2), store.overview(name, 2)
    assert np.array_equal(np.isfinite(mean), np.isfinite(gdal))
    np.testing.assert_allclose(mean, gdal, rtol=1e-5, equal_nan=True)


def test_big_map_is_drawn_from_overviews(scored, monkeypatch):
    """With a 400 px budget the 1 km map is drawn from an overview: every layer read of
    the map is an overview read (never a full raster), each of the overview's shape."""
    result, sites = scored
    monkeypatch.setattr(raster, "MAX_OVERLAY_PX", 400)
    f = _overview.overview_factor(result.grid)
    ground = raster._MercatorWarp(result.grid).ground_pixel_m
    assert f >= 2 and f * 500 < ground <= f * 1000  # the finest at least a pixel wide
    for snap in result.store.network_years():  # scored (as run does) before the map
        gz.score(result.store, result.scenario, network_year=snap)
    reads, shapes = [], []
    real = LayerFiles.read_overview

    def spy(self, name, factor):
        out = real(self, name, factor)
        shapes.append(out.shape)
        return out

    def full_read(self, name):
        reads.append(name)
        raise AssertionError(f"the map read the full raster of {name}")

    monkeypatch.setattr(LayerFiles, "read_overview", spy)
    monkeypatch.setattr(LayerFiles, "read", full_read)
    m = gz.render_map(result, sites)
    html = gz.map_html(m)
    h, w = result.grid.shape
    assert not reads
    assert shapes and set(shapes) == {(math.ceil(h / f), math.ceil(w / f))}
    assert f"Map drawn at {f} km from the overviews of the store" in html


def test_a_map_from_overviews_makes_its_identify_data_only_where_they_can_fit(scored,
                                                                           monkeypatch):
    """Drawn from overviews, the identify data are made after the rest of the page, and
    not at all where even :data:`~growthzones.maps.page.IDENTIFY_MIN_BYTES` a cell and
    plane would take it over its budget (GB 100 m: 7.6 s saved); the page says which."""
    from growthzones.maps import page

    result, sites = scored
    monkeypatch.setattr(raster, "MAX_OVERLAY_PX", 400)
    made = []
    real = page.identify_payload
    monkeypatch.setattr(page, "identify_payload", lambda r: made.append(r) or real(r))
    full = gz.map_html(gz.render_map(result, sites))
    assert len(made) == 1 and made[0].full is result  # the overview's
    assert '"scoreStep"' in full and "Click any land cell" in full
    assert "Click-to-identify is left out" not in full
    data = real(made[0])
    planes = 2 + 2 * len(result.weights)
    per = (len(data["data"]) + len(data["land"])) / (data["n"] * planes)
    assert per > 1.5 * page.IDENTIFY_MIN_BYTES  # a floor indeed
    # a budget the rest of the page already fills: not made, and said
    monkeypatch.setattr(page, "PAGE_MAX_BYTES", 1)
    made.clear()
    lean = gz.map_html(gz.render_map(result, sites))
    assert not made and '"scoreStep"' not in lean
    assert "Click-to-identify is left out" in lean and "Click any land cell" not in lean


def test_overview_surfaces_are_block_aggregates(scored):
    result, _ = scored
    view = _overview.map_view(result, factor=4)
    assert isinstance(view, _overview.OverviewResult)
    blocks = view.blocks
    # the score of a block: mean of its not-excluded land cells, checked on one block
    rows, cols = np.divmod(result.store.land_index, result.grid.width)
    key = (rows // 4) * view.grid.width + cols // 4
    k = np.flatnonzero(np.isfinite(view.ranked))[len(view.ranked) // 3]
    members = key == blocks.land_index[k]
    want = np.nanmean(result.ranked[members].astype(np.float64))
    assert view.ranked[k] == pytest.approx(want, rel=1e-5)
    # contributions, computed a chunk at a time, still sum to the mean score_all
    total = sum(view.contributions[n] for n in result.weights)
    ok = np.isfinite(view.score)
    np.testing.assert_allclose(total[ok], view.score[ok], atol=2e-5)
    # a land cell's block is land; blocks partition the land cells
    assert int(blocks.cells.sum()) == len(result.store.land_index)
    assert view.surface("score").shape == view.grid.shape
    # a grid the map can show whole is drawn as it is
    assert _overview.map_view(result) is result


def test_rank_sites_on_the_big_path_equals_the_full_path(overview_store, monkeypatch):
    scenario = gz.load_scenario()
    full = gz.rank_sites(gz.score(gz.load_layers(overview_store), scenario))
    monkeypatch.setattr(store_mod, "RESIDENT_CELLS", 0)  # every store is "big" now
    store = gz.load_layers(overview_store)
    result = gz.score(store, scenario)
    big = gz.rank_sites(result)
    assert not result.contributions._done  # no national contribution vector computed
    assert not store.layers._arrays  # no raster kept by the store
    pd.testing.assert_frame_equal(big.drop(columns="geometry"),
                                  full.drop(columns="geometry"))


def test_a_big_store_keeps_of_its_other_years_only_what_the_map_draws(scored, monkeypatch):
    """On a big store the first and last network years are kept as the map draws them (a
    score on its coarse grid, their full vectors let go), the same surfaces as drawing
    the full years, and the map draws them without scoring any year again."""
    import growthzones.scoring
    from growthzones import timeline
    from growthzones.maps import _surfaces

    result, sites = scored
    monkeypatch.setattr(raster, "MAX_OVERLAY_PX", 400)  # drawn from an overview
    usual = timeline.network_year_results(result)
    monkeypatch.setattr(timeline, "RESIDENT_CELLS", 1000)
    years = timeline.network_year_results(result)
    timeline.site_timeline(result, sites, results=years)  # reads each year once
    ends = {min(usual), max(usual)} - {result.store.network_snapshot}
    assert set(years.drawn) == ends
    view = _overview.map_view(result)
    for snap, drawn in years.drawn.items():
        assert isinstance(drawn, _overview.OverviewResult) and drawn.full is None
        np.testing.assert_array_equal(drawn.surface("score"),
                                      view.like(usual[snap]).surface("score"))

    def not_again(*args, **kwargs):
        raise AssertionError("a network year scored again")

    monkeypatch.setattr(growthzones.scoring, "score", not_again)
    assert [r for _, r in _surfaces._other_network_years(view, years)] == [
        years.drawn[s] for s in sorted(ends)]
    gz.map_html(gz.render_map(result, sites, network_years=years))
