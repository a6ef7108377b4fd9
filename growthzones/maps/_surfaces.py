"""The map's surfaces as palette indices: the score, each criterion in its own unit, and the
score on other network years' grids, each over a fitted stretch (:mod:`._legend`).
"""

from __future__ import annotations

import numpy as np

from ..cache import store_sources
from ._cached import cached_part
from ._legend import stretch, stretched_index
from .raster import _land_codes


def _direction(result, name: str) -> str:
    """``"max"`` or ``"min"``: the scenario's direction of a weighted criterion, else the
    registry's."""
    scenario = result.scenario
    if name in result.weights and hasattr(scenario, "criterion"):
        return scenario.criterion(name).direction
    return result.store.meta[name].get("direction") or "max"


def _score_index(result, lims=None) -> tuple[np.ndarray, tuple[float, float] | None]:
    """The score surface's palette index over its fitted stretch (or ``lims``), and the
    stretch."""
    score = result.surface("score")
    lims = stretch(score) if lims is None else lims
    return stretched_index(score, lims), lims


def _other_network_years(result, scored=None) -> list[tuple[str, object]]:
    """``(ETYS snapshot label, result)`` of the result's scenario on the grids of the
    first and the last network year of its store, where they are not its own (none for a
    store without network years). Two, not all five: each score surface is ~0.2 MB of a
    page that must stay under 10 MB; the explorer switches between all of them.

    ``scored`` (:func:`growthzones.timeline.network_year_results` of the result, by
    snapshot) gives years already scored, or, at 100 m, what the map draws of them
    (its ``drawn``): each score there is ~5 s and 0.3 GB.
    """
    from ..layers.grid_capacity.network import snapshot_label
    from ..network_years import root_of
    from ..scoring import score

    full = getattr(result, "full", result)  # an overview map: score the full grid
    like = getattr(result, "like", lambda other: other)  # ... and draw it like this one
    root = root_of(full.store)
    years = sorted(getattr(root, "network_years", lambda: {})())
    own = getattr(full.store, "network_snapshot", None)
    ends = dict.fromkeys(years[:1] + years[-1:])
    scored = scored or {}
    drawn = getattr(scored, "drawn", {})
    return [(snapshot_label(snap), like(drawn[snap] if snap in drawn else
                                        scored[snap] if snap in scored else
                                        score(root, full.scenario, network_year=snap)))
            for snap in ends if snap != own]


def _criterion_codes(result, name: str) -> tuple[np.ndarray, tuple[float, float] | None]:
    """A criterion's raw values (its unit) on the land vector as palette indices over
    their fitted stretch, yellow at the better end (see :mod:`growthzones.maps._legend`),
    and the stretch."""
    return _store_criterion_codes(result.store, name, _direction(result, name))


def _store_criterion_codes(store, name: str, direction: str) -> tuple[np.ndarray, tuple | None]:
    """:func:`_criterion_codes` of ``store``'s criterion ``name`` for a known direction."""
    raw = store.read_vector(name)
    lims = stretch(raw)
    return stretched_index(raw, lims, reverse=direction == "min"), lims


def _lazy_codes(store, name: str, direction: str) -> tuple[str, tuple | None]:
    """A criterion surface as the page draws it (:func:`~growthzones.maps.raster._land_codes`
    of :func:`_store_criterion_codes`) and its stretch; from the cache on disk when the
    store's files are (:mod:`growthzones.maps._cached`)."""
    def make():
        codes, lims = _store_criterion_codes(store, name, direction)
        return _land_codes(codes), lims

    return cached_part(store_sources(store, name), f"lazy codes|{name}|{direction}", make)


def _criterion_index(result, name: str) -> tuple[np.ndarray, tuple[float, float] | None]:
    """:func:`_criterion_codes` on the grid (255 off land), and the stretch."""
    store = result.store
    codes, lims = _criterion_codes(result, name)
    index = np.full(store.grid.height * store.grid.width, 255, dtype=np.uint8)
    index[store.land_index] = codes
    return index.reshape(store.grid.shape), lims
