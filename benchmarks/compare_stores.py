"""Compare two layer stores cell by cell, and optionally two runs' rankings on them.

Issue #15 asks that a store built the new way (block by block) give the same top 20 as
one built the old way (whole national rasters). On 4 December 2026 the old way was the
checkout of ``c70bf19`` (the last commit before the block build), run beside this one:

    git worktree add /tmp/oldgz c70bf19
    cd /tmp/oldgz && python -c "import sys; sys.path.insert(0, '.'); from growthzones.cli \\
        import main; sys.exit(main(sys.argv[1:]))" data build --resolution 100 \\
        --source ../shared/data --out /tmp/old          # and the same with `run --store`
    python benchmarks/compare_stores.py /tmp/old/gb_100m growthzones-store/gb_100m \\
        --runs /tmp/old_run outputs/latest

Prints, for every layer in both stores, the cells compared (land in both), the cells that
differ, the largest difference and the cells that are NaN in one store only; layers in
one store only; with ``--runs``, the ranking rows (``ranking.csv``) side by side: same
cell, same name, score difference, and every other column that differs. Exit 1 if
anything differs, so a script can use it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def layer_differences(a: Path, b: Path) -> tuple[list[dict], list[str], list[str]]:
    """Per layer of both stores: ``{name, cells, differ, max_abs, nan_mismatch}``; and the
    layer names only in ``a`` and only in ``b``. Read by the files' own blocks."""
    import rasterio

    names_a = {p.stem for p in (a / "layers").glob("*.tif")}
    names_b = {p.stem for p in (b / "layers").glob("*.tif")}
    rows = []
    for name in sorted(names_a & names_b):
        with rasterio.open(a / "layers" / f"{name}.tif") as x, \
                rasterio.open(b / "layers" / f"{name}.tif") as y:
            if x.shape != y.shape:
                rows.append({"name": name, "shape": (x.shape, y.shape)})
                continue
            row = {"name": name, "cells": 0, "differ": 0, "max_abs": 0.0, "nan_mismatch": 0}
            for _, win in y.block_windows(1):
                u = _as_float(x.read(1, window=win), x.nodata)
                v = _as_float(y.read(1, window=win), y.nodata)
                both = ~np.isnan(u) & ~np.isnan(v)
                d = np.abs(u - v)[both]
                row["cells"] += int(both.sum())
                row["differ"] += int((d > 0).sum())
                row["nan_mismatch"] += int((np.isnan(u) != np.isnan(v)).sum())
                if d.size:
                    row["max_abs"] = max(row["max_abs"], float(d.max()))
            rows.append(row)
    return rows, sorted(names_a - names_b), sorted(names_b - names_a)


def _as_float(values: np.ndarray, nodata) -> np.ndarray:
    out = values.astype(np.float64)
    if nodata is not None and not np.isnan(nodata):
        out[values == nodata] = np.nan
    return out


def ranking_differences(a: Path, b: Path, top: int) -> tuple[list[dict], dict[str, list[int]]]:
    """The first ``top`` rows of two ``ranking.csv`` side by side, and for every other
    column that differs anywhere, the ranks (1-based rows) where it does."""
    import pandas as pd

    ra = pd.read_csv(a / "ranking.csv", dtype=str, keep_default_na=False)
    rb = pd.read_csv(b / "ranking.csv", dtype=str, keep_default_na=False)
    rows = []
    for i in range(min(top, max(len(ra), len(rb)))):
        x = ra.iloc[i] if i < len(ra) else None
        y = rb.iloc[i] if i < len(rb) else None
        rows.append({
            "rank": i + 1,
            "a": None if x is None else x["name"], "b": None if y is None else y["name"],
            "same_cell": x is not None and y is not None
            and (x["easting"], x["northing"]) == (y["easting"], y["northing"]),
            "score_diff": abs(float(x["score"]) - float(y["score"]))
            if x is not None and y is not None else float("nan")})
    other = {}
    n = min(len(ra), len(rb))
    for col in sorted(set(ra.columns) | set(rb.columns)):
        if col not in ra.columns or col not in rb.columns:
            other[col] = []
            continue
        diff = np.flatnonzero(ra[col].iloc[:n].to_numpy() != rb[col].iloc[:n].to_numpy())
        if len(diff):
            other[col] = (diff + 1).tolist()
    return rows, other


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store_a", type=Path)
    ap.add_argument("store_b", type=Path)
    ap.add_argument("--runs", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"),
                    help="two run folders (ranking.csv), one on each store")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    rows, only_a, only_b = layer_differences(args.store_a, args.store_b)
    same = not only_a and not only_b
    for r in rows:
        if "shape" in r:
            print(f"{r['name']:45s} shapes differ: {r['shape'][0]} vs {r['shape'][1]}")
            same = False
            continue
        print(f"{r['name']:45s} {r['cells']:>12,} cells  differ {r['differ']:>11,}  "
              f"max |a-b| {r['max_abs']:.6g}  NaN in one only {r['nan_mismatch']:,}")
        same &= r["differ"] == 0 and r["nan_mismatch"] == 0
    print(f"layers: {len(rows)} in both; only in the first: {only_a or 'none'}; "
          f"only in the second: {only_b or 'none'}")
    if args.runs:
        top, other = ranking_differences(*args.runs, args.top)
        for r in top:
            print(f"  {r['rank']:>3}. {'same cell' if r['same_cell'] else 'OTHER CELL'}  "
                  f"|score diff| {r['score_diff']:.3g}  {r['a']}"
                  + ("" if r["a"] == r["b"] else f"  ->  {r['b']}"))
        for col, ranks in other.items():
            print(f"  column {col!r} differs at rank(s) {ranks[:20] or '(in one file only)'}")
        same &= all(r["same_cell"] and r["score_diff"] == 0 for r in top) and not other
    print("identical" if same else "differences above")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
