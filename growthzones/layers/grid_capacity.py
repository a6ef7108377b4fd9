"""Grid capacity: where firm power can be connected.

Substation locations come from ETYS 2024 site codes (the authoritative list of
transmission sites and their voltages), placed with coordinates in a stated order of
trust: (1) NESO's FES 2024 GSP list, (2) PyPSA-GB's compiled site coordinates (often a
geocoded village centre, so a few km out); then the DNOs' own 132 kV sites with their
published coordinates: (3) NGED Super Grid, Bulk Supply Point and 132 kV switching
stations, (4) UKPN grid substations at 132 kV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..grid import BNG, GridSpec, distance_to_points
from . import Criterion

_SOURCES = ("etys_2024", "fes2024_gsp", "etys_coords_pypsagb", "nged_substations", "ukpn_sites")

CRITERIA = {
    "dist_substation_132kv_km": Criterion(
        name="dist_substation_132kv_km", layer="grid_capacity",
        title="Distance to nearest 132 kV+ substation", unit="km", direction="min",
        description="Straight-line distance from the cell centre to the nearest substation "
                    "with 132 kV or higher (ETYS 2024 sites placed by FES 2024 / PyPSA-GB, "
                    "NGED and UKPN 132 kV sites).",
        sources=_SOURCES,
        coverage="GB: ETYS lists every transmission-owner site; 577 of 795 onshore site codes "
                 "have coordinates, so some remote sites are missing and distances there are "
                 "overstated.",
        default_transform={"type": "piecewise", "points": [[0, 1], [5, 0.8], [15, 0.4], [40, 0]]}),
    "dist_transmission_km": Criterion(
        name="dist_transmission_km", layer="grid_capacity",
        title="Distance to nearest 400/275 kV substation", unit="km", direction="min",
        description="Straight-line distance to the nearest ETYS 2024 site with a 400 kV or "
                    "275 kV busbar (placed by FES 2024, then PyPSA-GB), or an NGED Super Grid "
                    "substation.",
        sources=_SOURCES,
        coverage="GB: 350 of the 459 ETYS sites with 400/275 kV have coordinates.",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.6], [30, 0.2], [60, 0]]}),
}


def read_etys_sites(path) -> pd.DataFrame:
    """ETYS 2024 substation index (sheets B-1-1a..d): one row per site code.

    Returns
    -------
    pandas.DataFrame
        ``site_code``, ``site_name``, ``max_kv`` (highest numeric voltage at the site),
        ``offshore`` (OFTO site whose name says offshore).
    """
    frames = [pd.read_excel(path, sheet_name=s, header=1) for s in
              ("B-1-1a", "B-1-1b", "B-1-1c", "B-1-1d")]
    df = pd.concat(frames, ignore_index=True).rename(
        columns={"Site Code": "site_code", "Site Name": "site_name", "Voltage (kV)": "kv"})
    df = df.dropna(subset=["site_code"])
    df["kv"] = pd.to_numeric(df["kv"], errors="coerce")  # 'TBC' has no voltage yet
    df["site_code"] = df["site_code"].astype(str).str.strip().str.upper()
    out = df.groupby("site_code").agg(site_name=("site_name", "first"), max_kv=("kv", "max"))
    out["offshore"] = out["site_name"].astype(str).str.upper().str.contains("OFFSHORE")
    return out.reset_index()


def place_etys_sites(sites: pd.DataFrame, fes: pd.DataFrame, pypsa: pd.DataFrame) -> pd.DataFrame:
    """Attach lon/lat to ETYS site codes: FES 2024 GSP list first, PyPSA-GB second.

    Rows that neither source places are dropped, as are 0/0 coordinates.

    Returns
    -------
    pandas.DataFrame
        ``sites`` columns plus ``lon``, ``lat``, ``coord_source``.
    """
    f = fes.assign(site_code=fes["GSP ID"].astype(str).str[:4].str.upper())
    f = f.groupby("site_code")[["Longitude", "Latitude"]].first()
    p = pypsa.assign(site_code=pypsa["site_code"].astype(str).str.upper())
    p = p.groupby("site_code")[["lon", "lat"]].first()
    out = sites.set_index("site_code")
    lon = f["Longitude"].reindex(out.index)
    lat = f["Latitude"].reindex(out.index)
    src = pd.Series(np.where(lon.notna(), "fes2024_gsp", None), index=out.index, dtype=object)
    fill = lon.isna() & p["lon"].reindex(out.index).notna()
    lon[fill] = p["lon"].reindex(out.index)[fill]
    lat[fill] = p["lat"].reindex(out.index)[fill]
    src[fill] = "etys_coords_pypsagb"
    out = out.assign(lon=lon, lat=lat, coord_source=src).reset_index()
    bad = out["lon"].isna() | out["lat"].isna() | ((out["lon"] == 0) & (out["lat"] == 0))
    return out[~bad].reset_index(drop=True)


def to_bng(lon, lat) -> np.ndarray:
    """(n, 2) array of EPSG:27700 x, y from WGS84 lon/lat."""
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, BNG, always_xy=True).transform(
        np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def substation_points(sources: SourceFiles) -> pd.DataFrame:
    """All located substations of 132 kV and above, with the voltage class and source.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``x``, ``y`` (EPSG:27700 m), ``transmission`` (400/275 kV present),
        ``source``.
    """
    etys = read_etys_sites(sources.path("etys_2024"))
    etys = etys[(etys["max_kv"] >= 132) & ~etys["offshore"]]
    placed = place_etys_sites(etys, pd.read_csv(sources.path("fes2024_gsp")),
                              pd.read_csv(sources.path("etys_coords_pypsagb")))
    xy = to_bng(placed["lon"], placed["lat"])
    parts = [pd.DataFrame({"name": placed["site_name"], "x": xy[:, 0], "y": xy[:, 1],
                           "transmission": placed["max_kv"] >= 275,
                           "source": placed["coord_source"]})]
    nged = pd.read_csv(sources.path("nged_substations"))
    kind = nged["Substation Type"].str.lower()
    keep = kind.isin(["super grid substation", "bulk supply point", "132kv switching station"])
    nged = nged[keep & nged["Easting"].gt(0) & nged["Northing"].gt(0)]
    parts.append(pd.DataFrame({"name": nged["Substation Name"], "x": nged["Easting"],
                               "y": nged["Northing"],
                               "transmission": nged["Substation Type"].str.lower()
                               == "super grid substation", "source": "nged_substations"}))
    ukpn = pd.read_csv(sources.path("ukpn_sites"), encoding="utf-8-sig")
    ukpn = ukpn[(ukpn["SiteType"] == "Grid Substation") & (ukpn["SiteVoltage"] >= 132)
                & ukpn["Easting"].gt(0)]
    parts.append(pd.DataFrame({"name": ukpn["SiteName"], "x": ukpn["Easting"],
                               "y": ukpn["Northing"], "transmission": False,
                               "source": "ukpn_sites"}))
    return pd.concat(parts, ignore_index=True)


def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    subs = substation_points(sources)
    xy = subs[["x", "y"]].to_numpy(float)
    return {
        "dist_substation_132kv_km": distance_to_points(xy, grid, base.land),
        "dist_transmission_km": distance_to_points(xy[subs["transmission"].to_numpy()],
                                                   grid, base.land),
    }
