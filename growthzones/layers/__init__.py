"""Layers: one module per theme, each declaring its criteria and building them.

Every module has the same contract:

``CRITERIA``
    ``{name: Criterion}``, what it provides (criteria to score, and exclusion masks).
``build(sources, grid, base) -> dict[str, numpy.ndarray]``
    The edge function: reads the raw files and calls pure functions to put each
    criterion on the grid (float32, NaN where the criterion has no data).

:data:`REGISTRY` collects them all: the scenario loader, ``growthzones criteria`` and the
docs read it, so there is one list of valid names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["max", "min"]


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
        Where the data exists; cells outside it are NaN, never a silent 0.
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

    def to_dict(self) -> dict:
        return {"name": self.name, "layer": self.layer, "title": self.title, "unit": self.unit,
                "direction": self.direction, "description": self.description,
                "sources": list(self.sources), "coverage": self.coverage, "kind": self.kind,
                "default_transform": dict(self.default_transform)}


def _collect():
    from . import connectivity, grid_capacity, land, post_industrial, water

    modules = (grid_capacity, land, post_industrial, water, connectivity)
    registry: dict[str, Criterion] = {}
    for mod in modules:
        for name, crit in mod.CRITERIA.items():
            assert name == crit.name and name not in registry, name
            registry[name] = crit
    return modules, registry


LAYER_MODULES, REGISTRY = _collect()
