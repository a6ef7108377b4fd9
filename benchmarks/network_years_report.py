"""Network years: what changes between two ETYS snapshots, and what it costs to carry.

Run from the repository root (embedded 1 km store unless ``--store``)::

    python benchmarks/network_years_report.py                 # 2025 vs 2035, default
    python benchmarks/network_years_report.py --a 2027 --b 2032 --n 15

Prints
------
- the store's size and its snapshots;
- the change-table rows (B-2-2a..d, B-3-2a..d, B-5-1) that could and could not be placed,
  by reason;
- the ``--n`` places whose score under the scenario rises most from ``--a`` to ``--b``
  (places ranked in either year, up to ``--pool`` each; then only those in either year's
  top ``--within``), with the part of the rise from
  each network-year criterion and the ETYS rows and queue movements near them
  (:func:`growthzones.layers.grid_capacity.why_changes`);
- the explorer page's size and what its network-year selector adds (the deflated,
  base64 size of the other snapshots' difference-coded criteria), against the 10 MB
  budget.
"""

from __future__ import annotations

import argparse
import base64
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import growthzones as gz
from growthzones import explorer
from growthzones.compare import compare_network_years
from growthzones.layers.grid_capacity.changes import unplaced_summary
from growthzones.layers.grid_capacity.network import snapshot_label
from growthzones.scoring import cell_at


def store_figures(store) -> None:
    size = sum(f.stat().st_size for f in store.path.rglob("*") if f.is_file())
    snaps = ", ".join(f"{s} ({store.network['snapshots'][str(s)]['label']}: {lo}-{hi})"
                      for s, (lo, hi) in sorted(store.network_years().items()))
    print(f"store {store.path}: {size / 1e6:.1f} MB; snapshots {snaps}")
    print(f"network-year criteria: {', '.join(store.network['criteria'])}")


def change_rows(store) -> None:
    ch = store.network_table("network_changes")
    placed = ch["placed"].astype(bool)
    print(f"\nchange-table rows: {len(ch)}; placed {int(placed.sum())}, not placed "
          f"{int((~placed).sum())}:")
    for reason, n in unplaced_summary(ch.assign(placed=placed)).items():
        by = ch[~placed & (ch["reason"] == reason)]["sheet"].value_counts()
        print(f"  {n:4d}  {reason}  ({', '.join(f'{k} {v}' for k, v in by.items())})")
    landings = ch[ch["sheet"].isin(["B-2-2d", "B-3-2d", "B-5-1"])]
    ok = landings["placed"].astype(bool)
    print(f"offshore/HVDC rows (B-2-2d, B-3-2d, B-5-1): {len(landings)}, placed "
          f"{int(ok.sum())}; landings not placed: "
          + "; ".join(f"{n} ({k})" for k, n in landings[~ok].groupby("reason")["name"]
                      .apply(lambda s: ", ".join(sorted(set(s.dropna().astype(str)))[:6]))
                      .items()))


def movers(store, scenario, a: int, b: int, n: int, pool: int, within: int) -> None:
    cmp = compare_network_years(store, scenario, a, b, pool=pool)
    every = cmp.sites.dropna(subset=["score_change"])
    for label, df in ((f"of {len(every)} places ranked in either year", every),
                      (f"among the places in either year's top {within}",
                       every[np.fmin(every["rank_a"].fillna(np.inf),
                                     every["rank_b"].fillna(np.inf)) <= within])):
        _movers(store, cmp, df, scenario, a, b, n, label)


def _movers(store, cmp, df, scenario, a, b, n, label) -> None:
    top = df.nlargest(n, "score_change")
    ra, rb = cmp.a, cmp.b
    crit = [c for c in store.network["criteria"] if c in ra.weights]
    print(f"\n{n} places whose {scenario.name!r} score rises most, {snapshot_label(a)} -> "
          f"{snapshot_label(b)} ({label}):")
    for i, r in enumerate(top.itertuples(), 1):
        pos = cell_at(ra, r.easting, r.northing)
        parts = []
        for c in crit:
            d = float(rb.contributions.at(c, [pos])[0] - ra.contributions.at(c, [pos])[0])
            if abs(d) >= 0.0005:
                parts.append(f"{c} {d:+.3f}")
        print(f"{i:2d}. {r.name} ({r.local_authority}, {r.site_id}): {r.score_a:.3f} -> "
              f"{r.score_b:.3f} ({r.score_change:+.3f}; {', '.join(parts) or '-'})")
        print(f"    why: {r.why}")


def explorer_cost(store, scenario) -> None:
    result = gz.score(store, scenario)
    page = explorer.render_explorer(result)
    meta, blob = explorer.explorer_payload(result)
    year = [a for a in meta["arrays"] if a["kind"] == "u16x"]
    rest = b"".join(blob[a["offset"]:a["offset"] + 2 * a["count"] if a["kind"] != "u8"
                         else a["offset"] + a["count"]]
                    for a in meta["arrays"] if a["kind"] != "u16x")
    more = len(zlib.compress(blob, 9)) - len(zlib.compress(rest, 9))
    b64 = len(base64.b64encode(b"x" * more))
    print(f"\nexplorer: page {len(page) / 1e6:.2f} MB (budget "
          f"{explorer.SIZE_BUDGET_BYTES / 1e6:.0f} MB), of which the year selector's "
          f"{len(year)} difference-coded arrays ({', '.join(meta['networkYears']['criteria'])}"
          f" x {len(meta['networkYears']['snapshots']) - 1} more snapshots, transformed and "
          f"raw) ~{b64 / 1e6:.2f} MB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", default=None)
    p.add_argument("--scenario", default="default")
    p.add_argument("--a", type=int, default=2025)
    p.add_argument("--b", type=int, default=2035)
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--pool", type=int, default=300)
    p.add_argument("--within", type=int, default=50)
    p.add_argument("--no-explorer", action="store_true")
    args = p.parse_args()
    store = gz.load_layers(args.store)
    scenario = gz.load_scenario(args.scenario)
    store_figures(store)
    change_rows(store)
    movers(store, scenario, store.snapshot_for(args.a), store.snapshot_for(args.b), args.n,
           args.pool, args.within)
    if not args.no_explorer:
        explorer_cost(store, scenario)


if __name__ == "__main__":
    main()
