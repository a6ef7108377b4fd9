"""Explorer benchmark: page size, load time and input-to-redraw latency in headless Chromium.

Run from the repository root::

    python benchmarks/bench_explorer.py                      # default scenario, GB 1 km
    python benchmarks/bench_explorer.py --scenario my.toml --events 60 --method topsis

What is measured
----------------
- **size**: bytes of ``explorer.html`` (budget: 10 MB at GB 1 km, default scenario);
- **load**: from navigation to ``gzExplorer.ready`` (data inflated and decoded, first
  score, surface, sites and table drawn), with the network off; and the page's own
  split (inflate, decode, first score);
- **re-score latency**: a weight slider is focused and real key presses (DevTools
  ``Input.dispatchKeyEvent``, ArrowRight / ArrowLeft, each one ``input`` event) move it;
  for each event the page records the time from the event's timestamp to a
  ``setTimeout(0)`` queued in the next animation frame, i.e. after the frame that
  shows the new surface, sites and table was produced. Median, 90th percentile and max
  over ``--events`` presses (after 5 warm-up presses), plus the page's own split of one
  update (score, surface, sites, table).

Target (issue #12): median at most 50 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import growthzones as gz
from growthzones import explorer
from growthzones.maps._browser import Chromium


def measure(path: Path, *, events: int = 40, method: str = "wlc") -> dict:
    """Open the page in Chromium and time ``events`` slider key presses."""
    with Chromium() as browser:
        load_s = browser.open(path)
        load = browser.eval("gzExplorer.loadTimings")
        browser.eval(f"gzExplorer.setMethod({method!r})")
        browser.eval("document.getElementById('gz-w-0').focus(); true")
        for _ in range(5):                                  # warm-up (JIT)
            browser.key("ArrowRight", 39)
        browser.eval("gzExplorer.recordLatency(true); true")
        splits = []
        for i in range(events):
            if i % 2:
                browser.key("ArrowLeft", 37)
            else:
                browser.key("ArrowRight", 39)
            time.sleep(0.08)                                # let the frame land
            splits.append(browser.eval("gzExplorer.timings()"))
        lat = browser.eval("gzExplorer.latencies()")
        errors = list(browser.errors)
    lat_sorted = sorted(lat)
    return {"load_s": load_s, "load": load, "latencies": lat,
            "median_ms": statistics.median(lat), "p90_ms": lat_sorted[int(0.9 * (len(lat) - 1))],
            "max_ms": max(lat), "events": len(lat),
            "split_median": {k: statistics.median(s[k] for s in splits) for k in splits[0]},
            "errors": errors}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default=None)
    ap.add_argument("--store", default=None)
    ap.add_argument("--events", type=int, default=40)
    ap.add_argument("--method", default="wlc", choices=("wlc", "topsis"))
    ap.add_argument("--out", default=None, help="keep the page here (default: a temp folder)")
    args = ap.parse_args(argv)
    store = gz.load_layers(args.store)
    scenario = gz.load_scenario(args.scenario)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.out or tmp) / "explorer.html"
        t0 = time.perf_counter()
        explorer.write_explorer(store, scenario, path)
        write_s = time.perf_counter() - t0
        size = path.stat().st_size
        res = measure(path, events=args.events, method=args.method)
    print(f"grid {store.grid.resolution:g} m, {len(store.land_index):,} land cells, "
          f"{len(scenario.weights)} criteria, scenario {scenario.name!r}, {args.method}")
    print(f"page: {size / 1e6:.2f} MB (budget {explorer.SIZE_BUDGET_BYTES / 1e6:.0f} MB), "
          f"written in {write_s:.1f} s")
    lt = res["load"]
    print(f"load to ready: {res['load_s'] * 1000:.0f} ms (inflate {lt['inflateMs']:.0f}, "
          f"decode {lt['decodeMs']:.0f}, first score+draw {lt['firstScoreMs']:.0f} ms)")
    print(f"input -> redrawn surface+sites+table over {res['events']} key presses: median "
          f"{res['median_ms']:.1f} ms, p90 {res['p90_ms']:.1f} ms, max {res['max_ms']:.1f} ms "
          f"(target: median <= 50 ms)")
    sp = res["split_median"]
    print("one update (median): " + ", ".join(f"{k[:-2]} {v:.1f} ms" for k, v in sp.items()))
    print(f"console errors: {len(res['errors'])}")
    return 0 if res["median_ms"] <= 50 and not res["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
