"""Connectivity: latency to the internet's exchanges, fibre, and ways in for construction.

Internet exchanges (TeleGeography, 2020): each building hosting an exchange is a point.
The data give no member counts under an open licence, so an exchange's size is measured
by how many buildings it spans in TeleGeography's map (LINX London 14, Equinix London 9,
LONAP 8, NL-ix 5, LINX Manchester 4, Equinix Manchester 4; every other UK exchange 1 or
2). Exchanges in at least :data:`MAJOR_IX_MIN_BUILDINGS` buildings are *major*: the
London and Manchester exchanges, which PeeringDB's member counts (LINX LON1 963, LONAP
357, LINX LON2 349, LINX Manchester 153, IXLeeds 20; not used as input, its terms are
not open) confirm are the large ones.

Latency: the round trip to London Docklands is estimated from the straight-line distance
to the building hosting the most exchanges (Telehouse North, 14 Coriander Avenue, LINX
LON1's home):

.. math:: RTT_{ms} = 2 \\cdot f \\cdot d_{km} / v, \\quad v = 204.2\\ \\mathrm{km/ms}

with light in fibre at :data:`FIBRE_KM_PER_MS` (c / 1.468, the group index of standard
single-mode fibre) and a route factor f = :data:`ROUTE_FACTOR` (1.5: fibre follows roads
and railways, not the straight line). Equipment and queuing delay are left out, so the
figure is a floor. Glasgow comes out at about 8 ms, Manchester 4 ms.

Submarine cables: landing points in Great Britain of cables in service that reach another
country (Crown Dependencies do not count), so the 40-odd domestic Hebridean, Orkney and
Clyde links and the Northern Ireland links do not make a place look connected. Landing
points more than :data:`OFFSHORE_KM` from GB land (the small-area polygons of the base:
oil platforms) are dropped.

Broadband: Ofcom's gigabit-capable share of premises per local authority (January 2026),
joined on the council code. Ofcom uses 2023 codes; the grid's councils are the 2021 (E&W)
and 2020 (Scotland) sets, so the 17 districts merged in 2023 (Cumbria, North Yorkshire,
Somerset) and Barnsley and Sheffield (recoded after a boundary change) take their
successor's value (:data:`LA_SUCCESSORS`). Each old district lies wholly inside one
successor, so this assigns the successor's average, not a guess.

The theme contract: :func:`read` reads each source once into grid-free features,
:func:`on_block` puts the criteria on any grid or block of it, :func:`counts` and
:func:`reference` (the map's motorways) come from the same features, and :func:`build` is
the whole-grid wrapper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..criteria import theme_criteria
from ..grid import BNG, GridSpec, LinePoints, distance_to_lines, distance_to_points, to_bng
from .base import Built

#: Speed of light in standard single-mode fibre, km per ms (c / 1.468).
FIBRE_KM_PER_MS = 299_792.458 / 1.468 / 1000.0
#: Fibre route length over straight-line distance.
ROUTE_FACTOR = 1.5
#: An exchange spanning at least this many buildings in TeleGeography's map is major.
MAJOR_IX_MIN_BUILDINGS = 4
#: Landing points farther than this from GB land (km) are offshore platforms.
OFFSHORE_KM = 5.0
#: Countries a UK cable may reach without counting as international.
DOMESTIC = frozenset({"United Kingdom", "Isle of Man", "Guernsey", "Jersey"})
#: Council codes of 2021 (E&W) that Ofcom's 2023 codes replace: old -> successor.
LA_SUCCESSORS = {
    # Cumberland (2023): Allerdale, Carlisle, Copeland
    "E07000026": "E06000063", "E07000028": "E06000063", "E07000029": "E06000063",
    # Westmorland and Furness (2023): Barrow-in-Furness, Eden, South Lakeland
    "E07000027": "E06000064", "E07000030": "E06000064", "E07000031": "E06000064",
    # North Yorkshire (2023): Craven, Hambleton, Harrogate, Richmondshire, Ryedale,
    # Scarborough, Selby
    "E07000163": "E06000065", "E07000164": "E06000065", "E07000165": "E06000065",
    "E07000166": "E06000065", "E07000167": "E06000065", "E07000168": "E06000065",
    "E07000169": "E06000065",
    # Somerset (2023): Mendip, Sedgemoor, South Somerset, Somerset West and Taunton
    "E07000187": "E06000066", "E07000188": "E06000066", "E07000189": "E06000066",
    "E07000246": "E06000066",
    # Recoded after the 2023 Barnsley-Sheffield boundary change
    "E08000016": "E08000038", "E08000019": "E08000039",
}

CRITERIA = theme_criteria("connectivity")


# --------------------------------------------------------------------------- exchanges


def exchange_sizes(pairs: pd.DataFrame) -> pd.Series:
    """Buildings per exchange, from the (building, exchange) table.

    >>> pairs = pd.DataFrame({"building_id": [1, 2, 2], "exchange": ["A", "A", "B"]})
    >>> exchange_sizes(pairs).to_dict()
    {'A': 2, 'B': 1}
    """
    return pairs.groupby("exchange")["building_id"].nunique().sort_values(ascending=False)


def major_ixp_buildings(pairs: pd.DataFrame, *, min_buildings: int = MAJOR_IX_MIN_BUILDINGS
                        ) -> pd.DataFrame:
    """Buildings that host at least one exchange spanning ``min_buildings`` or more.

    Returns
    -------
    pandas.DataFrame
        One row per building: ``building_id``, ``building``, ``lon``, ``lat``,
        ``exchanges`` (major ones, ``; ``-joined).
    """
    sizes = exchange_sizes(pairs)
    major = set(sizes[sizes >= min_buildings].index)
    m = pairs[pairs["exchange"].isin(major)]
    g = m.groupby("building_id")
    return pd.DataFrame({"building": g["building"].first(), "lon": g["lon"].first(),
                         "lat": g["lat"].first(),
                         "exchanges": g["exchange"].agg(lambda e: "; ".join(sorted(set(e))))
                         }).reset_index()


def hub_building(pairs: pd.DataFrame) -> pd.Series:
    """The building hosting the most exchanges (ties: lowest building id).

    On the 2020 map this is 14 Coriander Avenue (Telehouse North, Docklands), home of
    LINX LON1.
    """
    n = pairs.groupby("building_id")["exchange"].nunique()
    best = n[n == n.max()].index.min()
    return pairs[pairs["building_id"] == best].iloc[0]


def round_trip_ms(distance_km, *, route_factor: float = ROUTE_FACTOR,
                  km_per_ms: float = FIBRE_KM_PER_MS):
    """Round-trip time over fibre in ms for straight-line distances in km.

    .. math:: RTT = 2 \\cdot f \\cdot d / v

    >>> round(float(round_trip_ms(204.2)), 2)   # 204.2 km: 1.5 x 2 x 1 ms
    3.0
    """
    return 2.0 * route_factor * np.asarray(distance_km, dtype=float) / km_per_ms


# --------------------------------------------------------------------------- cables


def international_landings(landings: pd.DataFrame, cables: pd.DataFrame, *,
                           domestic=DOMESTIC) -> pd.DataFrame:
    """GB landing points of in-service cables that reach a country outside ``domestic``.

    Parameters
    ----------
    landings
        ``name``, ``cables`` (``; ``-joined names), ``in_great_britain``, ``lon``, ``lat``.
    cables
        ``name``, ``is_planned``, ``landing_countries`` (``; ``-joined).

    Returns
    -------
    pandas.DataFrame
        The qualifying rows of ``landings`` plus ``international`` (their cables).
    """
    reach = cables["landing_countries"].fillna("").map(
        lambda s: {c.strip() for c in s.split(";") if c.strip()})
    live = ~cables["is_planned"].fillna(False).astype(bool)
    intl = set(cables.loc[live & reach.map(lambda r: bool(r - set(domestic))), "name"])
    names = landings["cables"].fillna("").map(lambda s: [c.strip() for c in s.split(";")])
    hits = names.map(lambda cs: "; ".join(c for c in cs if c in intl))
    keep = landings["in_great_britain"].astype(bool) & (hits != "")
    return landings[keep].assign(international=hits[keep]).reset_index(drop=True)


def onshore(xy: np.ndarray, grid: GridSpec, land: np.ndarray, *, max_km: float = OFFSHORE_KM
            ) -> np.ndarray:
    """True for points within ``max_km`` of a land cell centre (drops offshore platforms)."""
    from scipy.spatial import cKDTree

    rows, cols = np.nonzero(land)
    cx, cy = grid.xy(rows, cols)
    d, _ = cKDTree(np.column_stack([cx, cy])).query(np.asarray(xy, float).reshape(-1, 2))
    return d <= max_km * 1000.0


def near_land(xy: np.ndarray, shapes, *, max_km: float = OFFSHORE_KM) -> np.ndarray:
    """True for points within ``max_km`` of any of the land polygons ``shapes`` (EPSG:27700).

    The grid-free form of :func:`onshore`: the same on every block and at every
    resolution, so offshore platforms are dropped identically everywhere.
    """
    import shapely

    xy = np.asarray(xy, float).reshape(-1, 2)
    keep = np.zeros(len(xy), dtype=bool)
    if len(xy):
        hit, _ = shapely.STRtree(shapes).query(shapely.points(xy), predicate="dwithin",
                                               distance=max_km * 1000.0)
        keep[hit] = True
    return keep


# --------------------------------------------------------------------------- councils


def la_values(las: pd.DataFrame, values: pd.Series, *, successors=LA_SUCCESSORS
              ) -> tuple[pd.Series, list[str]]:
    """Values for the grid's councils from a table keyed by newer council codes.

    Parameters
    ----------
    las
        ``la_code`` per council (the grid's 2021/2020 codes).
    values
        Indexed by council code (Ofcom's 2023 codes).
    successors
        Old code -> new code, for councils abolished or recoded since.

    Returns
    -------
    (pandas.Series, list of str)
        Values aligned with ``las`` (NaN where neither the code nor its successor is in
        ``values``), and the codes that had no direct match before ``successors`` was
        applied.

    Examples
    --------
    >>> las = pd.DataFrame({"la_code": ["E07000026", "E06000001"]})
    >>> v, unmatched = la_values(las, pd.Series({"E06000063": 84.8, "E06000001": 90.0}))
    >>> v.tolist(), unmatched
    ([84.8, 90.0], ['E07000026'])
    """
    codes = las["la_code"].astype(str)
    direct = codes.map(values)
    unmatched = sorted(codes[direct.isna()])
    via = codes.map(lambda c: successors.get(c)).map(values)
    return direct.fillna(via).rename(values.name), unmatched


def read_ofcom(path) -> pd.DataFrame:
    """Ofcom Connected Nations indicators for GB local-authority districts, by ``areacd``."""
    df = pd.read_csv(path)
    lad = df["areacd"].str[:3].isin(["E06", "E07", "E08", "E09", "W06", "S12"])
    return df[lad].set_index("areacd")


# --------------------------------------------------------------------------- edge


def read(sources: SourceFiles) -> dict:
    """Read every connectivity source once and return the theme's features (edge).

    Returns
    -------
    dict
        Picklable and grid-free: ``ixp_xy`` (every exchange building), ``major_ixp_xy``,
        ``hub_xy`` (Telehouse North), ``landing_xy`` (international landing points,
        offshore platforms still in: :func:`on_block` drops them against the land),
        ``motorways`` (GeoDataFrame of ``road_classification_number`` and lines,
        EPSG:27700, for the map), ``motorway_lines`` and ``rail`` (the lines'
        :class:`~growthzones.grid.LinePoints`), ``gigabit`` (Ofcom's gigabit share by
        council code) and ``rail_km``, ``rail_elrs`` (what the rail lines cover, for
        :func:`counts`), ``ixp_metros`` (the exchange buildings' metro areas, most
        buildings first).
    """
    import geopandas as gpd

    ix = gpd.read_file(sources.path("ixp_buildings")).to_crs(BNG)
    pairs = pd.read_csv(sources.path("ixp_exchanges"))
    major = major_ixp_buildings(pairs)
    hub = hub_building(pairs)

    lps = gpd.read_file(sources.path("cable_landings_uk"))
    cables = gpd.read_file(sources.path("submarine_cables_uk"), columns=[
        "name", "is_planned", "landing_countries"], read_geometry=False)
    intl = international_landings(pd.DataFrame(lps.drop(columns="geometry")), cables)

    mways = gpd.read_file(sources.path("motorways_gb")).to_crs(BNG)
    rail = gpd.read_file(sources.path("rail_lines_gb"), layer="rail_elr_lines").to_crs(BNG)
    ofcom = read_ofcom(sources.path("ofcom_connectivity_la"))
    return {
        "ixp_xy": np.column_stack([ix.geometry.x, ix.geometry.y]),
        # what the exchange buildings cover, for counts: metro areas, most buildings first
        # (ties by name, so the text does not depend on the file's row order)
        "ixp_metros": ", ".join(m.title() for m in ix["metro_area"].value_counts().sort_index()
                                .sort_values(ascending=False, kind="stable").index),
        "major_ixp_xy": to_bng(major["lon"], major["lat"]),
        "hub_xy": to_bng([hub["lon"]], [hub["lat"]]),
        "landing_xy": to_bng(intl["lon"], intl["lat"]),
        "motorways": mways[["road_classification_number", "geometry"]],
        "motorway_lines": LinePoints(mways.geometry.values),
        "rail": LinePoints(rail.geometry.values),
        "rail_km": float(rail.geometry.length.sum()) / 1000.0,
        "rail_elrs": int(rail["ELR"].nunique()),
        "gigabit": ofcom["gigabit_pct_premises"],
    }


def on_block(features: dict, base) -> dict[str, np.ndarray]:
    """Every connectivity criterion on ``base``'s grid (a whole grid or a block of it).

    Pure and cell-local: distances are to the national points and lines, and a council's
    broadband share comes from ``base.las`` (the national table). Landing points are kept
    if within :data:`OFFSHORE_KM` of the land polygons ``base.shapes`` (:func:`near_land`),
    the same on every block; a base without polygons falls back to :func:`onshore` on its
    own land cells, which is block-independent only on a whole grid.
    """
    grid, land = base.grid, base.land
    lxy = features["landing_xy"]
    lxy = lxy[near_land(lxy, base.shapes) if base.shapes is not None
              else onshore(lxy, grid, land)]
    gig, _ = la_values(base.las, features["gigabit"])
    lut = np.concatenate([[np.nan], gig.to_numpy(dtype=np.float32)]).astype(np.float32)
    return {
        "dist_ixp_km": distance_to_points(features["ixp_xy"], grid, land),
        "dist_major_ixp_km": distance_to_points(features["major_ixp_xy"], grid, land),
        "latency_london_ms": round_trip_ms(distance_to_points(features["hub_xy"], grid, land)
                                           ).astype(np.float32),
        "dist_cable_landing_km": distance_to_points(lxy, grid, land),
        "dist_motorway_km": distance_to_lines(features["motorway_lines"], grid, land),
        "dist_rail_km": distance_to_lines(features["rail"], grid, land),
        "gigabit_broadband_pct": np.where(land, lut[base.la_index], np.nan).astype(np.float32),
    }


def counts(features: dict, tallies: dict | None = None) -> dict[str, dict]:
    """The figures the connectivity coverage texts quote, from :func:`read` output
    (``tallies`` unused: no figure here counts cells)."""
    return {"dist_rail_km": {"km": round(features["rail_km"]),
                             "elrs": features["rail_elrs"]},
            "dist_ixp_km": {"buildings": len(features["ixp_xy"]),
                            "metros": features["ixp_metros"]}}


def build(sources: SourceFiles, grid: GridSpec, base) -> Built:
    """Read the connectivity sources once and put every connectivity criterion on ``grid``.

    The thin whole-grid wrapper of :func:`read`, :func:`on_block` and :func:`counts`; the
    features travel on the result (``.features``) for :func:`reference`.
    """
    f = read(sources)
    out = on_block(f, base)
    tallies = {k: out.pop(k) for k in [k for k in out if k.startswith("_")]}
    built = Built(out, counts(f, tallies))
    built.features = f
    return built


#: Douglas-Peucker tolerance (m, EPSG:27700) of the motorways drawn on the map, and the
#: decimals kept in their lon/lat (4 is ~10 m): ~285 kB for GB.
MAP_MOTORWAY_TOLERANCE_M = 100.0
MAP_MOTORWAY_DECIMALS = 4


def motorways_geojson(lines, *, tolerance_m: float = MAP_MOTORWAY_TOLERANCE_M,
                      decimals: int = MAP_MOTORWAY_DECIMALS) -> dict:
    """Motorways for the map: one merged, simplified line per road number, WGS84 GeoJSON.

    Parameters
    ----------
    lines
        GeoDataFrame of OS Open Roads motorway links with ``road_classification_number``
        (any CRS).
    """
    import json

    import shapely

    roads = lines.to_crs(BNG).dissolve(by="road_classification_number", as_index=False)
    roads["geometry"] = shapely.simplify(shapely.line_merge(roads.geometry.values),
                                         tolerance_m)
    roads = roads.rename(columns={"road_classification_number": "ref"})[["ref", "geometry"]]
    roads = roads.to_crs(4326)
    roads["geometry"] = shapely.set_precision(roads.geometry.values, 10.0 ** -decimals)
    return json.loads(roads.to_json(drop_id=True))


def reference(features: dict) -> dict[str, tuple[dict, tuple[str, ...]]]:
    """Vector files for the map: ``{"motorways": (GeoJSON, source ids)}``, from
    :func:`read` output (no second read of the motorways)."""
    return {"motorways": (motorways_geojson(features["motorways"]), ("motorways_gb",))}
