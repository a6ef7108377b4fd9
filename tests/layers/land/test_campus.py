"""Built-up land and room for a campus on the sub-grid (growthzones.layers.land.campus).

Pure functions checked on small hand-made fixtures with the arithmetic written out; the
layer built from the real data is checked in tests/layers/test_land.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from growthzones.grid import GridSpec
from growthzones.layers.land import campus


def tiny(res, cols, rows):
    return GridSpec(resolution=res, bounds=(0, 0, res * cols, res * rows))


def test_box_mean_counts_the_window_by_hand():
    m = np.zeros((5, 5), bool)
    m[0, 0] = m[2, 2] = m[4, 4] = True
    got = campus.box_mean(m, 3)
    # Centre window holds only (2, 2): 1/9; corner (0,0) window holds (0,0) only (outside
    # counts as empty): 1/9; (1, 1) window holds (0,0) and (2,2): 2/9.
    assert got[2, 2] == pytest.approx(1 / 9)
    assert got[0, 0] == pytest.approx(1 / 9)
    assert got[1, 1] == pytest.approx(2 / 9)
    assert got[0, 4] == 0
    with pytest.raises(ValueError, match="must be odd"):
        campus.box_mean(m, 4)


def test_built_up_share_at_1km_is_the_cells_own_hectares():
    sub, g = tiny(100, 20, 10), tiny(1000, 2, 1)
    occ = np.zeros(sub.shape, bool)
    occ[:, :10][:5] = True   # 50 of the left cell's 100 hectares
    occ[0, 10:13] = True     # 3 of the right cell's
    on_grid, on_sub = campus.built_up_share_pct(occ, sub, g)
    assert on_grid.tolist() == [[50.0, 3.0]]
    # On the sub-grid the window is 11 x 11 hectares: at row 4, col 4 it covers rows 0-9
    # and cols 0-9 (100 hectares, 50 occupied) plus row/col 10 outside or empty: 50/121.
    assert on_sub[4, 4] == pytest.approx(100 * 50 / 121)


def test_largest_disc_by_hand():
    g = tiny(100, 11, 11)
    a = np.zeros((11, 11), bool)
    a[1:10, 1:10] = True  # 9 x 9 available block
    got = campus.largest_disc_ha(a, g)
    # Centre is 5 cells from the ring of unavailable cells: radius (5 - 0.5) * 100 m.
    assert got[5, 5] == pytest.approx(math.pi * 450 ** 2 / 1e4, rel=1e-6)
    # Next to the ring: d = 1, radius 50 m.
    assert got[1, 5] == pytest.approx(math.pi * 50 ** 2 / 1e4, rel=1e-6)
    assert got[0, 0] == 0
    assert campus.largest_disc_ha(a, g, cap_ha=10)[5, 5] == 10


def test_banded_distance_transform_matches_the_whole_array():
    from scipy import ndimage

    rng = np.random.default_rng(5)
    a = rng.random((2300, 60)) > 0.02   # taller than one 1,000-row band, sparse holes
    a[:, :3] = False
    got = campus.disc_distance_cells(a, cap_cells=12)
    want = np.minimum(ndimage.distance_transform_edt(np.pad(a, 1))[1:-1, 1:-1], 12)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_fits_campus_depends_on_resolution_as_documented():
    # At 1 km a lone available cell holds its inscribed 78.5 ha disc.
    g1 = tiny(1000, 3, 3)
    a = np.zeros((3, 3), bool)
    a[1, 1] = True
    assert campus.fits_campus(a, g1, min_area_ha=50)[1, 1]
    assert not campus.fits_campus(a, g1, min_area_ha=80)[1, 1]
    # At 100 m a 7 x 7 block holds a 350 m disc (38.5 ha < 50); 9 x 9 holds 63.6 ha.
    g = tiny(100, 11, 11)
    for side, fits in ((7, False), (9, True)):
        a = np.zeros((11, 11), bool)
        lo = (11 - side) // 2
        a[lo:lo + side, lo:lo + side] = True
        assert bool(campus.fits_campus(a, g, min_area_ha=50)[5, 5]) is fits
    with pytest.raises(ValueError, match="min_area_ha must be positive"):
        campus.fits_campus(a, g, min_area_ha=0)


def test_campus_room_takes_the_best_subcell_of_each_cell():
    sub, g = tiny(100, 20, 10), tiny(1000, 2, 1)
    avail = np.zeros(sub.shape, bool)
    avail[1:10, 1:10] = True       # 9 x 9 block in the left cell, touching nothing else
    room = campus.campus_room_ha(avail, sub, g)
    assert room[0, 0] == pytest.approx(math.pi * 450 ** 2 / 1e4, rel=1e-6)
    assert room[0, 1] == 0


def test_subgrid_needs_a_whole_multiple():
    sub, k = campus.subgrid(GridSpec(resolution=1000))
    assert (sub.resolution, k, sub.shape) == (100.0, 10, (12500, 7000))
    assert campus.subgrid(GridSpec(resolution=100))[1] == 1
    with pytest.raises(ValueError, match="not a multiple of the 100 m sub-grid"):
        campus.subgrid(GridSpec(resolution=250, bounds=(0, 0, 1000, 1000)))


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(campus, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
