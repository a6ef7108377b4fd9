"""The validated :class:`Scenario` and :func:`parse_scenario`, which builds it from a mapping.

:class:`Scenario` lives beside its parser because its "what if" copies
(:meth:`Scenario.reweighted`, :meth:`Scenario.updated`) are re-validated by it, exactly as
a file is; keeping both in one module keeps the package free of import cycles.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .._errors import InputError, ScenarioError
from ..criteria import REGISTRY
from ..transforms import _is_finite_number, check_transform
from ._text import _checked, _is_number, _printable, _show, _suggest, _table, _toml_type
from .ahp import AHPResult, _ahp_result, _parse_pairwise
from .overrides import check_theme_scales, scale_theme_weights
from .spec import (
    _AGG_PARAMS,
    AGGREGATIONS,
    MIN_WEIGHT_SHARE,
    TOPSIS_IDEALS,
    WEIGHT_METHODS,
    Aggregation,
    Constraint,
    CriterionWeight,
    _normalised,
    check_min_separation_km,
    check_network_year,
    check_top,
)

_TOP_KEYS = {"name", "description", "criteria", "weights", "aggregation", "constraints",
             "exclusions", "sites", "themes", "network_year"}
_CRIT_KEYS = {"weight", "transform", "direction"}
_SITE_KEYS = {"top", "min_separation_km"}
_WEIGHT_KEYS = {"method", "pairwise"}
_AGG_KEYS = {"method", "orness", "order_weights", "ideal"}
_CONSTRAINT_KEYS = {"min", "max", "missing"}
#: The [exclusions] key listing exclusions that do not apply on previously developed land.
EXCEPT_PREVIOUSLY_DEVELOPED = "except_previously_developed"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build with :func:`load_scenario` or :func:`parse_scenario`."""

    name: str
    criteria: tuple[CriterionWeight, ...]
    exclusions: tuple[str, ...] = ()
    top: int = 20
    min_separation_km: float = 25.0
    description: str = ""
    source: str = "<memory>"
    weighting: str = "direct"
    ahp: AHPResult | None = None
    aggregation: Aggregation = field(default_factory=Aggregation)
    constraints: tuple[Constraint, ...] = ()
    #: exclusions lifted where a cell is previously developed (see :mod:`..scoring.masks`)
    except_previously_developed: tuple[str, ...] = ()
    #: The year whose grid the grid criteria describe (its ETYS snapshot: see
    #: :meth:`growthzones.store.LayerStore.at_network_year`); None = the store's own.
    network_year: int | None = None

    @property
    def weights(self) -> dict[str, float]:
        """Normalised weights (sum 1) of the criteria with a positive weight."""
        norm = _normalised([c.weight for c in self.criteria])
        return {c.name: w for c, w in zip(self.criteria, norm) if w > 0}

    def criterion(self, name: str) -> CriterionWeight:
        return next(c for c in self.criteria if c.name == name)

    def weights_table(self):
        """Raw and normalised weight of every criterion, as a DataFrame.

        Columns ``raw_weight``, ``weight`` (normalised, sums to 1) and ``percent``; for an
        AHP scenario ``attrs`` holds ``consistency_ratio`` and ``lambda_max``.
        """
        import pandas as pd

        df = pd.DataFrame({"raw_weight": [c.weight for c in self.criteria],
                           "weight": _normalised([c.weight for c in self.criteria])},
                          index=pd.Index([c.name for c in self.criteria], name="criterion"))
        df["percent"] = (100 * df["weight"]).round(1)
        df.attrs["method"] = self.weighting
        if self.ahp is not None:
            df.attrs["consistency_ratio"] = self.ahp.consistency_ratio
            df.attrs["lambda_max"] = self.ahp.lambda_max
        return df

    def reweighted(self, **weights: float) -> Scenario:
        """A copy with new raw weights for some criteria (names may be new to the scenario).

        An AHP scenario becomes a direct-weight one: its AHP weights are the starting raw
        weights and the pairwise table is dropped.

        Example: ``scenario.reweighted(dist_substation_132kv_km=6)``.

        Raises
        ------
        ScenarioError
            An unknown name (with a suggestion), or a weight that is not a finite number
            >= 0, checked like a file.
        """
        data = self.to_dict(direct=True)
        for name, w in weights.items():
            data["criteria"].setdefault(name, {})["weight"] = w
        return parse_scenario(data, source=f"{self.source} (reweighted)")

    def updated(self, changes: dict) -> Scenario:
        """A copy with some sections replaced, validated like a file.

        Example: ``scenario.updated({"aggregation": {"method": "topsis"}})``.
        """
        if not isinstance(changes, Mapping):
            raise InputError(f"changes is a {type(changes).__name__}; give a mapping of "
                             f"section name to new content, e.g. {{'sites': {{'top': 10}}}}")
        data = self.to_dict()
        for key, value in changes.items():
            data[key] = copy.deepcopy(value)
        return parse_scenario(data, source=f"{self.source} (updated)")

    def to_dict(self, *, direct: bool = False) -> dict:
        """The scenario as a TOML-shaped mapping; ``parse_scenario`` reads it back.

        ``direct=True`` writes AHP weights as direct weights (no pairwise table).
        """
        ahp = self.weighting == "ahp" and not direct
        crit = {}
        for c in self.criteria:
            entry = {"direction": c.direction, "transform": dict(c.transform)}
            if not ahp:
                entry = {"weight": c.weight, **entry}
            crit[c.name] = entry
        data = {"name": self.name, "description": self.description, "criteria": crit}
        if self.network_year is not None:
            data["network_year"] = self.network_year
        if ahp:
            pairwise: dict = {}
            for a, b, v in self.ahp.judgements:
                pairwise.setdefault(a, {})[b] = v
            data["weights"] = {"method": "ahp", "pairwise": pairwise}
        # Sections at their defaults are left out, so old scenarios round-trip unchanged.
        if self.aggregation != Aggregation():
            data["aggregation"] = self.aggregation.to_dict()
        if self.constraints:
            data["constraints"] = {c.name: c.to_dict() for c in self.constraints}
        data["exclusions"] = {e: True for e in self.exclusions}
        if self.except_previously_developed:
            data["exclusions"][EXCEPT_PREVIOUSLY_DEVELOPED] = list(
                self.except_previously_developed)
        data["sites"] = {"top": self.top, "min_separation_km": self.min_separation_km}
        return data


def _parse_aggregation(raw, n_weighted: int, problems: list[str]) -> Aggregation:
    if raw is None:
        return Aggregation()
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, dict):
        problems.append(f"[aggregation] is {_toml_type(raw)} ({_show(raw)}); it must be a "
                        f"table with a method, e.g. method = \"wlc\"")
        return Aggregation()
    for k in raw:
        if k not in _AGG_KEYS:
            hint = _suggest(k, _AGG_KEYS) or f" It takes: {', '.join(sorted(_AGG_KEYS))}"
            problems.append(f"[aggregation] unknown key {k!r}.{hint}")
    method = raw.get("method", "wlc")
    if method not in AGGREGATIONS:
        problems.append(f"[aggregation] unknown method {method!r}.{_suggest(method, AGGREGATIONS)}"
                        f" Use one of {', '.join(AGGREGATIONS)}")
        return Aggregation()
    for k in set(raw) & (_AGG_KEYS - {"method"}) - _AGG_PARAMS[method]:
        owner = next(m for m, ks in _AGG_PARAMS.items() if k in ks)
        problems.append(f"[aggregation] {k} applies only to method = {owner!r}, not {method!r}")
    ideal = raw.get("ideal", "data")
    if method == "topsis" and ideal not in TOPSIS_IDEALS:
        problems.append(f"[aggregation] ideal is {ideal!r}; use 'data' (best and worst land "
                        f"cell per criterion) or 'fixed' (1 and 0)")
    orness, order = raw.get("orness"), raw.get("order_weights")
    if method == "owa":
        if (orness is None) == (order is None):
            problems.append("[aggregation] method 'owa' needs exactly one of orness "
                            "(0 < orness < 1; 0.5 = WLC) or order_weights (one per weighted "
                            "criterion, best-valued first)")
        elif orness is not None and (not _is_number(orness) or not 0 < orness < 1):
            problems.append(f"[aggregation] orness is {orness!r}; it must lie strictly between "
                            f"0 (all criteria must be good) and 1 (one good criterion suffices)")
        elif order is not None:
            ok = (isinstance(order, (list, tuple)) and order
                  and all(_is_finite_number(v) and v >= 0 for v in order) and max(order) > 0)
            if not ok:
                problems.append(f"[aggregation] order_weights is {order!r}; give a list of "
                                f"non-negative numbers, not all zero")
            elif len(order) != n_weighted:
                problems.append(f"[aggregation] order_weights has {len(order)} values but "
                                f"{n_weighted} criteria have a weight; give one per criterion")
            else:
                order = tuple(_normalised([float(v) for v in order]))
    return Aggregation(method=method,
                       orness=float(orness) if _is_finite_number(orness) else None,
                       order_weights=tuple(order) if isinstance(order, (list, tuple)) else None,
                       ideal=ideal if ideal in TOPSIS_IDEALS else "data")


def _known_criterion(where: str, name: str, scored: set[str], excl_names: set[str],
                     problems: list[str]) -> bool:
    """True if ``name`` is a scored criterion; else record the problem with its fix."""
    if name in scored:
        return True
    if name in excl_names:
        problems.append(f"{where} is an exclusion, not a criterion; list it under "
                        f"[exclusions] as {name} = true")
    else:
        problems.append(f"{where} unknown criterion.{_suggest(name, scored)}")
    return False


def _parse_constraints(raw, scored: set[str], excl_names: set[str],
                       problems: list[str]) -> list[Constraint]:
    out = []
    if not isinstance(raw, dict):
        problems.append(f"[constraints] is {_toml_type(raw)} ({_show(raw)}); it must be a "
                        f"table like NAME = {{ max = 10 }}")
        return out
    for name, spec in raw.items():
        where = f"[constraints.{name}]"
        if not _known_criterion(where, name, scored, excl_names, problems):
            continue
        if not isinstance(spec, dict):
            problems.append(f"{where} must be a table like {{ max = 10 }} or {{ min = 5 }}")
            continue
        bad = False
        for k in spec:
            if k not in _CONSTRAINT_KEYS:
                problems.append(f"{where} unknown key {k!r}.{_suggest(k, _CONSTRAINT_KEYS)}")
                bad = True
        lo, hi = spec.get("min"), spec.get("max")
        if lo is None and hi is None:
            problems.append(f"{where} needs min and/or max (in {REGISTRY[name].unit})")
            continue
        for k, v in (("min", lo), ("max", hi)):
            if v is not None and not _is_finite_number(v):
                problems.append(f"{where} {k} is {v!r}; it must be a finite number")
                bad = True
        if not bad and lo is not None and hi is not None and lo > hi:
            problems.append(f"{where} min {lo} is above max {hi}")
            bad = True
        missing = spec.get("missing", "keep")
        if missing not in ("keep", "exclude"):
            problems.append(f"{where} missing is {missing!r}; use 'keep' (no data: keep the "
                            f"cell, flagged unassessed) or 'exclude'")
            bad = True
        if not bad:
            out.append(Constraint(name, None if lo is None else float(lo),
                                  None if hi is None else float(hi), missing))
    return out


def _parse_exceptions(raw, exclusions: list[str], excl_names: set[str],
                      problems: list[str]) -> tuple[str, ...]:
    """The ``[exclusions] except_previously_developed`` list, checked: names of exclusions
    this scenario turns on (each once, in the order given)."""
    if raw is None:
        return ()
    where = f"[exclusions] {EXCEPT_PREVIOUSLY_DEVELOPED}"
    example = f'{EXCEPT_PREVIOUSLY_DEVELOPED} = ["national_parks"]'
    if not isinstance(raw, (list, tuple)) or not all(isinstance(n, str) for n in raw):
        problems.append(f"{where} is {_toml_type(raw)} ({_show(raw)}); it must be a list of "
                        f"exclusion names, e.g. {example}")
        return ()
    out = []
    for name in raw:
        if name not in excl_names:
            hint = _suggest(name, excl_names) or (
                f" Valid exclusions: {', '.join(sorted(excl_names))}.")
            problems.append(f"{where} names {name!r}, an unknown exclusion.{hint}")
        elif name not in exclusions:
            problems.append(f"{where} names {name!r}, which this scenario does not exclude; "
                            f"add {name} = true or drop it from the list")
        elif name not in out:
            out.append(name)
    return tuple(out)


def parse_scenario(data: dict, *, source: str = "<memory>") -> Scenario:
    """Validate a scenario mapping (as read from TOML) and return a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with the fix.
    """
    if not isinstance(source, str):
        raise InputError(f"source is {_show(source)}; give a string naming where the "
                         f"scenario came from, e.g. 'my.toml'")
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [f"the scenario is {_toml_type(data)} ({_show(data)}); it "
                                     f"must be a table with a [criteria] section"])
    data = dict(data)
    problems: list[str] = []
    scored = {n for n, c in REGISTRY.items() if c.kind == "criterion"}
    excl_names = {n for n, c in REGISTRY.items() if c.kind == "exclusion"}
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(f"[{key}] unknown section.{_suggest(key, _TOP_KEYS)}")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key} is {_toml_type(data[key])} ({_show(data[key])}); it must "
                            f"be a string, e.g. {key} = \"Grid first\"")

    wsec = _table(data, "weights", problems, 'method = "direct"')
    for k in wsec:
        if k not in _WEIGHT_KEYS:
            problems.append(f"[weights] unknown key {k!r}.{_suggest(k, _WEIGHT_KEYS)}")
    method = wsec.get("method", "direct")
    if method not in WEIGHT_METHODS:
        problems.append(f"[weights] method is {method!r}; use 'direct' (each criterion's "
                        f"weight) or 'ahp' (pairwise comparisons)")
        method = "direct"
    is_ahp = method == "ahp"
    if "pairwise" in wsec and not is_ahp:
        problems.append("[weights] pairwise judgements need method = \"ahp\"")

    criteria: list[CriterionWeight] = []
    raw = data.get("criteria")
    if raw is not None and not isinstance(raw, dict):
        problems.append(f"[criteria] is {_toml_type(raw)} ({_show(raw)}); it must be a table "
                        f"of [criteria.NAME] tables, each with a weight")
        raw = {}
    elif not raw and not is_ahp:
        problems.append("[criteria] no criteria given; add at least one [criteria.NAME] "
                        "table with a weight")
        raw = {}
    raw = raw or {}
    tsec = _table(data, "themes", problems, "[themes] grid_capacity = 2")
    if tsec and is_ahp:
        problems.append("[themes] scales direct weights; with method = \"ahp\" change the "
                        "pairwise judgements instead")
    elif tsec:  # theme scales first (see growthzones.scenario.overrides)
        scales = _checked(problems, lambda: check_theme_scales(tsec, "[themes]"))
        if scales:
            raw = copy.deepcopy(raw)
            problems.extend(scale_theme_weights(raw, scales, "[themes]"))

    def _criterion(name, spec) -> CriterionWeight | None:
        where = f"[criteria.{name}]"
        if not _known_criterion(where, name, scored, excl_names, problems):
            return None
        if not isinstance(spec, dict):
            spec = {"weight": spec}  # allow `name = 2` shorthand
        for k in spec:
            if k not in _CRIT_KEYS:
                problems.append(f"{where} unknown key {k!r}.{_suggest(k, _CRIT_KEYS)}")
        w = spec.get("weight")
        if is_ahp:
            if w is not None:
                problems.append(f"{where} weight is set by the AHP judgements in "
                                f"[weights.pairwise]; remove it (or use method = \"direct\")")
            w = 0.0
        elif w is None:
            problems.append(f"{where} has no weight; add weight = <number >= 0>")
            w = 0.0
        elif not _is_finite_number(w):
            problems.append(f"{where} weight is {_show(w)}; weights must be finite numbers >= 0")
            w = 0.0
        elif w < 0:
            problems.append(f"{where} weight is {w}; weights must be >= 0")
            w = 0.0
        crit = REGISTRY[name]
        direction = spec.get("direction", crit.direction)
        if direction not in ("max", "min"):
            problems.append(f"{where} direction is {direction!r}; use 'max' (more is better) "
                            f"or 'min' (less is better)")
        tf = spec.get("transform", crit.default_transform)
        if isinstance(tf, str):
            tf = {"type": tf}
        if not isinstance(tf, dict):
            problems.append(f"{where} transform must be a name or a table with a type")
            tf = {"type": "linear"}
        problems.extend(f"{where} {p}" for p in check_transform(tf))
        return CriterionWeight(name, float(w), direction, dict(tf))

    for name, spec in raw.items():
        c = _criterion(name, spec)
        if c is not None:
            criteria.append(c)

    ahp = None
    if is_ahp:
        judgements, written, order, mentioned = _parse_pairwise(wsec.get("pairwise"), scored,
                                                                problems)
        have = [c.name for c in criteria]
        for n in order:  # criteria named only in the judgements get their defaults
            if n not in have and n not in raw:
                criteria.append(_criterion(n, {}))
                have.append(n)
        if mentioned and have:
            ahp = _ahp_result(have, judgements, written, mentioned, problems)
            if ahp is not None:
                wmap = dict(zip(ahp.names, ahp.weights))
                criteria = [replace(c, weight=wmap[c.name]) for c in criteria]
    elif criteria and all(c.weight <= 0 for c in criteria) and not any(
            "weight" in p for p in problems):
        problems.append("[criteria] all weights are zero; give at least one criterion a "
                        "positive weight")
    elif criteria:
        biggest = max(criteria, key=lambda c: c.weight)
        for c in criteria:
            if 0 < c.weight < MIN_WEIGHT_SHARE * biggest.weight:
                problems.append(
                    f"[criteria.{c.name}] weight {c.weight:g} is below a billionth of the "
                    f"largest ({biggest.name} {biggest.weight:g}): it would change no score; "
                    f"give it 0 or a weight on the same scale")

    n_weighted = sum(c.weight > 0 for c in criteria) if not is_ahp else len(criteria)
    aggregation = _parse_aggregation(data.get("aggregation"), n_weighted, problems)
    constraints = _parse_constraints(data.get("constraints", {}), scored, excl_names, problems)

    exclusions = []
    raw_ex = dict(_table(data, "exclusions", problems, "[exclusions] national_parks = true"))
    excepted = raw_ex.pop(EXCEPT_PREVIOUSLY_DEVELOPED, None)
    for name, on in raw_ex.items():
        if name not in excl_names:
            hint = (" It is a criterion; give it a weight under [criteria], or a threshold "
                    "under [constraints]." if name in scored else
                    _suggest(name, excl_names | {EXCEPT_PREVIOUSLY_DEVELOPED}) or
                    f" Valid exclusions: {', '.join(sorted(excl_names))}.")
            problems.append(f"[exclusions.{name}] unknown exclusion.{hint}")
        elif not isinstance(on, bool):
            problems.append(f"[exclusions.{name}] must be true or false, got {on!r}")
        elif on:
            exclusions.append(name)
    excepted = _parse_exceptions(excepted, exclusions, excl_names, problems)

    network_year = None
    if data.get("network_year") is not None:
        network_year = _checked(problems, lambda: check_network_year(data["network_year"],
                                                                     "network_year"))

    sites = _table(data, "sites", problems, "[sites] top = 20")
    for k in sites:
        if k not in _SITE_KEYS:
            problems.append(f"[sites] unknown key {k!r}.{_suggest(k, _SITE_KEYS)}")
    top = _checked(problems, lambda: check_top(sites.get("top", 20), "[sites] top"))
    sep = _checked(problems, lambda: check_min_separation_km(
        sites.get("min_separation_km", 25.0), "[sites] min_separation_km"))

    if problems:
        raise ScenarioError(source, [_printable(p) for p in problems])
    return Scenario(name=str(data.get("name", Path(source).stem)), criteria=tuple(criteria),
                    exclusions=tuple(exclusions), top=top, min_separation_km=sep,
                    description=str(data.get("description", "")), source=source,
                    weighting=method, ahp=ahp, aggregation=aggregation,
                    constraints=tuple(constraints), except_previously_developed=excepted,
                    network_year=network_year)
