"""Aggregation kernels: WLC, TOPSIS and OWA, one implementation each.

With :math:`v_j` the transformed value of criterion j in a cell, :math:`w_j` its weight
and :math:`A` the criteria with data there:

========= =================================================================================
wlc       :math:`S = \\sum_{j \\in A} w_j v_j / \\sum_{j \\in A} w_j`
topsis    :math:`S = d^- / (d^+ + d^-)`, :math:`d^\\pm = \\sqrt{\\sum_{j \\in A} w_j^2
          (v_j - b^\\pm_j)^2}`, where :math:`b^+_j` / :math:`b^-_j` is the best / worst value
          of criterion j over all land cells with data (``ideal = "data"``, as
          scikit-criteria's TOPSIS on the weighted matrix) or 1 / 0 (``ideal = "fixed"``).
          :math:`S = 0.5` where :math:`d^+ = d^- = 0` (every criterion constant).
owa       Weighted OWA (Yager's quantifier-guided OWA with importances; Torra's WOWA):
          sort the cell's values :math:`v_{(1)} \\ge ... \\ge v_{(m)}`, let :math:`u` be
          the weights renormalised over A and :math:`T_r = \\sum_{s \\le r} u_{(s)}`; then
          :math:`S = \\sum_r (Q(T_r) - Q(T_{r-1})) v_{(r)}`. ``orness`` = o gives the
          quantifier :math:`Q(t) = t^{(1 - o)/o}` (o = 0.5: Q(t) = t, exactly WLC; o -> 0:
          the weakest criterion decides; o -> 1: the strongest); ``order_weights``
          :math:`\\omega` give Q piecewise-linear through :math:`(r/K, \\sum_{s \\le r}
          \\omega_s)` (with equal weights and no gaps: the plain OWA with those weights).
========= =================================================================================

Why OWA and not another method: it spans, with one parameter a planner can read, the
range from "every criterion must be good" (a campus needs power *and* land) to "any good
criterion will do", with WLC in the middle; it is a Choquet integral, so it stays monotone
(improving a criterion never lowers a score) and handles missing data like WLC.

Missing data: a cell is scored on the criteria that have data there; for WLC and OWA
their weights are renormalised, for TOPSIS the distances run over them only (the
closeness does not depend on the weights' scale, so this is the same renormalisation).

Contributions split each cell's score by criterion and sum to it: WLC
:math:`w_j v_j / \\sum_A w`; OWA :math:`(Q(T_r) - Q(T_{r-1})) v_{(r)}` for the criterion in
position r; TOPSIS is not additive, so its score is split in proportion to each
criterion's share of the squared distance from the anti-ideal, :math:`w_j^2 (v_j - b^-_j)^2`.

How one implementation serves every backend: the kernels (:func:`wlc_kernel`,
:func:`topsis_kernel`, :func:`owa_kernel`, :func:`contribution_fn`) take *prepared
criteria* ``m``, anything with

- ``filled`` (k, n): the values, 0 where a criterion has no data;
- ``have(i)`` (n,) and ``weight_with_data(w)`` (n,) or (d, n): where criterion i has data,
  and the weight with data per cell (it may instead broadcast to that shape);
- ``sq_dist(ref)`` (k, n): :math:`(v_j - ref_j)^2`, 0 where no data;
- ``orderings()``: the cells' :class:`OwaOrderings` (cached by the caller).

:class:`Dense` prepares a plain (k, n) array on the fly (the NumPy path, and each block on
dask); :class:`~growthzones.scoring.matrix.CriteriaMatrix` prepares a store's criteria once
and caches the parts, so a re-score is the same kernel on cached parts.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

AGGREGATIONS = ("wlc", "topsis", "owa")


# --- shared pieces ---------------------------------------------------------------------------

def dot(w: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``w @ rows`` for (k,) or (d, k) weights and (k, n) rows, single-threaded.

    einsum, not BLAS: on a shared 2-core machine OpenBLAS's threaded gemv showed 8 ms
    stalls on a 0.05 ms product; einsum is steady (0.1 ms at 1 km, 35 ms at 100 m).
    """
    return np.einsum("k,kn->n" if w.ndim == 1 else "dk,kn->dn", w, rows)


def share(cov: np.ndarray, w: np.ndarray, n: int | None = None) -> np.ndarray:
    """The weight with data per cell as a share of the total weight (``coverage``).

    ``n``: spread a broadcastable ``cov`` (last axis 1, see ``weight_with_data``) to n cells.
    """
    total = w.sum() if w.ndim == 1 else w.sum(axis=1, keepdims=True)
    out = (cov / total).astype(cov.dtype, copy=False)
    if n is not None and out.shape[-1] != n:
        out = np.broadcast_to(out, out.shape[:-1] + (n,)).copy()
    return out


class OwaOrderings:
    r"""What a weighted OWA needs from the values alone, for re-scoring under any weights.

    A cell's score is a Choquet integral: with its values sorted best first (gaps last),
    :math:`S = \sum_r Q(T_r) (v_{(r)} - v_{(r+1)})` (:math:`v_{(m+1)} = 0`), where
    :math:`T_r` is the weight of the first r criteria over the weight with data. So
    :math:`Q(T_r)` depends only on two *sets*, the first r criteria and those with data,
    and cells share few such pairs (at most :math:`2^k` per data pattern; 4,468 at 1 km
    with 15 criteria, where 37 % of the cells have an ordering of their own). A re-score
    evaluates Q once per pair (``bits_prefix @ w`` over ``bits_data @ w``) and takes one
    sparse product, ``drops @ Q``: no sort, no per-ordering cache.

    Attributes
    ----------
    order
        (k, n) int8: the criterion at each position of each cell (best first, gaps last).
    pair
        (k, n): the (prefix set, data set) pair of each position of each cell.
    drops
        (n, U) sparse (CSR): :math:`v_{(r)} - v_{(r+1)}` at the pair of position r (the
        zero drops, of ties and gaps, left out).
    bits_prefix, bits_data
        (U, k) float: the criteria in each pair's prefix set and data set.
    """

    def __init__(self, filled: np.ndarray, have: np.ndarray):
        import scipy.sparse as sp

        k, n = filled.shape
        order = np.argsort(np.where(have, -filled, np.inf), axis=0, kind="stable")
        vs = np.take_along_axis(filled, order, axis=0)
        hs = np.take_along_axis(have, order, axis=0)
        self.order = order.astype(np.int8)
        del order
        drops = np.empty_like(vs)
        np.subtract(vs[:-1], vs[1:], out=drops[:-1])
        drops[-1] = vs[-1]
        drops[~hs] = 0
        del vs
        # Bit sets as integers (k <= 63): prefix after each position, then the data set.
        one = np.uint64(1)
        bit = np.where(hs, one << self.order.astype(np.uint64), np.uint64(0))
        del hs
        prefix = np.bitwise_or.accumulate(bit, axis=0)
        del bit
        pid, pcodes = pd.factorize(prefix.ravel())
        did, dcodes = pd.factorize(prefix[-1])
        del prefix
        key = did.astype(np.int64)[None, :] * len(pcodes) + pid.reshape(k, n)
        del pid, did
        pair, ucodes = pd.factorize(key.ravel())
        del key
        ucodes = np.asarray(ucodes)
        self.pair = pair.reshape(k, n).astype(np.uint16 if len(ucodes) < 2 ** 16 else np.int32)
        del pair
        # Cell by cell (rows of the CSR matrix), positions in order; zero drops left out.
        keep = drops.T != 0
        self.drops = sp.csr_matrix(
            (drops.T[keep], self.pair.T[keep].astype(np.int32),
             np.concatenate([[0], np.cumsum(keep.sum(axis=1))])), shape=(n, len(ucodes)))
        del keep, drops
        pref = np.asarray(pcodes, dtype=np.uint64)[ucodes % len(pcodes)]
        dat = np.asarray(dcodes, dtype=np.uint64)[ucodes // len(pcodes)]
        shifts = np.arange(k, dtype=np.uint64)
        self.bits_prefix = ((pref[:, None] >> shifts) & one).astype(np.float64)
        self.bits_data = ((dat[:, None] >> shifts) & one).astype(np.float64)
        self.k, self.n, self.dtype = k, n, filled.dtype

    def q_table(self, w: np.ndarray, q) -> np.ndarray:
        """Q(T) per pair under weights ``w`` (k,), in the values' dtype."""
        w = np.asarray(w, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.clip(self.bits_prefix @ w / (self.bits_data @ w), 0, 1)
        return np.asarray(q(t), dtype=self.dtype)


class Dense:
    """A (k, n) array of transformed criteria (NaN = no data) prepared for the kernels.

    This is the NumPy path and one dask block; only the OWA orderings are kept (a
    Monte-Carlo run scores the same cells under many weights).
    """

    def __init__(self, values: np.ndarray, have: np.ndarray | None = None):
        self.mask = ~np.isnan(values) if have is None else have
        self.filled = np.where(self.mask, values, 0).astype(values.dtype, copy=False)
        self.k, self.n = values.shape
        self.dtype = values.dtype

    def have(self, i: int, cells=None) -> np.ndarray:
        return self.mask[i] if cells is None else self.mask[i][cells]

    def weight_with_data(self, w: np.ndarray) -> np.ndarray:
        return dot(w, self.mask.astype(w.dtype))

    def sq_dist(self, ref: np.ndarray) -> np.ndarray:
        return np.where(self.mask, (self.filled - ref[:, None]) ** 2, 0)

    def orderings(self) -> OwaOrderings:
        if not hasattr(self, "_orderings"):
            self._orderings = OwaOrderings(self.filled, self.mask)
        return self._orderings


# --- the kernels on prepared criteria --------------------------------------------------------

def wlc_kernel(m, w: np.ndarray):
    """(score, weight with data) of every cell of ``m``; ``w`` (k,) or (d, k)."""
    cov = m.weight_with_data(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Where no weighted criterion has data every term is 0: 0 / 0 = NaN, as wanted.
        return dot(w, m.filled) / cov, cov


def topsis_kernel(m, w: np.ndarray, best: np.ndarray, worst: np.ndarray):
    """(score, weight with data, weighted squared distance to the anti-ideal)."""
    w2 = w * w
    dp = np.sqrt(dot(w2, m.sq_dist(best)))
    dm2 = dot(w2, m.sq_dist(worst))
    dm = np.sqrt(dm2)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(dp + dm > 0, dm / (dp + dm), m.dtype.type(0.5))
    cov = m.weight_with_data(w)
    if (cov <= 0).any():
        c = np.where(cov > 0, c, np.nan)
    return c.astype(m.dtype, copy=False), cov, dm2


def owa_kernel(m, w: np.ndarray, q):
    """(score, weight with data, parts) of every cell; ``w`` (k,), ``q`` a quantifier.

    ``parts`` (the :class:`OwaOrderings` and the per-pair Q table) is what
    :func:`contribution_fn` needs.
    """
    o = m.orderings()
    qt = o.q_table(w, q)
    s = np.asarray(o.drops @ qt, dtype=m.dtype)
    cov = m.weight_with_data(w)
    if not (cov > 0).all():
        s = np.where(cov > 0, s, m.dtype.type(np.nan))
    return s, cov, (o, qt)


def run_kernel(m, w: np.ndarray, method: str, params: dict, ideals=None):
    """(score, weight with data, aux) of ``m`` with one of :data:`AGGREGATIONS`.

    ``ideals`` (best, worst) is required for TOPSIS; ``aux`` is what
    :func:`contribution_fn` needs.
    """
    if method == "wlc":
        s, cov = wlc_kernel(m, w)
        return s, cov, {}
    if method == "topsis":
        s, cov, dm2 = topsis_kernel(m, w, *ideals)
        return s, cov, {"dm2": dm2, "worst": ideals[1]}
    if method == "owa":
        s, cov, parts = owa_kernel(m, w, owa_quantifier(**params))
        return s, cov, {"owa": parts}
    raise ValueError(f"unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}")


def contribution_fn(m, w: np.ndarray, method: str, total, cov, aux):
    """A function ``(i, cells=None) -> contribution of criterion i``, the parts summing to
    ``total``: (n,) over every cell, or (len(cells),) at land positions ``cells`` only.

    ``total``, ``cov`` and ``aux`` are :func:`run_kernel`'s outputs for the same ``m`` and
    ``w``; a criterion without data in a cell contributes 0 there. With ``cells`` only
    those cells are computed (a ranking reads 20 values, not a national vector: at 100 m
    that is 92 MB per criterion).
    """
    state = {}

    def compute(i: int, cells=None) -> np.ndarray:
        at = slice(None) if cells is None else np.asarray(cells, dtype=np.intp)
        have = m.have(i) if cells is None else m.have(i, at)
        c = cov if cells is None or np.shape(cov)[-1] == 1 else cov[at]
        n = m.n if cells is None else len(at)
        with np.errstate(invalid="ignore", divide="ignore"):
            part_w = np.where(have, w[i], 0) / c  # w_j / sum_A w
            if method == "wlc":
                out = part_w * m.filled[i][at]
            elif method == "topsis":
                tot = aux["dm2"][at]
                if cells is not None:
                    dm = np.where(have, (m.filled[i][at] - aux["worst"][i]) ** 2, 0)
                else:
                    if "dm" not in state:
                        state["dm"] = m.sq_dist(aux["worst"])  # cached on a CriteriaMatrix
                    dm = state["dm"][i]
                part = w[i] ** 2 * dm
                out = np.where(tot > 0, total[at] * part / tot, total[at] * part_w)
            else:
                # (Q(T_r) - Q(T_{r-1})) v_i at criterion i's position r in each cell.
                o, qt = aux["owa"]
                order, pair = o.order[:, at], o.pair[:, at]
                out = np.zeros(n, dtype=m.dtype)
                for r in range(m.k):
                    sel = np.flatnonzero(order[r] == i)
                    q_prev = qt[pair[r - 1, sel]] if r else qt.dtype.type(0)
                    out[sel] = (qt[pair[r, sel]] - q_prev) * m.filled[i][at][sel]
                out[~have] = 0
        return np.broadcast_to(np.where(c > 0, np.nan_to_num(out), 0), (n,)).astype(m.dtype)

    return compute


# --- the array API: values (k, ...) NumPy or dask, NaN = no data -----------------------------

def _is_dask(x) -> bool:
    return type(x).__module__.startswith("dask")


def _check(values, weights) -> tuple:
    values = values if _is_dask(values) else np.asarray(values)
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)
    w = np.asarray(weights, dtype=values.dtype)
    if values.ndim < 1 or w.shape != (values.shape[0],):
        k = values.shape[0] if values.ndim else 0
        raise ValueError(f"weights has shape {w.shape} but values has {k} criteria on axis 0 "
                         f"(values shape {values.shape}); give one weight per criterion")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be finite and >= 0, got {w.tolist()}")
    return values, w


def _block(v, w, method, params, ideals):
    """One NumPy block (k, ...) -> stacked (score, coverage) (2, ...)."""
    m = Dense(v.reshape(v.shape[0], -1))
    s, cov, _ = run_kernel(m, w, method, params, ideals)
    out = np.stack([s, share(cov, w)]).astype(v.dtype, copy=False)
    return out.reshape((2,) + v.shape[1:])


def _run(values, w, method, params, ideals=None):
    """Score (k, ...) values: block-wise on dask (every criterion of a cell in one block)."""
    if _is_dask(values):
        v = values.rechunk({0: -1})
        out = v.map_blocks(_block, w, method, params, ideals, chunks=((2,),) + v.chunks[1:],
                           dtype=v.dtype)
    else:
        out = _block(values, w, method, params, ideals)
    return out[0], out[1]


def wlc(values, weights):
    """Weighted linear combination over the criteria that have data.

    .. math:: S = \\sum_{j \\in A} w_j v_j / \\sum_{j \\in A} w_j

    Parameters
    ----------
    values
        (k, ...) transformed criteria in [0, 1], NumPy or dask (NaN = no data).
    weights
        (k,) non-negative weights (any scale).

    Returns
    -------
    score, coverage
        Arrays shaped like ``values[0]``; ``score`` is NaN where no weighted criterion has
        data, ``coverage`` is the share of the total weight with data.

    Examples
    --------
    >>> s, c = wlc(np.array([[1.0, 0.5], [0.0, np.nan]]), np.array([3.0, 1.0]))
    >>> s.tolist(), c.tolist()
    ([0.75, 0.5], [1.0, 0.75])
    """
    values, w = _check(values, weights)
    return _run(values, w, "wlc", {})


def topsis_ideals(values, ideal: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """Best and worst value of each criterion: over the cells with data, or 1 and 0.

    On dask input the national reductions are computed (one pass) and returned as NumPy.
    """
    k = values.shape[0]
    if ideal == "fixed":
        return np.ones(k, dtype=values.dtype), np.zeros(k, dtype=values.dtype)
    if ideal != "data":
        raise ValueError(f"ideal is {ideal!r}; use 'data' or 'fixed'")
    axes = tuple(range(1, values.ndim))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN criterion has no ideal
        best, worst = np.nanmax(values, axis=axes), np.nanmin(values, axis=axes)
        if _is_dask(values):
            import dask

            best, worst = dask.compute(best, worst)
    return np.asarray(best, dtype=values.dtype), np.asarray(worst, dtype=values.dtype)


def topsis(values, weights, *, ideal: str = "data"):
    """TOPSIS relative closeness to the ideal, over the criteria that have data.

    .. math:: S = \\frac{d^-}{d^+ + d^-}, \\quad
              d^\\pm = \\sqrt{\\sum_{j \\in A} w_j^2 (v_j - b^\\pm_j)^2}

    With ``ideal="data"`` this equals scikit-criteria's ``TOPSIS`` (and pymcdm's with
    an identity normalisation) on the matrix ``values.T`` with all objectives ``max``.

    Parameters
    ----------
    values
        (k, ...) transformed criteria in [0, 1] (NaN = no data), NumPy or dask.
    weights
        (k,) non-negative weights; the closeness does not depend on their scale.
    ideal
        ``"data"``: :math:`b^+_j, b^-_j` = max and min of criterion j over all cells with
        data; ``"fixed"``: 1 and 0.

    Returns
    -------
    score, coverage

    Examples
    --------
    >>> s, _ = topsis(np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]]), np.array([3.0, 1.0]))
    >>> np.round(s, 4).tolist()
    [0.75, 0.25, 0.5]
    """
    values, w = _check(values, weights)
    return _run(values, w, "topsis", {}, topsis_ideals(values, ideal))


def owa_quantifier(*, orness: float | None = None, order_weights=None):
    """The monotone quantifier Q: [0, 1] -> [0, 1] behind a weighted OWA.

    ``orness`` o (0 < o < 1) gives :math:`Q(t) = t^{(1-o)/o}` (Yager's RIM quantifier,
    whose orness is o); ``order_weights`` :math:`\\omega_1..\\omega_K` give the
    piecewise-linear Q through :math:`(r/K, \\sum_{s \\le r} \\omega_s)` (Torra's WOWA).
    """
    if (orness is None) == (order_weights is None):
        raise ValueError("give exactly one of orness (0 < orness < 1) or order_weights")
    if orness is not None:
        if not 0 < orness < 1:
            raise ValueError(f"orness must lie strictly between 0 and 1, got {orness}")
        alpha = (1 - orness) / orness
        return lambda t: np.power(t, alpha)
    om = np.asarray(order_weights, dtype=float)
    if om.ndim != 1 or om.size < 1 or np.any(om < 0) or om.sum() <= 0:
        raise ValueError(f"order_weights must be non-negative and not all zero, got {om.tolist()}")
    xs = np.linspace(0, 1, om.size + 1)
    ys = np.concatenate([[0.0], np.cumsum(om / om.sum())])
    return lambda t: np.interp(t, xs, ys).astype(t.dtype)


def orness(order_weights) -> float:
    """Yager's orness of order weights: :math:`\\sum_r \\frac{K - r}{K - 1} \\omega_r`."""
    om = np.asarray(order_weights, dtype=float)
    om = om / om.sum()
    k = om.size
    return 0.5 if k == 1 else float(np.sum((k - np.arange(1, k + 1)) / (k - 1) * om))


def owa(values, weights, *, orness: float | None = None, order_weights=None):
    """Weighted ordered weighted average (WOWA) over the criteria that have data.

    .. math:: S = \\sum_r \\big(Q(T_r) - Q(T_{r-1})\\big) v_{(r)}, \\quad
              T_r = \\sum_{s \\le r} u_{(s)}

    with the cell's values sorted best first and :math:`u` the weights renormalised over
    the criteria with data. See :func:`owa_quantifier` for Q.

    Examples
    --------
    >>> v = np.array([[1.0], [0.5], [0.0]])
    >>> w = np.ones(3)
    >>> round(float(owa(v, w, orness=0.5)[0][0]), 6)       # = the mean (WLC)
    0.5
    >>> float(owa(v, w, order_weights=[0, 0, 1])[0][0])     # the weakest criterion
    0.0
    """
    values, w = _check(values, weights)
    params = {"orness": orness, "order_weights": order_weights}
    owa_quantifier(**params)  # check the parameters before any block runs
    return _run(values, w, "owa", params)


def aggregate(values, weights, method: str = "wlc", **params):
    """Score cells with one of :data:`AGGREGATIONS`; returns (score, coverage)."""
    if method not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}")
    return {"wlc": wlc, "topsis": topsis, "owa": owa}[method](values, weights, **params)


def contributions(values, weights, method: str = "wlc", **params) -> np.ndarray:
    """Per-criterion parts of the score, (k, ...), summing to it (NumPy only).

    See the module docstring for each method's split; a criterion without data gets 0.
    """
    values, w = _check(values, weights)
    if method not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}")
    m = Dense(values.reshape(values.shape[0], -1))
    ideals = topsis_ideals(values, params.get("ideal", "data")) if method == "topsis" else None
    if method == "owa":
        params = {"orness": params.get("orness"), "order_weights": params.get("order_weights")}
    total, cov, aux = run_kernel(m, w, method, params, ideals)
    part = contribution_fn(m, w, method, total, cov, aux)
    return np.stack([part(i) for i in range(m.k)]).reshape(values.shape)
