"""The criteria matrix and scoring's cache: owned by scoring, the same kernels as NumPy."""

import gc
import weakref

import numpy as np
import pandas as pd
import pytest
from conftest import make_fixture_store

import growthzones as gz
from growthzones import scoring as S
from growthzones.scenario import parse_scenario

SUB, EMP, IXP = "dist_substation_132kv_km", "employment_deprivation_pct", "dist_ixp_km"


def gappy_store(seed=3):
    # FIXTURE: random 12 x 15 layers with ~25 % gaps, so cells have several data patterns.
    rng = np.random.default_rng(seed)
    layers = {}
    for n in (SUB, EMP, IXP):
        a = rng.random((12, 15)) * 40
        a[rng.random(a.shape) < 0.25] = np.nan
        layers[n] = a
    return make_fixture_store(layers)


def test_the_store_holds_no_scoring_cache_and_scorings_cache_dies_with_it():
    store = gappy_store()
    res = gz.score(store, parse_scenario({"criteria": {SUB: 2, EMP: 1}}))
    assert not hasattr(store, "_cache")
    assert res.matrix in S.cache_for(store)["_matrices"].values()
    matrix = weakref.ref(res.matrix)
    del res, store
    gc.collect()
    assert matrix() is None, "scoring kept a store's matrix alive after the store was gone"


def test_clear_cache_forgets_and_the_next_score_rebuilds_the_same_matrix():
    store = gappy_store()
    sc = parse_scenario({"criteria": {SUB: 2, EMP: 1}})
    first = gz.score(store, sc)
    S.clear_cache(store)
    assert S.cache_for(store) == {}
    again = gz.score(store, sc)
    assert again.matrix is not first.matrix
    np.testing.assert_array_equal(again.score, first.score)


@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "topsis"},
                                 {"method": "topsis", "ideal": "fixed"},
                                 {"method": "owa", "orness": 0.3},
                                 {"method": "owa", "order_weights": [0.5, 0.3, 0.2]}])
def test_many_weights_at_some_cells_equal_one_score_per_weight_vector(agg):
    # score_cells (Monte-Carlo draws at candidate sites) against whole-surface re-scores.
    store = gappy_store()
    sc = parse_scenario({"criteria": {SUB: 3, EMP: 2, IXP: 1}, "aggregation": agg})
    cm = gz.score(store, sc, dtype=np.float64).matrix
    assert cm.pattern is not None and cm.patterns.shape[0] > 2
    params = {k: v for k, v in agg.items() if k != "method"}
    W = np.random.default_rng(0).dirichlet(np.ones(cm.k), size=6)
    cells = np.arange(0, cm.n, 7)
    got = cm.score_cells(W, cells, agg["method"], **params)
    want = np.stack([cm.score(w, agg["method"], **params)[0][cells] for w in W])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(got), np.isnan(want))


def test_the_matrix_and_the_numpy_kernels_agree_on_a_dask_split():
    dask = pytest.importorskip("dask.array")
    store = gappy_store(seed=5)
    sc = parse_scenario({"criteria": {SUB: 3, EMP: 2, IXP: 1},
                         "aggregation": {"method": "owa", "orness": 0.7}})
    res = gz.score(store, sc, dtype=np.float64)
    m = np.stack([S.transformed(store, n, sc.criterion(n).direction, sc.criterion(n).transform,
                                np.float64) for n in sc.weights])
    w = np.array(list(sc.weights.values()))
    s_np, _ = S.owa(m, w, orness=0.7)
    s_da, _ = S.owa(dask.from_array(m, chunks=(1, 37)), w, orness=0.7)
    np.testing.assert_allclose(s_da.compute(), s_np, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(res.score, s_np, rtol=1e-12, equal_nan=True)


# --- issue #17: the OWA re-score without a cache per ordering gives the same values ----------

def _reference_owa(filled, have, w, q):
    """TEST ORACLE: the OWA kernel before issue #17 (weights per distinct ordering).

    Returns (score, contributions (k, n)).
    """
    k, n = filled.shape
    order = np.argsort(np.where(have, -filled, np.inf), axis=0, kind="stable").astype(np.int8)
    vs = np.take_along_axis(filled, order, axis=0)
    hs = np.take_along_axis(have, order, axis=0)
    key = np.ascontiguousarray(np.where(hs, order, -1).astype(np.int8).T)
    pat, codes = pd.factorize(key.view(np.dtype((np.void, k))).ravel())
    rows = np.frombuffer(np.asarray(codes).tobytes(), dtype=np.int8).reshape(-1, k)
    ws = np.where(rows >= 0, w[np.maximum(rows, 0)], 0).T.astype(filled.dtype)
    cov_p = ws.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.cumsum(ws, axis=0) / cov_p, 0, 1)
    qt = q(t)
    omega = np.diff(qt, axis=0, prepend=np.zeros((1,) + qt.shape[1:], dtype=qt.dtype))
    s = omega[0][pat] * vs[0]
    for r in range(1, k):
        s += omega[r][pat] * vs[r]
    cov = cov_p[pat]
    s = np.where(cov > 0, s, np.nan)
    parts = np.zeros((k, n), dtype=filled.dtype)
    for r in range(k):
        crit = order[r]
        part = omega[r][pat] * vs[r]
        np.put_along_axis(parts, crit[None, :], np.where(hs[r], part, 0)[None, :], axis=0)
    return s, np.where(cov > 0, np.nan_to_num(parts), 0)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 2e-6)])
@pytest.mark.parametrize("agg", [{"orness": 0.3}, {"orness": 0.85},
                                 {"order_weights": "front-loaded"}])
def test_owa_rescore_equals_the_reference_on_the_real_store(store, dtype, tol, agg):
    from growthzones.scoring import kernels as K

    sc0 = gz.load_scenario()
    if agg.get("order_weights") == "front-loaded":  # one per default criterion, any count
        agg = {"order_weights": [4, 3, 2, 1, 1, 1] + [0] * (len(sc0.weights) - 7) + [1]}
    sc = parse_scenario({"criteria": dict(sc0.weights), "aggregation": {"method": "owa", **agg}})
    res = gz.score(store, sc, dtype=dtype)
    cm = res.matrix
    q = K.owa_quantifier(orness=agg.get("orness"), order_weights=agg.get("order_weights"))
    for seed in range(2):  # the cached orderings serve any weights
        w = cm.weights_vector(sc.weights) * np.random.default_rng(seed).uniform(
            0.2, 2, cm.k).astype(dtype)
        want, want_parts = _reference_owa(cm.filled, cm.have_matrix(), w, q)
        got, _ = cm.owa(w, **agg)
        np.testing.assert_allclose(got, want, rtol=0, atol=tol)
        assert np.array_equal(np.isnan(got), np.isnan(want))
    w = cm.weights_vector(sc.weights)
    want_parts = _reference_owa(cm.filled, cm.have_matrix(), w, q)[1]
    for n in res.contributions:
        np.testing.assert_allclose(res.contributions[n], want_parts[cm.names.index(n)],
                                   rtol=0, atol=tol)


def test_owa_rescore_equals_the_reference_with_gaps_and_zero_weights():
    from growthzones.scoring import kernels as K

    store = gappy_store(seed=7)
    sc = parse_scenario({"criteria": {SUB: 3, EMP: 0, IXP: 1},
                         "aggregation": {"method": "owa", "orness": 0.35}})
    res = gz.score(store, sc, dtype=np.float64)
    cm = res.matrix
    assert cm.pattern is not None
    w = cm.weights_vector(sc.weights)
    want, want_parts = _reference_owa(cm.filled, cm.have_matrix(), w, K.owa_quantifier(orness=0.35))
    np.testing.assert_allclose(res.score, want, rtol=0, atol=1e-12, equal_nan=True)
    for n in res.contributions:  # the weighted criteria
        np.testing.assert_allclose(res.contributions[n], want_parts[cm.names.index(n)],
                                   rtol=0, atol=1e-12)


# --- issue #17: a ranking and an explanation read only the cells they need --------------------

@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "topsis"},
                                 {"method": "owa", "orness": 0.3}])
def test_contributions_and_values_at_some_cells_equal_the_national_vectors(agg):
    store = gappy_store(seed=11)
    sc = parse_scenario({"criteria": {SUB: 3, EMP: 2, IXP: 1}, "aggregation": agg})
    res = gz.score(store, sc)
    cells = np.array([0, 5, 17, 17, res.matrix.n - 1])
    for lazy in (res.contributions, res.values):
        got = {n: lazy.at(n, cells) for n in lazy}
        assert lazy._done == {}, "reading some cells computed a national vector"
        for n in lazy:
            np.testing.assert_array_equal(got[n], np.asarray(lazy[n])[cells])


@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "owa", "orness": 0.3}])
def test_rank_sites_and_explain_compute_no_national_contribution_vector(store, agg):
    from growthzones.ranking import rank_sites
    from growthzones.scoring import explain

    sc0 = gz.load_scenario()
    sc = parse_scenario({"criteria": dict(sc0.weights), "aggregation": agg})
    res = gz.score(store, sc)
    sites = rank_sites(res, top=20)
    one = explain(res, sites.iloc[3])
    assert res.contributions._done == {}, "rank_sites or explain computed a national vector"
    full = gz.score(store, sc)
    for n in full.contributions:  # the national vectors, computed, give the same table
        full.contributions[n], full.values[n]
    pd_sites = rank_sites(full, top=20)
    assert len(full.contributions._done) == len(full.weights)
    pd.testing.assert_frame_equal(sites.drop(columns="geometry"),
                                  pd_sites.drop(columns="geometry"))
    pd.testing.assert_frame_equal(one, explain(full, sites.iloc[3]))


def test_a_network_year_takes_the_criteria_it_shares_from_the_base_matrix(monkeypatch):
    """A criterion that does not vary by network year is not read again for a year's
    matrix, even one with gaps (which the base matrix holds as a zero and a pattern bit):
    the year's row is the base's, gaps put back."""
    from growthzones.network_years import at_network_year, root_of
    from growthzones.scoring import matrix as M

    store, scenario = gz.load_layers(), gz.load_scenario()
    view_year = next(s for s in sorted(store.network_years())
                     if at_network_year(store, s) is not store)
    view = at_network_year(store, view_year)
    shared = [c.name for c in scenario.criteria if not view.layers.varies(c.name)]
    gappy = shared[0]
    transform = M._transform

    def with_gaps(st, name, *args):  # a criterion not assessed in the first 50 cells
        out = transform(st, name, *args)
        return np.where(np.arange(out.size) < 50, np.nan, out).astype(out.dtype) \
            if name == gappy else out

    monkeypatch.setattr(M, "_transform", with_gaps)
    base = S.criteria_matrix(store, scenario)
    g = base.names.index(gappy)
    assert not base.complete[g] and root_of(view) is store
    read = []
    monkeypatch.setattr(M, "_transform", lambda st, name, *a: (read.append(name),
                                                               with_gaps(st, name, *a))[1])
    cm = S.criteria_matrix(view, scenario)
    assert read and not set(read) & set(shared)  # only the criteria that vary are read
    np.testing.assert_array_equal(cm.values_at(g), base.values_at(g))
    assert np.isnan(cm.values_at(g)[:50]).all() and not cm.complete[g]
    monkeypatch.undo()
    want = S.criteria_matrix(at_network_year(gz.load_layers(), view_year), scenario)
    for i, name in enumerate(cm.names):
        if name != gappy:
            np.testing.assert_array_equal(cm.values_at(i), want.values_at(i))


def test_rows_written_in_place_make_the_matrix_the_arrays_make():
    rng = np.random.default_rng(8)
    rows = [rng.random(500).astype(np.float32) for _ in range(3)]
    rows[1][::7] = np.nan  # gaps: a zero and a pattern bit in the matrix
    given = S.CriteriaMatrix(["a", "b", "c"], rows)

    def writer(row):
        return lambda out: out.__setitem__(slice(None), row)

    written = S.CriteriaMatrix(["a", "b", "c"], (writer(r) for r in rows), n=500,
                               dtype=np.float32)
    np.testing.assert_array_equal(written.filled, given.filled)
    np.testing.assert_array_equal(written.patterns, given.patterns)
    for i in range(3):
        np.testing.assert_array_equal(written.values_at(i), given.values_at(i))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_big_stores_criteria_are_read_and_transformed_in_the_matrix_rows(dtype, store,
                                                                          monkeypatch):
    """On a big grid each criterion is read into its matrix row and transformed there
    (no vector of its own): the same matrix as transforming the whole vectors."""
    from growthzones import store as store_mod
    from growthzones import transforms
    from growthzones.scoring import matrix as M

    data = gz.load_scenario().to_dict()
    data["criteria"]["tec_queue_mw"]["transform"] = {"type": "percentile"}
    scenario = parse_scenario(data)
    want = S.criteria_matrix(gz.load_layers(store.path), scenario, dtype)
    monkeypatch.setattr(store_mod, "RESIDENT_CELLS", 0)  # the embedded store as a big one
    whole, in_place = [], []
    transform, apply_in_place = M._transform, transforms.apply_in_place
    monkeypatch.setattr(M, "_transform", lambda st, name, *a: (whole.append(name),
                                                               transform(st, name, *a))[1])
    monkeypatch.setattr(transforms, "apply_in_place",
                        lambda x, *a: (in_place.append(x.dtype), apply_in_place(x, *a))[1])
    got = S.criteria_matrix(gz.load_layers(store.path), scenario, dtype)
    assert not whole and in_place == [np.dtype(dtype)] * len(scenario.criteria)
    np.testing.assert_array_equal(got.filled, want.filled)
    np.testing.assert_array_equal(got.have_matrix(), want.have_matrix())


@pytest.mark.parametrize("given", [0, 1])
def test_a_matrix_with_fewer_rows_than_names_is_refused(given):
    rows = [np.zeros(3, np.float32)] * given
    with pytest.raises(ValueError, match=f"2 criteria named, {given} rows given"):
        S.CriteriaMatrix(["a", "b"], rows)
