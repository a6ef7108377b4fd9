"""The flood criteria of the registry, as data.

Built by :mod:`growthzones.layers.flood`, which takes them with
:func:`growthzones.criteria.theme_criteria`; :data:`CRITERIA` is assembled into
:data:`growthzones.criteria.REGISTRY` in theme order.
"""

from __future__ import annotations

from .criterion import Criterion

_FLOOD_PROXY = ("Terrain proxy, not a flood zone: it ignores defences, tide levels and "
                "rainfall, and the official EA / NRW / SEPA zones are not held here.")

CRITERIA: dict[str, Criterion] = {
    "flood_proxy_low_ground_pct": Criterion(
        name="flood_proxy_low_ground_pct", layer="flood",
        title="Low ground near sea level (flood proxy)", unit="% of cell", direction="min",
        description="Share of the cell's 100 m land pixels whose lowest OS Terrain 50 post "
                    "is at or below 5 m above Ordnance Datum: tidal and estuarine flood "
                    "plains (Thames estuary, Fens, Humber, Somerset Levels); inland river "
                    "plains sit higher and are missed. " + _FLOOD_PROXY,
        sources=("os_terrain50_lowlying", "lsoa_ew", "datazones_scotland"),
        coverage="GB: every land cell (OS Terrain 50, 2013; about 4 m vertical RMSE).",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.8], [50, 0.2],
                                                           [100, 0]]}),
    "flood_proxy_hand_pct": Criterion(
        name="flood_proxy_hand_pct", layer="flood",
        title="Ground near drainage, HAND <= 2 m (flood proxy)", unit="% of cell",
        direction="min",
        description="Share of the cell's 100 m land pixels within 2 m of the stream they "
                    "drain to (height above nearest drainage from the OS Terrain 50 100 m "
                    "DEM with pysheds: depressions filled, flats resolved, D8 flow, streams "
                    "from 5 km2 upstream, computed by the build in 200 km tiles with a "
                    "15 km halo). Finds river flood plains, and also flat vales and "
                    "plateaux that do not flood. " + _FLOOD_PROXY,
        sources=("os_terrain50_dem", "lsoa_ew", "datazones_scotland"),
        coverage="GB: every land cell (OS Terrain 50, 2013).",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.8], [50, 0.2],
                                                           [100, 0]]}),
    "flood_zone3_residents_pct": Criterion(
        name="flood_zone3_residents_pct", layer="flood",
        title="Residents in Flood Zone 3 (LSOA)", unit="% of residents", direction="min",
        description="Share of the LSOA's residents whose Output Area centroid lies in EA "
                    "Flood Map for Planning / NRW Flood Map Flood Zone 3 (British Red "
                    "Cross, 2020; mid-2019 populations). It measures where people live, "
                    "not land: an unpopulated flood plain scores 0.",
        sources=("flood_zone3_lsoa_ew", "lookup_lsoa_lad"),
        coverage="England and Wales: every LSOA ({lsoas_in_table:,} have residents in "
                 "Flood Zone 3; the others, absent from the table, count as 0). NaN in "
                 "Scotland: no SEPA equivalent is held.",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.7], [50, 0]]}),
}
