"""Network years: the tables the store keeps per snapshot, and why a place's grid changes.

The store carries the grid criteria of every ETYS snapshot (see :mod:`.network`), and
beside them three tables that explain the differences (:func:`network_year_tables`):

- ``network_nodes``: every onshore ETYS site of any snapshot, placed once, with its
  presence and circuit/transformer MVA per snapshot;
- ``network_changes``: every row of the change tables (B-2-2a..d circuits, B-3-2a..d
  transformers, B-5-1 planned HVDC links), the snapshot it applies from, its two ends'
  sites and points, and whether it could be placed (``placed``; ``reason`` says why not);
- ``tec_projects``: TEC projects (one per Project ID), placed by connection-site name,
  with their queued MW per snapshot (:func:`~.queues.tec_queued_by`).

:func:`why_changes` reads them back to say, for one place and two network years, which
rows and queue movements near it changed its grid criteria. Pure functions over frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .network import (
    NETWORK_YEAR,
    SNAPSHOT_YEARS_TO,
    SNAPSHOTS,
    row_snapshot,
    snapshot_cutoff,
    snapshot_label,
    snapshot_of,
    summarise_sites,
)
from .queues import QUEUE_RADIUS_KM

#: Criteria whose values depend on the network year: the store keeps one variant of each
#: per snapshot (``layers/<name>@<snapshot>.tif``); every other criterion is one layer.
NETWORK_YEAR_CRITERIA = ("dist_substation_132kv_km", "dist_transmission_km",
                         "transmission_node_mva", "transformer_mva", "tec_queue_mw")

_NODE_COLS = ["site_code", "site_name", "max_kv", "x", "y", "coord_source"]


def _end_status(code: str, nodes: pd.DataFrame, index: pd.DataFrame) -> str:
    if code.startswith("~"):
        return "named"
    if code in nodes.index:
        return "located" if pd.notna(nodes.at[code, "x"]) else "unlocated"
    if code in index.index and bool(index.at[code, "offshore"]):
        return "offshore"
    if code in index.index and bool(index.at[code, "pseudo"]):
        return "tee"
    return "not indexed"


def change_rows(etys: dict, nodes: pd.DataFrame, infos: dict) -> pd.DataFrame:
    """Every change-table row with its snapshot, ends and placement (see the module doc).

    ``reason`` (empty when placed): ``after 2035/36``; ``matched no existing branch``
    (a Removed/Change row ETYS gives for a branch not in its base tables); ``onshore
    site without coordinates`` (an end at an ETYS site no source locates: mostly new
    substations); ``named ends`` (no node code: B-5-1's place names, OFTO's generic
    ``Onshore 400kV-1``); ``offshore or converter ends only`` (platforms and converter
    stations, not in the onshore site index).
    """
    idx = summarise_sites(etys["sites"]).set_index("site_code")
    by = nodes.set_index("site_code")
    parts = []
    for kind, key, unmatched in (("circuit", "circuit_changes", "unmatched_circuit_rows"),
                                 ("transformer", "transformer_changes",
                                  "unmatched_transformer_rows")):
        d = etys[key].copy()
        d["kind"] = np.where(d["sheet"].eq("B-5-1"), "hvdc", kind)
        bad = set()
        for info in infos.values():
            bad |= set(info.get(unmatched, ()))
        d["unmatched"] = d.index.isin(list(bad))
        parts.append(d)
    d = pd.concat(parts, ignore_index=True)
    d["snapshot"] = [row_snapshot(y) for y in d["year"]]
    for i in (1, 2):
        code = d[f"node{i}"].map(lambda n: n if n.startswith("~") else n[:4])
        d[f"site{i}"] = code.where(~code.str.startswith("~"), "")
        d[f"end{i}"] = [_end_status(c, by, idx) for c in code]
        d[f"name{i}"] = d[f"site{i}"].map(by["site_name"]).fillna(
            d[f"site{i}"].map(idx["site_name"]))
        d[f"x{i}"] = d[f"site{i}"].map(by["x"])
        d[f"y{i}"] = d[f"site{i}"].map(by["y"])
    located = d["end1"].eq("located") | d["end2"].eq("located")
    ends = d["end1"] + "," + d["end2"]
    reason = np.select(
        [d["snapshot"].isna(), d["unmatched"], located, ends.str.contains("unlocated"),
         ends.str.contains("named")],
        ["after 2035/36", "matched no existing branch", "", "onshore site without "
         "coordinates", "named ends"], "offshore or converter ends only")
    d["reason"] = reason
    d["placed"] = d["reason"].eq("")
    d["change_id"] = d["sheet"] + " row " + d["row"].astype(int).astype(str)
    cols = ["change_id", "sheet", "row", "kind", "name", "node1", "node2", "year", "snapshot",
            "status", "rating_mva", "site1", "name1", "x1", "y1", "site2", "name2", "x2",
            "y2", "placed", "reason"]
    return d[cols]


def network_year_tables(raw: dict, f: dict) -> dict[str, pd.DataFrame]:
    """The three tables of the module docstring, from :func:`read_sources` frames and
    :func:`network_features` output (pure)."""
    by_year = f["by_year"]
    year_cols = [c for c in by_year.columns
                 if c.rsplit("_", 1)[-1].isdigit() and int(c.rsplit("_", 1)[-1]) in SNAPSHOTS]
    nodes = by_year[_NODE_COLS + year_cols].reset_index(drop=True)
    tec = f["tec"][["project_id", "project", "connection_site", "plant_type", "status",
                    "x", "y", "matched"] + [f"queued_mw_{s}" for s in SNAPSHOTS]]
    return {"network_nodes": nodes,
            "network_changes": change_rows(raw["etys"], nodes, f["by_year_info"]),
            "tec_projects": tec.reset_index(drop=True)}


def network_manifest(tables: dict[str, pd.DataFrame]) -> dict:
    """The store manifest's ``network`` entry: snapshots, their years, the varying
    criteria, the tables and the count of change rows that could not be placed."""
    ch = tables["network_changes"]
    return {
        "default_year": NETWORK_YEAR, "default_snapshot": snapshot_of(NETWORK_YEAR),
        "snapshots": {str(s): {"label": snapshot_label(s), "years": [s, SNAPSHOT_YEARS_TO[s]],
                               "tec_cutoff": snapshot_cutoff(s)} for s in SNAPSHOTS},
        "criteria": list(NETWORK_YEAR_CRITERIA),
        "tables": {k: f"network/{k}.csv" for k in tables},
        "change_rows": len(ch), "placed_change_rows": int(ch["placed"].sum()),
        "unplaced_change_rows": {k: int(v) for k, v in unplaced_summary(ch).items()},
    }


def unplaced_summary(changes: pd.DataFrame) -> pd.Series:
    """Change rows that could not be placed, counted by reason (largest first)."""
    return changes.loc[~changes["placed"], "reason"].value_counts()


#: Frames :func:`why_changes` filters once per table and snapshot(s), not once per place:
#: key -> (the table it came from, the result); the table's identity guards reuse.
_PREPARED: dict = {}


def _prepared(table: pd.DataFrame, key: tuple, make):
    hit = _PREPARED.get((id(table),) + key)
    if hit is None or hit[0] is not table:
        if len(_PREPARED) > 64:
            _PREPARED.clear()
        hit = _PREPARED[(id(table),) + key] = (table, make())
    return hit[1]


def _nearest_node(nodes: pd.DataFrame, x: float, y: float, snap: int):
    def live_arrays():
        live = nodes[nodes[f"in_network_{snap}"].astype(bool) & nodes["x"].notna()
                     & (nodes["max_kv"] >= 275)]
        return {"xy": live[["x", "y"]].to_numpy(float),
                "code": live["site_code"].to_numpy(object),
                "name": live["site_name"].to_numpy(object),
                "circuit": live[f"circuit_mva_{snap}"].to_numpy(float),
                "transformer": live[f"transformer_mva_{snap}"].to_numpy(float)}

    live = _prepared(nodes, ("live", snap), live_arrays)
    if not len(live["xy"]):
        return None
    d = np.hypot(live["xy"][:, 0] - x, live["xy"][:, 1] - y)
    # sites at one point are one node with the larger MVA of each kind (as the layers)
    tied = np.flatnonzero(d <= d.min() + 1.0)
    best = tied[np.argmax(live["circuit"][tied])]
    return {"site_code": live["code"][best], "site_name": live["name"][best],
            "km": float(d.min()) / 1000, "circuit_mva": float(live["circuit"][best]),
            "transformer_mva": float(live["transformer"][tied].max()),
            "sites": set(live["code"][tied])}


def why_changes(tables: dict, x: float, y: float, a: int, b: int, *,
                radius_km: float = QUEUE_RADIUS_KM, max_rows: int = 3,
                with_rows: bool = True) -> dict:
    """Why a place's grid criteria differ between snapshots ``a`` and ``b``.

    Parameters
    ----------
    tables
        ``network_nodes``, ``network_changes``, ``tec_projects`` (as the store keeps them).
    x, y
        The place (EPSG:27700 m).
    a, b
        Snapshots (``a`` the reference; either order).
    radius_km
        A site joining or leaving the network within this distance counts as near.
    max_rows
        Rows named in ``text`` per kind (circuit, HVDC, transformer); the rest counted.
    with_rows
        False: ``rows`` is None (a caller that wants only ``text`` saves building a
        DataFrame per place, most of the time of a site timeline's 80 calls).

    Returns
    -------
    dict
        ``node_a``, ``node_b`` (nearest 400/275 kV node in each: code, name, km, MVA),
        ``rows`` (placed change rows applying between the two at either node or at a
        site that joins or leaves the network within ``radius_km``, nearest first), ``queue_a_mw``, ``queue_b_mw`` (placed TEC MW queued
        within :data:`~.queues.QUEUE_RADIUS_KM` in each), and ``text``: one line.
    """
    nodes, changes, tec = (tables["network_nodes"], tables["network_changes"],
                           tables["tec_projects"])
    lo, hi = sorted((a, b))
    na, nb = _nearest_node(nodes, x, y, a), _nearest_node(nodes, x, y, b)
    at_nodes = set().union(*(n["sites"] for n in (na, nb) if n))

    def between():
        ch = changes[changes["placed"] & (changes["snapshot"] > lo)
                     & (changes["snapshot"] <= hi)]
        cols = {k: ch[k].to_numpy(float) for k in ("x1", "y1", "x2", "y2", "snapshot",
                                                   "rating_mva")}
        cols.update({k: ch[k].to_numpy(object) for k in ("change_id", "node1", "node2",
                                                       "status", "kind", "name1", "name2")})
        return ch, cols, ch["site1"].to_numpy(object), ch["site2"].to_numpy(object)

    def flipping():
        # Sites that join (or leave) the network between the two: a new substation near
        # the place changes its distances even where it is not the nearest node.
        f = nodes[nodes["x"].notna() & (nodes[f"in_network_{lo}"].astype(bool)
                                        != nodes[f"in_network_{hi}"].astype(bool))]
        return f[["x", "y"]].to_numpy(float), f["site_code"].to_numpy(object)

    def queued():
        placed = tec[tec["x"].notna()]
        return placed[["x", "y"]].to_numpy(float), {
            c: placed[c].to_numpy(float) for c in placed.columns
            if c.startswith("queued_mw_")}

    ch, cxy, site1, site2 = _prepared(changes, ("between", lo, hi), between)
    fxy, fcode = _prepared(nodes, ("flips", lo, hi), flipping)
    fd = np.hypot(fxy[:, 0] - x, fxy[:, 1] - y) / 1000
    keys = at_nodes | set(fcode[fd <= radius_km])
    in1 = np.fromiter((s in keys for s in site1), bool, len(site1))
    in2 = np.fromiter((s in keys for s in site2), bool, len(site2))
    near = in1 | in2
    km = np.where(in1, np.hypot(cxy["x1"] - x, cxy["y1"] - y),
                  np.hypot(cxy["x2"] - x, cxy["y2"] - y)) / 1000
    idx = np.flatnonzero(near)
    idx = idx[np.lexsort((cxy["snapshot"][idx], km[idx]))]  # nearest first, then by year
    near_site = np.where(in1[idx], cxy["name1"][idx], cxy["name2"][idx])
    rows = ch.iloc[idx].assign(km=km[idx], near_site=near_site) if with_rows else None
    qxy, qmw = _prepared(tec, ("queued",), queued)
    dq = np.hypot(qxy[:, 0] - x, qxy[:, 1] - y) / 1000 <= QUEUE_RADIUS_KM
    qa = float(qmw[f"queued_mw_{a}"][dq].sum())
    qb = float(qmw[f"queued_mw_{b}"][dq].sum())
    parts = []
    if na and nb and na["site_code"] != nb["site_code"]:
        parts.append(f"nearest 400/275 kV node {na['site_name']} ({na['site_code']}, "
                     f"{na['km']:.0f} km) -> {nb['site_name']} ({nb['site_code']}, "
                     f"{nb['km']:.0f} km)")
    elif nb:
        n0 = na or nb
        mva = []
        if n0["circuit_mva"] != nb["circuit_mva"]:
            mva.append(f"circuits {n0['circuit_mva']:,.0f} -> {nb['circuit_mva']:,.0f} MVA")
        if n0["transformer_mva"] != nb["transformer_mva"]:
            mva.append(f"transformers {n0['transformer_mva']:,.0f} -> "
                       f"{nb['transformer_mva']:,.0f} MVA")
        if mva:
            parts.append(f"{nb['site_name']} ({nb['site_code']}, {nb['km']:.0f} km): "
                         + ", ".join(mva))
    if round(qa) != round(qb):
        verb = "clears" if qb < qa else "grows"
        parts.append(f"TEC queue within {QUEUE_RADIUS_KM:g} km {verb}: {qa:,.0f} -> "
                     f"{qb:,.0f} MW")
    shown = 0
    for kind in ("circuit", "hvdc", "transformer"):  # a few of each kind, nearest first
        for j in np.flatnonzero(cxy["kind"][idx] == kind)[:max_rows]:
            i, mva = idx[j], cxy["rating_mva"][idx[j]]
            rating = f" {mva:,.0f} MVA" if mva == mva else ""
            parts.append(f"{cxy['change_id'][i]}: {cxy['node1'][i]}-{cxy['node2'][i]} "
                         f"{cxy['status'][i]} {snapshot_label(int(cxy['snapshot'][i]))}"
                         f"{rating} ({near_site[j]}, {km[i]:.0f} km)")
            shown += 1
    if len(idx) > shown:
        parts.append(f"{len(idx) - shown} more change rows there")
    return {"node_a": na, "node_b": nb, "rows": rows, "queue_a_mw": qa, "queue_b_mw": qb,
            "text": "; ".join(parts) if parts else "no change-table row or queue movement "
                                                   "within reach"}
