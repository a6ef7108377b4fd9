"""The scoring kernels on dask-backed xarray data, run on a local dask cluster."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import foundation_scenario

import growthzones as gz
from growthzones.scoring import score_dataset, store_dataset

dask = pytest.importorskip("dask")
pytest.importorskip("xarray")
distributed = pytest.importorskip("distributed")
# The 1 km test layers are NumPy arrays chunked by xarray, so they travel in the graph.
pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def chunked(store):
    sc = foundation_scenario()
    names = [c.name for c in sc.criteria] + list(sc.exclusions) + ["dist_substation_132kv_km"]
    return store_dataset(store, dict.fromkeys(names), chunks={"y": 250, "x": 250})


@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "topsis"},
                                 {"method": "owa", "orness": 0.3}])
def test_dask_cluster_matches_numpy(client, store, chunked, agg):
    sc = foundation_scenario().updated({"aggregation": agg,
                                     "constraints": {"dist_substation_132kv_km": {"max": 15}}})
    lazy = score_dataset(chunked, sc)
    assert lazy["score"].chunks is not None          # still lazy: nothing computed yet
    assert dask.base.get_scheduler() == client.get   # and it will run on the cluster
    out = lazy.compute()
    ref = gz.score(store, sc)
    for name, want in (("score", ref.surface("score_all")), ("ranked", ref.surface("score"))):
        np.testing.assert_allclose(out[name].values, want, rtol=0, atol=2e-6, equal_nan=True,
                                   err_msg=name)
    # Off land no criterion has data: coverage 0 there (the store's surface is NaN off land).
    np.testing.assert_allclose(out["coverage"].values[store.land], ref.coverage, atol=1e-6)
    assert (out["coverage"].values[~store.land] == 0).all()
    ex = out["excluded"].values
    assert np.array_equal(ex[store.land] == 1, ref.excluded)
    assert out.attrs["aggregation"] == agg["method"]
    assert out["score"].dims == ("y", "x") and out["y"][0] > out["y"][-1]  # north-up coords kept


def test_numpy_backed_dataset_gives_the_same_result(store):
    sc = foundation_scenario()
    names = [c.name for c in sc.criteria] + list(sc.exclusions)
    out = score_dataset(store_dataset(store, names), sc)
    np.testing.assert_allclose(out["ranked"].values, gz.score(store, sc).surface("score"),
                               atol=2e-6, equal_nan=True)


def test_missing_variables_are_named(store):
    ds = store_dataset(store, ["dist_ixp_km"])
    with pytest.raises(KeyError, match="lacks dist_substation_132kv_km"):
        score_dataset(ds, foundation_scenario())
