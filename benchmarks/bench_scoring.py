"""Scoring benchmark: growthzones vs scikit-criteria vs pymcdm at GB 1 km and GB 100 m.

Run from the repository root (scikit-criteria and pymcdm are benchmark-only deps)::

    python benchmarks/bench_scoring.py                 # 1 km here, then 100 m in a fresh process
    python benchmarks/bench_scoring.py --grid 1000     # one grid only
    python benchmarks/bench_scoring.py --store /tmp/store/gb_1000m --scenario my.toml

What is measured
----------------
1. The library comparison: one decision matrix, the scenario's transformed criteria
   (float64, every criterion oriented "more is better") on the land cells where every
   criterion has data, with the scenario's normalised weights. Each library scores it by
   WSM (weighted sum) and TOPSIS (no further normalisation: the transforms are the
   normalisation). Ranks are dense, best first (scikit-criteria's rule), computed from each
   library's scores rounded to 12 decimals (see ``dense_rank``); "identical" means every
   cell has the same rank in all three.
   growthzones is timed warm (its cached :class:`CriteriaMatrix`, what a re-score costs)
   and cold (stacking the matrix plus the first score).
2. The targets: the production re-score (float32 cache, new weights each time, exclusions
   applied) through the public ``growthzones.score``; at 1 km also with the top 20 sites
   and their high-score regions re-extracted (``ranking.top_sites``, the geometry-free
   core proposed for ``rank_sites``), and the current ``rank_sites`` for reference.
   Peak memory at 100 m: the process's peak resident set (``ru_maxrss``) after the
   growthzones part (a fresh process, before the other libraries load anything), and the
   ``tracemalloc`` peak of one re-score.

The 100 m decision matrix is the real 1 km layer store upsampled 10 x 10 (each 1 km land
cell becomes 100 cells with its values: 22.9 M land cells, the size of a real 100 m GB
grid), held as land-cell vectors only; no 2-D 100 m rasters are built.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _timing import median_time  # noqa: E402  (this folder)

import growthzones as gz  # noqa: E402
from growthzones import ranking, scoring, stability  # noqa: E402
from growthzones.grid import GridSpec  # noqa: E402
from growthzones.store import LayerStore  # noqa: E402

TARGETS = {"rescore_1km_ms": 10.0, "rescore_sites_1km_ms": 50.0, "rescore_100m_s": 1.5,
           "peak_100m_gib": 4.0}


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # KiB on Linux


def upsample_store(store: LayerStore, factor: int, names: list[str]) -> LayerStore:
    """The store on a ``factor`` times finer grid: each land cell split into factor**2.

    Only the land-cell vectors of ``names`` are served (no 2-D rasters), which is all
    scoring reads. Local-authority lookups are not carried over.
    """
    g = store.grid
    fine = GridSpec(resolution=g.resolution / factor, bounds=g.bounds, crs=g.crs)
    land = np.repeat(np.repeat(store.land, factor, axis=0), factor, axis=1)
    land_index = np.flatnonzero(land.ravel())
    rows, cols = np.divmod(land_index, fine.width)
    parent = np.searchsorted(store.land_index, (rows // factor) * g.width + cols // factor)
    del rows, cols
    manifest = dict(store.manifest, grid=fine.to_dict())
    coarse = {n: store.vector(n) for n in names}
    # Fine vectors are made on demand and not kept: scoring caches what it derives, so
    # raw 100 m layers never all sit in memory at once (as with a file-backed store).
    out = LayerStore(path=store.path, grid=fine, land=land, la_index=np.zeros((1, 1), np.int16),
                     las=store.las, places=store.places, manifest=manifest, layers={},
                     reader=lambda n: coarse[n][parent])
    out._vectors["_land"] = land_index
    gc.collect()
    return out


def decision_matrix(store: LayerStore, scenario) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(n, k) float64 transformed criteria on complete cells, and the normalised weights.

    The other libraries take no missing values: if no cell has every criterion, the
    criteria with gaps are left out of the comparison (and named).
    """
    names = list(scenario.weights)
    cols = [scoring.transformed(store, n, scenario.criterion(n).direction,
                                scenario.criterion(n).transform, np.float64) for n in names]
    m = np.column_stack(cols)
    if not (~np.isnan(m).any(axis=1)).any():
        keep = ~np.isnan(m).any(axis=0)
        print(f"  (no cell has all {len(names)} criteria; the library comparison leaves out "
              f"those with gaps: {', '.join(n for n, k in zip(names, keep) if not k)})")
        m, names = m[:, keep], [n for n, k in zip(names, keep) if k]
    m = m[~np.isnan(m).any(axis=1)]
    w = np.array([scenario.weights[n] for n in names])
    return m, w / w.sum(), names


def dense_rank(score: np.ndarray) -> np.ndarray:
    """1 = best; equal scores share a rank (scikit-criteria's ``rank_values``).

    Scores are rounded to 12 decimals first: the libraries add the same terms in different
    orders, so scores equal in exact arithmetic differ by ~1e-16 and would otherwise split
    ties at random.
    """
    from scipy.stats import rankdata

    return rankdata(-np.round(score, 12), method="dense").astype(np.int64)


def _compare_one(label, ours, ours_reset, sk_model, pm_model, dm, matrix, w, build_s, repeats):
    """Time one method in the three libraries and compare their scores and ranks."""
    k = matrix.shape[1]
    ours_reset()
    t = time.perf_counter()
    s_gz = ours()
    cold = build_s + time.perf_counter() - t
    warm = median_time(ours, repeats)
    rk = sk_model.evaluate(dm)
    t_sk = median_time(partial(sk_model.evaluate, dm), max(1, repeats // 10))
    s_sk = np.asarray(rk.e_.score if label.startswith("WSM") else rk.e_.similarity)
    pm_call = partial(pm_model, matrix, w, np.ones(k), validation=False)
    s_pm = pm_call()
    t_pm = median_time(pm_call, max(1, repeats // 10))
    r_gz, r_sk, r_pm = dense_rank(s_gz), dense_rank(s_sk), dense_rank(s_pm)
    return {"method": label, "cells": matrix.shape[0], "criteria": k,
            "growthzones_warm_ms": 1e3 * warm, "growthzones_cold_ms": 1e3 * cold,
            "scikit_criteria_ms": 1e3 * t_sk, "pymcdm_ms": 1e3 * t_pm,
            "ranks_identical": bool(np.array_equal(r_gz, r_sk) and np.array_equal(r_gz, r_pm)),
            "max_abs_score_diff": float(max(np.max(np.abs(s_gz - s_sk)),
                                            np.max(np.abs(s_gz - s_pm))))}


def compare_libraries(matrix: np.ndarray, w: np.ndarray, names: list[str], repeats: int):
    """Rows of the comparison table for WSM and TOPSIS on one decision matrix."""
    import skcriteria as skc
    from pymcdm import methods as pm
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS

    k = matrix.shape[1]
    t = time.perf_counter()
    cm = scoring.CriteriaMatrix(names, [np.ascontiguousarray(matrix[:, j]) for j in range(k)])
    build_s = time.perf_counter() - t
    dm = skc.mkdm(matrix, objectives=[max] * k, weights=w, criteria=names)

    def identity(x, cost):  # the transforms already normalised every criterion to [0, 1]
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            _compare_one("WSM / WLC", lambda: cm.wlc(w)[0], lambda: None, WeightedSumModel(),
                         pm.WSM(normalization_function=identity), dm, matrix, w, build_s,
                         repeats),
            _compare_one("TOPSIS", lambda: cm.topsis(w)[0], cm._parts.clear, TOPSIS(),
                         pm.TOPSIS(normalization_function=identity), dm, matrix, w, build_s,
                         repeats)]


def print_comparison(grid_label: str, rows) -> None:
    print(f"\nSame decision matrix, {grid_label}: {rows[0]['cells']:,} complete land cells x "
          f"{rows[0]['criteria']} criteria (float64)")
    print(f"{'method':<10} {'growthzones warm':>17} {'growthzones cold':>17} "
          f"{'scikit-criteria':>16} {'pymcdm':>10} {'ranks identical':>16} {'max |dscore|':>13}")
    for r in rows:
        print(f"{r['method']:<10} {r['growthzones_warm_ms']:>14.2f} ms "
              f"{r['growthzones_cold_ms']:>14.1f} ms "
              f"{r['scikit_criteria_ms']:>13.1f} ms {r['pymcdm_ms']:>7.1f} ms "
              f"{'yes' if r['ranks_identical'] else 'NO':>16} {r['max_abs_score_diff']:>13.1e}")


def scenario_draws(scenario, n: int, seed: int = 1):
    """``n`` re-weighted copies of ``scenario`` (Dirichlet around its weights)."""
    W = stability.dirichlet_weights(scenario.weights, draws=n, concentration=20, seed=seed)
    return [scenario.reweighted(**dict(zip(scenario.weights, w))) for w in W]


def _fmt_target(value, target, unit) -> str:
    ok = value <= target
    return f"{value:.3g} {unit} (target <= {target:g} {unit}: {'met' if ok else 'NOT met'})"


def _rescore_median(store, scenarios, repeats: int, *, parse=False, then=None) -> float:
    """Median seconds of ``score`` over scenarios taken in turn (new weights every call)."""
    it = itertools.cycle(scenarios)

    def once():
        sc = next(it)
        res = gz.score(store, sc.reweighted() if parse else sc)
        if then is not None:
            then(res)

    return median_time(once, repeats)


def bench_1km(store_path, scenario_path, repeats: int) -> None:
    store = gz.load_layers(store_path)
    scenario = gz.load_scenario(scenario_path)
    print(f"GB 1 km: {len(store.land_index):,} land cells; scenario {scenario.name!r}: "
          f"{len(scenario.weights)} criteria ({', '.join(scenario.weights)}), exclusions: "
          f"{', '.join(scenario.exclusions) or 'none'}")
    matrix, w, names = decision_matrix(store, scenario)
    print_comparison("GB 1 km", compare_libraries(matrix, w, names, repeats))

    print("\nProduction re-score at 1 km (float32 cache, new weights every call, exclusions "
          "applied), medians:")
    t = time.perf_counter()
    first = gz.score(store, scenario)
    print(f"  first score (transform + stack the criteria, once): "
          f"{1e3 * (time.perf_counter() - t):.1f} ms")
    exact = gz.score(store, scenario, dtype=np.float64)
    same = (ranking.top_sites(first, top=20)["pos"].tolist()
            == ranking.top_sites(exact, top=20)["pos"].tolist())
    print(f"  float32 vs float64 scores: max |d| = "
          f"{np.nanmax(np.abs(first.score - exact.score)):.1e}; top-20 sites "
          f"{'identical' if same else 'DIFFER'}")
    for method, params in (("wlc", {}), ("topsis", {}), ("owa", {"orness": 0.3})):
        sc = scenario.updated({"aggregation": {"method": method, **params}})
        draws = scenario_draws(sc, repeats)
        t_score = _rescore_median(store, draws, repeats)
        t_parse = _rescore_median(store, draws, repeats, parse=True)
        print(f"  {method:<6} re-score: "
              f"{_fmt_target(1e3 * t_score, TARGETS['rescore_1km_ms'], 'ms')}; "
              f"with scenario.reweighted() parsing too: {1e3 * t_parse:.2f} ms")
        if method != "wlc":
            continue
        t_sites = _rescore_median(store, draws, repeats // 2,
                                  then=partial(ranking.top_sites, top=20))
        print(f"  wlc    re-score + top-20 sites and regions re-extracted (ranking.top_sites): "
              f"{_fmt_target(1e3 * t_sites, TARGETS['rescore_sites_1km_ms'], 'ms')}")
        res = gz.score(store, draws[0])
        t_rs = median_time(partial(gz.rank_sites, res, top=20), 10)
        print(f"         for reference, current ranking.rank_sites(top=20) alone (names, "
              f"councils, lat/lon, GeoDataFrame): {1e3 * t_rs:.1f} ms")
        t_stab = median_time(partial(stability.rank_stability, res, draws=1000, seed=0), 2)
        print(f"         rank_stability(1000 Dirichlet draws, pool 100): {t_stab:.2f} s")


def bench_100m(store_path, scenario_path, repeats: int) -> None:
    store1 = gz.load_layers(store_path)
    scenario = gz.load_scenario(scenario_path)
    names = list(dict.fromkeys([c.name for c in scenario.criteria] + list(scenario.exclusions)
                               + [c.name for c in scenario.constraints]))
    t = time.perf_counter()
    store = upsample_store(store1, 10, names)
    del store1
    gc.collect()
    print(f"\nGB 100 m (the real 1 km layers upsampled 10 x 10: {len(store.land_index):,} land "
          f"cells, built in {time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    gz.score(store, scenario)
    print(f"  first score (transform + stack the criteria, once): "
          f"{time.perf_counter() - t:.2f} s")
    draws = scenario_draws(scenario, max(repeats // 20, 7))
    t_score = _rescore_median(store, draws, len(draws))
    tracemalloc.start()
    res = gz.score(store, draws[0])
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _peak_rss_gib()
    print(f"  wlc    re-score: {_fmt_target(t_score, TARGETS['rescore_100m_s'], 's')}")
    print(f"  peak memory of the process so far (ru_maxrss): "
          f"{_fmt_target(peak, TARGETS['peak_100m_gib'], 'GiB')}")
    print(f"  memory allocated by one re-score (tracemalloc peak): "
          f"{traced_peak / 2 ** 20:.0f} MiB; cached matrix: {res.matrix.nbytes / 2 ** 20:.0f} MiB")
    del res
    for method, params in (("topsis", {}), ("owa", {"orness": 0.3})):
        sc = scenario.updated({"aggregation": {"method": method, **params}})
        t = time.perf_counter()
        gz.score(store, sc)
        first = time.perf_counter() - t
        t2 = _rescore_median(store, scenario_draws(sc, 5), 5)
        print(f"  {method:<6} re-score: {t2:.2f} s (first, building its cache: {first:.1f} s)")
    matrix, w, names = decision_matrix(store, scenario)
    scoring.clear_cache(store)
    del store
    gc.collect()
    # scikit-criteria holds ~15 copies of the float64 matrix while it scores; keep the
    # comparison within this machine's memory by using the highest-weighted criteria.
    budget = 0.6 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    k_max = max(1, int(budget // (15 * 8 * matrix.shape[0])))
    label = "GB 100 m"
    if len(names) > k_max:
        keep = np.sort(np.argsort(-w, kind="stable")[:k_max])
        print(f"\n  (the library comparison at 100 m uses the {k_max} highest-weighted criteria: "
              f"scikit-criteria would need ~{15 * 8 * matrix.nbytes / 8 / 2 ** 30:.0f} GiB for "
              f"all {len(names)}; this machine has {budget / 0.6 / 2 ** 30:.0f} GiB)")
        matrix, w, names = np.ascontiguousarray(matrix[:, keep]), w[keep] / w[keep].sum(), \
            [names[i] for i in keep]
        label = f"GB 100 m, {k_max} criteria"
    print_comparison(label, compare_libraries(matrix, w, names, repeats=5))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--grid", choices=["all", "1000", "100"], default="all")
    p.add_argument("--store", type=Path, default=None,
                   help="1 km layer store (default: the embedded growthzones/data/gb_1000m)")
    p.add_argument("--scenario", type=Path, default=None,
                   help="scenario TOML or built-in name (default: default)")
    p.add_argument("--repeats", type=int, default=200, help="timed re-scores at 1 km")
    args = p.parse_args(argv)
    if args.grid != "100":
        print(f"growthzones {gz.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
              f"python {sys.version.split()[0]}")
    if args.grid in ("all", "1000"):
        bench_1km(args.store, args.scenario, args.repeats)
    if args.grid == "100":
        bench_100m(args.store, args.scenario, args.repeats)
    elif args.grid == "all":
        # A fresh process, so its peak memory is the 100 m run's alone.
        cmd = [sys.executable, __file__, "--grid", "100", "--repeats", str(args.repeats)]
        for opt in ("store", "scenario"):
            if getattr(args, opt):
                cmd += [f"--{opt}", str(getattr(args, opt))]
        sys.stdout.flush()
        return subprocess.call(cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
