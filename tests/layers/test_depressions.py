"""Depression filling (layers.depressions): equal to pysheds' fill_depressions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from growthzones.layers.depressions import fill_depressions

#: pysheds' kernels compiled once, in the background (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("pysheds_compiled")

NODATA = -9999.0


def pysheds_fill(dem: np.ndarray, nodata: np.ndarray) -> np.ndarray:
    """The reference: pysheds' Grid.fill_depressions on the same surface."""
    from affine import Affine

    from growthzones.layers.hand import import_pysheds

    Grid, Raster, ViewFinder = import_pysheds()
    work = np.where(nodata, NODATA, dem).astype(np.float64)
    vf = ViewFinder(affine=Affine(100, 0, 0, 0, -100, dem.shape[0] * 100), shape=dem.shape,
                    nodata=np.float64(NODATA))
    return np.asarray(Grid(viewfinder=vf).fill_depressions(Raster(work, viewfinder=vf)))


def ours(dem, nodata):
    return fill_depressions(np.where(nodata, NODATA, dem), nodata)


def test_a_basin_fills_to_the_lowest_point_of_its_rim_and_the_input_is_kept():
    dem = np.full((5, 5), 10.0)
    dem[1:4, 1:4] = 6.0       # a basin walled at 10 m...
    dem[2, 2] = 1.0           # ...with a pit
    dem[0, 2] = 7.0           # the rim's lowest point, on the edge: the outlet
    dem[1, 2] = 8.0           # higher ground in the basin, beside it (water passes diagonally)
    before = dem.copy()
    got = ours(dem, np.zeros(dem.shape, bool))
    np.testing.assert_array_equal(dem, before)
    np.testing.assert_array_equal(got, np.maximum(dem, 7.0))
    np.testing.assert_array_equal(got, pysheds_fill(dem, np.zeros(dem.shape, bool)))


def test_nodata_is_a_wall_not_an_outlet_and_all_nodata_is_returned_as_is():
    dem = np.full((7, 7), 5.0)
    dem[3, 3] = 1.0
    nodata = np.zeros(dem.shape, bool)
    nodata[2:5, 4] = True     # a masked lake beside the pit, inside the data
    got = ours(dem, nodata)
    assert got[3, 3] == 5.0   # filled: the hole does not drain it
    np.testing.assert_array_equal(got[nodata], NODATA)
    np.testing.assert_array_equal(got, pysheds_fill(dem, nodata))
    every = np.ones((3, 4), bool)
    np.testing.assert_array_equal(fill_depressions(np.full((3, 4), NODATA), every), NODATA)
    with pytest.raises(ValueError, match="one 2-D shape"):
        fill_depressions(np.zeros((3, 4)), np.zeros((4, 3), bool))


@given(arrays(np.float64, st.tuples(st.integers(1, 14), st.integers(1, 14)),
              elements=st.integers(0, 6).map(float)),   # few levels: ties and flats
       st.data())
def test_equals_pysheds_on_any_surface(dem, data):
    nodata = data.draw(arrays(bool, dem.shape, elements=st.booleans()))
    np.testing.assert_array_equal(ours(dem, nodata), pysheds_fill(dem, nodata))


def test_equals_pysheds_on_real_terrain(sources):
    """A 40 x 30 km window of OS Terrain 50 (Snowdon, Anglesey, the Menai Strait and the
    sea beyond the survey), the sea masked as the flood layer masks it (here: <= 0 m)."""
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(sources.path("os_terrain50_dem")) as src:
        win = from_bounds(230_000, 350_000, 270_000, 380_000, src.transform)
        dem = src.read(1, window=win).astype(np.float64)
    nodata = dem <= 0
    assert 0.1 < nodata.mean() < 0.5 and np.ptp(dem[~nodata]) > 1000
    np.testing.assert_array_equal(ours(dem, nodata), pysheds_fill(dem, nodata))
