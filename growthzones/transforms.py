"""Transforms that turn a criterion's raw values into a [0, 1] suitability (1 = best).

All are pure functions over 1-D arrays; NaN (no data) stays NaN. ``direction`` is
``"max"`` (more is better) or ``"min"`` (less is better).

========== ========================================================================
linear     :math:`t = (x - lo) / (hi - lo)` (max) or :math:`(hi - x) / (hi - lo)` (min),
           with lo/hi the national minimum and maximum over land cells with data.
           A constant criterion (hi == lo) gives 0.5 everywhere: it carries no
           information, shifts every score equally and never reorders cells.
piecewise  :math:`t = \\mathrm{interp}(x, x_k, y_k)`, a value curve through the points
           ``[[x_0, y_0], ...]`` (x ascending, y in [0, 1]), flat beyond the ends. The
           curve states the direction itself.
decay      :math:`t = 2^{-x / h}` (min) or :math:`1 - 2^{-x / h}` (max), with half-distance
           ``half_distance`` = h in the criterion's unit; negative x is treated as 0.
threshold  :math:`t = [x \\le v]` (min) or :math:`[x \\ge v]` (max), with ``value`` = v.
percentile :math:`t = (r - 1) / (n - 1)`, r the average rank of x among the n cells
           with data (ascending for max, descending for min); 0.5 if n == 1.
========== ========================================================================
"""

from __future__ import annotations

import numpy as np

#: transform name -> {parameter: required?}
TRANSFORMS: dict[str, dict[str, bool]] = {
    "linear": {},
    "piecewise": {"points": True},
    "decay": {"half_distance": True},
    "threshold": {"value": True},
    "percentile": {},
}


def check_transform(spec: dict) -> list[str]:
    """Problems with a transform spec ``{"type": name, **params}``; empty if it is valid."""
    import difflib

    kind = spec.get("type")
    if kind not in TRANSFORMS:
        hint = difflib.get_close_matches(str(kind), TRANSFORMS, n=1)
        return [f"unknown transform {kind!r}" + (f". Did you mean {hint[0]!r}?" if hint else
                f"; use one of {', '.join(TRANSFORMS)}")]
    params = TRANSFORMS[kind]
    problems = [f"transform {kind!r} needs parameter {p!r}" for p, req in params.items()
                if req and p not in spec]
    problems += [f"transform {kind!r} has no parameter {p!r} (it takes: "
                 f"{', '.join(params) or 'none'})" for p in spec if p != "type" and p not in params]
    if kind == "piecewise" and "points" in spec:
        pts = spec["points"]
        try:
            arr = np.asarray(pts, dtype=float)
            ok = arr.ndim == 2 and arr.shape[1] == 2 and len(arr) >= 2
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append("piecewise points must be a list of at least two [x, value] pairs")
        elif np.any(np.diff(arr[:, 0]) <= 0):
            problems.append("piecewise points must have strictly increasing x")
        elif np.any((arr[:, 1] < 0) | (arr[:, 1] > 1)):
            problems.append("piecewise values must lie in [0, 1]")
    if kind == "decay" and "half_distance" in spec:
        h = spec["half_distance"]
        if not isinstance(h, (int, float)) or isinstance(h, bool) or h <= 0:
            problems.append(f"decay half_distance must be a positive number, got {h!r}")
    if kind == "threshold" and "value" in spec:
        v = spec["value"]
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            problems.append(f"threshold value must be a number, got {v!r}")
    return problems


def linear(x: np.ndarray, *, direction: str, lo: float, hi: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if not hi > lo:
        return np.where(np.isnan(x), np.float32(np.nan), np.float32(0.5))
    t = (x - np.float32(lo)) / np.float32(hi - lo)
    return np.clip(t if direction == "max" else 1 - t, 0, 1).astype(np.float32)


def piecewise(x: np.ndarray, *, points) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    x = np.asarray(x, dtype=np.float32)
    t = np.interp(x, pts[:, 0], pts[:, 1]).astype(np.float32)
    t[np.isnan(x)] = np.nan
    return t


def decay(x: np.ndarray, *, direction: str, half_distance: float) -> np.ndarray:
    x = np.maximum(np.asarray(x, dtype=np.float32), 0)
    t = np.exp2(-x / np.float32(half_distance))
    return (t if direction == "min" else 1 - t).astype(np.float32)


def threshold(x: np.ndarray, *, direction: str, value: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    ok = x <= value if direction == "min" else x >= value
    return np.where(np.isnan(x), np.float32(np.nan), ok.astype(np.float32))


def percentile(x: np.ndarray, *, direction: str) -> np.ndarray:
    from scipy.stats import rankdata

    x = np.asarray(x, dtype=np.float32)
    out = np.full(x.shape, np.nan, dtype=np.float32)
    have = ~np.isnan(x)
    n = int(have.sum())
    if n == 0:
        return out
    if n == 1:
        out[have] = 0.5
        return out
    r = rankdata(x[have] if direction == "max" else -x[have], method="average")
    out[have] = (r - 1) / (n - 1)
    return out


def apply(x: np.ndarray, spec: dict, direction: str) -> np.ndarray:
    """Apply the transform ``spec`` to raw values ``x`` (1-D float32); NaN stays NaN."""
    kind = spec["type"]
    params = {k: v for k, v in spec.items() if k != "type"}
    if kind == "linear":
        have = x[~np.isnan(x)]
        lo, hi = (float(have.min()), float(have.max())) if have.size else (0.0, 0.0)
        return linear(x, direction=direction, lo=lo, hi=hi)
    if kind == "piecewise":
        return piecewise(x, **params)
    return {"decay": decay, "threshold": threshold, "percentile": percentile}[kind](
        x, direction=direction, **params)
