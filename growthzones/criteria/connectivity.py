"""The connectivity criteria of the registry, as data.

Built by :mod:`growthzones.layers.connectivity`, which takes them with
:func:`growthzones.criteria.theme_criteria`; :data:`CRITERIA` is assembled into
:data:`growthzones.criteria.REGISTRY` in theme order.
"""

from __future__ import annotations

from .criterion import Criterion

_IXP = ("ixp_buildings", "ixp_exchanges")

CRITERIA: dict[str, Criterion] = {
    "dist_ixp_km": Criterion(
        name="dist_ixp_km", layer="connectivity",
        title="Distance to nearest internet exchange", unit="km", direction="min",
        description="Straight-line distance to the nearest building hosting an internet "
                    "exchange point (TeleGeography's map).",
        sources=("ixp_buildings",),
        coverage="GB: complete for exchanges known in 2020 ({buildings} UK buildings, in "
                 "{metros}); newer facilities (Kao Data Harlow, IX Scotland, IXManchester) "
                 "are missing.",
        default_transform={"type": "decay", "half_distance": 60}),
    "dist_major_ixp_km": Criterion(
        name="dist_major_ixp_km", layer="connectivity",
        title="Distance to a major internet exchange", unit="km", direction="min",
        description="Straight-line distance to the nearest building hosting a major "
                    "exchange, one that spans at least 4 buildings in TeleGeography's map "
                    "(LINX London, Equinix London, LONAP, NL-ix, LINX Manchester, Equinix "
                    "Manchester): the size weighting the open data allow.",
        sources=_IXP,
        coverage="GB: every land cell (2020 exchange map).",
        default_transform={"type": "decay", "half_distance": 100}),
    "latency_london_ms": Criterion(
        name="latency_london_ms", layer="connectivity",
        title="Estimated round trip to London Docklands", unit="ms", direction="min",
        description="Round-trip time over fibre to Telehouse North, Docklands (LINX LON1): "
                    "2 x 1.5 (route factor) x straight-line km / 204.2 km per ms (light in "
                    "fibre, c/1.468). Equipment delay excluded, so a floor.",
        sources=_IXP,
        coverage="GB: every land cell.",
        default_transform={"type": "piecewise", "points": [[0, 1], [3, 0.8], [6, 0.5],
                                                           [10, 0.2], [15, 0]]}),
    "dist_cable_landing_km": Criterion(
        name="dist_cable_landing_km", layer="connectivity",
        title="Distance to an international cable landing", unit="km", direction="min",
        description="Straight-line distance to the nearest GB landing point of an "
                    "in-service submarine cable that reaches another country (Bude, "
                    "Lowestoft, Southport, Porthcurno, ...); domestic island links, Crown "
                    "Dependency links and offshore platforms left out.",
        sources=("cable_landings_uk", "submarine_cables_uk"),
        coverage="GB: every land cell; cables in service by late 2022 (newer North Sea and "
                 "Atlantic systems missing). Newcastle's landing is placed at the city.",
        default_transform={"type": "piecewise", "points": [[0, 1], [25, 0.7], [75, 0.3],
                                                           [150, 0]]}),
    "dist_motorway_km": Criterion(
        name="dist_motorway_km", layer="connectivity",
        title="Distance to a motorway", unit="km", direction="min",
        description="Straight-line distance to the nearest motorway or A(M) link in OS Open "
                    "Roads (2024), for construction traffic and plant deliveries.",
        sources=("motorways_gb",),
        coverage="GB, but the file keeps only the main connected network: the M2 (Kent), "
                 "most of the M90 (Fife-Perth) and the southern A1(M) are missing, so "
                 "distances there are overstated.",
        default_transform={"type": "piecewise", "points": [[0, 1], [5, 0.8], [15, 0.4],
                                                           [30, 0]]}),
    "dist_rail_km": Criterion(
        name="dist_rail_km", layer="connectivity",
        title="Distance to a railway", unit="km", direction="min",
        description="Straight-line distance to the nearest Network Rail line (centre-lines "
                    "joined from waymarks, 2024), for bulk deliveries during construction.",
        sources=("rail_lines_gb",),
        coverage="GB Network Rail lines: {km:,} km on {elrs:,} ELRs in this build, about "
                 "92 % of Network Rail's route length with 52 very short ELRs missing (per "
                 "the source's notes, SOURCES-connectivity.md); heritage lines and metros "
                 "excluded.",
        default_transform={"type": "piecewise", "points": [[0, 1], [2, 0.8], [10, 0.3],
                                                           [20, 0]]}),
    "gigabit_broadband_pct": Criterion(
        name="gigabit_broadband_pct", layer="connectivity",
        title="Gigabit-capable broadband in the council", unit="% of premises",
        direction="max",
        description="Share of premises able to get a gigabit-capable service in the cell's "
                    "local authority (Ofcom Connected Nations, January 2026, via ONS): a "
                    "proxy for local full-fibre reach.",
        sources=("ofcom_connectivity_la",),
        coverage="GB: every council (2023 successor authorities' values for the 17 "
                 "districts merged in 2023 and for Barnsley and Sheffield).",
        default_transform={"type": "linear"}),
}
