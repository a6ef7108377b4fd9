"""The national grid: geometry of cells and distance fields, checked by hand."""

import numpy as np
import pytest
import shapely

from growthzones.grid import GB_BOUNDS, GridSpec, distance_to_lines, distance_to_points


def test_gb_grid_shapes_at_1km_and_100m():
    assert GridSpec(resolution=1000).shape == (1250, 700)
    assert GridSpec(resolution=100).shape == (12500, 7000)
    with pytest.raises(ValueError, match="not a multiple"):
        GridSpec(resolution=300, bounds=GB_BOUNDS)


def test_rowcol_and_xy_round_trip():
    g = GridSpec(resolution=1000)
    rows, cols = g.rowcol(np.array([530_500.0, -5.0]), np.array([180_200.0, 10.0]))
    assert (rows[0], cols[0]) == (1250 - 181, 530)
    assert rows[1] == -1 and cols[1] == -1
    x, y = g.xy(rows[:1], cols[:1])
    assert (x[0], y[0]) == (530_500.0, 180_500.0)


def test_distance_to_points_by_hand():
    g = GridSpec(resolution=1000, bounds=(0, 0, 5000, 3000))
    land = np.ones(g.shape, bool)
    land[0, 0] = False
    d = distance_to_points(np.array([[2500.0, 1500.0]]), g, land)
    assert np.isnan(d[0, 0])                      # not land
    assert d[1, 2] == pytest.approx(0.0)          # the point's own cell
    assert d[0, 4] == pytest.approx(np.hypot(2000, 1000) / 1000, rel=1e-6)


def test_distance_to_lines_within_quarter_cell():
    g = GridSpec(resolution=1000, bounds=(0, 0, 10000, 10000))
    line = shapely.LineString([(0, 5200), (10000, 5200)])
    d = distance_to_lines([line], g, np.ones(g.shape, bool))
    _, y = g.centres()
    exact = np.abs(y - 5200)[:, None] / 1000 * np.ones((1, 10))
    assert np.max(np.abs(d - exact)) <= 0.25 + 1e-6
