"""The post_industrial criteria of the registry, as data.

Built by :mod:`growthzones.layers.post_industrial` (the register of industrial sites is :mod:`growthzones.layers.industry`), which takes them with
:func:`growthzones.criteria.theme_criteria`; :data:`CRITERIA` is assembled into
:data:`growthzones.criteria.REGISTRY` in theme order.
"""

from __future__ import annotations

from .criterion import Criterion

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

CRITERIA: dict[str, Criterion] = {
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
