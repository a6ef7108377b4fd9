"""`growthzones run --store <100 m store>` benchmark (issues #15 item 4, #17 item 5).

Run from the repository root::

    python benchmarks/bench_bigrun.py --store /path/to/gb_100m      # run wall/peak, re-score
    python benchmarks/bench_bigrun.py --store DIR --runs 3
    python benchmarks/bench_bigrun.py --make-standin /tmp/gb100_standin   # see below

What is measured
----------------
1. ``python -m growthzones.cli run --store STORE --out <tmp>`` (default scenario, map
   included) from this checkout, ``--runs`` times in a fresh subprocess each: wall time and
   the child's peak resident memory (``ru_maxrss``), median, against the targets of
   #15 (<= 30 s, <= 4 GB); the map's size and the resolution it was drawn at.
2. In this process: ``score`` once (reads and caches the criteria), then the median of
   ``--repeats`` re-scores with new weights (target <= 0.5 s at 100 m), the scoring peak
   (``ru_maxrss`` after scoring, for #17's "the run's peak does not exceed the scoring
   peak by more than the map's own arrays"), and ``rank_sites`` alone.

``--make-standin DIR`` writes a GB-sized 100 m store when no real one is at hand: the
embedded 1 km store with every raster repeated 10 x 10 (the same files, manifest and
tables; tiled, deflated, with the build's internal overviews). Its values are the 1 km
ones, so it measures time and memory, not results. It takes ~10 minutes on a busy
2-core machine and ~1.5 GB of disk.

All figures are printed with the machine's load average: it is shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _timing import load_average  # noqa: E402

TARGET_RUN_S = 30.0
TARGET_RUN_GB = 4.0
TARGET_RESCORE_S = 0.5


def _run_once(store: Path) -> tuple[float, float, Path]:
    """Wall seconds and peak GB of one ``run`` in a fresh process, and its map."""
    out = Path(tempfile.mkdtemp(prefix="gz-bigrun-"))
    cmd = [sys.executable, "-c",
           "import atexit, resource, sys\n"
           "atexit.register(lambda: print('MAXRSS', resource.getrusage("
           "resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
           "from growthzones.cli import console\n"
           "console()\n",
           "run", "--store", str(store), "--out", str(out / "run")]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = max(int(line.split()[1]) for line in proc.stderr.splitlines()
               if line.startswith("MAXRSS"))
    return wall, peak / 2**20, out / "run" / "map.html"


def bench_run(store: Path, runs: int) -> None:
    walls, peaks = [], []
    for _ in range(runs):
        wall, peak, page = _run_once(store)
        walls.append(wall)
        peaks.append(peak)
        note = ""
        text = page.read_text(encoding="utf-8")
        at = text.find("Map drawn at ")
        if at >= 0:
            note = text[at:text.find(" from", at)]
        print(f"  run: {wall:6.1f} s wall, peak {peak:5.2f} GB, map.html "
              f"{page.stat().st_size / 1e6:.1f} MB{'; ' + note if note else ''}  "
              f"[load {load_average()}]")
        shutil.rmtree(page.parent.parent, ignore_errors=True)
    w, p = float(np.median(walls)), float(np.median(peaks))
    print(f"run --store: median {w:.1f} s (target <= {TARGET_RUN_S:g} s: "
          f"{'met' if w <= TARGET_RUN_S else 'NOT met'}), peak {p:.2f} GB (target <= "
          f"{TARGET_RUN_GB:g} GB: {'met' if p <= TARGET_RUN_GB else 'NOT met'})")


def bench_scoring(store_path: Path, repeats: int) -> None:
    import growthzones as gz

    store = gz.load_layers(store_path)
    scenario = gz.load_scenario()
    t = time.perf_counter()
    result = gz.score(store, scenario)
    first = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    names = list(scenario.weights)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(repeats):
        w = dict(zip(names, rng.uniform(0.5, 2.0, len(names))))
        sc = gz.load_scenario(weights=w)
        t = time.perf_counter()
        gz.score(store, sc)
        times.append(time.perf_counter() - t)
    med = float(np.median(times))
    t = time.perf_counter()
    gz.rank_sites(result)
    rank = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"score (first, reads the store): {first:.1f} s; scoring peak {peak:.2f} GB "
          f"({len(store.land_index):,} land cells at {store.grid.resolution:g} m)")
    print(f"re-score: median {med:.3f} s of {repeats} (target <= {TARGET_RESCORE_S:g} s: "
          f"{'met' if med <= TARGET_RESCORE_S else 'NOT met'})  [load {load_average()}]")
    print(f"rank_sites: {rank:.2f} s; peak after it {after:.2f} GB")


def make_standin(out: Path, repeat: int = 10) -> None:
    """The embedded 1 km store with every raster repeated ``repeat`` x ``repeat``."""
    import rasterio

    from growthzones.blocks import build_overviews
    from growthzones.grid import GridSpec
    from growthzones.io import atomic_path, raster_profile
    from growthzones.store import default_store_path

    src = default_store_path()
    if out.exists():
        sys.exit(f"{out} exists; give a new folder")
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(src, staging, ignore=shutil.ignore_patterns("*.tif"))
    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    g = manifest["grid"]
    grid = GridSpec(resolution=g["resolution"] / repeat, bounds=tuple(g["bounds"]),
                    crs=g["crs"])
    manifest["grid"]["resolution"] = grid.resolution
    manifest["command"] = f"benchmarks/bench_bigrun.py --make-standin (1 km x {repeat})"
    tifs = sorted(src.rglob("*.tif"))
    t0 = time.perf_counter()
    for k, f in enumerate(tifs, 1):
        rel = f.relative_to(src)
        with rasterio.open(f) as s:
            arr = s.read(1)
        dst = staging / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        profile = raster_profile(grid, arr.dtype, nodata=None if arr.dtype.kind != "f"
                                 else np.nan)
        with atomic_path(dst) as tmp, rasterio.open(tmp, "w", **profile) as d:
            band = 256 // repeat + 1  # source rows per written band
            for r0 in range(0, arr.shape[0], band):
                block = np.repeat(np.repeat(arr[r0:r0 + band], repeat, 0), repeat, 1)
                d.write(block, 1, window=rasterio.windows.Window(
                    0, r0 * repeat, block.shape[1], block.shape[0]))
        build_overviews(dst)
        print(f"  {k}/{len(tifs)} {rel} ({time.perf_counter() - t0:.0f} s)", flush=True)
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    staging.rename(out)
    print(f"wrote {out} ({grid.height} x {grid.width} cells at {grid.resolution:g} m)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, help="a 100 m store (e.g. gb_100m)")
    ap.add_argument("--runs", type=int, default=1, help="runs of the command (default 1)")
    ap.add_argument("--repeats", type=int, default=5, help="re-scores timed (default 5)")
    ap.add_argument("--no-run", action="store_true", help="only the in-process figures")
    ap.add_argument("--make-standin", type=Path, metavar="DIR",
                    help="write a GB-sized 100 m stand-in store from the 1 km one")
    args = ap.parse_args()
    if args.make_standin is not None:
        make_standin(args.make_standin)
        return
    if args.store is None:
        ap.error("give --store DIR (or --make-standin DIR)")
    print(f"store {args.store}  [load {load_average()}]")
    if not args.no_run:
        bench_run(args.store, args.runs)
    bench_scoring(args.store, args.repeats)


if __name__ == "__main__":
    main()
