"""The register of industrial sites, and the former-industry and data-centre criteria.

One register (:func:`read_register`) holds every closed or operating industrial plant the
shared data knows, one row per site, with ``name``, ``kind``, ``capacity`` and
``capacity_unit`` (MW or t/yr, where published), ``status``, ``closure_year``, ``x``,
``y`` (EPSG:27700 m), ``position`` (how good the point is) and ``source``. Every layer
that needs closed or operating plant reads it: ``post_industrial`` (distance to a closed
power station, the former-industry criteria) and ``grid_capacity`` (retired capacity).
One reader per source:

- :func:`read_dukes_closures`: DUKES 5.11 closures since 2010 (peak minus present MW per
  station, :func:`~growthzones.layers.grid_capacity.retired.retired_capacity_by_station`),
  placed by ``closed_stations.csv`` (beside this module: which source places each
  station, with notes; plant-level sources first, the serving substation last);
- :func:`read_gem_coal`: GEM Global Coal Plant Tracker units (retirements back to 2000);
- :func:`read_gem_nuclear`: GEM Global Nuclear Power Tracker units (all retirements);
- :func:`read_gem_steel`: GEM Global Iron and Steel Tracker plants;
- :func:`read_hotmaps`: Hotmaps Industrial Database sites (EU ETS / E-PRTR, 2014);
- :func:`read_closed_airfields`: OurAirports closed airfields;
- :func:`read_osm_power_plants`: OpenStreetMap power plants (2026), for positions only;
- :func:`read_data_centres`: OpenStreetMap data-centre elements (2026), kept apart from
  the register (they are not former industry).

Deduplication (:func:`merge_register`): a DUKES station and its GEM plant are one site
(``gem_plant`` in the CSV): DUKES gives the MW retired since 2010 (it nets conversions:
Drax, Lynemouth), GEM adds only units retired before 2010 (Dungeness A, Hinkley Point A,
Hunterston A); GEM plants with no DUKES station become sites of their own when they
retired units before 2010 (Methil, Drakelow, High Marnham, Berkeley, Bradwell, ...).
Hotmaps rows without coordinates and in Northern Ireland are dropped; a point shared by
several ETS-only rows is an operator's registered address, not a works (four steelworks
at one Rotherham office), so those rows are dropped; rows of one kind within
:data:`DUPLICATE_KM` are one works (ETS and E-PRTR report the same site); Hotmaps
steelworks within :data:`STEEL_MATCH_KM` of a GEM steel plant are that plant. Every drop
is counted in :func:`register_summary`.

Coverage by kind: power stations closed since 2010 (DUKES, all fuels >= 100 MW, thermal),
coal stations closed 2000-2009 and nuclear stations closed at any date (GEM); steelworks
tracked by GEM in 2025; energy-intensive works reporting to the EU ETS or E-PRTR in 2014
(steel, aluminium and other non-ferrous smelters, refineries, chemicals, cement, glass,
paper, brick and lime; many have since closed, none carries a closure date); closed
airfields known to OurAirports (2022). **Not covered**: collieries, car plants,
shipyards, coal stations closed before 2000, gas and oil closures before 2010, and
coalfields (no open file holds them; see the catalogue's gaps).

Existing data centres: OpenStreetMap elements are buildings, not facilities: one campus is
several elements, so elements within :data:`CAMPUS_LINK_M` of each other (single
linkage) are grouped into one facility (:func:`group_facilities`); distance is to the
nearest element, the count within :data:`DATA_CENTRE_RADIUS_KM` counts facilities.
"""

from __future__ import annotations

from .on_grid import (  # noqa: F401 (the theme's public API)
    coverage_counts,
    data_centres_on_grid,
    former_industry_on_grid,
)
from .read import (  # noqa: F401 (the theme's public API)
    read_closed_airfields,
    read_closed_station_table,
    read_data_centres,
    read_dukes_closures,
    read_etys_points,
    read_gem_coal,
    read_gem_nuclear,
    read_gem_steel,
    read_hotmaps,
    read_osm_power_plants,
    read_register,
)
from .register import (  # noqa: F401 (the theme's public API)
    CAMPUS_LINK_M,
    CLOSED_STATIONS_CSV,
    DATA_CENTRE_LIFECYCLES,
    DATA_CENTRE_RADIUS_KM,
    DUPLICATE_KM,
    HOTMAPS_KINDS,
    POWER_KINDS,
    PREVIOUSLY_DEVELOPED_KM,
    REGISTER_COLUMNS,
    RETIRED_GENERATION_RADIUS_KM,
    STEEL_MATCH_KM,
    closed_power_stations,
    facility_centres,
    gem_plants,
    group_facilities,
    hotmaps_sites,
    merge_register,
    place_closures,
    power_kind,
    register_summary,
)
