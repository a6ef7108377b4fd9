"""The cache on disk (growthzones.cache): the same values as without it, made again when
its sources change, harmless when damaged or unwritable; and the command's fast exit."""

import os
import subprocess
import sys

import numpy as np
import pytest

import growthzones as gz
from growthzones import cache


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "cache"
    monkeypatch.setenv("GROWTHZONES_CACHE", str(home))
    return home


class Counted:
    """``make`` for cached_array that counts its calls."""

    def __init__(self, values):
        self.values, self.calls = np.asarray(values), 0

    def __call__(self):
        self.calls += 1
        return self.values.copy()


def test_an_entry_is_made_once_and_read_back_equal(tmp_path, cache_home):
    src = tmp_path / "a.bin"
    src.write_bytes(b"one")
    make = Counted(np.array([1.5, np.nan, -2.0], dtype=np.float32))
    first = cache.cached_array([cache.fingerprint(src)], make, tag="t")
    again = cache.cached_array([cache.fingerprint(src)], make, tag="t")
    assert make.calls == 1
    assert again.dtype == np.float32
    np.testing.assert_array_equal(first, again)  # NaN where NaN
    assert len(list((cache_home / "arrays").glob("*.npy"))) == 1


def test_another_tag_or_changed_source_makes_a_new_entry(tmp_path, cache_home):
    src = tmp_path / "a.bin"
    src.write_bytes(b"one")
    make = Counted([1, 2, 3])
    cache.cached_array([cache.fingerprint(src)], make, tag="t")
    cache.cached_array([cache.fingerprint(src)], make, tag="other")
    assert make.calls == 2
    st = src.stat()
    src.write_bytes(b"two")  # the same size and, below, the same time: the content tells
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    cache.cached_array([cache.fingerprint(src)], make, tag="t")
    assert make.calls == 3


def test_a_damaged_entry_is_made_again(tmp_path, cache_home):
    src = tmp_path / "a.bin"
    src.write_bytes(b"one")
    make = Counted(np.arange(1000, dtype=np.float64))
    cache.cached_array([cache.fingerprint(src)], make)
    (entry,) = (cache_home / "arrays").glob("*.npy")
    entry.write_bytes(entry.read_bytes()[:100])
    np.testing.assert_array_equal(cache.cached_array([cache.fingerprint(src)], make), np.arange(1000))
    assert make.calls == 2


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # (root may write anywhere: a file blocks mkdir)
    monkeypatch.setenv("GROWTHZONES_CACHE", str(blocked))
    src = tmp_path / "a.bin"
    src.write_bytes(b"one")
    make = Counted([4, 5])
    assert cache.cached_array([cache.fingerprint(src)], make).tolist() == [4, 5]
    assert cache.cached_array([cache.fingerprint(src)], make).tolist() == [4, 5]
    assert make.calls == 2


def test_prune_removes_the_oldest_entries_first(tmp_path):
    for i in range(5):
        f = tmp_path / f"{i}.npy"
        f.write_bytes(b"x" * 100)
        os.utime(f, ns=(i * 10**9, i * 10**9))
    (tmp_path / "other.txt").write_bytes(b"y" * 1000)  # not an entry: kept
    cache.prune(tmp_path, 250)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.npy", "4.npy", "other.txt"]


def _store_copy(tmp_path):
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(gz.load_layers().path, copy)
    return copy


def test_a_store_reads_its_layers_through_the_cache_with_the_same_values(
        tmp_path, cache_home, monkeypatch):
    from growthzones.io import read_raster, write_raster
    from growthzones.layer_files import LayerFiles

    copy = _store_copy(tmp_path)
    store = gz.load_layers(copy)
    name = "dist_transmission_km"
    raw, grid = read_raster(copy / "layers" / f"{name}.tif")
    first = store.read_vector(name)
    np.testing.assert_array_equal(first, raw.ravel()[store.land_index])

    def no_raster(self, name):
        raise AssertionError("read the GeoTIFF although cached")

    with monkeypatch.context() as m:  # a fresh load of the same files: from the cache
        m.setattr(LayerFiles, "read", no_raster)
        np.testing.assert_array_equal(gz.load_layers(copy).read_vector(name), first)
    write_raster(copy / "layers" / f"{name}.tif", raw + 1, grid)  # the store rebuilt
    np.testing.assert_array_equal(gz.load_layers(copy).read_vector(name), first + 1)


def test_scoring_and_the_map_parts_are_the_same_from_the_cache(tmp_path, cache_home):
    from growthzones.maps import _surfaces
    from growthzones.maps._overlays import _mask_url
    from growthzones.maps.raster import _MercatorWarp

    copy = _store_copy(tmp_path)
    scenario = gz.load_scenario()
    made = gz.load_layers(copy)  # makes the entries
    score = gz.score(made, scenario).score
    codes = _surfaces._lazy_codes(made, "dist_rail_km", "min")
    mask = _mask_url(_MercatorWarp(made.grid), made, "national_parks")
    store = gz.load_layers(copy)  # reads them
    assert gz.score(store, scenario).score.tolist() == score.tolist()
    assert _surfaces._lazy_codes(store, "dist_rail_km", "min") == codes
    assert _mask_url(_MercatorWarp(store.grid), store, "national_parks") == mask
    # ... and they are what the uncached functions make
    index, lims = _surfaces._store_criterion_codes(store, "dist_rail_km", "min")
    from growthzones.maps.raster import _land_codes

    assert codes == (_land_codes(index), lims)
    plain = gz.score(gz.load_layers(copy), scenario)
    assert len(list((cache_home / "arrays").glob("*.npy"))) > 20
    assert plain.score.tolist() == score.tolist()


def test_the_command_exits_after_its_threads_and_atexit_handlers(tmp_path):
    done = tmp_path / "done"
    code = ("import atexit, sys, time\n"
            "from concurrent.futures import ThreadPoolExecutor\n"
            "from growthzones import cli\n"
            "atexit.register(lambda: print('atexit ran', flush=False))\n"
            "pool = ThreadPoolExecutor(1)\n"
            f"pool.submit(lambda: (time.sleep(0.3), open({str(done)!r}, 'w').write('x')))\n"
            "pool.shutdown(wait=False)\n"
            "sys.stdout.write('unflushed ')\n"
            "sys.argv = ['growthzones', 'run', '--top', 'x']\n"
            "cli.console()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2  # main's code for a bad --top
    assert "--top" in proc.stderr
    assert proc.stdout == "unflushed atexit ran\n"
    assert done.read_text() == "x"  # the pool's job finished before the exit
