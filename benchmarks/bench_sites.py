"""A user's own sites on the embedded 1 km store: reading postcodes, zonal statistics, context.

Run from the repository root::

    python benchmarks/bench_sites.py            # 5 runs each
    python benchmarks/bench_sites.py --runs 9

Figures are median wall times after one warm-up (:func:`_timing.median_time`), with the
load average before and after (the machine may be shared):

- ``read_sites``: a CSV of real postcodes (the first postcode of each of the first
  ``--areas`` Code-Point areas, so every area's table is read; a process reads an area
  once, so the warm-up pays it and the figure is the lookup itself), and the first
  read of an area in a fresh cache;
- ``zonal``: ``score_sites`` on ``--polygons`` circles of 1,500 ha spread over England;
- ``context``: ``site_context`` on 2,000 picked sites.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import load_average, median_time

import growthzones as gz


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--areas", type=int, default=40)
    ap.add_argument("--polygons", type=int, default=200)
    args = ap.parse_args()
    print(f"load before: {load_average()}")
    from growthzones.catalog import SourceFiles
    from growthzones.sites import postcodes

    with zipfile.ZipFile(SourceFiles().path("codepoint_open")) as z:
        names = sorted(n for n in z.namelist() if n.startswith("Data/CSV/") and
                       n.endswith(".csv"))[: args.areas]
        pcs = [pd.read_csv(z.open(n), header=None, nrows=1)[0].iloc[0] for n in names]
    folder = Path(tempfile.mkdtemp(prefix="gz-bench-sites-"))
    f = folder / "postcodes.csv"
    pd.DataFrame({"name": [f"s{i}" for i in range(len(pcs))], "postcode": pcs}).to_csv(
        f, index=False)
    t = time.perf_counter()
    postcodes._area_table.cache_clear()
    gz.read_sites(f)
    first = time.perf_counter() - t
    warm = median_time(lambda: gz.read_sites(f), args.runs)
    print(f"read_sites, {len(pcs)} postcodes in {len(pcs)} areas: first {first:.2f} s "
          f"({1000 * first / len(pcs):.0f} ms an area), then {1000 * warm:.0f} ms")

    import geopandas as gpd
    from shapely import Point

    result = gz.score(gz.load_layers(), gz.load_scenario())
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(380_000, 560_000, args.polygons), rng.uniform(180_000, 450_000,
                                                                      args.polygons)
    r = np.sqrt(1500e4 / np.pi)
    polys = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(args.polygons)]},
                             geometry=[Point(x, y).buffer(r) for x, y in zip(xs, ys)],
                             crs=27700)
    z = median_time(lambda: gz.score_sites(result, polys), args.runs)
    print(f"score_sites, {args.polygons} polygons of 1,500 ha: {z:.2f} s "
          f"({1000 * z / args.polygons:.1f} ms a polygon)")
    from growthzones.context import site_context

    picked = gz.rank_sites(result, top=2000, min_separation_km=2)
    c = median_time(lambda: site_context(result, picked), args.runs)
    print(f"site_context, {len(picked)} sites: {1000 * c:.0f} ms")
    print(f"load after: {load_average()}")


if __name__ == "__main__":
    main()
