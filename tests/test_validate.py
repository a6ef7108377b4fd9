"""The shared checks in growthzones._validate: numbers, whole numbers, grid sizes."""

from __future__ import annotations

import pytest

from growthzones._errors import GrowthZonesError, InputError
from growthzones._validate import Problems, grid_size, memory_bytes, number, whole_number
from growthzones.grid import GB_BOUNDS, GridSpec

GIB = 2**30


@pytest.mark.parametrize("value, message", [
    (float("nan"), "x is nan; it must be a finite number"),
    (float("inf"), "x is inf; it must be a finite number"),
    ("-inf", "x is '-inf'; it must be a finite number"),
    (10**400, r"x is 1000000.*\.\.\.; it must be a finite number"),  # beyond float range
    ("abc", "x is 'abc'; it must be a number"),
    (True, "x is True; it must be a number"),
    ([1], "x is [1]; it must be a number"),
])
def test_number_refuses_non_finite_and_non_numbers(value, message):
    with pytest.raises(InputError, match="^" + message.replace("[1]", r"\[1\]")):
        number(value, "x")


def test_whole_number_bounds_and_text():
    assert whole_number("20", "--top", min=1) == 20
    assert whole_number(10**30, "n", min=1) == 10**30
    with pytest.raises(InputError, match=r"--top is '2.5'; it must be a whole number"):
        whole_number("2.5", "--top", min=1)
    with pytest.raises(InputError, match=r"n is 11; it must be a whole number <= 10"):
        whole_number(11, "n", max=10)


def test_problems_collects_then_raises_once():
    p = Problems()
    p.check(lambda: number("x", "--a"))
    p.check(lambda: number(-1, "--b", min=0))
    with pytest.raises(InputError, match=r"--a is 'x'.*; --b is -1; it must be >= 0"):
        p.raise_if_any()


# --- grid_size ---------------------------------------------------------------------------------

def test_grid_size_matches_gridspec_for_real_resolutions():
    for res in (1000, 500, 250, 100, 12.5):
        assert grid_size(res, "r", bounds=GB_BOUNDS, memory=None) == GridSpec(resolution=res).shape


@pytest.mark.parametrize("res, message", [
    (0, r"--resolution is 0; it must be > 0"),
    (-100, r"--resolution is -100; it must be > 0"),
    (float("nan"), r"--resolution is nan; it must be a finite number"),
    ("inf", r"--resolution is 'inf'; it must be a finite number"),
    (7, r"--resolution is 7; it must be >= 10 m \(a 7 m grid of GB is 17.9 G cells"),
    (7000, r"must split into whole cells: use a cell size that divides 50,000 m"),
    (1e308, r"must split into whole cells"),            # 0 cells is not a grid
    (1e-300, r"it must be >= 10 m$"),                    # no overflowing figure
])
def test_grid_size_refuses_impossible_grids(res, message):
    with pytest.raises(InputError, match=message):
        grid_size(res, "--resolution", bounds=GB_BOUNDS, memory=None)


def test_grid_size_gives_the_memory_figure_before_any_allocation():
    # 1 m: 700,000 x 1,250,000 = 875 G cells, 3.5e12 bytes = 3.2 TiB per float32 layer
    with pytest.raises(InputError) as e:
        grid_size(1, "--resolution", bounds=GB_BOUNDS, memory=23 * GIB)
    msg = e.value.one_line()
    assert "875 G cells" in msg and "3.2 TiB per float32 layer" in msg
    assert "this machine has 23 GiB" in msg
    # 50 m: 350 M cells x 144 bytes = 47 GiB > 23 GiB; the fix names a grid that fits
    with pytest.raises(InputError, match=r"350 M cells .* ~47 GiB\) but this machine has 23 GiB "
                                         r"of memory; use --resolution 100 or coarser"):
        grid_size(50, "--resolution", bounds=GB_BOUNDS, memory=23 * GIB)
    # 100 m needs 87.5 M x 144 = 12.6 GB: fits in 23 GiB, not in 8 GiB; 200 m (3.2 GB) does
    assert grid_size(100, "r", bounds=GB_BOUNDS, memory=23 * GIB) == (12_500, 7_000)
    with pytest.raises(InputError, match=r"use r 200 or coarser"):
        grid_size(100, "r", bounds=GB_BOUNDS, memory=8 * GIB)


def test_grid_size_uses_this_machines_memory_by_default():
    mem = memory_bytes()
    assert mem is None or mem > 2**28
    if mem is not None:
        fine = 10.0  # 8.75 G cells x 144 bytes = 1.1 TiB: no test machine has that
        with pytest.raises(InputError, match=r"but this machine has .* of memory"):
            grid_size(fine, "r", bounds=GB_BOUNDS, minimum=1)


def test_build_store_checks_the_grid_before_reading_anything(tmp_path):
    from growthzones.build import build_store

    with pytest.raises(GrowthZonesError, match=r"resolution is 7; it must be >= 10 m"):
        build_store(tmp_path, source=tmp_path / "no-such-source", resolution=7)
    assert list(tmp_path.iterdir()) == []  # nothing created
