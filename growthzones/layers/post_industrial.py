"""Post-industrial status: places that lost their industry and have labour to spare.

Deprivation is taken from mySociety's composite UK index, which re-scores Wales and
Scotland against the English model so that small areas in all three nations compare
(the national indices' ranks and deciles cannot be compared across nations). Its
income and employment scores are the share of people income- or employment-deprived,
defined alike in the three national indices, so they are used as they are. The
**default scenario uses** ``employment_deprivation_pct``: involuntary worklessness is the
signal a large employer can answer, and it is what de-industrialised places keep.

Former industry in the shared data is limited to power stations: DUKES 5.11 lists every
major closure since 2010, located here from DUKES, the Global Power Plant Database and
the ETYS substation that served the station (:data:`CLOSED_STATION_LOCATORS`). Coalfields,
collieries, steelworks and the Levelling Up priority lists are not in the shared data
(see ``catalog.toml`` gaps).

``post_industrial`` combines the two (see :func:`post_industrial_index`):

.. math:: P = \\tfrac12\\,\\mathrm{clip}\\left(\\frac{E_{10} - 8}{20 - 8}, 0, 1\\right)
          + \\tfrac12\\,2^{-d / 10\\,\\mathrm{km}}

with :math:`E_{10}` the mean employment deprivation (%) of the small areas within 10 km
(8 % and 20 % are about the GB small-area median and 90th percentile) and :math:`d` the
distance to the nearest power station that closed at least 200 MW since 2010. Equal
halves: a place scores highly only when it is both deprived and a former industrial site.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..criteria import theme_criteria
from ..grid import GridSpec, distance_to_points, to_bng

#: Radius (m) of the place-level employment deprivation.
PLACE_RADIUS_M = 10_000.0
#: Employment deprivation (%) mapped to 0 and to 1 in ``post_industrial``.
EMPLOYMENT_ANCHORS_PCT = (8.0, 20.0)
#: Half-distance (km) of the closed-station term in ``post_industrial``.
STATION_HALF_DISTANCE_KM = 10.0
#: Minimum generating capacity (MW) closed at a site since 2010 to count as a closed station.
MIN_CLOSED_MW = 200.0
#: Weights of the deprivation and former-industry terms in ``post_industrial``.
POST_INDUSTRIAL_WEIGHTS = (0.5, 0.5)

#: Where each station in DUKES 5.11 "Changed and converted stations" is located in the
#: shared data: ``("dukes", site name)`` in the DUKES 2024 or 2022 station list (BNG
#: coordinates), ``("gppd", name)`` in the Global Power Plant Database (2016 snapshot),
#: ``("etys", site code)`` for the transmission substation that served the station (FES
#: 2024 GSP list, else PyPSA-GB's site coordinates; the substation sits at or beside the
#: station), ``None`` where the shared data holds no location, and ``"outside_gb"`` for
#: Northern Ireland. Keys are DUKES site names with straight apostrophes.
CLOSED_STATION_LOCATORS: dict[str, tuple[str, str] | str | None] = {
    "Aberthaw B": ("gppd", "Aberthaw B"),
    "Ballylumford B": "outside_gb",
    "Barking": ("etys", "BARK"),
    "Barry": None,
    "Cockenzie": ("etys", "COCK"),
    "Cottam": ("gppd", "Cottam"),
    "Deeside": None,
    "Derwent": None,
    "Didcot A": ("etys", "DIDC"),
    "Drax": ("dukes", "Drax Power Station Coal Units"),
    "Dungeness B": ("gppd", "Dungeness B"),
    "EP Kilroot": "outside_gb",
    "Eggborough": ("gppd", "Eggborough"),
    "Fawley": ("etys", "FAWL"),
    "Ferrybridge C": ("etys", "FERR"),
    "Fiddler's Ferry": ("etys", "FIDF"),
    "Grain A": ("dukes", "Grain"),  # DUKES: Grain CHP was built on the site of Grain A
    "Hinkley Point": ("gppd", "Hinkley Point B"),
    "Hunterston B": ("gppd", "Hunterston B"),
    "Ironbridge": ("etys", "IRON"),
    "Killingholme A and B": ("dukes", "Killingholme"),
    "Kingsnorth A": ("etys", "KINO"),
    "Littlebrook D": ("etys", "LITT"),
    "Longannet": ("etys", "LOAN"),
    "Oldbury": ("etys", "OLDS"),  # Oldbury-on-Severn, not the Oldbury (West Midlands) GSP
    "Ratcliffe-on-Soar": ("dukes", "Ratcliffe (Steam)"),
    "Roosecote": None,
    "Rugeley": ("etys", "RUGE"),
    "Shotton": None,
    "Teesside": ("etys", "WILT"),  # Teesside Power Station stood on the Wilton site
    "Tilbury B": ("etys", "TILB"),
    "Uskmouth": ("etys", "USKM"),
    "West Burton": ("dukes", "West Burton"),
    "Wylfa": ("etys", "WYLF"),
}

CRITERIA = theme_criteria("post_industrial")


# ---------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------

def mean_within_radius(points_xy: np.ndarray, values: np.ndarray, grid: GridSpec,
                       radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean of point ``values`` within ``radius_m`` of each cell, and how many points.

    Points are binned to the cell that contains them; a cell averages the points binned
    to the cells whose centres lie within ``radius_m`` of its own centre (a disc
    convolution), so distances are off by at most ``resolution / sqrt(2)``.

    Parameters
    ----------
    points_xy
        (n, 2) x, y in metres in the grid's CRS; points off the grid are ignored.
    values
        (n,) values; NaN values are ignored.
    grid
        The analysis grid.
    radius_m
        Radius in metres.

    Returns
    -------
    mean, count
        float64 arrays of ``grid.shape``; ``mean`` is NaN where ``count`` is 0.

    Examples
    --------
    >>> from growthzones.grid import GridSpec
    >>> g = GridSpec(resolution=1000, bounds=(0, 0, 3000, 1000))
    >>> pts = np.array([[500.0, 500], [2500, 500]])
    >>> m, n = mean_within_radius(pts, np.array([2.0, 6.0]), g, 1000)
    >>> np.round(m, 9).tolist(), n.tolist()
    ([[2.0, 4.0, 6.0]], [[1.0, 2.0, 1.0]])
    """
    from scipy.signal import fftconvolve

    pts = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    vals = np.asarray(values, dtype=float)
    rows, cols = grid.rowcol(pts[:, 0], pts[:, 1])
    ok = (rows >= 0) & ~np.isnan(vals)
    sums = np.zeros(grid.shape)
    counts = np.zeros(grid.shape)
    np.add.at(sums, (rows[ok], cols[ok]), vals[ok])
    np.add.at(counts, (rows[ok], cols[ok]), 1.0)
    n = int(radius_m // grid.resolution)
    off = np.arange(-n, n + 1) * grid.resolution
    kernel = (off[:, None] ** 2 + off[None, :] ** 2 <= radius_m ** 2).astype(float)
    s = fftconvolve(sums, kernel, mode="same")
    c = np.rint(fftconvolve(counts, kernel, mode="same"))  # FFT leaves 1e-12 noise
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(c > 0, s / np.where(c > 0, c, 1), np.nan)
    return mean, c


def post_industrial_index(employment_10km_pct: np.ndarray, dist_station_km: np.ndarray, *,
                          anchors_pct: tuple[float, float] = EMPLOYMENT_ANCHORS_PCT,
                          half_distance_km: float = STATION_HALF_DISTANCE_KM,
                          weights: tuple[float, float] = POST_INDUSTRIAL_WEIGHTS) -> np.ndarray:
    """Combine place-level employment deprivation and closed-station proximity into [0, 1].

    .. math:: P = w_1\\,\\mathrm{clip}\\left(\\frac{E - a_0}{a_1 - a_0}, 0, 1\\right)
              + w_2\\,2^{-d / h}

    NaN in either input gives NaN.

    Examples
    --------
    >>> float(post_industrial_index(np.array(14.0), np.array(10.0)))
    0.5
    """
    lo, hi = anchors_pct
    dep = np.clip((np.asarray(employment_10km_pct, float) - lo) / (hi - lo), 0.0, 1.0)
    near = np.exp2(-np.maximum(np.asarray(dist_station_km, float), 0.0) / half_distance_km)
    return (weights[0] * dep + weights[1] * near).astype(np.float32)


def closed_capacity_mw(changes: pd.DataFrame) -> pd.DataFrame:
    """Generating capacity closed at each site since 2010, from the DUKES change sheet.

    Counts ``Previous - New`` MW of every *Closed* or *Partially Closed* row, and of a
    *Mothballed* row only when no later row re-opens or converts the site (Keadby, King's
    Lynn and Lynemouth came back).

    Parameters
    ----------
    changes
        ``year``, ``site``, ``fuel``, ``status`` (notes stripped), ``previous_mw``,
        ``new_mw`` in sheet order.

    Returns
    -------
    pandas.DataFrame
        One row per site with any closure: ``site``, ``closed_mw``, ``last_closure``
        (year), ``fuels``.
    """
    rows = []
    for site, grp in changes.groupby("site", sort=False):
        grp = grp.reset_index(drop=True)
        closed, years, fuels = 0.0, [], []
        for i, r in grp.iterrows():
            status = r["status"]
            counts = status in ("Closed", "Partially Closed") or (
                status == "Mothballed" and i == len(grp) - 1)
            if counts:
                closed += float(r["previous_mw"]) - float(r["new_mw"])
                years.append(int(r["year"]))
                fuels.append(str(r["fuel"]))
        if closed > 0:
            rows.append({"site": site, "closed_mw": closed, "last_closure": max(years),
                         "fuels": "/".join(dict.fromkeys(fuels))})
    return pd.DataFrame(rows, columns=["site", "closed_mw", "last_closure", "fuels"])


def locate_stations(sites: pd.DataFrame, *, dukes: pd.DataFrame, gppd: pd.DataFrame,
                    etys: pd.DataFrame, locators: dict = CLOSED_STATION_LOCATORS
                    ) -> pd.DataFrame:
    """Attach BNG ``x``, ``y`` and ``located_by`` to closed stations via ``locators``.

    Parameters
    ----------
    sites
        Output of :func:`closed_capacity_mw`.
    dukes
        ``site_name``, ``x``, ``y`` (BNG) from DUKES station lists.
    gppd
        ``name``, ``x``, ``y`` (BNG) from GPPD.
    etys
        ``site_code``, ``x``, ``y`` (BNG): ETYS substations.
    locators
        Site name -> locator (see :data:`CLOSED_STATION_LOCATORS`).

    Returns
    -------
    pandas.DataFrame
        ``sites`` plus ``x``, ``y``, ``located_by``; NaN coordinates where the data holds
        no location, ``located_by`` "outside GB" for Northern Ireland.

    Raises
    ------
    KeyError
        If a site has no entry in ``locators`` (a new DUKES edition added a closure), or a
        locator's key is missing from its table.
    """
    tables = {"dukes": dukes.set_index("site_name"), "gppd": gppd.set_index("name"),
              "etys": etys.set_index("site_code")}
    out = sites.copy()
    xs, ys, how = [], [], []
    for site in out["site"]:
        if site not in locators:
            raise KeyError(f"closed station {site!r} has no entry in CLOSED_STATION_LOCATORS; "
                           f"add where its location is (or None)")
        loc = locators[site]
        if loc is None or loc == "outside_gb":
            xs.append(np.nan)
            ys.append(np.nan)
            how.append("outside GB" if loc else "not located")
            continue
        table, key = loc
        row = tables[table].loc[key]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        xs.append(float(row["x"]))
        ys.append(float(row["y"]))
        how.append(f"{table}:{key}")
    return out.assign(x=xs, y=ys, located_by=how)


# ---------------------------------------------------------------------------------------
# Readers (edges)
# ---------------------------------------------------------------------------------------

def read_composite_imd(path) -> pd.DataFrame:
    """The composite UK IMD for GB small areas (Northern Ireland dropped), indexed by code."""
    df = pd.read_csv(path, dtype={"lsoa": str})
    return df[df["nation"].isin(["E", "W", "S"])].set_index("lsoa")


def read_station_changes(path) -> pd.DataFrame:
    """DUKES 5.11 "Changed and converted stations": ``year``, ``site``, ``fuel``,
    ``status``, ``previous_mw``, ``new_mw``, with "[note N]" marks, curly apostrophes and
    "(Reactor N)" suffixes removed."""
    raw = pd.read_excel(path, sheet_name="Changed and converted stations", header=5)
    raw.columns = ["year", "site", "fuel", "status", "previous_mw", "new_mw", "notes"]
    df = raw.dropna(subset=["site"]).copy()
    for col in ("site", "fuel", "status"):
        df[col] = (df[col].astype(str).str.replace(r"\s*\[note \d+\]", "", regex=True)
                   .str.replace("\u2019", "'").str.strip())
    # Wylfa's two reactors closed in different years: one site.
    df["site"] = df["site"].str.replace(r"\s*\(Reactor \d+\)", "", regex=True)
    df["year"] = pd.to_numeric(df["year"], errors="coerce")
    return df.drop(columns="notes").reset_index(drop=True)


def read_dukes_locations(path) -> pd.DataFrame:
    """Station names and BNG coordinates from the DUKES 2024 and 2022 lists (2024 first)."""
    sheets = pd.read_excel(path, sheet_name=["DUKES 2024", "DUKES 2022"], header=5)
    frames = [s.rename(columns={"Site Name": "site_name", "X-Coordinate": "x",
                                "Y-Coordinate": "y"})[["site_name", "x", "y"]]
              for s in sheets.values()]
    df = pd.concat(frames, ignore_index=True)
    df = df[(df["x"] > 0) & (df["y"] > 0)]  # 0/0 means "no location"
    return df.drop_duplicates("site_name").reset_index(drop=True)


def read_gppd_locations(path) -> pd.DataFrame:
    """GPPD plant names with BNG ``x``, ``y`` (plants without coordinates dropped)."""
    df = pd.read_csv(path).dropna(subset=["latitude", "longitude"])
    xy = to_bng(df["longitude"], df["latitude"])
    return pd.DataFrame({"name": df["name"].to_numpy(), "x": xy[:, 0], "y": xy[:, 1]})


def read_etys_locations(fes_path, pypsa_path) -> pd.DataFrame:
    """ETYS site codes with BNG ``x``, ``y``: FES 2024 GSP list first, PyPSA-GB second."""
    fes = pd.read_csv(fes_path)
    f = (fes.assign(site_code=fes["GSP ID"].astype(str).str[:4].str.upper())
         .sort_values("GSP ID").groupby("site_code")[["Longitude", "Latitude"]].first()
         .rename(columns={"Longitude": "lon", "Latitude": "lat"}))
    p = pd.read_csv(pypsa_path)
    p = (p.assign(site_code=p["site_code"].astype(str).str.upper())
         .groupby("site_code")[["lon", "lat"]].first())
    both = pd.concat([f, p[~p.index.isin(f.index)]])
    xy = to_bng(both["lon"], both["lat"])
    return pd.DataFrame({"site_code": both.index, "x": xy[:, 0], "y": xy[:, 1]})


def read_closed_stations(sources: SourceFiles, *, min_closed_mw: float = MIN_CLOSED_MW
                         ) -> pd.DataFrame:
    """GB power stations that closed at least ``min_closed_mw`` since 2010, with locations.

    Returns every such station, located or not (``x``/``y`` NaN and ``located_by``
    "not located" when the shared data has no position; Northern Ireland dropped).

    Note: the grid layer derives retired connections from the same files; this reader is
    self-contained so the two can be merged later.
    """
    dukes_path = sources.path("dukes_5_11")
    sites = closed_capacity_mw(read_station_changes(dukes_path))
    sites = sites[sites["closed_mw"] >= min_closed_mw]
    located = locate_stations(
        sites, dukes=read_dukes_locations(dukes_path),
        gppd=read_gppd_locations(sources.path("gppd_gbr")),
        etys=read_etys_locations(sources.path("fes2024_gsp"),
                                 sources.path("etys_coords_pypsagb")))
    return located[located["located_by"] != "outside GB"].reset_index(drop=True)


def small_area_centroids(sources: SourceFiles) -> pd.DataFrame:
    """Centroid ``x``, ``y`` (BNG) of every LSOA and Data Zone, indexed by code."""
    from .base import read_small_areas

    areas = read_small_areas(sources)
    c = areas.geometry.centroid
    return pd.DataFrame({"x": c.x.to_numpy(), "y": c.y.to_numpy()},
                        index=areas["code"].to_numpy())


# ---------------------------------------------------------------------------------------
# Build (edge)
# ---------------------------------------------------------------------------------------

def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    """Read the deprivation and power-station sources and put every criterion on ``grid``."""
    imd = read_composite_imd(sources.path("uk_composite_imd"))
    out = {
        "employment_deprivation_pct": base.map_values(imd["employment_score"]),
        "income_deprivation_pct": base.map_values(imd["income_score"]),
        "uk_imd_score": base.map_values(imd["UK_IMD_E_score"]),
        "uk_imd_decile": base.map_values(imd["UK_IMD_E_pop_decile"].astype(float)),
    }

    cent = small_area_centroids(sources)
    emp = cent.index.to_series().map(imd["employment_score"]).to_numpy(float)
    mean, _ = mean_within_radius(cent[["x", "y"]].to_numpy(), emp, grid, PLACE_RADIUS_M)
    # Rule for cells with no centroid within the radius: the cell's own small area.
    e10 = np.where(np.isnan(mean), out["employment_deprivation_pct"], mean)
    out["employment_deprivation_10km_pct"] = np.where(base.land, e10, np.nan).astype(np.float32)

    stations = read_closed_stations(sources).dropna(subset=["x", "y"])
    dist = distance_to_points(stations[["x", "y"]].to_numpy(), grid, base.land)
    out["dist_closed_power_station_km"] = dist
    out["post_industrial"] = np.where(
        base.land, post_industrial_index(out["employment_deprivation_10km_pct"], dist),
        np.nan).astype(np.float32)
    return out
