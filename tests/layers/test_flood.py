"""Flood proxies (layers.flood): HAND tiles, low ground, the FZ3 residents table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import assert_blocks_match, valley

from growthzones.grid import GridSpec
from growthzones.layers import flood as fl
from growthzones.layers import hand as H

#: pysheds' kernels compiled once, in the background (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("pysheds_compiled")


def test_share_within_matches_a_loop():
    rng = np.random.default_rng(1)
    flag, land = rng.random((20, 30)) < 0.3, rng.random((20, 30)) < 0.7
    got = fl.share_within(flag, land, 10)
    for i in range(2):
        for j in range(3):
            f, m = flag[i*10:(i+1)*10, j*10:(j+1)*10], land[i*10:(i+1)*10, j*10:(j+1)*10]
            assert got[i, j] == pytest.approx(100 * (f & m).sum() / m.sum(), rel=1e-6)
    assert np.isnan(fl.share_within(flag, np.zeros_like(land), 10)).all()


def test_low_ground_reads_the_decimetre_coding():
    a = np.array([-32768, 32767, 100, 51, 50, 0, -393])
    assert fl.low_ground(a).tolist() == [False, False, False, False, True, True, True]
    assert fl.low_ground(a, limit_m=10).tolist()[2] is True


def test_fz3_table_is_zero_where_absent_and_nan_in_scotland():
    areas = pd.DataFrame({"code": ["E01", "E02", "W01", "S01"], "nation": list("EEWS")})
    t = pd.DataFrame({"lsoa11cd": ["E01", "W01"], "share_people_in_fz3": [0.5, 0.1]})
    got = fl.fz3_residents_by_area(t, areas)
    assert got.to_dict() == {"E01": 50.0, "E02": 0.0, "W01": 10.0}
    with pytest.raises(ValueError, match="share_people_in_fz3"):
        fl.fz3_residents_by_area(t.drop(columns="share_people_in_fz3"), areas)


def test_grid_must_be_a_multiple_or_a_fraction_of_the_dem():
    assert fl._factor(GridSpec(resolution=1000)) == 10
    assert fl._pixels(GridSpec(resolution=25, bounds=(25, 0, 1000, 1000))) == (1, 4)
    for res in (250, 30):
        with pytest.raises(ValueError, match="whole multiple of 100 m"):
            fl._factor(GridSpec(resolution=res, bounds=(0, 0, 1500, 1500)))
    with pytest.raises(ValueError, match="aligned to the DEM"):  # 1 km cells across pixels
        fl._factor(GridSpec(resolution=1000, bounds=(50, 0, 1050, 1000)))


def test_real_low_ground_on_grain_and_not_on_ben_nevis(sources):
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(sources.path("os_terrain50_lowlying")) as src:
        def share(x, y):
            a = src.read(1, window=from_bounds(x - 500, y - 500, x + 500, y + 500,
                                               src.transform))
            return fl.low_ground(a).mean()
        assert share(590_000, 176_500) > 0.8   # Isle of Grain marshes
        assert share(216_700, 771_300) == 0.0  # Ben Nevis


def test_real_fz3_table(sources, base_1km):
    t = pd.read_csv(sources.path("flood_zone3_lsoa_ew"))
    assert len(t) == 3697 and t["share_people_in_fz3"].between(0, 1).all()
    got = fl.fz3_residents_by_area(t, base_1km.areas)
    assert len(got) == (base_1km.areas["nation"] != "S").sum()
    assert (got > 0).sum() == 3697  # every row's code is a real LSOA
    grid = base_1km.map_values(got)
    scot = np.concatenate([[False], (base_1km.areas["nation"] == "S").to_numpy()])
    assert np.isnan(grid[scot[base_1km.area_index]]).all()


def _fixture_features(tmp_path, dem):
    """Features over a FIXTURE DEM GeoTIFF at 100 m from (0, 0), 1 km tiles, 0.5 km halo."""
    import rasterio

    path = tmp_path / "dem.tif"
    rows, cols = dem.shape
    bounds = (0.0, 0.0, cols * 100.0, rows * 100.0)
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="int16", crs="EPSG:27700",
                       transform=GridSpec(resolution=100, bounds=bounds).transform) as dst:
        dst.write(np.rint(dem).astype("int16"), 1)
    return {"dem_path": str(path), "lowlying_path": str(path), "dem_key": fl.content_key(path),
            "lattice": bounds, "tile_km": 1.0, "halo_km": 0.5,
            "fz3": pd.DataFrame({"lsoa11cd": [], "share_people_in_fz3": []})}


def test_hand_tiles_are_cached_by_their_inputs(tmp_path, monkeypatch):
    import shapely

    monkeypatch.setenv("GROWTHZONES_CACHE", str(tmp_path / "cache"))
    f = _fixture_features(tmp_path, valley(30, 31) - 49.0)  # near sea level: some near
    land = [shapely.box(0, 0, 3100, 1000), shapely.box(0, 1000, 3100, 3000)]
    first = fl._Lattice(f, land).near(0, 30, 0, 31)
    assert first.any() and not first.all()
    assert len(list((tmp_path / "cache").iterdir())) == 3 * 4   # one file per tile

    def boom(*a, **k):
        raise AssertionError("recomputed although cached")

    monkeypatch.setattr(fl, "height_above_drainage", boom)
    np.testing.assert_array_equal(fl._Lattice(f, land).near(0, 30, 0, 31), first)
    # other land polygons are another key, for the tiles whose window they meet only
    lat = fl._Lattice(f, [shapely.box(0, 0, 3000, 1000), land[1]])
    np.testing.assert_array_equal(lat.near(0, 10, 0, 31), first[:10])
    with pytest.raises(AssertionError, match="recomputed"):
        lat.near(0, 30, 0, 31)
    # so is another DEM file
    f2 = _fixture_features(tmp_path / "..", valley(30, 31))
    with pytest.raises(AssertionError, match="recomputed"):
        fl._Lattice(f2, land).near(0, 5, 0, 5)



def test_threads_meeting_one_uncached_tile_compute_it_once(tmp_path, monkeypatch):
    """A threaded build's blocks of one tile arrive together: one computes, the rest read."""
    import threading

    import shapely

    monkeypatch.setenv("GROWTHZONES_CACHE", str(tmp_path / "cache"))
    f = _fixture_features(tmp_path, valley(30, 31) - 49.0)
    land = [shapely.box(0, 0, 3100, 3000)]
    real, calls, start = fl.height_above_drainage, [], threading.Barrier(4)

    def counted(dem, **k):
        calls.append(dem.shape)
        return real(dem, **k)

    monkeypatch.setattr(fl, "height_above_drainage", counted)
    lat = fl._Lattice(f, land)
    out = []

    def one():
        start.wait()
        out.append(lat.tile(1, 1))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(out) == 4
    for o in out[1:]:
        np.testing.assert_array_equal(o, out[0])

# ------------------------------------------------------------- the theme contract ---

#: A 40 km test lattice over the Fens and the Wash (low ground, drains and the sea).
FENS = (530_000.0, 300_000.0, 570_000.0, 340_000.0)


def block_of(base, bounds):
    """The block of ``base`` over ``bounds`` (on its cell edges)."""
    g, (x0, y0, x1, y1) = base.grid, bounds
    r = slice(round((g.bounds[3] - y1) / g.resolution), round((g.bounds[3] - y0) / g.resolution))
    c = slice(round((x0 - g.bounds[0]) / g.resolution), round((x1 - g.bounds[0]) / g.resolution))
    return base.block(r, c)


def region_base(base_1km, resolution, bounds):
    """A base of its own at ``resolution`` over ``bounds`` (the national polygons)."""
    import geopandas as gpd

    from growthzones.grid import BNG
    from growthzones.layers.base import build_base

    areas = gpd.GeoDataFrame(base_1km.areas, geometry=base_1km.shapes, crs=BNG)
    return build_base(areas, GridSpec(resolution=resolution, bounds=bounds))


@pytest.fixture(scope="module")
def fens(sources, tmp_path_factory):
    """The real sources on a FENS test lattice of 20 km tiles with a 5 km halo (the real
    code path with small tiles), their HAND tiles cached in a folder of their own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GROWTHZONES_CACHE", str(tmp_path_factory.mktemp("hand_cache")))
        yield fl.read(sources, tile_km=20, halo_km=5, lattice=FENS)


def test_blocks_equal_the_whole_and_the_tiles_equal_hand_by_tiles(fens, base_1km):
    from growthzones.grid import rasterize_mask

    whole = assert_blocks_match(fl.on_block, fens, block_of(base_1km, FENS))
    land = block_of(base_1km, FENS).land
    for name in CRITERIA_NAMES:
        assert np.isnan(whole[name][~land]).all(), name
    low, hand = whole["flood_proxy_low_ground_pct"][land], whole["flood_proxy_hand_pct"][land]
    assert np.isfinite(low).all() and (low == 100).mean() > 0.3 and (low == 0).any()
    assert np.isfinite(hand).all() and 0 < np.mean(hand) < 100
    # the tiles equal hand_by_tiles on the lattice's whole array (the national method)
    g100 = GridSpec(resolution=100, bounds=FENS)
    land100 = rasterize_mask(base_1km.shapes, g100)
    dem = fl._read_window(fens["dem_path"], g100).astype(np.float32)
    dem[(dem == fl._NODATA) | ~land100] = np.nan
    ref = H.hand_by_tiles(dem, tile_km=20, halo_km=5)
    near = fl._Lattice(fens, base_1km.shapes).near(0, 400, 0, 400)
    np.testing.assert_array_equal(near, np.isfinite(ref) & (ref <= fl.HAND_M))
    np.testing.assert_array_equal(whole["flood_proxy_hand_pct"],
                                  np.where(land, fl.share_within(near, land100, 10), np.nan))


CRITERIA_NAMES = ("flood_proxy_low_ground_pct", "flood_proxy_hand_pct",
                  "flood_zone3_residents_pct")


def test_100m_cells_make_up_the_1km_share(fens, base_1km):
    sub = (550_000.0, 310_000.0, 560_000.0, 320_000.0)   # King's Lynn and the Ouse
    b100 = region_base(base_1km, 100, sub)
    out = assert_blocks_match(fl.on_block, fens, b100)
    one = fl.on_block(fens, block_of(base_1km, sub))
    for name in CRITERIA_NAMES[:2]:
        v = out[name]
        assert set(np.unique(v[b100.land])) == {0.0, 100.0}, name
        mean = np.nanmean(v.reshape(10, 10, 10, 10), axis=(1, 3))
        ok = block_of(base_1km, sub).land
        np.testing.assert_allclose(one[name][ok], mean[ok], rtol=0, atol=1e-4, err_msg=name)


def test_25m_cells_take_their_100m_pixel(fens, base_1km):
    sub = (560_000.0, 326_000.0, 562_000.0, 328_000.0)   # the Wash shore
    b25, b100 = region_base(base_1km, 25, sub), region_base(base_1km, 100, sub)
    out = assert_blocks_match(fl.on_block, fens, b25, rows=(0, 0.45, 1), cols=(0, 0.55, 1))
    assert b25.land.any() and not b25.land.all()
    ref = fl.on_block(fens, b100)
    for name in CRITERIA_NAMES[:2]:
        v, up = out[name], np.repeat(np.repeat(ref[name], 4, 0), 4, 1)
        assert set(np.unique(v[b25.land])) <= {0.0, 100.0} and np.isnan(v[~b25.land]).all()
        both = np.isfinite(v) & np.isfinite(up)
        assert both.mean() > 0.3
        np.testing.assert_array_equal(v[both], up[both], err_msg=name)
    # a 25 m land cell in a 100 m pixel whose centre is at sea: HAND 0, its own low ground
    fringe = b25.land & np.isnan(np.repeat(np.repeat(ref["flood_proxy_hand_pct"], 4, 0), 4, 1))
    assert fringe.any() and (out["flood_proxy_hand_pct"][fringe] == 0).all()
    assert (out["flood_proxy_low_ground_pct"][fringe] == 100).any()


def test_a_block_on_the_national_lattice_equals_the_national_layer(sources, base_1km, store,
                                                                   tmp_path, monkeypatch):
    # Shetland's tile (200 km, the real lattice) is mostly sea: computed afresh in seconds
    monkeypatch.setenv("GROWTHZONES_CACHE", str(tmp_path))
    shetland = (420_000.0, 1_120_000.0, 480_000.0, 1_180_000.0)
    b = block_of(base_1km, shetland)
    out = fl.on_block(fl.read(sources), b)
    assert len(list(tmp_path.iterdir())) == 1 and b.land.sum() > 500
    for name in CRITERIA_NAMES:
        national = block_of_array(store.layers[name], base_1km, shetland)
        np.testing.assert_array_equal(out[name][b.land], national[b.land], err_msg=name)


def block_of_array(arr, base, bounds):
    g, (x0, y0, x1, y1) = base.grid, bounds
    return arr[round((g.bounds[3] - y1) / g.resolution):round((g.bounds[3] - y0) / g.resolution),
               round((x0 - g.bounds[0]) / g.resolution):round((x1 - g.bounds[0]) / g.resolution)]


def test_fz3_coverage_quotes_the_table(sources):
    f = fl.read(sources)
    counts = fl.counts(f, {})["flood_zone3_residents_pct"]
    assert counts == {"lsoas_in_table": len(f["fz3"])}
    text = fl.CRITERIA["flood_zone3_residents_pct"].coverage_text(counts)
    assert f"{len(f['fz3']):,} have residents in Flood Zone 3" in text


def test_prepare_computes_the_tiles_in_processes_as_a_block_does(tmp_path, monkeypatch):
    import io

    import shapely

    f = _fixture_features(tmp_path, valley(30, 31) - 49.0)  # 3 x 4 tiles of 1 km
    land = [shapely.box(0, 0, 3100, 1000), shapely.box(0, 1000, 2000, 3000)]
    monkeypatch.setenv("GROWTHZONES_CACHE", str(tmp_path / "serial"))
    serial = fl._Lattice(f, land).near(0, 30, 0, 31)  # computed here, one by one
    assert serial.any() and not serial.all()
    monkeypatch.setenv("GROWTHZONES_CACHE", str(tmp_path / "prepared"))
    log, grid = io.StringIO(), GridSpec(resolution=100, bounds=f["lattice"])
    # 3 x 4 tiles, less the north-east one: no land within its halo, nothing to compute
    assert fl.prepare(f, grid, land, workers=2, log=log) == 11
    assert "11 tiles to compute, 2 at a time" in log.getvalue()
    assert "11 of 11" in log.getvalue()

    def boom(*a, **k):
        raise AssertionError("computed here although prepared")

    monkeypatch.setattr(fl, "height_above_drainage", boom)  # every tile now from the cache
    np.testing.assert_array_equal(fl._Lattice(f, land).near(0, 30, 0, 31), serial)
    assert fl.prepare(f, grid, land, workers=2) == 0  # nothing left to do


def test_prepare_leaves_the_tiles_to_the_blocks_when_processes_fail(tmp_path, monkeypatch):
    import io

    import joblib
    import shapely

    def no_processes(*a, **k):
        raise OSError("no processes here")

    f = _fixture_features(tmp_path, valley(30, 31) - 49.0)
    land = [shapely.box(0, 0, 3100, 3000)]
    monkeypatch.setenv("GROWTHZONES_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(joblib, "Parallel", no_processes)
    log, grid = io.StringIO(), GridSpec(resolution=100, bounds=f["lattice"])
    assert fl.prepare(f, grid, land, workers=2, log=log) == 0
    assert "processes failed (no processes here)" in log.getvalue()
    assert not (tmp_path / "cache").exists()  # nothing half-written; the blocks compute them
    # one worker: nothing to do here either, without trying
    assert fl.prepare(f, grid, land, workers=1, log=log) == 0
