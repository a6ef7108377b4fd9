"""Site and station name keys (growthzones.layers.grid_capacity.names).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import pytest

from growthzones.layers import grid_capacity as gc


@pytest.mark.parametrize("raw, key", [
    ("Ratcliffe-On-Soar 132kV Substation", "RATCLIFFE ON SOAR"),
    ("Abham  S.G.P.", "ABHAM"),
    ("Feckenham 66 11 kV S Stn", "FECKENHAM"),
    ("Bustleholm 132kv National Grid Site", "BUSTLEHOLM"),
    ("Chesterfield 275/132kv (Ngt)", "CHESTERFIELD"),
    ("'St John''s Wood substation'", "ST JOHNS WOOD"),
    ("Fiddler’s Ferry", "FIDDLERS FERRY"),
    ("DISS GRID 132/33KV", "DISS"),
    (float("nan"), ""),
])
def test_normalise_site_name(raw, key):
    assert gc.normalise_site_name(raw) == key


@pytest.mark.parametrize("raw, key", [
    ("Killingholme A and B", "KILLINGHOLME"), ("Didcot A", "DIDCOT"),
    ("Wylfa (Reactor 2)", "WYLFA"), ("Aberthaw GT", "ABERTHAW"), ("Grain CHP", "GRAIN"),
    ("EP Kilroot", "KILROOT"), ("Keadby 2", "KEADBY 2"), ("Ratcliffe (Steam)", "RATCLIFFE"),
])
def test_station_key_joins_units_of_one_station(raw, key):
    assert gc.station_key(raw) == key
