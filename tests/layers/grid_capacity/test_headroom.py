"""UKPN headroom and DNO areas (grid_capacity.headroom).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import value_at_lonlat as _at

from growthzones.grid import GridSpec
from growthzones.layers import grid_capacity as gc


@pytest.fixture
def layers(grid_capacity_1km):
    """The grid-capacity layers at 1 km, built once per session (tests/conftest.py)."""
    return grid_capacity_1km


def test_firm_headroom_is_n_minus_1_capacity_less_demand():
    assert gc.parse_ratings("117, 117") == [117.0, 117.0]
    assert gc.firm_headroom([117, 117], 80.7) == (117.0, 36.3)
    assert gc.firm_headroom([80, 78, 78], 53.4) == (156.0, 102.6)
    assert gc.firm_headroom([72], 9.5) == (0.0, -9.5)  # one transformer: nothing firm
    f, h = gc.firm_headroom([], 10.0)
    assert np.isnan(f) and np.isnan(h)


def test_value_of_nearest_and_dno_area():
    g = GridSpec(resolution=1000, bounds=(0, 0, 10000, 1000))
    land = np.ones(g.shape, bool)
    v = gc.value_of_nearest(np.array([[500.0, 500.0], [9500.0, 500.0]]), [1.0, 2.0], g, land)
    assert v.tolist() == [[1.0] * 5 + [2.0] * 5]
    area = gc.dno_area(np.array([[500.0, 500.0]]), np.array([[6500.0, 500.0]]), g, land,
                       max_km=4.0)
    # within 4 km of own site and not nearer the other DNO: columns 0-3 (x 0.5..3.5 km)
    assert area.tolist() == [[True] * 4 + [False] * 6]


def test_real_dno_layers_are_nan_outside_their_areas(layers, base_1km):
    dq, hr = layers["dno_queue_mw"], layers["distribution_headroom_mva"]
    assert np.isnan(_at(base_1km, dq, -0.99, 53.74))          # Drax: Northern Powergrid
    assert _at(base_1km, dq, -1.255, 52.865) == pytest.approx(612.812, abs=0.01)  # Ratcliffe
    assert np.isnan(_at(base_1km, hr, -4.25, 55.86))          # Glasgow: SP Energy Networks
    assert np.isfinite(_at(base_1km, hr, 0.47, 51.57))        # Basildon: UKPN
    for arr in (dq, hr):
        share = np.isfinite(arr[base_1km.land]).mean()
        assert 0.05 < share < 0.3
