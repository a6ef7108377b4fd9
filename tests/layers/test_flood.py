"""Flood proxies (layers.flood): HAND with pysheds, low ground, the FZ3 residents table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from growthzones.grid import GridSpec
from growthzones.layers import flood as fl


def valley(rows=40, cols=41, *, along=0.02, side=1.0):
    """A FIXTURE DEM: a straight valley running south along the middle column."""
    r, c = np.mgrid[0:rows, 0:cols]
    return (50.0 - along * r + side * np.abs(c - cols // 2)).astype(np.float64)


def test_hand_is_the_height_above_the_valley_floor():
    dem = valley()
    hand = fl.height_above_drainage(dem, cell_m=100.0, stream_km2=0.3)  # 30 cells; a slope gathers 20
    mid = dem.shape[1] // 2
    # below the stream head the floor is the stream: HAND 0 there, and on the slopes the
    # height above the floor cell beside it (side slopes 50x steeper than the valley)
    # (the outer ring drains off the array: it is measured from outlet_m, not checked)
    assert np.allclose(hand[10:-1, mid], 0.0)
    lateral = np.abs(np.arange(dem.shape[1]) - mid).astype(float)
    assert np.allclose(hand[10:-1, 1:-1], lateral[None, 1:-1], atol=0.05 * lateral.max())


def test_hand_treats_nan_as_outlet_and_nodata():
    dem = valley()
    dem[:, :3] = np.nan
    hand = fl.height_above_drainage(dem, cell_m=100.0, stream_km2=0.3)
    assert np.isnan(hand[:, :3]).all() and np.isfinite(hand[10:-1, 4:-1]).all()
    assert np.isnan(fl.height_above_drainage(np.full((5, 5), np.nan))).all()


def test_land_draining_straight_to_the_sea_is_measured_from_sea_level():
    r, c = np.mgrid[0:20, 0:20]
    dem = 0.5 * c + 0.01 * r + 1.0  # a coastal slope falling west to the sea
    dem[:, :2] = np.nan             # the sea, masked: nodata
    got = fl.height_above_drainage(dem, cell_m=100.0, stream_km2=50.0)  # no stream at all
    inner = (slice(1, -1), slice(2, -1))
    assert np.allclose(got[inner], dem[inner])
    assert np.isnan(fl.height_above_drainage(dem, cell_m=100.0, stream_km2=50.0,
                                             outlet_m=None)[inner]).all()


def test_tiles_with_a_halo_agree_with_one_pass():
    dem = valley(60, 61)
    # streams from 1 km2 (100 cells): far more than any slope cell gathers (30), so the
    # network does not depend on how much of a slope a tile's window holds
    whole = fl.height_above_drainage(dem, cell_m=100.0, stream_km2=1.0)
    tiled = fl.hand_by_tiles(dem, cell_m=100.0, tile_km=2.0, halo_km=1.5, stream_km2=1.0)
    both = np.isfinite(whole) & np.isfinite(tiled)
    assert both.mean() > 0.9
    assert np.mean(np.abs(whole[both] - tiled[both]) < 0.01) > 0.95


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


def test_grid_must_be_a_multiple_of_the_dem():
    assert fl._factor(GridSpec(resolution=1000)) == 10
    with pytest.raises(ValueError, match="whole multiple of 100 m"):
        fl._factor(GridSpec(resolution=250, bounds=(0, 0, 1000, 1000)))


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


def test_near_drainage_is_cached_by_its_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("GROWTHZONES_CACHE", str(tmp_path / "cache"))
    dem_file = tmp_path / "dem.tif"
    dem_file.write_bytes(b"FIXTURE")
    dem = valley(30, 31).astype(np.float32)
    land = np.ones(dem.shape, bool)
    first = fl.near_drainage_cached(dem, land, dem_file)
    assert first.any() and len(list((tmp_path / "cache").iterdir())) == 1

    def boom(*a, **k):
        raise AssertionError("recomputed although cached")

    monkeypatch.setattr(fl, "hand_by_tiles", boom)
    assert (fl.near_drainage_cached(dem, land, dem_file) == first).all()
    land[0, 0] = False  # another land mask is another key
    with pytest.raises(AssertionError, match="recomputed"):
        fl.near_drainage_cached(dem, land, dem_file)
