"""What one criterion is: :class:`Criterion`, the spec every registry entry is.

Standard library only, like the whole registry package.
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
