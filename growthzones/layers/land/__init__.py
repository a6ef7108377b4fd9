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
:func:`.campus.built_up_and_room` and its resolution rule: the built-up share is always
measured on hectares, the campus disc on a 100 m sub-grid, or on the grid itself when that
is finer (25 m).

Blocks
    :func:`read` reads every source once into vector features; :func:`on_block` puts
    them on one block of the national grid (:class:`~growthzones.layers.base.Base`), and a
    cell's value does not depend on the block: the built-up window and the campus disc are
    computed on the block grown by their reach (2 km for the disc, 0.5 km more for the
    window), with land from the national small-area polygons every block carries
    (``base.shapes``); the brownfield and SAC reaches take points from all of GB.
    :func:`build` is the whole grid as one block.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...catalog import SourceFiles
from ...criteria import theme_criteria
from ...grid import BNG, GridSpec, geoms_near, rasterize_mask, reduce_within, to_bng
from ..base import Built
from .campus import built_up_and_room

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
#: A brownfield point counts as in England within this distance (m) of an English LSOA.
ENGLAND_TOLERANCE_M = 2000.0
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
        Callable ``(x, y) -> bool array``: whether a point lies in England (the build
        uses :func:`within_distance` of England's LSOAs).

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
# England test for brownfield points
# ---------------------------------------------------------------------------------------

def within_distance(geoms, tolerance_m: float = ENGLAND_TOLERANCE_M):
    """Callable ``(x, y) -> bool array``: whether each point lies within ``tolerance_m`` of
    any of ``geoms`` (polygons in EPSG:27700).

    The brownfield registers' England test (:func:`clean_brownfield`), on England's LSOA
    polygons: it does not depend on any grid, so the sites kept are the same at every
    resolution and in every block. The tolerance keeps harbour and riverside sites whose
    point falls just off the generalised coastline, and drops whole registers whose
    coordinates are swapped or mis-projected (they land in the Irish Sea, Northern Ireland
    or Wales).

    It replaced a test on the build grid (within 2 km of an English land cell centre),
    which depended on the resolution and needed the national grid in every block. On the
    registers here both keep the same 21,122 sites (351 rows dropped as outside England)
    at 1 km and at 100 m.

    >>> from shapely.geometry import box
    >>> within_distance([box(0, 0, 10, 10)], 5)([12, 20], [5, 5]).tolist()
    [True, False]
    """
    import shapely

    tree = shapely.STRtree(np.asarray(list(geoms), dtype=object))

    def test(x, y) -> np.ndarray:
        pts = shapely.points(np.asarray(x, float), np.asarray(y, float))
        hit = tree.query(pts, predicate="dwithin", distance=tolerance_m)[0]
        out = np.zeros(len(pts), dtype=bool)
        out[hit] = True
        return out

    return test


def read_england(path):
    """England's LSOA 2011 polygons (EPSG:27700), from the base's E&W boundary file."""
    import geopandas as gpd

    eng = gpd.read_file(path, columns=["LSOA11CD"], where="LSOA11CD LIKE 'E%'")
    return eng.to_crs(BNG).geometry.values


# ---------------------------------------------------------------------------------------
# The theme contract: read (edge), on_block (pure), counts, build
# ---------------------------------------------------------------------------------------

def read(sources: SourceFiles) -> dict:
    """Every land source, read once, as grid-free vector features.

    Returns
    -------
    dict
        ``parks``, ``aonb_wales``: polygons; ``ne``: the North East polygons by exclusion
        layer (:data:`NE_DESIGNATIONS`); ``protected``: every polygon a campus must avoid
        (the National Parks, Welsh AONBs and North East designations other than its
        National Park rows, which the parks already hold); ``postcodes``: (n, 2) int32
        Code-Point points; ``brownfield_xy``, ``brownfield_ha``: the cleaned brownfield
        sites (:func:`clean_brownfield` with the England test :func:`within_distance` on
        England's LSOAs) and ``brownfield_rows``, ``brownfield_dropped``: the register
        rows and the rows dropped by step; ``sac``: :func:`read_sac_sites`; ``parks_n``,
        ``aonbs_wales_n``: how many National Parks and Welsh AONBs the files hold.
        All polygons in EPSG:27700.
    """
    import geopandas as gpd

    parks_df = gpd.read_file(sources.path("national_parks")).to_crs(BNG)
    aonb_df = gpd.read_file(sources.path("aonb_wales")).to_crs(BNG)
    parks, aonb_w = parks_df.geometry.values, aonb_df.geometry.values
    ne = gpd.read_file(sources.path("designations_ne_england"), layer="designations").to_crs(BNG)
    ne_layers = {name: ne.geometry.values[ne["designation"].isin(kinds).to_numpy()]
                 for name, kinds in NE_DESIGNATIONS.items()}
    protected = np.concatenate([parks, aonb_w,
                                ne.geometry.values[(ne["designation"] != "National Park")
                                                   .to_numpy()]])
    pc = read_postcodes(sources.path("codepoint_open"))
    raw = read_brownfield(sources.path("brownfield_register_england"))
    bf, dropped = clean_brownfield(raw, within_distance(read_england(sources.path("lsoa_ew"))))
    return {"parks": parks, "aonb_wales": aonb_w, "ne": ne_layers, "protected": protected,
            "postcodes": pc[["easting", "northing"]].to_numpy(np.int32),
            "brownfield_xy": bf[["easting", "northing"]].to_numpy(float),
            "brownfield_ha": bf["hectares"].to_numpy(float),
            "brownfield_rows": len(raw), "brownfield_dropped": dropped,
            "sac": read_sac_sites(sources.path("sac_sites_jncc")),
            "parks_n": int(parks_df["name"].nunique()), "aonbs_wales_n": _aonb_count(aonb_df)}


def _aonb_count(aonb: pd.DataFrame) -> int:
    """AONBs in the Welsh file, a cross-border one once (its rows are ``NAME (Nation)``).

    >>> _aonb_count(pd.DataFrame({"name": ["GOWER", "WYE VALLEY (England)",
    ...                                    "WYE VALLEY (Wales)"]}))
    2
    """
    return int(aonb["name"].str.replace(r"\s*\((England|Wales)\)$", "", regex=True).nunique())


def _points_near(xy: np.ndarray, bounds, margin_m: float) -> np.ndarray:
    """Row mask of the points within ``margin_m`` of the box ``bounds`` (in order)."""
    x0, y0, x1, y1 = bounds
    return ((xy[:, 0] >= x0 - margin_m) & (xy[:, 0] <= x1 + margin_m)
            & (xy[:, 1] >= y0 - margin_m) & (xy[:, 1] <= y1 + margin_m))


def on_block(features: dict, base) -> dict[str, np.ndarray]:
    """Every land criterion and exclusion on one block of the national grid.

    Parameters
    ----------
    features
        Output of :func:`read`.
    base
        The block's :class:`~growthzones.layers.base.Base`; its ``shapes`` (the national
        small-area polygons) give land on the halo of the built-up and campus windows.

    Returns
    -------
    dict
        float32 arrays of ``base.grid.shape``, NaN off land; equal, cell for cell, to the
        same block cut from the whole grid's.
    """
    if base.shapes is None:
        raise ValueError("the land theme needs base.shapes (the small-area polygons) for "
                         "its halo; build the base with growthzones.layers.base.build_base")
    grid, land = base.grid, base.land
    out: dict[str, np.ndarray] = {}

    def mask(geoms, g):
        return rasterize_mask(geoms_near(geoms, g.bounds), g)

    def excluded(geoms, assessed):
        return exclusion_raster(geoms_near(geoms, grid.bounds), grid, assessed)

    out["national_parks"] = excluded(features["parks"], land)
    out["aonb_wales"] = excluded(features["aonb_wales"], nation_mask(base, "W") & land)
    ne_region = region_mask(base, NORTH_EAST_LA_CODES) & land
    for name, geoms in features["ne"].items():
        out[name] = excluded(geoms, ne_region)

    share, room = built_up_and_room(
        features["postcodes"], grid,
        lambda g: mask(base.shapes, g) & ~mask(features["protected"], g),
        threshold_pct=BUILT_UP_THRESHOLD_PCT)
    out["built_up_share_pct"] = np.where(land, share, np.nan).astype(np.float32)
    out["built_up"] = np.where(land, (share >= BUILT_UP_THRESHOLD_PCT).astype(np.float32),
                               np.nan).astype(np.float32)
    out["campus_room_ha"] = np.where(land, room, np.nan).astype(np.float32)

    # Brownfield supply (England only): the sites in reach of the block, in register order
    # (so each cell's sum adds the same sites in the same order in every block).
    england = nation_mask(base, "E") & land
    near = _points_near(features["brownfield_xy"], grid.bounds, BROWNFIELD_RADIUS_M + 1.0)
    for name, how in (("brownfield_ha_5km", "sum"), ("largest_brownfield_site_ha_5km", "max")):
        out[name] = reduce_within(features["brownfield_xy"][near], features["brownfield_ha"][near],
                                  grid, england, radius_km=BROWNFIELD_RADIUS_M / 1000.0,
                                  how=how, fill=0.0)

    sac = features["sac"]
    out["sac_clearance_km"] = circle_clearance_km(sac[["x", "y"]].to_numpy(),
                                                  sac["radius_m"].to_numpy(), grid, land)
    return out


def counts(features: dict, tallies: dict | None = None) -> dict[str, dict]:
    """The figures the land coverage texts quote, from the features."""
    return {"sac_clearance_km": {"sacs": len(features["sac"])},
            "national_parks": {"parks": features["parks_n"]},
            "aonb_wales": {"aonbs": features["aonbs_wales_n"]}}


def build(sources: SourceFiles, grid: GridSpec, base) -> Built:
    """Read the land sources and put every land criterion and exclusion on ``grid``
    (the whole grid as one block: :func:`read`, then :func:`on_block`).

    The arrays are those the theme built before the block contract, cell for cell at
    1 km; the :class:`~growthzones.layers.base.Built` now also carries :func:`counts`.
    """
    f = read(sources)
    out = on_block(f, base)
    tallies = {k: out.pop(k) for k in [k for k in out if k.startswith("_")]}
    return Built(out, counts(f, tallies))
