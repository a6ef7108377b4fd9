"""The same build on a dask.distributed cluster: two local workers, each with far less
memory than a single-process national build, build a 100 m region and the scores match
the single-process build exactly."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from conftest import REPO
from test_build_blocks import THEMES, assert_same_store, build_region, shared_region

import growthzones as gz

distributed = pytest.importorskip("distributed")

#: Per-worker memory: the GB 100 m single-process build peaked at 12.5 GB (issue #15).
WORKER_MEMORY = "1GiB"


def _scenario(store):
    """The default scenario (scenarios/default.toml) on the criteria these test builds
    hold (the themes of test_build_blocks); its other criteria, exclusions and constraints dropped."""
    raw = tomllib.loads((REPO / "growthzones" / "scenarios" / "default.toml").read_text())
    raw["criteria"] = {n: c for n, c in raw["criteria"].items() if n in store.layers}
    raw.pop("exclusions", None)
    raw.pop("constraints", None)
    assert len(raw["criteria"]) >= 3
    return gz.parse_scenario(raw, source="default.toml (built criteria)")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit=WORKER_MEMORY, dashboard_address=None) as c:
        yield c


def test_a_cluster_builds_and_scores_a_region_as_one_process_does(sources, tmp_path,
                                                                   tmp_path_factory, cluster):
    assert THEMES
    # the single-process build of test_build_blocks (shared when both run in one session)
    here = shared_region(sources, tmp_path_factory, resolution=100, chunk=48)
    there = build_region(sources, tmp_path / "there", resolution=100, chunk=48,
                         scheduler=cluster.scheduler_address)
    assert_same_store(here, there)
    with distributed.Client(cluster.scheduler_address) as client:
        ran = client.run(lambda: 1)
        assert len(ran) == 2  # both workers were up throughout
    a, b = gz.load_layers(here), gz.load_layers(there)
    scenario = _scenario(a)
    ra, rb = gz.score(a, scenario), gz.score(b, scenario)
    np.testing.assert_array_equal(ra.score, rb.score)
    assert np.isfinite(ra.score).any()
