"""growthzones.maps.raster: the shared reprojection index and the PNG encoding."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from growthzones.grid import GridSpec
from growthzones.maps import _surfaces, raster
from growthzones.maps.raster import WEB_MERCATOR, _MercatorWarp


def reproject_nearest(index: np.ndarray, nodata: int, warp: _MercatorWarp) -> np.ndarray:
    """The independent computation: rasterio's own nearest reprojection of ``index``,
    the way every overlay was reprojected before the shared index."""
    from rasterio.warp import Resampling, reproject

    out = np.full((warp.height, warp.width), nodata, dtype=np.uint8)
    reproject(source=index, destination=out, src_transform=warp.grid.transform,
              src_crs=warp.grid.crs, src_nodata=nodata, dst_transform=warp.transform,
              dst_crs=WEB_MERCATOR, dst_nodata=nodata, resampling=Resampling.nearest)
    return out


@pytest.fixture(scope="module")
def gb_warp(store):
    return _MercatorWarp(store.grid)


@pytest.mark.parametrize("name", ["dist_substation_132kv_km", "latency_london_ms"])
def test_gather_is_bit_identical_to_reprojecting_a_real_criterion(store, gb_warp, name):
    layer = np.asarray(store.layer(name), dtype=np.float64)
    index = raster._scale_index(layer / np.nanmax(layer))
    index[::97, ::89] = 255  # nodata cells inside the grid too
    expected = reproject_nearest(index, 255, gb_warp)
    got = gb_warp.warp(index, 255)
    assert got.dtype == np.uint8 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    # not a vacuous comparison: the image holds many classes and nodata outside GB
    assert len(np.unique(got)) > 50 and (got == 255).any()


def test_gather_is_bit_identical_for_a_real_exclusion_mask(store, gb_warp):
    index = raster._mask_index(store.layer("national_parks"))
    assert index.any()
    np.testing.assert_array_equal(gb_warp.warp(index, 0), reproject_nearest(index, 0, gb_warp))


def test_the_index_is_computed_once_and_reused(gb_warp, monkeypatch):
    gather = gb_warp.gather
    calls = []
    monkeypatch.setattr(raster, "_reproject_nearest", lambda *a: calls.append(a))
    gb_warp.warp(np.zeros(gb_warp.grid.shape, np.uint8), 0)
    assert gb_warp.gather is gather and calls == []
    # -1 marks pixels outside the grid, every other entry is a cell of it
    assert gather.min() == -1 and gather.max() < gb_warp.grid.width * gb_warp.grid.height


def test_gather_on_a_small_grid_matches_rasterio_for_random_classes():
    grid = GridSpec(resolution=10_000, bounds=(300e3, 100e3, 600e3, 400e3))
    warp = _MercatorWarp(grid)
    rng = np.random.default_rng(7)
    index = rng.integers(0, 256, grid.shape, dtype=np.uint8)
    np.testing.assert_array_equal(warp.warp(index, 255), reproject_nearest(index, 255, warp))


def test_png_uses_the_zlib_level_it_is_given():
    rng = np.random.default_rng(3)
    index = rng.integers(0, 256, (64, 256), dtype=np.uint8)
    pal = raster._viridis_palette()
    fast, small = raster._png_indexed(index, pal, level=1), raster._png_indexed(index, pal)
    assert raster.PNG_ZLIB_LEVEL == 4

    def idat(png: bytes) -> bytes:
        start = png.index(b"IDAT") + 4
        return png[start:start + int.from_bytes(png[start - 8:start - 4], "big")]

    # both decode to the same rows: filter byte 2 ("Up"), then each row minus the one
    # above modulo 256 (the row above the first is zeros)
    for png in (fast, small):
        rows = np.frombuffer(zlib.decompress(idat(png)), np.uint8).reshape(64, 257)
        assert (rows[:, 0] == 2).all()
        np.testing.assert_array_equal(np.cumsum(rows[:, 1:], axis=0, dtype=np.uint8), index)
    # the zlib header names the level class: 0x01 fastest (0-1), 0x5e fast (2-5)
    assert idat(small)[:2] == b"\x78\x5e" and idat(fast)[:2] == b"\x78\x01"


def test_scale_and_mask_indices_match_their_definition():
    rng = np.random.default_rng(11)
    v = rng.uniform(-0.5, 1.5, (40, 50)).astype(np.float32)
    v[rng.random(v.shape) < 0.2] = np.nan
    v[0, :3] = [np.inf, -np.inf, 0.5]
    ok = np.isfinite(v)
    expected = np.full(v.shape, 255, np.uint8)
    # float32 arithmetic, rounded half to even (as np.rint and Python's round)
    expected[ok] = [round(float(np.float32(min(max(x, 0.0), 1.0)) * np.float32(254.0)))
                    for x in v[ok]]
    got = raster._scale_index(v)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.uint8 and got[0, 2] == 127
    mask = raster._mask_index(v)
    np.testing.assert_array_equal(mask, (np.nan_to_num(v, nan=0.0) >= 0.5).astype(np.uint8))


def test_overlays_encoded_in_threads_keep_their_order_and_pixels():
    import base64
    import json
    import re

    from test_maps import fixture_result, panel_entries

    from growthzones import maps
    from growthzones.maps import _legend, page

    result = fixture_result()
    html = maps.map_html(maps.render_map(result, None))
    urls = dict(re.findall(r'var (image_overlay_\w+) = L\.imageOverlay\('
                           r'"(data:image/png;base64,[\w+/=]+)"', html))
    names = {e["label"]: e["var"] for e in panel_entries(html)}
    warp = _MercatorWarp(result.grid)
    viridis, mask = raster._viridis_palette(), raster._mask_palette()
    score = result.surface("score")
    expected = {
        "Suitability score": (_legend.stretched_index(score, _legend.stretch(score)), viridis),
        "Grid headroom": (_surfaces._criterion_index(result, "grid_headroom_mw")[0], viridis),
        "Excluded land (this scenario)": (raster._mask_index(result.surface("excluded")), mask),
        "Exclusion: Green belt": (raster._mask_index(result.store.layer("green_belt")), mask),
    }
    assert len(urls) == 5
    lazy = dict(re.findall(r'gzOverlays\.lazy\((image_overlay_\w+), "([\w+/=]+)"\)', html))
    base = json.loads(re.search(r"var B = (\{.*?\}), W = ", html).group(1))
    # the page's gather is the shared index, exactly
    gather = raster._decode_gather(base["gather"], warp.width * warp.height)
    np.testing.assert_array_equal(gather.reshape(warp.height, warp.width), warp.gather)
    land = np.unpackbits(np.frombuffer(zlib.decompress(base64.b64decode(base["land"])),
                                       np.uint8))[:base["cells"]].astype(bool)
    pos = np.full(base["cells"] + 1, -1)                 # -1 off land and off the grid
    pos[np.flatnonzero(land)] = np.arange(land.sum())
    assert sorted(lazy) == sorted([names["Distance to motorway"], names["Grid headroom"]])
    for name, (index, palette) in expected.items():
        var = names[name]
        if var in lazy:  # drawn by the page: its codes through the gather
            assert urls[var] == page._PLACEHOLDER_URL
            codes = np.frombuffer(zlib.decompress(base64.b64decode(lazy[var])), np.uint8)
            p = pos[gather]
            drawn = np.where(p >= 0, codes[p], 255).reshape(warp.height, warp.width)
            # the same pixels as warping that one overlay on its own, in this thread
            np.testing.assert_array_equal(drawn, warp.warp(index, 255), err_msg=name)
            assert bytes.fromhex(base["palette"]) == palette.tobytes()
        else:
            # the same URL as encoding that one overlay on its own, in this thread
            assert urls[var] == page._overlay_url(warp, index, palette), name


def test_criterion_index_is_the_raw_value_over_its_stretch(store):
    import growthzones as gz
    from growthzones.maps import _legend

    result = gz.score(store, gz.load_scenario("default"))
    left_out = [n for n, i in store.meta.items()
                if i.get("kind", "criterion") == "criterion" and n not in result.weights]
    assert left_out, "the default scenario leaves some criteria out"
    weighted = next(iter(result.weights))
    for name in [*left_out[:3], weighted]:
        index, lims = _surfaces._criterion_index(result, name)
        raw = store.layer(name)
        assert lims == pytest.approx(np.percentile(raw[np.isfinite(raw)], [2, 98]))
        reverse = _surfaces._direction(result, name) == "min"
        np.testing.assert_array_equal(index, _legend.stretched_index(raw, lims,
                                                                     reverse=reverse))
        lo, hi = lims
        inside = np.isfinite(raw) & (raw > lo) & (raw < hi)
        # better raw values are never darker: the ramp follows the direction
        order = np.argsort(raw[inside])
        steps = np.diff(index[inside][order].astype(int))
        assert (steps <= 0).all() if reverse else (steps >= 0).all(), name


def test_an_error_while_making_an_overlay_reaches_the_caller():
    from test_maps import fixture_result

    from growthzones import maps
    from growthzones._errors import LayerStoreError

    result = fixture_result()

    def missing(name):
        raise LayerStoreError(f"layer {name!r} is not in the store")

    result.store.layer = missing
    with pytest.raises(LayerStoreError, match="layer 'green_belt' is not in the store"):
        maps.render_map(result, None)
