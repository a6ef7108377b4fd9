"""The layer store: built from the real shared data, loaded fast, written atomically."""

import json

import numpy as np
import pytest

import growthzones as gz
from growthzones.layers import REGISTRY


@pytest.fixture(scope="module")
def built(sources, tmp_path_factory):
    out = tmp_path_factory.mktemp("store")
    path = gz.build_store(out, source=sources.root, resolution=1000, command="test build",
                          log=None)
    return out, path


@pytest.mark.slow
def test_build_on_real_data_writes_every_layer(built):
    out, path = built
    store = gz.load_layers(path)
    assert set(store.layers) == set(REGISTRY)
    # GB is ~229,000 km2 incl. islands; generalised boundaries at cell centres land close
    assert 220_000 < store.land.sum() < 235_000
    for name, meta in store.meta.items():
        for key in ("unit", "direction", "sources", "coverage", "coverage_fraction", "licence",
                    "data_date"):
            assert key in meta, (name, key)
        arr = store.layer(name)
        assert np.isnan(arr[~store.land]).all()  # nothing off land
    src = (out / "SOURCES.md").read_text()
    assert "test build" in src and "CC-BY-NC-SA-3.0" in src
    assert "Not covered here" in src and "Green Belt" in src


def test_embedded_store_matches_the_registry(store):
    # The shipped data/gb_1000m must be rebuilt when criteria change.
    assert set(store.layers) == set(REGISTRY), "rebuild with: growthzones data build"
    m = store.manifest
    assert m["grid"]["resolution"] == 1000 and m["grid"]["crs"] == "EPSG:27700"
    assert m["command"].startswith("growthzones data build")
    assert all(s["licence"] for s in m["sources"].values())


def test_known_places_on_real_layers(store):
    g = store.grid
    # Lake District (Helvellyn, NY 342 151) is in a National Park
    assert g.sample(store.layer("national_parks"), [334_200], [515_100])[0] == 1
    # central Birmingham is not
    assert g.sample(store.layer("national_parks"), [406_900], [286_900])[0] == 0
    # a North Sea point is not land
    assert not g.sample(store.land.astype(float), [650_000], [500_000])[0]


def test_missing_store_is_one_clear_error(tmp_path):
    with pytest.raises(gz.LayerStoreError, match="growthzones data build"):
        gz.load_layers(tmp_path / "nothing")


def test_missing_layer_file_is_one_clear_error(store, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(store.path, copy)
    name = next(iter(store.layers))
    (copy / "layers" / f"{name}.tif").unlink()
    with pytest.raises(gz.LayerStoreError, match=f"{name}.tif is missing"):
        gz.load_layers(copy)


def test_failed_build_keeps_the_earlier_store(tmp_path, store):
    import shutil

    shutil.copytree(store.path, tmp_path / "gb_1000m")
    before = json.loads((tmp_path / "gb_1000m" / "manifest.json").read_text())
    with pytest.raises(gz.SourceDataError, match="--source"):
        gz.build_store(tmp_path, source=tmp_path / "no-such-folder", log=None)
    after = json.loads((tmp_path / "gb_1000m" / "manifest.json").read_text())
    assert after == before
    assert not list(tmp_path.glob(".gb_1000m*"))


def test_layers_load_lazily_and_scoring_keeps_no_raw_layer(store, monkeypatch):
    import growthzones.store as store_module

    monkeypatch.setattr(store_module, "RESIDENT_CELLS", 0)  # behave as on a 100 m grid
    fresh = gz.load_layers(store.path)
    assert not any(fresh.layers.loaded(n) for n in fresh.layers)  # nothing read yet
    result = gz.score(fresh, gz.load_scenario())
    assert not any(fresh.layers.loaded(n) for n in fresh.layers)
    assert not set(fresh._vectors) - {"_land"}
    # a few cells read through windows equal the full raster
    pos = np.flatnonzero(~np.isnan(result.ranked))[:50]
    name = next(iter(result.weights))
    np.testing.assert_array_equal(fresh.values_at(name, pos), store.vector(name)[pos])
