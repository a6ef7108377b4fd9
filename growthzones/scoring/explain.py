"""Why a cell scores what it does: :func:`explain`, :func:`explain_sites`, :func:`cell_at`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import InputError
from .._validate import number
from .masks import PREVIOUSLY_DEVELOPED_KM, allowed_text
from .result import ScoreResult


def cell_at(result: ScoreResult, x: float, y: float) -> int:
    """Position in the land vectors of the cell containing BNG point (x, y)."""
    x, y = number(x, "easting"), number(y, "northing")
    rows, cols = result.grid.rowcol(np.array([x]), np.array([y]))
    if rows[0] < 0:
        raise InputError(f"point ({x:.0f}, {y:.0f}) is outside the GB grid; give "
                         f"EPSG:27700 metres")
    flat = rows[0] * result.grid.width + cols[0]
    pos = np.searchsorted(result.store.land_index, flat)
    if pos >= len(result.store.land_index) or result.store.land_index[pos] != flat:
        raise InputError(f"point ({x:.0f}, {y:.0f}) is not on GB land in this grid")
    return int(pos)


def _at(vectors, name: str, i: int) -> float:
    """``vectors[name][i]``, computing only cell ``i`` of a lazy vector."""
    if hasattr(vectors, "at"):
        return vectors.at(name, np.array([i]))[0]
    return vectors[name][i]


def _xy(x, y):
    if y is not None:
        return float(x), float(y)
    get = x.get if hasattr(x, "get") else (lambda k: getattr(x, k, None))
    e, n = get("easting"), get("northing")
    if e is None or n is None:
        raise TypeError("explain() takes x and y in EPSG:27700 metres, or one site (a row "
                        "with 'easting' and 'northing')")
    return float(e), float(n)


def explain(result: ScoreResult, x, y: float | None = None) -> pd.DataFrame:
    """Why a cell scores what it does: one row per criterion, exclusion and constraint.

    Parameters
    ----------
    result
        Output of :func:`score`.
    x, y
        A point in EPSG:27700 metres; or pass one site (a ``rank_sites`` row, or any
        mapping with ``easting`` and ``northing``) as ``x`` alone.

    Returns
    -------
    pandas.DataFrame
        Indexed by name: ``kind`` (criterion / exclusion / constraint), ``raw`` (in
        ``unit``), ``unit``, ``direction``, ``transform``, ``value`` (transformed),
        ``weight`` (normalised), ``contribution`` (its part of the score), ``status``
        (for an exclusion or constraint: ``excluded``, ``clear`` or ``not assessed: no
        data here``), ``reason`` (why it excludes the cell, e.g. ``fails constraint
        dist_substation_132kv_km <= 10 km``). ``attrs`` holds ``score``, ``score_all``,
        ``excluded``, ``reasons``, ``allowed`` (a sentence per exclusion the cell is
        inside but was let through by the previously-developed exception, e.g. ``inside
        National Parks (national_parks), allowed: previously developed land (Trawsfynydd,
        nuclear power station, closed 1991, 0.4 km from the cell centre)``; see
        :func:`previously_developed_detail`), ``coverage`` and ``method``.
        Such an exclusion's ``status`` is ``allowed: previously developed land``.
    """
    x, y = _xy(x, y)
    i = cell_at(result, x, y)
    rows = []
    meta = result.store.meta
    for name, w in result.weights.items():
        c = result.scenario.criterion(name)
        raw = float(result.store.values_at(name, [i])[0])
        rows.append({"name": name, "kind": "criterion", "raw": raw,
                     "unit": meta[name]["unit"], "direction": c.direction,
                     "transform": c.transform["type"], "value": float(_at(result.values, name, i)),
                     "weight": w, "contribution": float(_at(result.contributions, name, i)),
                     "status": "no data: weight shared by the others" if np.isnan(raw) else "ok",
                     "reason": ""})
    allowed = []
    for key, bad in result.excluded_by.items():
        kind = "exclusion" if key in result.scenario.exclusions else "constraint"
        name = key if kind == "exclusion" else next(c.name for c in result.scenario.constraints
                                                     if c.label == key)
        let = key in result.allowed_by and bool(result.allowed_by[key][i])
        status = ("excluded" if bad[i] else
                  "allowed: previously developed land" if let else
                  "not assessed: no data here" if result.unassessed[key][i] else "clear")
        reason = result.reasons[key] if bad[i] else ""
        if let:
            reason = f"{allowed_text(result.store, key)} ({previously_developed_detail(result.store, i)})"
            allowed.append(reason)
        rows.append({"name": key, "kind": kind, "raw": float(result.store.values_at(name, [i])[0]),
                     "unit": "flag" if kind == "exclusion" else meta[name]["unit"],
                     "direction": None, "transform": None, "value": np.nan, "weight": np.nan,
                     "contribution": np.nan, "status": status, "reason": reason})
    df = pd.DataFrame(rows).set_index("name")
    df.attrs.update(score=float(result.ranked[i]), score_all=float(result.score[i]),
                    excluded=bool(result.excluded[i]), reasons=result.why_excluded(i)[0],
                    allowed=allowed, coverage=float(result.coverage[i]), method=result.method)
    return df


def previously_developed_detail(store, i: int) -> str:
    """What made cell ``i`` previously developed: the nearest register site of the store's
    named features (``features.csv``, every row but the substations, labelled or not)
    within the flag's radius, by name, kind and state, e.g. ``Trawsfynydd, nuclear power
    station, closed 1991, 0.4 km from the cell centre``; in a store without that table,
    from the former-industry layers.

    The flag counts any site of the industrial register within
    :data:`~.masks.PREVIOUSLY_DEVELOPED_KM` (closed airfields included);
    ``dist_former_industry_km`` measures heavy industry only, so a flagged cell farther
    than that from heavy industry was flagged by a closed airfield.
    """
    feats = getattr(store, "features", None)
    sites = None if feats is None else feats[feats["kind"] != "substation"]
    if sites is not None and len(sites):
        rows, cols = np.divmod(store.land_index[i], store.grid.width)
        x, y = store.grid.xy(rows, cols)
        d = np.hypot(sites["easting"].to_numpy(float) - x,
                     sites["northing"].to_numpy(float) - y) / 1000
        j = int(np.argmin(d))
        if d[j] <= PREVIOUSLY_DEVELOPED_KM:
            site = sites.iloc[j]
            return (f"{site['name']}, {site['kind']}{_state(site)}, {d[j]:.1f} km from the "
                    f"cell centre")
    if "dist_former_industry_km" not in store.meta:
        return f"a site of the industrial register within {PREVIOUSLY_DEVELOPED_KM:g} km"
    d = float(store.values_at("dist_former_industry_km", [i])[0])
    if d <= PREVIOUSLY_DEVELOPED_KM:
        return f"former heavy-industry site {d:.1f} km from the cell centre"
    return (f"a closed airfield within {PREVIOUSLY_DEVELOPED_KM:g} km; nearest former "
            f"heavy-industry site {d:.1f} km")


def _state(site) -> str:
    """``, closed 1991``, ``, partly closed 2023``, ``, reporting in 2014`` or ``""``."""
    status = str(site.get("status", "") or "")
    year = site.get("closure_year", np.nan)
    if pd.notna(year):
        return f", {'partly closed' if status == 'partly closed' else 'closed'} {int(year)}"
    return f", {status}" if status and status != "nan" else ""


def explain_sites(result: ScoreResult, sites: pd.DataFrame) -> pd.DataFrame:
    """:func:`explain` for every site (rows with ``easting``/``northing``), stacked.

    The index is (``site_id`` or the row label, name).
    """
    ids = sites.get("site_id", sites.index)
    parts = {sid: explain(result, row) for sid, (_, row) in zip(ids, sites.iterrows())}
    return pd.concat(parts, names=["site_id", "name"])
