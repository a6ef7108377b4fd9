"""`growthzones run` benchmark (issue #17): the whole command at 1 km and its map overlays.

Run from the repository root::

    python benchmarks/bench_run.py                 # 5 runs of the command + the overlay figures
    python benchmarks/bench_run.py --runs 9
    python benchmarks/bench_run.py --tif-100m      # also score.tif at 100 m, level 6 vs 9 (~1 min)

What is measured
----------------
1. ``python -m growthzones.cli run --out <tmp>`` (default scenario, map included) from
   this checkout, ``--runs`` times in a fresh subprocess each: the median wall time
   against the target (<= 3 s), the median CPU time of the child (user + system; less
   sensitive to other load on the machine) and the load average before and after. The
   page size is that of the ``map.html`` written.
2. In this process, on the same result: the median time per overlay of the map as built
   now (one shared reprojection index, a gather, PNG at ``PNG_ZLIB_LEVEL``) beside the
   old way (rasterio reprojection of every overlay, unfiltered PNG at zlib level 9), and
   ``render_map`` + ``map_html`` as a whole.
3. ``score.tif``: ``io.write_raster`` at the level it uses now and at level 9, at 1 km,
   and with ``--tif-100m`` on the 1 km score upsampled 10 x 10 (the size of a 100 m grid).

All times are medians; the machine is shared, so the load average is printed with them.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _timing import load_average, median_time  # noqa: E402  (this folder)

import growthzones as gz  # noqa: E402  (after the sys.path line above)
from growthzones import io  # noqa: E402
from growthzones.maps import _identify, page, raster  # noqa: E402

TARGET_RUN_S = 3.0


#: The child: the CLI, reporting its own peak RSS (KiB) on its last stderr line.
_CHILD = ("import atexit, resource, sys\n"
          "atexit.register(lambda: print('peak-kib', resource.getrusage("
          "resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
          "from growthzones.cli import main\n"
          "sys.exit(main(sys.argv[1:]))\n")


def run_command(runs: int, *extra: str) -> dict:
    """``growthzones run --out <tmp> *extra`` ``runs`` times in fresh subprocesses.

    Returns the median wall and CPU seconds (user + system of the child), the largest
    peak RSS of a run (MB), the ``map.html`` size (MB) of the last run and every wall time.
    """
    walls, cpus, peaks, size = [], [], [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="gz-bench-run-") as out:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", _CHILD, "run", "--out", out, *extra],
                                  cwd=REPO, capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                sys.exit(f"growthzones run failed ({proc.returncode}):\n{proc.stderr}")
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            peaks.append(int(proc.stderr.split("peak-kib")[-1]) / 1024)
            size = (Path(out) / "map.html").stat().st_size / 1e6
    return {"wall": float(np.median(walls)), "cpu": float(np.median(cpus)),
            "peak_mb": max(peaks), "map_mb": size, "walls": walls}


def bench_command(runs: int) -> None:
    print(f"growthzones run at 1 km, {runs} runs; load average before: {load_average()}")
    r = run_command(runs)
    print("  wall per run: " + ", ".join(f"{w:.2f} s" for w in r["walls"]))
    print(f"  median wall {r['wall']:.2f} s  (target <= {TARGET_RUN_S:.1f} s: "
          f"{'met' if r['wall'] <= TARGET_RUN_S else 'NOT met'}); median CPU "
          f"{r['cpu']:.2f} s; map.html {r['map_mb']:.2f} MB")
    print(f"  load average after: {load_average()}")


def _old_overlay(warp, index: np.ndarray, nodata: int) -> bytes:
    """An overlay as built before #17: its own reprojection, unfiltered PNG at level 9."""
    out = raster._reproject_nearest(index, nodata, warp)
    raw = np.zeros((out.shape[0], out.shape[1] + 1), np.uint8)
    raw[:, 1:] = out
    return zlib.compress(raw.tobytes(), 9)


def bench_overlays(repeats: int) -> None:
    store = gz.load_layers()
    result = gz.score(store, gz.load_scenario("default"))
    sites = gz.rank_sites(result, top=20)
    warp = raster._MercatorWarp(result.grid)
    t = time.perf_counter()
    warp.gather  # noqa: B018 (built once per map)
    index_s = time.perf_counter() - t
    indices = [(page._score_index(result)[0], 255)]
    for name, info in store.meta.items():
        if info.get("kind", "criterion") == "criterion":
            indices.append((page._criterion_index(result, name)[0], 255))
        elif info.get("kind") == "exclusion":
            indices.append((raster._mask_index(store.layer(name)), 0))
    palettes = {255: raster._viridis_palette(), 0: raster._mask_palette()}

    def new_all() -> int:
        return sum(len(raster._png_indexed(warp.warp(i, nd), palettes[nd]))
                   for i, nd in indices)

    def old_all() -> int:
        return sum(len(_old_overlay(warp, i, nd)) for i, nd in indices)

    n = len(indices)
    new_s, old_s = median_time(new_all, repeats), median_time(old_all, max(1, repeats // 2))
    gather_s = median_time(lambda: [warp.warp(i, nd) for i, nd in indices], repeats)
    print(f"\nmap overlays at 1 km ({n}, {warp.width} x {warp.height} px); load {load_average()}")
    print(f"  shared reprojection index, built once: {index_s * 1e3:7.1f} ms")
    print(f"  per overlay now (gather + PNG level {raster.PNG_ZLIB_LEVEL}, filter Up): "
          f"{new_s / n * 1e3:6.1f} ms  (gather alone {gather_s / n * 1e3:.1f} ms); "
          f"PNGs {new_all() * 4 / 3 / 1e6:.2f} MB as base64")
    print(f"  per overlay before (reproject + PNG level 9, no filter): "
          f"{old_s / n * 1e3:6.1f} ms; PNGs {old_all() * 4 / 3 / 1e6:.2f} MB as base64")

    def whole_map(identify: bool = True) -> int:
        return len(page.map_html(page.render_map(result, sites, identify=identify)))

    print(f"  render_map + map_html: {median_time(whole_map, max(1, repeats // 2)):.2f} s; "
          f"page {whole_map() / 1e6:.2f} MB")
    plain = median_time(lambda: whole_map(False), max(1, repeats // 2))
    print(f"  ... without the click-to-identify data: {plain:.2f} s; "
          f"page {whole_map(False) / 1e6:.2f} MB")
    t = median_time(lambda: _identify.identify_payload(result), repeats)
    print(f"  identify data alone (zlib level {_identify.ZLIB_LEVEL}): {t * 1e3:.0f} ms")
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
    ap.add_argument("--tif-100m", action="store_true", help="also score.tif at 100 m")
    args = ap.parse_args(argv)
    bench_command(args.runs)
    bench_overlays(args.repeats)
    if args.tif_100m:
        bench_tif_100m(max(1, args.repeats // 2))
    print(f"\nload average at the end: {load_average()} (2 cores, shared)")


if __name__ == "__main__":
    main()
