"""Shared fixtures.

Tests that read the real open data in ``../shared/data`` use the ``sources`` fixture (and
are marked ``shared_data``). Without that folder they skip on a laptop, but fail under
``CI=true``: a missing shared file must never pass silently in CI.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from growthzones.catalog import SourceFiles, default_source_dir

REPO = Path(__file__).resolve().parent.parent

try:  # hypothesis profiles for tests/test_fuzz.py: `ci` (default, fast) and `long` (by hand)
    from hypothesis import settings

    settings.register_profile("ci", max_examples=100, deadline=None, database=None)
    settings.register_profile("long", max_examples=5000, deadline=None, database=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    pass
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):
    """Give the session a disk cache of its own (``$GROWTHZONES_CACHE``, inherited by the
    xdist workers and the CLI subprocesses): the suite's hundreds of temporary stores
    would otherwise fill the user's (:mod:`growthzones.cache`), and an entry from an
    earlier session could hide a change. The user's HAND tiles are copied in (the flood
    layer's slowest part; CI starts without them anyway)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the controller made it
        return
    import shutil
    import tempfile

    from growthzones.cache import cache_dir

    users, ours = cache_dir(), Path(tempfile.mkdtemp(prefix="gz-test-cache-"))
    for tile in users.glob("hand_tile_*.npy") if users.is_dir() else ():
        shutil.copy2(tile, ours)
    os.environ["GROWTHZONES_CACHE"] = str(ours)
    config._gz_cache = (users, ours)
    # pysheds' numba kernels compiled (or loaded) in the background while the workers run
    # other tests; the tests that run pysheds wait for it (fixture pysheds_compiled)
    import subprocess
    import sys

    marker = ours / "pysheds-compiled"
    os.environ[_PYSHEDS_MARKER] = str(marker)
    config._gz_pysheds = subprocess.Popen(
        [sys.executable, "-c", _COMPILE_PYSHEDS, str(marker)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


#: The environment variable naming the file the background compile writes when done.
_PYSHEDS_MARKER = "GZ_TEST_PYSHEDS_COMPILED"
#: What the background compile runs: every pysheds kernel the tests use, on a tiny
#: surface (numba compiles each when first called: hand.import_pysheds).
#: The marker is written even if it fails: the tests then compile in their own process.
_COMPILE_PYSHEDS = """
import pathlib, sys
try:
    import numpy as np
    from affine import Affine
    from growthzones.layers import flood, hand
    Grid, Raster, ViewFinder = hand.import_pysheds()
    dem = np.random.default_rng(0).random((20, 20)) * 10
    flood.height_above_drainage(dem)
    vf = ViewFinder(affine=Affine(100, 0, 0, 0, -100, 2000), shape=dem.shape,
                    nodata=np.float64(-9999.0))
    Grid(viewfinder=vf).fill_depressions(Raster(dem, viewfinder=vf))
finally:
    pathlib.Path(sys.argv[1]).write_text("done")
"""


@pytest.fixture(scope="session")
def pysheds_compiled():
    """Wait (at most 5 minutes) for the background compile of pysheds' kernels started
    by :func:`pytest_configure`: ~20 s on a fresh install (the kernels HAND calls,
    :func:`growthzones.layers.hand.import_pysheds`), ~1 s to load them after. Two
    processes compiling one numba function at once can break its cache (a KeyError
    in pysheds' priority flood), and would pay the compile twice."""
    import time

    marker = os.environ.get(_PYSHEDS_MARKER)
    end = time.monotonic() + 300
    while marker and not Path(marker).exists() and time.monotonic() < end:
        time.sleep(0.2)


def pytest_unconfigure(config):
    """Remove the session's cache, keeping the HAND tiles it computed for the next one."""
    proc = getattr(config, "_gz_pysheds", None)
    if proc is not None and proc.poll() is None:
        proc.kill()
    users, ours = getattr(config, "_gz_cache", (None, None))
    if ours is None:
        return
    import shutil

    for tile in ours.glob("hand_tile_*.npy"):
        if not (users / tile.name).exists():
            try:
                users.mkdir(parents=True, exist_ok=True)
                shutil.copy2(tile, users)
            except OSError:  # a read-only home: the next session computes them again
                break
    shutil.rmtree(ours, ignore_errors=True)


#: Test modules (or folders) whose real-data tests build layers or stores from the shared,
#: memoised reads: with pytest-xdist (``-n 2 --dist loadgroup``, the project default) they
#: share one worker, so each layer is still built once. The other real-data tests (file
#: checksums, fetch mirrors, table checks) build nothing and balance the two workers.
_BUILDS_LAYERS = ("tests/layers/", "tests/test_build_blocks.py", "tests/test_distributed.py",
                  "tests/test_store.py", "tests/test_maps_reference.py",
                  "tests/test_fetch.py::test_a_build_without_a_theme_source")


#: Test modules that run pysheds (HAND), all on the real-layers worker, after the
#: background compile (fixture ``pysheds_compiled``): numba compiles pysheds' kernels
#: when first called and caches them in site-packages, ~20 s on a fresh install; two
#: workers doing it at once paid it twice, and numba's cache is not safe for two
#: processes compiling one function (a KeyError in pysheds' priority flood).
_RUNS_PYSHEDS = ("tests/layers/test_flood.py", "tests/layers/test_hand.py",
                 "tests/layers/test_depressions.py")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items):
    for item in items:
        real = "sources" in getattr(item, "fixturenames", ())
        if real:
            item.add_marker(pytest.mark.shared_data)
        if (real and item.nodeid.startswith(_BUILDS_LAYERS)) or \
                item.nodeid.startswith(_RUNS_PYSHEDS):
            item.add_marker(pytest.mark.xdist_group("real_layers"))


@pytest.fixture(scope="session")
def sources() -> SourceFiles:
    """The real raw data folder (../shared/data)."""
    root = default_source_dir()
    if not root.is_dir():
        msg = f"shared data folder {root} is missing"
        if IN_CI:
            pytest.fail(msg + " (CI=true: shared data must be present)")
        pytest.skip(msg)
    return SourceFiles(root)


@pytest.fixture(scope="session")
def base_1km(sources):
    """Land mask and area lookups built from the real boundaries at 1 km."""
    from growthzones.grid import GridSpec
    from growthzones.layers.base import build_base, read_small_areas

    return build_base(read_small_areas(sources), GridSpec(resolution=1000))


@pytest.fixture(scope="session")
def grid_capacity_raw(sources):
    """Every grid-capacity source read once (``grid_capacity.read_sources``)."""
    from growthzones.layers import grid_capacity as gc

    return gc.read_sources(sources)


@pytest.fixture(scope="session")
def grid_capacity_features(grid_capacity_raw):
    """Placed sites and the point features of the grid-capacity layer, derived once."""
    from growthzones.layers import grid_capacity as gc

    return gc.network_features(grid_capacity_raw)


@pytest.fixture(scope="session")
def grid_capacity_1km(sources, base_1km):
    """The grid-capacity layers at 1 km, built once per session."""
    from growthzones.layers import grid_capacity as gc

    return gc.build(sources, base_1km.grid, base_1km)


@pytest.fixture(scope="session")
def store():
    """The embedded default layer store (growthzones/data/gb_1000m), as a planner would load it."""
    import growthzones as gz

    return gz.load_layers(REPO / "growthzones" / "data" / "gb_1000m")


def assert_close(a, b, tol=1e-12):
    """Arrays (or scalars) equal to within ``tol``, absolutely."""
    import numpy as np

    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol)


def valley(rows=40, cols=41, *, along=0.02, side=1.0):
    """A FIXTURE DEM (the flood and HAND tests): a straight valley running south along the middle column."""
    r, c = np.mgrid[0:rows, 0:cols]
    return (50.0 - along * r + side * np.abs(c - cols // 2)).astype(np.float64)


def make_fixture_store(layers: dict, *, land=None, resolution: float = 1000.0):
    """A tiny hand-made LayerStore FIXTURE (not real data) for unit tests.

    ``layers`` maps registry names to 2-D arrays (or nested lists) of one shape; cells are laid out from
    (0, 0) in EPSG:27700 at ``resolution`` metres.
    """
    import numpy as np
    import pandas as pd

    from growthzones.grid import GridSpec
    from growthzones.layers import REGISTRY
    from growthzones.store import LayerStore

    layers = {n: np.asarray(a, dtype=float) for n, a in layers.items()}  # nested lists too
    shape = next(iter(layers.values())).shape
    grid = GridSpec(resolution=resolution,
                    bounds=(0.0, 0.0, shape[1] * resolution, shape[0] * resolution))
    land = np.ones(shape, dtype=bool) if land is None else np.asarray(land, dtype=bool)
    meta = {n: {**REGISTRY[n].to_dict(), "coverage_fraction": 1.0} for n in layers}
    return LayerStore(
        path=Path("<fixture>"), grid=grid, land=land,
        la_index=np.ones(shape, dtype=np.int16),
        las=pd.DataFrame({"la_code": ["X00000001"], "la_name": ["Fixture Council"],
                          "nation": ["E"]}),
        places=pd.DataFrame({"name": ["Fixtureton"], "population": [5000],
                             "lat": [49.8], "lon": [-7.5], "easting": [500.0],
                             "northing": [500.0]}),
        manifest={"layers": meta, "sources": {}, "built": "fixture"},
        layers={n: np.asarray(a, dtype=np.float32) for n, a in layers.items()})


def foundation_scenario():
    """A fixed four-criterion scenario (the Foundation's default) for tests whose expected
    numbers must not move when ``scenarios/default.toml`` is retuned."""
    from growthzones.scenario import parse_scenario

    return parse_scenario({
        "name": "Foundation",
        "criteria": {
            "dist_substation_132kv_km": {"weight": 3, "transform": {
                "type": "piecewise", "points": [[0, 1], [5, 0.8], [15, 0.4], [40, 0]]}},
            "dist_transmission_km": {"weight": 3, "transform": {
                "type": "piecewise", "points": [[0, 1], [10, 0.6], [30, 0.2], [60, 0]]}},
            "employment_deprivation_pct": {"weight": 2, "transform": "linear"},
            "dist_ixp_km": {"weight": 1, "transform": {"type": "decay", "half_distance": 60}},
        },
        "exclusions": {"national_parks": True},
        "sites": {"top": 20, "min_separation_km": 25},
    }, source="tests/conftest.py:foundation_scenario")


def value_at(layers, base, name, x, y) -> float:
    """Raw value of ``layers[name]`` in the cell holding BNG point (x, y) in metres."""
    return float(base.grid.sample(layers[name], [x], [y])[0])


def value_at_lonlat(base, arr, lon, lat) -> float:
    """Value of the raster ``arr`` in the cell holding WGS84 point (lon, lat)."""
    from growthzones.grid import to_bng

    xy = to_bng([lon], [lat])
    return float(base.grid.sample(arr, xy[:, 0], xy[:, 1])[0])


# Each layer is built at most once per session: the layer tests and the store builds
# (tests/test_store.py) share one build per (theme, sources, grid), and the grid-capacity
# sources are read and turned into features once. Callers get copies of the arrays.
_ONCE: dict = {}


def _once(key, compute):
    if key not in _ONCE:
        _ONCE[key] = compute()
    return _ONCE[key]


# What is computed from source files is shared between source folders holding the same
# bytes (the fetched cache of tests/test_store.py and ../shared/data): an entry records the
# sources its computation looked up (``SourceFiles.locate``, which ``path`` calls) with the
# digest of each one's file there, and a call from another folder reuses it only where
# every one of those sources has the same digest.
_FROM: dict = {}
_LOOKING: list[set] = []  # the sources looked up by each computation in progress


def _digest(path: Path | None):
    if path is None or not path.exists():
        return None
    files = sorted(q for q in path.rglob("*") if q.is_file()) if path.is_dir() else [path]
    return tuple((str(q.relative_to(path)), _file_digest(q, q.stat())) for q in files)


@functools.cache
def _file_sha(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_digest(path: Path, st) -> str:
    return _file_sha(path.resolve(), st.st_size, st.st_mtime_ns)


_AFRESH = [False]


@contextlib.contextmanager
def computed_afresh():
    """Within it, the memoised reads and builds of source files compute again and keep
    nothing (a test of what one call reads)."""
    _AFRESH[0] = True
    try:
        yield
    finally:
        _AFRESH[0] = False


def _once_from(sources, key, compute):
    """``compute()`` once per ``key`` and set of source bytes (see :data:`_FROM`)."""
    if _AFRESH[0]:
        return compute()

    def at(sid):
        return _digest(_LOCATE(sources, sid))

    for looked, asked, value in _FROM.get(key, ()):
        if all(at(sid) == d for sid, d in looked.items()):
            if _LOOKING:
                _LOOKING[-1].update(looked)
            sources.requested.extend(asked)  # as the computation asked for them
            return value
    _LOOKING.append(set())
    first = len(sources.requested)
    try:
        value = compute()
    finally:
        looked = _LOOKING.pop()
    if _LOOKING:
        _LOOKING[-1].update(looked)
    _FROM.setdefault(key, []).append(({sid: at(sid) for sid in looked},
                                      sources.requested[first:], value))
    return value


_LOCATE = SourceFiles.locate


def _locate_noted(self, source_id):
    if _LOOKING:
        _LOOKING[-1].add(source_id)
    return _LOCATE(self, source_id)


@pytest.fixture(scope="session", autouse=True)
def _build_each_layer_once():
    from growthzones.layers import LAYER_MODULES
    from growthzones.layers import grid_capacity as gc
    from growthzones.layers.base import Built

    def memo_build(mod, real):
        keeps = hasattr(mod, "network_manifest")  # it also hands back network-year tables

        def build(sources, grid, base, tables=None):
            def run():
                kept = {} if keeps else None
                out = real(sources, grid, base, tables=kept) if keeps else \
                    real(sources, grid, base)
                return out, kept
            arrays, kept = _once_from(sources, (mod.__name__, grid), run)
            if tables is not None and kept:
                tables.update(kept)
            return Built({name: arr.copy() for name, arr in arrays.items()},
                         getattr(arrays, "counts", {}))
        return build

    def memo_read(mod, real):
        # a theme's features (the block contract's read), read once per session; build
        # calls the module's read, so the memoised build shares it
        # (a call with options, e.g. a test's own tile lattice, is not memoised)
        return lambda sources, **kw: real(sources, **kw) if kw else _once_from(
            sources, (mod.__name__, "read"), lambda: real(sources))

    import pandas as pd

    from growthzones import blocks as blocks_mod
    from growthzones.grid import GridSpec
    from growthzones.layers import base as base_mod
    from growthzones.layers import designations
    from growthzones.layers import named_features as nf

    read, features = gc.read_sources, gc.network_features
    small_areas, basemap = base_mod.read_small_areas, base_mod.basemap_geojson
    places = base_mod.read_places
    named = nf.read_named_features
    def noted_folder(real):
        def folder(sources, source_id):
            if _LOOKING:
                _LOOKING[-1].add(source_id)
            return real(sources, source_id)
        return folder

    def memo_on_block(mod, real):
        # a theme's criteria on the whole national grid (a layer test's whole-grid build
        # and a store build in one block), once per session for each features object
        def on_block(features, base):
            g = base.grid
            if g.resolution < 1000 or g != GridSpec(resolution=g.resolution):
                return real(features, base)
            key = (mod.__name__, "on_block", id(features), g, base.shapes is None,
                   *(hashlib.sha256(a.tobytes()).hexdigest()
                     for a in (base.land, base.area_index, base.la_index)))
            out = _once(key, lambda: (features, real(features, base)))[1]
            return {k: v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v)
                    for k, v in out.items()}
        return on_block

    with pytest.MonkeyPatch.context() as mp:
        # a source looked up, by name or (official files) by folder, is noted (_FROM)
        mp.setattr(SourceFiles, "locate", _locate_noted)
        mp.setattr(designations, "official_folder",
                   noted_folder(designations.official_folder))
        # what every store build reads or derives the same way, once per session (copies)
        mp.setattr(base_mod, "read_small_areas", lambda sources: _once_from(
            sources, "small_areas", lambda: small_areas(sources)).copy())
        mp.setattr(base_mod, "basemap_geojson", lambda areas, **kw: copy.deepcopy(_once(
            ("basemap", len(areas), tuple(sorted(kw.items()))), lambda: basemap(areas, **kw))))
        mp.setattr(base_mod, "read_places", lambda sources, **kw: places(sources, **kw) if kw
                   else _once_from(sources, "places", lambda: places(sources)).copy())
        mp.setattr(nf, "read_named_features", lambda sources: _once_from(
            sources, "named_features", lambda: named(sources)).copy())
        # ... and each build's small areas as its blocks take them (read-only; ~1.7 s)
        frame = blocks_mod.SmallAreas.from_frame
        mp.setattr(blocks_mod.SmallAreas, "from_frame", classmethod(lambda cls, areas: _once(
            ("small_areas_frame", len(areas), int(pd.util.hash_pandas_object(
                areas.drop(columns="geometry"), index=False).sum())),
            lambda: frame(areas))))
        # the store build (tests/test_store.py) in one block per theme, as cheap as the
        # whole-grid build; tests of blocking pass their own chunk
        mp.setenv("GROWTHZONES_CHUNK", "4096")
        for mod in LAYER_MODULES:
            mp.setattr(mod, "build", memo_build(mod, mod.build))
            if hasattr(mod, "read"):
                mp.setattr(mod, "read", memo_read(mod, mod.read))
            if hasattr(mod, "on_block"):
                mp.setattr(mod, "on_block", memo_on_block(mod, mod.on_block))
        mp.setattr(gc, "read_sources",
                   lambda sources: _once_from(sources, "gc.read_sources",
                                              lambda: read(sources)))
        mp.setattr(gc, "network_features",
                   lambda raw, **kw: _once(("gc.features", id(raw), tuple(sorted(kw.items()))),
                                           lambda: features(raw, **kw)))
        yield


@pytest.fixture(scope="session")
def default_scenario():
    """:func:`foundation_scenario`, once per session, for the kernel, explain and scenario
    tests whose expected numbers must not move when the default scenario is retuned."""
    return foundation_scenario()


def assert_blocks_match(on_block, features, base, *, rows=(0, 0.37, 0.71, 1.0),
                        cols=(0, 0.43, 1.0)):
    """``on_block(features, base)`` on the whole grid equals the same function run on
    blocks of it and stitched together (NaN equal to NaN; block tallies, the ``_`` keys,
    summed over the blocks equal the whole grid's). ``rows`` and ``cols`` are the cut
    points as fractions of the grid, deliberately not on round numbers."""
    import numpy as np

    whole = on_block(features, base)
    h, w = base.grid.shape
    rcut = sorted({round(f * h) for f in rows})
    ccut = sorted({round(f * w) for f in cols})
    stitched = {k: np.full_like(v, np.nan) for k, v in whole.items() if not k.startswith("_")}
    tallies: dict = {}
    for r0, r1 in itertools.pairwise(rcut):
        for c0, c1 in itertools.pairwise(ccut):
            part = on_block(features, base.block(slice(r0, r1), slice(c0, c1)))
            assert set(part) == set(whole)
            for k, v in part.items():
                if k.startswith("_"):
                    tallies[k] = tallies.get(k, 0) + np.asarray(v)
                else:
                    assert v.shape == (r1 - r0, c1 - c0) and v.dtype == whole[k].dtype, k
                    stitched[k][r0:r1, c0:c1] = v
    for k, v in stitched.items():
        np.testing.assert_array_equal(v, whole[k], err_msg=f"{k}: blocks differ from whole")
    for k, v in tallies.items():
        np.testing.assert_array_equal(v, np.asarray(whole[k]), err_msg=f"tally {k}")
    return whole
