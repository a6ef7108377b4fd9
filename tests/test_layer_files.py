"""A store's layer files: read whole, by windows of rows, cell by cell; block means."""

from __future__ import annotations

import numpy as np
import pytest

import growthzones as gz
from growthzones.layer_files import block_mean


def test_block_mean_ignores_nan():
    a = np.array([[1, 3, np.nan], [np.nan, np.nan, 5], [2, 2, 2]], dtype=np.float32)
    np.testing.assert_array_equal(block_mean(a, 2),
                                  np.array([[2, 5], [2, 2]], dtype=np.float32))
    assert np.isnan(block_mean(np.full((2, 2), np.nan, np.float32), 2)).all()


@pytest.mark.parametrize("rows", [(0, 1), (0, 1250), (411, 700), (1249, 1250)])
def test_a_window_of_rows_is_those_rows_of_the_raster(store, rows):
    files = gz.load_layers(store.path).layers
    name = "dist_transmission_km"
    got = files.read_rows(name, *rows)
    assert got.dtype == np.float32 and got.shape == (rows[1] - rows[0], store.grid.width)
    np.testing.assert_array_equal(got, files.read(name)[rows[0]:rows[1]])
    # a network-year variant reads its own file
    year = files.variant({name: f"{name}@2025"})
    np.testing.assert_array_equal(year.read_rows(name, *rows),
                                  year.read(name)[rows[0]:rows[1]])


@pytest.mark.parametrize("band_cells", [1 << 30, 256 * 700, 256 * 1500])
def test_land_cells_read_by_bands_are_those_of_the_whole_raster(store, monkeypatch,
                                                                  band_cells):
    from growthzones import layer_files

    # the embedded store (1,250 rows) in bands of 256 rows, or 512 with a partial last
    # band; 1 << 30: read whole
    monkeypatch.setattr(layer_files, "BAND_CELLS", band_cells)
    files = gz.load_layers(store.path).layers
    land = gz.load_layers(store.path).land_index
    for name in ("dist_transmission_km", "built_up"):
        got = files.read_land(name, land)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, files.read(name).ravel()[land])
    # a network-year variant reads its own file; an empty index gives an empty vector
    year = files.variant({"dist_transmission_km": "dist_transmission_km@2025"})
    np.testing.assert_array_equal(year.read_land("dist_transmission_km", land[::7]),
                                  year.read("dist_transmission_km").ravel()[land[::7]])
    assert files.read_land("built_up", land[:0]).shape == (0,)


def test_values_at_many_cells_reads_the_rows_they_span(store, monkeypatch):
    from growthzones import store as store_mod

    name = "tec_queue_mw"
    assert not gz.load_layers(store.path).reads_in_parts(name)  # a 1 km store keeps them
    monkeypatch.setattr(store_mod, "RESIDENT_CELLS", 0)  # the embedded store as a big one
    fresh = gz.load_layers(store.path)
    n = len(fresh.land_index)
    want = fresh.layers.read(name).ravel()[fresh.land_index]
    few, many = np.array([0, 5, n - 1]), np.arange(n // 3, n // 3 + 5000)
    np.testing.assert_array_equal(fresh.values_at(name, few), want[few])
    np.testing.assert_array_equal(fresh.values_at(name, many), want[many])
    assert fresh.reads_in_parts(name) and not fresh.layers.loaded(name)
