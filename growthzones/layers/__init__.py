"""Layers: one module per theme, each building the criteria it declares.

Every module has the same contract:

``CRITERIA``
    ``{name: Criterion}``, what it provides (criteria to score, and exclusion masks),
    taken from :mod:`growthzones.criteria`, where the specs live as data.
``build(sources, grid, base) -> dict[str, numpy.ndarray]``
    The edge function: reads the raw files and calls pure functions to put each
    criterion on the grid (float32, NaN where the criterion has no data).

A module built block by block (:mod:`growthzones.blocks`) has ``read(sources)`` (its
features, once per build) and ``on_block(features, base)`` (a block's criteria) instead,
and may have ``prepare(features, grid, shapes, *, workers, log)``: what every block
shares, computed once before them on a local build (the flood theme's HAND tiles).

:data:`LAYER_MODULES` lists the modules in registry order. :data:`REGISTRY` and
:class:`Criterion` are re-exported from :mod:`growthzones.criteria`; code that only needs
the names should import them from there, which loads no build code.
"""

from __future__ import annotations

from ..criteria import REGISTRY, Criterion, Direction
from . import (
    connectivity,
    designations,
    flood,
    grid_capacity,
    land,
    post_industrial,
    water,
)

LAYER_MODULES = (grid_capacity, land, post_industrial, water, connectivity, flood, designations)

__all__ = ["LAYER_MODULES", "REGISTRY", "Criterion", "Direction"]
