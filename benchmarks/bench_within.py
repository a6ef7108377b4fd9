"""How long ``--within`` costs: selecting an area and ranking inside it, on the embedded store.

Run from the repository root::

    python benchmarks/bench_within.py            # 20 runs each
    python benchmarks/bench_within.py --runs 50

Each figure is the median wall time after one warm-up, with the load average before and
after (the machine may be shared). ``select_area`` is timed for a council by name and by
code, a county, a region, a nation, a lon/lat box, a BNG box and a GeoPackage polygon;
``rank_sites(top=20)`` nationally and within a council (the area selected once).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import load_average, median_time

import growthzones as gz


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    runs = ap.parse_args(argv).runs

    import geopandas as gpd
    from shapely.geometry import box

    store = gz.load_layers()
    result = gz.score(store, gz.load_scenario())
    folder = Path(tempfile.mkdtemp(prefix="bench-within-"))
    gpd.GeoDataFrame(geometry=[box(420_000, 420_000, 470_000, 470_000)],
                     crs=27700).to_file(folder / "plot.gpkg")
    print(f"load average before: {load_average()}")
    print(f"{'what':44s} {'cells':>8s} {'median ms':>10s}")
    for spec in ("North Yorkshire", "E06000065", "Kent", "South East", "England",
                 "bbox:-1.6,53.7,-0.9,54.1", "bbox:400000,300000,500000,400000",
                 str(folder / "plot.gpkg")):
        cells = gz.select_area(store, spec).cells
        t = median_time(lambda spec=spec: gz.select_area(store, spec), runs)
        label = spec if len(spec) < 40 else "…" + spec[-39:]
        print(f"select_area {label:32s} {cells:8,d} {1000 * t:10.1f}")
    area = gz.select_area(store, "North Yorkshire")
    for label, kw in (("national", {}), ("within North Yorkshire", {"within": area})):
        t = median_time(lambda kw=kw: gz.rank_sites(result, top=20, **kw), runs)
        print(f"rank_sites(top=20) {label:25s} {'':8s} {1000 * t:10.1f}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
