"""The everyday timings of issue #17 beside their targets, on the embedded 1 km store.

Run from the repository root::

    python benchmarks/bench_everyday.py            # 5 runs each (stability: 3)
    python benchmarks/bench_everyday.py --runs 9

Each figure is the median wall time of several runs after one warm-up, with the load
average (``os.getloadavg()``) before and after: the machine may be shared, and a load
above the core count stretches every figure.

- ``stability``: ``rank_stability(result, draws=10000)`` with the default scenario
  (WLC), the ``outside_share`` diagnostic included; and without it.
- ``owa re-score``: ``gz.score`` with new weights each run, OWA (orness 0.3), all 15
  criteria; and the kernel alone (``CriteriaMatrix.owa``).
- ``wlc`` / ``topsis re-score``: the same for WLC and TOPSIS.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import growthzones as gz
from growthzones import stability
from growthzones.scenario import parse_scenario

#: Targets in seconds (issue #17 items 2 and 3; the re-score target of bench_scoring.py).
TARGETS = {"stability 10,000 draws": 4.0, "owa re-score": 0.010, "owa kernel": 0.010,
           "wlc re-score": 0.010, "topsis re-score": 0.010}


def median_time(fn, runs: int) -> float:
    """Median wall time of ``fn(i)`` over ``runs`` calls, after one warm-up call."""
    fn(-1)
    ts = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def _fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.1f} ms"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    store = gz.load_layers()
    base = gz.load_scenario()
    names = list(base.weights)
    rng = np.random.default_rng(0)
    jitter = [rng.uniform(0.5, 1.5, len(names)) for _ in range(args.runs + 1)]

    def scenario(agg):
        return parse_scenario({"criteria": dict(base.weights), "aggregation": agg})

    rows = []
    load0 = os.getloadavg()
    result = gz.score(store, base)
    rows.append(("stability 10,000 draws", median_time(
        lambda i: stability.rank_stability(result, draws=10_000, seed=max(i, 0)),
        max(1, min(args.runs, 3)))))
    rows.append(("  without outside_share", median_time(
        lambda i: stability.rank_stability(result, draws=10_000, seed=max(i, 0),
                                           check_outside=False), max(1, min(args.runs, 3)))))
    for label, agg in (("owa", {"method": "owa", "orness": 0.3}), ("wlc", {"method": "wlc"}),
                       ("topsis", {"method": "topsis"})):
        sc = scenario(agg)
        gz.score(store, sc)  # builds and caches the matrix (and the OWA orderings)
        rows.append((f"{label} re-score", median_time(
            lambda i, sc=sc: gz.score(store, sc.reweighted(
                **{n: float(base.weights[n] * jitter[i][j]) for j, n in enumerate(names)})),
            args.runs)))
        cm = gz.score(store, sc).matrix
        w = cm.weights_vector(sc.weights)
        params = {k: v for k, v in agg.items() if k != "method"}
        rows.append((f"{label} kernel", median_time(
            lambda i, cm=cm, w=w, agg=agg, params=params: cm.score(
                w * jitter[i].astype(w.dtype), agg["method"], **params), args.runs)))
    load1 = os.getloadavg()
    print(f"growthzones everyday timings, 1 km store ({result.matrix.n:,} land cells, "
          f"{result.matrix.k} criteria), median of {args.runs} runs "
          f"(stability: {max(1, min(args.runs, 3))})")
    print(f"{'':28s}{'median':>10s}{'target':>10s}")
    for label, t in rows:
        target = TARGETS.get(label)
        verdict = "" if target is None else ("  ok" if t <= target else "  OVER")
        print(f"{label:28s}{_fmt(t):>10s}{_fmt(target) if target else '':>10s}{verdict}")
    print(f"load average (1, 5, 15 min): before {', '.join(f'{x:.2f}' for x in load0)}; "
          f"after {', '.join(f'{x:.2f}' for x in load1)}; {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
