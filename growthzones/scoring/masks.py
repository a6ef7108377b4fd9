"""Exclusions and constraints: which cells are ruled out, applied after aggregation.

``score`` is the surface before them, ``ranked`` has excluded cells set to NaN. Where an
exclusion or a constraint has no data the cell is not excluded (unless a constraint says
``missing = "exclude"``) but is flagged ``unassessed`` for it.

An exclusion the scenario lists in ``[exclusions] except_previously_developed`` does not
apply where the ``previously_developed`` flag is 1 (:func:`excepted_area`): those cells
are let through, and :func:`exception_masks` keeps which ones, so the explanation and the
map can say so. Where the flag has no data the exclusion applies (an exception needs
evidence).

:func:`excluded_area` and :func:`fails_constraint` are the rules, on NumPy or dask raw
values alike (the store path and :func:`~growthzones.scoring.dataset.score_dataset` both
use them); :func:`exclusion_masks` caches their vectors for a store.
"""

from __future__ import annotations

import numpy as np

from .matrix import cache_for, shared_cache


def excluded_area(raw):
    """True where an exclusion layer (1 inside the excluded area) rules a cell out."""
    return raw == 1


#: The layer whose 1 lifts an excepted exclusion.
PREVIOUSLY_DEVELOPED = "previously_developed"
#: Its radius (km): :data:`growthzones.layers.industry.PREVIOUSLY_DEVELOPED_KM`, repeated so
#: scoring imports no build code (a test pins the two equal).
PREVIOUSLY_DEVELOPED_KM = 1.0


def excepted_area(raw, previously_developed):
    """True inside an exclusion layer where the cell is previously developed (flag 1).

    Examples
    --------
    >>> excepted_area(np.array([1.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 1.0, np.nan]))
    array([ True, False, False, False])
    """
    return excluded_area(raw) & (previously_developed == 1)


def fails_constraint(raw, constraint):
    """True where raw values break ``constraint`` (its ``min``/``max``; NaN passes unless
    ``missing = "exclude"``).

    Examples
    --------
    >>> from types import SimpleNamespace as C
    >>> fails_constraint(np.array([5.0, 12.0, np.nan]), C(min=None, max=10, missing="keep"))
    array([False,  True, False])
    """
    with np.errstate(invalid="ignore"):
        bad = np.isnan(raw) & (constraint.missing == "exclude")
        if constraint.min is not None:
            bad = bad | (raw < constraint.min)
        if constraint.max is not None:
            bad = bad | (raw > constraint.max)
    return bad


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)  # cached and shared between results
    return a


def _unassessed(raw) -> np.ndarray:
    """Where ``raw`` has no data (read-only). Usually nowhere: then a fresh zero vector,
    whose pages the system gives only when written (23 MB a mask not held at GB 100 m)."""
    gaps = np.isnan(raw)
    return _frozen(gaps if gaps.any() else np.zeros(gaps.shape, dtype=bool))


def exclusion_masks(store, scenario) -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    """Per exclusion (by name) and constraint (by label): (excluded, unassessed, why).

    The vectors are over the store's land cells, read-only and cached for the store.
    """
    out = {}
    allowed = exception_masks(store, scenario)
    for name in scenario.exclusions:
        def make(name=name):
            raw = store.read_vector(name)
            bad = excluded_area(raw)
            if name in allowed:
                bad = bad & ~allowed[name]
            return _frozen(bad), _unassessed(raw)

        used = [name, PREVIOUSLY_DEVELOPED] if name in allowed else [name]
        out[name] = (*_cached(store, used, ("exclusion", name, name in allowed), make),
                     f"in an excluded area: {name}")
    for c in scenario.constraints:
        def make(c=c):
            raw = store.read_vector(c.name)
            return _frozen(np.asarray(fails_constraint(raw, c))), _unassessed(raw)

        unit = store.meta.get(c.name, {}).get("unit", "")
        why = f"fails constraint {c.label} {unit}".rstrip()
        out[c.label] = (*_cached(store, [c.name], ("constraint", c), make), why)
    return out


def _cached(store, layers: list[str], key, make):
    """``make()``, kept in ``store``'s scoring cache under ``key``; for a network-year view
    and layers none of which varies by year, in the cache of the store it views (the same
    rasters: at 100 m each mask is read once, not once per year)."""
    shared = [shared_cache(store, name) for name in layers]
    cache = shared[0] if all(c is not None for c in shared) else cache_for(store)
    if key not in cache:
        cache[key] = make()
    return cache[key]


def exception_masks(store, scenario) -> dict[str, np.ndarray]:
    """Per excepted exclusion (by name): True where it covers the cell but previously
    developed land lets the cell through. Read-only, cached for the store."""
    return {name: _cached(store, [name, PREVIOUSLY_DEVELOPED], ("exception", name),
                          lambda name=name: _frozen(np.asarray(excepted_area(
                              store.read_vector(name), store.read_vector(PREVIOUSLY_DEVELOPED)))))
            for name in scenario.except_previously_developed}


def allowed_text(store, name: str) -> str:
    """The sentence for a cell inside exclusion ``name`` let through by the exception."""
    title = store.meta.get(name, {}).get("title", name)
    return f"inside {title} ({name}), allowed: previously developed land"


def combined_mask(store, scenario, per_reason: dict) -> np.ndarray:
    """True where any of ``per_reason`` (the output of :func:`exclusion_masks`) excludes a cell."""
    key = ("excluded", tuple(scenario.exclusions), tuple(scenario.constraints),
           tuple(scenario.except_previously_developed))

    def make() -> np.ndarray:
        excluded = np.zeros(len(store.land_index), dtype=bool)
        for bad, _, _ in per_reason.values():
            excluded |= bad
        return _frozen(excluded)

    layers = [*scenario.exclusions, *(c.name for c in scenario.constraints),
              *([PREVIOUSLY_DEVELOPED] if scenario.except_previously_developed else [])]
    return _cached(store, layers, key, make) if layers else make()
