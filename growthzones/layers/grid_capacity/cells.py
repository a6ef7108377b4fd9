"""Grid-capacity criteria on cells: the pure, cell-local half of the theme contract.

Every function takes the grid-free features of :func:`growthzones.layers.grid_capacity.read`
(or :func:`~growthzones.layers.grid_capacity.network_features`) and a grid, or a block of
the national grid with its part of the land mask, and returns float32 arrays. Each cell's
value depends only on its centre and the national features, so a chunked build gets the
whole-grid values.
"""

from __future__ import annotations

import numpy as np

from ...grid import (
    GridSpec,
    distance_to_lines,
    distance_to_points,
    nearest_point_index,
    reduce_within,
    value_of_nearest,
)
from .boundaries import boundary_crossings
from .headroom import HEADROOM_RADIUS_KM, licence_area_index, nearer_area, value_by_area
from .queues import QUEUE_RADIUS_KM
from .retired import RETIRED_RADIUS_KM


def year_criteria_on_grid(f: dict, grid: GridSpec, land: np.ndarray, *,
                          seen: dict | None = None) -> dict[str, np.ndarray]:
    """:data:`NETWORK_YEAR_CRITERIA` on ``grid`` from :func:`year_features` points (pure).

    ``seen`` (one dict for the snapshots of one block) keeps each nearest-point query by
    its points: snapshots often share a point set (GB: the transmission sites and nodes
    change in two of five), and the same query gives the same cells (a fifth of a 100 m
    block's grid-capacity time was such repeats).
    """
    seen = {} if seen is None else seen

    def once(kind, xy, make):
        key = (kind, xy.shape, np.ascontiguousarray(xy).tobytes())
        if key not in seen:
            seen[key] = make()
        return seen[key]

    def dist(xy):
        return once("distance", xy, lambda: distance_to_points(xy, grid, land))

    node = once("nearest", f["node_xy"], lambda: nearest_point_index(f["node_xy"], grid, land))

    def at_node(values):
        return value_of_nearest(f["node_xy"], values, grid, land, index=node)

    return {
        "dist_substation_132kv_km": dist(f["substation_132kv_xy"]),
        "dist_transmission_km": dist(f["transmission_xy"]),
        "transmission_node_mva": at_node(f["node_circuit_mva"]),
        "transformer_mva": at_node(f["node_transformer_mva"]),
        "tec_queue_mw": reduce_within(f["tec_xy"], f["tec_queued_mw"], grid, land,
                                      radius_km=QUEUE_RADIUS_KM, how="sum", fill=0.0),
    }


def features_on_grid(f: dict, grid: GridSpec, land: np.ndarray, *,
                     seen: dict | None = None) -> dict[str, np.ndarray]:
    """The plain-named grid-capacity criteria on ``grid`` from :func:`network_features` or
    :func:`read` output (:func:`on_block` adds the other snapshots' variants).

    Pure, and cell-local: each cell's value depends only on its centre and the features,
    so ``grid`` may be a block of the national grid (with its part of ``land``).
    """
    d_nged = distance_to_points(f["nged_xy"], grid, land)
    d_ukpn = distance_to_points(f["ukpn_xy"], grid, land)
    in_nged, in_ukpn = nearer_area(d_nged, d_ukpn, land), nearer_area(d_ukpn, d_nged, land)
    dq = value_of_nearest(f["gsp_xy"], f["gsp_queued_mw"], grid, land)
    hr = reduce_within(f["headroom_xy"], f["headroom_mva"], grid, land,
                       radius_km=HEADROOM_RADIUS_KM, how="max", fill=None)
    rows, cols = np.nonzero(land)
    cx, cy = grid.xy(rows, cols)
    count = np.full(grid.shape, np.nan, dtype=np.float32)
    count[rows, cols] = boundary_crossings(np.column_stack([cx, cy]), f["boundaries"])
    year = year_criteria_on_grid(f, grid, land, seen=seen)
    return {
        "dist_substation_132kv_km": year["dist_substation_132kv_km"],
        "dist_transmission_km": year["dist_transmission_km"],
        "dist_transmission_line_km": distance_to_lines(f["transmission_lines"], grid, land),
        "transmission_node_mva": year["transmission_node_mva"],
        "transformer_mva": year["transformer_mva"],
        "retired_capacity_mw": reduce_within(f["retired_xy"], f["retired_mw"], grid, land,
                                             radius_km=RETIRED_RADIUS_KM, how="max", fill=0.0),
        "tec_queue_mw": year["tec_queue_mw"],
        "dno_queue_mw": np.where(in_nged, dq, np.nan).astype(np.float32),
        "distribution_headroom_mva": np.where(in_ukpn, hr, np.nan).astype(np.float32),
        "boundaries_to_london": count,
        **dno_headroom_on_grid(f, grid, land),
    }


def dno_headroom_on_grid(f: dict, grid: GridSpec, land: np.ndarray) -> dict[str, np.ndarray]:
    """``dno_demand_headroom_mva`` and ``gsp_import_limit_mw`` on ``grid`` (pure)."""
    area_index, names = licence_area_index(f["dno_areas"], grid)
    return {
        "dno_demand_headroom_mva": value_by_area(f["dno_headroom"], area_index, names, grid,
                                                 land),
        "gsp_import_limit_mw": value_by_area(f["dno_limits"], area_index, names, grid, land),
    }


def on_block(features: dict, base) -> dict[str, np.ndarray]:
    """Every grid-capacity criterion and every ``name@snapshot`` variant on ``base``'s grid.

    Pure and cell-local: each cell's value depends only on its centre and the national
    features (points within a radius are looked up among all of them), so a block of the
    national grid gets exactly its part of the whole grid's values, at any resolution.
    ``features`` is :func:`read` output. No block tallies.
    """
    grid, land = base.grid, base.land
    seen: dict = {}  # the block's nearest-point queries, shared by its snapshots
    out = features_on_grid(features, grid, land, seen=seen)
    for snap, yf in features["years"].items():
        year = year_criteria_on_grid(yf, grid, land, seen=seen)
        out.update({f"{k}@{snap}": v for k, v in year.items()})
    return out


