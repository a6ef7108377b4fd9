"""Every figure of issue #17 beside its target, on the embedded 1 km store.

Run from the repository root::

    python benchmarks/bench_everyday.py                       # 5 runs each (stability: 3)
    python benchmarks/bench_everyday.py --runs 9 --sites 1000,10000,100000
    python benchmarks/bench_everyday.py --store-100m growthzones-store/gb_100m

Each figure is the median wall time of several runs after one warm-up, with the load
average (``os.getloadavg()``) before and after: the machine may be shared, and a load
above the core count stretches every figure (CPU seconds are printed where they help).

- ``run``: ``growthzones run`` (default scenario, map included) in a fresh process.
- ``stability``: ``rank_stability(result, draws=10000)`` with the default scenario
  (WLC), the ``outside_share`` diagnostic included; and without it.
- ``owa re-score``: ``gz.score`` with new weights each run, OWA (orness 0.3), all the
  default scenario's criteria; and the kernel alone (``CriteriaMatrix.owa``); the same
  for WLC and TOPSIS.
- ``user-site map``: ``growthzones run --sites`` with N real land points (cell centres
  drawn at random from the store), the ``map.html`` size and its load time in headless
  Chromium with the network off (navigation to the load event plus the next frame).
- ``100 m`` (only with ``--store-100m``): the peak memory of ``run --store`` beside the
  peak of loading and scoring alone, and its wall time.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _timing import load_average, median_time  # noqa: E402  (this folder)
from bench_run import TARGET_RUN_S, run_command  # noqa: E402

import growthzones as gz  # noqa: E402  (after the sys.path lines above)
from growthzones import stability  # noqa: E402
from growthzones.grid import to_wgs84  # noqa: E402
from growthzones.scenario import parse_scenario  # noqa: E402

#: Targets (issue #17): seconds, except the page size in MB.
TARGETS = {"run (1 km, map)": TARGET_RUN_S, "stability 10,000 draws": 4.0,
           "owa re-score": 0.010, "owa kernel": 0.010, "wlc re-score": 0.010,
           "topsis re-score": 0.010, "site map load": 3.0, "site map MB": 10.0}


def _fmt(label: str, value: float) -> str:
    if label.endswith("MB"):
        return f"{value:.1f} MB"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1e3:.1f} ms"


def _row(label: str, value: float, key: str | None = None) -> str:
    target = TARGETS.get(key or label)
    verdict = "" if target is None else ("  ok" if value <= target else "  OVER")
    shown = _fmt(key or label, target) if target is not None else ""
    return f"{label:34s}{_fmt(key or label, value):>10s}{shown:>10s}{verdict}"


def _counter():
    """A call counter, so each timed call of a re-score gets new weights."""
    n = iter(range(1 << 30))
    return lambda: next(n)


def kernel_rows(store, runs: int) -> list[str]:
    base = gz.load_scenario()
    names = list(base.weights)
    rng = np.random.default_rng(0)
    jitter = [rng.uniform(0.5, 1.5, len(names)) for _ in range(runs + 1)]
    result = gz.score(store, base)
    st_runs = max(1, min(runs, 3))
    seed = _counter()
    rows = [_row("stability 10,000 draws", median_time(
        lambda: stability.rank_stability(result, draws=10_000, seed=seed()), st_runs)),
        _row("  without outside_share", median_time(
            lambda: stability.rank_stability(result, draws=10_000, seed=seed(),
                                             check_outside=False), st_runs))]
    for label, agg in (("owa", {"method": "owa", "orness": 0.3}), ("wlc", {"method": "wlc"}),
                       ("topsis", {"method": "topsis"})):
        sc = parse_scenario({"criteria": dict(base.weights), "aggregation": agg})
        gz.score(store, sc)  # builds and caches the matrix (and the OWA orderings)
        i = _counter()

        def rescore(sc=sc, i=i):
            j = jitter[i() % len(jitter)]
            return gz.score(store, sc.reweighted(
                **{n: float(base.weights[n] * j[k]) for k, n in enumerate(names)}))

        rows.append(_row(f"{label} re-score ({len(names)} criteria)", median_time(rescore, runs),
                         f"{label} re-score"))
        cm = gz.score(store, sc).matrix
        w = cm.weights_vector(sc.weights)
        params = {k: v for k, v in agg.items() if k != "method"}
        k = _counter()
        rows.append(_row(f"{label} kernel ({len(names)} criteria)", median_time(
            lambda cm=cm, w=w, agg=agg, params=params, k=k: cm.score(
                w * jitter[k() % len(jitter)].astype(w.dtype), agg["method"], **params),
            runs), f"{label} kernel"))
    # the target is stated for 15 criteria (the default had 15 then; #11 added 6)
    sc15 = parse_scenario({"criteria": {n: base.weights[n] for n in names[:15]},
                           "aggregation": {"method": "owa", "orness": 0.3}})
    cm = gz.score(store, sc15).matrix
    w = cm.weights_vector(sc15.weights)
    k = _counter()
    rows.append(_row("owa kernel, first 15 criteria", median_time(
        lambda: cm.score(w * jitter[k() % len(jitter)][:15].astype(w.dtype), "owa",
                         orness=0.3), runs), "owa kernel"))
    return rows


def site_points(store, n: int, path: Path, seed: int = 0) -> Path:
    """A CSV of ``n`` real land-cell centres (lat/lon), drawn at random from ``store``."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(store.land_index), size=min(n, len(store.land_index)), replace=False)
    rows, cols = np.unravel_index(store.land_index[pick], store.grid.shape)
    x, y = store.grid.xy(rows, cols)
    lonlat = to_wgs84(x, y)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "lat", "lon"])
        for i, (lon, lat) in enumerate(lonlat):
            w.writerow([f"Site {i + 1}", f"{lat:.6f}", f"{lon:.6f}"])
    return path


def page_load_s(path: Path) -> tuple[float, int]:
    """Seconds from navigation to the load event plus one frame, and console errors."""
    from growthzones.maps._browser import Chromium

    with Chromium(timeout=600) as browser:
        t = browser.open(path, ready="new Promise(r => requestAnimationFrame("
                                     "() => setTimeout(r, 0)))")
        return t, len(browser.errors)


def site_map_rows(store, counts: list[int]) -> list[str]:
    rows = []
    for n in counts:
        with tempfile.TemporaryDirectory(prefix="gz-bench-sites-") as tmp:
            csv_path = site_points(store, n, Path(tmp) / "sites.csv")
            out = Path(tmp) / "out"
            proc = subprocess.run([sys.executable, "-m", "growthzones.cli", "run", "--sites",
                                   str(csv_path), "--out", str(out)], cwd=HERE.parent,
                                  capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                rows.append(f"{n:,} user sites: run failed: "
                            f"{proc.stderr.strip().splitlines()[-1:]}")
                continue
            page = out / "map.html"
            load, errors = page_load_s(page)
            rows.append(_row(f"site map {n:,} sites", page.stat().st_size / 1e6,
                             "site map MB"))
            rows.append(_row(f"  load in Chromium ({errors} errors)", load, "site map load"))
    return rows


def store_100m_rows(path: str, runs: int) -> list[str]:
    """Peak of ``run --store`` beside the peak of loading and scoring alone."""
    child = ("import resource, sys\nimport growthzones as gz\n"
             "gz.score(gz.load_layers(sys.argv[1]), gz.load_scenario())\n"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    score = subprocess.run([sys.executable, "-c", child, path], capture_output=True,
                           text=True, check=True)
    score_mb = int(score.stdout.split()[-1]) / 1024
    r = run_command(runs, "--store", path)
    return [f"{'100 m: load + score peak':34s}{score_mb:>8.0f} MB",
            f"{'100 m: run --store peak':34s}{r['peak_mb']:>8.0f} MB  (the map's arrays on top: "
            f"{r['peak_mb'] - score_mb:+.0f} MB)",
            _row("100 m: run --store wall", r["wall"]) + f"  (CPU {r['cpu']:.1f} s)"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sites", default="1000,10000",
                    help="user-site counts for the map figures, comma-separated ('' skips)")
    ap.add_argument("--store-100m", default=None, help="a 100 m store folder (optional)")
    args = ap.parse_args(argv)
    store = gz.load_layers()
    load0 = load_average()
    r = run_command(args.runs)
    rows = [_row("run (1 km, map)", r["wall"]) + f"  (CPU {r['cpu']:.2f} s, map "
                                                 f"{r['map_mb']:.1f} MB)"]
    rows += kernel_rows(store, args.runs)
    rows += site_map_rows(store, [int(n) for n in args.sites.split(",") if n.strip()])
    if args.store_100m:
        rows += store_100m_rows(args.store_100m, max(1, min(args.runs, 3)))
    else:
        rows.append("100 m: not measured (give --store-100m <a 100 m store>)")
    print(f"growthzones everyday figures (issue #17), 1 km store ({len(store.land_index):,} "
          f"land cells), median of {args.runs} runs (stability: {max(1, min(args.runs, 3))})")
    print(f"{'':34s}{'median':>10s}{'target':>10s}")
    print("\n".join(rows))
    print(f"load average (1, 5, 15 min): before {load0}; after {load_average()}; "
          f"{os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
