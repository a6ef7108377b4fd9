"""The designations criteria of the registry, as data.

Built by :mod:`growthzones.layers.designations`, which takes them with
:func:`growthzones.criteria.theme_criteria`; :data:`CRITERIA` is assembled into
:data:`growthzones.criteria.REGISTRY` in theme order.
"""

from __future__ import annotations

from .criterion import Criterion

_OFFICIAL = ("Built only when the official file is in its folder under the source folder "
             "(see the catalogue); absent from the store otherwise: not assessed. ")


def _official(name, title, description, source, coverage):
    return Criterion(name=name, layer="designations", title=title, unit="flag",
                     direction=None, kind="exclusion", description=description,
                     sources=(source,), coverage=_OFFICIAL + coverage)


CRITERIA: dict[str, Criterion] = {
    "national_landscapes_england": _official(
        "national_landscapes_england", "National Landscapes / AONB (England)",
        "Cell centre inside one of England's National Landscapes (Areas of Outstanding "
        "Natural Beauty), Natural England's official polygons.",
        "ne_national_landscapes", "England; NaN in Wales and Scotland."),
    "sssi_england": _official(
        "sssi_england", "SSSI (England)",
        "Cell centre inside a Site of Special Scientific Interest, Natural England's "
        "official polygons.", "ne_sssi", "England; NaN in Wales and Scotland."),
    "spa_england": _official(
        "spa_england", "Special Protection Areas (England)",
        "Cell centre inside a Special Protection Area, Natural England's official "
        "polygons.", "ne_spa", "England; NaN in Wales and Scotland."),
    "ramsar_england": _official(
        "ramsar_england", "Ramsar sites (England)",
        "Cell centre inside a Ramsar wetland, Natural England's official polygons.",
        "ne_ramsar", "England; NaN in Wales and Scotland."),
    "green_belt_england": _official(
        "green_belt_england", "Green Belt (England)",
        "Cell centre inside Green Belt land (planning.data.gov.uk green-belt dataset, "
        "entries without an end date).", "green_belt_planning_data",
        "England; NaN in Wales and Scotland."),
    "flood_zone3_england": _official(
        "flood_zone3_england", "Flood Zone 3 (EA, England)",
        "Cell centre inside Flood Zone 3 of the Environment Agency's Flood Map for "
        "Planning (Rivers and Sea), rows with flood_zone = FZ3.", "ea_flood_zones",
        "England; NaN in Wales and Scotland."),
    "flood_zone3_wales": _official(
        "flood_zone3_wales", "Flood Zone 3 (NRW, Wales)",
        "Cell centre inside a polygon of Natural Resources Wales's Flood Zone 3 layer "
        "(Flood Map for Planning, rivers and sea; NRW issues one layer per zone, so every "
        "polygon counts).", "nrw_flood_zone3", "Wales; NaN in England and Scotland."),
    "flood_medium_likelihood_scotland": _official(
        "flood_medium_likelihood_scotland", "Flood extent, medium likelihood (SEPA)",
        "Cell centre inside SEPA's medium-likelihood (1 in 200 year) flood extent, the "
        "planning benchmark in Scotland (SEPA issues one layer per likelihood and source; "
        "every polygon of the file counts).", "sepa_flood_medium",
        "Scotland; NaN in England and Wales."),
    "sssi_share_council_scotland_pct": Criterion(
        name="sssi_share_council_scotland_pct", layer="designations",
        title="SSSI share of the council's land (Scotland)", unit="% of council land",
        direction="min",
        description="Published area of the SSSIs that NatureScot's SiteLink list gives to "
                    "the cell's council, over the council's land area (its small areas' "
                    "polygons; capped at 100 %). The list has no shapes: this is "
                    "council-wide context for how constrained land is, never a mask, and it "
                    "says nothing about the cell itself.",
        sources=("naturescot_sitelink", "lookup_dz_council"),
        coverage="Scotland: every council with land on this store's grid ({councils}; a "
                 "site spanning several councils is counted in the one the list names). "
                 "NaN in England and Wales.",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.7], [30, 0]]}),
}
