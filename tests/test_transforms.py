"""Transforms: each formula checked by hand arithmetic, NaN kept, specs validated."""

from __future__ import annotations

import numpy as np
import pytest

from growthzones import transforms as T

NAN = np.nan


def _eq(got, want):
    np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=0, atol=1e-6)


# --- linear ---------------------------------------------------------------------------------

def test_linear_max_and_min_use_the_national_range():
    x = np.array([0.0, 2.5, 10.0, NAN])
    _eq(T.apply(x, {"type": "linear"}, "max"), [0.0, 0.25, 1.0, NAN])
    _eq(T.apply(x, {"type": "linear"}, "min"), [1.0, 0.75, 0.0, NAN])


def test_linear_with_fixed_range_clips_outside_it():
    x = np.array([-5.0, 5.0, 15.0])
    _eq(T.apply(x, {"type": "linear", "lo": 0, "hi": 10}, "max"), [0.0, 0.5, 1.0])
    _eq(T.apply(x, {"type": "linear", "lo": 0, "hi": 20}, "min"), [1.0, 0.75, 0.25])


def test_linear_constant_criterion_is_half_everywhere_it_has_data():
    _eq(T.apply(np.array([3.0, 3.0, NAN]), {"type": "linear"}, "max"), [0.5, 0.5, NAN])
    _eq(T.linear(np.array([1.0, 2.0]), direction="min", lo=4, hi=4), [0.5, 0.5])


# --- piecewise ------------------------------------------------------------------------------

def test_piecewise_value_curve_from_the_issue():
    # 0 km -> 1, 5 km -> 0.5, 20 km -> 0; flat beyond the ends.
    pts = [[0, 1], [5, 0.5], [20, 0]]
    x = np.array([-1.0, 0.0, 2.5, 5.0, 12.5, 20.0, 30.0, NAN])
    _eq(T.apply(x, {"type": "piecewise", "points": pts}, "min"),
        [1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, NAN])


def test_piecewise_ignores_direction():
    x = np.array([2.5])
    spec = {"type": "piecewise", "points": [[0, 1], [5, 0.5]]}
    _eq(T.apply(x, spec, "max"), T.apply(x, spec, "min"))


# --- decay ----------------------------------------------------------------------------------

def test_decay_halves_every_half_distance():
    x = np.array([0.0, 60.0, 120.0, 30.0, NAN])
    _eq(T.apply(x, {"type": "decay", "half_distance": 60}, "min"),
        [1.0, 0.5, 0.25, 2 ** -0.5, NAN])
    _eq(T.apply(x, {"type": "decay", "half_distance": 60}, "max"),
        [0.0, 0.5, 0.75, 1 - 2 ** -0.5, NAN])


def test_decay_treats_negative_as_zero():
    _eq(T.decay(np.array([-10.0]), direction="min", half_distance=5), [1.0])


# --- threshold ------------------------------------------------------------------------------

def test_threshold_is_an_inclusive_step():
    x = np.array([5.0, 10.0, 15.0, NAN])
    _eq(T.apply(x, {"type": "threshold", "value": 10}, "min"), [1.0, 1.0, 0.0, NAN])
    _eq(T.apply(x, {"type": "threshold", "value": 10}, "max"), [0.0, 1.0, 1.0, NAN])


# --- percentile -----------------------------------------------------------------------------

def test_percentile_uses_mid_ranks_for_ties():
    x = np.array([10.0, 20.0, 20.0, 40.0, NAN])
    # ranks 1, 2.5, 2.5, 4 of n = 4 -> (r - 1) / 3
    _eq(T.apply(x, {"type": "percentile"}, "max"), [0.0, 0.5, 0.5, 1.0, NAN])
    _eq(T.apply(x, {"type": "percentile"}, "min"), [1.0, 0.5, 0.5, 0.0, NAN])
    _eq(T.apply(np.array([1.0, 2.0, 4.0]), {"type": "percentile"}, "max"), [0.0, 0.5, 1.0])


def test_percentile_single_value_and_all_missing():
    _eq(T.percentile(np.array([NAN, 7.0]), direction="max"), [NAN, 0.5])
    _eq(T.percentile(np.array([NAN, NAN]), direction="max"), [NAN, NAN])


# --- dtypes, errors, backends -------------------------------------------------------------------

@pytest.mark.parametrize("spec", [{"type": "linear"}, {"type": "decay", "half_distance": 2},
                                  {"type": "threshold", "value": 1}, {"type": "percentile"},
                                  {"type": "piecewise", "points": [[0, 0], [3, 1]]}])
def test_float32_stays_float32_and_ints_become_float64(spec):
    assert T.apply(np.array([0, 1, 2], dtype=np.float32), spec, "max").dtype == np.float32
    assert T.apply(np.array([0, 1, 2]), spec, "max").dtype == np.float64


def test_bad_direction_names_the_fix():
    with pytest.raises(ValueError, match="direction is 'up'; use 'max'"):
        T.apply(np.array([1.0]), {"type": "linear"}, "up")


@pytest.mark.parametrize("spec, message", [
    ({"type": "linaer"}, "unknown transform 'linaer'. Did you mean 'linear'?"),
    ({"type": "zzz"}, "unknown transform 'zzz'; use one of linear, piecewise"),
    ({"type": "decay"}, "transform 'decay' needs parameter 'half_distance'"),
    ({"type": "decay", "half_distance": 5, "h": 1}, "transform 'decay' has no parameter 'h'"),
    ({"type": "decay", "half_distance": 0}, "decay half_distance must be a positive number, got 0"),
    ({"type": "decay", "half_distance": float("nan")}, "decay half_distance must be a positive"),
    ({"type": "threshold", "value": float("inf")}, "threshold value must be a finite number"),
    ({"type": "piecewise", "points": [[0, 1]]}, "at least two [x, value] pairs"),
    ({"type": "piecewise", "points": [[5, 1], [0, 0]]}, "strictly increasing x"),
    ({"type": "piecewise", "points": [[0, 1], [5, 2]]}, "values must lie in [0, 1]"),
    ({"type": "piecewise", "points": [[0, float("nan")], [5, 0]]}, "must be finite numbers"),
    ({"type": "linear", "lo": 10, "hi": 5}, "linear needs lo < hi, got lo=10 and hi=5"),
])
def test_check_transform_messages(spec, message):
    problems = T.check_transform(spec)
    assert any(message in p for p in problems), problems
    with pytest.raises(ValueError, match="transform|must|needs"):
        T.apply(np.array([1.0, 2.0]), spec, "max")


def test_valid_specs_have_no_problems():
    assert T.check_transform({"type": "linear", "lo": 0, "hi": 1}) == []
    assert T.check_transform({"type": "piecewise", "points": [[0, 1], [5, 0.5], [20, 0]]}) == []


@pytest.mark.parametrize("spec, direction", [
    ({"type": "linear"}, "max"), ({"type": "linear"}, "min"),
    ({"type": "linear", "lo": 1, "hi": 5}, "max"),
    ({"type": "piecewise", "points": [[0, 1], [5, 0.5], [20, 0]]}, "min"),
    ({"type": "decay", "half_distance": 7}, "min"), ({"type": "threshold", "value": 9}, "max"),
])
def test_dask_arrays_give_the_numpy_result_lazily(spec, direction):
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(3)
    x = (rng.random(1000) * 30).astype(np.float32)
    x[::17] = np.nan
    lazy = T.apply(da.from_array(x, chunks=128), spec, direction)
    assert type(lazy).__module__.startswith("dask")
    np.testing.assert_allclose(lazy.compute(scheduler="synchronous"), T.apply(x, spec, direction),
                               rtol=0, atol=1e-6)



@pytest.mark.parametrize("spec, direction", [
    ({"type": "linear"}, "max"), ({"type": "linear", "lo": 1, "hi": 5}, "min"),
    ({"type": "piecewise", "points": [[0, 1], [5, 0.5], [20, 0]]}, "min"),
    ({"type": "decay", "half_distance": 7}, "max"), ({"type": "threshold", "value": 9}, "min"),
    ({"type": "percentile"}, "max"),
])
def test_a_big_array_transformed_by_blocks_is_the_whole_transform(spec, direction,
                                                                   monkeypatch):
    rng = np.random.default_rng(5)
    x = (rng.random((37, 29)) * 30 - 2).astype(np.float32)  # 2-D, negatives, NaN
    x[::3, ::5] = np.nan
    whole = T.apply(x, spec, direction)
    monkeypatch.setattr(T, "BLOCK", 100)  # 11 blocks, the last partial
    blocks = T.apply(x, spec, direction)
    assert blocks.dtype == whole.dtype == np.float32 and blocks.shape == x.shape
    np.testing.assert_array_equal(blocks, whole)
    # and in place, a 1-D vector block by block (a range over all of it first)
    flat = x.ravel().copy()
    assert T.apply_in_place(flat, spec, direction) is flat
    np.testing.assert_array_equal(flat, whole.ravel())


def test_the_national_range_skips_gaps_and_is_zero_without_data():
    assert T.national_range(np.array([np.nan, 3, -1, np.nan], np.float32)) == (-1.0, 3.0)
    assert T.national_range(np.full(4, np.nan)) == (0.0, 0.0)
    assert T.national_range(np.array([], np.float32)) == (0.0, 0.0)


def test_percentile_on_dask_is_refused_with_the_reason():
    da = pytest.importorskip("dask.array")
    with pytest.raises(NotImplementedError, match="global sort.*use 'linear'"):
        T.apply(da.from_array(np.arange(4.0), chunks=2), {"type": "percentile"}, "max")
