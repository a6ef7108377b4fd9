"""Transforms that turn a criterion's raw values into a [0, 1] suitability (1 = best).

All are pure functions over arrays of any shape; NaN (no data) stays NaN, never 0.
``direction`` is ``"max"`` (more is better) or ``"min"`` (less is better). Parameters
are in the criterion's own unit (km, %, MW).

========== ========================================================================
linear     :math:`t = (x - lo) / (hi - lo)` (max) or :math:`(hi - x) / (hi - lo)` (min),
           clipped to [0, 1]. ``lo`` and ``hi`` default to the national minimum and
           maximum over the cells with data; give them to fix the scale (then the
           result does not depend on which cells are scored). A constant criterion
           (hi == lo) gives 0.5 everywhere it has data: it carries no information,
           shifts every score equally and never reorders cells.
piecewise  :math:`t = \\mathrm{interp}(x, x_k, y_k)`, a value curve through the points
           ``[[x_0, y_0], ...]`` (x strictly ascending, y in [0, 1]), flat beyond the
           ends. The curve states the direction itself, so ``direction`` is ignored:
           ``[[0, 1], [5, 0.5], [20, 0]]`` is 1 at 0 km, 0.75 at 2.5 km, 0 beyond 20 km.
decay      :math:`t = 2^{-x / h}` (min) or :math:`1 - 2^{-x / h}` (max), with
           ``half_distance`` = h: the value halves every h units. Negative x counts as 0.
threshold  :math:`t = [x \\le v]` (min) or :math:`[x \\ge v]` (max), with ``value`` = v:
           1 where the condition holds, else 0 (a step).
percentile :math:`t = (r - 1) / (n - 1)`, r the average rank of x among the n cells with
           data (ascending for max, descending for min; ties share their mean rank);
           0.5 if n == 1.
========== ========================================================================

Output dtype: float32 for float32 input (the layer store), float64 otherwise.

Backends: every transform accepts NumPy or dask arrays (a dask input returns a lazy dask
array; ``linear`` takes its national lo/hi as lazy reductions). ``percentile`` needs a
global sort, so on dask it raises :class:`NotImplementedError`; use ``linear`` or
``piecewise`` there.
"""

from __future__ import annotations

import difflib
import itertools
import math
import numbers

import numpy as np

from ._errors import InputError

#: transform name -> {parameter: required?}
TRANSFORMS: dict[str, dict[str, bool]] = {
    "linear": {"lo": False, "hi": False},
    "piecewise": {"points": True},
    "decay": {"half_distance": True},
    "threshold": {"value": True},
    "percentile": {},
}


#: Largest magnitude of a transform parameter (criterion units: km, %, MW, ms). No criterion
#: comes near it, and beyond it spans such as ``hi - lo`` lose all precision on the float32
#: layers or overflow; a larger value is a typo, so it is refused rather than clipped.
MAX_PARAMETER = 1e12


def _is_finite_number(v) -> bool:
    """A real number (not a bool) that is finite; huge ints (10**400) are not."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _in_range(v) -> bool:
    return _is_finite_number(v) and abs(float(v)) <= MAX_PARAMETER


def _points(raw) -> list[tuple[float, float]] | str:
    """The piecewise points as float pairs, or the problem with them."""
    if not isinstance(raw, (list, tuple, np.ndarray)) or len(raw) < 2 or not all(
            isinstance(p, (list, tuple, np.ndarray)) and len(p) == 2 for p in raw):
        return "piecewise points must be a list of at least two [x, value] pairs"
    flat = [v for p in raw for v in p]
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in flat):
        bad = next(v for v in flat if isinstance(v, bool) or not isinstance(v, numbers.Real))
        return f"piecewise points must be numbers, got {bad!r} ({type(bad).__name__})"
    if not all(_is_finite_number(v) for v in flat):
        return "piecewise points must be finite numbers (no nan or inf)"
    if not all(abs(float(v)) <= MAX_PARAMETER for v in flat):
        return f"piecewise points must lie within +-{MAX_PARAMETER:g} (the criterion's unit)"
    return [(float(x), float(y)) for x, y in raw]


def check_transform(spec: dict) -> list[str]:
    """Problems with a transform spec ``{"type": name, **params}``; empty if it is valid.

    Every parameter must be a finite number (not a bool, a string or a date) within
    +-:data:`MAX_PARAMETER`.

    Examples
    --------
    >>> check_transform({"type": "decay", "half_distance": 0})
    ['decay half_distance must be a positive number, got 0 (between 1e-09 and 1e+12)']
    >>> check_transform({"type": "piecewise", "points": [[0, 1], [5, 0.5], [20, 0]]})
    []
    >>> check_transform({"type": ["linear"]})
    ["transform type is ['linear']; give a name: one of linear, piecewise, decay, threshold, percentile"]
    """
    if not isinstance(spec, dict):
        return [f"transform is {spec!r}; give a name or a table with a type, e.g. "
                f"{{ type = \"linear\" }}"]
    kind = spec.get("type")
    if not isinstance(kind, str):
        return [f"transform type is {kind!r}; give a name: one of {', '.join(TRANSFORMS)}"]
    if kind not in TRANSFORMS:
        hint = difflib.get_close_matches(kind, TRANSFORMS, n=1)
        return [f"unknown transform {kind!r}" + (f". Did you mean {hint[0]!r}?" if hint else
                f"; use one of {', '.join(TRANSFORMS)}")]
    params = TRANSFORMS[kind]
    problems = [f"transform {kind!r} needs parameter {p!r}" for p, req in params.items()
                if req and p not in spec]
    problems += [f"transform {kind!r} has no parameter {p!r} (it takes: "
                 f"{', '.join(params) or 'none'})" for p in spec if p != "type" and p not in params]
    big = f" within +-{MAX_PARAMETER:g}"
    if kind == "piecewise" and "points" in spec:
        pts = _points(spec["points"])
        if isinstance(pts, str):
            problems.append(pts)
        elif any(b[0] <= a[0] for a, b in itertools.pairwise(pts)):
            problems.append("piecewise points must have strictly increasing x")
        elif any(not 0 <= y <= 1 for _, y in pts):
            problems.append("piecewise values must lie in [0, 1]")
    if kind == "decay" and "half_distance" in spec:
        h = spec["half_distance"]
        # Below 1e-9 the half-distance rounds to 0 in float32 and 0 / 0 would give NaN.
        if not _in_range(h) or not float(h) >= 1e-9:
            problems.append(f"decay half_distance must be a positive number, got {h!r} "
                            f"(between 1e-09 and {MAX_PARAMETER:g})")
    if kind == "threshold" and "value" in spec:
        v = spec["value"]
        if not _in_range(v):
            problems.append(f"threshold value must be a finite number{big}, got {v!r}")
    if kind == "linear":
        for p in ("lo", "hi"):
            if p in spec and not _in_range(spec[p]):
                problems.append(f"linear {p} must be a finite number{big}, got {spec[p]!r}")
        lo, hi = spec.get("lo"), spec.get("hi")
        if _in_range(lo) and _in_range(hi) and not hi > lo:
            problems.append(f"linear needs lo < hi, got lo={lo} and hi={hi}")
    return problems


# --- backend helpers -----------------------------------------------------------------------

def _is_dask(x) -> bool:
    return type(x).__module__.startswith("dask")


def _float(x):
    """``x`` as a floating array (float32 stays float32; ints become float64)."""
    if _is_dask(x):
        return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


#: A NumPy array of more elements than this is transformed this many at a time
#: (:func:`_blockwise`): the temporaries of a block (~8 MB in float64) are reused from
#: the heap, where those of a GB 100 m land vector (~180 MB each, ~5 a transform) were
#: fresh pages the kernel zeroed every time (zeroing was a quarter of a 100 m run's CPU).
BLOCK = 1 << 20


def _blockwise(fn, x):
    """Apply an elementwise NumPy function to ``x``: block by block if it is a dask array,
    by :data:`BLOCK` elements into one output if it is a big NumPy array (the same values:
    each element is computed on its own)."""
    if _is_dask(x):
        return x.map_blocks(fn, dtype=x.dtype)
    if x.size <= BLOCK:
        return fn(x)
    flat = x.reshape(-1)
    out = None
    for a in range(0, flat.size, BLOCK):
        t = fn(flat[a:a + BLOCK])
        if out is None:
            out = np.empty(flat.size, dtype=t.dtype)
        out[a:a + t.size] = t
    return out.reshape(x.shape)


def _check_direction(direction: str) -> None:
    if direction not in ("max", "min"):
        raise ValueError(f"direction is {direction!r}; use 'max' (more is better) or 'min' "
                         f"(less is better)")


# --- the transforms --------------------------------------------------------------------------

def linear(x, *, direction: str, lo: float, hi: float):
    """Min-max rescaling to [0, 1].

    .. math:: t = \\mathrm{clip}((x - lo) / (hi - lo), 0, 1) \\text{ (max)}, \\quad
              1 - \\text{that (min)}; \\quad t = 0.5 \\text{ if } hi \\le lo

    Parameters
    ----------
    x
        Raw values (criterion unit); NaN = no data.
    direction
        ``"max"`` or ``"min"``.
    lo, hi
        Values mapped to the worst and best end (criterion unit); may be lazy dask scalars.

    Examples
    --------
    >>> linear(np.array([0., 5., 10., np.nan]), direction="min", lo=0, hi=10).tolist()
    [1.0, 0.5, 0.0, nan]
    """
    _check_direction(direction)
    x = _float(x)
    dt = x.dtype.type
    span = hi - lo
    ok = span > 0
    lazy = _is_dask(lo) or _is_dask(hi)

    def scale(x):
        # Divide by 1 where the span is empty so no inf/NaN appears before the where().
        t = (x - lo if lazy else x - dt(lo)) / np.where(ok, span, 1)
        t = np.clip(t, 0, 1)
        if direction == "min":
            t = 1 - t
        t = np.where(ok, t, dt(0.5))
        return np.where(np.isnan(x), dt(np.nan), t).astype(x.dtype)

    return scale(x) if lazy else _blockwise(scale, x)


def piecewise(x, *, points):
    """A value curve through ``points``, linear between them and flat beyond the ends.

    .. math:: t = \\mathrm{interp}(x, x_k, y_k)

    Examples
    --------
    >>> piecewise(np.array([0., 2.5, 5., 12.5, 20., 30.]),
    ...           points=[[0, 1], [5, 0.5], [20, 0]]).tolist()
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    pts = np.asarray(points, dtype=float)
    x = _float(x)

    def _interp(block):
        t = np.interp(block, pts[:, 0], pts[:, 1]).astype(block.dtype)
        t[np.isnan(block)] = np.nan  # np.interp maps NaN to an end value
        return t

    return _blockwise(_interp, x)


def decay(x, *, direction: str, half_distance: float):
    """Exponential distance decay with a half-distance.

    .. math:: t = 2^{-\\max(x, 0) / h} \\text{ (min)}, \\quad
              1 - 2^{-\\max(x, 0) / h} \\text{ (max)}

    Examples
    --------
    >>> decay(np.array([0., 60., 120.]), direction="min", half_distance=60).tolist()
    [1.0, 0.5, 0.25]
    """
    _check_direction(direction)
    x = _float(x)
    dt = x.dtype.type

    def curve(x):
        t = np.exp2(-np.maximum(x, dt(0)) / dt(half_distance))  # NaN stays NaN (maximum)
        return (t if direction == "min" else 1 - t).astype(x.dtype)

    return _blockwise(curve, x)


def threshold(x, *, direction: str, value: float):
    """A step: 1 where the condition holds, else 0.

    .. math:: t = [x \\le v] \\text{ (min)}, \\quad [x \\ge v] \\text{ (max)}

    Examples
    --------
    >>> threshold(np.array([5., 10., 15., np.nan]), direction="min", value=10).tolist()
    [1.0, 1.0, 0.0, nan]
    """
    _check_direction(direction)
    x = _float(x)
    dt = x.dtype.type

    def step(x):
        ok = x <= value if direction == "min" else x >= value
        return np.where(np.isnan(x), dt(np.nan), ok.astype(x.dtype))

    return _blockwise(step, x)


def percentile(x, *, direction: str):
    """Percentile rank among the cells with data.

    .. math:: t = (r - 1) / (n - 1)

    with r the average (mid) rank of x among the n non-NaN cells, ascending for ``max``
    and descending for ``min``; 0.5 if n == 1.

    Examples
    --------
    >>> percentile(np.array([10., 20., 20., 40., np.nan]), direction="max").tolist()
    [0.0, 0.5, 0.5, 1.0, nan]
    """
    from scipy.stats import rankdata

    _check_direction(direction)
    if _is_dask(x):
        raise NotImplementedError(
            "the percentile transform needs a global sort of all cells and is not available "
            "on dask arrays; use 'linear' (national min-max) or 'piecewise' instead")
    x = _float(x)
    out = np.full(x.shape, np.nan, dtype=x.dtype)
    have = ~np.isnan(x)
    n = int(have.sum())
    if n == 1:
        out[have] = 0.5
    elif n > 1:
        r = rankdata(x[have] if direction == "max" else -x[have], method="average")
        out[have] = (r - 1) / (n - 1)
    return out


def national_range(x) -> tuple:
    """(min, max) of ``x`` over cells with data; lazy for dask, (0, 0) if all NaN."""
    if _is_dask(x):
        return np.nanmin(x), np.nanmax(x)
    flat = np.ravel(x)
    # fmin/fmax skip NaN: no copy of the cells with data (92 MB a criterion at GB 100 m)
    lo, hi = (np.fmin.reduce(flat), np.fmax.reduce(flat)) if flat.size else (np.nan, np.nan)
    return (0.0, 0.0) if np.isnan(lo) else (float(lo), float(hi))


def takes_range(spec: dict) -> bool:
    """Whether ``spec`` rescales by the range of the values it is applied to
    (:func:`national_range`): a ``linear`` without ``lo`` or ``hi``.

    >>> takes_range({"type": "linear"}), takes_range({"type": "linear", "lo": 0, "hi": 1})
    (True, False)
    """
    return spec["type"] == "linear" and ("lo" not in spec or "hi" not in spec)


def apply_in_place(x: np.ndarray, spec: dict, direction: str) -> np.ndarray:
    """:func:`apply` written back into ``x``, a 1-D float NumPy array, :data:`BLOCK`
    elements at a time (a range taken over all of ``x`` first); returns ``x``.

    The same values as ``apply(x, spec, direction)``: each transform takes each value on
    its own once the range is known (a percentile needs every value, so it is applied
    whole). A big grid's scoring transforms each criterion so inside its matrix row,
    without a second vector of fresh memory (:mod:`growthzones.scoring.matrix`).

    >>> x = np.array([0., 5., 10., np.nan], dtype=np.float32)
    >>> apply_in_place(x, {"type": "linear"}, "min").tolist()
    [1.0, 0.5, 0.0, nan]
    """
    if spec.get("type") == "percentile" or x.size <= BLOCK:
        x[...] = apply(x, spec, direction)
        return x
    if takes_range(spec):
        lo, hi = national_range(x)
        spec = {**spec, "lo": spec.get("lo", lo), "hi": spec.get("hi", hi)}
    for a in range(0, x.size, BLOCK):
        x[a:a + BLOCK] = apply(x[a:a + BLOCK], spec, direction)
    return x


def apply(x, spec: dict, direction: str):
    """Apply the transform ``spec`` to raw values ``x``; NaN stays NaN.

    Parameters
    ----------
    x
        Raw values in the criterion's unit, NumPy or dask, any shape. float32 input gives
        float32 output.
    spec
        ``{"type": name, **params}`` as validated by :func:`check_transform`.
    direction
        ``"max"`` or ``"min"``.

    Examples
    --------
    >>> apply(np.array([0., 5., 10.], dtype=np.float32), {"type": "linear"}, "max").tolist()
    [0.0, 0.5, 1.0]
    """
    problems = check_transform(spec)
    if problems:
        raise InputError("; ".join(problems))
    kind = spec["type"]
    params = {k: v for k, v in spec.items() if k != "type"}
    x = _float(x)
    if kind == "linear":
        lo, hi = national_range(x) if takes_range(spec) else (0, 0)
        return linear(x, direction=direction, lo=params.get("lo", lo), hi=params.get("hi", hi))
    if kind == "piecewise":
        return piecewise(x, **params)
    return {"decay": decay, "threshold": threshold, "percentile": percentile}[kind](
        x, direction=direction, **params)
