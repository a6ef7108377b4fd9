"""Connection queues: NESO's TEC register (per project) and NGED's queue (per GSP)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .names import _OFFSHORE, normalise_site_name

#: Radius (km) over which queued TEC projects are summed around a cell.
QUEUE_RADIUS_KM = 20.0


#: NGED queue statuses that hold or seek a queue position (budget estimates do not).
NGED_QUEUE_STATUSES = ("Connection offers accepted", "Connection offers not yet accepted")


def tec_projects(tec: pd.DataFrame) -> pd.DataFrame:
    """One row per TEC project: staged rows de-duplicated by ``Project ID``.

    Staged projects repeat on several rows (``Stage`` 1..n) whose ``Cumulative Total
    Capacity (MW)`` is cumulative, so summing rows double counts. Per project the largest
    cumulative MW and the largest MW connected are kept; queued MW is their difference,
    never below 0 (a reduction is not negative queue).

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``project``, ``connection_site``, ``status``, ``plant_type``,
        ``host_to``, ``cumulative_mw``, ``connected_mw``, ``queued_mw``, ``n_rows``.
    """
    t = tec.assign(
        cum=pd.to_numeric(tec["Cumulative Total Capacity (MW)"], errors="coerce").fillna(0.0),
        con=pd.to_numeric(tec["MW Connected"], errors="coerce").fillna(0.0),
        pid=tec["Project ID"].fillna(tec["Project Name"]).astype(str))
    g = t.groupby("pid", sort=False)
    out = pd.DataFrame({
        "project": g["Project Name"].first(), "connection_site": g["Connection Site"].first(),
        "status": g["Project Status"].first(), "plant_type": g["Plant Type"].first(),
        "host_to": g["HOST TO"].first(), "cumulative_mw": g["cum"].max(),
        "connected_mw": g["con"].max(), "n_rows": g.size()})
    out["queued_mw"] = (out["cumulative_mw"] - out["connected_mw"]).clip(lower=0.0)
    return out.rename_axis("project_id").reset_index()


def tec_queued_by(tec: pd.DataFrame, cutoffs: dict) -> pd.DataFrame:
    """Each TEC project's MW still queued at each cutoff date (one column per key).

    How a project counts in network year N (cutoff: the end of the snapshot's financial
    year, 31 March of N + 1): a stage whose ``MW Effective From`` is on or before the
    cutoff is taken as connected by then (it draws on the network and leaves the queue);
    a stage dated later, or undated, is not drawing yet but holds its place in the queue.
    Stages are cumulative, so the MW connected by the cutoff is the largest cumulative MW
    of the stages due by then (never below today's ``MW Connected``), and the queued MW is
    the project's largest cumulative MW minus that, never below 0. Projects overdue (dated
    before the register, not built) count as connected by their date: ETYS's snapshots
    assume the same.

    >>> t = pd.DataFrame({"Project ID": ["P1", "P1", "P2"], "Project Name": ["A", "A", "B"],
    ...                   "Cumulative Total Capacity (MW)": [100, 300, 50],
    ...                   "MW Connected": [0, 0, 0],
    ...                   "MW Effective From": ["2027/10/31", "2031/10/31", None]})
    >>> tec_queued_by(t, {2029: "2030-03-31", 2032: "2033-03-31"}).to_dict("index")
    {'P1': {2029: 200.0, 2032: 0.0}, 'P2': {2029: 50.0, 2032: 50.0}}
    """
    t = tec.assign(
        cum=pd.to_numeric(tec["Cumulative Total Capacity (MW)"], errors="coerce").fillna(0.0),
        con=pd.to_numeric(tec["MW Connected"], errors="coerce").fillna(0.0),
        pid=tec["Project ID"].fillna(tec["Project Name"]).astype(str),
        when=pd.to_datetime(tec["MW Effective From"], format="%Y/%m/%d", errors="coerce"))
    g = t.groupby("pid", sort=False)
    total, connected = g["cum"].max(), g["con"].max()
    out = {}
    for key, cutoff in cutoffs.items():
        due = t["cum"].where(t["when"] <= pd.Timestamp(cutoff)).groupby(t["pid"], sort=False)
        by = np.fmax(due.max().reindex(total.index).fillna(0.0), connected)
        out[key] = (total - by).clip(lower=0.0).astype(float)
    return pd.DataFrame(out).rename_axis("project_id")


def name_locator(sites: pd.DataFrame, placements: list[tuple[str, pd.DataFrame]]):
    """A function from a free-text connection-site name to (x, y, how), or None.

    Tries placed ETYS site names, then the named placement sources (NGED, UKPN, OSM),
    each first with the full key and then without a trailing single letter or digit
    (``Ferrybridge C``, ``New Deer 2``). Offshore names are never placed.
    """
    placed = sites[sites["x"].notna()].sort_values("max_kv", ascending=False)
    lookup: list[tuple[str, dict]] = [("etys", {})]
    for code, names, x, y in zip(placed["site_code"], placed["names"], placed["x"], placed["y"]):
        for n in names:
            lookup[0][1].setdefault(normalise_site_name(n), (float(x), float(y), code))
    for kind, table in placements:
        if kind == "name":
            lookup.append((str(table["source"].iloc[0]) if len(table) else kind,
                           {k: (float(r.x), float(r.y), None) for k, r in table.iterrows()}))

    def locate(name):
        if _OFFSHORE.search(str(name).upper()):
            return None
        key = normalise_site_name(name)
        for k in (key, re.sub(r"\s+[A-Z0-9]$", "", key)):
            for src, table in lookup:
                if k and k in table:
                    x, y, code = table[k]
                    return x, y, code or src
        return None

    return locate


def place_by_name(names: pd.Series, locate) -> pd.DataFrame:
    """``x``, ``y``, ``matched`` (site code or source) for each name, NaN if unplaced."""
    uniq = {n: locate(n) for n in pd.unique(names)}
    hits = names.map(uniq)
    return pd.DataFrame({"x": hits.map(lambda h: h[0] if h else np.nan),
                         "y": hits.map(lambda h: h[1] if h else np.nan),
                         "matched": hits.map(lambda h: h[2] if h else None)}, index=names.index)


def nged_queue_by_gsp(queue: pd.DataFrame, *, statuses=NGED_QUEUE_STATUSES) -> pd.DataFrame:
    """NGED queued MW per Grid Supply Point (demand plus generation).

    Returns
    -------
    pandas.DataFrame
        ``gsp``, ``demand_mw``, ``generation_mw``, ``queued_mw``, sorted by ``gsp``.
    """
    q = queue[queue["Connection Status"].isin(statuses)]
    g = q.groupby("Grid Supply Point")
    out = pd.DataFrame({"demand_mw": g["Total Demand Capacity (MW)"].sum(),
                        "generation_mw": g["Total Generation Capacity (MW)"].sum()})
    out["queued_mw"] = out["demand_mw"] + out["generation_mw"]
    return out.rename_axis("gsp").reset_index()
