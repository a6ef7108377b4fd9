"""Grid capacity layer: pure functions on hand-made fixtures, then facts of the real data.

Fixtures named ``*_fixture`` are small hand-made tables, not data. Real-data tests take
the ``sources`` fixture (shared_data marker) and reuse one build of the layer at 1 km.
"""

from __future__ import annotations

import numpy as np
import pytest

from growthzones.layers import grid_capacity as gc
from growthzones.layers.grid_capacity import CRITERIA


@pytest.fixture
def network(grid_capacity_features):
    """Placed ETYS sites and counts, derived once per session (tests/conftest.py)."""
    return grid_capacity_features["sites"], grid_capacity_features["info"]


@pytest.fixture
def layers(grid_capacity_1km):
    """The grid-capacity layers at 1 km, built once per session (tests/conftest.py)."""
    return grid_capacity_1km


def test_every_criterion_names_known_sources_and_a_valid_transform():
    from growthzones.catalog import catalog
    from growthzones.transforms import check_transform

    known = catalog()
    for name, crit in CRITERIA.items():
        assert crit.layer == "grid_capacity"
        assert crit.direction in ("max", "min"), name
        assert crit.unit and crit.coverage, name
        assert [s for s in crit.sources if s not in known] == [], name
        assert len(set(crit.sources)) == len(crit.sources), name
        assert check_transform(crit.default_transform) == [], name


def test_real_distance_to_400kv_matches_hand_calculation(network, layers, base_1km):
    sites, _ = network
    rats = sites.set_index("site_code").loc["RATS"]
    assert rats["coord_source"] == "fes2024_gsp"
    # The cell centred at (450500, 329500) m; RATS from FES (52.865 N, 1.255 W) is at
    # (450388.3, 329762.8): sqrt(111.7^2 + 262.8^2) = 285.6 m.
    x, y = np.array([450_500.0]), np.array([329_500.0])
    got = base_1km.grid.sample(layers["dist_transmission_km"], x, y)[0]
    assert got == pytest.approx(0.2856, abs=0.0005)
    assert np.hypot(450_500 - rats["x"], 329_500 - rats["y"]) / 1000 == pytest.approx(got, abs=1e-3)


def test_real_layers_have_data_on_land_only(layers, base_1km):
    land = base_1km.land
    for name, arr in layers.items():
        assert arr.shape == base_1km.grid.shape and arr.dtype == np.float32, name
        assert np.isnan(arr[~land]).all(), name
        if name not in ("dno_queue_mw", "distribution_headroom_mva", "dno_demand_headroom_mva",
                        "gsp_import_limit_mw"):  # NaN outside their operators' areas
            assert np.isfinite(arr[land]).all(), name
    # the plain names, and each network-year criterion once per other ETYS snapshot
    others = [s for s in gc.SNAPSHOTS if s != gc.snapshot_of(gc.NETWORK_YEAR)]
    assert set(layers) == set(CRITERIA) | {f"{n}@{s}" for n in gc.NETWORK_YEAR_CRITERIA
                                           for s in others}
