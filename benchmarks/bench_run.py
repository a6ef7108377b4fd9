"""`growthzones run` benchmark (issue #17): the whole command at 1 km, and its steps.

Run from the repository root::

    python benchmarks/bench_run.py                 # 5 runs of the command + the steps
    python benchmarks/bench_run.py --runs 9 --repeats 7
    python benchmarks/bench_run.py --quick         # 2 runs, 2 repeats: a smoke test
    python benchmarks/bench_run.py --tif-100m      # also score.tif at 100 m (~1 min)

What is measured
----------------
1. ``python -m growthzones.cli run --out <tmp>`` (default scenario, map included) from
   this checkout, ``--runs`` times in a fresh subprocess each, after two uncounted
   warm-up runs (bytecode, then an empty disk cache filled: its time is printed): the
   median wall time against the target (<= 3 s), the median CPU time of the child
   (user + system; less sensitive to other load on the machine), its peak
   RSS and the load average before and after. The page size is that of the
   ``map.html`` written. The children compile their bytecode once into a cache of
   their own (``PYTHONPYCACHEPREFIX``) even where ``PYTHONDONTWRITEBYTECODE`` is set:
   an installed package has its bytecode, and recompiling the package on every run
   would add ~0.5 s that no user pays.
2. In this process, warm (layers read, bytecode loaded), the steps the command runs,
   one at a time: scoring, picking the sites, the other network years, the timeline,
   the files beside the map, and the map: the shared reprojection index, the PNG
   overlays (score, excluded land, exclusions, other network years), the codes of the
   criterion surfaces the page draws itself, the identify data, the regions, then
   ``render_map`` and ``map_html`` as a whole, and ``render_map`` once
   ``prepare_map`` has made its parts (as in the command, which starts it while scoring). The command runs some of them at the
   same time (its threads), so the steps add up to more than its wall time; scoring
   here re-uses the criteria matrix the first score built (as a notebook does), while
   the command builds it once per network year.
3. ``score.tif``: ``io.write_raster`` at the level it uses now and at level 9, at 1 km,
   and with ``--tif-100m`` on the 1 km score upsampled 10 x 10 (the size of a 100 m grid).

All times are medians; the machine is shared, so the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
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

from _timing import load_average, median_time  # noqa: E402  (this folder)

import growthzones as gz  # noqa: E402  (after the sys.path line above)
from growthzones import io  # noqa: E402

TARGET_RUN_S = 3.0


#: The child: the command as installed (``growthzones.cli.console``, which exits without
#: the interpreter's teardown), reporting its own peak RSS (KiB) on its last stderr line.
_CHILD = ("import atexit, resource, sys\n"
          "atexit.register(lambda: print('peak-kib', resource.getrusage("
          "resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
          "from growthzones.cli import console\n"
          "console()\n")


def _child_env(cache: str) -> dict:
    """The environment of a timed child: this checkout first, bytecode and the disk cache
    (:mod:`growthzones.cache`) in the empty folder ``cache``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(cache) / "pyc")
    env["GROWTHZONES_CACHE"] = str(Path(cache) / "growthzones")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def run_command(runs: int, *extra: str) -> dict:
    """``growthzones run --out <tmp> *extra`` ``runs`` times in fresh subprocesses.

    Two warm-up runs first, not counted: one compiles the bytecode (with a disk cache of
    its own, then dropped), the next fills an empty disk cache, as a user's first run on
    a machine does (its wall time is returned as ``first``). Returns the median wall and
    CPU seconds (user + system of the child), the largest peak RSS of a run (MB), the
    ``map.html`` size (MB) of the last run and every wall time.
    """
    walls, cpus, peaks, size, first = [], [], [], 0, None
    with tempfile.TemporaryDirectory(prefix="gz-bench-cache-") as cache:
        env = _child_env(cache)
        for k in range(-1, runs + 1):
            if k < 1:  # the compiling run's cache is not the measured runs'
                shutil.rmtree(env["GROWTHZONES_CACHE"], ignore_errors=True)
            with tempfile.TemporaryDirectory(prefix="gz-bench-run-") as out:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                proc = subprocess.run([sys.executable, "-c", _CHILD, "run", "--out", out,
                                       *extra], cwd=REPO, env=env, capture_output=True,
                                      text=True, check=False)
                wall = time.perf_counter() - t
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if proc.returncode != 0:
                    sys.exit(f"growthzones run failed ({proc.returncode}):\n{proc.stderr}")
                if k == 0:  # the first run with the bytecode compiled
                    first = wall
                if k < 1:
                    continue
                walls.append(wall)
                cpus.append(after.ru_utime - before.ru_utime
                            + after.ru_stime - before.ru_stime)
                peaks.append(int(proc.stderr.split("peak-kib")[-1]) / 1024)
                size = (Path(out) / "map.html").stat().st_size / 1e6
    return {"wall": float(np.median(walls)), "cpu": float(np.median(cpus)),
            "peak_mb": max(peaks), "map_mb": size, "walls": walls, "first": first}


def bench_command(runs: int) -> dict:
    print(f"growthzones run at 1 km, {runs} runs (+2 warm-up); load average before: "
          f"{load_average()}")
    r = run_command(runs)
    print(f"  first run on a machine (empty disk cache): {r['first']:.2f} s")
    print("  wall per run: " + ", ".join(f"{w:.2f} s" for w in r["walls"]))
    print(f"  median wall {r['wall']:.2f} s  (target <= {TARGET_RUN_S:.1f} s: "
          f"{'met' if r['wall'] <= TARGET_RUN_S else 'NOT met'}); median CPU "
          f"{r['cpu']:.2f} s; peak {r['peak_mb']:.0f} MB; map.html {r['map_mb']:.2f} MB")
    print(f"  load average after: {load_average()}")
    return r


def bench_steps(repeats: int) -> None:
    """The run path's steps in this process, warm, one at a time (see the docstring)."""
    from growthzones import outputs, timeline
    from growthzones.maps import _identify, _reference, _surfaces, page, raster

    store = gz.load_layers()
    scenario = gz.load_scenario("default")
    result = gz.score(store, scenario)
    sites = gz.rank_sites(result)
    years = timeline.network_year_results(result)
    meta = store.meta
    criteria = [n for n, i in meta.items() if i.get("kind", "criterion") == "criterion"]
    exclusions = [n for n, i in meta.items() if i.get("kind") == "exclusion"]
    others = _surfaces._other_network_years(result)
    warp = raster._MercatorWarp(result.grid)
    warp.gather  # noqa: B018 (the PNG steps below reuse it, as a map does)
    vpal, mpal = raster._viridis_palette(), raster._mask_palette()

    def fresh_gather() -> None:
        raster._MercatorWarp(result.grid).gather  # noqa: B018

    def pngs() -> int:
        urls = [page._overlay_url(warp, _surfaces._score_index(result)[0], vpal),
                page._overlay_url(warp, raster._mask_index(result.surface("excluded")), mpal)]
        urls += [page._overlay_url(warp, raster._mask_index(store.layer(n)), mpal)
                 for n in exclusions]
        urls += [page._overlay_url(warp, _surfaces._score_index(o)[0], vpal)
                 for _, o in others]
        return len(urls)

    def lazy_codes() -> int:
        return sum(len(raster._land_codes(_surfaces._criterion_codes(result, n)[0]))
                   for n in criteria)

    def files(tmp: str) -> None:
        outputs.write_outputs(result, sites, tmp, map=False, log=None, timeline=None)

    made = page.render_map(result, sites)
    steps = [
        ("score, re-weighted (matrix cached)", lambda: gz.score(store, scenario.reweighted(
            **{n: w * 1.0001 for n, w in scenario.weights.items()}))),
        ("rank_sites", lambda: gz.rank_sites(result)),
        ("other network years (cached)", lambda: timeline.network_year_results(result)),
        ("site timeline", lambda: timeline.site_timeline(result, sites, results=years)),
        ("map: reprojection index", fresh_gather),
        (f"map: {2 + len(exclusions) + len(others)} PNG overlays", pngs),
        (f"map: {len(criteria)} lazily drawn surfaces", lazy_codes),
        ("map: identify data", lambda: _identify.identify_payload(result)),
        ("map: site regions", lambda: _reference.regions_geojson(result, sites)),
        ("map: render_map (threads)", lambda: page.render_map(result, sites)),
        ("map: map_html", lambda: page.map_html(made)),
    ]
    print(f"\nsteps of the run at 1 km, warm, median of {repeats}; load {load_average()}")
    for label, fn in steps:
        print(f"  {label:36s} {median_time(fn, repeats) * 1e3:8.1f} ms")
    # as the command draws it: the parts prepare_map made while it scored, ready
    from growthzones.maps import _prepare

    page.prepare_map(store, scenario, result=result)
    for job in [*_prepare._prepared(result.store).values(), *_prepare._prepared(result).values()]:
        job.result()
    t = median_time(lambda: page.render_map(result, sites), repeats)
    print(f"  {'map: render_map after prepare_map':36s} {t * 1e3:8.1f} ms")
    with tempfile.TemporaryDirectory(prefix="gz-bench-files-") as tmp:
        t = median_time(lambda: files(tmp), repeats)
    print(f"  {'files beside the map (csv, gpkg, tif)':36s} {t * 1e3:8.1f} ms")
    print(f"  page {len(page.map_html(page.render_map(result, sites))) / 1e6:.2f} MB")
    bench_tif(result.surface("score"), result.grid, "1 km", repeats)


def bench_tif(array: np.ndarray, grid, label: str, repeats: int) -> None:
    now = io.RASTER_ZLIB_LEVEL
    with tempfile.TemporaryDirectory(prefix="gz-bench-tif-") as tmp:
        out = {}
        for level in (now, 9):
            io.RASTER_ZLIB_LEVEL = level
            path = Path(tmp) / f"score_{level}.tif"
            try:
                out[level] = (median_time(lambda p=path: io.write_raster(p, array, grid), repeats),
                              path.stat().st_size)
            finally:
                io.RASTER_ZLIB_LEVEL = now
    print(f"\nscore.tif at {label} ({array.shape[1]} x {array.shape[0]}); load {load_average()}")
    for level, (s, size) in out.items():
        print(f"  zlib level {level}: {s:6.2f} s, {size / 1e6:7.2f} MB")


def bench_tif_100m(repeats: int) -> None:
    from growthzones.grid import GridSpec

    store = gz.load_layers()
    result = gz.score(store, gz.load_scenario("default"))
    g = result.grid
    fine = GridSpec(resolution=g.resolution / 10, bounds=g.bounds, crs=g.crs)
    score = np.repeat(np.repeat(result.surface("score"), 10, axis=0), 10, axis=1)
    bench_tif(score, fine, "100 m (1 km upsampled 10 x 10)", repeats)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs of the command (default 5)")
    ap.add_argument("--repeats", type=int, default=5, help="repeats of the in-process timings")
    ap.add_argument("--quick", action="store_true", help="2 runs and 2 repeats")
    ap.add_argument("--tif-100m", action="store_true", help="also score.tif at 100 m")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.repeats = 2, 2
    bench_command(args.runs)
    bench_steps(args.repeats)
    if args.tif_100m:
        bench_tif_100m(max(1, args.repeats // 2))
    print(f"\nload average at the end: {load_average()} ({os.cpu_count()} cores, shared)")


if __name__ == "__main__":
    main()
