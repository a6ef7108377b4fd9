"""The criteria registry: every layer of the store, what it means, and how it is scored.

:data:`REGISTRY` maps each criterion name to its :class:`Criterion` (title, unit,
direction, description, sources, coverage, default transform). The scenario loader, the
``growthzones criteria`` command, the store builder and the docs all read it, so there is
one list of valid names.

This module holds only the specs, as data: it imports no layer build code (no pandas,
scipy or raster libraries), so ``from growthzones.criteria import REGISTRY`` is cheap.
Each build module in :mod:`growthzones.layers` takes its own specs from here with
:func:`theme_criteria`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["max", "min"]

#: Theme modules of :mod:`growthzones.layers`, in registry order.
THEMES = ("grid_capacity", "land", "post_industrial", "water", "connectivity",
          "flood", "designations")


@dataclass(frozen=True)
class Criterion:
    """What one layer raster means.

    Parameters
    ----------
    name
        Identifier used in scenarios; says the thing and its unit.
    layer
        Theme module: ``grid_capacity``, ``land``, ``post_industrial``, ``water``, ``connectivity``.
    title
        Short human label for maps and tables.
    unit
        Unit of the raw values (``km``, ``%``, ``MW``; ``flag`` for exclusions).
    direction
        ``max`` if more is better, ``min`` if less is better; None for exclusions.
    description
        How it is computed, in one or two sentences.
    sources
        Catalogue ids it is built from.
    coverage
        Where the data exists; cells outside it are NaN, never a silent 0. Figures that
        come from the data are ``{field}`` placeholders, filled from the counts the build
        records in the store's manifest (:meth:`coverage_text`), so they cannot go stale.
    kind
        ``criterion`` (scored) or ``exclusion`` (boolean mask: 1 excluded, 0 not, NaN unknown).
    default_transform
        Transform used when a scenario does not name one, with its parameters.
    """

    name: str
    layer: str
    title: str
    unit: str
    direction: Direction | None
    description: str
    sources: tuple[str, ...]
    coverage: str
    kind: Literal["criterion", "exclusion"] = "criterion"
    default_transform: dict = field(default_factory=lambda: {"type": "linear"})

    def coverage_text(self, counts: dict | None = None) -> str:
        """The coverage text with a build's figures in place of its ``{field}`` placeholders.

        ``counts`` is the layer's ``counts`` entry of a store manifest; a figure it lacks
        (no store, or a store built before the figure existed) reads ``…``.

        >>> c = Criterion("x", "land", "X", "km", "min", "", (), "{placed} of {sites:,} placed.")
        >>> c.coverage_text({"placed": 3, "sites": 4000}), c.coverage_text()
        ('3 of 4,000 placed.', '… of … placed.')
        """
        return self.coverage.format_map(_Figures(counts or {}))

    def to_dict(self) -> dict:
        return {"name": self.name, "layer": self.layer, "title": self.title, "unit": self.unit,
                "direction": self.direction, "description": self.description,
                "sources": list(self.sources), "coverage": self.coverage, "kind": self.kind,
                "default_transform": dict(self.default_transform)}


class _Figures(dict):
    """Build figures for :meth:`Criterion.coverage_text`; a missing one reads ``…``."""

    def __missing__(self, key: str) -> str:
        return _Missing("…")


class _Missing(str):
    """A missing figure: shown as it is, whatever the field's format (``{n:,}``)."""

    def __format__(self, spec: str) -> str:
        return str(self)


# --------------------------------------------------------------------------- grid_capacity

#: The default network year of the grid criteria (a scenario's ``network_year``): the
#: programme's firm-power date, in force as ETYS 2024's 2029/30 snapshot. The grid criteria
#: that depend on it are listed in ``layers.grid_capacity.NETWORK_YEAR_CRITERIA``.
NETWORK_YEAR = 2030

_PLACE = ("etys_2024", "fes2024_gsp", "nged_substations", "ukpn_sites", "etys_coords_pypsagb",
          "osm_hv_2017")
_PIECE_DIST_SUB = [[0, 1], [5, 0.8], [15, 0.4], [40, 0]]

_GRID_CAPACITY = {
    "dist_substation_132kv_km": Criterion(
        name="dist_substation_132kv_km", layer="grid_capacity",
        title="Distance to nearest 132 kV+ substation", unit="km", direction="min",
        description="Straight-line distance from the cell centre to the nearest substation "
                    "with a 132 kV or higher busbar: ETYS 2024 sites in the network year's "
                    "snapshot (default 2030: 2029/30; placed in the module's order of "
                    "trust), NGED Super Grid, Bulk Supply "
                    "Point and 132 kV switching stations, and UKPN 132 kV grid substations.",
        sources=_PLACE,
        coverage="GB. 546 of the 740 onshore ETYS sites in the 2030 network are placed; "
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
        coverage="GB; 334 of the 420 onshore 400/275 kV sites in the 2030 network are "
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
        coverage="GB except the far north: OSM-2017 maps the 400/275 kV network south of "
                 "about Inverness (lat 58.6); lines built since 2016 (e.g. Beauly-Denny "
                 "upgrades, Western Link landfalls) are missing.",
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
        coverage="GB, for projects whose connection site can be placed: 55 % of the "
                 "625 GW queued. A fifth is at new 'Connection Node' substations or offshore "
                 "platforms with no location yet, the rest at new or unplaced ETYS sites "
                 "(Navenby, Branxton, New Deer 2, ...). 0 where no placed queue is within "
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


# --------------------------------------------------------------------------- land

_NE = ("designations_ne_england",)
_NE_COVERAGE = ("North East England region only (the 12 councils of ONS region E12000001); "
                "NaN elsewhere. No polygons for other English regions, Wales or Scotland "
                "exist in the shared data (see gaps).")

_LAND = {
    "national_parks": Criterion(
        name="national_parks", layer="land", title="National Parks", unit="flag",
        direction=None, kind="exclusion",
        description="Cell centre inside one of the 15 National Parks of GB (ONS, Dec 2021).",
        sources=("national_parks",), coverage="GB: complete (England, Wales, Scotland)."),
    "aonb_wales": Criterion(
        name="aonb_wales", layer="land", title="AONB / National Landscape (Wales)",
        unit="flag", direction=None, kind="exclusion",
        description="Cell centre inside one of the 5 Welsh Areas of Outstanding Natural "
                    "Beauty (National Landscapes), including the English part of the "
                    "cross-border Wye Valley AONB.",
        sources=("aonb_wales",),
        coverage="Wales, plus the English part of the Wye Valley AONB; NaN in the rest of "
                 "England and in Scotland (England's other 33 AONBs and Scotland's National "
                 "Scenic Areas are gaps)."),
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
                    "cell, on a 100 m sub-grid (capped at 1,000 ha). Available: on land, not "
                    "built-up (the 50 % rule over the ~1 km square around each hectare), "
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
        coverage="GB: all 576 terrestrial and coastal SACs of England, Wales and Scotland "
                 "(offshore sites dropped). Shapes are circles, so a long or irregular site "
                 "is misplaced; SPAs and Ramsar sites outside North East England are gaps.",
        default_transform={"type": "piecewise", "points": [[0, 0], [2, 1]]}),
}


# --------------------------------------------------------------------------- post_industrial

_IMD = ("uk_composite_imd",)
_IMD_COVERAGE = ("GB: every LSOA and Data Zone (England IoD2019, Wales WIMD2019, Scotland "
                 "SIMD2020v2); {unmatched:,} of the {codes:,} GB codes are unmatched.")
#: The closed-station sources of the register (growthzones.layers.industry).
_STATIONS = ("dukes_5_11", "gem_coal_units", "gem_nuclear_units", "osm_power_plants_2026",
             "fes2024_gsp", "etys_coords_pypsagb")
_REGISTER = _STATIONS + ("gem_steel_plants", "hotmaps_industrial_sites")
_REGISTER_COVERAGE = (
    "GB. Covered: power stations closed since 2010 (DUKES, thermal, >= 100 MW retired), "
    "coal stations closed 2000-2009 and nuclear stations closed at any date (GEM); "
    "steelworks GEM tracks (2025); energy-intensive works reporting to the EU ETS or "
    "E-PRTR in 2014 (Hotmaps: steel, aluminium and other smelters, refineries, "
    "chemicals, cement, glass, paper, brick and lime; many since closed, no closure "
    "dates; operator-office points dropped). Not covered: collieries, car plants, "
    "shipyards, coal stations closed before 2000, gas and oil closures before 2010, "
    "coalfields (gaps). This build placed, by kind: {placed_by_kind}. Hotmaps rows "
    "dropped: {hotmaps_dropped}.")

_POST_INDUSTRIAL = {
    "employment_deprivation_pct": Criterion(
        name="employment_deprivation_pct", layer="post_industrial",
        title="Employment deprivation", unit="% of working-age people", direction="max",
        description="Share of working-age people involuntarily out of work in the cell's "
                    "LSOA (England, Wales) or Data Zone (Scotland), from the composite UK "
                    "IMD's employment score: a signal of labour slack left by lost industry.",
        sources=_IMD, coverage=_IMD_COVERAGE),
    "income_deprivation_pct": Criterion(
        name="income_deprivation_pct", layer="post_industrial", title="Income deprivation",
        unit="% of people", direction="max",
        description="Share of people in income deprivation in the cell's LSOA or Data Zone "
                    "(composite UK IMD income score).",
        sources=_IMD, coverage=_IMD_COVERAGE),
    "uk_imd_score": Criterion(
        name="uk_imd_score", layer="post_industrial",
        title="Deprivation (composite UK IMD score)", unit="score", direction="max",
        description="mySociety's composite UK index of multiple deprivation score of the "
                    "cell's small area, anchored to England's IMD 2019 so the three nations "
                    "compare; higher is more deprived.",
        sources=_IMD, coverage=_IMD_COVERAGE),
    "uk_imd_decile": Criterion(
        name="uk_imd_decile", layer="post_industrial",
        title="Deprivation decile (composite UK IMD)", unit="decile (1 = most deprived)",
        direction="min",
        description="UK population-weighted decile of the composite UK IMD of the cell's "
                    "small area: 1 is the most deprived tenth of the UK population "
                    "(deciles computed by mySociety over the UK, Northern Ireland included).",
        sources=_IMD, coverage=_IMD_COVERAGE,
        default_transform={"type": "piecewise", "points": [[1, 1], [10, 0]]}),
    "employment_deprivation_10km_pct": Criterion(
        name="employment_deprivation_10km_pct", layer="post_industrial",
        title="Employment deprivation within 10 km", unit="% of working-age people",
        direction="max",
        description="Mean employment deprivation (composite UK IMD) of the LSOAs and Data "
                    "Zones whose centroid lies within 10 km of the cell: the labour slack of "
                    "the place and its commuting neighbourhood, not of one small area. Each "
                    "small area counts once (they hold similar populations).",
        sources=_IMD + ("lsoa_ew", "datazones_scotland"),
        coverage="GB: complete. Where no centroid lies within 10 km ({own_area_pct} % of GB "
                 "land: remote uplands and islands) the cell's own small area is used."),
    "dist_closed_power_station_km": Criterion(
        name="dist_closed_power_station_km", layer="post_industrial",
        title="Distance to a closed power station", unit="km", direction="min",
        description="Straight-line distance to the nearest GB power station that retired at "
                    "least 200 MW of generation since 2010 (DUKES 5.11 closures, peak minus "
                    "present capacity per station, e.g. Longannet, Cockenzie, Ferrybridge C, "
                    "Fiddler's Ferry, Cottam, Aberthaw B, Ratcliffe), placed by the industrial "
                    "register (GEM plant points first, then DUKES, OSM 2026, and the ETYS "
                    "substation that served it last).",
        sources=_STATIONS,
        coverage="GB closures since 2010; stations no source places are left out (this "
                 "build placed {placed} of {stations} GB stations; not located: {unplaced}); "
                 "closures before 2010 count in dist_former_industry_km and "
                 "retired_generation_mw_10km.",
        default_transform={"type": "decay", "half_distance": 10}),
    "post_industrial": Criterion(
        name="post_industrial", layer="post_industrial", title="Post-industrial status",
        unit="index 0-1", direction="max",
        description="0.5 x employment deprivation within 10 km (8 % -> 0, 20 % -> 1) + 0.5 x "
                    "2^(-d / 10 km) with d the distance to a power station closed since "
                    "2010: high only where a place is both deprived and a former "
                    "industrial site.",
        sources=_IMD + ("lsoa_ew", "datazones_scotland") + _STATIONS,
        coverage="GB: complete. Its station term counts power stations closed since 2010 "
                 "only; other former industry is scored by dist_former_industry_km, "
                 "retired_generation_mw_10km and previously_developed. Coalfields, "
                 "collieries and priority-place lists are not in the shared data (gaps)."),
    "dist_former_industry_km": Criterion(
        name="dist_former_industry_km", layer="post_industrial",
        title="Distance to a former heavy-industry site", unit="km", direction="min",
        description="Straight-line distance to the nearest placed site of the industrial "
                    "register other than airfields: closed power stations (since 2000 for "
                    "coal, any date for nuclear), steelworks, and the smelters, refineries, "
                    "chemical, cement, glass, paper and brick works of 2014 (Hotmaps).",
        sources=_REGISTER, coverage=_REGISTER_COVERAGE,
        default_transform={"type": "decay", "half_distance": 5}),
    "retired_generation_mw_10km": Criterion(
        name="retired_generation_mw_10km", layer="post_industrial",
        title="Retired generating capacity within 10 km", unit="MW", direction="max",
        description="Sum of the generating capacity retired at the register's power stations "
                    "within 10 km: DUKES closures since 2010 (peak minus present MW) plus "
                    "GEM units retired before 2010 (coal since 2000, e.g. Methil, Drakelow C, "
                    "High Marnham; nuclear at any date, e.g. Berkeley, Hunterston A, "
                    "Bradwell): the connections and cooling water such sites once had.",
        sources=_STATIONS,
        coverage="GB; 0 (not NaN) where no placed retired station is within 10 km. Coal "
                 "stations closed before 2000 and gas and oil closures before 2010 are not "
                 "in the data. This build placed {placed} of {stations} retired stations.",
        default_transform={"type": "piecewise", "points": [[0, 0], [500, 0.5], [2000, 1]]}),
    "previously_developed": Criterion(
        name="previously_developed", layer="post_industrial",
        title="On or next to a former industrial site", unit="flag", direction="max",
        description="1 where a placed site of the industrial register (any kind, closed "
                    "airfields included) lies within 1 km of the cell centre, else 0: a "
                    "screen for previously developed land, from points (site footprints "
                    "are not in the data).",
        sources=_REGISTER + ("ourairports_closed",),
        coverage=_REGISTER_COVERAGE + " Closed airfields: those OurAirports lists (2022).",
        default_transform={"type": "linear"}),
    "dist_data_centre_km": Criterion(
        name="dist_data_centre_km", layer="post_industrial",
        title="Distance to an existing data centre", unit="km", direction="min",
        description="Straight-line distance to the nearest OpenStreetMap element tagged as a "
                    "data centre (operating or under construction; proposals left out), "
                    "August 2026: the existing data-centre base.",
        sources=("osm_data_centres",),
        coverage="GB where mappers tagged data centres (uneven: hyperscale campuses under "
                 "construction are often untagged; city-centre carrier buildings in Leeds, "
                 "Liverpool and Cardiff are missing). No capacity data. This build: {elements} GB "
                 "elements grouped into {facilities} facilities.",
        default_transform={"type": "decay", "half_distance": 30}),
    "data_centres_20km": Criterion(
        name="data_centres_20km", layer="post_industrial",
        title="Data-centre facilities within 20 km", unit="count", direction="max",
        description="Number of data-centre facilities whose centre lies within 20 km: "
                    "OpenStreetMap elements (operating or under construction) grouped into "
                    "one facility when within 300 m of each other (single linkage), since "
                    "one campus is several building elements.",
        sources=("osm_data_centres",),
        coverage="GB, as dist_data_centre_km; 0 (not NaN) where none is within 20 km. This "
                 "build: {elements} GB elements grouped into {facilities} facilities.",
        default_transform={"type": "piecewise", "points": [[0, 0], [3, 0.5], [15, 1]]}),
}


# --------------------------------------------------------------------------- water

_WATER = {
    "dist_major_river_km": Criterion(
        name="dist_major_river_km", layer="water", title="Distance to a major river",
        unit="km", direction="min",
        description="Straight-line distance from the cell centre to the nearest major river "
                    "line (131 World Data Bank II segments from GSHHG 2.3.6 and 13 Natural "
                    "Earth named rivers, estuary mouths kept): a proxy for raw cooling water. "
                    "Coarse lines (positions out by hundreds of metres).",
        sources=("rivers_gb",),
        coverage="GB: complete at small scale (1:1M-1:10M); smaller rivers are missing, and "
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
        coverage="GB: every works reported under the UWWTD (England, Wales, Scotland; 173 "
                 "active works of 100,000 p.e. or more); reports end in 2018.",
        default_transform={"type": "piecewise", "points": [[0, 1], [5, 0.8], [15, 0.3], [30, 0]]}),
}


# --------------------------------------------------------------------------- connectivity

_IXP = ("ixp_buildings", "ixp_exchanges")

_CONNECTIVITY = {
    "dist_ixp_km": Criterion(
        name="dist_ixp_km", layer="connectivity",
        title="Distance to nearest internet exchange", unit="km", direction="min",
        description="Straight-line distance to the nearest building hosting an internet "
                    "exchange point (29 UK buildings: London, Slough, Manchester, Leeds, "
                    "Liverpool, Cardiff, Edinburgh, Glasgow).",
        sources=("ixp_buildings",),
        coverage="GB: complete for exchanges known in 2020; newer facilities (Kao Data "
                 "Harlow, IX Scotland, IXManchester) are missing.",
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
        coverage="GB Network Rail lines (about 92 % of route length; 52 very short ELRs "
                 "missing); heritage lines and metros excluded.",
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


# --------------------------------------------------------------------------- flood

_FLOOD_PROXY = ("Terrain proxy, not a flood zone: it ignores defences, tide levels and "
                "rainfall, and the official EA / NRW / SEPA zones are not held here.")

_FLOOD = {
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
        coverage="England and Wales: every LSOA (absent from the table = 0). NaN in "
                 "Scotland: no SEPA equivalent is held.",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.7], [50, 0]]}),
}


# --------------------------------------------------------------------------- designations

_OFFICIAL = ("Built only when the official file is in its folder under the source folder "
             "(see the catalogue); absent from the store otherwise: not assessed. ")


def _official(name, title, description, source, coverage):
    return Criterion(name=name, layer="designations", title=title, unit="flag",
                     direction=None, kind="exclusion", description=description,
                     sources=(source,), coverage=_OFFICIAL + coverage)


_DESIGNATIONS: dict[str, Criterion] = {
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
                    "the cell's council, over the council's land on the grid (capped at "
                    "100 %). The list has no shapes: this is council-wide context for how "
                    "constrained land is, never a mask, and it says nothing about the cell "
                    "itself.",
        sources=("naturescot_sitelink", "lookup_dz_council"),
        coverage="Scotland: all 32 councils (a site spanning several councils is counted "
                 "in the one the list names). NaN in England and Wales.",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.7], [30, 0]]}),
}


# --------------------------------------------------------------------------- registry

_BY_THEME: dict[str, dict[str, Criterion]] = {
    "grid_capacity": _GRID_CAPACITY, "land": _LAND, "post_industrial": _POST_INDUSTRIAL,
    "water": _WATER, "connectivity": _CONNECTIVITY,
    "flood": _FLOOD, "designations": _DESIGNATIONS}


def _collect() -> dict[str, Criterion]:
    registry: dict[str, Criterion] = {}
    for theme in THEMES:
        for name, crit in _BY_THEME[theme].items():
            if name != crit.name or name in registry or crit.layer != theme:
                raise ValueError(f"criterion {name!r} of theme {theme!r} is misdeclared: "
                                 "its key must equal its name and its layer its theme, "
                                 "and no name may repeat")
            registry[name] = crit
    return registry


#: Every criterion and exclusion, by name, in theme order (:data:`THEMES`).
REGISTRY: dict[str, Criterion] = _collect()


def theme_criteria(theme: str) -> dict[str, Criterion]:
    """The criteria one theme module provides, by name, in registry order.

    >>> list(theme_criteria("water"))
    ['dist_major_river_km', 'dist_large_wwtw_km']
    """
    if theme not in _BY_THEME:
        raise KeyError(f"unknown theme {theme!r}; the themes are {', '.join(THEMES)}")
    return dict(_BY_THEME[theme])
