"""HAND with pysheds (layers.hand): height above the valley floor, nodata, tiles."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import valley

from growthzones.layers import hand as H

#: pysheds' kernels compiled once, in the background (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("pysheds_compiled")


def test_hand_is_the_height_above_the_valley_floor():
    dem = valley()
    hand = H.height_above_drainage(dem, cell_m=100.0, stream_km2=0.3)  # 30 cells; a slope gathers 20
    mid = dem.shape[1] // 2
    # below the stream head the floor is the stream: HAND 0 there, and on the slopes the
    # height above the floor cell beside it (side slopes 50x steeper than the valley)
    # (the outer ring drains off the array: it is measured from outlet_m, not checked)
    assert np.allclose(hand[10:-1, mid], 0.0)
    lateral = np.abs(np.arange(dem.shape[1]) - mid).astype(float)
    assert np.allclose(hand[10:-1, 1:-1], lateral[None, 1:-1], atol=0.05 * lateral.max())


def test_pysheds_is_imported_without_compiling_its_kernels():
    import subprocess
    import sys

    # a process of its own: this one has pysheds imported already
    code = ("import numba; from growthzones.layers.hand import import_pysheds; "
            "eager = numba.njit; import_pysheds(); import pysheds._sgrid as k; "
            "assert numba.njit is eager; "
            "n = [f for f in vars(k).values() if hasattr(f, 'signatures')]; "
            "print(len(n), sum(len(f.signatures) for f in n))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) > 50 and int(out[1]) == 0  # its kernels, none compiled yet
    # and compiled when called: HAND below is computed by them


def test_hand_treats_nan_as_outlet_and_nodata():
    dem = valley()
    dem[:, :3] = np.nan
    hand = H.height_above_drainage(dem, cell_m=100.0, stream_km2=0.3)
    assert np.isnan(hand[:, :3]).all() and np.isfinite(hand[10:-1, 4:-1]).all()
    assert np.isnan(H.height_above_drainage(np.full((5, 5), np.nan))).all()


def test_land_draining_straight_to_the_sea_is_measured_from_sea_level():
    r, c = np.mgrid[0:20, 0:20]
    dem = 0.5 * c + 0.01 * r + 1.0  # a coastal slope falling west to the sea
    dem[:, :2] = np.nan             # the sea, masked: nodata
    got = H.height_above_drainage(dem, cell_m=100.0, stream_km2=50.0)  # no stream at all
    inner = (slice(1, -1), slice(2, -1))
    assert np.allclose(got[inner], dem[inner])
    assert np.isnan(H.height_above_drainage(dem, cell_m=100.0, stream_km2=50.0,
                                             outlet_m=None)[inner]).all()


def test_tiles_with_a_halo_agree_with_one_pass():
    dem = valley(60, 61)
    # streams from 1 km2 (100 cells): far more than any slope cell gathers (30), so the
    # network does not depend on how much of a slope a tile's window holds
    whole = H.height_above_drainage(dem, cell_m=100.0, stream_km2=1.0)
    tiled = H.hand_by_tiles(dem, cell_m=100.0, tile_km=2.0, halo_km=1.5, stream_km2=1.0)
    both = np.isfinite(whole) & np.isfinite(tiled)
    assert both.mean() > 0.9
    assert np.mean(np.abs(whole[both] - tiled[both]) < 0.01) > 0.95
