"""The water criteria of the registry, as data.

Built by :mod:`growthzones.layers.water`, which takes them with
:func:`growthzones.criteria.theme_criteria`; :data:`CRITERIA` is assembled into
:data:`growthzones.criteria.REGISTRY` in theme order.
"""

from __future__ import annotations

from .criterion import Criterion

CRITERIA: dict[str, Criterion] = {
    "dist_major_river_km": Criterion(
        name="dist_major_river_km", layer="water", title="Distance to a major river",
        unit="km", direction="min",
        description="Straight-line distance from the cell centre to the nearest major river "
                    "line (World Data Bank II segments from GSHHG 2.3.6 and Natural Earth "
                    "named rivers, estuary mouths kept): a proxy for raw cooling water. "
                    "Coarse lines (positions out by hundreds of metres).",
        sources=("rivers_gb",),
        coverage="GB: complete at small scale (1:1M-1:10M; {segments} WDB II segments and "
                 "{named} named rivers in this build); smaller rivers are missing, and "
                 "some important ones (e.g. Tyne, Tees, Clyde) are present only as unnamed "
                 "segments. Abstraction licences and flows are not in the data.",
        default_transform={"type": "piecewise", "points": [[0, 1], [2, 1], [10, 0.4], [25, 0]]}),
    "dist_large_wwtw_km": Criterion(
        name="dist_large_wwtw_km", layer="water",
        title="Distance to a large wastewater treatment works", unit="km", direction="min",
        description="Straight-line distance to the nearest active wastewater treatment works "
                    "of at least 100,000 population equivalent (capacity, else the load "
                    "entering; EEA UWWTD, latest report 2018): a source of treated effluent "
                    "for non-potable cooling.",
        sources=("uwwtd_works",),
        coverage="GB: every works reported under the UWWTD (England, Wales, Scotland; {works} "
                 "active works of 100,000 p.e. or more); reports end in 2018.",
        default_transform={"type": "piecewise", "points": [[0, 1], [5, 0.8], [15, 0.3], [30, 0]]}),
}
