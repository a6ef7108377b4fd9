"""Rank stability (Monte-Carlo Dirichlet weights), one-at-a-time sweeps, fast site extraction."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import foundation_scenario, make_fixture_store

import growthzones as gz
from growthzones import stability as R
from growthzones.scenario import parse_scenario

SUB, EMP = "dist_substation_132kv_km", "employment_deprivation_pct"


@pytest.fixture(scope="module")
def result(store):
    return gz.score(store, foundation_scenario())


@pytest.fixture(scope="module")
def stability(result):
    return R.rank_stability(result, draws=300, seed=4)


# --- Dirichlet draws -------------------------------------------------------------------------

def test_dirichlet_weights_are_seeded_normalised_and_centred():
    w = {"a": 0.5, "b": 0.3, "c": 0.2}
    d1 = R.dirichlet_weights(w, draws=4000, concentration=50, seed=9)
    d2 = R.dirichlet_weights(w, draws=4000, concentration=50, seed=9)
    assert np.array_equal(d1, d2)
    np.testing.assert_allclose(d1.sum(axis=1), 1, atol=1e-12)
    np.testing.assert_allclose(d1.mean(axis=0), [0.5, 0.3, 0.2], atol=0.005)
    # sd = sqrt(w (1 - w) / (c + 1))
    np.testing.assert_allclose(d1.std(axis=0), np.sqrt([0.25, 0.21, 0.16]) / np.sqrt(51), rtol=0.06)
    with pytest.raises(ValueError, match="concentration is 0; it must be > 0"):
        R.dirichlet_weights(w, draws=1, concentration=0)


# --- rank_stability on hand-made sites -------------------------------------------------------

def _two_site_store():
    # Site A (west) is best on substation distance, site B (east) on deprivation; a third
    # cell is worse than both on both; the fourth is in nothing special.
    return make_fixture_store({SUB: [[0.0, 40.0, 20.0, 40.0]], EMP: [[0.0, 40.0, 10.0, 0.0]],
                       "national_parks": [[0, 0, 0, 1]]})


def _sites(*cols):
    return pd.DataFrame({"site_id": [f"S{c}" for c in cols],
                         "easting": [1000.0 * c + 500 for c in cols],
                         "northing": [500.0] * len(cols)})


def test_symmetric_trade_off_is_a_coin_toss():
    # With equal weights WLC scores A = w1 and B = w2, so A is first iff w1 > w2:
    # probability 1/2 under a symmetric Dirichlet.
    sc = parse_scenario({"criteria": {SUB: {"weight": 1, "transform": "linear"},
                                      EMP: {"weight": 1, "transform": "linear"}},
                         "sites": {"top": 1, "min_separation_km": 0.5}})
    res = gz.score(_two_site_store(), sc)
    t = R.rank_stability(res, _sites(0, 1, 2), top=1, draws=4000, concentration=10, seed=1)
    assert t["rank"].tolist() == [1, 2, 3]             # a tie at baseline keeps the given order
    assert abs(t.loc[0, "p_top"] - 0.5) < 0.03
    assert abs(t.loc[1, "p_top"] - 0.5) < 0.03
    # The third cell scores 0.25 + 0.25 w1 < max(w1, w2): never first, second when w1 is high.
    assert t.loc[2, "p_top"] == 0.0 and t.loc[2, "rank_best"] == 2 and t.loc[2, "rank_worst"] == 3
    # A falls below C when w1 < 1/3: P = Beta(5, 5).cdf(1/3) = 0.14 > 5 %, so the 90 %
    # interval of A's rank is 1 to 3.
    assert t.loc[0, "rank_lo"] == 1 and t.loc[0, "rank_hi"] == 3


def test_excluded_site_never_ranks():
    sc = parse_scenario({"criteria": {SUB: 1, EMP: 1}, "exclusions": {"national_parks": True},
                         "sites": {"min_separation_km": 0.5}})
    res = gz.score(_two_site_store(), sc)
    t = R.rank_stability(res, _sites(0, 3), top=2, draws=50, seed=0)
    assert np.isnan(t.loc[1, "rank"]) and t.loc[1, "p_top"] == 0.0
    assert np.isnan(t.loc[1, "rank_median"])


def test_sites_off_land_or_without_coordinates_are_errors(result):
    with pytest.raises(ValueError, match="sites need 'easting'"):
        R.rank_stability(result, pd.DataFrame({"x": [1]}), draws=5)
    with pytest.raises(ValueError, match="not on GB land"):
        R.rank_stability(result, pd.DataFrame({"easting": [100.0], "northing": [100.0]}), draws=5)


# --- rank_stability on the real surface ------------------------------------------------------

def test_baseline_ranks_are_those_of_rank_sites(result, stability):
    sites = gz.rank_sites(result, top=100)
    assert stability["site_id"].tolist() == sites["site_id"].tolist()
    assert stability["rank"].tolist() == list(range(1, 101))
    np.testing.assert_allclose(stability["score"], sites["score"], atol=1e-6)
    assert stability.attrs["pool"] == 100 and stability.attrs["top"] == 20


def test_stability_table_is_coherent_and_reproducible(result, stability):
    t = stability
    assert t["p_top"].between(0, 1).all()
    assert (t["rank_best"] <= t["rank_lo"]).all() and (t["rank_lo"] <= t["rank_median"]).all()
    assert (t["rank_median"] <= t["rank_hi"]).all() and (t["rank_hi"] <= t["rank_worst"]).all()
    # Every draw puts exactly `top` sites in the top 20: the p_top sum to 20.
    assert t["p_top"].sum() == pytest.approx(20)
    again = R.rank_stability(result, draws=300, seed=4)
    pd.testing.assert_frame_equal(t, again)
    assert 0 <= t.attrs["outside_share"] <= 1
    assert set(t.attrs["weight_sd"]) == set(result.weights)


def test_near_certain_weights_keep_the_baseline(result):
    # (The top 30 are at least 1e-5 apart; sites 59 and 60 are 3e-6 apart and do swap.)
    t = R.rank_stability(result, draws=20, concentration=1e9, seed=0, pool=30,
                         check_outside=False)
    assert (t["rank_lo"] == t["rank"]).all() and (t["rank_hi"] == t["rank"]).all()
    assert (t["p_top"] == (t["rank"] <= 20)).all()


def test_place_radius_scores_the_best_cell_nearby(result):
    t0 = R.rank_stability(result, draws=10, seed=0, pool=30, check_outside=False)
    t5 = R.rank_stability(result, draws=10, seed=0, pool=30, place_radius_km=5,
                          check_outside=False)
    assert (t5["score"] >= t0["score"] - 1e-9).all()


# --- one-at-a-time sweeps --------------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep(result):
    return R.sweep_weights(result, pool=60)


def test_sweep_factor_one_is_the_baseline_and_weights_renormalise(result, sweep):
    one = sweep[sweep["factor"] == 1.0]
    assert (one["rank"] == one["base_rank"]).all()
    # Default weights 3:3:2:1; doubling the substation weight gives 6 / 12.
    w = sweep[(sweep["criterion"] == SUB) & (sweep["factor"] == 2.0)]["weight"].unique()
    np.testing.assert_allclose(w, [0.5])
    w0 = sweep[(sweep["criterion"] == EMP) & (sweep["factor"] == 0.0)]["weight"].unique()
    np.testing.assert_allclose(w0, [0.0])


def test_sweep_dropping_a_weight_matches_rescoring_without_it(result, sweep):
    sites = gz.rank_sites(result, top=60)
    res0 = gz.score(result.store, result.scenario.reweighted(**{EMP: 0}))
    pos = [R.cell_at(res0, x, y) for x, y in zip(sites["easting"], sites["northing"])]
    want = np.argsort(-res0.ranked[pos], kind="stable").argsort() + 1
    got = sweep[(sweep["criterion"] == EMP) & (sweep["factor"] == 0.0)]["rank"].to_numpy()
    assert np.array_equal(got, want)


def test_tornado_orders_criteria_by_swing(sweep):
    t = R.tornado(sweep)
    assert list(t["swing"]) == sorted(t["swing"], reverse=True)
    assert set(t.index) == set(sweep["criterion"])
    assert ((t["kept_low"] <= 20) & (t["kept_high"] <= 20)).all()
    site = sweep.loc[sweep["base_rank"] == 1, "site_id"].iloc[0]
    assert t.attrs["site_id"] == site
    low = sweep[(sweep["criterion"] == t.index[0]) & (sweep["site_id"] == site)
                & (sweep["factor"] == 0.0)]["rank"].iloc[0]
    assert t.iloc[0]["rank_low"] == low


# --- issue #9: bad arguments are InputErrors naming the parameter ------------------------------

from growthzones._errors import InputError  # noqa: E402


@pytest.fixture(scope="module")
def tiny_result():
    sc = parse_scenario({"criteria": {SUB: 1, EMP: 1}, "sites": {"min_separation_km": 0.5}})
    return gz.score(_two_site_store(), sc)


@pytest.mark.parametrize("kwargs, message", [
    ({"top": 0}, "top is 0; it must be a whole number >= 1"),
    ({"top": 2.5}, "top is 2.5; it must be a whole number"),
    ({"top": "3"}, "top is '3'; it must be a whole number >= 1"),
    ({"draws": 0}, "draws is 0; it must be a whole number >= 1"),
    ({"draws": -5}, "draws is -5"),
    ({"draws": 10**30}, "draws is 1000000000000000000000000000000; it must be a whole number "
                        "<= 100000"),
    ({"concentration": math.inf}, "concentration is inf; it must be a finite number"),
    ({"concentration": math.nan}, "concentration is nan; it must be a finite number"),
    ({"concentration": 0}, "concentration is 0; it must be > 0"),
    ({"concentration": -1}, "concentration is -1; it must be > 0"),
    ({"seed": -1}, "seed is -1; numpy takes seeds >= 0 only"),
    ({"seed": 1.5}, "seed is 1.5; it must be a whole number >= 0 or None"),
    ({"interval": 1}, "interval is 1; it must be < 1"),
    ({"pool": 0}, "pool is 0; it must be a whole number >= 1"),
    ({"place_radius_km": math.nan}, "place_radius_km is nan"),
    ({"sites": [1, 2]}, "sites is a list; give a DataFrame"),
])
def test_rank_stability_bad_arguments(tiny_result, kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        R.rank_stability(tiny_result, **{"draws": 5, **kwargs})


def test_rank_stability_wants_a_result():
    with pytest.raises(InputError, match="result is a str; give the output of growthzones.score"):
        R.rank_stability("result.csv")


def test_sweep_and_tornado_bad_arguments(tiny_result):
    for factors, message in (((), "factors is empty"), ("abc", "factors is 'abc'"),
                             ((1, -1), "each of factors is -1; it must be >= 0"),
                             ((1, math.nan), "each of factors is nan"), (3, "factors is 3")):
        with pytest.raises(InputError, match=re.escape(message)):
            R.sweep_weights(tiny_result, _sites(0, 1), factors=factors)
    with pytest.raises(InputError, match="top is 0"):
        R.sweep_weights(tiny_result, _sites(0, 1), top=0)
    sweep = R.sweep_weights(tiny_result, _sites(0, 1), factors=(0.5, 2), top=1)
    with pytest.raises(InputError, match="site_id 'S9' is not in the sweep"):
        R.tornado(sweep, "S9")
    with pytest.raises(InputError, match="without the columns of sweep_weights"):
        R.tornado(pd.DataFrame({"x": [1]}))
    with pytest.raises(InputError, match="dict of criterion name to weight > 0"):
        R.dirichlet_weights({"a": math.inf}, draws=3, concentration=5)


# --- issue #17: the fast Monte-Carlo gives the same table as the implementation it replaced --

def _reference_score_cells(cm, W, cells, method, **params):
    """TEST ORACLE: ``CriteriaMatrix.score_cells`` as it was before issue #17 (gather per call)."""
    from growthzones.scoring import kernels as K

    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    sub = K.Dense(cm.filled[:, cells].astype(np.float64), cm.have_matrix(cells))
    ideals = None
    if method == "topsis":
        ideals = tuple(b.astype(np.float64) for b in cm.ideals(params.get("ideal", "data")))
    if method == "owa":
        return np.stack([K.run_kernel(sub, w, method, params)[0] for w in W])
    return K.run_kernel(sub, W, method, params, ideals)[0]


def _reference_place_scores(result, W, cells, starts):
    agg = result.scenario.aggregation
    s = _reference_score_cells(result.matrix, W, cells, agg.method, **agg.params)
    s[:, result.excluded[cells]] = np.nan
    if len(starts) == len(cells):
        return s
    with np.errstate(invalid="ignore"):
        return np.fmax.reduceat(s, starts, axis=1)


def _reference_outside_share(result, sites, W, nth):
    """TEST ORACLE: ``_outside_share`` before issue #17 (per 64 draws, re-gathering the cells)."""
    from scipy.spatial import cKDTree

    store, grid = result.store, result.grid
    rows, cols = np.divmod(store.land_index, grid.width)
    xs, ys = grid.xy(rows, cols)
    d, _ = cKDTree(sites[["easting", "northing"]].to_numpy(float)).query(
        np.column_stack([xs, ys]))
    out = np.flatnonzero((d > 1000 * result.scenario.min_separation_km) & ~result.excluded
                         & ~np.isnan(result.score))
    if out.size == 0:
        return 0.0
    agg, cm = result.scenario.aggregation, result.matrix
    if agg.method in ("wlc", "owa"):
        best = cm.filled[:, out].max(axis=0)
        out = out[best >= np.nanmin(nth)]
    beats = np.zeros(len(W), dtype=bool)
    for lo in range(0, len(W), 64):
        for hi in range(0, out.size, 200_000):
            s = _reference_score_cells(cm, W[lo:lo + 64], out[hi:hi + 200_000], agg.method,
                                       **agg.params)
            best_out = np.nanmax(np.where(np.isnan(s), -np.inf, s), axis=1)
            beats[lo:lo + 64] |= best_out > nth[lo:lo + 64]
    return float(beats.mean())


def _reference_rank_stability(result, *, top, draws, concentration=50.0, seed=0, pool,
                              interval=0.9, place_radius_km=0.0):
    """TEST ORACLE: ``rank_stability`` as it was before issue #17 (batches of 256 draws)."""
    sites, cells, starts, _ = R._places(result, None, pool, place_radius_km)
    base_w = R._weights_rows(result, np.array([list(result.weights.values())]))
    base = _reference_place_scores(result, base_w, cells, starts)[0]
    base_rank = R._ranks(base[None, :])[0]
    W = R._weights_rows(result, R.dirichlet_weights(result.weights, draws=draws,
                                                    concentration=concentration, seed=seed))
    ranks = np.empty((draws, len(sites)))
    nth = np.full(draws, np.nan)
    for lo in range(0, draws, 256):
        sc = _reference_place_scores(result, W[lo:lo + 256], cells, starts)
        ranks[lo:lo + 256] = R._ranks(sc)
        srt = -np.sort(-np.where(np.isnan(sc), -np.inf, sc), axis=1)
        nth[lo:lo + 256] = srt[:, min(top, sc.shape[1]) - 1]
    q = (1 - interval) / 2
    with np.errstate(invalid="ignore"):
        table = pd.DataFrame({
            "site_id": sites["site_id"].to_numpy(),
            "rank": base_rank, "score": base,
            "p_top": np.mean(np.nan_to_num(ranks, nan=np.inf) <= top, axis=0),
            "rank_median": R._nanreduce(np.nanmedian, ranks),
            "rank_lo": R._nanquantile(ranks, q), "rank_hi": R._nanquantile(ranks, 1 - q),
            "rank_best": R._nanreduce(np.nanmin, ranks),
            "rank_worst": R._nanreduce(np.nanmax, ranks)})
    return table, _reference_outside_share(result, sites, W, nth)


def _assert_same_table(got, want):
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=False, rtol=0, atol=1e-12)


def test_the_table_is_that_of_the_reference_implementation(result):
    # The default pool (100 sites); no place outside it scores into the top 20 here.
    want, _ = _reference_rank_stability(result, top=20, draws=300, seed=0, pool=100)
    got = R.rank_stability(result, draws=300, seed=0, check_outside=False)
    _assert_same_table(got, want)


@pytest.fixture(scope="module")
def small_pool_reference(store):
    # A pool barely larger than the top 20, so places outside it often score into it.
    res = gz.score(store, gz.load_scenario())
    return res, _reference_rank_stability(res, top=20, draws=300, seed=0, pool=25)


@pytest.mark.parametrize("batch", [512, 70])  # one batch, and several (with a short last one)
def test_outside_share_is_that_of_the_reference_implementation(small_pool_reference, batch,
                                                                monkeypatch):
    res, (want, want_share) = small_pool_reference
    assert 0.05 < want_share < 0.95  # the diagnostic has something to find
    monkeypatch.setattr(R, "_BATCH", batch, raising=False)
    got = R.rank_stability(res, top=20, draws=300, seed=0, pool=25)
    _assert_same_table(got, want)
    assert got.attrs["outside_share"] == want_share


@pytest.mark.parametrize("agg", [{"method": "owa", "orness": 0.3},
                                 {"method": "owa", "orness": 0.8},
                                 {"method": "topsis"}, {"method": "topsis", "ideal": "fixed"}])
def test_outside_share_bounds_hold_for_every_aggregation(store, agg):
    # The pruning relies on every aggregation being monotone in the values: checked here
    # against the reference, which scores every outside cell under every draw.
    sc = gz.load_scenario()
    sc = parse_scenario({"criteria": {n: sc.weights[n] for n in sc.weights},
                         "aggregation": agg})
    res = gz.score(store, sc)
    draws = 12 if agg["method"] == "owa" else 24  # the reference scores OWA draw by draw
    want, want_share = _reference_rank_stability(res, top=20, draws=draws, seed=3, pool=22)
    assert 0 < want_share < 1
    got = R.rank_stability(res, top=20, draws=draws, seed=3, pool=22)
    _assert_same_table(got, want)
    assert got.attrs["outside_share"] == want_share


def test_progress_reports_every_batch_and_can_be_switched_off(result, monkeypatch, capsys):
    monkeypatch.setattr(R, "_BATCH", 64)
    seen = []
    t = R.rank_stability(result, draws=150, seed=0, pool=30,
                         progress=lambda done, total: seen.append((done, total)))
    assert seen == [(64, 150), (128, 150), (150, 150)]
    assert "outside_share" in t.attrs
    seen.clear()
    t = R.rank_stability(result, draws=150, seed=0, pool=30, check_outside=False,
                         progress=lambda done, total: seen.append((done, total)))
    assert seen == [(64, 150), (128, 150), (150, 150)] and "outside_share" not in t.attrs
    R.rank_stability(result, draws=150, seed=0, pool=30, progress=True)
    err = capsys.readouterr().err
    assert "\rdraws 64/150" in err and err.endswith("draws 150/150\n")
    with pytest.raises(InputError, match="progress is 'yes'; give True, False or a function"):
        R.rank_stability(result, draws=5, progress="yes")


def test_cli_stability_shows_progress_and_can_skip_the_diagnostic(tmp_path, capsys, monkeypatch):
    from growthzones.cli import main

    calls = []
    real = R.rank_stability
    monkeypatch.setattr(gz, "rank_stability", lambda *a, **kw: calls.append(kw) or real(*a, **kw))
    assert main(["stability", "--draws", "20", "--top", "5", "--no-outside-share",
                 "--out", str(tmp_path)]) == 0
    assert calls[0]["check_outside"] is False
    assert "draws 20/20" in capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "stability.csv")) > 0
