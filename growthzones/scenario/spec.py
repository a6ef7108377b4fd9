"""The parts of a scenario: criterion weights, aggregation, constraints, and their bounds.

Frozen dataclasses built by :func:`growthzones.scenario.parse_scenario`, the limits it
enforces (:data:`MAX_TOP`, :data:`MAX_SEPARATION_KM`, :data:`MIN_WEIGHT_SHARE`) and the two
shared checks the CLI and the Python API also use (:func:`check_top`,
:func:`check_min_separation_km`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._errors import InputError
from .._validate import number, whole_number
from ._text import _is_number, _show

WEIGHT_METHODS = ("direct", "ahp")
AGGREGATIONS = ("wlc", "topsis", "owa")
#: which [aggregation] keys each method takes
_AGG_PARAMS = {"wlc": set(), "topsis": {"ideal"}, "owa": {"orness", "order_weights"}}
TOPSIS_IDEALS = ("data", "fixed")
#: Most sites a scenario (or ``--top``) may ask for: a shortlist, not every cell.
MAX_TOP = 10_000
#: Widest site separation (km): GB spans 700 x 1,250 km, so more can only give one site.
MAX_SEPARATION_KM = 1_500.0
#: A positive weight below this share of the largest weight is refused (see the module doc).
MIN_WEIGHT_SHARE = 1e-9


@dataclass(frozen=True)
class CriterionWeight:
    """One criterion in a scenario: its raw weight, direction and transform spec."""

    name: str
    weight: float
    direction: str
    transform: dict


@dataclass(frozen=True)
class Aggregation:
    """How transformed criteria combine into one score (see :mod:`growthzones.scoring`).

    Parameters
    ----------
    method
        ``"wlc"``, ``"topsis"`` or ``"owa"``.
    orness
        OWA only: 0 < orness < 1 (0.5 = WLC).
    order_weights
        OWA only: one per weighted criterion, best-valued first, normalised to sum 1.
    ideal
        TOPSIS only: ``"data"`` (best/worst land cell per criterion) or ``"fixed"`` (1 and 0).
    """

    method: str = "wlc"
    orness: float | None = None
    order_weights: tuple[float, ...] | None = None
    ideal: str = "data"

    @property
    def params(self) -> dict:
        """The method's parameters, as keyword arguments of the scoring kernels."""
        if self.method == "topsis":
            return {"ideal": self.ideal}
        if self.method == "owa":
            return ({"orness": self.orness} if self.orness is not None
                    else {"order_weights": self.order_weights})
        return {}

    def to_dict(self) -> dict:
        return {"method": self.method, **{k: (list(v) if isinstance(v, tuple) else v)
                                          for k, v in self.params.items()}}


@dataclass(frozen=True)
class Constraint:
    """A hard threshold on one criterion's raw value (inclusive), applied after aggregation.

    Parameters
    ----------
    name
        Criterion name.
    min, max
        Bounds in the criterion's unit; None = unbounded.
    missing
        ``"keep"`` (no data: keep the cell, flag it unassessed) or ``"exclude"``.
    """

    name: str
    min: float | None = None
    max: float | None = None
    missing: str = "keep"

    @property
    def label(self) -> str:
        """Short text naming the rule, e.g. ``dist_substation_132kv_km <= 10``."""
        if self.min is not None and self.max is not None:
            return f"{self.min:g} <= {self.name} <= {self.max:g}"
        if self.max is not None:
            return f"{self.name} <= {self.max:g}"
        return f"{self.name} >= {self.min:g}"

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("min", "max") if getattr(self, k) is not None}
        return {**d, "missing": self.missing}


def _normalised(raw: list[float]) -> list[float]:
    """Weights divided by their sum without overflow: by the largest first (1e308 + 1e308)."""
    top = max(raw, default=0.0)
    if not top > 0:
        return [0.0 for _ in raw]
    scaled = [w / top for w in raw]
    total = math.fsum(scaled)
    return [w / total for w in scaled]




def check_top(value, what: str = "top", *, text: bool = False, example: str = "") -> int:
    """Number of sites: a whole number 1 .. :data:`MAX_TOP`; text only if ``text`` (a flag).

    >>> check_top(20)
    20
    >>> check_top(0, "[sites] top")
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: [sites] top is 0; it must be a whole number >= 1
    """
    if not text and not _is_number(value):
        fix = f" (e.g. {example})" if example else ""
        raise InputError(f"{what} is {_show(value)}; it must be a whole number >= 1{fix}")
    return whole_number(value, what, min=1, max=MAX_TOP, example=example)


def check_min_separation_km(value, what: str = "min_separation_km", *, text: bool = False,
                            example: str = "") -> float:
    """Minimum distance between sites (km): > 0 and <= :data:`MAX_SEPARATION_KM`.

    >>> check_min_separation_km(float("nan"), "[sites] min_separation_km")
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: [sites] min_separation_km is nan; it must be a finite number
    """
    if not text and not _is_number(value):
        fix = f" (e.g. {example})" if example else ""
        raise InputError(f"{what} is {_show(value)}; it must be a positive number{fix}")
    return number(value, what, min=0.0, strict_min=True, max=MAX_SEPARATION_KM,
                  example=example)


#: Network years a scenario may name: ETYS 2024's snapshots run from 2025/26 to 2035/36;
#: which of them a store carries is checked when scoring (the message lists them).
NETWORK_YEAR_RANGE = (2025, 2036)


def check_network_year(value, what: str = "network_year", *, text: bool = False) -> int:
    """A network year: a whole number in :data:`NETWORK_YEAR_RANGE`.

    >>> check_network_year(2040)
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: network_year is 2040; the grid is known for 2025 to 2036 (ETYS 2024 snapshots 2025/26, 2027/28, 2029/30, 2032/33, 2035/36), e.g. network_year = 2035
    """
    example = "--network-year 2035" if what.startswith("--") else f"{what} = 2035"
    lo, hi = NETWORK_YEAR_RANGE
    if not text and not _is_number(value):
        raise InputError(f"{what} is {_show(value)}; it must be a year, a whole number from "
                         f"{lo} to {hi} (e.g. {example})")
    year = whole_number(value, what, example=example)
    if not lo <= year <= hi:
        raise InputError(f"{what} is {year}; the grid is known for {lo} to {hi} (ETYS 2024 "
                         f"snapshots 2025/26, 2027/28, 2029/30, 2032/33, 2035/36), e.g. "
                         f"{example}")
    return year
