"""The base grid (layers.base): small-area values put on the grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from growthzones.grid import GridSpec
from growthzones.layers.base import Base


def fixture_base() -> Base:
    """A FIXTURE base: 4 x 5 cells of five small areas (1-5) and sea (0)."""
    idx = np.array([[0, 1, 1, 2, 2],
                    [0, 1, 3, 3, 2],
                    [0, 0, 3, 4, 4],
                    [0, 0, 0, 4, 5]], dtype=np.int32)
    areas = pd.DataFrame({"code": ["A", "B", "C", "D", "E"]})
    return Base(grid=GridSpec(resolution=1000, bounds=(0, 0, 5000, 4000)), land=idx > 0,
                area_index=idx, areas=areas, la_index=(idx > 0).astype(np.int16),
                las=pd.DataFrame({"la_code": ["X"]}), shapes=None)


def test_map_values_puts_each_areas_value_on_its_cells_nan_at_sea_and_when_missing():
    base = fixture_base()
    values = pd.Series({"B": 2.5, "A": 1.0, "D": 4.0, "E": 5.0, "Z": 9.0})  # no C; Z unused
    got = base.map_values(values)
    want = np.array([[np.nan, 1.0, 1.0, 2.5, 2.5],
                     [np.nan, 1.0, np.nan, np.nan, 2.5],
                     [np.nan, np.nan, np.nan, 4.0, 4.0],
                     [np.nan, np.nan, np.nan, 4.0, 5.0]], dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    # a block looks up only its own areas and gives the whole grid's window
    block = base.block(slice(2, 4), slice(2, 5))
    np.testing.assert_array_equal(block.map_values(values), want[2:4, 2:5])
    np.testing.assert_array_equal(base.block(slice(2, 4), slice(0, 2)).map_values(values),
                                  np.full((2, 2), np.nan, dtype=np.float32))  # all sea
