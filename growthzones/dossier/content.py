"""What a site's dossier says, as plain data: pure functions over a result and a site table.

:func:`site_facts` turns one row of a site table (:func:`growthzones.rank_sites` or
:func:`growthzones.score_sites`, so points, polygons, excluded and unscored rows alike)
into a dict the page renders; it reads only the table's columns, the result and the
store's manifest, so a row that :func:`growthzones.explain_sites` would refuse (not on
land, unknown postcode) still gets a page that says why.

Decisions, recorded here:

- *Exclusions checked* are the scenario's exclusions and constraints, each with its state
  at the site: ``excluded``, ``partly excluded (share)`` (polygons), ``inside, allowed``
  (the previously-developed exception), ``not assessed: no data here`` or ``clear``.
- *Not assessed* lists, explicitly: those of the scenario's exclusions with no data at the
  site; the criteria with no data there (their weight is shared by the others); every
  exclusion layer the project knows but this store lacks (the official files of
  :data:`growthzones.layers.designations.OFFICIAL_LAYERS` not downloaded); and the data
  gaps of the catalogue (:func:`growthzones.catalog.gaps`), which no run assesses.
- Sources are numbered once per page; each criterion names its sources by number and
  the legend gives each one's title, data date and licence from the store's manifest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The caveats every dossier carries: what this screening cannot tell.
CAVEATS = (
    "Firm power: the grid figures are distances, capacities and queues from public "
    "registers, not an offer. A firm connection date and capacity need a letter from the "
    "grid operator (NESO for transmission, the distribution network operator below "
    "132 kV) after a connection application.",
    "Cooling water: the river and sewage-works figures are distances only. Water supply and "
    "discharge need the water company's confirmation (and, for abstraction, an "
    "Environment Agency / NRW / SEPA licence).",
    "Planning: this is a desk screening on open data, not a planning assessment. The path "
    "runs through the local planning authority's plan and an application (or a route the "
    "government designates for AI Growth Zones); site surveys (ground, ecology, heritage, "
    "access) are still needed.",
)
#: Named-feature groups listed as the nearest named infrastructure, in this order.
NEAREST_GROUPS = ("substation", "power station", "works", "airfield")
#: Status words of an exclusion at a site.
EXCLUDED, PARTLY, ALLOWED, NOT_ASSESSED, CLEAR = ("excluded", "partly excluded",
                                                   "inside, allowed", "not assessed", "clear")


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _num(row, col) -> float:
    v = row.get(col, np.nan)
    try:
        return float(v) if v is not None and v is not pd.NA else np.nan
    except (TypeError, ValueError):
        return np.nan


def _names(text) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]`` (the site table's joined flag columns)."""
    return [k.strip() for k in _text(text).split(",") if k.strip()]


def user_columns(sites: pd.DataFrame) -> list[str]:
    """The user's own columns of a :func:`growthzones.score_sites` table (those after
    ``notes``, the last of the national context); none for picked sites."""
    cols = [c for c in sites.columns if c != getattr(sites, "_geometry_column_name", None)]
    if "notes" not in cols:
        return []
    return [c for c in cols[cols.index("notes") + 1:] if c != "geometry"]


def exclusion_states(result, row) -> list[dict]:
    """Each exclusion and constraint of the scenario with its state at the site.

    Returns
    -------
    list of dict
        ``key``, ``title``, ``state`` (one of :data:`EXCLUDED`, :data:`PARTLY`,
        :data:`ALLOWED`, :data:`NOT_ASSESSED`, :data:`CLEAR`) and ``detail``.
    """
    meta = result.store.meta
    excluded = set(_names(row.get("excluded_by")))
    allowed = set(_names(row.get("allowed_in_exclusions")))
    unassessed = set(_names(row.get("unassessed_exclusions")))
    partly = {}
    for part in _names(row.get("partly_excluded_by")):
        key, share, _ = part.rsplit(" ", 2)  # "key 40 %"
        partly[key] = f"{share} %"
    out = []
    for key in result.excluded_by:
        name = key if key in result.scenario.exclusions else key.split(" ")[0]
        title = _text(meta.get(name, {}).get("title")) or name
        if key not in result.scenario.exclusions:
            title = f"{title} ({key.split(' ', 1)[1] if ' ' in key else key})"
        if key in excluded:
            state, detail = EXCLUDED, result.reasons.get(key, "")
        elif key in partly:
            state, detail = PARTLY, f"{partly[key]} of the site's land"
        elif key in allowed:
            state, detail = ALLOWED, "previously developed land"
        elif key in unassessed:
            state, detail = NOT_ASSESSED, "no data here"
        else:
            state, detail = CLEAR, ""
        out.append({"key": key, "title": title, "state": state, "detail": detail})
    return out


def not_assessed(result, row, states: list[dict]) -> list[str]:
    """Everything the dossier cannot say about the site, one sentence each (see the module
    docstring for the four kinds)."""
    from ..catalog import gaps
    from ..criteria import REGISTRY
    from ..layers.designations import OFFICIAL_LAYERS

    meta = result.store.meta
    out = [f"{s['title']}: no data here, so not checked" for s in states
           if s["state"] == NOT_ASSESSED]
    for name in _names(row.get("missing")):
        title = _text(meta.get(name, {}).get("title")) or name
        out.append(f"{title}: no data here; its weight is shared by the other criteria")
    absent = [n for n, c in REGISTRY.items() if c.kind == "exclusion" and n not in meta]
    for name in absent:
        how = (f" (download the official file into official/{OFFICIAL_LAYERS[name].source}/ "
               f"and rebuild)" if name in OFFICIAL_LAYERS else "")
        out.append(f"{REGISTRY[name].title}: not in this layer store{how}")
    unused = [n for n, m in meta.items() if m.get("kind") == "exclusion"
              and n not in result.scenario.exclusions]
    for name in unused:
        out.append(f"{_text(meta[name].get('title')) or name}: in the store, not used by "
                   f"this scenario")
    for gap in gaps().values():
        out.append(f"{_text(gap.get('what')).split(' (')[0]}: not in the project's data "
                   f"(a known gap)")
    return out


def criteria_rows(result, row, refs: dict[str, int]) -> list[dict]:
    """Each criterion of the scenario at the site: raw value and unit, transformed value,
    weight, contribution, its sources (numbers into ``refs``, filled here), data date and
    licence."""
    meta = result.store.meta
    rows = []
    for name, w in result.weights.items():
        m = meta.get(name, {})
        nums = []
        for src in m.get("sources", []) or []:
            refs.setdefault(src, len(refs) + 1)
            nums.append(refs[src])
        rows.append({"name": name, "title": _text(m.get("title")) or name,
                     "theme": _text(m.get("layer")), "unit": _text(m.get("unit")),
                     "raw": _num(row, f"{name}_raw"), "value": _num(row, f"{name}_value"),
                     "weight": float(w), "contribution": _num(row, f"{name}_contrib"),
                     "share_with_data": _num(row, f"{name}_share_with_data"),
                     "sources": nums, "data_date": _text(m.get("data_date")),
                     "licence": _text(m.get("licence"))})
    return rows


def nearest_infrastructure(store, x: float, y: float) -> list[dict]:
    """The nearest named feature of each group of :data:`NEAREST_GROUPS` (``group``,
    ``label``, ``km``), from the store's named features."""
    from ..context import nearest_named

    out = []
    for group in NEAREST_GROUPS:
        labels, km = nearest_named(getattr(store, "features", None), group, [x], [y])
        if labels[0]:
            out.append({"group": group, "label": labels[0], "km": float(km[0])})
    return out


def data_dates(store, sources) -> str:
    """The caveat on the data's dates: when the store was built and the span of its
    sources' data dates (years found in the manifest's ``data_date`` texts)."""
    import re

    texts = [str(store.manifest.get("sources", {}).get(s, {}).get("data_date") or "")
             for s in sources]
    years = sorted({int(y) for t in texts for y in re.findall(r"\b(?:19|20)\d\d\b", t)})
    span = (f"the sources listed are dated {years[0]} to {years[-1]}" if years
            else "the sources listed give their own dates")
    return (f"Data dates: the layer store was built on "
            f"{str(store.manifest.get('built', ''))[:10] or 'an unrecorded date'}; {span}. "
            f"Grid queues, connections, closures and designations change; check the "
            f"current registers before relying on a figure.")


def _timelines(result, sites: pd.DataFrame) -> dict[str, list[dict]]:
    """:func:`growthzones.site_timeline` of the placed sites, by ``site_id``."""
    from ..timeline import site_timeline

    if "easting" not in sites or "site_id" not in sites:
        return {}
    tl = site_timeline(result, sites)
    return {str(k): g.to_dict("records") for k, g in tl.groupby("site_id", sort=False)}


def site_facts(result, sites: pd.DataFrame, *, stability: pd.DataFrame | None = None
               ) -> list[dict]:
    """One dict per site row: everything its dossier page shows.

    Parameters
    ----------
    result
        The :class:`~growthzones.ScoreResult` the sites were scored with.
    sites
        A site table from :func:`growthzones.rank_sites` or
        :func:`growthzones.score_sites` (excluded and unscored rows included).
    stability
        Optional :func:`growthzones.rank_stability` table; matched by ``site_id``.

    Returns
    -------
    list of dict
        In table order. Keys: ``name``, ``site_id``, ``kind`` (``scored``, ``excluded``
        or ``not scored``), ``status`` (the site table's sentence), ``problem``,
        ``rank``, ``ranked`` (how many sites have a rank), location and score columns,
        ``criteria`` (:func:`criteria_rows`), ``exclusions`` (:func:`exclusion_states`),
        ``not_assessed``, ``nearest``, ``timeline`` (the site's grid criteria and score
        in each ETYS network year: :func:`growthzones.site_timeline` rows as dicts, empty
        for a store without network years), ``stability`` (dict or None), ``sources``
        (numbered manifest entries), ``user`` (the user's own columns as text) and
        ``caveats``.
    """
    manifest_sources = result.store.manifest.get("sources", {})
    ranked = int(pd.to_numeric(sites["rank"], errors="coerce").notna().sum()) \
        if "rank" in sites else 0
    stab = {}
    if stability is not None and len(stability) and "site_id" in stability:
        stab = {str(r["site_id"]): r for r in stability.to_dict("records")}
    mine = user_columns(sites)
    timeline = _timelines(result, sites)
    out = []
    for _, row in sites.iterrows():
        row = row.to_dict()
        problem = _text(row.get("problem"))
        score = _num(row, "score")
        kind = ("not scored" if problem or not np.isfinite(_num(row, "score_before_exclusions"))
                else "excluded" if _text(row.get("excluded_by")) else
                "scored" if np.isfinite(score) else "not scored")
        refs: dict[str, int] = {}
        crit = criteria_rows(result, row, refs) if kind != "not scored" else []
        states = exclusion_states(result, row) if kind != "not scored" else []
        x, y = _num(row, "easting"), _num(row, "northing")
        rank = row.get("rank")
        st = stab.get(_text(row.get("site_id")))
        out.append({
            "name": _text(row.get("name")), "site_id": _text(row.get("site_id")),
            "kind": kind, "status": _text(row.get("status")) or
            (f"not scored: {problem}" if problem else ""),
            "problem": problem,
            "rank": int(rank) if rank is not None and rank is not pd.NA
            and np.isfinite(float(rank)) else None,
            "ranked": ranked,
            "score": score, "score_before_exclusions": _num(row, "score_before_exclusions"),
            "national_percentile": _num(row, "national_percentile"),
            "national_percentile_before_exclusions":
                _num(row, "national_percentile_before_exclusions"),
            "coverage": _num(row, "coverage"),
            "local_authority": _text(row.get("local_authority")),
            "nation": _text(row.get("nation")),
            "easting": x, "northing": y, "lat": _num(row, "lat"), "lon": _num(row, "lon"),
            "area_ha": _num(row, "area_ha"), "land_ha": _num(row, "land_ha"),
            "share_excluded": _num(row, "share_excluded"),
            "score_min": _num(row, "score_min"), "score_max": _num(row, "score_max"),
            "region_area_km2": _num(row, "region_area_km2"),
            "partly_excluded_by": _text(row.get("partly_excluded_by")),
            "top_contributions": _text(row.get("top_contributions")),
            "criteria": crit, "exclusions": states,
            "not_assessed": not_assessed(result, row, states) if kind != "not scored" else [],
            "nearest": (nearest_infrastructure(result.store, x, y)
                        if np.isfinite(x) and np.isfinite(y) else []),
            "timeline": timeline.get(_text(row.get("site_id")), []),
            "stability": dict(st) if st is not None else None,
            "stability_attrs": dict(stability.attrs) if stability is not None else {},
            "sources": [{"n": n, "id": sid, **{k: _text(manifest_sources.get(sid, {}).get(k))
                                               for k in ("title", "data_date", "licence")}}
                        for sid, n in sorted(refs.items(), key=lambda kv: kv[1])],
            "user": [(str(c), _text(row.get(c))) for c in mine],
            "caveats": [*CAVEATS, data_dates(result.store, refs)] if refs else list(CAVEATS),
            "geometry": row.get(getattr(sites, "_geometry_column_name", "geometry")),
        })
    return out
