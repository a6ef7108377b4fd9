"""The national grid: geometry of cells and distance fields, checked by hand."""

import numpy as np
import pytest
import shapely

from growthzones.grid import (
    GB_BOUNDS,
    GridSpec,
    LinePoints,
    distance_to_lines,
    distance_to_points,
    reduce_within,
    to_bng,
)


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


def test_distances_are_exact_whatever_the_trees_shape():
    # clustered, collinear points (a line's, where the tree's settings matter) and
    # scattered ones: the KD-tree's answer is the brute-force minimum, to the bit
    rng = np.random.default_rng(7)
    g = GridSpec(resolution=100, bounds=(0, 0, 6000, 4000))
    land = rng.random(g.shape) < 0.8
    on_line = np.column_stack([np.linspace(500, 5500, 400), np.full(400, 1234.0)])
    pts = np.vstack([on_line, rng.random((50, 2)) * [6000, 4000]])
    rows, cols = np.nonzero(land)
    x, y = g.xy(rows, cols)
    brute = np.sqrt(((x[:, None] - pts[:, 0]) ** 2 + (y[:, None] - pts[:, 1]) ** 2).min(1))
    d = distance_to_points(pts, g, land)
    assert np.array_equal(d[rows, cols], (brute / 1000).astype(np.float32))
    assert np.isnan(d[~land]).all()


def test_line_points_reuse_their_tree_and_do_not_pickle_it():
    import pickle

    g = GridSpec(resolution=1000, bounds=(0, 0, 10000, 10000))
    land = np.ones(g.shape, bool)
    lines = LinePoints([shapely.LineString([(0, 5200), (10000, 5200)]), None,
                        shapely.LineString()])
    assert len(lines) == 1  # the missing and empty lines dropped
    d = distance_to_lines(lines, g, land)
    assert np.array_equal(d, distance_to_lines(list(lines.geoms), g, land))
    tree = lines.tree(1000.0)
    distance_to_lines(lines, g, land)
    assert lines.tree(1000.0) is tree and lines.tree(500.0) is not tree
    back = pickle.loads(pickle.dumps(lines))
    assert not back._trees and np.array_equal(distance_to_lines(back, g, land), d)


def test_reduce_within_max_sum_fill_and_land():
    g = GridSpec(resolution=1000, bounds=(0, 0, 5000, 1000))
    land = np.array([[True, True, True, True, False]])
    pts = np.array([[500.0, 500.0], [1500.0, 500.0]])
    s = reduce_within(pts, [3.0, 4.0], g, land, radius_km=1.0, how="sum")
    assert s.tolist()[0][:4] == [7.0, 7.0, 4.0, 0.0] and np.isnan(s[0, 4])
    m = reduce_within(pts, [3.0, 4.0], g, land, radius_km=1.0, how="max", fill=None)
    assert m.tolist()[0][:3] == [4.0, 4.0, 4.0] and np.isnan(m[0, 3])
    with pytest.raises(ValueError, match="how must be 'max' or 'sum'"):
        reduce_within(pts, [1, 1], g, land, radius_km=1, how="mean")


def test_reduce_within_sum_and_max_use_exact_distances():
    # Moved from tests/layers/test_land.py (land's sum_within_radius was a duplicate).
    g = GridSpec(resolution=1000, bounds=(0, 0, 4000, 1000))  # centres x = 500 .. 3500
    pts = np.array([[500.0, 500.0], [2400.0, 500.0], [3500.0, 1500.0]])
    ha = np.array([2.0, 3.0, 7.0])
    land = np.ones(g.shape, bool)
    s = reduce_within(pts, ha, g, land, radius_km=1.0, how="sum")
    # cell 0: point 0 (0 m); cell 1: 0 (1000 m, on the radius) and 1 (900 m);
    # cell 2: 1 (100 m) and 2 (1,414 m: out); cell 3: 1 (1,100 m: out), 2 (1,000 m).
    assert s.tolist() == [[2.0, 5.0, 3.0, 7.0]]
    m = reduce_within(pts, ha, g, land, radius_km=1.0, how="max")
    assert m.tolist() == [[2.0, 3.0, 3.0, 7.0]]
    with pytest.raises(ValueError, match="how must be"):
        reduce_within(pts, ha, g, land, radius_km=1.0, how="mean")


def test_to_bng_matches_an_independent_pyproj_transform():
    from pyproj import CRS, Transformer

    lon, lat = np.array([-0.1276, -4.25, -3.0]), np.array([51.5072, 55.86, 53.4])
    # Independent: build the transformer from CRS objects and lat/lon axis order.
    x, y = Transformer.from_crs(CRS.from_epsg(4326), CRS.from_epsg(27700)).transform(lat, lon)
    assert np.allclose(to_bng(lon, lat), np.column_stack([x, y]), atol=1e-6)
    # Trafalgar Square is at about (530 000, 180 400) in British National Grid.
    assert np.allclose(to_bng([-0.1281], [51.5080]), [[530_000, 180_400]], atol=100)


def test_a_land_surface_gives_the_rows_of_the_unflattened_grid(store):
    from growthzones.grid import LandSurface

    values = np.arange(len(store.land_index), dtype=np.float32)
    surface = store.land_surface(values)
    whole = store.unflatten(values)
    assert isinstance(surface, LandSurface) and surface.shape == whole.shape
    for r0, r1 in [(0, 1), (0, 1250), (300, 1024), (1249, 1250), (5, 5)]:
        np.testing.assert_array_equal(surface[r0:r1], whole[r0:r1])
    with pytest.raises(TypeError):
        surface[3]



def test_rasterizing_in_threads_burns_the_same_cells_without_a_false_georeferencing_warning():
    """rasterio warns "Dataset has no geotransform" now and then when several threads
    rasterize at once (the block build does), although each call has its transform; the
    cells burned are the same as one thread's. The package filters that one message."""
    import subprocess
    import sys

    code = """
import warnings
from concurrent.futures import ThreadPoolExecutor
import numpy as np, shapely
warnings.simplefilter("always")  # each warning shown, as under -W always
from growthzones.grid import GridSpec, rasterize_index
grid = GridSpec(resolution=100, bounds=(400000, 574400, 425600, 600000))
boxes = [shapely.box(400000 + 1000 * i, 575000 + 500 * i, 403000 + 1000 * i, 579000 + 500 * i)
         for i in range(20)]
one = rasterize_index(boxes, range(1, 21), grid)
with ThreadPoolExecutor(2) as pool:
    same = list(pool.map(lambda _: np.array_equal(rasterize_index(boxes, range(1, 21), grid), one),
                         range(1000)))
print(sum(same), len(np.unique(one[one > 0])))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1000", "20"]  # every call as one thread's; all 20 boxes
    assert "geotransform" not in proc.stderr, proc.stderr[:300]
