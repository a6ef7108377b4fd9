"""The layer store: built from the real shared data, loaded fast, written atomically."""

import json

import numpy as np
import pytest

import growthzones as gz
from growthzones.layers import REGISTRY
from growthzones.layers.designations import OFFICIAL_LAYERS


@pytest.fixture(scope="session")
def built(sources, tmp_path_factory):
    """The real 1 km store, built once per session from sources fetched over a loopback
    server. (Session scope: a module fixture is rebuilt when pytest-xdist runs another
    module's test between this module's two users, and the build takes ~3 minutes.)

    Every fetchable source is served from ../shared/data (and the installed packages) on
    127.0.0.1 and fetched with pooch into a temporary cache, checked against the
    catalogue's sha256; the build then reads only that cache. So this one build is also
    the check that a fetch followed by ``data build`` reproduces the embedded store. (Its
    reads and whole-grid criteria are the session's, conftest ``_once_from``, wherever
    the sources they looked up hold the same bytes in the cache as in ../shared/data.)
    """
    from loopback import Loopback, mirror_tree

    from growthzones.fetch import fetch_sources

    tmp = tmp_path_factory.mktemp("fetched")
    server = Loopback(mirror_tree(sources, tmp / "www"))
    try:
        got = fetch_sources(cache=tmp / "cache", mirror=server.url, retries=0,
                            progress=False, log=None)
    finally:
        server.close()
    assert {r.status for r in got} == {"fetched", "skipped"}  # skipped: official downloads
    out = tmp_path_factory.mktemp("store")
    path = gz.build_store(out, source=tmp / "cache", resolution=1000, command="test build",
                          log=None)
    return out, path


@pytest.mark.slow
def test_a_fetched_build_reproduces_the_embedded_store_bit_for_bit(built):
    _, path = built
    ours = sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(EMBEDDED) for p in EMBEDDED.rglob("*") if p.is_file())
    assert ours == theirs
    fix = "rebuild the embedded store: growthzones data build --out growthzones/data"
    for rel in ours:
        if rel.name != "manifest.json":
            assert (path / rel).read_bytes() == (EMBEDDED / rel).read_bytes(), (rel, fix)
    a = json.loads((path / "manifest.json").read_text())
    b = json.loads((EMBEDDED / "manifest.json").read_text())
    for m in (a, b):  # when, how and in how many blocks it was built differ; nothing else
        del m["built"], m["command"]
        m.pop("chunking", None)
    assert a == b, fix
    # the build recorded what it could not make, with the reason
    assert set(a["absent"]) == set(OFFICIAL_LAYERS)
    assert "no official file" in a["absent"]["sssi_england"]["reason"]
    assert all(s["checksum"] == "ok" for s in a["sources"].values())


@pytest.mark.slow
def test_build_on_real_data_writes_every_layer(built):
    out, path = built
    store = gz.load_layers(path)
    # official-file layers (layers.designations) are absent without their files: not assessed
    assert set(store.layers) == set(REGISTRY) - set(OFFICIAL_LAYERS)
    # GB is ~229,000 km2 incl. islands; generalised boundaries at cell centres land close
    assert 220_000 < store.land.sum() < 235_000
    for name, meta in store.meta.items():
        for key in ("unit", "direction", "sources", "coverage", "coverage_fraction", "licence",
                    "data_date"):
            assert key in meta, (name, key)
        arr = store.layer(name)
        assert np.isnan(arr[~store.land]).all()  # nothing off land
        # coverage figures come from this build's data, every placeholder filled
        assert meta["coverage"] == REGISTRY[name].coverage_text(meta.get("counts"))
        assert "…" not in meta["coverage"] and "{" not in meta["coverage"], name
    counts = store.meta["employment_deprivation_pct"]["counts"]
    assert counts["codes"] == 34_753 + 6_976  # every LSOA and Data Zone
    # the named features sites are named after (issue #13)
    assert store.features is not None and set(store.features["tier"]) == {1, 2, 3, 4}
    assert "Ratcliffe-on-Soar (former power station)" in set(store.features["label"])
    # one table: works known only by their company stay, unlabelled, for explanations
    assert (store.features["label"] == "").any() and store.features["label"].notna().all()
    src = (out / "SOURCES.md").read_text()
    assert "test build" in src and "CC-BY-NC-SA-3.0" in src
    assert "Not covered here" in src and "Green Belt" in src


def test_embedded_store_matches_the_registry(store):
    # The shipped growthzones/data/gb_1000m must be rebuilt when criteria change.
    assert set(store.layers) == set(REGISTRY) - set(OFFICIAL_LAYERS), \
        "rebuild with: growthzones data build --out growthzones/data"
    m = store.manifest
    assert m["grid"]["resolution"] == 1000 and m["grid"]["crs"] == "EPSG:27700"
    assert m["command"].startswith("growthzones data build")
    assert all(s["licence"] for s in m["sources"].values())
    for name, meta in store.meta.items():  # built with today's coverage texts
        assert meta["coverage"] == REGISTRY[name].coverage_text(meta.get("counts")), \
            f"{name}: rebuild with: growthzones data build --out growthzones/data"


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


# --- A broken store is one clear LayerStoreError (issue #9) --------------------------------

EMBEDDED = gz.catalog.embedded_store_dir() / "gb_1000m"
SMALL_FILES = ("manifest.json", "land.tif", "la_index.tif", "local_authorities.csv",
               "places.csv", "basemap.geojson")


def _store_copy(tmp_path):
    """A copy of the embedded store: small files copied, layer tifs symlinked (fast)."""
    import shutil

    copy = tmp_path / "gb_1000m"
    (copy / "layers").mkdir(parents=True)
    for name in SMALL_FILES:
        shutil.copy(EMBEDDED / name, copy / name)
    for tif in (EMBEDDED / "layers").glob("*.tif"):
        (copy / "layers" / tif.name).symlink_to(tif)
    return copy


def _edit_manifest(copy, edit):
    m = json.loads((copy / "manifest.json").read_text())
    m = edit(m)
    (copy / "manifest.json").write_text(json.dumps(m))


def _truncate(f, keep=200):
    data = f.read_bytes()
    f.unlink()  # may be a symlink into the embedded store: never write through it
    f.write_bytes(data[:keep])


def _set(d, key, value):
    d[key] = value
    return d


BROKEN = {
    "manifest not JSON": (lambda c: (c / "manifest.json").write_text("{not json"),
                          r"manifest.json is not valid JSON"),
    "manifest empty": (lambda c: (c / "manifest.json").write_text(""),
                       r"manifest.json is empty"),
    "manifest binary": (lambda c: (c / "manifest.json").write_bytes(b"\xff\xfe\x00junk"),
                        r"manifest.json is not (valid JSON|UTF-8)"),
    "manifest a list": (lambda c: (c / "manifest.json").write_text("[1, 2]"),
                        r"manifest.json is a list, not a JSON object"),
    "manifest no grid": (lambda c: _edit_manifest(c, lambda m: {k: v for k, v in m.items()
                                                                if k != "grid"}),
                         r"manifest.json has no 'grid'"),
    "manifest no layers": (lambda c: _edit_manifest(c, lambda m: {k: v for k, v in m.items()
                                                                  if k != "layers"}),
                           r"manifest.json has no 'layers'"),
    "grid resolution text": (lambda c: _edit_manifest(
        c, lambda m: _set(m, "grid", {**m["grid"], "resolution": "fine"})),
        r"'grid' .*resolution.* 'fine'"),
    "grid bounds short": (lambda c: _edit_manifest(
        c, lambda m: _set(m, "grid", {**m["grid"], "bounds": [0, 0]})),
        r"'grid' .*bounds"),
    "grid a list": (lambda c: _edit_manifest(c, lambda m: _set(m, "grid", [1000])),
                    r"'grid' is a list"),
    "layers a list": (lambda c: _edit_manifest(c, lambda m: _set(m, "layers", ["a"])),
                      r"'layers' is a list"),
    "layer entry not a table": (lambda c: _edit_manifest(
        c, lambda m: _set(m, "layers", {**m["layers"], next(iter(m["layers"])): 3})),
        r"layer .* is a int, not a JSON object"),
    "land.tif truncated": (lambda c: _truncate(c / "land.tif"), r"cannot read .*land.tif"),
    "la_index.tif garbage": (lambda c: (c / "la_index.tif").write_bytes(b"GIF89a" * 50),
                             r"cannot read .*la_index.tif"),
    "places.csv missing": (lambda c: (c / "places.csv").unlink(), r"places.csv is missing"),
    "places.csv no columns": (lambda c: (c / "places.csv").write_text("town,people\nA,1\n"),
                              r"places.csv lacks columns .*easting"),
    "places.csv empty": (lambda c: (c / "places.csv").write_text(""),
                         r"places.csv is empty"),
    "places.csv text population": (
        lambda c: (c / "places.csv").write_text("name,population,easting,northing\n"
                                                "A,many,1,2\n"),
        r"places.csv: column 'population' .* not numbers"),
    "local_authorities.csv missing": (lambda c: (c / "local_authorities.csv").unlink(),
                                      r"local_authorities.csv is missing"),
    "local_authorities.csv no columns": (
        lambda c: (c / "local_authorities.csv").write_text("code\nE1\n"),
        r"local_authorities.csv lacks columns .*la_name"),
    "features.csv no columns": (lambda c: (c / "features.csv").write_text("what\nx\n"),
                                r"features.csv lacks columns .*label"),
    "features.csv text easting": (
        lambda c: (c / "features.csv").write_text(
            "label,name,kind,tier,status,closure_year,easting,northing\n"
            "A,A,steelworks,2,operating,,far,2\n"),
        r"features.csv: column 'easting' .* not numbers"),
    "basemap not JSON": (lambda c: _truncate(c / "basemap.geojson", keep=1000),
                         r"basemap.geojson is not valid JSON"),
    "basemap a list": (lambda c: (c / "basemap.geojson").write_text("[]"),
                       r"basemap.geojson is a list, not a GeoJSON FeatureCollection"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_store_is_one_clear_error(tmp_path, case):
    breakit, match = BROKEN[case]
    copy = _store_copy(tmp_path)
    breakit(copy)
    with pytest.raises(gz.LayerStoreError, match=match) as info:
        gz.load_layers(copy)
    line = info.value.one_line()
    assert "\n" not in str(info.value) and str(copy) in line
    assert "rebuild" in line or "growthzones data build" in line


def test_a_copied_store_loads(tmp_path):
    # the harness above must not break anything by itself
    store = gz.load_layers(_store_copy(tmp_path))
    assert store.land.sum() > 200_000 and store.basemap["features"]


@pytest.mark.parametrize("read", ["layer", "read_vector", "values_at"])
def test_corrupt_layer_file_fails_clearly_when_first_read(tmp_path, monkeypatch, read):
    import growthzones.store as store_module

    if read == "values_at":
        monkeypatch.setattr(store_module, "RESIDENT_CELLS", 0)  # read through windows
    copy = _store_copy(tmp_path)
    store = gz.load_layers(copy)  # layers are read lazily: loading still works
    name = next(iter(store.layers))
    _truncate(copy / "layers" / f"{name}.tif", keep=5000)
    with pytest.raises(gz.LayerStoreError, match=rf"cannot read layer file .*{name}.tif"
                                                 r".*rebuild the store") as info:
        if read == "values_at":
            store.values_at(name, [0, 1, 2])
        else:
            getattr(store, read)(name)
    assert "\n" not in str(info.value)


def test_unflatten_keeps_float32_and_widens_integers_for_a_nan_fill(store):
    n = len(store.land_index)
    grid = store.unflatten(np.ones(n, dtype=np.float32))
    assert grid.dtype == np.float32 and np.isnan(grid).sum() == grid.size - n
    assert store.unflatten(np.ones(n, dtype=np.int16)).dtype == np.float64
    assert store.unflatten(np.ones(n, dtype=np.uint8), fill=0).dtype == np.uint8
