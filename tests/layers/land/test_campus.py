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


def test_room_for_50ha_depends_on_resolution():
    # At 1 km a lone available cell holds its inscribed 78.5 ha disc: room for 50 ha,
    # not for 80 ha.
    a = np.zeros((3, 3), bool)
    a[1, 1] = True
    room = campus.largest_disc_ha(a, tiny(1000, 3, 3))[1, 1]
    assert room >= 50 and room < 80
    # At 100 m a 7 x 7 block holds a 350 m disc (38.5 ha < 50); 9 x 9 holds 63.6 ha.
    g = tiny(100, 11, 11)
    for side, fits in ((7, False), (9, True)):
        a = np.zeros((11, 11), bool)
        lo = (11 - side) // 2
        a[lo:lo + side, lo:lo + side] = True
        assert bool(campus.largest_disc_ha(a, g)[5, 5] >= 50) is fits


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
    fine = GridSpec(resolution=25, bounds=(0, 0, 1000, 1000))
    assert campus.subgrid(fine) == (fine, 1)      # finer than 100 m: the grid itself
    assert campus.campus_halo_cells(100) == 20 and campus.campus_halo_cells(25) == 73
    with pytest.raises(ValueError, match="not a multiple of the 100 m sub-grid"):
        campus.subgrid(GridSpec(resolution=250, bounds=(0, 0, 1000, 1000)))


def test_take_cells_maps_fine_cells_to_their_hectare():
    hect = tiny(100, 3, 2)
    vals = np.arange(6, dtype=np.float32).reshape(2, 3)
    fine = GridSpec(resolution=25, bounds=(75, 75, 125, 125))   # straddles 4 hectares
    assert campus.take_cells(vals, hect, fine).tolist() == [[0.0, 1.0], [3.0, 4.0]]
    # one lattice: a crop
    assert campus.take_cells(vals, hect, GridSpec(resolution=100, bounds=(100, 0, 300, 100))
                             ).tolist() == [[4.0, 5.0]]
    with pytest.raises(ValueError, match="is not inside"):
        campus.take_cells(vals, hect, GridSpec(resolution=25, bounds=(0, 0, 400, 100)))


def test_built_up_and_room_by_block_equals_whole():
    # FIXTURE: random postcodes and a random coastline on a 6 x 5 km grid of 100 m cells
    rng = np.random.default_rng(3)
    g = tiny(100, 60, 50)
    pts = rng.uniform([0, 0], [6000, 5000], size=(400, 2))
    sea = rng.random(g.shape) < 0.03

    def available_on(grid):       # land everywhere but the fixed sea cells and outside
        out = np.zeros(grid.shape, bool)
        x, y = grid.centres()
        xx, yy = np.meshgrid(x, y)
        rows, cols = g.rowcol(xx.ravel(), yy.ravel())
        inside = rows >= 0
        out.ravel()[inside] = ~sea[rows[inside], cols[inside]]
        return out

    share, room = campus.built_up_and_room(pts, g, available_on, threshold_pct=50)
    for rows, cols in ((slice(0, 23), slice(0, 31)), (slice(23, 50), slice(31, 60))):
        s2, r2 = campus.built_up_and_room(pts, g.block(rows, cols), available_on,
                                          threshold_pct=50)
        np.testing.assert_array_equal(s2, share[rows, cols])
        np.testing.assert_array_equal(r2, room[rows, cols])
    # the 11 x 11 hectare window: the share counts occupied hectares around each cell
    occ = campus.occupied_cells(pts, g)
    assert share[25, 30] == pytest.approx(100 * occ[20:31, 25:36].mean())


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(campus, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
