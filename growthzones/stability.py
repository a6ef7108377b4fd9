"""Stability: how a ranking holds up under uncertain weights (Monte-Carlo and sweeps).

Weights are judgements, so a ranking is only as good as its stability. Two views:

:func:`rank_stability`
    Monte-Carlo: draw weight vectors from a Dirichlet distribution centred on the
    scenario's normalised weights :math:`w`, :math:`\\tilde w \\sim
    \\mathrm{Dir}(c\\,w)` (concentration c: larger = closer to :math:`w`; each weight's
    standard deviation is :math:`\\sqrt{w_j (1 - w_j)/(c + 1)}`), re-score the
    candidate sites under each draw and report, per site, the probability it is in the
    top N and the interval of its rank.
:func:`sweep_weights` / :func:`tornado`
    One at a time: multiply one criterion's raw weight by each factor (0 = drop it,
    2 = double it), renormalise, and record every site's rank: the data for a tornado
    chart of which weight the ranking is most sensitive to.

What is ranked: the candidate sites (by default the scenario's best ``pool`` separate
places from :func:`growthzones.ranking.rank_sites`; or your own sites), each scored at its cell
(or the best non-excluded cell within ``place_radius_km``), ranked among themselves, ties
kept in the baseline order. Under the baseline weights their ranks are the ranks of
``rank_sites``. A place outside the pool could in principle overtake them under some
draw; ``attrs["outside_share"]`` reports the share of draws in which some cell farther
than the separation distance from every candidate scored above the N-th candidate, so
a too-small pool shows itself. It is exact but need not score every cell under every
draw (see :func:`_outside_share`); ``check_outside=False`` (the CLI's
``--no-outside-share``) skips it.

Re-scoring reads no files: it uses the cached transformed criteria of the result
(:class:`growthzones.scoring.CriteriaMatrix`) and scores only the candidate cells, all
draws at once.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ._errors import InputError
from ._validate import number, positive_int, whole_number
from .ranking import rank_sites, site_ids
from .scenario import MAX_SEPARATION_KM, MAX_TOP, check_top
from .scoring import ScoreResult, cell_at, check_result
from .scoring import kernels as K

#: Most Monte-Carlo draws: beyond 100,000 the standard error of ``p_top`` is under 0.002,
#: and the (draws x sites) rank table would grow past a few hundred MB.
MAX_DRAWS = 100_000
#: Largest Dirichlet concentration: beyond 1e9 every draw equals the weights to 5 digits,
#: and ``c * w`` must stay finite.
MAX_CONCENTRATION = 1e9
#: Draws per batch: candidate scores and the outside check run a batch at a time.
_BATCH = 1024
#: At most this many (draw, cell) scores at once for the candidates (e.g. with a radius).
_BATCH_VALUES = 4_000_000
#: Cells per box of similar values in the outside check (see :func:`_outside_share`).
_BOX_CELLS = 64
#: Rounding margin when a box's upper corner is compared with the N-th candidate.
_MARGIN = 1e-9


def _check_common(result, sites, top, pool, place_radius_km) -> tuple[int, int, float]:
    """The checks every ranking entry point shares; returns (top, pool, place_radius_km)."""
    check_result(result)
    if sites is not None and not isinstance(sites, pd.DataFrame):
        raise InputError(f"sites is a {type(sites).__name__}; give a DataFrame with easting "
                         f"and northing (EPSG:27700 m), e.g. from growthzones.read_sites()")
    top = check_top(top if top is not None else result.scenario.top, "top")
    pool = (positive_int(pool, "pool") if pool is not None else max(5 * top, 50))
    if pool > 5 * MAX_TOP:
        raise InputError(f"pool is {pool}; it must be <= {5 * MAX_TOP}")
    radius = number(place_radius_km, "place_radius_km", min=0.0, max=MAX_SEPARATION_KM)
    return top, pool, radius


def check_stability_args(draws, concentration, seed, interval=0.9) -> None:
    """InputError unless the Monte-Carlo parameters of :func:`rank_stability` are usable."""
    whole_number(draws, "draws", min=1, max=MAX_DRAWS, example="draws=1000")
    number(concentration, "concentration", min=0.0, strict_min=True, max=MAX_CONCENTRATION,
           example="concentration=50")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise InputError(f"seed is {seed!r}; it must be a whole number >= 0 or None")
    if seed is not None and seed < 0:
        raise InputError(f"seed is {seed}; numpy takes seeds >= 0 only (e.g. seed=0)")
    number(interval, "interval", min=0.0, max=1.0, strict_min=True, strict_max=True,
           example="interval=0.9")


# --- candidate places -------------------------------------------------------------------------

def _places(result: ScoreResult, sites, pool: int, place_radius_km: float):
    """Candidate sites (a DataFrame in baseline order) and their cells.

    Returns ``sites``, ``cells`` (land positions, concatenated) and ``starts`` (where
    each site's cells begin, for ``np.fmax.reduceat``).
    """
    if sites is None:
        sites = rank_sites(result, top=pool)
    sites = pd.DataFrame(sites).reset_index(drop=True)
    if len(sites) == 0:
        raise ValueError("no candidate sites: every cell is excluded or has no data")
    for col in ("easting", "northing"):
        if col not in sites:
            raise ValueError(f"sites need '{col}' (EPSG:27700 metres); got columns "
                             f"{', '.join(map(str, sites.columns))}")
    if "site_id" not in sites:
        sites["site_id"] = site_ids(sites["easting"].to_numpy(float),
                                    sites["northing"].to_numpy(float), result.grid.resolution)
    centre = np.array([cell_at(result, x, y) for x, y in zip(sites["easting"], sites["northing"])])
    if place_radius_km <= 0:
        return sites, centre, np.arange(len(centre)), centre
    from scipy.spatial import cKDTree

    store, grid = result.store, result.grid
    rows, cols = np.divmod(store.land_index, grid.width)
    xs, ys = grid.xy(rows, cols)
    tree = cKDTree(np.column_stack([xs, ys]))
    cells, starts = [], []
    for p, near in zip(centre, tree.query_ball_point(
            np.column_stack([sites["easting"], sites["northing"]]), place_radius_km * 1000)):
        near = np.asarray(near, dtype=np.int64)
        near = near[~result.excluded[near]]
        starts.append(sum(map(len, cells)))
        cells.append(near if near.size else np.array([p]))  # an excluded site keeps its cell
    return sites, np.concatenate(cells), np.array(starts), centre


def _place_scores(result: ScoreResult, W: np.ndarray, cells, starts, sub=None) -> np.ndarray:
    """(d, sites) scores: the best candidate cell of each site under each weight vector.

    ``sub``: the cells already gathered (``result.matrix.gather(cells)``), to score many
    batches of weights without gathering them again.
    """
    cm = result.matrix
    agg = result.scenario.aggregation
    sub = cm.gather(cells) if sub is None else sub
    s = cm.score_gathered(sub, W, agg.method, **agg.params)
    s[:, result.excluded[cells]] = np.nan
    if len(starts) == len(cells):
        return s
    with np.errstate(invalid="ignore"):
        return np.fmax.reduceat(s, starts, axis=1)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks 1..m per row, best first; ties keep column order; NaN scores get NaN."""
    order = np.argsort(-scores, axis=1, kind="stable")  # NaN sorts last
    ranks = np.empty(scores.shape, dtype=float)
    np.put_along_axis(ranks, order, np.arange(1, scores.shape[1] + 1, dtype=float)[None, :]
                      .repeat(scores.shape[0], 0), axis=1)
    ranks[np.isnan(scores)] = np.nan
    return ranks


def _weights_rows(result: ScoreResult, weights: np.ndarray) -> np.ndarray:
    """Map (d, len(result.weights)) weights to the matrix's row order."""
    cm = result.matrix
    idx = [cm.names.index(n) for n in result.weights]
    W = np.zeros((weights.shape[0], cm.k))
    W[:, idx] = weights
    return W


def dirichlet_weights(weights: dict[str, float], *, draws: int, concentration: float,
                      seed: int | None = 0) -> np.ndarray:
    """Weight vectors drawn around ``weights``: :math:`\\mathrm{Dir}(c\\,w)`, (draws, k).

    Parameters
    ----------
    weights
        Normalised weights (sum 1, all > 0).
    draws
        Number of draws.
    concentration
        c > 0; each weight's standard deviation is :math:`\\sqrt{w(1 - w)/(c + 1)}`.
    seed
        Seed of ``numpy.random.default_rng``: the same seed gives the same draws.
    """
    check_stability_args(draws, concentration, seed)
    if not isinstance(weights, dict) or not weights or not all(
            isinstance(v, numbers.Real) and np.isfinite(v) and v > 0 for v in weights.values()):
        raise InputError(f"weights is {str(weights)[:60]!r}; give a dict of criterion name to "
                         f"weight > 0 (e.g. result.weights)")
    w = np.array(list(weights.values()), dtype=float)
    return np.random.default_rng(seed).dirichlet(concentration * w, size=draws)


def rank_stability(result: ScoreResult, sites: pd.DataFrame | None = None, *,
                   top: int | None = None, draws: int = 1000, concentration: float = 50.0,
                   seed: int | None = 0, pool: int | None = None, interval: float = 0.9,
                   place_radius_km: float = 0.0, check_outside: bool = True,
                   progress=False) -> pd.DataFrame:
    """How stable the ranking is when the weights are uncertain (Monte-Carlo).

    Parameters
    ----------
    result
        Output of :func:`growthzones.score`.
    sites
        Candidate sites with ``easting``/``northing`` (EPSG:27700 m), best first; default:
        ``rank_sites(result, top=pool)``.
    top
        N of "in the top N" (default: the scenario's ``[sites] top``).
    draws
        Number of Dirichlet weight draws.
    concentration
        Dirichlet concentration c (see :func:`dirichlet_weights`); 50 gives a weight of
        1/3 a standard deviation of 0.066 (20 %), a weight of 1/9 one of 0.044 (40 %).
    seed
        Random seed; the same seed gives the same table.
    pool
        Number of candidate sites when ``sites`` is None (default ``max(5 * top, 50)``).
    interval
        Central probability of the reported rank interval (0.9: 5th to 95th percentile).
    place_radius_km
        Score each site as its best non-excluded cell within this radius (0: its own cell).
    check_outside
        Also check, under each draw, whether a place outside the pool beats the N-th
        candidate, and report the share of draws where one does as ``outside_share`` (see
        the module docstring). False skips it (``attrs["outside_share"]`` is then absent).
    progress
        True: write ``draws 2048/10000`` to stderr as the draws are checked (one line,
        updated in place); or a function ``f(done, total)`` called after each batch.

    Returns
    -------
    pandas.DataFrame
        One row per candidate in baseline order: ``site_id`` (and ``name`` if given),
        ``rank`` and ``score`` (baseline), ``p_top`` (share of draws in the top N),
        ``rank_median``, ``rank_lo`` / ``rank_hi`` (the ``interval``), ``rank_best``,
        ``rank_worst``. ``attrs``: ``draws``, ``concentration``, ``seed``, ``top``,
        ``pool``, ``weight_sd`` (per criterion), ``outside_share``.

    Raises
    ------
    InputError
        ``top`` not 1 .. MAX_TOP, ``draws`` not 1 .. :data:`MAX_DRAWS`, ``concentration``
        not a finite number in (0, :data:`MAX_CONCENTRATION`], ``seed`` negative (numpy
        takes seeds >= 0 only), ``interval`` not strictly between 0 and 1.
    """
    top, pool, place_radius_km = _check_common(result, sites, top, pool, place_radius_km)
    check_stability_args(draws, concentration, seed, interval)
    draws = int(draws)
    report = _progress_fn(progress)
    sites, cells, starts, _ = _places(result, sites, pool, place_radius_km)
    sub = result.matrix.gather(cells)
    base_w = _weights_rows(result, np.array([list(result.weights.values())]))
    base = _place_scores(result, base_w, cells, starts, sub)[0]
    base_rank = _ranks(base[None, :])[0]
    Wd = dirichlet_weights(result.weights, draws=draws, concentration=concentration, seed=seed)
    W = _weights_rows(result, Wd)
    ranks = np.empty((draws, len(sites)))
    nth = np.full(draws, np.nan)
    # Batches keep (draws x cells) small; with 100 sites a batch is 0.4 MB.
    step = max(1, min(_BATCH, _BATCH_VALUES // max(len(cells), 1)))
    for lo in range(0, draws, step):
        sc = _place_scores(result, W[lo:lo + step], cells, starts, sub)
        ranks[lo:lo + step] = _ranks(sc)
        srt = -np.sort(-np.where(np.isnan(sc), -np.inf, sc), axis=1)
        nth[lo:lo + step] = srt[:, min(top, sc.shape[1]) - 1]
        if report is not None and not check_outside:
            report(min(lo + step, draws), draws)
    outside = _outside_share(result, sites, W, nth, report) if check_outside else None
    if report is not None:
        report(draws, draws, done=True)
    q = (1 - interval) / 2
    with np.errstate(invalid="ignore"):
        table = pd.DataFrame({
            "site_id": sites["site_id"].to_numpy(),
            "rank": base_rank, "score": base,
            "p_top": np.mean(np.nan_to_num(ranks, nan=np.inf) <= top, axis=0),
            "rank_median": _nanreduce(np.nanmedian, ranks),
            "rank_lo": _nanquantile(ranks, q), "rank_hi": _nanquantile(ranks, 1 - q),
            "rank_best": _nanreduce(np.nanmin, ranks), "rank_worst": _nanreduce(np.nanmax, ranks),
        })
    if "name" in sites:
        table.insert(1, "name", sites["name"].to_numpy())
    w = np.array(list(result.weights.values()))
    table.attrs.update(draws=draws, concentration=concentration, seed=seed, top=top,
                       pool=len(sites), interval=interval,
                       weight_sd=dict(zip(result.weights, np.sqrt(w * (1 - w) /
                                                                  (concentration + 1)))))
    if check_outside:
        table.attrs["outside_share"] = outside
    return table


def _nanquantile(a, q):
    out = np.full(a.shape[1], np.nan)
    ok = np.isfinite(a).any(axis=0)
    if ok.any():
        out[ok] = np.nanquantile(a[:, ok], q, axis=0, method="inverted_cdf")
    return out


def _nanreduce(fn, a):
    out = np.full(a.shape[1], np.nan)
    ok = np.isfinite(a).any(axis=0)
    out[ok] = fn(a[:, ok], axis=0)
    return out


def _progress_fn(progress):
    """``report(done, total, done=False)`` for the ``progress`` argument, or None."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return lambda n, total, done=False: None if done else progress(n, total)
    if progress is not True:
        raise InputError(f"progress is {progress!r}; give True, False or a function "
                         f"f(done, total)")
    import sys

    def report(n, total, done=False):
        sys.stderr.write("\n" if done else f"\rdraws {n}/{total}")
        sys.stderr.flush()

    return report


def _outside_cells(result: ScoreResult, sites) -> np.ndarray:
    """Scored, non-excluded land cells farther than the separation from every candidate."""
    from scipy.spatial import cKDTree

    store, grid = result.store, result.grid
    rows, cols = np.divmod(store.land_index, grid.width)
    xs, ys = grid.xy(rows, cols)
    d, _ = cKDTree(sites[["easting", "northing"]].to_numpy(float)).query(
        np.column_stack([xs, ys]))
    return np.flatnonzero((d > 1000 * result.scenario.min_separation_km) & ~result.excluded
                          & ~np.isnan(result.score))


def _value_boxes(cm, cells: np.ndarray, size: int = _BOX_CELLS):
    """``cells`` grouped into small boxes of similar values, one data pattern per box.

    Returns ``order`` (``cells`` reordered so each box is a contiguous run) and
    ``starts`` (where each box begins in ``order``). The boxes are the leaves of a k-d
    tree over the cells' values (built per data pattern).
    """
    from scipy.spatial import cKDTree

    pat = (np.zeros(len(cells), dtype=np.int64) if cm.pattern is None
           else cm.pattern[cells].astype(np.int64))
    order, starts = [], []
    for p in np.unique(pat):
        group = cells[pat == p]
        base = sum(map(len, order))
        if group.size <= size:
            order.append(group)
            starts.append(np.array([base]))
            continue
        tree = cKDTree(cm.filled[:, group].T, leafsize=size, balanced_tree=False)
        leaf_starts, stack = [], [tree.tree]
        while stack:
            node = stack.pop()
            if node.lesser is None:
                leaf_starts.append(node.start_idx)
            else:
                stack += [node.lesser, node.greater]
        order.append(group[tree.indices])
        starts.append(base + np.sort(np.array(leaf_starts)))
    return np.concatenate(order), np.concatenate(starts)


def _corner_scores(cm, corners, W: np.ndarray, agg) -> np.ndarray:
    """(d, boxes) scores of the boxes' upper corners: bounds, so rounding may differ.

    WLC takes one BLAS product per batch (einsum is 10 x slower on these shapes).
    """
    if agg.method == "wlc":
        with np.errstate(invalid="ignore", divide="ignore"):
            return (W @ corners.filled) / (W @ corners.mask.astype(W.dtype))
    return cm.score_gathered(corners, W, agg.method, **agg.params)


def _outside_share(result: ScoreResult, sites, W: np.ndarray, nth: np.ndarray,
                   report=None) -> float:
    """Share of draws where a cell farther than the separation from every candidate, and
    not excluded, scores above the N-th candidate: a place missing from the pool.

    Exact, without scoring every cell under every draw: the cells are grouped into
    boxes of similar values (:func:`_value_boxes`). Every aggregation is monotone in
    the values (WLC and OWA are weighted means / Choquet integrals, TOPSIS's closeness
    grows as a value moves from the anti-ideal towards the ideal), so no cell of a box
    scores above the box's upper corner (the largest value of each criterion in it,
    same data pattern). A draw scores a box's cells only when that corner beats its
    N-th candidate, the boxes most likely to beat it first, and stops at the first cell
    that does. At 1 km with the default scenario this scores about 300 cells per draw
    instead of 90,000.
    """
    out = _outside_cells(result, sites)
    if out.size == 0:
        if report is not None:
            report(len(W), len(W))
        return 0.0
    cm, agg = result.matrix, result.scenario.aggregation
    order, starts = _value_boxes(cm, out)
    ends = np.r_[starts[1:], len(order)]
    sub = cm.gather(order)
    corners = K.Dense(np.maximum.reduceat(sub.filled, starts, axis=1), sub.mask[:, starts])
    beats = np.zeros(len(W), dtype=bool)
    for lo in range(0, len(W), _BATCH):
        Wb, nb, hit = W[lo:lo + _BATCH], nth[lo:lo + _BATCH], beats[lo:lo + _BATCH]
        bound = _corner_scores(cm, corners, Wb, agg)  # (batch, boxes)
        # A box can hold a winner unless its corner is below the N-th candidate (with a
        # margin for rounding; a NaN corner is checked too).
        maybe = ~(bound < nb[:, None] - _MARGIN)
        some = np.flatnonzero(maybe.any(axis=0))
        lead = np.where(np.isnan(bound[:, some]), np.inf, bound[:, some]).max(axis=0)
        for b in some[np.argsort(-lead, kind="stable")]:
            ds = np.flatnonzero(maybe[:, b] & ~hit)
            if ds.size == 0:
                continue
            box = K.Dense(sub.filled[:, starts[b]:ends[b]], sub.mask[:, starts[b]:ends[b]])
            s = cm.score_gathered(box, Wb[ds], agg.method, **agg.params)
            hit[ds] = np.nanmax(np.where(np.isnan(s), -np.inf, s), axis=1) > nb[ds]
        if report is not None:
            report(min(lo + _BATCH, len(W)), len(W))
    return float(beats.mean())


# --- one-at-a-time sweeps ---------------------------------------------------------------------

def sweep_weights(result: ScoreResult, sites: pd.DataFrame | None = None, *,
                  factors=(0.0, 0.5, 1.0, 1.5, 2.0), top: int | None = None,
                  pool: int | None = None, place_radius_km: float = 0.0) -> pd.DataFrame:
    """One-at-a-time weight sweep: every site's rank as each weight is scaled.

    For each weighted criterion j and factor f, the raw weights become
    :math:`w'_j = f w_j` (the others unchanged) and are renormalised; the candidates
    are re-scored and ranked as in :func:`rank_stability`.

    Returns
    -------
    pandas.DataFrame
        Long format: ``criterion``, ``factor``, ``weight`` (j's normalised weight),
        ``site_id``, ``base_rank``, ``rank``, ``score``, ``in_top``. ``attrs['top']`` is N.

    Raises
    ------
    InputError
        ``factors`` empty or not finite numbers >= 0 (at most 1e6); bad ``top``/``pool``.
    """
    top, pool, place_radius_km = _check_common(result, sites, top, pool, place_radius_km)
    if isinstance(factors, (str, bytes)) or not hasattr(factors, "__iter__"):
        raise InputError(f"factors is {factors!r}; give a list of multipliers >= 0, e.g. "
                         f"(0, 0.5, 1, 2)")
    factors = [number(f, "each of factors", min=0.0, max=1e6, example="factors=(0, 0.5, 1, 2)")
               for f in factors]
    if not factors:
        raise InputError("factors is empty; give at least one multiplier, e.g. (0, 0.5, 1, 2)")
    sites, cells, starts, _ = _places(result, sites, pool, place_radius_km)
    names = list(result.weights)
    w0 = np.array([result.weights[n] for n in names])
    base = _ranks(_place_scores(result, _weights_rows(result, w0[None, :]), cells, starts))[0]
    frames = []
    for j, name in enumerate(names):
        fs = list(factors)
        Wj = np.tile(w0, (len(fs), 1))
        Wj[:, j] *= fs
        keep = Wj.sum(axis=1) > 0  # dropping the only criterion leaves nothing to score
        Wj, fs = Wj[keep] / Wj[keep].sum(axis=1, keepdims=True), np.asarray(fs)[keep]
        sc = _place_scores(result, _weights_rows(result, Wj), cells, starts)
        rk = _ranks(sc)
        m = len(sites)
        frames.append(pd.DataFrame({
            "criterion": name, "factor": np.repeat(fs, m), "weight": np.repeat(Wj[:, j], m),
            "site_id": np.tile(sites["site_id"].to_numpy(), len(fs)),
            "base_rank": np.tile(base, len(fs)), "rank": rk.ravel(), "score": sc.ravel(),
            "in_top": (np.nan_to_num(rk, nan=np.inf) <= top).ravel()}))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["top"] = top
    return out


def tornado(sweep: pd.DataFrame, site_id: str | None = None) -> pd.DataFrame:
    """Per criterion, the swing of one site's rank and of the top N across a sweep.

    Parameters
    ----------
    sweep
        Output of :func:`sweep_weights`.
    site_id
        The site to follow (default: the baseline rank 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by criterion, sorted by ``swing`` (largest first): ``rank_low`` /
        ``rank_high`` (the site's rank at the smallest / largest factor), ``rank_best``,
        ``rank_worst``, ``swing`` (worst - best), ``kept_low`` / ``kept_high`` (how many
        of the baseline top N are still in the top N at the smallest / largest factor).
    """
    need = {"criterion", "factor", "site_id", "base_rank", "rank", "in_top"}
    if not isinstance(sweep, pd.DataFrame) or not need <= set(sweep.columns):
        raise InputError(f"sweep is a {type(sweep).__name__} without the columns of "
                         f"sweep_weights(); pass the output of sweep_weights()")
    top = sweep.attrs.get("top")
    if top is None:
        raise InputError("sweep has no attrs['top']; pass the output of sweep_weights()")
    if site_id is None:
        first = sweep.loc[sweep["base_rank"] == 1, "site_id"]
        if first.empty:
            raise InputError("sweep has no site with base_rank 1; pass site_id=...")
        site_id = first.iloc[0]
    elif site_id not in set(sweep["site_id"]):
        from .scenario import _suggest

        raise InputError(f"site_id {site_id!r} is not in the sweep.{_suggest(site_id, set(sweep['site_id']))}"
                         f" Give one of its site_id values")
    rows = []
    for name, g in sweep.groupby("criterion", sort=False):
        lo_f, hi_f = g["factor"].min(), g["factor"].max()
        me = g[g["site_id"] == site_id].set_index("factor")["rank"]
        base_top = g["base_rank"] <= top
        rows.append({"criterion": name, "rank_low": me.get(lo_f, np.nan),
                     "rank_high": me.get(hi_f, np.nan), "rank_best": me.min(),
                     "rank_worst": me.max(), "swing": me.max() - me.min(),
                     "kept_low": int((base_top & g["in_top"] & (g["factor"] == lo_f)).sum()),
                     "kept_high": int((base_top & g["in_top"] & (g["factor"] == hi_f)).sum())})
    out = pd.DataFrame(rows).set_index("criterion").sort_values("swing", ascending=False)
    out.attrs.update(site_id=site_id, top=top)
    return out
