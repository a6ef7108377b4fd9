"""The criteria matrix of a store and the cache of what scoring derives from a store.

Each criterion's transformed values are computed once per (criterion, direction,
transform, dtype) and stacked into a :class:`CriteriaMatrix` over the store's land cells,
so a re-score with new weights is the kernels of :mod:`.kernels` on cached parts: for WLC
one matrix-vector product and a per-cell division by the weight that had data.

The cache is owned by scoring, not by the store: :func:`cache_for` keeps one dict per
live :class:`~growthzones.store.LayerStore` in a module-level table keyed by the store's
identity, and a :func:`weakref.finalize` drops the entry when the store is garbage
collected. (Not a ``WeakKeyDictionary``: a ``LayerStore`` is a dataclass that compares by
value, so it is not hashable.) Nothing is written into the store.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import transforms
from ..cache import cached_array, code_digest, store_sources
from . import kernels as K

#: How many stacked matrices a store keeps (each is criteria x land cells).
MAX_MATRICES = 4

_CACHES: dict[int, dict] = {}


def cache_for(store) -> dict:
    """Scoring's cache of derived arrays for ``store`` (created empty on first use).

    Keys: ``("transformed", name, direction, transform, dtype)`` -> read-only vector;
    ``"_matrices"`` -> {key: :class:`CriteriaMatrix`}; masks (see :mod:`.masks`).
    The entry lives as long as the store does.
    """
    key = id(store)
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = {}
        weakref.finalize(store, _CACHES.pop, key, None)
    return cache


def clear_cache(store) -> None:
    """Forget everything scoring derived from ``store`` (the next score recomputes it)."""
    _CACHES.pop(id(store), None)


class CriteriaMatrix:
    """Transformed criteria of one scenario stacked over a store's land cells, for re-scoring.

    Built once per set of (criterion, direction, transform) and dtype, and cached for the
    store. ``filled`` (k, n) holds the values with 0 where a criterion has no data;
    ``pattern`` says, per cell, which criteria have data (an index into ``patterns``,
    (P, k); cells share few patterns), so the weight with data of a cell is computed per
    pattern. The matrix is the *prepared criteria* of :mod:`.kernels`: scoring it runs
    the same kernels as the NumPy and dask paths, on parts cached here.

    Parameters
    ----------
    names
        Criterion names, in row order.
    rows
        Per name, all of the same length, one of: its transformed vector (NaN = no
        data); a function that writes that vector into the one it is given (the
        matrix's row, of ``n`` cells and ``dtype``: no copy of its own); or a pair
        ``(values, have)`` of values that are 0 where it has no data and where it has
        data (None: everywhere), as :meth:`row_part` gives. May be a generator, consumed
        one row at a time (so at most one extra row is in memory while the matrix is
        built).
    n, dtype
        The rows' length and dtype, needed when the first row is a function.
    out
        A writable C-contiguous (k, n) array of ``dtype`` to hold the values, reused
        (a chunk scorer's, :mod:`.result`: 84 MB of fresh pages a chunk otherwise).
    """

    def __init__(self, names: list[str], rows, *, n: int | None = None, dtype=None,
                 out: np.ndarray | None = None):
        self.names = list(names)
        self.k = len(names)
        if not 0 < self.k <= 63:
            raise ValueError(f"between 1 and 63 criteria can be scored together, got {self.k}")
        i = -1
        for i, r in enumerate(rows):
            if i == 0:
                first = r[0] if isinstance(r, tuple) else r
                self.n, self.dtype = (n, np.dtype(dtype)) if callable(first) else \
                    (len(first), np.dtype(first.dtype))
                if out is None:
                    self.filled = np.empty((self.k, self.n), dtype=self.dtype)
                else:
                    out.setflags(write=True)
                    self.filled = out
                code = np.zeros(self.n, dtype=np.uint64)
                have = np.empty(self.n, dtype=bool)
            # each row written whole, in place: no n-long temporaries (at GB 100 m making
            # and freeing them was two thirds of building the matrix, ~6 s)
            row, bit = self.filled[i], np.uint64(1 << i)
            if isinstance(r, tuple):
                np.copyto(row, r[0])
                if r[1] is None:
                    np.bitwise_or(code, bit, out=code)
                else:
                    np.bitwise_or(code, bit, out=code, where=r[1])
                continue
            if callable(r):
                r(row)
            else:
                np.copyto(row, r)
            np.isnan(row, out=have)  # its gaps: 0 in the row, no bit in the code
            np.copyto(row, 0, where=have)
            np.logical_not(have, out=have)
            np.bitwise_or(code, bit, out=code, where=have)
        if i != self.k - 1:
            raise ValueError(f"{self.k} criteria named, {i + 1} rows given")
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

    # --- the prepared-criteria interface of .kernels ------------------------------------------

    def have(self, i: int, cells=None) -> np.ndarray:
        """Where criterion ``i`` has data (all cells, or ``cells``)."""
        n = self.n if cells is None else len(cells)
        if self.complete[i]:
            return np.ones(n, dtype=bool)
        pat = self.pattern if cells is None else self.pattern[cells]
        return self.patterns[:, i][pat]

    def row_part(self, i: int, cells) -> tuple[np.ndarray, np.ndarray | None]:
        """``(values, have)`` of criterion ``i`` at ``cells``: values 0 where it has no
        data and where it has data (None: everywhere), a row for another matrix without
        putting the gaps back as NaN."""
        cells = np.asarray(cells, dtype=np.intp)
        return self.filled[i][cells], None if self.complete[i] else self.have(i, cells)

    def values_at(self, i: int, cells=None) -> np.ndarray:
        """Transformed values of criterion ``i`` at ``cells`` (default: every cell; NaN =
        no data)."""
        if cells is None:
            if self.complete[i]:
                return self.filled[i]
            return np.where(self.have(i), self.filled[i], self.dtype.type(np.nan))
        cells = np.asarray(cells, dtype=np.intp)
        return np.where(self.have(i, cells), self.filled[i][cells], self.dtype.type(np.nan))

    def have_matrix(self, cells=None) -> np.ndarray:
        """(k, n or len(cells)) bool: where each criterion has data."""
        if self.pattern is None:
            n = self.n if cells is None else len(cells)
            return np.broadcast_to(self.patterns[0][:, None], (self.k, n))
        pat = self.pattern if cells is None else self.pattern[cells]
        return self.patterns.T[:, pat]

    def weight_with_data(self, w: np.ndarray) -> np.ndarray:
        """Weight with data per cell, computed per pattern and spread to the cells.

        (n,) for (k,) ``w``, (d, n) for (d, k); with a single pattern the last axis has
        length 1 and broadcasts (a division by a scalar, not by an n-vector).
        """
        cov_p = w @ self.patterns.T.astype(w.dtype)  # (P,) or (d, P)
        return cov_p[..., :1] if self.pattern is None else cov_p[..., self.pattern]

    def sq_dist(self, ref: np.ndarray) -> np.ndarray:
        """(k, n) squared distances of the values to ``ref`` (k,), 0 where no data (cached)."""
        key = ("sq_dist", np.asarray(ref, dtype=self.dtype).tobytes())
        if key not in self._parts:
            out = np.empty_like(self.filled)
            for i in range(self.k):
                np.copyto(out[i], np.where(self.have(i), (self.filled[i] - ref[i]) ** 2, 0))
            out.setflags(write=False)
            self._parts[key] = out
        return self._parts[key]

    def orderings(self):
        """The :class:`.kernels.OwaOrderings` of the matrix (cached: weights do not change it)."""
        if "owa" not in self._parts:
            self._parts["owa"] = K.OwaOrderings(self.filled, self.have_matrix())
        return self._parts["owa"]

    # --- scoring -----------------------------------------------------------------------------

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

    def run(self, w, method: str = "wlc", **params):
        """(score, weight with data, aux) of every cell: :func:`.kernels.run_kernel`."""
        w = np.asarray(w, dtype=self.dtype)
        ideals = self.ideals(params.get("ideal", "data")) if method == "topsis" else None
        return K.run_kernel(self, w, method, params, ideals)

    def score(self, w, method: str = "wlc", **params):
        """(score, coverage) of every cell under weights ``w`` (row order)."""
        s, cov, _ = self.run(w, method, **params)
        return s, K.share(cov, np.asarray(w, dtype=self.dtype), self.n)

    def wlc(self, w):
        """(score, coverage) over all cells: :func:`.kernels.wlc` on the cached matrix."""
        return self.score(w, "wlc")

    def topsis(self, w, ideal: str = "data"):
        """(score, coverage, weighted squared distance to the anti-ideal)."""
        s, cov, aux = self.run(w, "topsis", ideal=ideal)
        return s, K.share(cov, np.asarray(w, dtype=self.dtype), self.n), aux["dm2"]

    def owa(self, w, **params):
        """(score, coverage): :func:`.kernels.owa` on the cached orderings."""
        return self.score(w, "owa", **params)

    def score_cells(self, weights, cells: np.ndarray, method: str = "wlc", **params) -> np.ndarray:
        """Scores of some cells under many weight vectors at once (the same kernels).

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
        return self.score_gathered(self.gather(cells), weights, method, **params)

    def gather(self, cells: np.ndarray) -> K.Dense:
        """The criteria of some cells as float64 prepared criteria, to score many times.

        A Monte-Carlo run gathers its cells once and scores every batch of draws on them
        with :meth:`score_gathered` (the same numbers as :meth:`score_cells`).
        """
        cells = np.asarray(cells)
        return K.Dense(self.filled[:, cells].astype(np.float64), self.have_matrix(cells))

    def score_gathered(self, sub: K.Dense, weights, method: str = "wlc", **params) -> np.ndarray:
        """(d, sub.n) float64 scores of gathered cells (see :meth:`gather`)."""
        if method not in K.AGGREGATIONS:
            raise ValueError(f"unknown aggregation {method!r}; use one of "
                             f"{', '.join(K.AGGREGATIONS)}")
        W = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        ideals = None
        if method == "topsis":
            ideals = tuple(b.astype(np.float64) for b in self.ideals(params.get("ideal", "data")))
        if method == "owa":  # its weights depend on the cell's ordering: one draw at a time
            return np.stack([K.run_kernel(sub, w, method, params)[0] for w in W])
        return K.run_kernel(sub, W, method, params, ideals)[0]


def _cache_key(name: str, direction: str, spec: dict, dtype) -> tuple:
    return ("transformed", name, direction, repr(sorted(spec.items())), np.dtype(dtype).str)


def _transform(store, name: str, direction: str, spec: dict, dtype) -> np.ndarray:
    """A criterion's transformed land vector; from the cache on disk where the store's
    files are cached (:meth:`~growthzones.store.LayerStore.cache_sources`: a 1 km store),
    keyed by them, the transform and the code of :mod:`growthzones.transforms`."""
    def make() -> np.ndarray:
        raw = store.read_vector(name).astype(dtype, copy=False)
        return np.asarray(transforms.apply(raw, spec, direction), dtype=dtype)

    sources = store_sources(store, name)
    if sources is None:
        return make()

    # (a bad spec or direction raises in make(), so no entry is ever made of one)
    return cached_array(sources, make, tag=f"{_cache_key(name, direction, spec, dtype)!r}|"
                                         f"{code_digest(transforms.__file__)}")


def _read_transformed(store, c, out: np.ndarray) -> None:
    """Criterion ``c``'s transformed land vector written into ``out``: the layer read
    there (:meth:`~growthzones.layer_files.LayerFiles.read_land`), then transformed in
    place (:func:`growthzones.transforms.apply_in_place`); what :func:`_transform` gives."""
    if out.dtype == np.float32:
        store.layers.read_land(c.name, store.land_index, out=out)
    else:
        out[:] = store.layers.read_land(c.name, store.land_index)
    transforms.apply_in_place(out, c.transform, c.direction)


def transformed(store, name: str, direction: str, spec: dict, dtype=np.float32) -> np.ndarray:
    """Transformed values of one criterion on land cells, cached for ``store`` (read-only)."""
    cache = cache_for(store)
    key = _cache_key(name, direction, spec, dtype)
    cached = cache.get(key)
    if cached is None:
        cached = _transform(store, name, direction, spec, dtype)
        cached.setflags(write=False)
        cache[key] = cached
    return cached


def shared_cache(store, name: str) -> dict | None:
    """For a network-year view (:mod:`growthzones.network_years`) and a layer that does not
    vary by year, the scoring cache of the store it views (the same raster, so the same
    derived arrays); else None."""
    root = store.__dict__.get("_network_root") if hasattr(store, "__dict__") else None
    varies = getattr(getattr(store, "layers", None), "varies", None)
    if root is None or varies is None or varies(name):
        return None
    return cache_for(root)


def _kept_row(store, cache: dict, key: tuple, name: str):
    """Where a criterion's transformed values are already in memory: ``(row, None)`` from
    ``store``'s cache, ``(None, (matrix, i))`` for row ``i`` of a cached matrix, or, for a
    criterion of a network-year view that does not vary by year, either of those in the
    store it views (at 100 m a read is ~1 s); None if nowhere."""
    for kept in (cache, shared_cache(store, name)):
        if kept is None:
            continue
        if key in kept:
            return kept[key], None
        for (_, keys), cm in kept.get("_matrices", {}).items():
            if key in keys:
                return None, (cm, keys.index(key))
    return None


def _cached_row(store, cache: dict, key: tuple, name: str) -> np.ndarray | None:
    """A criterion's transformed values already in memory (see :func:`_kept_row`), as a
    land vector (NaN = no data; putting a matrix row's gaps back is ~0.1 s at 100 m)."""
    kept = _kept_row(store, cache, key, name)
    if kept is None:
        return None
    row, at = kept
    return row if at is None else at[0].values_at(at[1])


def row_reader(store, c, dtype=np.float32, parts=None):
    """``read(cells)`` -> criterion ``c``'s transformed values at land positions ``cells``
    (NaN = no data), or a matrix row's ``(values, have)`` there
    (:meth:`CriteriaMatrix.row_part`): either is a row for a :class:`CriteriaMatrix`.
    Nothing is added to a cache.

    From the rows in memory (:func:`_kept_row`); else, where the store reads the layer by
    parts (:meth:`~growthzones.store.LayerStore.reads_in_parts`: a big grid's file) and
    ``parts()`` gives the runs of positions that will be asked for, from the file's rows
    under each run, transformed there (the transform takes each value on its own; a
    ``linear`` without ``lo`` and ``hi`` has the range of every part first); else from
    one transform of the whole raster, held by the reader.
    """
    key = _cache_key(c.name, c.direction, c.transform, dtype)
    kept = _kept_row(store, cache_for(store), key, c.name)
    if kept is not None and kept[1] is not None:
        cm, i = kept[1]
        return lambda cells: cm.row_part(i, cells)
    if kept is None and parts is not None and store.reads_in_parts(c.name):
        part = _part_transform(store, c, dtype, parts)
        if part is not None:
            return part
    row = kept[0] if kept is not None else _transform(store, c.name, c.direction,
                                                       c.transform, dtype)
    return lambda cells: row[cells]


def _part_transform(store, c, dtype, parts):
    """``read(cells)`` transforming the raw values at ``cells`` alone (see
    :func:`row_reader`), or None for a transform that needs every value (percentile)."""
    spec, direction = c.transform, c.direction

    def raw(cells):
        return store.values_at(c.name, cells).astype(dtype, copy=False)

    if spec["type"] == "percentile":
        return None
    if transforms.takes_range(spec):
        # transforms.national_range over the parts: the extremes of their extremes
        ends = [transforms.national_range(x) for x in map(raw, parts())
                if not np.isnan(x).all()]
        lo, hi = (min(e[0] for e in ends), max(e[1] for e in ends)) if ends else (0.0, 0.0)
        lo, hi = spec.get("lo", lo), spec.get("hi", hi)
        return lambda cells: np.asarray(transforms.linear(raw(cells), direction=direction,
                                                          lo=lo, hi=hi), dtype=dtype)
    return lambda cells: np.asarray(transforms.apply(raw(cells), spec, direction), dtype=dtype)


def criteria_matrix(store, scenario, dtype=np.float32) -> CriteriaMatrix:
    """The cached :class:`CriteriaMatrix` of every criterion in ``scenario`` (any weight).

    Zero-weight criteria are kept in it, so re-weighting one to 0 and back reuses it.
    """
    cache = cache_for(store)
    keys = tuple(_cache_key(c.name, c.direction, c.transform, dtype) for c in scenario.criteria)
    mkey = ("matrix", keys)
    matrices = cache.setdefault("_matrices", {})
    cm = matrices.get(mkey)
    if cm is None:
        # Transform one criterion at a time into the matrix: at 100 m this keeps one
        # 92 MB row in flight instead of a second copy of the whole matrix; a big
        # grid's file is read and transformed in the matrix's row itself (two fresh
        # vectors a criterion were ~0.25 s of page faults at GB 100 m)
        def row(key, c):
            kept = _cached_row(store, cache, key, c.name)
            if kept is not None:
                return kept
            if store.reads_in_parts(c.name):
                return lambda out: _read_transformed(store, c, out)
            return _transform(store, c.name, c.direction, c.transform, dtype)

        rows = (row(key, c) for key, c in zip(keys, scenario.criteria))
        cm = CriteriaMatrix([c.name for c in scenario.criteria], rows,
                            n=len(store.land_index), dtype=dtype)
        # The matrix now holds every value: point the per-criterion cache of a complete
        # criterion at its row, and drop the others (recomputed on demand), so the values
        # are kept once; this matters at 100 m (92 MB per criterion).
        for i, key in enumerate(keys):
            if cm.complete[i]:
                cache[key] = cm.filled[i]
            else:
                cache.pop(key, None)
        if len(matrices) >= MAX_MATRICES:
            old_key = next(iter(matrices))
            old = matrices.pop(old_key)
            for key in old_key[1]:
                if cache.get(key) is not None and cache[key].base is old.filled:
                    del cache[key]  # recomputed on demand
        matrices[mkey] = cm
    else:
        matrices[mkey] = matrices.pop(mkey)  # most recently used last
    return cm
