"""The chunk-parallel build (growthzones.blocks): a build in blocks equals a build in one
block, a region's criteria equal the national store's, and what cannot be built is refused.

The builds here are of one small council (Hartlepool) with the block-contract themes and
one build-only theme (connectivity), so both paths of the builder are exercised; the
features are read once per session (tests/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

import growthzones as gz
from growthzones import layers
from growthzones._errors import InputError
from growthzones.io import read_raster

#: Themes built here: every block-contract theme, and one build-only theme.
THEMES = tuple(m for m in layers.LAYER_MODULES
               if hasattr(m, "on_block") or m.__name__.endswith(".connectivity"))


def build_region(sources, out, *, resolution, chunk, within="Hartlepool", **kw):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layers, "LAYER_MODULES", THEMES)
        return gz.build_store(out, source=sources.root, resolution=resolution, within=within,
                              chunk=chunk, log=None, **kw)


def shared_region(sources, tmp_path_factory, *, resolution, chunk):
    """:func:`build_region` of Hartlepool, once per session for the same arguments: the
    tests that only read such a store (here and in tests/test_distributed.py) share it."""
    from conftest import _once

    return _once(("hartlepool", str(sources.root), resolution, chunk), lambda: build_region(
        sources, tmp_path_factory.mktemp(f"hartlepool_{resolution}_{chunk}"),
        resolution=resolution, chunk=chunk))


def rasters(path):
    return {p.relative_to(path).as_posix(): read_raster(p)[0]
            for p in sorted(path.rglob("*.tif"))}


def assert_same_store(a, b):
    ra, rb = rasters(a), rasters(b)
    assert set(ra) == set(rb) and "layers/dist_major_river_km.tif" in ra
    for rel in ra:
        np.testing.assert_array_equal(ra[rel], rb[rel], err_msg=rel)
    ma, mb = (json.loads((p / "manifest.json").read_text()) for p in (a, b))
    assert ma["land_cells"] == mb["land_cells"] > 0
    assert ma["grid"] == mb["grid"] and ma["within"] == mb["within"]
    for name, meta in ma["layers"].items():
        for key in ("stats", "coverage_fraction", "coverage"):
            assert meta[key] == mb["layers"][name][key], (name, key)
    return ma, mb


@pytest.mark.parametrize("resolution, chunk", [(1000, 4), (100, 48)])
def test_a_build_in_blocks_equals_a_build_in_one_block(sources, tmp_path, tmp_path_factory,
                                                       resolution, chunk):
    one = build_region(sources, tmp_path / "one", resolution=resolution, chunk=4096)
    many = shared_region(sources, tmp_path_factory, resolution=resolution, chunk=chunk)
    ma, mb = assert_same_store(one, many)
    assert ma["chunking"]["blocks"] == 1 and mb["chunking"]["blocks"] >= 4
    assert ma["within"]["code"] == "E06000001" and one.name == "hartlepool_e06000001_" + \
        f"{resolution}m"


def test_a_region_has_the_national_values_and_no_land_outside(sources, tmp_path_factory):
    # the blocked 1 km build of the test above (any blocking gives the same values)
    path = shared_region(sources, tmp_path_factory, resolution=1000, chunk=4)
    region = gz.load_layers(path)
    national = gz.load_layers(REPO / "growthzones" / "data" / "gb_1000m")
    g, n = region.grid, national.grid
    r0 = round((n.bounds[3] - g.bounds[3]) / g.resolution)
    c0 = round((g.bounds[0] - n.bounds[0]) / g.resolution)
    win = (slice(r0, r0 + g.height), slice(c0, c0 + g.width))
    # land is the council's cells of the national land mask, nothing else
    hart = national.las.index[national.las["la_code"] == "E06000001"][0] + 1
    np.testing.assert_array_equal(region.land, national.la_index[win] == hart)
    for name in ("dist_major_river_km", "dist_large_wwtw_km"):  # nearest feature: national
        want = np.where(region.land, national.layer(name)[win], np.nan)
        np.testing.assert_array_equal(region.layer(name), want, err_msg=name)


def test_a_bbox_region_keeps_only_cells_inside(sources, tmp_path):
    path = build_region(sources, tmp_path, resolution=1000, chunk=3,
                        within="bbox:440000,520000,452000,536000")
    store = gz.load_layers(path)
    assert store.grid.bounds == (440000.0, 520000.0, 452000.0, 536000.0)
    assert 0 < store.land.sum() <= 12 * 16


def test_gb_at_25_m_is_refused_with_the_way_to_a_region(tmp_path):
    with pytest.raises(InputError, match="--within"):
        gz.build_store(tmp_path, resolution=25, log=None)
    run = subprocess.run([sys.executable, "-m", "growthzones.cli", "data", "build",
                          "--resolution", "25", "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 2 and "--within" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_an_unknown_area_is_the_run_within_error(sources, tmp_path):
    with pytest.raises(InputError, match="not a GB council"):
        build_region(sources, tmp_path, resolution=1000, chunk=4, within="Hartlepooll")


def test_blocks_arriving_in_any_order_write_the_whole_array_with_overviews(tmp_path,
                                                                            monkeypatch):
    import rasterio

    from growthzones import blocks
    from growthzones.grid import GridSpec

    grid = GridSpec(resolution=100, bounds=(0, 0, 70_000, 60_000))
    plan = blocks.plan_blocks(grid, 256)
    monkeypatch.setattr(blocks, "OVERVIEW_CELLS", 0)
    (tmp_path / "layers").mkdir()
    writer = blocks.StoreWriter(tmp_path, grid, plan, 256)
    arr = np.random.default_rng(0).random(grid.shape, dtype=np.float32)
    land = arr > 0.2
    for b in plan[::-1]:  # last first
        writer.add_theme("t", b, land[b.rows, b.cols], {"x": arr[b.rows, b.cols], "_n": 1})
    writer.close()
    with rasterio.open(tmp_path / "layers" / "x.tif") as src:
        assert src.overviews(1) == [2] and src.block_shapes == [(256, 256)]
        np.testing.assert_array_equal(src.read(1), np.where(land, arr, np.nan))
    vals = arr[land].astype(np.float64)
    assert writer.stats["x"].to_dict() == {"min": vals.min(), "max": vals.max(),
                                           "mean": pytest.approx(vals.mean(), abs=1e-12)}
    assert writer.tallies["t"]["_n"] == len(plan)


def test_overviews_built_in_processes_equal_those_built_one_by_one(tmp_path, monkeypatch):
    """A store's overviews are built in worker processes (GDAL holds the GIL while it
    builds them): the same overviews as building them here, and here where it may not
    start processes (a daemon, e.g. a dask worker)."""
    import multiprocessing as mp

    import rasterio

    from growthzones import blocks
    from growthzones.grid import GridSpec
    from growthzones.io import write_raster

    grid = GridSpec(resolution=100, bounds=(0, 0, 60_000, 70_000))
    rng = np.random.default_rng(2)
    arrays = [rng.random(grid.shape, dtype=np.float32) for _ in range(3)]

    def written(folder):
        folder.mkdir()
        return [write_raster(folder / f"x{i}.tif", a, grid) for i, a in enumerate(arrays)]

    def overviews(paths):
        out = []
        for p in paths:
            with rasterio.open(p, overview_level=0) as src:
                out.append(src.read(1))
        return out

    serial = written(tmp_path / "serial")
    blocks.build_all_overviews(serial, workers=1)
    pooled = written(tmp_path / "pooled")
    blocks.build_all_overviews(pooled, workers=2)
    daemon = written(tmp_path / "daemon")
    monkeypatch.setattr(mp.current_process(), "daemon", True, raising=False)
    done = []
    real = blocks.build_overviews
    monkeypatch.setattr(blocks, "build_overviews", lambda p: done.append(p) or real(p))
    blocks.build_all_overviews(daemon, workers=2)
    assert done == daemon  # here, one by one
    for got in (overviews(pooled), overviews(daemon)):
        for a, b in zip(got, overviews(serial)):
            np.testing.assert_array_equal(a, b)
    with rasterio.open(pooled[0]) as src:
        assert src.overviews(1) == [2]


def test_a_threaded_build_finishes_each_row_of_blocks_before_the_next(monkeypatch):
    """The writer holds a row of blocks until it is complete, so a build whose blocks ran
    in any order held rows all over the grid (a GB 100 m build reached 18 GB)."""
    import time

    from growthzones import blocks
    from growthzones.grid import GridSpec

    grid = GridSpec(resolution=100, bounds=(0, 0, 4 * 25_600, 3 * 25_600))
    plan = blocks.plan_blocks(grid, 256)
    # row 0 is slow, so blocks of later rows would overtake it if allowed to start
    monkeypatch.setattr(blocks, "run_block",
                        lambda b, *a: time.sleep(0.05 if b.i == 0 else 0.0) or b)
    arrived = []
    blocks.compute_blocks(plan, grid, None, None, {}, arrived.append, workers=2)
    assert sorted(arrived, key=lambda b: (b.i, b.j)) == plan
    assert [b.i for b in arrived] == sorted(b.i for b in arrived)

def test_the_scheduler_comes_from_the_flag_then_the_environment(monkeypatch):
    from growthzones.blocks import SCHEDULER_ENV, scheduler_address

    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert scheduler_address() is None
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://10.0.0.1:8786")
    assert scheduler_address() == "tcp://10.0.0.1:8786"
    assert scheduler_address("tcp://other:1") == "tcp://other:1"
    assert scheduler_address("threads") is None
