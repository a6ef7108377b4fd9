"""The grid_capacity criteria of the registry, as data.

Built by :mod:`growthzones.layers.grid_capacity`, which takes them with
:func:`growthzones.criteria.theme_criteria`; :data:`CRITERIA` is assembled into
:data:`growthzones.criteria.REGISTRY` in theme order.
"""

from __future__ import annotations

from .criterion import Criterion

_PLACE = ("etys_2024", "fes2024_gsp", "nged_substations", "ukpn_sites", "etys_coords_pypsagb",
          "osm_hv_2017")
_PIECE_DIST_SUB = [[0, 1], [5, 0.8], [15, 0.4], [40, 0]]

CRITERIA: dict[str, Criterion] = {
    "dist_substation_132kv_km": Criterion(
        name="dist_substation_132kv_km", layer="grid_capacity",
        title="Distance to nearest 132 kV+ substation", unit="km", direction="min",
        description="Straight-line distance from the cell centre to the nearest substation "
                    "with a 132 kV or higher busbar: ETYS 2024 sites in the network year's "
                    "snapshot (default 2030: 2029/30; placed in the module's order of "
                    "trust), NGED Super Grid, Bulk Supply "
                    "Point and 132 kV switching stations, and UKPN 132 kV grid substations.",
        sources=_PLACE,
        coverage="GB. {placed} of the {sites} onshore ETYS sites in the 2030 network are placed; "
                 "the rest (new wind, storage and landing sites, mostly in Scotland) make "
                 "distances there overstated. DNO 132 kV sites only in NGED and UKPN areas; "
                 "elsewhere only transmission-owner 132 kV sites (all of Scotland's) count.",
        default_transform={"type": "piecewise", "points": _PIECE_DIST_SUB}),
    "dist_transmission_km": Criterion(
        name="dist_transmission_km", layer="grid_capacity",
        title="Distance to nearest 400/275 kV substation", unit="km", direction="min",
        description="Straight-line distance to the nearest ETYS 2024 site with a 400 or "
                    "275 kV busbar in the network year's snapshot (default 2030: 2029/30; "
                    "tee points and offshore platforms dropped), or an NGED Super Grid "
                    "substation.",
        sources=_PLACE,
        coverage="GB; {tx_placed} of the {tx_sites} onshore 400/275 kV sites in the 2030 network are "
                 "placed. Unplaced ones are mostly new wind, storage and offshore-wind "
                 "landing sites in Scotland and on the east coast.",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.6], [30, 0.2],
                                                           [60, 0]]}),
    "dist_transmission_line_km": Criterion(
        name="dist_transmission_line_km", layer="grid_capacity",
        title="Distance to nearest 400/275 kV line", unit="km", direction="min",
        description="Straight-line distance to the nearest 400 or 275 kV overhead line or "
                    "cable in OpenStreetMap (2016 state, SciGRID extraction; each link is "
                    "drawn straight between its end vertices).",
        sources=("osm_hv_links_2017",),
        coverage="GB up to lat {north_lat} (the northernmost 400/275 kV vertex OSM-2017 "
                 "maps in this build); lines built since 2016 (e.g. Beauly-Denny upgrades, "
                 "Western Link landfalls) are missing.",
        default_transform={"type": "piecewise", "points": [[0, 1], [3, 0.8], [10, 0.4],
                                                           [25, 0]]}),
    "transmission_node_mva": Criterion(
        name="transmission_node_mva", layer="grid_capacity",
        title="Circuit capacity into the nearest transmission node", unit="MVA",
        direction="max",
        description="Sum of winter ratings of the 400/275 kV circuits that join the cell's "
                    "nearest placed 400/275 kV site to other sites, in the network year's "
                    "snapshot (ETYS 2024 B-2-1 with the B-2-2 changes, OFTO landings and "
                    "B-5-1 HVDC links to it; default 2030: 2029/30; 9999 MVA coupler "
                    "placeholders dropped): how strong the node is.",
        sources=_PLACE,
        coverage="GB: every land cell takes its nearest placed transmission node.",
        default_transform={"type": "piecewise", "points": [[0, 0], [2000, 0.4], [6000, 0.8],
                                                           [12000, 1]]}),
    "transformer_mva": Criterion(
        name="transformer_mva", layer="grid_capacity",
        title="Supergrid transformer capacity at the nearest transmission node", unit="MVA",
        direction="max",
        description="Sum of ratings of the transformers from 400/275 kV down to 132 kV or "
                    "below at the cell's nearest placed transmission node (ETYS 2024 B-3-1 "
                    "with B-3-2 changes to the network year's snapshot; default 2030: "
                    "2029/30): what a 132 kV connection could draw.",
        sources=_PLACE,
        coverage="GB: every land cell takes its nearest placed transmission node; nodes "
                 "without step-down transformers (switching stations, generator sites) "
                 "have 0 MVA.",
        default_transform={"type": "piecewise", "points": [[0, 0], [500, 0.5], [1500, 0.9],
                                                           [3000, 1]]}),
    "retired_capacity_mw": Criterion(
        name="retired_capacity_mw", layer="grid_capacity",
        title="Retired power-station capacity within 5 km", unit="MW", direction="max",
        description="Largest generating capacity retired since 2010 (coal, oil, gas, "
                    "nuclear; >= 100 MW) at a power station within 5 km of the cell, from "
                    "the DUKES 5.11 changes table (peak minus present capacity per station, "
                    "so conversions and re-use are netted), placed by the industrial "
                    "register (the same stations, MW and points as "
                    "dist_closed_power_station_km).",
        sources=("dukes_5_11", "gem_coal_units", "gem_nuclear_units", "osm_power_plants_2026",
                 "fes2024_gsp", "etys_coords_pypsagb"),
        coverage="GB closures since 2010 in DUKES; 0 (not NaN) where no retired station is "
                 "within 5 km. Closures before 2010 are not counted here "
                 "(retired_generation_mw_10km counts them); gas closures that no source "
                 "places are missing: this build placed {placed} of {stations} GB stations; "
                 "not located: {unplaced}.",
        default_transform={"type": "piecewise", "points": [[0, 0], [500, 0.6], [1000, 0.85],
                                                           [2000, 1]]}),
    "tec_queue_mw": Criterion(
        name="tec_queue_mw", layer="grid_capacity",
        title="Transmission queue within 20 km", unit="MW", direction="min",
        description="MW of NESO's TEC register (2 Sep 2025) still queued in the network "
                    "year (not connected by 31 March after its snapshot's first year; a "
                    "project contracted for later holds its place until its date) at "
                    "connection sites within 20 km of the cell: one figure per Project ID "
                    "(cumulative MW of its stages not yet due, minus MW connected), placed by "
                    "matching the connection-site name to a placed ETYS site or a named "
                    "NGED/UKPN/OSM substation.",
        sources=("tec_register_2025",) + _PLACE,
        coverage="GB, for projects whose connection site can be placed: {placed_pct} % of "
                 "the {queued_gw:,} GW queued in the 2030 network. {node_pct} % is at new "
                 "'Connection Node' substations and {offshore_pct} % at offshore platforms "
                 "with no location yet, the rest at new or unplaced ETYS sites ({examples}, "
                 "...). 0 where no placed queue is within "
                 "20 km, so the criterion understates queues near new substations. Later "
                 "network years count only this register: applications made after "
                 "September 2025 are unknown, so later years' queues are lower bounds.",
        default_transform={"type": "piecewise", "points": [[0, 1], [2000, 0.7], [8000, 0.3],
                                                           [20000, 0]]}),
    "dno_queue_mw": Criterion(
        name="dno_queue_mw", layer="grid_capacity",
        title="NGED connection queue at the nearest Grid Supply Point", unit="MW",
        direction="min",
        description="Demand plus generation MW in NGED's connection-application queue "
                    "(May 2025; offers accepted or not yet accepted, budget estimates left "
                    "out) under the cell's nearest NGED Grid Supply Point.",
        sources=("nged_queue_2025",) + _PLACE,
        coverage="NGED's licence areas only (East and West Midlands, South West, South "
                 "Wales): cells within 6 km of an NGED substation and nearer to it than to "
                 "any UKPN site. NaN elsewhere: other DNOs publish no queue here.",
        default_transform={"type": "piecewise", "points": [[0, 1], [1000, 0.6],
                                                           [3000, 0.2], [6000, 0]]}),
    "distribution_headroom_mva": Criterion(
        name="distribution_headroom_mva", layer="grid_capacity",
        title="UKPN grid-substation demand headroom within 15 km", unit="MVA",
        direction="max",
        description="Largest firm demand headroom among UKPN 132 kV grid substations within "
                    "15 km: firm (N-1) capacity, the sum of transformer winter ratings less "
                    "the largest, minus winter maximum demand (April 2023).",
        sources=("ukpn_sites", "nged_substations"),
        coverage="UK Power Networks' areas only (East, London, South East): cells within "
                 "6 km of a UKPN site and nearer to it than to any NGED site. NaN elsewhere "
                 "and where no rated grid substation is within 15 km (ratings are missing "
                 "for most 132 kV-only records).",
        default_transform={"type": "piecewise", "points": [[0, 0], [30, 0.5], [80, 1]]}),
    "boundaries_to_london": Criterion(
        name="boundaries_to_london", layer="grid_capacity",
        title="ETYS boundaries between the cell and London", unit="count", direction="max",
        description="Number of NESO ETYS boundaries (Mar 2025) that the straight line from "
                    "the cell to central London crosses (odd number of crossings). Power "
                    "flows towards the London and South East demand centre; demand placed "
                    "behind more boundaries relieves more of them (B4-B9 north of the "
                    "Midlands, EC5 in East Anglia, SW1, NW1-4 in North Wales).",
        sources=("etys_boundaries_2025",),
        coverage="GB: every land cell.",
        default_transform={"type": "linear"}),
    "dno_demand_headroom_mva": Criterion(
        name="dno_demand_headroom_mva", layer="grid_capacity",
        title="DNO demand headroom at the nearest substation", unit="MVA",
        direction="max",
        description="Demand headroom published by the cell's distribution operator (licence "
                    "area from NESO's polygons) for the nearest substation of the highest "
                    "level at which that operator publishes a figure; NaN beyond the level's "
                    "reach (GSP 30 km, BSP 15 km, primary 10 km). Measure and level by "
                    "area: UKPN (East, London, South East) 132 kV grid substations, firm "
                    "N-1 capacity less winter maximum demand (2023); SSEN SEPD BSP and "
                    "SHEPD primary estimated demand headroom (2025/26; SSEN gives no GSP "
                    "figure, SHEPD no BSP); Northern Powergrid (North East, Yorkshire) GSP "
                    "demand headroom; ENWL GSP firm demand headroom (May 2026, published in "
                    "MW, taken as MVA; negative where over-committed); SP Distribution the "
                    "best primary's 2024 available capacity in each grid group, placed at "
                    "the group's ETYS site by name.",
        sources=("dno_licence_areas", "ssen_headroom", "npg_heatmap", "enwl_gsp_headroom",
                 "spen_spd_utilisation") + _PLACE,  # _PLACE holds ukpn_sites
        coverage="UKPN, SSEN, Northern Powergrid, ENWL and SP Distribution areas, within "
                 "each level's reach. NaN in NGED's four areas (East and West Midlands, "
                 "South Wales, South West) and SP Manweb: they publish GSP technical limits "
                 "(gsp_import_limit_mw), not headroom, here.",
        default_transform={"type": "piecewise", "points": [[0, 0], [30, 0.5], [80, 1]]}),
    "gsp_import_limit_mw": Criterion(
        name="gsp_import_limit_mw", layer="grid_capacity",
        title="GSP technical import limit (winter), NGED and SP Manweb", unit="MW",
        direction="max",
        description="Winter import (demand) technical limit agreed with NESO for the "
                    "nearest Grid Supply Point, within 30 km: NGED's binding (smallest) "
                    "supergrid-transformer limit per GSP group, placed by the ETYS site "
                    "code in its bus names, and SP Manweb's GSP limits, placed by name. A "
                    "limit on the transmission interface, not headroom: it is an upper "
                    "bound on the demand the GSP can take, before existing load.",
        sources=("dno_licence_areas", "nged_gsp_limits", "spen_spm_limits") + _PLACE,
        coverage="NGED (East and West Midlands, South Wales, South West) and SP Manweb "
                 "(Merseyside, Cheshire, North Wales) areas only; NaN elsewhere.",
        default_transform={"type": "piecewise", "points": [[0, 0], [200, 0.5], [500, 1]]}),
}
