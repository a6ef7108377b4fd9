"""Grid capacity: where ~500 MW of firm supply can be connected, and how hard it will be.

Every quantity starts from the ETYS 2024 substation index: the transmission owners' list
of site codes (4 letters) and their voltages. Sites are taken as they stand in a
**network year**: one of ETYS's snapshots 2025/26, 2027/28, 2029/30, 2032/33, 2035/36
(:data:`SNAPSHOTS`; the year a scenario asks for maps to the snapshot in force then, so
the default :data:`NETWORK_YEAR` 2030 is the 2029/30 snapshot; see :mod:`.network`). A
site counts if it has a circuit or transformer in the 2024/25 model or one added by the
snapshot in the change tables (B-2-2a..d circuits, B-3-2a..d transformers, B-5-1 HVDC
links; OFTO landings and HVDC links count at their onshore sites from their snapshot),
and ratings are the 2024/25 ratings with the changes to the snapshot applied. The TEC
queue is counted up to the snapshot's connection dates (:func:`tec_queued_by`: a stage
due by then is connected and leaves the queue; a later one holds its place). Only the
:data:`NETWORK_YEAR_CRITERIA` depend on the year; :func:`build` returns them for every
snapshot (``name@2035``), and :mod:`.changes` the tables that explain the differences.
Tee points and border nodes (names with TEE, BORDER, BOUNDARY) are
junctions, not substations, and offshore platforms cannot host a campus; both are dropped.

Coordinates: ETYS has none. Each site code is placed by the first source below that knows
it, in this order of trust (:data:`PLACEMENT_ORDER`):

1. ``fes2024_gsp``: NESO's own Grid Supply Point coordinates, by site code.
2. ``nged_substations``: NGED's surveyed Super Grid / Bulk Supply Point / 132 kV switching
   stations, by normalised name (see :func:`normalise_site_name`).
3. ``ukpn_sites``: UK Power Networks' 132 kV grid substations, by name.
4. ``etys_coords_pypsagb`` rows that PyPSA-GB checked by hand or matched to a power
   station or REPD project, by site code.
5. ``osm_hv_2017``: named OpenStreetMap substations (2016 state), by name.
6. ``etys_coords_pypsagb`` rows geocoded from the site *name* with Nominatim: usually a
   village centre, a few km from the compound, so they come last.

A name matches only if it is unambiguous within that source (all its points within
2 km); 0/0 coordinates and points outside GB are dropped. A NESO GSP row is used only if
its name starts like the ETYS name (NESO's ``DALL_P`` is Dallas, ETYS's ``DALL`` is
Dalmally). Every point from sources 2-6 is then checked against ETYS's circuit route
lengths: a circuit of L km cannot join two sites more than L + 15 km apart (the slack
covers village-centre geocodes and ETYS's nominal 1 km lengths), so a point that breaks
as many links to FES-placed neighbours as it keeps is refused and the next source tried.
Against FES, the name matches of NGED, UKPN and OSM agree to a median 0.1 km; 29 points
are refused, nearly all Nominatim geocodes of the wrong place ("Middleton", "Hambleton",
"Windyhill" 70-110 km from their neighbours). Sites are placed once for all snapshots
(the union of their sites, checked against the union of their routes), so a site keeps
its point from year to year. With the 2024 data 546 of 740 onshore sites of the 2030
network are placed (312 by FES), 334 of the 420 at 400/275 kV.

Node quantities are put on cells by these rules (each criterion states its own):

- the **nearest transmission node** (a placed 400/275 kV site) gives its circuit and
  transformer MVA to every land cell, so the value is defined everywhere and the
  distance to that node is scored separately (``dist_transmission_km``);
- **retired capacity** is the largest MW retired since 2010 at a power station within
  :data:`RETIRED_RADIUS_KM` of the cell, 0 where none is (a true zero: DUKES lists every
  closure since 2010). Stations, MW and points come from the industrial register
  (:mod:`growthzones.layers.industry`), which ``post_industrial`` reads too; gas closures
  are counted, because a closed CCGT leaves the same kind of 400/275 kV bay;
- **queues** are sums over connection sites within :data:`QUEUE_RADIUS_KM` (TEC) or the
  queue of the nearest NGED Grid Supply Point (inside NGED's area only). They are kept
  apart so that NGED's area is not penalised merely for publishing its queue;
- **distribution headroom** is the largest headroom among UKPN grid substations within
  :data:`HEADROOM_RADIUS_KM`, inside UKPN's area only.

Data problems handled here: 9999 MVA ratings are placeholders for zero-impedance
couplers (dropped); staged TEC rows repeat one project with a cumulative total (one row
per ``Project ID``, its largest cumulative MW); DUKES Northern Ireland rows are in Irish
Grid, not British National Grid (never read as BNG), 0/0 and out-of-range coordinates are
dropped; OSM-2017 files are ``#``-separated with ``SRID=4326;`` WKT and semicolon-joined
voltages in volts.

Modules: :mod:`.names` (name keys), :mod:`.network` (ETYS tables, snapshots, ratings),
:mod:`.changes` (network-year tables and :func:`why_changes`),
:mod:`.placement` (coordinates of ETYS sites), :mod:`.retired` (retired plant),
:mod:`.queues` (TEC and NGED queues), :mod:`.headroom` (UKPN headroom, DNO areas),
:mod:`.boundaries` (ETYS boundaries), :mod:`.cells` (the criteria on cells: :func:`on_block`),
:mod:`.coverage` (:func:`counts`). This package module holds the theme contract:
:func:`read` reads every raw file once (through :func:`read_sources`, then
:func:`network_features` derives the point and line features from those frames) and keeps
the grid-free features; :func:`on_block` puts every criterion and network-year variant on
any grid or block of cells (pure and cell-local, so a chunked build gets the same values);
:func:`counts`, :func:`tables` and :func:`reference` give the coverage figures, the
network-year tables and the map's substations from the same features; :func:`build` is
the whole-grid wrapper.
"""


from __future__ import annotations

import numpy as np
import pandas as pd

from ...catalog import SourceFiles
from ...criteria import theme_criteria
from ...grid import (
    BNG,
    GridSpec,
    LinePoints,
    distance_to_lines,
    distance_to_points,
    reduce_within,
    to_bng,
    value_of_nearest,
)
from .. import industry
from ..base import Built
from .boundaries import LONDON_XY, boundary_crossings
from .cells import dno_headroom_on_grid, features_on_grid, on_block, year_criteria_on_grid
from .changes import NETWORK_YEAR_CRITERIA, network_manifest, network_year_tables, why_changes
from .coverage import counts
from .headroom import (
    DNO_AREA_KM,
    DNO_MEASURES,
    HEADROOM_RADIUS_KM,
    LEVEL_REACH_KM,
    LIMIT_AREAS,
    dno_area,
    dno_headroom_points,
    enwl_headroom,
    firm_headroom,
    highest_level,
    licence_area_index,
    nearer_area,
    nged_limits,
    npg_headroom,
    parse_ratings,
    read_dno_sources,
    spd_group_name,
    spd_headroom,
    spm_limits,
    ssen_headroom,
    substation_points,
    ukpn_headroom,
    value_by_area,
)
from .names import _in_gb, _same_place, normalise_site_name, station_key
from .network import (
    NETWORK_YEAR,
    PLACEHOLDER_MVA,
    SNAPSHOTS,
    apply_changes,
    network_sites,
    node_circuit_mva,
    node_transformer_mva,
    read_etys,
    site_links,
    snapshot_cutoff,
    snapshot_label,
    snapshot_of,
    summarise_sites,
)
from .placement import (
    NGED_HV_KINDS,
    PLACEMENT_ORDER,
    clean_nged_sites,
    clean_ukpn_sites,
    locate_network_sites,
    locate_sites,
    locate_sites_by_year,
    nged_hv_sites,
    parse_voltages_kv,
    place_sites,
    placement_tables,
    points_by_code,
    points_by_name,
    read_nged_sites,
    read_osm_lines,
    read_osm_vertices,
    read_placements,
    read_ukpn_raw,
    read_ukpn_sites,
    sites_in_year,
    ukpn_hv_sites,
)
from .queues import (
    NGED_QUEUE_STATUSES,
    QUEUE_RADIUS_KM,
    name_locator,
    nged_queue_by_gsp,
    place_by_name,
    tec_projects,
    tec_queued_by,
)
from .retired import (
    DUKES_CHANGES_SHEET,
    DUKES_LIST_SHEETS,
    MIN_RETIRED_MW,
    RETIRED_RADIUS_KM,
    THERMAL,
    clean_plant_coordinates,
    fuel_family,
    in_northern_ireland,
    locate_retired,
    plant_points,
    read_dukes,
    read_plant_points,
    retired_capacity_by_station,
)

CRITERIA = theme_criteria("grid_capacity")

__all__ = [
    "CRITERIA",
    "DNO_AREA_KM",
    "DNO_MEASURES",
    "DUKES_CHANGES_SHEET",
    "DUKES_LIST_SHEETS",
    "HEADROOM_RADIUS_KM",
    "LEVEL_REACH_KM",
    "LIMIT_AREAS",
    "LONDON_XY",
    "MIN_RETIRED_MW",
    "NETWORK_YEAR",
    "NETWORK_YEAR_CRITERIA",
    "NGED_HV_KINDS",
    "NGED_QUEUE_STATUSES",
    "PLACEHOLDER_MVA",
    "PLACEMENT_ORDER",
    "QUEUE_RADIUS_KM",
    "RETIRED_RADIUS_KM",
    "SNAPSHOTS",
    "THERMAL",
    "_in_gb",
    "_same_place",
    "apply_changes",
    "boundary_crossings",
    "build",
    "clean_nged_sites",
    "clean_plant_coordinates",
    "clean_ukpn_sites",
    "counts",
    "distance_to_lines",
    "distance_to_points",
    "dno_area",
    "dno_headroom_on_grid",
    "dno_headroom_points",
    "enwl_headroom",
    "features_on_grid",
    "firm_headroom",
    "fuel_family",
    "highest_level",
    "in_northern_ireland",
    "licence_area_index",
    "locate_network_sites",
    "locate_retired",
    "locate_sites",
    "locate_sites_by_year",
    "name_locator",
    "nearer_area",
    "network_features",
    "network_manifest",
    "network_sites",
    "network_year_tables",
    "nged_hv_sites",
    "nged_limits",
    "nged_queue_by_gsp",
    "node_circuit_mva",
    "node_transformer_mva",
    "normalise_site_name",
    "npg_headroom",
    "on_block",
    "parse_ratings",
    "parse_voltages_kv",
    "place_by_name",
    "place_sites",
    "placement_tables",
    "plant_points",
    "points_by_code",
    "points_by_name",
    "read",
    "read_dno_sources",
    "read_dukes",
    "read_etys",
    "read_nged_sites",
    "read_osm_lines",
    "read_osm_vertices",
    "read_placements",
    "read_plant_points",
    "read_sources",
    "read_ukpn_raw",
    "read_ukpn_sites",
    "reduce_within",
    "reference",
    "retired_capacity_by_station",
    "site_links",
    "sites_in_year",
    "snapshot_cutoff",
    "snapshot_label",
    "snapshot_of",
    "spd_group_name",
    "spd_headroom",
    "spm_limits",
    "ssen_headroom",
    "station_key",
    "substation_points",
    "summarise_sites",
    "tables",
    "tec_projects",
    "tec_queued_by",
    "to_bng",
    "transmission_substations",
    "ukpn_headroom",
    "ukpn_hv_sites",
    "value_by_area",
    "value_of_nearest",
    "why_changes",
    "year_criteria_on_grid",
    "year_features"
]


def read_sources(sources: SourceFiles) -> dict:
    """Read every raw file of this theme once, as frames (the only file reads of the build).

    Returns
    -------
    dict
        ``etys`` (:func:`read_etys`), ``fes``, ``pypsa``, ``gppd``, ``tec``,
        ``nged_queue`` (CSV as read), ``nged`` (:func:`clean_nged_sites`), ``ukpn_raw``
        (as read) and ``ukpn`` (:func:`clean_ukpn_sites`), ``osm_vertices``,
        ``osm_lines`` (EPSG:27700 lines of 275 kV+), ``dukes`` (:func:`read_dukes`),
        ``boundaries`` (ETYS boundary lines in EPSG:27700).
    """
    import geopandas as gpd

    from ...grid import BNG

    ukpn_raw = read_ukpn_raw(sources)
    return {
        "etys": read_etys(sources.path("etys_2024")),
        "fes": pd.read_csv(sources.path("fes2024_gsp")),
        "pypsa": pd.read_csv(sources.path("etys_coords_pypsagb")),
        "nged": read_nged_sites(sources),
        "ukpn_raw": ukpn_raw,
        "ukpn": clean_ukpn_sites(ukpn_raw),
        "osm_vertices": read_osm_vertices(sources.path("osm_hv_2017")),
        "osm_lines": read_osm_lines(sources.path("osm_hv_links_2017")),
        "gppd": pd.read_csv(sources.path("gppd_gbr")),
        "dukes": read_dukes(sources),
        "tec": pd.read_csv(sources.path("tec_register_2025"), encoding="utf-8-sig"),
        "nged_queue": pd.read_csv(sources.path("nged_queue_2025"), encoding="utf-8-sig"),
        "boundaries": gpd.read_file(sources.path("etys_boundaries_2025")).to_crs(BNG)
                         .geometry.values,
        # closed stations: the industrial register, which post_industrial reads too
        "register": industry.read_register(sources)[0],
        **read_dno_sources(sources),
    }


def network_features(raw: dict, *, year: int = NETWORK_YEAR) -> dict:
    """Points, values and lines behind every criterion, from :func:`read_sources` frames.

    Pure. Returns a dict of (n, 2) EPSG:27700 arrays (``*_xy``) with their values, the
    lines for the distance and boundary criteria, ``sites``/``info`` from
    :func:`locate_sites` (the ``year`` network), ``by_year`` (every snapshot's sites,
    placed once: :func:`locate_sites_by_year`), ``tec`` (one row per TEC project, placed,
    with ``queued_mw_S`` per snapshot: :func:`tec_queued_by`) and ``retired`` for
    inspection. :func:`year_features` gives the network-year part for another year.
    """
    nged, ukpn = raw["nged"], raw["ukpn"]
    placements = placement_tables(raw["fes"], nged, ukpn, raw["pypsa"], raw["osm_vertices"])
    by_year = locate_sites_by_year(raw["etys"], placements)
    sites, info = locate_sites(raw["etys"], placements, year=year, by_year=by_year)

    # Retired stations, their MW and their points come from the industrial register, as
    # for post_industrial's dist_closed_power_station_km (one list, so the two agree).
    retired = industry.closed_power_stations(raw["register"])
    ok = retired["x"].notna()

    # Connection sites are named against every snapshot's placed sites, so a project keeps
    # its point in every year (only its queued MW changes).
    locate = name_locator(by_year[0], placements)
    proj = tec_projects(raw["tec"])
    proj = proj.join(place_by_name(proj["connection_site"], locate))
    queued = tec_queued_by(raw["tec"], {s: snapshot_cutoff(s) for s in SNAPSHOTS})
    for snap in SNAPSHOTS:
        proj[f"queued_mw_{snap}"] = proj["project_id"].map(queued[snap]).fillna(0.0)
    gsp = nged_queue_by_gsp(raw["nged_queue"])
    gsp = gsp.join(place_by_name(gsp["gsp"], locate)).dropna(subset=["x"])
    head = ukpn_headroom(raw["ukpn_raw"])
    f = {
        "sites": sites, "info": info, "retired": retired, "by_year": by_year[0],
        "by_year_info": by_year[1], "tec": proj,
        "nged": nged, "ukpn": ukpn, "network_year": year,
        "transmission_lines": raw["osm_lines"],
        "retired_xy": retired.loc[ok, ["x", "y"]].to_numpy(float),
        "retired_mw": retired.loc[ok, "retired_mw_since_2010"].to_numpy(float),
        "nged_xy": nged[["x", "y"]].to_numpy(float),
        "ukpn_xy": ukpn[["Easting", "Northing"]].to_numpy(float),
        "gsp_xy": gsp[["x", "y"]].to_numpy(float), "gsp_queued_mw": gsp["queued_mw"].to_numpy(float),
        "headroom_xy": head[["x", "y"]].to_numpy(float),
        "headroom_mva": head["headroom_mva"].to_numpy(float),
        "boundaries": raw["boundaries"],
        **dno_headroom_points(raw, head, sites, locate),
    }
    f.update(year_features(f, year))
    return f


def year_features(f: dict, year: int) -> dict:
    """The points behind :data:`NETWORK_YEAR_CRITERIA` in the network of ``year``.

    Pure; ``f`` is :func:`network_features` output (any year). Sites present in the
    snapshot give the substation and node points; TEC projects their queued MW then.
    """
    snap = snapshot_of(year)
    placed = sites_in_year(f["by_year"], snap)
    placed = placed[placed["x"].notna()]
    tx = placed[placed["max_kv"] >= 275]
    nged, ukpn = f["nged"], f["ukpn"]
    nged_hv, ukpn_hv = nged_hv_sites(nged), ukpn_hv_sites(ukpn)
    nged_sg = nged[nged["kind"] == "super grid substation"]
    proj = f["tec"]
    q = proj[proj["x"].notna() & (proj[f"queued_mw_{snap}"] > 0)]
    tx_xy = tx[["x", "y"]].to_numpy(float)
    # Sites placed at one point (a converter station and the substation it feeds) are one
    # node with the larger MVA of each kind, so no cell's nearest node is a tie.
    node = tx.groupby(["x", "y"], as_index=False, sort=False)[["circuit_mva",
                                                               "transformer_mva"]].max()
    return {
        "snapshot": snap,
        "substation_132kv_xy": np.vstack([
            placed[placed["max_kv"] >= 132][["x", "y"]].to_numpy(float),
            nged_hv[["x", "y"]].to_numpy(float),
            ukpn_hv[["Easting", "Northing"]].to_numpy(float)]),
        "transmission_xy": np.vstack([tx_xy, nged_sg[["x", "y"]].to_numpy(float)]),
        "node_xy": node[["x", "y"]].to_numpy(float),
        "node_circuit_mva": node["circuit_mva"].to_numpy(float),
        "node_transformer_mva": node["transformer_mva"].to_numpy(float),
        "tec_xy": q[["x", "y"]].to_numpy(float),
        "tec_queued_mw": q[f"queued_mw_{snap}"].to_numpy(float),
    }


def _substation_frame(sites: pd.DataFrame, nged: pd.DataFrame) -> pd.DataFrame:
    """The placed 400/275 kV ``sites`` then ``nged``'s Super Grid substations, named."""
    tx = sites[sites["x"].notna() & (sites["max_kv"] >= 275)]
    sg = nged[nged["kind"] == "super grid substation"]
    return pd.DataFrame({
        "name": [*(str(n).title() for n in tx["site_name"]), *(str(n) for n in sg["name"])],
        "kv": [*tx["max_kv"].astype(float), *[np.nan] * len(sg)],
        "x": [*tx["x"].astype(float), *sg["x"].astype(float)],
        "y": [*tx["y"].astype(float), *sg["y"].astype(float)]})


def transmission_substations(raw: dict, *, year: int = NETWORK_YEAR) -> pd.DataFrame:
    """The 400/275 kV substations behind ``dist_transmission_km``, named (pure).

    The same points as ``network_features(raw)["transmission_xy"]``: the placed ETYS
    sites of 275 kV or more in ``year``'s network, then NGED's Super Grid substations.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``kv`` (highest busbar voltage; NaN for NGED's), ``x``, ``y``
        (EPSG:27700 metres).
    """
    nged = raw["nged"]
    placements = placement_tables(raw["fes"], nged, raw["ukpn"], raw["pypsa"],
                                  raw["osm_vertices"])
    sites, _ = locate_sites(raw["etys"], placements, year=year)
    return _substation_frame(sites, nged)


#: The :func:`network_features` entries :func:`on_block` reads (besides ``years``).
_ON_BLOCK_KEYS = ("snapshot", "nged_xy", "ukpn_xy", "gsp_xy", "gsp_queued_mw",
                  "headroom_xy", "headroom_mva", "boundaries", "transmission_lines",
                  "retired_xy", "retired_mw", "dno_areas", "dno_headroom", "dno_limits",
                  # the NETWORK_YEAR network's year_features
                  "substation_132kv_xy", "transmission_xy", "node_xy", "node_circuit_mva",
                  "node_transformer_mva", "tec_xy", "tec_queued_mw")
#: The ETYS tables :func:`tables` needs (the change rows and the site index).
_ETYS_FOR_TABLES = ("sites", "circuit_changes", "transformer_changes")


def read(sources: SourceFiles) -> dict:
    """Read every grid source once and return the theme's features (edge).

    Goes through the module's :func:`read_sources` and :func:`network_features`. The
    result is a plain, picklable dict that does not depend on any grid:

    - what :func:`on_block` needs: the point, line and polygon features of
      :func:`features_on_grid` for the :data:`NETWORK_YEAR` network, and ``years``
      (:func:`year_features` of every other snapshot);
    - what :func:`tables` needs: ``by_year``, ``by_year_info``, ``tec`` and ``etys``
      (only the ETYS site index and change tables);
    - ``substations`` (:func:`transmission_substations` of the same placed sites) for
      :func:`reference`, and ``figures``: the coverage figures :func:`counts` quotes that
      need raw tables (the industrial register, ETYS placement counts, OSM line reach),
      computed here so that the raw tables need not travel.
    """
    raw = read_sources(sources)
    f = network_features(raw)
    feats = {k: f[k] for k in _ON_BLOCK_KEYS}
    # the overhead lines' points and KD-tree made once per process, not on every block
    feats["transmission_lines"] = LinePoints(f["transmission_lines"])
    feats["years"] = {s: year_features(f, s) for s in SNAPSHOTS if s != f["snapshot"]}
    feats.update({
        "by_year": f["by_year"], "by_year_info": f["by_year_info"], "tec": f["tec"],
        "etys": {k: raw["etys"][k] for k in _ETYS_FOR_TABLES},
        "substations": _substation_frame(f["sites"], f["nged"]),
        "figures": _read_figures(raw, f),
    })
    return feats


def _read_figures(raw: dict, f: dict) -> dict:
    """Coverage figures that need the raw tables (see :func:`counts`)."""
    import shapely

    from ...grid import to_wgs84

    info = f["info"]
    xy = shapely.get_coordinates(f["transmission_lines"])
    return {
        "sites": {k: int(info[k]) for k in ("placed", "sites", "tx_placed", "tx_sites")},
        "retired": industry.coverage_counts(raw["register"])["retired_capacity_mw"],
        "lines_north_lat": round(float(to_wgs84(xy[:, 0], xy[:, 1])[:, 1].max()), 1)
                           if len(xy) else float("nan"),
    }


def tables(features: dict) -> dict[str, pd.DataFrame]:
    """The network-year tables (:func:`network_year_tables`) from :func:`read` output."""
    return _tables(features)


def _tables(features: dict) -> dict[str, pd.DataFrame]:
    return network_year_tables({"etys": features["etys"]}, features)


def reference(features: dict) -> dict[str, tuple[dict, tuple[str, ...]]]:
    """Vector files for the map: ``{"substations": (GeoJSON points, source ids)}``.

    From :func:`read` output (its ``substations``, the points of ``dist_transmission_km``
    in the :data:`NETWORK_YEAR` network): no source is read a second time.
    """
    import json

    import geopandas as gpd

    from ...criteria import REGISTRY

    subs = features["substations"]
    pts = gpd.GeoDataFrame(subs[["name", "kv"]],
                           geometry=gpd.points_from_xy(subs["x"], subs["y"]), crs=BNG)
    pts = pts.to_crs(4326)
    pts["geometry"] = pts.geometry.set_precision(1e-5)
    return {"substations": (json.loads(pts.to_json(drop_id=True)),
                            tuple(REGISTRY["dist_transmission_km"].sources))}


def build(sources: SourceFiles, grid: GridSpec, base, *, tables: dict | None = None
          ) -> Built:
    """Read the grid sources once and put every grid-capacity criterion on ``grid``.

    The thin whole-grid wrapper of :func:`read`, :func:`on_block` and :func:`counts`.
    The plain names are the :data:`NETWORK_YEAR` network (2029/30 snapshot); each other
    snapshot ``S`` adds ``<name>@S`` for the :data:`NETWORK_YEAR_CRITERIA`. If ``tables``
    is a dict, the tables behind the network years are put in it
    (:func:`network_year_tables`: ``network_nodes``, ``network_changes``,
    ``tec_projects``), for the store to keep. The features travel on the result
    (``.features``) so that the builder can draw :func:`reference` from them.
    """
    f = read(sources)
    out = on_block(f, base)
    tallies = {k: out.pop(k) for k in [k for k in out if k.startswith("_")]}
    if tables is not None:
        tables.update(_tables(f))
    built = Built(out, counts(f, tallies))
    built.features = f
    return built


