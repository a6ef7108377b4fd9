"""The land criteria of the registry, as data.

Built by :mod:`growthzones.layers.land`, which takes them with
:func:`growthzones.criteria.theme_criteria`; :data:`CRITERIA` is assembled into
:data:`growthzones.criteria.REGISTRY` in theme order.
"""

from __future__ import annotations

from .criterion import Criterion

_NE = ("designations_ne_england",)
_NE_COVERAGE = ("North East England region only (the 12 councils of ONS region E12000001); "
                "NaN elsewhere. No polygons for other English regions, Wales or Scotland "
                "exist in the shared data (see gaps).")

CRITERIA: dict[str, Criterion] = {
    "national_parks": Criterion(
        name="national_parks", layer="land", title="National Parks", unit="flag",
        direction=None, kind="exclusion",
        description="Cell centre inside a National Park of GB (ONS, Dec 2021).",
        sources=("national_parks",),
        coverage="GB: complete (England, Wales, Scotland; {parks} National Parks)."),
    "aonb_wales": Criterion(
        name="aonb_wales", layer="land", title="AONB / National Landscape (Wales)",
        unit="flag", direction=None, kind="exclusion",
        description="Cell centre inside a Welsh Area of Outstanding Natural Beauty "
                    "(National Landscape), including the English part of the cross-border "
                    "Wye Valley AONB.",
        sources=("aonb_wales",),
        coverage="Wales ({aonbs} AONBs), plus the English part of the Wye Valley AONB; NaN "
                 "in the rest of England and in Scotland (England's other 33 AONBs and "
                 "Scotland's National Scenic Areas are gaps)."),
    "aonb_north_east_england": Criterion(
        name="aonb_north_east_england", layer="land",
        title="AONB / National Landscape (North East England)", unit="flag", direction=None,
        kind="exclusion",
        description="Cell centre inside the Northumberland Coast or North Pennines AONB "
                    "(Natural England via planning.data.gov.uk, 2024), North East region.",
        sources=_NE, coverage=_NE_COVERAGE),
    "sssi_north_east_england": Criterion(
        name="sssi_north_east_england", layer="land",
        title="SSSI (North East England)", unit="flag", direction=None, kind="exclusion",
        description="Cell centre inside a Site of Special Scientific Interest (Natural "
                    "England, 2024), North East region.",
        sources=_NE, coverage=_NE_COVERAGE),
    "natura2000_north_east_england": Criterion(
        name="natura2000_north_east_england", layer="land",
        title="SAC, SPA and Ramsar sites (North East England)", unit="flag", direction=None,
        kind="exclusion",
        description="Cell centre inside a Special Area of Conservation or Special Protection "
                    "Area (Natura 2000 / UK site network) or a Ramsar site, clipped at high "
                    "water (Natural England, 2024), North East region.",
        sources=_NE, coverage=_NE_COVERAGE),
    "ancient_woodland_north_east_england": Criterion(
        name="ancient_woodland_north_east_england", layer="land",
        title="Ancient woodland (North East England)", unit="flag", direction=None,
        kind="exclusion",
        description="Cell centre inside ancient woodland (Natural England inventory via "
                    "planning.data.gov.uk, 2024), North East region.",
        sources=_NE, coverage=_NE_COVERAGE),
    "built_up": Criterion(
        name="built_up", layer="land", title="Built-up land", unit="flag", direction=None,
        kind="exclusion",
        description="At least 50 % of the one-hectare squares in the ~1 km square around the "
                    "cell hold a postcode address (OS Code-Point Open 2025): fewer than 50 ha "
                    "are free of homes or businesses, so a 50 ha campus cannot fit.",
        sources=("codepoint_open",), coverage="GB: complete."),
    "built_up_share_pct": Criterion(
        name="built_up_share_pct", layer="land", title="Built-up share",
        unit="% of hectares with an address", direction="min",
        description="Share of the one-hectare squares (100 m cells) in the ~1 km square "
                    "around the cell that hold at least one postcode unit's point (OS "
                    "Code-Point Open 2025): a proxy for built-up land. At 1 km it is the "
                    "cell's own 100 hectares.",
        sources=("codepoint_open",), coverage="GB: complete.",
        default_transform={"type": "piecewise", "points": [[0, 1], [20, 1], [50, 0]]}),
    "brownfield_ha_5km": Criterion(
        name="brownfield_ha_5km", layer="land", title="Brownfield land within 5 km",
        unit="ha", direction="max",
        description="Total area of current brownfield register sites whose point lies within "
                    "5 km of the cell centre (English Brownfield Land Registers 2018-2020; "
                    "removed, unlocated, unmeasured, duplicated and mislocated rows dropped). "
                    "The registers are kept for housing, so land held for industry is "
                    "under-recorded.",
        sources=("brownfield_register_england",),
        coverage="England only; NaN in Wales and Scotland (no open registers). Cells near "
                 "the borders count English sites only.",
        default_transform={"type": "piecewise", "points": [[0, 0], [50, 0.5], [250, 1]]}),
    "largest_brownfield_site_ha_5km": Criterion(
        name="largest_brownfield_site_ha_5km", layer="land",
        title="Largest brownfield site within 5 km", unit="ha", direction="max",
        description="Area of the largest single current brownfield register site whose point "
                    "lies within 5 km of the cell centre (0 if none): whether one plot could "
                    "take a campus.",
        sources=("brownfield_register_england",),
        coverage="England only; NaN in Wales and Scotland.",
        default_transform={"type": "piecewise", "points": [[0, 0], [10, 0.3], [50, 1]]}),
    "campus_room_ha": Criterion(
        name="campus_room_ha", layer="land", title="Room for a campus", unit="ha",
        direction="max",
        description="Area of the largest disc of available land whose centre lies in the "
                    "cell, on a 100 m sub-grid, or the grid itself when finer (capped at "
                    "1,000 ha). Available: on land, not built-up (the 50 % rule over the "
                    "~1 km square around each hectare), "
                    "outside the National Parks, AONBs and North East designations held "
                    "here. Apply the campus size as a scenario constraint: "
                    "[constraints] campus_room_ha = { min = 50 }.",
        sources=("codepoint_open", "national_parks", "aonb_wales", "designations_ne_england",
                 "lsoa_ew", "datazones_scotland"),
        coverage="GB, measured against the protected areas held here; SSSIs, Natura 2000 "
                 "sites, Green Belt and flood zones outside North East England are not "
                 "subtracted (no polygons).",
        default_transform={"type": "threshold", "value": 50}),
    "sac_clearance_km": Criterion(
        name="sac_clearance_km", layer="land",
        title="Clearance from Special Areas of Conservation", unit="km", direction="max",
        description="Distance from the cell centre to the edge of the nearest SAC's "
                    "equivalent circle (centred on the JNCC site centroid, with the site's "
                    "land area: area x (1 - coastal/marine habitat share)); 0 inside a "
                    "circle, capped at 10 km. SAC boundaries are not in the shared data, so "
                    "this is a screening criterion for Habitats Regulations sensitivity, "
                    "not a mask.",
        sources=("sac_sites_jncc",),
        coverage="GB: all {sacs} terrestrial and coastal SACs of England, Wales and Scotland "
                 "(offshore sites dropped). Shapes are circles, so a long or irregular site "
                 "is misplaced; SPAs and Ramsar sites outside North East England are gaps.",
        default_transform={"type": "piecewise", "points": [[0, 0], [2, 1]]}),
}
