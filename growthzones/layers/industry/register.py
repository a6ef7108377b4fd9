"""The industrial register: its kinds, deduplication and summaries (pure functions).

See :mod:`growthzones.layers.industry` for what the register holds and covers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

#: The table that places each DUKES closure (see its header for provenance).
CLOSED_STATIONS_CSV = Path(__file__).with_name("closed_stations.csv")
#: Register columns, in order.
REGISTER_COLUMNS = ("name", "kind", "capacity", "capacity_unit", "status", "closure_year",
                    "x", "y", "position", "source", "retired_mw_since_2010",
                    "retired_mw_before_2010")
#: Hotmaps rows of one kind closer than this (km) are one works.
DUPLICATE_KM = 0.5
#: A Hotmaps steelworks this close (km) to a GEM steel plant is that plant.
STEEL_MATCH_KM = 3.0
#: Elements of one data-centre campus lie within this distance (m) of another element.
CAMPUS_LINK_M = 300.0
#: Radius (km) of the data-centre count.
DATA_CENTRE_RADIUS_KM = 20.0
#: Radius (km) of the retired-generation sum.
RETIRED_GENERATION_RADIUS_KM = 10.0
#: A cell is previously developed when a register site lies within this distance (km).
PREVIOUSLY_DEVELOPED_KM = 1.0
#: Data-centre lifecycles counted as the existing base (proposals are left out).
DATA_CENTRE_LIFECYCLES = ("OPERATIONAL_OR_UNSPECIFIED", "CONSTRUCTION")

#: Register kind of each Hotmaps subsector.
HOTMAPS_KINDS = {
    "Iron and steel": "steelworks", "Non-ferrous metals": "non-ferrous metals works",
    "Refineries": "refinery", "Chemical industry": "chemicals works", "Cement": "cement works",
    "Glass": "glass works", "Paper and printing": "paper mill",
    "Non-metallic mineral products": "brick, lime or ceramics works",
    "Other non-classified": "other industrial works",
}
#: Kinds that are power stations (the rest of the register is works and airfields).
POWER_KINDS = ("coal power station", "nuclear power station", "gas power station",
               "oil power station")


# ---------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------

def power_kind(fuels: str) -> str:
    """Register kind of a station from its fuel families (coal, then nuclear, oil, gas).

    >>> power_kind("coal; gas"), power_kind("gas; oil"), power_kind("nuclear")
    ('coal power station', 'oil power station', 'nuclear power station')
    """
    fams = str(fuels)
    for fam in ("coal", "nuclear", "oil", "gas"):
        if fam in fams:
            return f"{fam} power station"
    return "gas power station"


def gem_plants(units: pd.DataFrame, *, name_col: str, retired_col: str) -> pd.DataFrame:
    """GEM units grouped into plants: MW retired before 2010, since 2010, last retirement.

    Parameters
    ----------
    units
        GEM unit rows with ``name_col``, ``Status``, ``Capacity (MW)``, ``retired_col``
        (a year or a date), ``x``, ``y`` (EPSG:27700 m).

    Returns
    -------
    pandas.DataFrame
        Indexed by plant name: ``before_2010_mw``, ``since_2010_mw``, ``closure_year``
        (last retirement before 2010, NaN if none), ``x``, ``y`` (of its retired units if
        any, else of its first unit).

    Examples
    --------
    >>> u = pd.DataFrame({"p": ["A", "A", "B"], "Status": ["retired", "operating", "retired"],
    ...                   "Capacity (MW)": [100.0, 50.0, 30.0], "r": [2003, None, 2015],
    ...                   "x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0]})
    >>> gem_plants(u, name_col="p", retired_col="r")[["before_2010_mw", "since_2010_mw"]]
    ... # doctest: +NORMALIZE_WHITESPACE
       before_2010_mw  since_2010_mw
    p
    A           100.0            0.0
    B             0.0           30.0
    """
    d = units.copy()
    year = pd.to_numeric(d[retired_col].astype(str).str[:4], errors="coerce")
    retired = d["Status"].eq("retired") & year.notna()
    mw = pd.to_numeric(d["Capacity (MW)"], errors="coerce").fillna(0.0)
    d["before"] = np.where(retired & (year < 2010), mw, 0.0)
    d["since"] = np.where(retired & (year >= 2010), mw, 0.0)
    d["yb"] = year.where(retired & (year < 2010))
    d["rank"] = (~retired).astype(int)  # retired units' coordinates first
    d = d.sort_values(["rank"], kind="stable")
    g = d.groupby(name_col, sort=True)
    return pd.DataFrame({"before_2010_mw": g["before"].sum(), "since_2010_mw": g["since"].sum(),
                         "closure_year": g["yb"].max(), "x": g["x"].first(), "y": g["y"].first()})


def place_closures(closures: pd.DataFrame, table: pd.DataFrame, points: dict[str, pd.DataFrame]
                   ) -> pd.DataFrame:
    """Attach ``x``, ``y``, ``position`` and ``position_source`` to DUKES closures.

    Parameters
    ----------
    closures
        :func:`retired_capacity_by_station` rows (``station`` key).
    table
        ``closed_stations.csv`` (``station``, ``position_source``, ``position_key``).
    points
        Source name -> frame indexed by key with ``x``, ``y``: ``gem_coal``,
        ``gem_nuclear``, ``dukes``, ``osm_plants``, ``etys``.

    Raises
    ------
    KeyError
        If a closure has no row in the table (a new DUKES edition added one) or a key is
        missing from its source; the message names the station and the fix.
    """
    t = table.set_index("station")
    missing = sorted(set(closures["station"]) - set(t.index))
    if missing:
        raise KeyError(f"closed station(s) {', '.join(map(repr, missing))} have no row in "
                       f"{CLOSED_STATIONS_CSV.name}; add where each is placed (or 'none')")
    xs, ys, pos, src = [], [], [], []
    for key in closures["station"]:
        how, k = t.at[key, "position_source"], t.at[key, "position_key"]
        if how in ("none", "outside_gb"):
            xs.append(np.nan)
            ys.append(np.nan)
            pos.append("outside GB" if how == "outside_gb" else "not located")
            src.append(how)
            continue
        table_ = points[how]
        if k not in table_.index:
            raise KeyError(f"{CLOSED_STATIONS_CSV.name}: station {key!r} is placed by "
                           f"{how} {k!r}, which that source does not hold; fix the key")
        row = table_.loc[k]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        xs.append(float(row["x"]))
        ys.append(float(row["y"]))
        pos.append("substation" if how == "etys" else "plant")
        src.append(f"{how}:{k}")
    return closures.assign(x=xs, y=ys, position=pos, position_source=src)


def hotmaps_sites(raw: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Hotmaps rows reduced to one row per GB works, and what was dropped.

    Drops rows in Northern Ireland and without coordinates; drops rows at a point that
    several ETS-only rows share (an operator's address: Port Talbot, Llanwern and
    Teesside steelworks all at one Rotherham office); then keeps one row per kind within
    :data:`DUPLICATE_KM` (ETS and E-PRTR copies of one works), the one with the larger
    emissions.

    Returns
    -------
    sites, dropped
        ``name``, ``kind``, ``capacity`` (t/yr production where published), ``x``, ``y``;
        ``dropped`` counts by reason (``northern_ireland``, ``no_coordinates``,
        ``office_address``, ``duplicate``).

    Examples
    --------
    >>> raw = pd.DataFrame({
    ...     "SiteName": ["Works A", "Works A (EPRTR)", "Works X", "Works Y", "NI works"],
    ...     "Subsector": ["Glass", "Glass", "Cement", "Cement", "Glass"],
    ...     "DataSource": ["ETS", "EPRTR", "ETS", "ETS", "ETS"],
    ...     "easting": [1000.0, 1200.0, 9000.0, 9000.0, np.nan],
    ...     "northing": [1000.0, 1100.0, 9000.0, 9000.0, np.nan],
    ...     "in_ni": [False, False, False, False, True],
    ...     "Production": [10.0, np.nan, 1.0, 2.0, 1.0],
    ...     "Emissions_ETS_2014": [5.0, np.nan, 1.0, 1.0, 1.0],
    ...     "Emissions_EPRTR_2014": [np.nan, 4.0, np.nan, np.nan, np.nan]})
    >>> sites, dropped = hotmaps_sites(raw)
    >>> sites["name"].tolist(), dropped
    (['Works A'], {'northern_ireland': 1, 'no_coordinates': 0, 'office_address': 2, 'duplicate': 1})
    """
    d = raw.copy()
    dropped = {"northern_ireland": int(d["in_ni"].fillna(False).astype(bool).sum())}
    d = d[~d["in_ni"].fillna(False).astype(bool)]
    # rows without geometry carry inf (not NaN) in the derived easting/northing
    have = np.isfinite(d["easting"].astype(float)) & np.isfinite(d["northing"].astype(float))
    have &= d["lat"].notna() if "lat" in d else True
    dropped["no_coordinates"] = int((~have).sum())
    d = d[have].copy()
    pt = d["easting"].round(0).astype(str) + "," + d["northing"].round(0).astype(str)
    n_at = pt.map(pt.value_counts())
    ets_at = pt.map(pt[d["DataSource"].eq("ETS")].value_counts()).fillna(0)
    office = (n_at >= 2) & (ets_at == n_at)
    dropped["office_address"] = int(office.sum())
    d = d[~office].copy()
    d["kind"] = d["Subsector"].map(HOTMAPS_KINDS).fillna("other industrial works")
    d["size"] = d[["Emissions_ETS_2014", "Emissions_EPRTR_2014"]].max(axis=1).fillna(0.0)
    d = d.sort_values("size", ascending=False, kind="stable")
    keep: list[int] = []
    xy = d[["easting", "northing"]].to_numpy(float)
    kinds = d["kind"].to_numpy()
    for i in range(len(d)):
        if not any(kinds[j] == kinds[i] and np.hypot(*(xy[i] - xy[j])) < DUPLICATE_KM * 1000
                   for j in keep):
            keep.append(i)
    dropped["duplicate"] = len(d) - len(keep)
    d = d.iloc[sorted(keep)]
    prod = pd.to_numeric(d["Production"], errors="coerce")
    out = pd.DataFrame({"name": d["SiteName"].astype(str).to_numpy(),
                        "kind": d["kind"].to_numpy(),
                        "capacity": prod.where(prod > 0).to_numpy(float),
                        "x": d["easting"].to_numpy(float), "y": d["northing"].to_numpy(float)})
    return out.reset_index(drop=True), dropped


def group_facilities(points_xy: np.ndarray, *, link_m: float = CAMPUS_LINK_M) -> np.ndarray:
    """Facility label of each point: single-linkage groups of points within ``link_m``.

    Parameters
    ----------
    points_xy
        (n, 2) EPSG:27700 m.

    Returns
    -------
    numpy.ndarray
        (n,) int labels 0..k-1, numbered in order of first appearance.

    Examples
    --------
    >>> group_facilities(np.array([[0, 0], [250, 0], [500, 0], [5000, 0]])).tolist()
    [0, 0, 0, 1]
    """
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pts = np.asarray(points_xy, float).reshape(-1, 2)
    if len(pts) == 0:
        return np.zeros(0, dtype=int)
    pairs = cKDTree(pts).query_pairs(link_m, output_type="ndarray")
    from scipy.sparse import coo_matrix

    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(pts),) * 2)
    _, labels = connected_components(adj, directed=False)
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))  # relabel by first appearance
    return order[labels]


def facility_centres(points_xy: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(k, 2) mean position of each facility's points (labels from :func:`group_facilities`).

    >>> facility_centres(np.array([[0.0, 0], [200, 0], [9000, 0]]), np.array([0, 0, 1])).tolist()
    [[100.0, 0.0], [9000.0, 0.0]]
    """
    pts = np.asarray(points_xy, float).reshape(-1, 2)
    k = int(labels.max()) + 1 if len(labels) else 0
    n = np.bincount(labels, minlength=k)
    return np.column_stack([np.bincount(labels, pts[:, 0], k) / n,
                            np.bincount(labels, pts[:, 1], k) / n])


def merge_register(closures: pd.DataFrame, table: pd.DataFrame, coal: pd.DataFrame,
                   nuclear: pd.DataFrame, steel: pd.DataFrame, hotmaps: pd.DataFrame,
                   airfields: pd.DataFrame) -> pd.DataFrame:
    """One row per site from the per-source frames (see the module notes on deduplication).

    Parameters
    ----------
    closures
        :func:`place_closures` output (DUKES closures since 2010, placed).
    table
        ``closed_stations.csv`` (its ``gem_plant`` joins a closure to its GEM plant).
    coal, nuclear
        :func:`gem_plants` of the GEM coal and nuclear units.
    steel
        :func:`read_gem_steel` rows.
    hotmaps
        :func:`hotmaps_sites` rows.
    airfields
        :func:`read_closed_airfields` rows.

    Returns
    -------
    pandas.DataFrame
        :data:`REGISTER_COLUMNS`; unplaced sites keep NaN ``x``/``y`` and ``position``
        "not located"; Northern Ireland is dropped.
    """
    gem = pd.concat([coal.assign(kind="coal power station", src="gem_coal"),
                     nuclear.assign(kind="nuclear power station", src="gem_nuclear")])
    t = table.set_index("station")["gem_plant"].dropna()
    rows = []
    for r in closures.itertuples(index=False):
        if r.position == "outside GB":
            continue
        before, year = 0.0, float(r.last_change)
        gp = t.get(r.station)
        if gp is not None and gp in gem.index:
            before = float(gem.loc[gp, "before_2010_mw"])
        names = (re.sub(r"\s*\(Reactor \d+\)", "", n).replace("\u2019", "'")
                 for n in str(r.sites).split("; "))
        rows.append({"name": "; ".join(dict.fromkeys(names)), "kind": power_kind(r.fuels),
                     "capacity": float(r.retired_mw) + before, "capacity_unit": "MW",
                     "status": "closed" if r.present_mw == 0 else "partly closed",
                     "closure_year": year, "x": r.x, "y": r.y, "position": r.position,
                     "source": f"dukes_5_11 ({r.position_source})",
                     "retired_mw_since_2010": float(r.retired_mw),
                     "retired_mw_before_2010": before})
    joined = set(t)
    for name, g in gem.iterrows():
        if name in joined or g["before_2010_mw"] <= 0:
            continue  # DUKES holds it (its later units), or nothing retired before 2010
        rows.append({"name": name, "kind": g["kind"], "capacity": g["before_2010_mw"],
                     "capacity_unit": "MW", "status": "closed",
                     "closure_year": g["closure_year"], "x": g["x"], "y": g["y"],
                     "position": "plant", "source": g["src"], "retired_mw_since_2010": 0.0,
                     "retired_mw_before_2010": g["before_2010_mw"]})
    for r in steel.itertuples(index=False):
        rows.append({"name": r.name, "kind": "steelworks", "capacity": r.capacity,
                     "capacity_unit": "t/yr", "status": r.status, "closure_year": np.nan,
                     "x": r.x, "y": r.y, "position": "plant", "source": "gem_steel"})
    sxy = steel[["x", "y"]].to_numpy(float)
    for r in hotmaps.itertuples(index=False):
        if r.kind == "steelworks" and len(sxy) and (
                np.hypot(sxy[:, 0] - r.x, sxy[:, 1] - r.y).min() <= STEEL_MATCH_KM * 1000):
            continue  # the GEM plant
        rows.append({"name": r.name, "kind": r.kind, "capacity": r.capacity,
                     "capacity_unit": "t/yr" if np.isfinite(r.capacity) else None,
                     "status": "reporting in 2014", "closure_year": np.nan, "x": r.x,
                     "y": r.y, "position": "works", "source": "hotmaps_industrial_sites"})
    for r in airfields.itertuples(index=False):
        rows.append({"name": r.name, "kind": "airfield", "capacity": np.nan,
                     "capacity_unit": None, "status": "closed", "closure_year": np.nan,
                     "x": r.x, "y": r.y, "position": "airfield reference point",
                     "source": "ourairports_closed"})
    reg = pd.DataFrame(rows, columns=list(REGISTER_COLUMNS))
    for c in ("retired_mw_since_2010", "retired_mw_before_2010"):
        reg[c] = reg[c].where(reg["kind"].isin(POWER_KINDS))
    return reg.reset_index(drop=True)


def register_summary(register: pd.DataFrame) -> pd.DataFrame:
    """Sites of each kind in the register and how many are placed.

    >>> reg = pd.DataFrame({"kind": ["a", "a", "b"], "x": [1.0, np.nan, 2.0]})
    >>> register_summary(reg).to_dict("index")
    {'a': {'sites': 2, 'placed': 1}, 'b': {'sites': 1, 'placed': 1}}
    """
    g = register.assign(placed=register["x"].notna()).groupby("kind", sort=True)
    return pd.DataFrame({"sites": g.size(), "placed": g["placed"].sum().astype(int)})


def closed_power_stations(register: pd.DataFrame, *, min_since_2010_mw: float = 0.0
                          ) -> pd.DataFrame:
    """Power stations of the register that retired at least ``min_since_2010_mw`` since
    2010 (DUKES), placed or not: what ``dist_closed_power_station_km`` and
    ``retired_capacity_mw`` both read."""
    p = register[register["kind"].isin(POWER_KINDS)]
    return p[p["retired_mw_since_2010"] >= max(min_since_2010_mw, 1e-9)].reset_index(drop=True)
