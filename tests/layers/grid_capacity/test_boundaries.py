"""ETYS boundaries between a cell and London (grid_capacity.boundaries).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import value_at_lonlat as _at
from hypothesis import assume, given
from hypothesis import strategies as st

from growthzones.layers import grid_capacity as gc


@pytest.fixture
def layers(grid_capacity_1km):
    """The grid-capacity layers at 1 km, built once per session (tests/conftest.py)."""
    return grid_capacity_1km


def test_boundary_crossings_parity_loops_and_the_pi_cut():
    import shapely

    east = shapely.LineString([(10, -100), (10, 100)])
    west = shapely.LineString([(-10, -100), (-10, 100)])             # spans the +-pi cut
    zigzag = shapely.LineString([(30, -100), (30, 5), (40, -5), (50, 5), (50, 100)])
    loop = shapely.LineString([(-5, -5), (5, -5), (5, 5), (-5, 5), (-5, -5)])
    pts = np.array([[20.0, 0.0], [-20.0, 0.0], [60.0, 0.0], [0.0, 1.0], [20.0, 260.0]])
    got = gc.boundary_crossings(pts, [east, west, zigzag, loop], origin=(0.0, 0.0))
    assert got.tolist() == [
        2,   # (20, 0): east and the loop
        2,   # (-20, 0), bearing pi: west and the loop
        3,   # (60, 0): east, the loop, and the zigzag crossed three times (odd)
        0,   # (0, 1): inside the loop, nothing between it and the origin
        1,   # (20, 260): passes beyond the end of east (y = 130 > 100): only the loop
    ]


@given(st.lists(st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)),
                         min_size=2, max_size=8), min_size=1, max_size=4),
       st.lists(st.tuples(st.floats(-120, 120), st.floats(-120, 120)), min_size=1,
                max_size=30))
def test_boundary_crossings_count_the_lines_crossed_an_odd_number_of_times(lines, points):
    """Against shapely: the segment from the origin to each point, its crossings of each
    random polyline (bearings on both sides of the +-pi cut); touching cases are left out."""
    import shapely

    origin = shapely.Point(0, 0)
    # exact counts need simple lines (shapely merges a segment drawn twice) and the origin
    # and the points off every line and vertex: the others are dropped
    lines = [ln for ln in map(shapely.LineString, lines)
             if ln.is_simple and ln.length > 0 and ln.distance(origin) > 1e-3]
    vertices = shapely.MultiPoint(np.concatenate([shapely.get_coordinates(ln)
                                                  for ln in lines])) if lines else None
    pts = np.array([p for p in points if shapely.Point(p).distance(origin) > 1e-3
                    and all(ln.distance(shapely.Point(p)) > 1e-3 for ln in lines)
                    and shapely.LineString([(0, 0), p]).distance(vertices) > 1e-6])
    assume(len(lines) and len(pts))
    rays = [shapely.LineString([(0.0, 0.0), tuple(p)]) for p in pts]

    def crossings(ray, ln) -> int:
        parts = shapely.get_parts(ray.intersection(ln))
        parts = parts[~shapely.is_empty(parts)]
        assume((shapely.get_type_id(parts) == 0).all())  # points only: no overlap
        return len(parts)

    want = [sum(crossings(ray, ln) % 2 for ln in lines) for ray in rays]
    got = gc.boundary_crossings(pts, lines, origin=(0.0, 0.0))
    assert got.tolist() == want


def test_real_boundaries_increase_northwards(layers, base_1km, sources):
    import geopandas as gpd

    b = layers["boundaries_to_london"]
    assert _at(base_1km, b, -0.13, 51.51) == 0                 # central London
    glasgow, leeds, inverness = (_at(base_1km, b, *p) for p in
                                 ((-4.25, 55.86), (-1.55, 53.80), (-4.22, 57.48)))
    assert inverness > glasgow > leeds > 0
    bnd = gpd.read_file(sources.path("etys_boundaries_2025")).to_crs("EPSG:27700")
    crossed = {n for n, g in zip(bnd["Boundary_n"], bnd.geometry)
               if gc.boundary_crossings(gc.to_bng([-4.25], [55.86]), [g])[0]}
    assert {"B6", "B7", "B8", "B9"} <= crossed and not {"B0", "B1", "B2", "B4"} & crossed
    assert len(crossed) == glasgow
