"""Scenarios: which criteria count, how much, through which transform, and what is excluded.

A scenario is a TOML file::

    name = "Default"
    [criteria.dist_substation_132kv_km]
    weight = 3                      # any non-negative number; normalised to sum to 1
    transform = { type = "piecewise", points = [[0, 1], [5, 0.8], [15, 0.4], [40, 0]] }
    [criteria.employment_deprivation_pct]
    weight = 1                      # transform and direction default to the criterion's
    [exclusions]
    national_parks = true
    [sites]
    top = 20
    min_separation_km = 25

The loader checks everything and reports all problems at once.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from ._errors import ScenarioError
from .catalog import REPO_ROOT
from .layers import REGISTRY
from .transforms import check_transform

DEFAULT_SCENARIO = REPO_ROOT / "scenarios" / "default.toml"
_TOP_KEYS = {"name", "description", "criteria", "exclusions", "sites"}
_CRIT_KEYS = {"weight", "transform", "direction"}
_SITE_KEYS = {"top", "min_separation_km"}


@dataclass(frozen=True)
class CriterionWeight:
    """One criterion in a scenario: its raw weight, direction and transform spec."""

    name: str
    weight: float
    direction: str
    transform: dict


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

    @property
    def weights(self) -> dict[str, float]:
        """Normalised weights (sum 1) of the criteria with a positive weight."""
        total = sum(c.weight for c in self.criteria)
        return {c.name: c.weight / total for c in self.criteria if c.weight > 0}

    def criterion(self, name: str) -> CriterionWeight:
        return next(c for c in self.criteria if c.name == name)

    def reweighted(self, **weights: float) -> Scenario:
        """A copy with new raw weights for some criteria (names may be new to the scenario).

        Example: ``scenario.reweighted(dist_substation_132kv_km=6)``.
        """
        data = self.to_dict()
        for name, w in weights.items():
            data["criteria"].setdefault(name, {})["weight"] = w
        return parse_scenario(data, source=f"{self.source} (reweighted)")

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description,
                "criteria": {c.name: {"weight": c.weight, "direction": c.direction,
                                      "transform": dict(c.transform)} for c in self.criteria},
                "exclusions": {e: True for e in self.exclusions},
                "sites": {"top": self.top, "min_separation_km": self.min_separation_km}}


def _suggest(name: str, options) -> str:
    hint = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f" Did you mean {hint[0]!r}?" if hint else ""


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_scenario(data: dict, *, source: str = "<memory>") -> Scenario:
    """Validate a scenario mapping (as read from TOML) and return a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with the fix.
    """
    problems: list[str] = []
    scored = {n for n, c in REGISTRY.items() if c.kind == "criterion"}
    excl_names = {n for n, c in REGISTRY.items() if c.kind == "exclusion"}
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(f"[{key}] unknown section.{_suggest(key, _TOP_KEYS)}")

    criteria = []
    raw = data.get("criteria") or {}
    if not isinstance(raw, dict) or not raw:
        problems.append("[criteria] no criteria given; add at least one [criteria.NAME] "
                        "table with a weight")
        raw = {}
    for name, spec in raw.items():
        where = f"[criteria.{name}]"
        if name not in scored:
            if name in excl_names:
                problems.append(f"{where} is an exclusion, not a criterion; list it under "
                                f"[exclusions] as {name} = true")
            else:
                problems.append(f"{where} unknown criterion.{_suggest(name, scored)}")
            continue
        if not isinstance(spec, dict):
            spec = {"weight": spec}  # allow `name = 2` shorthand
        for k in spec:
            if k not in _CRIT_KEYS:
                problems.append(f"{where} unknown key {k!r}.{_suggest(k, _CRIT_KEYS)}")
        w = spec.get("weight")
        if w is None:
            problems.append(f"{where} has no weight; add weight = <number >= 0>")
            w = 0.0
        elif not _is_number(w) or w != w:
            problems.append(f"{where} weight is {w!r}; weights must be numbers >= 0")
            w = 0.0
        elif w < 0:
            problems.append(f"{where} weight is {w}; weights must be >= 0")
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
        problems += [f"{where} {p}" for p in check_transform(tf)]
        criteria.append(CriterionWeight(name, float(w), direction, dict(tf)))
    if criteria and all(c.weight <= 0 for c in criteria) and not any(
            "weight" in p for p in problems):
        problems.append("[criteria] all weights are zero; give at least one criterion a "
                        "positive weight")

    exclusions = []
    raw_ex = data.get("exclusions") or {}
    for name, on in raw_ex.items():
        if name not in excl_names:
            hint = (" It is a criterion; give it a weight under [criteria]." if name in scored
                    else _suggest(name, excl_names))
            problems.append(f"[exclusions.{name}] unknown exclusion.{hint}")
        elif not isinstance(on, bool):
            problems.append(f"[exclusions.{name}] must be true or false, got {on!r}")
        elif on:
            exclusions.append(name)

    sites = data.get("sites") or {}
    for k in sites:
        if k not in _SITE_KEYS:
            problems.append(f"[sites] unknown key {k!r}.{_suggest(k, _SITE_KEYS)}")
    top = sites.get("top", 20)
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        problems.append(f"[sites] top is {top!r}; it must be a whole number >= 1")
    sep = sites.get("min_separation_km", 25.0)
    if not _is_number(sep) or sep <= 0:
        problems.append(f"[sites] min_separation_km is {sep!r}; it must be a positive number")

    if problems:
        raise ScenarioError(source, problems)
    return Scenario(name=str(data.get("name", Path(source).stem)), criteria=tuple(criteria),
                    exclusions=tuple(exclusions), top=top, min_separation_km=float(sep),
                    description=str(data.get("description", "")), source=source)


def load_scenario(path: str | os.PathLike | None = None, *,
                  weights: dict[str, float] | None = None) -> Scenario:
    """Read and validate a scenario TOML file (default: ``scenarios/default.toml``).

    Parameters
    ----------
    path
        The TOML file.
    weights
        Raw weight overrides by criterion name, checked like the file (the CLI's
        ``--weight NAME=VALUE``).
    """
    path = Path(path) if path is not None else DEFAULT_SCENARIO
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), ["file not found; check the path, or copy "
                                        "scenarios/default.toml as a start"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"cannot read the file: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [f"not valid TOML: {exc}"]) from None
    for name, w in (weights or {}).items():
        entry = data.setdefault("criteria", {}).setdefault(name, {})
        if isinstance(entry, dict):
            entry["weight"] = w
    return parse_scenario(data, source=path.name)


def with_sites(scenario: Scenario, *, top: int | None = None,
               min_separation_km: float | None = None) -> Scenario:
    """A copy with other site-extraction settings."""
    return replace(scenario, top=top if top is not None else scenario.top,
                   min_separation_km=(min_separation_km if min_separation_km is not None
                                      else scenario.min_separation_km))
