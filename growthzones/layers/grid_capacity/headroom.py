"""Distribution headroom: UKPN grid-substation firm capacity less demand, and DNO areas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...grid import GridSpec, distance_to_points, to_bng

#: Radius (km) in which the best UKPN grid-substation headroom counts for a cell.
HEADROOM_RADIUS_KM = 15.0
#: A cell is inside a DNO's data area if a site of that DNO is within this many km and
#: no site of the other DNO with published sites is nearer.
DNO_AREA_KM = 6.0


def parse_ratings(value) -> list[float]:
    """Comma-separated transformer ratings (MVA), e.g. ``"117, 117"`` -> [117.0, 117.0].

    >>> parse_ratings("80, 78, 78"), parse_ratings(float("nan"))
    ([80.0, 78.0, 78.0], [])
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    out = []
    for part in str(value).split(","):
        try:
            out.append(float(part))
        except ValueError:
            continue
    return out


def firm_headroom(ratings, max_demand_mva: float) -> tuple[float, float]:
    """Firm (N-1) capacity and demand headroom of one substation, in MVA.

    .. math:: firm = \\sum r_i - \\max r_i, \\qquad headroom = firm - demand

    A single transformer has no firm capacity (losing it loses the site).

    >>> firm_headroom([117, 117], 80.7)
    (117.0, 36.3)
    """
    r = [float(v) for v in ratings]
    if not r or max_demand_mva is None or np.isnan(max_demand_mva):
        return float("nan"), float("nan")
    firm = sum(r) - max(r)
    return firm, round(firm - float(max_demand_mva), 6)


def ukpn_headroom(ukpn: pd.DataFrame) -> pd.DataFrame:
    """UKPN 132 kV grid substations with ratings and winter maximum demand, and headroom.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``x``, ``y`` (EPSG:27700 m), ``firm_mva``, ``max_demand_mva``,
        ``headroom_mva``; only rows where both ratings and demand are published.
    """
    g = ukpn[(ukpn["SiteType"] == "Grid Substation") & (ukpn["SiteVoltage"] >= 132)]
    dem = pd.to_numeric(g["maxdemandwinter"], errors="coerce")
    fh = [firm_headroom(parse_ratings(r), d) for r, d in zip(g["transratingwinter"], dem)]
    out = pd.DataFrame({"name": g["SiteName"].values, "x": g["Easting"].values,
                        "y": g["Northing"].values, "firm_mva": [f for f, _ in fh],
                        "max_demand_mva": dem.values, "headroom_mva": [h for _, h in fh]})
    return out.dropna(subset=["headroom_mva"]).reset_index(drop=True)


def dno_area(own_xy: np.ndarray, other_xy: np.ndarray, grid: GridSpec, land: np.ndarray, *,
             max_km: float = DNO_AREA_KM) -> np.ndarray:
    """Land cells within ``max_km`` of one DNO's sites and nearer them than another's.

    Approximates a licence area from its substations (dense enough, one per ~25 km², that
    a 6 km reach leaves no holes inside and a fringe of at most 6 km outside).
    """
    return nearer_area(distance_to_points(own_xy, grid, land),
                       distance_to_points(other_xy, grid, land), land, max_km=max_km)


def nearer_area(d_own: np.ndarray, d_other: np.ndarray, land: np.ndarray, *,
                max_km: float = DNO_AREA_KM) -> np.ndarray:
    """:func:`dno_area` from the two distance fields (km), so two DNOs' areas share them."""
    with np.errstate(invalid="ignore"):
        return land & (d_own <= max_km) & ~(d_other < d_own)


# ------------------------------------------------------------------ every DNO group
#
# One criterion, ``dno_demand_headroom_mva``: the demand headroom published for the
# nearest substation of the highest level at which the cell's operator publishes a figure
# (:data:`DNO_MEASURES` says which level and which measure each licence area uses), and
# a second, ``gsp_import_limit_mw``, for the two operators that publish only GSP
# technical limits (NGED, SP Manweb): a limit agreed with NESO on the transmission
# interface is not headroom, so it is never mixed into the first.

#: How far (km) a substation's figure reaches, by level: a GSP serves a wide area, a
#: primary a town. Beyond the reach the cell is NaN (no figure nearby), not 0.
LEVEL_REACH_KM = {"GSP": 30.0, "BSP": 15.0, "grid": 15.0, "primary": 10.0}

#: Per licence area (the ``name`` of the DNO licence-area file): operator, level and the
#: published measure the criterion takes. ``None``: nothing usable is published here.
DNO_MEASURES = {
    "_A": ("UKPN", "grid", "firm (N-1) transformer capacity less winter max demand, MVA"),
    "_C": ("UKPN", "grid", "firm (N-1) transformer capacity less winter max demand, MVA"),
    "_J": ("UKPN", "grid", "firm (N-1) transformer capacity less winter max demand, MVA"),
    "_H": ("SSEN", "BSP", "SSEN estimated demand headroom (BSP), MVA"),
    "_P": ("SSEN", "primary", ("SSEN estimated demand headroom (primary; SHEPD publishes "
                              "no BSP and no GSP figure), MVA")),
    "_F": ("NPG", "GSP", "Northern Powergrid demand headroom demhr (GSP), MVA"),
    "_M": ("NPG", "GSP", "Northern Powergrid demand headroom demhr (GSP), MVA"),
    "_G": ("ENWL", "GSP", "ENWL firm demand headroom (GSP), MW taken as MVA"),
    "_N": ("SPEN", "primary", ("SP Distribution 2024 available capacity (firm less "
                              "utilisation) of the group's best primary, placed at its "
                              "grid group's site by name, MVA")),
    "_D": None, "_B": None, "_E": None, "_K": None, "_L": None,
}
#: Licence areas whose operator publishes GSP technical import limits (NGED, SP Manweb).
LIMIT_AREAS = ("_B", "_D", "_E", "_K", "_L")

_LEVEL_RANK = {"primary": 1, "BSP": 2, "grid": 2, "GSP": 3}


def substation_points(name, level, x, y, value, operator) -> pd.DataFrame:
    """Substations as rows ``name``, ``level``, ``x``, ``y`` (EPSG:27700), ``value``,
    ``operator``; rows without a position or a figure are dropped."""
    out = pd.DataFrame({"name": np.asarray(name, dtype=object), "level": level,
                        "x": np.asarray(x, float), "y": np.asarray(y, float),
                        "value": np.asarray(value, float), "operator": operator})
    return out.dropna(subset=["x", "y", "value"]).reset_index(drop=True)


def highest_level(points: pd.DataFrame) -> pd.DataFrame:
    """The rows of the highest level (GSP > BSP/grid > primary) that has any figure.

    >>> p = pd.DataFrame({"level": ["primary", "BSP", "BSP"], "value": [1.0, 2.0, 3.0]})
    >>> highest_level(p)["value"].tolist()
    [2.0, 3.0]
    """
    if points.empty:
        return points
    top = max(points["level"], key=_LEVEL_RANK.__getitem__)
    return points[points["level"] == top].reset_index(drop=True)


def ssen_headroom(ssen: pd.DataFrame, area: str) -> pd.DataFrame:
    """SSEN dashboard rows of one licence area (``SEPD`` or ``SHEPD``) with a demand figure.

    GSP rows carry no headroom (blank in the source), so they drop out here.
    """
    s = ssen[ssen["Map / License Area"].str.endswith("/ " + area)]
    xy = to_bng(s["Location Longitude"].to_numpy(float), s["Location Latitude"].to_numpy(float))
    level = s["Substation Type"].map({"GSP": "GSP", "BSP": "BSP", "Primary": "primary"})
    return substation_points(s["Substation"], level.to_numpy(), xy[:, 0], xy[:, 1],
                   pd.to_numeric(s["Estimated Demand Headroom (MVA)"], errors="coerce"), "SSEN")


def npg_headroom(npg: pd.DataFrame) -> pd.DataFrame:
    """Northern Powergrid substations with their demand headroom (``demhr``, MVA)."""
    level = npg["typetable"].map({"GSP": "GSP", "Supply Point": "BSP", "Primary": "primary"})
    return substation_points(npg["psp_name"], level.to_numpy(), npg["grid_easting"], npg["grid_northing"],
                   pd.to_numeric(npg["demhr"], errors="coerce"), "NPG")


def enwl_headroom(enwl: pd.DataFrame) -> pd.DataFrame:
    """ENWL GSPs with their firm demand headroom (``headroom_mw``; negative: over-committed)."""
    return substation_points(enwl["gsp_raw_name"], "GSP", enwl["easting"], enwl["northing"],
                   pd.to_numeric(enwl["headroom_mw"], errors="coerce"), "ENWL")


def spd_group_name(name: str) -> str:
    """An SP Distribution grid-group name without its section suffix.

    >>> spd_group_name("Grangemouth A/C"), spd_group_name("Kilbowie 33Kv")
    ('Grangemouth', 'Kilbowie')
    """
    import re

    s = re.sub(r"\s+33\s*kv$", "", str(name).strip(), flags=re.IGNORECASE)
    return re.sub(r"\s+[A-Z](/[A-Z])*$", "", s)


def spd_headroom(spd: pd.DataFrame, locate, *, year: int = 2024) -> pd.DataFrame:
    """SP Distribution: per grid group, the best primary's available capacity in ``year``.

    Groups are placed by name with ``locate`` (:func:`.queues.name_locator`): first the
    name as published, then without its suffix (:func:`spd_group_name`).
    """
    col = f"Available Capacity (MVA) {year}"
    best = spd.groupby("Grid Supply Point")[col].max().dropna()
    xs, ys = [], []
    for g in best.index:
        hit = locate(g) or locate(spd_group_name(g))
        xs.append(hit[0] if hit else np.nan)
        ys.append(hit[1] if hit else np.nan)
    return substation_points(best.index, "primary", xs, ys, best.to_numpy(), "SPEN")


def spm_limits(spm: pd.DataFrame, locate) -> pd.DataFrame:
    """SP Manweb GSPs: |winter technical import limit| (MW), placed by name."""
    v = -pd.to_numeric(spm["gsp_technical_import_limit_winter_mw_01_dec_28_feb"],
                       errors="coerce")
    hits = [locate(n) for n in spm["gsp_name"]]
    return substation_points(spm["gsp_name"], "GSP", [h[0] if h else np.nan for h in hits],
                   [h[1] if h else np.nan for h in hits], v, "SPEN")


def nged_limits(nged: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """NGED GSP groups: |winter import technical limit| (MW) at the group's first placed site.

    One value per group (the limit is per group; a group spanning two sites repeats it
    on both). Sites come from the first four characters of the bus names (ETYS codes).
    """
    w = nged[nged["Season"] == "Winter"].copy()
    w["limit"] = -pd.to_numeric(w["Import TL MW"], errors="coerce")
    placed = sites[sites["x"].notna()].set_index("site_code")
    rows = []
    for gsp, g in w.groupby("GSP Name"):
        lim = g["limit"].min()  # the binding (smallest) limit across the group's SGTs
        codes = pd.unique(pd.concat([g["From Bus Name"], g["To Bus Name"]]).astype(str).str[:4])
        for c in codes:
            if c in placed.index:
                rows.append((gsp, placed.at[c, "x"], placed.at[c, "y"], lim))
                break
    if not rows:
        return substation_points([], "GSP", [], [], [], "NGED")
    n, x, y, v = zip(*rows)
    return substation_points(n, "GSP", x, y, v, "NGED")


def licence_area_index(areas, grid: GridSpec) -> tuple[np.ndarray, list[str]]:
    """Licence-area polygons (EPSG:27700) on ``grid``: 1-based index into the names, 0 outside."""
    from ...grid import rasterize_index

    names = list(areas["name"])
    return rasterize_index(areas.geometry.values, np.arange(1, len(names) + 1), grid,
                           dtype="int16"), names


def value_by_area(points_by_area: dict[str, pd.DataFrame], area_index: np.ndarray,
                  names: list[str], grid: GridSpec, land: np.ndarray) -> np.ndarray:
    """Each land cell takes the value of the nearest point of its own licence area.

    Only the highest level of each area's points is used (:func:`highest_level`), and a
    cell beyond that level's reach (:data:`LEVEL_REACH_KM`) is NaN. Pure.
    """
    from ...grid import value_of_nearest

    out = np.full(grid.shape, np.nan, dtype=np.float32)
    for i, name in enumerate(names, start=1):
        pts = highest_level(points_by_area.get(name, pd.DataFrame()))
        cells = land & (area_index == i)
        if pts is None or pts.empty or not cells.any():
            continue
        xy = pts[["x", "y"]].to_numpy(float)
        v = value_of_nearest(xy, pts["value"].to_numpy(float), grid, cells)
        d = distance_to_points(xy, grid, cells)
        reach = LEVEL_REACH_KM[pts["level"].iloc[0]]
        ok = cells & (d <= reach)
        out[ok] = v[ok]
    return out


def read_dno_sources(sources) -> dict:
    """The DNO capacity files and the licence-area polygons (EPSG:27700), as read."""
    import geopandas as gpd

    from ...grid import BNG

    return {
        "ssen": pd.read_csv(sources.path("ssen_headroom")),
        "npg": pd.read_csv(sources.path("npg_heatmap"), sep=";"),
        "enwl": pd.read_csv(sources.path("enwl_gsp_headroom")),
        "spd": pd.read_csv(sources.path("spen_spd_utilisation")),
        "spm": pd.read_csv(sources.path("spen_spm_limits")),
        "nged_limits": pd.read_csv(sources.path("nged_gsp_limits")),
        "dno_areas": gpd.read_file(sources.path("dno_licence_areas")).to_crs(BNG),
    }


def dno_headroom_points(raw: dict, ukpn: pd.DataFrame, sites: pd.DataFrame, locate) -> dict:
    """Per licence area, the points behind the two DNO criteria (pure).

    Returns ``dno_headroom`` and ``dno_limits`` (``{area name: points}``, see
    :data:`DNO_MEASURES` and :data:`LIMIT_AREAS`) and ``dno_areas`` (the polygons).
    """
    ukpn_pts = substation_points(ukpn["name"], "grid", ukpn["x"], ukpn["y"], ukpn["headroom_mva"], "UKPN")
    npg = npg_headroom(raw["npg"])
    head = {"_A": ukpn_pts, "_C": ukpn_pts, "_J": ukpn_pts,
            "_H": ssen_headroom(raw["ssen"], "SEPD"), "_P": ssen_headroom(raw["ssen"], "SHEPD"),
            "_F": npg, "_M": npg, "_G": enwl_headroom(raw["enwl"]),
            "_N": spd_headroom(raw["spd"], locate)}
    nged = nged_limits(raw["nged_limits"], sites)
    limits = {a: nged for a in LIMIT_AREAS if a != "_D"}
    limits["_D"] = spm_limits(raw["spm"], locate)
    return {"dno_headroom": head, "dno_limits": limits, "dno_areas": raw["dno_areas"]}
