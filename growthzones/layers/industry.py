"""The register of industrial sites, and the former-industry and data-centre criteria.

One register (:func:`read_register`) holds every closed or operating industrial plant the
shared data knows, one row per site, with ``name``, ``kind``, ``capacity`` and
``capacity_unit`` (MW or t/yr, where published), ``status``, ``closure_year``, ``x``,
``y`` (EPSG:27700 m), ``position`` (how good the point is) and ``source``. Every layer
that needs closed or operating plant reads it: ``post_industrial`` (distance to a closed
power station, the former-industry criteria) and ``grid_capacity`` (retired capacity).
One reader per source:

- :func:`read_dukes_closures`: DUKES 5.11 closures since 2010 (peak minus present MW per
  station, :func:`~growthzones.layers.grid_capacity.retired.retired_capacity_by_station`),
  placed by ``closed_stations.csv`` (beside this module: which source places each
  station, with notes; plant-level sources first, the serving substation last);
- :func:`read_gem_coal`: GEM Global Coal Plant Tracker units (retirements back to 2000);
- :func:`read_gem_nuclear`: GEM Global Nuclear Power Tracker units (all retirements);
- :func:`read_gem_steel`: GEM Global Iron and Steel Tracker plants;
- :func:`read_hotmaps`: Hotmaps Industrial Database sites (EU ETS / E-PRTR, 2014);
- :func:`read_closed_airfields`: OurAirports closed airfields;
- :func:`read_osm_power_plants`: OpenStreetMap power plants (2026), for positions only;
- :func:`read_data_centres`: OpenStreetMap data-centre elements (2026), kept apart from
  the register (they are not former industry).

Deduplication (:func:`merge_register`): a DUKES station and its GEM plant are one site
(``gem_plant`` in the CSV): DUKES gives the MW retired since 2010 (it nets conversions:
Drax, Lynemouth), GEM adds only units retired before 2010 (Dungeness A, Hinkley Point A,
Hunterston A); GEM plants with no DUKES station become sites of their own when they
retired units before 2010 (Methil, Drakelow, High Marnham, Berkeley, Bradwell, ...).
Hotmaps rows without coordinates and in Northern Ireland are dropped; a point shared by
several ETS-only rows is an operator's registered address, not a works (four steelworks
at one Rotherham office), so those rows are dropped; rows of one kind within
:data:`DUPLICATE_KM` are one works (ETS and E-PRTR report the same site); Hotmaps
steelworks within :data:`STEEL_MATCH_KM` of a GEM steel plant are that plant. Every drop
is counted in :func:`register_summary`.

Coverage by kind: power stations closed since 2010 (DUKES, all fuels >= 100 MW, thermal),
coal stations closed 2000-2009 and nuclear stations closed at any date (GEM); steelworks
tracked by GEM in 2025; energy-intensive works reporting to the EU ETS or E-PRTR in 2014
(steel, aluminium and other non-ferrous smelters, refineries, chemicals, cement, glass,
paper, brick and lime; many have since closed, none carries a closure date); closed
airfields known to OurAirports (2022). **Not covered**: collieries, car plants,
shipyards, coal stations closed before 2000, gas and oil closures before 2010, and
coalfields (no open file holds them; see the catalogue's gaps).

Existing data centres: OpenStreetMap elements are buildings, not facilities: one campus is
several elements, so elements within :data:`CAMPUS_LINK_M` of each other (single
linkage) are grouped into one facility (:func:`group_facilities`); distance is to the
nearest element, the count within :data:`DATA_CENTRE_RADIUS_KM` counts facilities.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..grid import GridSpec, distance_to_points, reduce_within, to_bng
from .grid_capacity.retired import (
    DUKES_CHANGES_SHEET,
    DUKES_LIST_SHEETS,
    clean_plant_coordinates,
    read_dukes,
    retired_capacity_by_station,
)

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


def _placed_xy(frame: pd.DataFrame) -> np.ndarray:
    ok = frame["x"].notna() & frame["y"].notna()
    return frame.loc[ok, ["x", "y"]].to_numpy(float)


def former_industry_on_grid(register: pd.DataFrame, grid: GridSpec, land: np.ndarray
                            ) -> dict[str, np.ndarray]:
    """The three former-industry criteria on ``grid`` (pure).

    ``dist_former_industry_km``: distance to the nearest placed site of any kind but
    airfields; ``retired_generation_mw_10km``: sum of retired MW (before and since 2010)
    of stations within :data:`RETIRED_GENERATION_RADIUS_KM`; ``previously_developed``: 1
    where a placed site of any kind (airfields included) lies within
    :data:`PREVIOUSLY_DEVELOPED_KM` of the cell centre, else 0.
    """
    heavy = register[register["kind"] != "airfield"]
    power = register[register["kind"].isin(POWER_KINDS)]
    pxy = _placed_xy(power)
    pmw = power.loc[power["x"].notna() & power["y"].notna(), "capacity"].to_numpy(float)
    allxy = _placed_xy(register)
    return {
        "dist_former_industry_km": distance_to_points(_placed_xy(heavy), grid, land),
        "retired_generation_mw_10km": reduce_within(
            pxy, pmw, grid, land, radius_km=RETIRED_GENERATION_RADIUS_KM, how="sum", fill=0.0),
        "previously_developed": reduce_within(
            allxy, np.ones(len(allxy)), grid, land, radius_km=PREVIOUSLY_DEVELOPED_KM,
            how="max", fill=0.0),
    }


def data_centres_on_grid(elements_xy: np.ndarray, grid: GridSpec, land: np.ndarray
                         ) -> dict[str, np.ndarray]:
    """``dist_data_centre_km`` (nearest element) and ``data_centres_20km`` (facilities
    whose centre lies within :data:`DATA_CENTRE_RADIUS_KM`) on ``grid`` (pure)."""
    labels = group_facilities(elements_xy)
    centres = facility_centres(elements_xy, labels)
    return {
        "dist_data_centre_km": distance_to_points(elements_xy, grid, land),
        "data_centres_20km": reduce_within(centres, np.ones(len(centres)), grid, land,
                                           radius_km=DATA_CENTRE_RADIUS_KM, how="sum",
                                           fill=0.0),
    }


# ---------------------------------------------------------------------------------------
# Readers (edges): one per source
# ---------------------------------------------------------------------------------------

def read_closed_station_table(path: str | Path = CLOSED_STATIONS_CSV) -> pd.DataFrame:
    """``closed_stations.csv``: ``station``, ``position_source``, ``position_key``,
    ``gem_plant``, ``note`` (``#`` lines are its provenance header)."""
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False).replace("", np.nan)


def read_dukes_closures(sources: SourceFiles, dukes: dict | None = None) -> dict:
    """DUKES 5.11: closures since 2010 per station and the station lists' BNG points.

    ``dukes`` may be the already-read sheets (:func:`read_dukes`), so a build that reads
    the workbook for the grid layer reads it once.

    Returns
    -------
    dict
        ``closures`` (:func:`retired_capacity_by_station`) and ``points`` (DUKES list
        site names -> ``x``, ``y``).
    """
    sheets = read_dukes(sources) if dukes is None else dukes
    lists = pd.concat([clean_plant_coordinates(sheets[s]) for s in DUKES_LIST_SHEETS],
                      ignore_index=True)
    lists = lists[lists["x"].notna()].drop_duplicates("name").set_index("name")
    return {"closures": retired_capacity_by_station(sheets[DUKES_CHANGES_SHEET]),
            "points": lists[["x", "y"]]}


def read_gem_coal(sources: SourceFiles) -> pd.DataFrame:
    """GEM GCPT units in GB (``in_gb``), with ``x``/``y`` from the file's BNG columns."""
    d = pd.read_csv(sources.path("gem_coal_units"))
    d = d[d["in_gb"].astype(bool)]
    return d.rename(columns={"easting": "x", "northing": "y"})


def read_gem_nuclear(sources: SourceFiles) -> pd.DataFrame:
    """GEM GNPT units (all in GB), with ``x``/``y`` from the file's BNG columns."""
    d = pd.read_csv(sources.path("gem_nuclear_units"), encoding="utf-8-sig")
    return d.rename(columns={"easting": "x", "northing": "y"})


def read_gem_steel(sources: SourceFiles) -> pd.DataFrame:
    """GEM GIST plants: ``name``, ``status``, ``capacity`` (t/yr: largest crude-steel or
    iron capacity over the statuses), ``x``, ``y``.

    ``status`` is the plant status, "retired" where GEM lists retired crude-steel capacity
    (Port Talbot's blast furnaces), "mothballed" where all capacity is mothballed.
    """
    d = pd.read_csv(sources.path("gem_steel_plants"))
    cap_cols = [c for c in d.columns if c.endswith("capacity-(ttpa)")
                and ("crude-steel" in c or "iron" in c) and not c.startswith("announced")]
    cap = d[cap_cols].apply(pd.to_numeric, errors="coerce").fillna(0.0).max(axis=1) * 1000.0
    retired = pd.to_numeric(d.get("retired-nominal-crude-steel-capacity-(ttpa)", 0),
                            errors="coerce").fillna(0) > 0
    status = np.where(retired, "retired (part)", d["plant-status"].astype(str))
    xy = to_bng(d["lng"], d["lat"])
    return pd.DataFrame({"name": d["plant-name-(english)"].astype(str), "status": status,
                         "capacity": cap.where(cap > 0).to_numpy(float),
                         "x": xy[:, 0], "y": xy[:, 1]})


def read_hotmaps(sources: SourceFiles) -> pd.DataFrame:
    """The Hotmaps UK rows as published (see :func:`hotmaps_sites` for the cleaning)."""
    return pd.read_csv(sources.path("hotmaps_industrial_sites"))


def read_closed_airfields(sources: SourceFiles) -> pd.DataFrame:
    """OurAirports closed GB airfields: ``name``, ``x``, ``y`` (the file's BNG columns)."""
    d = pd.read_csv(sources.path("ourairports_closed"))
    d = d.dropna(subset=["easting", "northing"])
    return pd.DataFrame({"name": d["name"].astype(str), "x": d["easting"].to_numpy(float),
                         "y": d["northing"].to_numpy(float)})


def read_osm_power_plants(sources: SourceFiles) -> pd.DataFrame:
    """OSM power-plant ways (2026) on GB land, indexed by ``osm_id`` (str): ``name``,
    ``lifecycle``, ``x``, ``y``."""
    import pyogrio

    d = pyogrio.read_dataframe(sources.path("osm_power_plants_2026"), read_geometry=False,
                               columns=["osm_id", "name", "lifecycle_derived", "zone_derived",
                                        "lon", "lat"])
    d = d[d["zone_derived"] == "gb_land"]
    xy = to_bng(d["lon"], d["lat"])
    return pd.DataFrame({"name": d["name"].to_numpy(), "lifecycle": d["lifecycle_derived"].to_numpy(),
                         "x": xy[:, 0], "y": xy[:, 1]},
                        index=pd.Index(d["osm_id"].astype("int64").astype(str), name="osm_id"))


def read_data_centres(sources: SourceFiles) -> pd.DataFrame:
    """OSM data-centre elements in GB (2026): ``id``, ``lifecycle``, ``x``, ``y``."""
    d = pd.read_csv(sources.path("osm_data_centres"))
    return pd.DataFrame({"id": d["id"].astype(str), "lifecycle": d["lifecycle"].astype(str),
                         "x": d["easting"].to_numpy(float), "y": d["northing"].to_numpy(float)})


def read_register(sources: SourceFiles) -> tuple[pd.DataFrame, dict]:
    """Read every register source once and merge them (:func:`merge_register`).

    Both layers that use closed stations call this during one build; the result is
    cached per source folder (and returned as copies), so the files are read once.

    Returns
    -------
    register, dropped
        The register and the Hotmaps rows dropped by reason.
    """
    reg, dropped = _read_register(str(Path(sources.root).resolve()))
    return reg.copy(), dict(dropped)


@functools.lru_cache(maxsize=2)
def _read_register(root: str) -> tuple[pd.DataFrame, dict]:
    sources = SourceFiles(root)
    table = read_closed_station_table()
    du = read_dukes_closures(sources)
    coal = gem_plants(read_gem_coal(sources), name_col="Plant name", retired_col="Retired year")
    nuc = gem_plants(read_gem_nuclear(sources), name_col="Project Name",
                     retired_col="Retirement Date")
    points = {"gem_coal": coal, "gem_nuclear": nuc, "dukes": du["points"],
              "osm_plants": read_osm_power_plants(sources), "etys": read_etys_points(sources)}
    closures = place_closures(du["closures"], table, points)
    hot, dropped = hotmaps_sites(read_hotmaps(sources))
    reg = merge_register(closures, table, coal, nuc, read_gem_steel(sources), hot,
                         read_closed_airfields(sources))
    return reg, dropped


def read_etys_points(sources: SourceFiles) -> pd.DataFrame:
    """ETYS site codes -> ``x``, ``y``: FES 2024 GSP coordinates first, PyPSA-GB second."""
    fes = pd.read_csv(sources.path("fes2024_gsp"))
    f = (fes.assign(site_code=fes["GSP ID"].astype(str).str[:4].str.upper())
         .sort_values("GSP ID").groupby("site_code")[["Longitude", "Latitude"]].first()
         .rename(columns={"Longitude": "lon", "Latitude": "lat"}))
    p = pd.read_csv(sources.path("etys_coords_pypsagb"))
    p = (p.assign(site_code=p["site_code"].astype(str).str.upper())
         .groupby("site_code")[["lon", "lat"]].first())
    both = pd.concat([f, p[~p.index.isin(f.index)]])
    xy = to_bng(both["lon"], both["lat"])
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=both.index)


def coverage_counts(register: pd.DataFrame, dropped: dict | None = None,
                    data_centres: pd.DataFrame | None = None) -> dict[str, dict]:
    """Build-time figures for the coverage texts of the criteria built from the register
    (and, given ``data_centres``, from the data centres): criterion -> placeholder -> value
    (see :meth:`growthzones.criteria.Criterion.coverage_text`)."""
    dropped = dropped or {}
    if data_centres is None:
        data_centres = pd.DataFrame({"lifecycle": [], "x": [], "y": []})
    s = register_summary(register)
    power = s.loc[s.index.isin(POWER_KINDS)]
    dc = data_centres[data_centres["lifecycle"].isin(DATA_CENTRE_LIFECYCLES)]
    n_fac = int(group_facilities(dc[["x", "y"]].to_numpy(float)).max() + 1) if len(dc) else 0
    reg = {"placed_by_kind": "; ".join(f"{k} {r.placed} of {r.sites}" for k, r in s.iterrows()),
           "hotmaps_dropped": ", ".join(f"{v} {k.replace('_', ' ')}"
                                        for k, v in dropped.items()) or "none"}
    centres = {"elements": len(dc), "facilities": n_fac}

    def stations(table: pd.DataFrame) -> dict:
        return {"placed": int(table["x"].notna().sum()), "stations": len(table),
                "unplaced": ", ".join(table.loc[table["x"].isna(), "name"]) or "none"}

    return {
        "dist_former_industry_km": reg,
        "previously_developed": reg,
        "retired_generation_mw_10km": {"placed": int(power["placed"].sum()),
                                       "stations": int(power["sites"].sum())},
        "dist_data_centre_km": centres,
        "data_centres_20km": centres,
        "dist_closed_power_station_km": stations(
            closed_power_stations(register, min_since_2010_mw=200.0)),
        "retired_capacity_mw": stations(closed_power_stations(register)),
    }