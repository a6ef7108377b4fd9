"""Benchmark the layer-store build (issue #15): wall time and peak memory beside the targets.

Runs ``growthzones data build`` in a subprocess (this checkout's code) and samples the
resident memory of its whole process tree (dask workers of a LocalCluster included; the
workers of a remote cluster are not on this machine) every 0.2 s; parses the build's log
for each theme's read time, the block count and the block phase.

    python benchmarks/bench_build.py --resolution 25 --within Hartlepool
    python benchmarks/bench_build.py --resolution 100 --within "North East"
    python benchmarks/bench_build.py --resolution 100            # GB (the lead's figure)

Targets (issue #15, this 2-core machine): GB 100 m build <= 5 min and <= 6 GB peak; a
25 m build of one region <= 5 min.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
TARGETS = {("GB", 100.0): (300.0, 6.0), ("region", 25.0): (300.0, None)}


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=100.0)
    ap.add_argument("--within", default=None)
    ap.add_argument("--chunk", default=None)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--out", default=None, help="parent folder (default: a temporary one)")
    ap.add_argument("--log", default=None, help="also write the build's whole log here")
    ap.add_argument("--skip", action="append", default=[], metavar="THEME",
                    help="leave a theme out (e.g. one that cannot be built at this "
                         "resolution yet); said in the output")
    args = ap.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="bench_build_")
    skip = ("import sys, growthzones.layers as L; L.LAYER_MODULES = tuple(m for m in "
            f"L.LAYER_MODULES if m.__name__.rsplit('.', 1)[-1] not in {args.skip!r}); "
            "from growthzones.cli import console; sys.argv[0] = 'growthzones'; console()")
    cmd = [sys.executable, "-c", skip, "data", "build", "--resolution",
           f"{args.resolution:g}", "--out", out]
    for flag in ("within", "chunk", "scheduler"):
        if getattr(args, flag) is not None:
            cmd += [f"--{flag}", str(getattr(args, flag))]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    ps, peak, lines = psutil.Process(proc.pid), 0, []
    import threading

    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps))
        time.sleep(0.2)
    reader.join()
    wall = time.perf_counter() - t0
    log = "".join(lines)
    if args.log:
        Path(args.log).write_text(log)
    if proc.returncode:
        print(log[-3000:])
        print(f"build failed (exit {proc.returncode})")
        return proc.returncode
    where = args.within or "GB"
    if args.skip:
        print(f"(themes left out: {', '.join(args.skip)})")
    print(f"data build --resolution {args.resolution:g} --within {where}: "
          f"wall {wall:.1f} s, peak RSS of the process tree {peak / 2**30:.2f} GiB")
    m = re.search(r"grid (\d+) x (\d+) cells .* in (\d+) blocks", log)
    if m:
        cells = int(m[1]) * int(m[2])
        print(f"  grid {m[1]} x {m[2]} = {cells:,} cells, {m[3]} blocks")
    for theme, secs in re.findall(r"^  (\w+): features read \(([\d.]+)s\)", log, re.M):
        print(f"  {theme}: features read in {secs} s")
    for theme, secs in re.findall(r"^  (\w+): prepared for the blocks \(([\d.]+)s\)", log,
                                  re.M):
        print(f"  {theme}: prepared for the blocks in {secs} s")
    for theme, what, secs in re.findall(r"^  (\w+): .*\((whole grid, |read [\d.]+s, blocks )"
                                        r"([\d.]+)s", log, re.M):
        print(f"  {theme}: {'whole-grid build' if what.startswith('whole') else 'blocks'} "
              f"{secs} s")
    b = re.search(r"^  (\d+) blocks in ([\d.]+)s", log, re.M)
    if b:
        print(f"  block phase {b[2]} s for {b[1]} blocks: {float(b[2]) / int(b[1]):.3f} s "
              f"per block (wall, all workers)")
    key = ("GB" if args.within is None else "region", args.resolution)
    if key in TARGETS:
        t, mem = TARGETS[key]
        ok = wall <= t and (mem is None or peak / 2**30 <= mem)
        print(f"  target: <= {t / 60:g} min" + (f", <= {mem:g} GB" if mem else "")
              + f": {'MET' if ok else 'NOT MET'}")
    print(f"  load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
