"""Land availability: protected land, built-up land, brownfield supply and room for a campus.

An AI Growth Zone needs tens to hundreds of hectares that planning can allow. This layer
turns every land dataset in the shared data into criteria and exclusions:

Exclusions (raster values 1 excluded, 0 assessed and clear, NaN not assessed)
    ``national_parks`` (GB), ``aonb_wales`` (Wales), ``aonb_north_east_england``,
    ``sssi_north_east_england``, ``natura2000_north_east_england``,
    ``ancient_woodland_north_east_england`` (North East England region only: the other
    regions have no polygons here, see ``catalog.toml`` gaps) and ``built_up`` (GB).
    Where a source does not cover an area the raster is NaN there: a region without data
    is reported as *not assessed*, never as unprotected.
    Polygons are put on the grid with the cell-centre rule (a cell is inside when its centre
    is), like the land mask; small sites therefore show only at a fine resolution, and
    ``campus_room_ha`` is computed on a 100 m sub-grid for that reason.

Criteria
    ``built_up_share_pct``, ``brownfield_ha_5km``, ``largest_brownfield_site_ha_5km``,
    ``campus_room_ha``, ``sac_clearance_km``.

Built-up land comes from OS Code-Point Open: a one-hectare square (100 m cell) is
*occupied* when at least one postcode unit has its address-weighted point in it. The
share of occupied hectares in the ~1 km square around a place measures how built-up it
is (city centres 90-96 %, suburbs 55-75 %, farmland 0-5 %). The ``built_up`` threshold is
50 %: above it fewer than 50 of the 100 hectares are free of addresses, so the default
50 ha campus cannot fit without clearing homes or businesses.

Room for a campus is the largest disc of *available* land (on land, outside every
exclusion polygon this module has, and not built-up) centred in the cell, measured on a
100 m sub-grid whatever the output resolution. A disc is the most compact footprint, so
this is strict: a 2:1 rectangle of 50 ha holds a disc of only 20 ha. The campus size is
a scenario parameter, applied as a constraint on the stored criterion::

    [constraints]
    campus_room_ha = { min = 50 }

The sub-grid computations (built-up share, room for a campus) are in :mod:`.campus`; see
:func:`.campus.campus_room_ha` and, for a store's own exclusions at scoring time,
:func:`.campus.fits_campus`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...catalog import SourceFiles
from ...criteria import theme_criteria
from ...grid import BNG, GridSpec, rasterize_mask, reduce_within, to_bng
from .campus import built_up_share_pct, campus_room_ha, occupied_cells, subgrid

#: The 12 councils of the North East region (ONS E12000001), LAD 2021 codes.
NORTH_EAST_LA_CODES = (
    "E06000001", "E06000002", "E06000003", "E06000004", "E06000005", "E06000047",
    "E06000057", "E08000021", "E08000022", "E08000023", "E08000024", "E08000037",
)
#: ``designation`` values of the North East file, by exclusion layer.
NE_DESIGNATIONS = {
    "aonb_north_east_england": ("AONB / National Landscape",),
    "sssi_north_east_england": ("SSSI",),
    "natura2000_north_east_england": ("SAC", "SPA", "Ramsar"),
    "ancient_woodland_north_east_england": ("Ancient woodland",),
}
#: Share of occupied hectares (%) from which a place counts as built-up.
BUILT_UP_THRESHOLD_PCT = 50.0
#: Radius (m) of the brownfield supply criteria.
BROWNFIELD_RADIUS_M = 5000.0
#: ``sac_clearance_km`` is capped here (km): farther sites are all "clear".
SAC_CLEARANCE_CAP_KM = 10.0
#: Code-Point Open positional quality codes kept: 10/20 within a building, 30 approximate
#: to 50 m, 50 estimated by ONS; 60 (sector mean) and 90 (no coordinates) are dropped.
POSTCODE_QUALITY_KEEP = (10, 20, 30, 50)

CRITERIA = theme_criteria("land")


# ---------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------

def exclusion_raster(geoms, grid: GridSpec, assessed: np.ndarray) -> np.ndarray:
    """1 inside ``geoms``, 0 elsewhere within ``assessed``, NaN where not assessed.

    Parameters
    ----------
    geoms
        Polygons in the grid's CRS (EPSG:27700).
    grid
        The analysis grid.
    assessed
        Boolean array of ``grid.shape``: where the source covers the ground.

    Returns
    -------
    numpy.ndarray
        float32 array of ``grid.shape``. A polygon cell outside ``assessed`` stays 1 when
        the polygon itself is known there (the source says so); only the absence of a
        polygon is uncertain outside the covered area.
    """
    out = np.where(assessed, 0.0, np.nan).astype(np.float32)
    out[rasterize_mask(geoms, grid)] = 1.0
    return out


def _disc_windows(points_xy: np.ndarray, radii_m: np.ndarray, grid: GridSpec):
    """For each point, the grid window within ``radius`` and the centre distances there (m)."""
    x_all, y_all = grid.centres()
    r = grid.resolution
    for i, ((px, py), rad) in enumerate(zip(points_xy, radii_m, strict=True)):
        c0 = max(0, math.floor((px - rad - grid.bounds[0]) / r))
        c1 = min(grid.width, math.ceil((px + rad - grid.bounds[0]) / r) + 1)
        r0 = max(0, math.floor((grid.bounds[3] - py - rad) / r))
        r1 = min(grid.height, math.ceil((grid.bounds[3] - py + rad) / r) + 1)
        if c0 >= c1 or r0 >= r1:
            continue
        d = np.hypot(x_all[c0:c1][None, :] - px, y_all[r0:r1][:, None] - py)
        yield i, slice(r0, r1), slice(c0, c1), d


def circle_clearance_km(centres_xy: np.ndarray, radii_m: np.ndarray, grid: GridSpec,
                        land: np.ndarray, *, cap_km: float = SAC_CLEARANCE_CAP_KM) -> np.ndarray:
    """Distance (km) from each land cell centre to the edge of the nearest circle.

    .. math:: c = \\min\\left(\\mathrm{cap},\\ \\max\\left(0,\\ \\min_i (d_i - r_i)\\right)\\right)

    Parameters
    ----------
    centres_xy
        (n, 2) circle centres in metres (EPSG:27700).
    radii_m
        (n,) radii in metres.
    grid, land
        The analysis grid and its land mask; cells off land get NaN.
    cap_km
        Clearances are capped here (beyond it every cell is equally clear).
    """
    cap_m = cap_km * 1000.0
    best = np.full(grid.shape, cap_m)
    radii = np.asarray(radii_m, dtype=float)
    for i, rs, cs, d in _disc_windows(np.asarray(centres_xy, float).reshape(-1, 2),
                                      radii + cap_m, grid):
        best[rs, cs] = np.minimum(best[rs, cs], d - radii[i])
    out = (np.clip(best, 0.0, cap_m) / 1000.0).astype(np.float32)
    out[~land] = np.nan
    return out


def region_mask(base, la_codes) -> np.ndarray:
    """Boolean array: cells whose local authority is one of ``la_codes``."""
    rows = np.flatnonzero(base.las["la_code"].isin(la_codes).to_numpy()) + 1
    return np.isin(base.la_index, rows)


def nation_mask(base, nation: str) -> np.ndarray:
    """Boolean array: land cells in ``nation`` (``E``, ``W`` or ``S``)."""
    rows = np.flatnonzero(base.las["nation"].eq(nation).to_numpy()) + 1
    return np.isin(base.la_index, rows)


def clean_brownfield(df: pd.DataFrame, in_england) -> tuple[pd.DataFrame, dict[str, int]]:
    """Current, located, measured, de-duplicated brownfield sites inside England.

    Parameters
    ----------
    df
        Rows of the registers with ``end-date``, ``latitude``, ``longitude``, ``hectares``,
        ``organisation`` and BNG ``easting``, ``northing`` already added.
    in_england
        Callable ``(x, y) -> bool array``: whether a point lies in England.

    Returns
    -------
    sites, dropped
        The kept rows, and the number of rows dropped at each step.

    Notes
    -----
    Steps, in order: drop rows with an ``end-date`` (removed from the register), without
    coordinates, or without a positive area; drop duplicates, i.e. rows of one
    organisation with the same area whose points lie within 1 km of each other (the same
    site re-listed in a later year or per phase); drop points outside England (swapped or
    mis-projected coordinates that land at sea, in Wales or in Northern Ireland).
    """
    dropped = {}
    n0 = len(df)
    df = df[df["end-date"].isna()]
    dropped["removed (end-date)"] = n0 - len(df)
    n0 = len(df)
    df = df[df["latitude"].notna() & df["longitude"].notna()]
    dropped["no coordinates"] = n0 - len(df)
    n0 = len(df)
    df = df[df["hectares"].gt(0)]
    dropped["no area"] = n0 - len(df)
    n0 = len(df)
    keep = ~duplicate_sites(df["organisation"].to_numpy(), df["hectares"].to_numpy(float),
                            df[["easting", "northing"]].to_numpy(float))
    df = df[keep]
    dropped["duplicate"] = n0 - len(df)
    n0 = len(df)
    df = df[np.asarray(in_england(df["easting"].to_numpy(float),
                                  df["northing"].to_numpy(float)), dtype=bool)]
    dropped["outside England"] = n0 - len(df)
    return df, dropped


def duplicate_sites(organisation: np.ndarray, hectares: np.ndarray, xy: np.ndarray, *,
                    within_m: float = 1000.0) -> np.ndarray:
    """Flag rows that repeat an earlier row: same organisation, same area, within ``within_m``.

    Returns a boolean array, True for every row after the first of each repeat.

    Examples
    --------
    >>> org = np.array(["A", "A", "A", "B"]); ha = np.array([4.48, 4.48, 4.48, 4.48])
    >>> xy = np.array([[0, 0], [10, 0], [5000, 0], [0, 0]], float)
    >>> duplicate_sites(org, ha, xy).tolist()
    [False, True, False, False]
    """
    from scipy.spatial import cKDTree

    key = pd.Series(list(zip(organisation, hectares, strict=True)))
    cand = np.flatnonzero(key.duplicated(keep=False).to_numpy())
    dup = np.zeros(len(xy), dtype=bool)
    if cand.size < 2:
        return dup
    pairs = cKDTree(xy[cand]).query_pairs(within_m, output_type="ndarray")
    pairs = cand[pairs]
    same = key.to_numpy()[pairs[:, 0]] == key.to_numpy()[pairs[:, 1]]
    pairs = np.sort(pairs[same], axis=1)
    for i, j in pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]:
        if not dup[i]:
            dup[j] = True
    return dup


def sac_land_radius_m(area_ha, coastal_marine_pct) -> np.ndarray:
    """Radius (m) of a circle with a SAC's land area: area x (1 - coastal/marine share).

    A missing habitat share counts as 0 % marine.
    """
    share = np.clip(np.nan_to_num(np.asarray(coastal_marine_pct, float), nan=0.0), 0, 100)
    land_ha = np.asarray(area_ha, float) * (1.0 - share / 100.0)
    return np.sqrt(land_ha * 1e4 / np.pi)


# ---------------------------------------------------------------------------------------
# Readers (edges)
# ---------------------------------------------------------------------------------------

def read_postcodes(path) -> pd.DataFrame:
    """Code-Point Open postcode points (``easting``, ``northing``; EPSG:27700).

    Reads the per-area CSVs straight from the zip; keeps positional quality 10-50.
    """
    import zipfile

    frames = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("Data/CSV/") and name.endswith(".csv"):
                frames.append(pd.read_csv(z.open(name), header=None, usecols=[0, 1, 2, 3],
                                          names=["postcode", "quality", "easting", "northing"],
                                          dtype={"postcode": str, "quality": np.int16,
                                                 "easting": np.int32, "northing": np.int32}))
    df = pd.concat(frames, ignore_index=True)
    return df[df["quality"].isin(POSTCODE_QUALITY_KEEP)].reset_index(drop=True)


def read_brownfield(path) -> pd.DataFrame:
    """The English brownfield registers with BNG ``easting``/``northing`` added."""
    df = pd.read_csv(path, low_memory=False)
    xy = to_bng(df["longitude"], df["latitude"])
    return df.assign(easting=xy[:, 0], northing=xy[:, 1])


def read_sac_sites(path) -> pd.DataFrame:
    """Onshore and coastal SACs of GB with ``x``, ``y`` (BNG from lat/lon) and ``radius_m``.

    Offshore sites and Northern Ireland-only sites are dropped.
    """
    import geopandas as gpd

    sac = gpd.read_file(path)
    sac = sac[~sac["offshore"].astype(bool) & ~sac["country_code"].isin(["NI", "NIO"])]
    sac = sac.to_crs(BNG)
    return pd.DataFrame({
        "eu_code": sac["eu_code"].to_numpy(), "name": sac["name"].to_numpy(),
        "x": sac.geometry.x.to_numpy(), "y": sac.geometry.y.to_numpy(),
        "radius_m": sac_land_radius_m(sac["area_ha"], sac["coastal_marine_habitat_pct"])})


# ---------------------------------------------------------------------------------------
# Build (edge)
# ---------------------------------------------------------------------------------------

def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    """Read the land sources and put every land criterion and exclusion on ``grid``."""
    import geopandas as gpd

    from ...grid import rasterize_index
    from ..base import read_small_areas

    land = base.land
    out: dict[str, np.ndarray] = {}
    sub, k = subgrid(grid)

    # Protected areas: exclusions on the grid, masks on the sub-grid for campus room.
    parks = gpd.read_file(sources.path("national_parks")).to_crs(BNG)
    out["national_parks"] = exclusion_raster(parks.geometry, grid, land)
    aonb_w = gpd.read_file(sources.path("aonb_wales")).to_crs(BNG)
    out["aonb_wales"] = exclusion_raster(aonb_w.geometry, grid, nation_mask(base, "W") & land)
    ne = gpd.read_file(sources.path("designations_ne_england"), layer="designations").to_crs(BNG)
    ne_region = region_mask(base, NORTH_EAST_LA_CODES) & land
    for name, kinds in NE_DESIGNATIONS.items():
        out[name] = exclusion_raster(ne.geometry[ne["designation"].isin(kinds)], grid, ne_region)
    protected = pd.concat([parks.geometry, aonb_w.geometry,
                           ne.geometry[ne["designation"] != "National Park"]], ignore_index=True)

    # Built-up land from postcode points.
    pc = read_postcodes(sources.path("codepoint_open"))
    occupied = occupied_cells(pc[["easting", "northing"]].to_numpy(float), sub)
    share, share_sub = built_up_share_pct(occupied, sub, grid)
    out["built_up_share_pct"] = np.where(land, share, np.nan).astype(np.float32)
    out["built_up"] = np.where(land, (share >= BUILT_UP_THRESHOLD_PCT).astype(np.float32),
                               np.nan).astype(np.float32)

    # Room for a campus, on the sub-grid.
    if k == 1:
        land_sub = land
    else:
        areas = read_small_areas(sources)
        land_sub = rasterize_index(areas.geometry, np.ones(len(areas)), sub, dtype="uint8") > 0
    available = land_sub & (share_sub < BUILT_UP_THRESHOLD_PCT) & ~rasterize_mask(protected, sub)
    room = campus_room_ha(available, sub, grid)
    out["campus_room_ha"] = np.where(land, room, np.nan).astype(np.float32)

    # Brownfield supply (England only).
    england = nation_mask(base, "E") & land
    bf, _ = clean_brownfield(read_brownfield(sources.path("brownfield_register_england")),
                             _in_england_test(grid, england))
    xy = bf[["easting", "northing"]].to_numpy(float)
    ha = bf["hectares"].to_numpy(float)
    for name, how in (("brownfield_ha_5km", "sum"), ("largest_brownfield_site_ha_5km", "max")):
        out[name] = reduce_within(xy, ha, grid, england, radius_km=BROWNFIELD_RADIUS_M / 1000.0,
                                  how=how, fill=0.0)

    # Special Areas of Conservation: circles of equal land area.
    sac = read_sac_sites(sources.path("sac_sites_jncc"))
    out["sac_clearance_km"] = circle_clearance_km(sac[["x", "y"]].to_numpy(),
                                                  sac["radius_m"].to_numpy(), grid, land)
    return out


def _in_england_test(grid: GridSpec, england: np.ndarray, tolerance_m: float = 2000.0):
    """Point test: within ``tolerance_m`` of an English land cell centre (keeps harbour
    sites whose point falls just off the generalised coastline)."""
    rows, cols = np.nonzero(england)
    ex, ey = grid.xy(rows, cols)
    return _KDTest(np.column_stack([ex, ey]), tolerance_m)


class _KDTest:
    """Callable: is each point within ``tolerance_m`` of any of ``xy``."""

    def __init__(self, xy: np.ndarray, tolerance_m: float):
        from scipy.spatial import cKDTree

        self.tree = cKDTree(xy)
        self.tolerance_m = tolerance_m

    def __call__(self, x, y) -> np.ndarray:
        d, _ = self.tree.query(np.column_stack([x, y]), distance_upper_bound=self.tolerance_m)
        return np.isfinite(d)
