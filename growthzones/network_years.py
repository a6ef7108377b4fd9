"""Network years of a layer store: which ETYS snapshot a year means, and views in it.

A store built with network years (see :mod:`growthzones.store`) keeps, for each criterion
of ``manifest["network"]["criteria"]``, one raster per ETYS snapshot
(``meta[name]["network_years"][S]["file"]``); the plain raster is the default snapshot
(2029/30, network year 2030). :func:`at_network_year` gives the store as it is in another
year: a view whose ``layers`` read those criteria from their snapshot's files and share
every other raster with the store, whose manifest carries the snapshot's statistics and
``network["snapshot"]``, and which is made once per store and snapshot (so scoring's
cache, keyed by the store object, holds across calls).

Years map to snapshots through the manifest (``network["snapshots"][S]["years"]``: the
first and last year each is in force), so this module knows no ETYS specifics. It
imports no store module (duck-typed), which keeps the package free of import cycles.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ._errors import InputError
from ._validate import whole_number
from .criteria import NETWORK_YEAR


def root_of(store):
    """The store a network-year view was made from (the store itself if it is not one)."""
    return store.__dict__.get("_network_root", store)


def snapshot_for(store, year) -> int | None:
    """The snapshot of ``store`` in force in network ``year``.

    A store built without network years has only its own year, :data:`NETWORK_YEAR`
    (returns None for it).

    Raises
    ------
    InputError
        ``year`` not a whole number, or outside every snapshot: one line listing the
        snapshots the store has and the years each covers.
    """
    y = whole_number(year, "network year", example="--network-year 2035")
    years = store.network_years()
    if not years:
        if y == NETWORK_YEAR:
            return None
        raise InputError(f"network year {y} is not in the store at {store.path}: it was "
                         f"built for {NETWORK_YEAR} only; rebuild it with 'growthzones data "
                         f"build' for the years 2025-2036")
    for snap, (lo, hi) in sorted(years.items()):
        if lo <= y <= hi:
            return snap
    listing = ", ".join(f"{s} ({store.network['snapshots'][str(s)]['label']}: {lo}-{hi})"
                        for s, (lo, hi) in sorted(years.items()))
    raise InputError(f"network year {y} is not in the store; it has the ETYS snapshots "
                     f"{listing}: give one of those years, e.g. --network-year 2035")


def at_network_year(store, year):
    """``store`` in network ``year`` (None: ``store`` as it is); see the module docstring."""
    if year is None:
        return store
    root = root_of(store)
    snap = snapshot_for(root, year)
    if snap is None or snap == store.network_snapshot:
        return store
    if snap == root.network_snapshot:
        return root
    views = root.__dict__.setdefault("_network_views", {})
    if snap not in views:
        views[snap] = _view(root, snap)
    return views[snap]


def _view(store, snap: int):
    key = str(snap)
    files, meta = {}, {}
    for name, m in store.meta.items():
        var = (m.get("network_years") or {}).get(key)
        if var is None:
            meta[name] = m
            continue
        meta[name] = {**m, "coverage_fraction": var["coverage_fraction"],
                      "stats": var["stats"]}
        stem = Path(var["file"]).stem
        if stem != name:
            files[name] = stem
    manifest = {**store.manifest, "layers": meta,
                "network": {**store.network, "snapshot": snap}}
    variant = getattr(store.layers, "variant", None)  # the store's lazy rasters
    layers = variant(files) if variant is not None else store.layers
    # the same land cells: the root's index, not a copy per year (183 MB at GB 100 m)
    view = replace(store, manifest=manifest, layers=layers, _vectors={"_land": store.land_index})
    view.__dict__["_network_root"] = store
    return view
