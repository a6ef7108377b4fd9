"""Parts of a map made ahead of the scores: :func:`prepare_map`.

Much of a map does not depend on the scores: the shared reprojection index, the codes
of every criterion surface (raw values, their stretch, the scenario's direction), the
exclusion layers, and the council outlines, places, motorways and substations with
their JSON (encoding them was a fifth of the page's final render). ``growthzones run`` starts them in one background thread as soon
as the store is loaded, so they are made while it scores and picks the sites (one core
is idle then), and the click-to-identify data as soon as it has scored;
:func:`~growthzones.maps.page.render_map` takes them instead of making them again: the
same functions on the same inputs, so the same page.
"""

from __future__ import annotations

import threading
import weakref

from ._overlays import _mask_url
from ._reference import _slim_basemap, places_data, store_geojson
from ._surfaces import _lazy_codes
from ._text import _js_json
from .raster import _lazy_base, _MercatorWarp, _viridis_palette

_LOCK = threading.Lock()
#: ``id(store view) -> (weak reference to it, {key: future})``.
_PREPARED: dict[int, tuple[weakref.ref, dict]] = {}


def prepare_map(store, scenario, *, result=None) -> None:
    """Start making the score-independent parts of a map of ``store`` under ``scenario``.

    Parameters
    ----------
    store : LayerStore
        The loaded store (its view in the scenario's network year is the one used).
    scenario : Scenario
        Gives the network year and the direction of each weighted criterion.
    result : ScoreResult, optional
        Its scores: then the click-to-identify data of the result are started too (in
        their own thread; ``run`` calls this again once it has scored).

    Notes
    -----
    Returns at once; one daemon-free worker thread makes the parts in order and exits.
    Only for stores held in memory (:data:`growthzones.store.RESIDENT_CELLS`): a finer
    store would read each layer once more for it. A part that fails is made again (and
    fails with its error) by ``render_map``.
    """
    from concurrent.futures import ThreadPoolExecutor

    from ..store import RESIDENT_CELLS

    view = store.at_network_year(scenario.network_year)
    if len(view.land_index) > RESIDENT_CELLS:
        return
    if result is not None and hasattr(result, "contributions") and not _prepared(result):
        from ._identify import identify_payload

        _remember(result, {"identify": _one_job(identify_payload, result)})
    if _prepared(view):
        return
    meta = view.meta
    weighted = {c.name: c.direction for c in scenario.criteria}
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gz-map-ahead")
    jobs: dict = {}

    def warp() -> _MercatorWarp:
        made = _MercatorWarp(view.grid)
        made.gather  # noqa: B018 (built here, once)
        return made

    jobs["warp"] = pool.submit(warp)
    jobs["lazy_base"] = pool.submit(lambda: _lazy_base(jobs["warp"].result(), view.land_index,
                                                       _viridis_palette()))
    # the store's vectors and their JSON (the page's last, serial step encodes them)
    basemap = getattr(view, "basemap", None)
    if basemap and basemap.get("features"):
        def base():
            slim = _slim_basemap(basemap)
            return slim, _js_json(slim)

        jobs["basemap"] = pool.submit(base)

    def places():
        data = places_data(getattr(view, "places", None))
        return data, _js_json(data, compact=True)

    jobs["places"] = pool.submit(places)
    for file in ("motorways", "substations"):
        def vector(file=file):
            data = store_geojson(view, file)
            return data, (_js_json(data, compact=True) if data else None)

        jobs[("vector", file)] = pool.submit(vector)
    for name, info in meta.items():
        if info.get("kind") == "exclusion":
            jobs[("mask", name)] = pool.submit(
                lambda name=name: _mask_url(jobs["warp"].result(), view, name))
    # The scenario's criteria first (the scoring reads them now and keeps them), then the
    # others backwards: run's read-ahead reads those forwards, so the two threads do not
    # read the same raster at the same time.
    names = [n for n, i in meta.items() if i.get("kind", "criterion") == "criterion"]
    for name in [n for n in names if n in weighted] + [n for n in names
                                                       if n not in weighted][::-1]:
        direction = weighted.get(name) or meta[name].get("direction") or "max"

        jobs[("codes", name, direction)] = pool.submit(_lazy_codes, view, name, direction)
    pool.shutdown(wait=False)
    _remember(view, jobs)


def _one_job(fn, *args):
    """``fn(*args)`` in a thread of its own; its future."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gz-map-ahead")
    job = pool.submit(fn, *args)
    pool.shutdown(wait=False)
    return job


def _remember(owner, jobs: dict) -> None:
    with _LOCK:
        for key in [k for k, (ref, _) in _PREPARED.items() if ref() is None]:
            del _PREPARED[key]
        _PREPARED[id(owner)] = (weakref.ref(owner), jobs)


def _prepared(owner) -> dict:
    """The parts :func:`prepare_map` started for this store view or result (``{}`` if
    none)."""
    with _LOCK:
        ref, jobs = _PREPARED.get(id(owner), (None, {}))
    return jobs if ref is not None and ref() is owner else {}
