"""Scenarios: which criteria count, how much, how they combine, and what is ruled out.

A scenario is a TOML file. Every section but ``[criteria]`` is optional::

    name = "Default"
    description = "Grid first."

    [criteria.dist_substation_132kv_km]
    weight = 3                      # any non-negative number; normalised to sum to 1
    transform = { type = "piecewise", points = [[0, 1], [5, 0.8], [15, 0.4], [40, 0]] }
    [criteria.employment_deprivation_pct]
    weight = 1                      # transform and direction default to the criterion's

    [aggregation]                   # how transformed criteria combine (default: wlc)
    method = "wlc"                  # "wlc" | "topsis" | "owa"

    [constraints]                   # hard thresholds on raw values, applied after aggregation
    dist_substation_132kv_km = { max = 10 }            # "a substation within 10 km"

    [exclusions]
    national_parks = true

    [sites]
    top = 20
    min_separation_km = 25

**Weights.** ``[weights] method = "direct"`` (the default) takes each criterion's
``weight``; :attr:`Scenario.weights` reports them normalised to sum to 1. With
``method = "ahp"`` the weights come from Saaty's pairwise comparisons instead, and the
``[criteria.*]`` tables only set transforms (no ``weight`` keys)::

    [weights]
    method = "ahp"
    [weights.pairwise]              # row = { column = how many times more important }
    dist_substation_132kv_km = { dist_transmission_km = 1, employment_deprivation_pct = 3,
                                 dist_ixp_km = 5 }
    dist_transmission_km = { employment_deprivation_pct = 3, dist_ixp_km = 5 }
    employment_deprivation_pct = { dist_ixp_km = "2" }  # numbers or "1/3"-style strings

Judgements use Saaty's 1/9 .. 9 scale; every pair of criteria needs exactly one (either
way round). The weights are the principal eigenvector of the reciprocal matrix; its
consistency ratio :math:`CR = ((\\lambda_{max} - n)/(n - 1)) / RI_n` (Saaty's random
index) must be at most 0.1, else the error names the most inconsistent judgement.

**Aggregation.** ``wlc`` (weighted linear combination), ``topsis`` (closeness to the
ideal: ``ideal = "data"``, the best and worst land cell per criterion as in
scikit-criteria, or ``"fixed"``: 1 and 0), ``owa`` (ordered weighted averaging with
criterion importance, Yager/Torra WOWA: ``orness = 0.3``, from 0 = every criterion must be
good, through 0.5 = WLC, to 1 = one good criterion suffices; or ``order_weights = [...]``,
one per weighted criterion, best-valued first). See :mod:`growthzones.scoring`.

**Constraints.** ``NAME = { min = a, max = b, missing = "keep" | "exclude" }`` on any
criterion's raw value (its unit), inclusive; cells outside are excluded after
aggregation and report the constraint as the reason. Where the criterion has no data the
cell is kept and flagged unassessed (``missing = "keep"``, the default) or excluded.

The loader checks everything and reports all problems at once (:class:`ScenarioError`);
unknown names and keys are errors with a suggestion, never silently remapped. Every value
must have the type shown above: a section is a table, ``name`` and ``description`` are
strings, a number is a finite number (no ``nan``/``inf``, no dates, no text, no integer
beyond float range). Bounds:

* weights: any finite number >= 0. They are normalised by dividing by the largest first,
  so ``1e308`` twice is fine (0.5 each, no overflow). A positive weight below
  :data:`MIN_WEIGHT_SHARE` (a billionth) of the largest is refused: it would change no
  score and is almost always a typo.
* ``[sites] top``: a whole number 1 .. :data:`MAX_TOP`; ``min_separation_km``: > 0 and
  <= :data:`MAX_SEPARATION_KM` (GB is 700 x 1,250 km: a wider separation can only ever
  give one site). The CLI's ``--top`` and ``--min-separation-km`` go through the same checks.
* transform parameters: see :func:`growthzones.transforms.check_transform`.
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import math
import numbers
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ._errors import GrowthZonesError, InputError, ScenarioError
from ._validate import number, whole_number
from .catalog import REPO_ROOT
from .criteria import REGISTRY
from .transforms import _is_finite_number, check_transform

DEFAULT_SCENARIO = REPO_ROOT / "scenarios" / "default.toml"
_TOP_KEYS = {"name", "description", "criteria", "weights", "aggregation", "constraints",
             "exclusions", "sites"}
_CRIT_KEYS = {"weight", "transform", "direction"}
_SITE_KEYS = {"top", "min_separation_km"}
_WEIGHT_KEYS = {"method", "pairwise"}
_AGG_KEYS = {"method", "orness", "order_weights", "ideal"}
_CONSTRAINT_KEYS = {"min", "max", "missing"}

WEIGHT_METHODS = ("direct", "ahp")
AGGREGATIONS = ("wlc", "topsis", "owa")
#: which [aggregation] keys each method takes
_AGG_PARAMS = {"wlc": set(), "topsis": {"ideal"}, "owa": {"orness", "order_weights"}}
TOPSIS_IDEALS = ("data", "fixed")
MAX_CONSISTENCY_RATIO = 0.1
#: Saaty's random consistency index RI by matrix size n (Saaty 1980; n > 10: Saaty 2005).
#: Most sites a scenario (or ``--top``) may ask for: a shortlist, not every cell.
MAX_TOP = 10_000
#: Widest site separation (km): GB spans 700 x 1,250 km, so more can only give one site.
MAX_SEPARATION_KM = 1_500.0
#: A positive weight below this share of the largest weight is refused (see the module doc).
MIN_WEIGHT_SHARE = 1e-9
SAATY_RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                      9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


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


@dataclass(frozen=True)
class AHPResult:
    """Weights derived from a pairwise comparison matrix.

    Attributes
    ----------
    names
        Criteria in matrix order.
    matrix
        The reciprocal matrix, ``matrix[i][j]`` = how many times more important i is than j.
    weights
        Principal eigenvector, normalised to sum 1.
    lambda_max, consistency_index, consistency_ratio
        :math:`\\lambda_{max}`, :math:`CI = (\\lambda_{max} - n)/(n - 1)`, :math:`CR = CI / RI_n`.
    judgements
        The judgements as written in the scenario: (row, column, value) triples.
    """

    names: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    judgements: tuple[tuple[str, str, float | str], ...] = ()

    def most_inconsistent(self) -> tuple[str, str, float, float]:
        """The judgement furthest from what the weights imply.

        Returns ``(row, column, given, implied)`` with ``implied = w_row / w_column``; the
        distance is :math:`|\\ln(a_{ij} w_j / w_i)|` (Saaty's :math:`\\varepsilon_{ij}`).
        """
        a, w = np.asarray(self.matrix), np.asarray(self.weights)
        err = np.abs(np.log(a * w[None, :] / w[:, None]))
        i, j = np.unravel_index(int(np.argmax(np.triu(err, 1))), err.shape)
        return self.names[i], self.names[j], float(a[i, j]), float(w[i] / w[j])


def ahp_weights(matrix) -> tuple[np.ndarray, float, float, float]:
    """Saaty's eigenvector weights and consistency of a positive reciprocal matrix.

    .. math:: A w = \\lambda_{max} w, \\quad CI = \\frac{\\lambda_{max} - n}{n - 1},
              \\quad CR = CI / RI_n

    Parameters
    ----------
    matrix
        (n, n) positive reciprocal matrix, n <= 15.

    Returns
    -------
    weights, lambda_max, consistency_index, consistency_ratio
        ``weights`` sums to 1. CI and CR are 0 for n <= 2 (always consistent).

    Examples
    --------
    >>> w, lam, ci, cr = ahp_weights([[1, 3], [1 / 3, 1]])
    >>> w.round(3).tolist(), round(cr, 3)
    ([0.75, 0.25], 0.0)
    """
    a = _ahp_matrix(matrix)
    n = a.shape[0]
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    if n <= 2:
        return w, float(n), 0.0, 0.0
    ci = max((lam - n) / (n - 1), 0.0)
    return w, lam, ci, ci / SAATY_RANDOM_INDEX[n]


def _ahp_matrix(matrix) -> np.ndarray:
    """``matrix`` as a checked (n, n) positive reciprocal float array, else InputError."""
    fix = "give an (n, n) table of positive numbers with a[j][i] = 1 / a[i][j], e.g. [[1, 3], [1/3, 1]]"
    try:
        a = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"AHP matrix is {str(matrix)[:60]!r}; {fix}") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise InputError(f"AHP matrix has shape {a.shape}; it must be square: {fix}")
    n = a.shape[0]
    if n > max(SAATY_RANDOM_INDEX):
        raise InputError(f"AHP supports at most {max(SAATY_RANDOM_INDEX)} criteria "
                         f"(Saaty's random index table), got {n}; use direct weights")
    bad = np.argwhere(~np.isfinite(a) | (a <= 0))
    if bad.size:
        i, j = bad[0]
        raise InputError(f"AHP matrix[{i}][{j}] is {a[i, j]:g}; every entry must be a finite "
                         f"number > 0 ({fix})")
    off = np.argwhere(np.abs(a * a.T - 1) > 1e-6)
    if off.size:
        i, j = off[0]
        what = (f"matrix[{i}][{i}] is {a[i, i]:g}; the diagonal must be 1" if i == j else
                f"matrix[{i}][{j}] is {a[i, j]:g} but matrix[{j}][{i}] is {a[j, i]:g}; a "
                f"reciprocal matrix needs matrix[{j}][{i}] = 1 / {a[i, j]:g} = {1 / a[i, j]:.4g}")
        raise InputError(f"AHP {what}")
    return a


def _normalised(raw: list[float]) -> list[float]:
    """Weights divided by their sum without overflow: by the largest first (1e308 + 1e308)."""
    top = max(raw, default=0.0)
    if not top > 0:
        return [0.0 for _ in raw]
    scaled = [w / top for w in raw]
    total = math.fsum(scaled)
    return [w / total for w in scaled]


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
        data["sites"] = {"top": self.top, "min_separation_km": self.min_separation_km}
        return data


def _suggest(name: str, options) -> str:
    hint = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.5)
    return f" Did you mean {hint[0]!r}?" if hint else ""


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _toml_type(v) -> str:
    """How TOML calls the type of ``v``: 'a table', 'an array', 'a date', ..."""
    if isinstance(v, Mapping):
        return "a table"
    if isinstance(v, (list, tuple)):
        return "an array"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return "a date/time"
    if _is_number(v):
        return "a number"
    return f"a {type(v).__name__}"


def _show(v) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _table(data: dict, key: str, problems: list[str], example: str) -> dict:
    """``data[key]`` if it is a table (missing: {}); otherwise record the problem."""
    v = data.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        problems.append(f"[{key}] is {_toml_type(v)} ({_show(v)}); it must be a table, "
                        f"e.g. {example}")
        return {}
    return v


def _printable(text: str) -> str:
    """``text`` with control characters escaped (a key may hold a newline): one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _checked(problems: list[str], fn):
    """Run one shared check; record its message instead of raising. None if it failed."""
    try:
        return fn()
    except GrowthZonesError as exc:
        problems.append(exc.one_line())
        return None


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


def _judgement(v) -> float | None:
    """A pairwise judgement as a float: a number or a ``"p/q"`` string; None if invalid."""
    if _is_number(v):
        if not _is_finite_number(v):
            return None
        x = float(v)
    elif isinstance(v, str):
        p, sep, q = v.strip().partition("/")
        try:
            x = float(p) / float(q) if sep else float(p)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
    else:
        return None
    return x if math.isfinite(x) and x > 0 else None


def _parse_pairwise(raw, names_known: set[str], problems: list[str]):
    """Judgements {(a, b): value} and names in order of appearance."""
    judgements: dict[tuple[str, str], float] = {}
    written: list[tuple[str, str, float | str]] = []
    order: list[str] = []
    mentioned: set[frozenset] = set()
    if not isinstance(raw, dict) or not raw:
        problems.append("[weights.pairwise] method 'ahp' needs pairwise judgements, e.g. "
                        "[weights.pairwise] a = { b = 3 } (a is 3 times as important as b)")
        return judgements, written, order, mentioned
    excl = {n for n, c in REGISTRY.items() if c.kind == "exclusion"}

    def known(n, where):
        if n in names_known:
            return True
        if n in excl:
            problems.append(f"{where} {n} is an exclusion, not a criterion; list it under "
                            f"[exclusions]")
        else:
            problems.append(f"{where} unknown criterion {n!r}.{_suggest(n, names_known)}")
        return False

    for a, row in raw.items():
        where = f"[weights.pairwise.{a}]"
        if not known(a, "[weights.pairwise]"):
            continue
        if not isinstance(row, dict):
            problems.append(f"{where} must be a table like {{ other_criterion = 3 }}")
            continue
        for b, v in row.items():
            if not known(b, where):
                continue
            if a not in order:
                order.append(a)
            if b not in order:
                order.append(b)
            mentioned.add(frozenset((a, b)))
            x = _judgement(v)
            if b == a:
                if x != 1:
                    problems.append(f"{where} compares {a} with itself; remove it")
                continue
            if x is None:
                problems.append(f"{where} {b} = {v!r} is not a positive number or 'p/q'")
                continue
            if not 1 / 9 - 1e-9 <= x <= 9 + 1e-9:
                problems.append(f"{where} {b} = {v!r} is outside Saaty's scale 1/9 .. 9 "
                                f"(3 = {a} moderately more important than {b})")
                continue
            if (b, a) in judgements and abs(judgements[(b, a)] * x - 1) > 1e-6:
                problems.append(f"{where} {b} = {v!r} contradicts {b} = {{ {a} = "
                                f"{judgements[(b, a)]:g} }}; give each pair once")
                continue
            judgements[(a, b)] = x
            written.append((a, b, v))
    return judgements, written, order, mentioned


def _ahp_result(names: list[str], judgements, written, mentioned,
                problems: list[str]) -> AHPResult | None:
    n = len(names)
    a = np.ones((n, n))
    missing, invalid = [], False
    for i in range(n):
        for j in range(i + 1, n):
            x = judgements.get((names[i], names[j]))
            if x is None and (names[j], names[i]) in judgements:
                x = 1 / judgements[(names[j], names[i])]
            if x is None:
                if frozenset((names[i], names[j])) in mentioned:
                    invalid = True  # already reported as invalid
                else:
                    missing.append(f"{names[i]} vs {names[j]}")
                continue
            a[i, j], a[j, i] = x, 1 / x
    if missing:
        problems.append(f"[weights.pairwise] missing judgement{'s' if len(missing) > 1 else ''} "
                        f"for {', '.join(missing)}; every pair of weighted criteria needs one")
    if missing or invalid:
        return None
    if n > max(SAATY_RANDOM_INDEX):
        problems.append(f"[weights.pairwise] AHP supports at most {max(SAATY_RANDOM_INDEX)} "
                        f"criteria, got {n}; use direct weights")
        return None
    w, lam, ci, cr = ahp_weights(a)
    res = AHPResult(names=tuple(names), matrix=tuple(map(tuple, a.tolist())),
                    weights=tuple(w.tolist()), lambda_max=lam, consistency_index=ci,
                    consistency_ratio=cr, judgements=tuple(written))
    if cr > MAX_CONSISTENCY_RATIO:
        r, c, given, implied = res.most_inconsistent()
        as_written = {(x, y): v for x, y, v in written}
        if (r, c) not in as_written and (c, r) in as_written:  # report it the way it was written
            r, c, given, implied = c, r, 1 / given, 1 / implied
        shown = as_written.get((r, c), f"{given:.3g}")
        problems.append(
            f"[weights.pairwise] consistency ratio is {cr:.3f}, above {MAX_CONSISTENCY_RATIO}: "
            f"the judgements contradict each other. The most inconsistent pair is {r} vs {c}: "
            f"given {shown}, the other judgements imply about {implied:.2g}; revise it")
    return res


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
    raw_ex = _table(data, "exclusions", problems, "[exclusions] national_parks = true")
    for name, on in raw_ex.items():
        if name not in excl_names:
            hint = (" It is a criterion; give it a weight under [criteria], or a threshold "
                    "under [constraints]." if name in scored else _suggest(name, excl_names))
            problems.append(f"[exclusions.{name}] unknown exclusion.{hint}")
        elif not isinstance(on, bool):
            problems.append(f"[exclusions.{name}] must be true or false, got {on!r}")
        elif on:
            exclusions.append(name)

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
                    constraints=tuple(constraints))


def load_scenario(path: str | os.PathLike | None = None, *,
                  weights: dict[str, float] | None = None) -> Scenario:
    """Read and validate a scenario TOML file (default: ``scenarios/default.toml``).

    Parameters
    ----------
    path
        The TOML file.
    weights
        Raw weight overrides by criterion name, checked like the file (the CLI's
        ``--weight NAME=VALUE``). On an AHP scenario they apply to the AHP weights, which
        makes it a direct-weight scenario (see :meth:`Scenario.reweighted`).
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise InputError(f"path is {_show(path)} ({type(path).__name__}); give the scenario "
                         f"file as a str or Path, e.g. 'scenarios/default.toml'")
    if weights is not None and (not isinstance(weights, Mapping) or not all(
            isinstance(k, str) for k in weights)):
        raise InputError(f"weights is {_show(weights)}; give a mapping of criterion name to "
                         f"raw weight, e.g. {{'dist_ixp_km': 2}}")
    path = Path(path) if path is not None else DEFAULT_SCENARIO
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), ["file not found; check the path, or copy "
                                        "scenarios/default.toml as a start"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"cannot read the file: {exc}"]) from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ScenarioError(str(path), [f"not valid TOML: {exc}"]) from None
    wsec = data.get("weights")
    if weights and isinstance(wsec, dict) and wsec.get("method") == "ahp":
        return parse_scenario(data, source=path.name).reweighted(**weights)
    crit = data.setdefault("criteria", {}) if weights else None
    for name, w in (weights or {}).items():
        if not isinstance(crit, dict):
            break  # parse_scenario reports that [criteria] is not a table
        entry = crit.setdefault(name, {})
        if isinstance(entry, dict):
            entry["weight"] = w
        elif _is_number(entry):  # the `name = 2` shorthand: the override replaces it
            crit[name] = w
    return parse_scenario(data, source=path.name)


def with_sites(scenario: Scenario, *, top: int | None = None,
               min_separation_km: float | None = None) -> Scenario:
    """A copy with other site-extraction settings, checked as ``[sites]`` in a file is.

    Raises
    ------
    InputError
        ``top`` not a whole number 1 .. MAX_TOP, or ``min_separation_km`` not a finite
        number in (0, MAX_SEPARATION_KM].
    """
    if not isinstance(scenario, Scenario):
        raise InputError(f"scenario is a {type(scenario).__name__}; give a Scenario "
                         f"(from load_scenario)")
    return replace(scenario, top=check_top(top) if top is not None else scenario.top,
                   min_separation_km=(check_min_separation_km(min_separation_km)
                                      if min_separation_km is not None
                                      else scenario.min_separation_km))
