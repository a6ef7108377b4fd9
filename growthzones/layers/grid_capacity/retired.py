"""Retired power stations: MW closed since 2010 per station, attached to ETYS sites.

The DUKES 5.11 changes table gives the MW retired per station; GPPD and the DUKES station
lists give plant coordinates; :func:`locate_retired` joins each station to a placed
substation by name or by coordinates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...catalog import SourceFiles
from ...grid import to_bng
from ...io import read_workbook
from .names import _in_gb, station_key

#: Radius (km) in which a retired station's connection counts for a cell.
RETIRED_RADIUS_KM = 5.0


#: Smallest retired capacity (MW) that counts: smaller stations are embedded in the
#: distribution network and free no transmission-scale connection.
MIN_RETIRED_MW = 100.0


_FUEL_FAMILIES = (("nuclear", "nuclear"), ("coal", "coal"), ("oil", "oil"), ("ccgt", "gas"),
                  ("ocgt", "gas"), ("gas", "gas"), ("biomass", "biomass"), ("waste", "waste"))
#: Fuel families whose closure frees a large thermal connection.
THERMAL = ("coal", "oil", "gas", "nuclear")


def fuel_family(fuel) -> str:
    """``coal``, ``oil``, ``gas``, ``nuclear``, ``biomass``, ``waste`` or ``other``.

    >>> fuel_family("Coal/Oil"), fuel_family("CCGT/OCGT [note 17]")
    ('coal', 'gas')
    """
    f = str(fuel).lower()
    return next((fam for word, fam in _FUEL_FAMILIES if word in f), "other")


def retired_capacity_by_station(changes: pd.DataFrame, *, min_mw: float = MIN_RETIRED_MW
                                ) -> pd.DataFrame:
    """MW retired since 2010 per power station, from the DUKES 5.11 changes table.

    Each (station, fuel family) is a series whose capacity starts at its first row's
    previous capacity and becomes each row's new capacity, year by year (within a year
    decreases before increases, so a same-year conversion never looks like growth). A
    station (:func:`station_key`: units A/B, GT, CHP joined) retires its peak total minus
    its present total. So Drax, which converted four of six units to biomass, retires
    1,320 MW; Grain A's 1,300 MW counts even though Grain CHP opened beside it, and a
    mothballed-then-reopened plant retires nothing.

    Parameters
    ----------
    changes
        Sheet ``Changed and converted stations`` (``header=5``): ``Year of opening/...``,
        ``Site``, ``Fuel``, ``Status``, ``Previous Capacity (MW)``, ``New Capacity (MW)``.
    min_mw
        Stations retiring less are dropped.

    Returns
    -------
    pandas.DataFrame
        ``station`` (key), ``sites`` (DUKES names), ``fuels``, ``peak_mw``, ``present_mw``,
        ``retired_mw``, ``last_change`` (year), for stations with a thermal fuel that
        retired at least ``min_mw``.
    """
    year_col = next(c for c in changes.columns if str(c).lower().startswith("year"))
    d = pd.DataFrame({
        "year": pd.to_numeric(changes[year_col], errors="coerce"),
        "site": changes["Site"].astype(str).str.strip(),
        "fam": changes["Fuel"].map(fuel_family),
        "prev": pd.to_numeric(changes["Previous Capacity (MW)"], errors="coerce").fillna(0.0),
        "new": pd.to_numeric(changes["New Capacity (MW)"], errors="coerce").fillna(0.0),
    }).dropna(subset=["year"])
    d["station"] = d["site"].map(station_key)
    # One series per station and fuel: Wylfa's "Reactor 2" row (980 -> 490 MW) and
    # "Reactor 1" row (490 -> 0 MW) are steps of one 980 MW station.
    d["series"] = d["station"] + "|" + d["fam"]
    d["order"] = np.arange(len(d))
    d["up"] = d["new"] > d["prev"]
    rows = []
    for station, g in d.groupby("station", sort=True):
        cap = g.groupby("series")["prev"].first().to_dict()  # state before the first change
        peak = total = sum(cap.values())
        for r in g.sort_values(["year", "up", "order"]).itertuples():
            cap[r.series] = r.new
            total = sum(cap.values())
            peak = max(peak, total)
        rows.append({"station": station, "sites": "; ".join(sorted(set(g["site"]))),
                     "fuels": "; ".join(sorted(set(g["fam"]))), "peak_mw": peak,
                     "present_mw": total, "retired_mw": peak - total,
                     "last_change": int(g["year"].max()),
                     "thermal": bool(g["fam"].isin(THERMAL).any())})
    out = pd.DataFrame(rows)
    out = out[out["thermal"] & (out["retired_mw"] >= min_mw)].drop(columns="thermal")
    return out.sort_values("retired_mw", ascending=False).reset_index(drop=True)


def clean_plant_coordinates(df: pd.DataFrame) -> pd.DataFrame:
    """DUKES station rows with usable British National Grid coordinates.

    Northern Ireland rows (``Country``) are in Irish Grid (EPSG:29903), not BNG: read as
    BNG they would land in GB (Kilroot's 157669, 543287 falls in the sea off Galloway), so
    they are kept only as a flag (``ni`` True, no coordinates). 0/0, missing and
    out-of-GB coordinates (e.g. X = 3,201,233) are dropped.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``capacity_mw``, ``fuel``, ``x``, ``y``, ``ni``.
    """
    cap = next(c for c in df.columns if str(c).startswith("InstalledCapacity"))
    out = pd.DataFrame({
        "name": df["Site Name"].astype(str),
        "capacity_mw": pd.to_numeric(df[cap], errors="coerce"),
        "fuel": df["Primary Fuel"].astype(str),
        "x": pd.to_numeric(df["X-Coordinate"], errors="coerce"),
        "y": pd.to_numeric(df["Y-Coordinate"], errors="coerce"),
        "ni": df["Country"].astype(str).str.strip().eq("Northern Ireland")})
    out.loc[out["ni"], ["x", "y"]] = np.nan
    ok = out["ni"] | _in_gb(out["x"], out["y"])
    return out[ok].reset_index(drop=True)


def in_northern_ireland(lon, lat) -> np.ndarray:
    """True for WGS84 points in the Northern Ireland box (lon -8.2..-5.4, lat 54.0..55.3).

    The box holds no GB land except the tip of Kintyre (lat > 55.28), outside it.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon > -8.2) & (lon < -5.4) & (lat > 54.0) & (lat < 55.28)


#: DUKES 5.11 sheets this theme reads: the changes table and the station lists with
#: coordinates (2024 first).
DUKES_CHANGES_SHEET = "Changed and converted stations"
DUKES_LIST_SHEETS = ("DUKES 2024", "DUKES 2023", "DUKES 2022")


def read_dukes(sources: SourceFiles) -> dict[str, pd.DataFrame]:
    """The DUKES 5.11 sheets of :data:`DUKES_CHANGES_SHEET` and :data:`DUKES_LIST_SHEETS`,
    read in one pass of the workbook (``header=5``), by sheet name."""
    return read_workbook(sources.path("dukes_5_11"),
                         sheet_name=[DUKES_CHANGES_SHEET, *DUKES_LIST_SHEETS], header=5)


def plant_points(gppd: pd.DataFrame, dukes_lists) -> pd.DataFrame:
    """Located thermal and nuclear plant (>= :data:`MIN_RETIRED_MW`), keyed by station.

    GPPD (2016 snapshot: coordinates for plant since closed) first, then the DUKES 2022-2024
    station lists (the only years with coordinates) for plant still open then.

    Parameters
    ----------
    gppd
        The GPPD GB file as read (``name``, ``capacity_mw``, ``fuel1``, ``latitude``,
        ``longitude``).
    dukes_lists
        DUKES station-list sheets, most recent first (see :func:`clean_plant_coordinates`).

    Returns
    -------
    pandas.DataFrame
        ``station`` (:func:`station_key`), ``x``, ``y`` (EPSG:27700 m; NaN in Northern
        Ireland), ``ni``, ``source``; one row per station.
    """
    g = gppd[gppd["latitude"].notna() & gppd["longitude"].notna()]
    xy = to_bng(g["longitude"], g["latitude"])
    ni = in_northern_ireland(g["longitude"], g["latitude"])
    gp = pd.DataFrame({"name": g["name"].values, "capacity_mw": g["capacity_mw"].values,
                       "fuel": g["fuel1"].values, "x": np.where(ni, np.nan, xy[:, 0]),
                       "y": np.where(ni, np.nan, xy[:, 1]), "ni": ni, "source": "gppd_gbr"})
    du = pd.concat([clean_plant_coordinates(v) for v in dukes_lists], ignore_index=True)
    du["source"] = "dukes_5_11"
    pts = pd.concat([gp, du], ignore_index=True)
    pts = pts[pts["fuel"].map(fuel_family).isin(THERMAL) & (pts["capacity_mw"] >= MIN_RETIRED_MW)
              & (pts["ni"] | _in_gb(pts["x"], pts["y"]))]
    pts["station"] = pts["name"].map(station_key)
    return pts.groupby("station", sort=False)[["x", "y", "ni", "source"]].first().reset_index()


def read_plant_points(sources: SourceFiles) -> pd.DataFrame:
    """Read GPPD and the DUKES station lists and return :func:`plant_points` of them."""
    dukes = read_dukes(sources)
    return plant_points(pd.read_csv(sources.path("gppd_gbr")),
                        [dukes[s] for s in DUKES_LIST_SHEETS])


def _within_route(start: str, adj: dict, limit_km: float) -> set[str]:
    """Sites reachable from ``start`` along circuits of total route length <= limit_km."""
    import heapq

    best = {start: 0.0}
    heap = [(0.0, start)]
    while heap:
        d, s = heapq.heappop(heap)
        if d > best.get(s, np.inf):
            continue
        for nb, length in adj.get(s, []):
            nd = d + length
            if nd <= limit_km and nd < best.get(nb, np.inf):
                best[nb] = nd
                heapq.heappush(heap, (nd, nb))
    return set(best)


def locate_retired(retired: pd.DataFrame, sites: pd.DataFrame, plants: pd.DataFrame,
                   links: pd.DataFrame | None = None, *, max_km: float = RETIRED_RADIUS_KM,
                   link_km: float = 10.0) -> pd.DataFrame:
    """Attach each retired station to a placed ETYS substation.

    1. By name: the ETYS site whose name is the station's key, if that is unambiguous:
       every other site whose name starts with the key is at the same place, i.e. placed
       within ``max_km`` of it or reached from it along circuits of at most ``link_km``
       in all (``links``, :func:`site_links`). ``OLDBURY`` is the West Midlands GSP while
       the nuclear station was at ``OLDBURY ON SEVERN``, so Oldbury needs coordinates;
       ``WYLFA SOUTH`` is 8 km of circuit from ``WYLFA``, so Wylfa is placed by name.
    2. Else by the plant's coordinates (``plants``): the nearest placed site of 132 kV or
       more within ``max_km``.

    Stations whose plant lies in Northern Ireland are marked and never placed.

    Returns
    -------
    pandas.DataFrame
        ``retired`` plus ``site_code``, ``x``, ``y``, ``how`` (``name``, ``coordinates``,
        ``northern_ireland`` or ``unplaced``).
    """
    from scipy.spatial import cKDTree

    keyed: dict[str, list[tuple[int, bool]]] = {}  # key -> [(row, exact)]
    for i, names in zip(sites.index, sites["names"]):
        for n in names:
            k = station_key(n)
            for j in range(1, len(k.split()) + 1):
                keyed.setdefault(" ".join(k.split()[:j]), []).append((i, j == len(k.split())))
    placed = sites[sites["x"].notna()]
    hv = placed[placed["max_kv"] >= 132]
    tree = cKDTree(hv[["x", "y"]].to_numpy(float))
    plant = plants.set_index("station")
    adj: dict[str, list[tuple[str, float]]] = {}
    for a, b, length in ([] if links is None else
                         links[["a", "b", "length_km"]].itertuples(index=False)):
        if length <= link_km:
            adj.setdefault(a, []).append((b, length))
            adj.setdefault(b, []).append((a, length))
    code, xs, ys, how = [], [], [], []
    for key in retired["station"]:
        i, h = None, "unplaced"
        hits = keyed.get(key, [])
        exact = sorted({r for r, e in hits if e and r in placed.index},
                       key=lambda r: -sites.at[r, "max_kv"])
        if exact:
            r0 = exact[0]
            reach = _within_route(sites.at[r0, "site_code"], adj, link_km)
            same = True
            for r in {r for r, _ in hits} - {r0}:
                d = np.hypot(sites.at[r, "x"] - sites.at[r0, "x"],
                             sites.at[r, "y"] - sites.at[r0, "y"])
                if not d <= max_km * 1000 and sites.at[r, "site_code"] not in reach:
                    same = False
            if same:
                i, h = r0, "name"
        if i is None and key in plant.index:
            if bool(plant.at[key, "ni"]):
                h = "northern_ireland"
            else:
                d, j = tree.query(plant.loc[key, ["x", "y"]].to_numpy(float))
                if d <= max_km * 1000:
                    i, h = hv.index[j], "coordinates"
        code.append(None if i is None else sites.at[i, "site_code"])
        xs.append(np.nan if i is None else sites.at[i, "x"])
        ys.append(np.nan if i is None else sites.at[i, "y"])
        how.append(h)
    return retired.assign(site_code=code, x=xs, y=ys, how=how)
