"""Distribution headroom: UKPN grid-substation firm capacity less demand, and DNO areas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...grid import GridSpec, distance_to_points

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
    d_own = distance_to_points(own_xy, grid, land)
    d_other = distance_to_points(other_xy, grid, land)
    with np.errstate(invalid="ignore"):
        return land & (d_own <= max_km) & ~(d_other < d_own)
