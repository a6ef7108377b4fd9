"""Scoring: transform each criterion to [0, 1], weight, aggregate, then apply constraints.

Pure and fast: :func:`score` reads no files and rebuilds no layers. Each criterion's
transformed values are computed once per (criterion, direction, transform) and stacked
into a :class:`CriteriaMatrix` in float32, cached on the
:class:`~growthzones.store.LayerStore`, so a re-score with new weights is one
matrix-vector product over land cells and a per-cell division by the weight that had
data.

Aggregation (``[aggregation] method``), with :math:`v_j` the transformed value of
criterion j in a cell, :math:`w_j` its weight and :math:`A` the criteria with data there:

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

Missing data rule: a cell where a criterion has no data (NaN) is scored on the criteria
that do have data: for WLC and OWA their weights are renormalised; for TOPSIS the
distances run over those criteria only (the closeness is invariant to scaling the
weights, so this is the same renormalisation). The ideal and anti-ideal come from the
cells with data. Each cell's ``coverage`` (the share of the scenario's weight that had
data) is reported, so a gap is never silently read as good or bad.

Exclusions and constraints are applied after aggregation: ``score`` is the surface
before them, ``ranked`` has excluded cells set to NaN. Where an exclusion or a constraint
has no data the cell is not excluded (unless a constraint says ``missing = "exclude"``)
but is flagged ``unassessed`` for it.

Contributions split each cell's score by criterion and sum to it: WLC
:math:`w_j v_j / \\sum_A w`; OWA :math:`(Q(T_r) - Q(T_{r-1})) v_{(r)}` for the criterion in
position r; TOPSIS is not additive, so its score is split in proportion to each
criterion's share of the squared distance from the anti-ideal, :math:`w_j^2 (v_j - b^-_j)^2`.

Backends: the kernels :func:`wlc`, :func:`topsis`, :func:`owa` and :func:`aggregate` take
NumPy or dask arrays shaped (criteria, ...); :func:`score_dataset` scores an
``xarray.Dataset`` of raw layers chunk by chunk (e.g. a 10 m or Europe-wide grid on a
dask cluster) with the same transforms and kernels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import transforms
from ._errors import InputError
from ._validate import number
from .scenario import Scenario
from .store import LayerStore

AGGREGATIONS = ("wlc", "topsis", "owa")
#: How many stacked matrices a store keeps (each is criteria x land cells).
_MAX_MATRICES = 4


# --- pure kernels: values (k, ...) NumPy or dask, NaN = no data ---------------------------------

def _is_dask(x) -> bool:
    return type(x).__module__.startswith("dask")


def _col(w: np.ndarray, ndim: int) -> np.ndarray:
    """Weights shaped to broadcast over (k, ...) values."""
    return w.reshape((-1,) + (1,) * (ndim - 1))


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


def _run(block_fn, values, *args):
    """Run a per-cell kernel returning stacked (score, coverage), block-wise on dask."""
    if _is_dask(values):
        v = values.rechunk({0: -1})  # every criterion of a cell in one block
        out = v.map_blocks(block_fn, *args, chunks=((2,),) + v.chunks[1:], dtype=v.dtype)
    else:
        out = block_fn(values, *args)
    return out[0], out[1]


def _wlc_block(v, w):
    have = ~np.isnan(v)
    wc = _col(w, v.ndim)
    cov = np.sum(wc * have, axis=0)
    num = np.sum(wc * np.where(have, v, 0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(cov > 0, num / cov, np.nan)
    return np.stack([s, cov / w.sum()]).astype(v.dtype)


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
    return _run(_wlc_block, values, w)


def weighted_sum(values, weights):
    """Weighted mean over the criteria that have data, and the weight share that had data.

    The same as :func:`wlc` (kept under its original name).
    """
    return wlc(values, weights)


def _topsis_block(v, w, best, worst):
    have = ~np.isnan(v)
    wc = _col(w, v.ndim)
    dp = np.sqrt(np.sum(np.where(have, (wc * (v - _col(best, v.ndim))) ** 2, 0), axis=0))
    dm = np.sqrt(np.sum(np.where(have, (wc * (v - _col(worst, v.ndim))) ** 2, 0), axis=0))
    cov = np.sum(wc * have, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(dp + dm > 0, dm / (dp + dm), 0.5)
    c = np.where(cov > 0, c, np.nan)
    return np.stack([c, cov / w.sum()]).astype(v.dtype)


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
    import warnings

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
    best, worst = topsis_ideals(values, ideal)
    return _run(_topsis_block, values, w, best, worst)


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


def _owa_parts(v, w):
    """Sorted values (best first, gaps last), their weights, and the sort order."""
    have = ~np.isnan(v)
    order = np.argsort(np.where(have, -v, np.inf), axis=0, kind="stable")
    vs = np.take_along_axis(np.where(have, v, 0), order, axis=0)
    ws = np.take_along_axis(np.where(have, np.broadcast_to(_col(w, v.ndim), v.shape), 0),
                            order, axis=0)
    return vs, ws, order


def _owa_omega(ws, q):
    """Per-position weights Q(T_r) - Q(T_{r-1}) and the covered weight."""
    cov = ws.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.cumsum(ws, axis=0) / cov, 0, 1)
    qt = q(t)
    omega = np.diff(qt, axis=0, prepend=np.zeros((1,) + qt.shape[1:], dtype=qt.dtype))
    return omega, cov


def _owa_block(v, w, q):
    vs, ws, _ = _owa_parts(v, w)
    omega, cov = _owa_omega(ws, q)
    s = np.where(cov > 0, np.sum(omega * vs, axis=0), np.nan)
    return np.stack([s, cov / w.sum()]).astype(v.dtype)


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
    q = owa_quantifier(orness=orness, order_weights=order_weights)
    return _run(_owa_block, values, w, q)


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
    have = ~np.isnan(values)
    wc = _col(w, values.ndim)
    s, cov = aggregate(values, w, method, **params)
    cov_abs = cov * w.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(have, wc, 0) / cov_abs  # w_j / sum_A w
        if method == "wlc":
            out = share * np.where(have, values, 0)
        elif method == "topsis":
            _, worst = topsis_ideals(values, params.get("ideal", "data"))
            dm = np.where(have, (wc * (values - _col(worst, values.ndim))) ** 2, 0)
            tot = dm.sum(axis=0)
            out = np.where(tot > 0, s * dm / tot, s * share)
        else:
            q = owa_quantifier(**params)
            vs, ws, order = _owa_parts(values, w)
            omega, _ = _owa_omega(ws, q)
            out = np.zeros_like(values)
            np.put_along_axis(out, order, omega * vs, axis=0)
    return np.where(cov_abs > 0, np.nan_to_num(out), 0).astype(values.dtype)


# --- the cached decision matrix of a store ----------------------------------------------------

def _wdot(w: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``w @ rows`` for (k,) weights and (k, n) rows, single-threaded.

    einsum, not BLAS: on a shared 2-core machine OpenBLAS's threaded gemv showed 8 ms
    stalls on a 0.05 ms product; einsum is steady (0.1 ms at 1 km, 35 ms at 100 m).
    """
    return np.einsum("k,kn->n", w, rows)

class CriteriaMatrix:
    """Transformed criteria of one scenario stacked over a store's land cells, for re-scoring.

    Built once per set of (criterion, direction, transform) and dtype, and cached on the
    store. ``filled`` (k, n) holds the values with 0 where a criterion has no data;
    ``pattern`` says, per cell, which criteria have data (an index into ``patterns``,
    (P, k); cells share few patterns). A WLC re-score is then ``w @ filled`` divided by
    the weight with data of each cell's pattern: one pass over the matrix.

    Parameters
    ----------
    names
        Criterion names, in row order.
    rows
        One 1-D transformed vector per name (NaN = no data), all the same length; may
        be a generator, consumed one row at a time (so only one extra row is in memory
        while the matrix is built).
    """

    def __init__(self, names: list[str], rows):
        self.names = list(names)
        self.k = len(names)
        if not 0 < self.k <= 63:
            raise ValueError(f"between 1 and 63 criteria can be scored together, got {self.k}")
        for i, r in enumerate(rows):
            if i == 0:
                self.n, self.dtype = len(r), np.dtype(r.dtype)
                self.filled = np.empty((self.k, self.n), dtype=self.dtype)
                code = np.zeros(self.n, dtype=np.uint64)
            have = ~np.isnan(r)
            code |= have.astype(np.uint64) << np.uint64(i)
            np.copyto(self.filled[i], np.where(have, r, 0))
        self.filled.setflags(write=False)
        if self.n == 0 or (code == code[0]).all():
            # One pattern (usually: every criterion everywhere).
            codes = code[:1] if self.n else np.array([(1 << self.k) - 1], dtype=np.uint64)
            self.pattern = None
        else:
            # Hashing, not sorting: O(n) even at 100 m.
            pat, codes = pd.factorize(code)
            codes = np.asarray(codes, dtype=np.uint64)
            self.pattern = pat.astype(np.uint8 if codes.size <= 256 else
                                      np.uint16 if codes.size <= 65536 else np.int32)
        bits = (codes[:, None] >> np.arange(self.k, dtype=np.uint64)) & np.uint64(1)
        self.patterns = bits.astype(bool)  # (P, k): True where the pattern has data
        #: criteria with data in every cell
        self.complete = self.patterns.all(axis=0)
        self._parts: dict = {}

    @property
    def nbytes(self) -> int:
        return self.filled.nbytes + (0 if self.pattern is None else self.pattern.nbytes)

    def weights_vector(self, weights: Mapping[str, float]) -> np.ndarray:
        """Weights in row order (0 for criteria not named)."""
        return np.array([weights.get(n, 0.0) for n in self.names], dtype=self.dtype)

    def have(self, i: int, cells=None) -> np.ndarray:
        """Where criterion ``i`` has data (all cells, or ``cells``)."""
        n = self.n if cells is None else len(cells)
        if self.complete[i]:
            return np.ones(n, dtype=bool)
        pat = self.pattern if cells is None else self.pattern[cells]
        return self.patterns[:, i][pat]

    def have_matrix(self, cells=None) -> np.ndarray:
        """(k, n or len(cells)) bool: where each criterion has data."""
        if self.pattern is None:
            n = self.n if cells is None else len(cells)
            return np.broadcast_to(self.patterns[0][:, None], (self.k, n))
        pat = self.pattern if cells is None else self.pattern[cells]
        return self.patterns.T[:, pat]

    def _per_cell(self, per_pattern: np.ndarray) -> np.ndarray:
        """A per-pattern value spread to every cell."""
        if self.pattern is None:
            return np.full(self.n, per_pattern[0], dtype=per_pattern.dtype)
        return per_pattern[self.pattern]

    def _coverage(self, w):
        """Weight with data per pattern, and the share of the total per cell."""
        cov_p = self.patterns.astype(self.dtype) @ w
        return cov_p, self._per_cell((cov_p / w.sum()).astype(self.dtype))

    def _normalise(self, s, cov_p):
        """``s / (weight with data)`` per cell, in place; NaN where no weighted data."""
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = np.where(cov_p > 0, 1 / cov_p, np.nan).astype(self.dtype)
        if self.pattern is None:
            s *= inv[0]
        else:
            s *= inv[self.pattern]
        return s

    def wlc(self, w):
        """(score, coverage) over all cells: the fast path of :func:`wlc`."""
        w = np.asarray(w, dtype=self.dtype)
        cov_p, cov = self._coverage(w)
        return self._normalise(_wdot(w, self.filled), cov_p), cov

    def ideals(self, ideal: str = "data") -> tuple[np.ndarray, np.ndarray]:
        """TOPSIS best and worst value per criterion, over the cells with data (cached)."""
        key = ("ideals", ideal)
        if key not in self._parts:
            if ideal == "fixed":
                best, worst = np.ones(self.k, self.dtype), np.zeros(self.k, self.dtype)
            elif ideal == "data":
                best = np.full(self.k, np.nan, self.dtype)
                worst = np.full(self.k, np.nan, self.dtype)
                for i in range(self.k):
                    row = self.filled[i] if self.complete[i] else self.filled[i][self.have(i)]
                    if row.size:
                        best[i], worst[i] = row.max(), row.min()
            else:
                raise ValueError(f"ideal is {ideal!r}; use 'data' or 'fixed'")
            self._parts[key] = (best, worst)
        return self._parts[key]

    def _topsis_parts(self, ideal):
        """Squared distances per criterion to the ideal and anti-ideal, 0 where no data."""
        key = ("topsis", ideal)
        if key not in self._parts:
            best, worst = self.ideals(ideal)
            dp = np.empty_like(self.filled)
            dm = np.empty_like(self.filled)
            for i in range(self.k):
                have = self.have(i)
                np.copyto(dp[i], np.where(have, (self.filled[i] - best[i]) ** 2, 0))
                np.copyto(dm[i], np.where(have, (self.filled[i] - worst[i]) ** 2, 0))
            self._parts[key] = (dp, dm)
        return self._parts[key]

    def topsis(self, w, ideal: str = "data"):
        """(score, coverage, squared distance to the anti-ideal): fast :func:`topsis`."""
        w = np.asarray(w, dtype=self.dtype)
        dp, dm = self._topsis_parts(ideal)
        w2 = w * w
        dpp, dm2 = np.sqrt(_wdot(w2, dp)), _wdot(w2, dm)
        dmm = np.sqrt(dm2)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(dpp + dmm > 0, dmm / (dpp + dmm), self.dtype.type(0.5))
        cov_p, cov = self._coverage(w)
        if (cov_p <= 0).any():
            c[self._per_cell(cov_p <= 0)] = np.nan
        return c.astype(self.dtype), cov, dm2

    def _owa_parts(self):
        """Sorted values and a code per cell for its ordering of the criteria.

        A cell's OWA weights depend only on the order of its values (and which are
        missing), not on the values themselves; cells share few orderings, so the
        weights are computed once per ordering and gathered.
        """
        if "owa" not in self._parts:
            have = self.have_matrix()
            order = np.argsort(np.where(have, -self.filled, np.inf), axis=0, kind="stable")
            order = order.astype(np.int8)
            vs = np.take_along_axis(self.filled, order, axis=0)
            hs = np.take_along_axis(have, order, axis=0)
            key = np.ascontiguousarray(np.where(hs, order, -1).astype(np.int8).T)
            del order, hs, have
            pat, codes = pd.factorize(key.view(np.dtype((np.void, self.k))).ravel())
            rows = np.frombuffer(np.asarray(codes).tobytes(), dtype=np.int8).reshape(-1, self.k)
            self._parts["owa"] = (np.ascontiguousarray(vs), pat.astype(np.int32), rows)
        return self._parts["owa"]

    def owa_omega(self, w, q):
        """OWA weights per sort position and ordering, (k, P); and per-ordering codes.

        Returns ``omega`` (k, P), ``cov`` (P,) weight with data, ``pat`` (n,) the
        ordering of each cell, ``rows`` (P, k) criterion at each position (-1 = no data)
        and ``vs`` (k, n) the sorted values.
        """
        vs, pat, rows = self._owa_parts()
        w = np.asarray(w, dtype=self.dtype)
        ws = np.where(rows >= 0, w[np.maximum(rows, 0)], 0).T.astype(self.dtype)  # (k, P)
        omega, cov = _owa_omega(ws, q)
        return omega, cov, pat, rows, vs

    def owa(self, w, **params):
        """(score, coverage): the fast path of :func:`owa`."""
        w = np.asarray(w, dtype=self.dtype)
        omega, cov_p, pat, _, vs = self.owa_omega(w, owa_quantifier(**params))
        s = omega[0][pat] * vs[0]
        for r in range(1, self.k):
            s += omega[r][pat] * vs[r]
        cov = (cov_p / w.sum()).astype(self.dtype)[pat]
        return np.where(cov > 0, s, self.dtype.type(np.nan)), cov

    def score(self, w, method: str = "wlc", **params):
        """(score, coverage) of every cell under weights ``w`` (row order)."""
        if method == "wlc":
            return self.wlc(w)
        if method == "topsis":
            s, cov, _ = self.topsis(w, **params)
            return s, cov
        if method == "owa":
            return self.owa(w, **params)
        raise ValueError(f"unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}")

    def score_cells(self, weights, cells: np.ndarray, method: str = "wlc", **params) -> np.ndarray:
        """Scores of some cells under many weight vectors at once.

        Parameters
        ----------
        weights
            (d, k) weight vectors (row order), e.g. Monte-Carlo draws.
        cells
            Positions in the land vectors.

        Returns
        -------
        numpy.ndarray
            (d, len(cells)) float64 scores.
        """
        W = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        cells = np.asarray(cells)
        filled = self.filled[:, cells].astype(np.float64)
        have = self.have_matrix(cells)
        cov = np.einsum("dk,km->dm", W, have.astype(np.float64))
        with np.errstate(invalid="ignore", divide="ignore"):
            if method == "wlc":
                return np.where(cov > 0, np.einsum("dk,km->dm", W, filled) / cov, np.nan)
            if method == "topsis":
                ideals = self.ideals(params.get("ideal", "data"))
                best, worst = (b.astype(np.float64) for b in ideals)
                w2 = W ** 2
                dp2 = np.where(have, (filled - best[:, None]) ** 2, 0)
                dm2 = np.where(have, (filled - worst[:, None]) ** 2, 0)
                dp = np.sqrt(np.einsum("dk,km->dm", w2, dp2))
                dm = np.sqrt(np.einsum("dk,km->dm", w2, dm2))
                c = np.where(dp + dm > 0, dm / (dp + dm), 0.5)
                return np.where(cov > 0, c, np.nan)
        if method == "owa":
            q = owa_quantifier(**params)
            sub = np.where(have, filled, np.nan)
            return np.stack([_owa_block(sub, w, q)[0] for w in W])
        raise ValueError(f"unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}")


def _cache_key(name: str, direction: str, spec: dict, dtype) -> tuple:
    return ("transformed", name, direction, repr(sorted(spec.items())), np.dtype(dtype).str)


def transformed(store: LayerStore, name: str, direction: str, spec: dict,
                dtype=np.float32) -> np.ndarray:
    """Transformed values of one criterion on land cells, cached on ``store`` (read-only)."""
    key = _cache_key(name, direction, spec, dtype)
    cached = store._cache.get(key)
    if cached is None:
        cached = transforms.apply(store.read_vector(name).astype(dtype, copy=False), spec, direction)
        cached = np.asarray(cached, dtype=dtype)
        cached.setflags(write=False)
        store._cache[key] = cached
    return cached


def criteria_matrix(store: LayerStore, scenario: Scenario, dtype=np.float32) -> CriteriaMatrix:
    """The cached :class:`CriteriaMatrix` of every criterion in ``scenario`` (any weight).

    Zero-weight criteria are kept in it, so re-weighting one to 0 and back reuses it.
    """
    keys = tuple(_cache_key(c.name, c.direction, c.transform, dtype) for c in scenario.criteria)
    mkey = ("matrix", keys)
    matrices = store._cache.setdefault("_matrices", {})
    cm = matrices.get(mkey)
    if cm is None:
        # Transform one criterion at a time into the matrix: at 100 m this keeps one
        # 92 MB row in flight instead of a second copy of the whole matrix.
        rows = (store._cache[key] if key in store._cache else
                np.asarray(transforms.apply(store.read_vector(c.name).astype(dtype, copy=False),
                                            c.transform, c.direction), dtype=dtype)
                for key, c in zip(keys, scenario.criteria))
        cm = CriteriaMatrix([c.name for c in scenario.criteria], rows)
        # The matrix now holds every value: point the per-criterion cache of a complete
        # criterion at its row, and drop the others (recomputed on demand), so the values
        # are kept once; this matters at 100 m (92 MB per criterion).
        for i, key in enumerate(keys):
            if cm.complete[i]:
                store._cache[key] = cm.filled[i]
            else:
                store._cache.pop(key, None)
        if len(matrices) >= _MAX_MATRICES:
            old_key = next(iter(matrices))
            old = matrices.pop(old_key)
            for key in old_key[1]:
                if store._cache.get(key) is not None and store._cache[key].base is old.filled:
                    del store._cache[key]  # recomputed on demand
        matrices[mkey] = cm
    else:
        matrices[mkey] = matrices.pop(mkey)  # most recently used last
    return cm


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)  # cached and shared between results
    return a


def _masks(store: LayerStore, scenario: Scenario):
    """Per-reason (excluded, unassessed) vectors and labels, cached on the store."""
    out = {}
    for name in scenario.exclusions:
        key = ("exclusion", name)
        if key not in store._cache:
            raw = store.read_vector(name)
            store._cache[key] = (_frozen(raw == 1), _frozen(np.isnan(raw)))
        out[name] = (*store._cache[key], f"in an excluded area: {name}")
    for c in scenario.constraints:
        key = ("constraint", c)
        if key not in store._cache:
            raw = store.read_vector(c.name)
            nodata = np.isnan(raw)
            with np.errstate(invalid="ignore"):
                bad = np.zeros(raw.shape, dtype=bool)
                if c.min is not None:
                    bad |= raw < c.min
                if c.max is not None:
                    bad |= raw > c.max
            if c.missing == "exclude":
                bad |= nodata
            store._cache[key] = (_frozen(bad), _frozen(nodata))
        unit = store.meta.get(c.name, {}).get("unit", "")
        why = f"fails constraint {c.label} {unit}".rstrip()
        out[c.label] = (*store._cache[key], why)
    return out


def _combined_mask(store: LayerStore, scenario: Scenario, masks: dict) -> np.ndarray:
    key = ("excluded", tuple(scenario.exclusions), tuple(scenario.constraints))
    if key not in store._cache:
        excluded = np.zeros(len(store.land_index), dtype=bool)
        for bad, _, _ in masks.values():
            excluded |= bad
        excluded.setflags(write=False)
        store._cache[key] = excluded
    return store._cache[key]


# --- the result -----------------------------------------------------------------------------

class _LazyMap(Mapping):
    """A read-only mapping whose values are computed on first access."""

    def __init__(self, names, compute):
        self._names, self._compute, self._done = list(names), compute, {}

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._done:
            self._done[name] = self._compute(name)
        return self._done[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __repr__(self):
        return f"<{len(self)} criteria: {', '.join(self._names)}>"


@dataclass
class ScoreResult:
    """The outcome of scoring: everything as 1-D vectors over land cells (float32 by default).

    Attributes
    ----------
    score
        Aggregated score in [0, 1] before exclusions (NaN if no criterion has data).
    ranked
        ``score`` with excluded cells set to NaN: what ranking uses.
    values
        Transformed value in [0, 1] per weighted criterion.
    contributions
        Per weighted criterion, its part of ``score`` (they sum to ``score``; see the
        module docstring for TOPSIS and OWA). Computed on first access.
    coverage
        Share of the total weight whose criterion has data in the cell.
    excluded
        True where any exclusion or constraint rules the cell out.
    excluded_by
        Boolean vector per active exclusion (by name) and constraint (by its label, e.g.
        ``dist_substation_132kv_km <= 10``); ``unassessed`` likewise where it has no data.
    reasons
        The same keys -> a sentence saying why a cell is excluded.
    method
        The aggregation used.
    """

    store: LayerStore
    scenario: Scenario
    weights: dict[str, float]
    score: np.ndarray
    ranked: np.ndarray
    values: Mapping[str, np.ndarray]
    contributions: Mapping[str, np.ndarray]
    coverage: np.ndarray
    excluded: np.ndarray
    excluded_by: dict[str, np.ndarray] = field(default_factory=dict)
    unassessed: dict[str, np.ndarray] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    method: str = "wlc"
    matrix: CriteriaMatrix | None = field(default=None, repr=False)

    @property
    def grid(self):
        return self.store.grid

    def surface(self, what: str = "score") -> np.ndarray:
        """A 2-D array on the grid, NaN off land.

        ``what`` is ``"score"`` (excluded cells NaN), ``"score_all"`` (before exclusions),
        ``"coverage"``, ``"excluded"`` (1.0 where excluded), or a criterion name (its
        transformed value).
        """
        if what == "score":
            v = self.ranked
        elif what == "score_all":
            v = self.score
        elif what == "coverage":
            v = self.coverage
        elif what == "excluded":
            v = self.excluded.astype(np.float32)
        elif what in self.values:
            v = self.values[what]
        else:
            raise KeyError(f"no surface {what!r}; use 'score', 'score_all', 'coverage', "
                           f"'excluded' or a weighted criterion ({', '.join(self.values)})")
        return self.store.unflatten(v)

    def why_excluded(self, positions) -> list[list[str]]:
        """For land-vector positions, the reasons (sentences) each cell is excluded."""
        pos = np.atleast_1d(np.asarray(positions))
        return [[self.reasons[k] for k, bad in self.excluded_by.items() if bad[p]] for p in pos]

    def exclusion_summary(self) -> pd.DataFrame:
        """Per exclusion or constraint: cells excluded, of which by it alone, and unassessed."""
        n = len(self.score)
        count = np.zeros(n, dtype=np.int16)
        for bad in self.excluded_by.values():
            count += bad
        rows = []
        for k, bad in self.excluded_by.items():
            rows.append({"reason": k, "why": self.reasons[k], "cells": int(bad.sum()),
                         "share_of_land": round(float(bad.sum()) / n, 4),
                         "only_reason": int((bad & (count == 1)).sum()),
                         "unassessed": int(self.unassessed[k].sum())})
        cols = ["reason", "why", "cells", "share_of_land", "only_reason", "unassessed"]
        return pd.DataFrame(rows, columns=cols).set_index("reason")


def score(store: LayerStore, scenario: Scenario, *, dtype=np.float32) -> ScoreResult:
    """Score every land cell of ``store`` under ``scenario``.

    Parameters
    ----------
    store
        The layer store; transformed criteria are cached on it.
    scenario
        Weights, transforms, aggregation, constraints and exclusions.
    dtype
        ``numpy.float32`` (default, fast) or ``numpy.float64`` (for exact comparisons
        with other MCDA libraries); each has its own cache.

    Examples
    --------
    >>> import growthzones as gz                                    # doctest: +SKIP
    >>> result = gz.score(gz.load_layers(), gz.load_scenario())     # doctest: +SKIP

    Raises
    ------
    InputError
        ``store`` is not a :class:`LayerStore` or ``scenario`` not a :class:`Scenario`
        (including the two swapped), or ``dtype`` is not float32/float64.
    """
    check_score_args(store, scenario, dtype)
    dtype = np.dtype(dtype)
    weights = scenario.weights
    cm = criteria_matrix(store, scenario, dtype)
    w = cm.weights_vector(weights)
    agg = scenario.aggregation
    method, params = agg.method, agg.params
    aux = {}
    if method == "topsis":
        total, coverage, aux["dm2"] = cm.topsis(w, **params)
    else:
        total, coverage = cm.score(w, method, **params)

    masks = _masks(store, scenario)
    excluded = _combined_mask(store, scenario, masks)
    ranked = np.where(excluded, dtype.type(np.nan), total) if excluded.any() else total
    for a in (total, ranked, coverage):
        a.setflags(write=False)  # results share arrays (ranked is score if nothing is excluded)
    names = list(weights)
    crit = {c.name: c for c in scenario.criteria}
    values = _LazyMap(names, lambda n: transformed(store, n, crit[n].direction,
                                                   crit[n].transform, dtype))
    contrib = _LazyMap(names, _contribution_fn(cm, w, method, params, total, coverage, aux))
    return ScoreResult(
        store=store, scenario=scenario, weights=weights, score=total, ranked=ranked,
        values=values, contributions=contrib, coverage=coverage, excluded=excluded,
        excluded_by={k: m[0] for k, m in masks.items()},
        unassessed={k: m[1] for k, m in masks.items()},
        reasons={k: m[2] for k, m in masks.items()}, method=method, matrix=cm)


def _contribution_fn(cm: CriteriaMatrix, w, method, params, total, coverage, aux):
    rows = {n: i for i, n in enumerate(cm.names)}
    wsum = w.sum()
    state = {}

    def compute(name):
        i = rows[name]
        v = cm.filled[i]
        have = cm.have(i)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(have, w[i], 0) / (coverage * wsum)  # w_j / sum_A w
            if method == "wlc":
                out = share * np.where(have, v, 0)
            elif method == "topsis":
                _, dm = cm._topsis_parts(params.get("ideal", "data"))
                part = w[i] ** 2 * dm[i]  # 0 where no data
                tot = aux["dm2"]
                out = np.where(tot > 0, total * part / tot, total * share)
            else:
                if "omega" not in state:
                    omega, _, pat, prow, vs = cm.owa_omega(w, owa_quantifier(**params))
                    state["omega"], state["pat"], state["rows"], state["vs"] = omega, pat, prow, vs
                omega, pat, prow, vs = state["omega"], state["pat"], state["rows"], state["vs"]
                # Position of criterion i in each ordering (-1: no data there).
                pos_p = np.full(len(prow), -1)
                r_, c_ = np.nonzero(prow == i)
                pos_p[r_] = c_
                pos = pos_p[pat]
                out = np.zeros(cm.n, dtype=cm.dtype)
                for r in range(cm.k):
                    sel = pos == r
                    out[sel] = omega[r][pat[sel]] * vs[r][sel]
        return np.where(coverage > 0, np.nan_to_num(out), 0).astype(cm.dtype)

    return compute


# --- explain --------------------------------------------------------------------------------

def check_score_args(store, scenario, dtype=np.float32) -> None:
    """InputError unless ``score(store, scenario, dtype=dtype)`` has arguments it can use."""
    if isinstance(store, Scenario) and isinstance(scenario, LayerStore):
        raise InputError("score(store, scenario) got the scenario first and the layer store "
                         "second; swap them: score(layers, scenario)")
    if not isinstance(store, LayerStore):
        raise InputError(f"store is a {type(store).__name__} ({str(store)[:40]!r}); give the "
                         f"layer store: score(gz.load_layers(), scenario)")
    if not isinstance(scenario, Scenario):
        kind = type(scenario).__name__
        raise InputError(f"scenario is {'an' if kind[0] in 'aeiou' else 'a'} {kind} "
                         f"({str(scenario)[:40]!r}); "
                         f"give a Scenario: score(layers, gz.load_scenario('my.toml'))")
    try:
        ok = np.dtype(dtype) in (np.float32, np.float64)
    except TypeError:
        ok = False
    if not ok:
        raise InputError(f"dtype is {dtype!r}; use numpy.float32 (default) or numpy.float64")


def check_result(result, what: str = "result") -> ScoreResult:
    """``result`` if it is a :class:`ScoreResult`, else an InputError saying how to get one."""
    if not isinstance(result, ScoreResult):
        raise InputError(f"{what} is a {type(result).__name__}; give the output of "
                         f"growthzones.score(layers, scenario)")
    return result


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
        ``excluded``, ``reasons``, ``coverage`` and ``method``.
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
                     "transform": c.transform["type"], "value": float(result.values[name][i]),
                     "weight": w, "contribution": float(result.contributions[name][i]),
                     "status": "ok" if raw == raw else "no data: weight shared by the others",
                     "reason": ""})
    for key, bad in result.excluded_by.items():
        kind = "exclusion" if key in result.scenario.exclusions else "constraint"
        name = key if kind == "exclusion" else next(c.name for c in result.scenario.constraints
                                                     if c.label == key)
        status = ("excluded" if bad[i] else
                  "not assessed: no data here" if result.unassessed[key][i] else "clear")
        rows.append({"name": key, "kind": kind, "raw": float(result.store.values_at(name, [i])[0]),
                     "unit": "flag" if kind == "exclusion" else meta[name]["unit"],
                     "direction": None, "transform": None, "value": np.nan, "weight": np.nan,
                     "contribution": np.nan, "status": status,
                     "reason": result.reasons[key] if bad[i] else ""})
    df = pd.DataFrame(rows).set_index("name")
    df.attrs.update(score=float(result.ranked[i]), score_all=float(result.score[i]),
                    excluded=bool(result.excluded[i]), reasons=result.why_excluded(i)[0],
                    coverage=float(result.coverage[i]), method=result.method)
    return df


def explain_sites(result: ScoreResult, sites: pd.DataFrame) -> pd.DataFrame:
    """:func:`explain` for every site (rows with ``easting``/``northing``), stacked.

    The index is (``site_id`` or the row label, name).
    """
    ids = sites["site_id"] if "site_id" in sites else sites.index
    parts = {sid: explain(result, row) for sid, (_, row) in zip(ids, sites.iterrows())}
    return pd.concat(parts, names=["site_id", "name"])


# --- xarray / dask ----------------------------------------------------------------------------

def score_dataset(ds, scenario: Scenario, *, dtype=np.float32):
    """Score an ``xarray.Dataset`` of raw layers, NumPy- or dask-backed, chunk by chunk.

    The same transforms and kernels as :func:`score`, for grids too big for one machine
    (10 m, Europe-wide): with dask-backed variables nothing is computed until asked and
    the work runs on whatever dask scheduler is active (e.g. a ``distributed`` cluster).

    Parameters
    ----------
    ds
        One variable per criterion and exclusion of ``scenario``, all on the same dims
        (e.g. ``y``, ``x`` in EPSG:27700), raw values in the criterion's unit, NaN = no data
        (also off land).
    scenario
        As for :func:`score`. The ``percentile`` transform needs a global sort and is
        refused on dask; ``linear`` and TOPSIS ``ideal = "data"`` take national
        reductions (one extra pass).

    Returns
    -------
    xarray.Dataset
        ``score``, ``ranked``, ``coverage``, ``excluded`` (float: 1 excluded, 0 not, NaN
        where no criterion has data) on the input coords, with the scenario name,
        method and weights in ``attrs``.
    """
    import xarray as xr

    weights = scenario.weights
    names = list(weights)
    needed = names + list(scenario.exclusions) + [c.name for c in scenario.constraints]
    missing = [n for n in dict.fromkeys(needed) if n not in ds.data_vars]
    if missing:
        raise KeyError(f"the dataset lacks {', '.join(missing)} (it has: "
                       f"{', '.join(map(str, ds.data_vars))})")
    ref = ds[names[0]]
    vals = []
    for n in names:
        c = scenario.criterion(n)
        vals.append(transforms.apply(ds[n].data.astype(dtype), c.transform, c.direction))
    stacked = np.stack(vals)
    w = np.array([weights[n] for n in names], dtype=dtype)
    total, coverage = aggregate(stacked, w, scenario.aggregation.method,
                                **scenario.aggregation.params)
    excluded = None
    for n in scenario.exclusions:
        bad = ds[n].data == 1
        excluded = bad if excluded is None else excluded | bad
    for c in scenario.constraints:
        raw = ds[c.name].data
        bad = np.isnan(raw) & (c.missing == "exclude")
        if c.min is not None:
            bad = bad | (raw < c.min)
        if c.max is not None:
            bad = bad | (raw > c.max)
        excluded = bad if excluded is None else excluded | bad
    if excluded is None:
        excluded = np.zeros_like(total, dtype=bool)
    ranked = np.where(excluded, np.nan, total).astype(dtype)
    excluded_f = np.where(np.isnan(total), np.nan, excluded.astype(dtype)).astype(dtype)
    attrs = {"scenario": scenario.name, "aggregation": scenario.aggregation.method,
             "weights": ", ".join(f"{n}={v:.4g}" for n, v in weights.items())}
    return xr.Dataset({k: (ref.dims, v) for k, v in (("score", total), ("ranked", ranked),
                                                     ("coverage", coverage),
                                                     ("excluded", excluded_f))},
                      coords=ref.coords, attrs=attrs)


def store_dataset(store: LayerStore, names=None, *, chunks=None):
    """The store's layers as an ``xarray.Dataset`` on (y, x) cell centres (EPSG:27700).

    ``chunks`` (e.g. ``{"y": 250, "x": 250}``) makes it dask-backed. A bridge to
    :func:`score_dataset`.
    """
    import xarray as xr

    names = list(store.layers) if names is None else list(names)
    xs, ys = store.grid.centres()
    ds = xr.Dataset({n: (("y", "x"), np.where(store.land, store.layer(n), np.nan))
                     for n in names}, coords={"y": ys, "x": xs},
                    attrs={"crs": store.grid.crs, "resolution": store.grid.resolution})
    return ds.chunk(chunks) if chunks else ds
