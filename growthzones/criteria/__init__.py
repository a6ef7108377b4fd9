"""The criteria registry: every layer of the store, what it means, and how it is scored.

:data:`REGISTRY` maps each criterion name to its :class:`Criterion` (title, unit,
direction, description, sources, coverage, default transform). The scenario loader, the
``growthzones criteria`` command, the store builder and the docs all read it, so there is
one list of valid names.

This package holds only the specs, as data: it imports no layer build code (no pandas,
scipy or raster libraries, only the standard library), so ``from growthzones.criteria
import REGISTRY`` is cheap. :mod:`.criterion` defines :class:`Criterion`; each theme's
specs are in the module of the same name (``grid_capacity``, ``land``, ``post_industrial``,
``water``, ``connectivity``, ``flood``, ``designations``); this module assembles them into
:data:`REGISTRY` and checks them. Each build module in :mod:`growthzones.layers` takes its
own specs from here with :func:`theme_criteria`.
"""

from __future__ import annotations

from . import connectivity, designations, flood, grid_capacity, land, post_industrial, water
from .criterion import Criterion, Direction

__all__ = ["NETWORK_YEAR", "REGISTRY", "THEMES", "Criterion", "Direction", "theme_criteria"]

#: Theme modules of :mod:`growthzones.layers`, in registry order.
THEMES = ("grid_capacity", "land", "post_industrial", "water", "connectivity",
          "flood", "designations")

#: The default network year of the grid criteria (a scenario's ``network_year``): the
#: programme's firm-power date, in force as ETYS 2024's 2029/30 snapshot. The grid criteria
#: that depend on it are listed in ``layers.grid_capacity.NETWORK_YEAR_CRITERIA``.
NETWORK_YEAR = 2030


#: Each theme's specs, from its module of this package (``criteria/<theme>.py``).
_BY_THEME: dict[str, dict[str, Criterion]] = {
    "grid_capacity": grid_capacity.CRITERIA, "land": land.CRITERIA,
    "post_industrial": post_industrial.CRITERIA, "water": water.CRITERIA,
    "connectivity": connectivity.CRITERIA, "flood": flood.CRITERIA,
    "designations": designations.CRITERIA}


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
