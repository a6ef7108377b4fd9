"""AHP weights: Saaty's pairwise comparisons, the eigenvector and the consistency ratio.

``[weights] method = "ahp"`` takes the criterion weights from ``[weights.pairwise]``
judgements (see :mod:`growthzones.scenario`). :func:`ahp_weights` is the pure kernel on a
matrix; ``_parse_pairwise`` and ``_ahp_result`` read and check the judgements as written
in a scenario, recording each problem instead of raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ..criteria import REGISTRY
from ..transforms import _is_finite_number
from ._text import _is_number, _suggest

MAX_CONSISTENCY_RATIO = 0.1
#: Saaty's random consistency index RI by matrix size n (Saaty 1980; n > 10: Saaty 2005).
SAATY_RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                      9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


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
