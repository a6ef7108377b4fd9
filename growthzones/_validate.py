"""Shared checks for every entry point: CLI flags, scenario keys and the Python API.

Each check returns the value, converted (``"5"`` -> 5 for an integer flag), or raises
:class:`~growthzones._errors.InputError` with one line that names the thing, the value and
the fix. :class:`Problems` collects several before raising once, as the scenario loader does.

>>> positive_int(3, "--top")
3
>>> positive_int(0, "--top")
Traceback (most recent call last):
...
growthzones._errors.InputError: --top is 0; it must be a whole number >= 1 (e.g. --top 20)
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable
from typing import Any

from ._errors import GrowthZonesError, InputError


def _show(value: Any) -> str:
    """A short one-line repr (a DataFrame's repr spans lines).

    >>> import pandas as pd
    >>> _show(pd.DataFrame({"a": [1]}))
    'a 0 1'
    """
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def number(value: Any, what: str, *, min: float | None = None, max: float | None = None,
           strict_min: bool = False, strict_max: bool = False, example: str = "") -> float:
    """A finite real number within optional bounds (NaN and +-inf are always refused).

    Parameters
    ----------
    value
        The value to check; a string is parsed as a float (a CLI flag).
    what
        How the user names the thing, e.g. ``"--min-separation-km"`` or ``"[sites] top"``.
    min, max
        Bounds, inclusive unless ``strict_min`` / ``strict_max``.
    example
        A valid example for the fix, e.g. ``"--min-separation-km 25"``.
    """
    fix = f" (e.g. {example})" if example else ""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise InputError(f"{what} is {_show(value)}; it must be a number{fix}")
    try:
        x = float(value)
    except OverflowError:  # an int beyond float range, e.g. 10**400
        raise InputError(f"{what} is {_show(value)}; it must be a finite number{fix}") from None
    except (TypeError, ValueError):
        raise InputError(f"{what} is {_show(value)}; it must be a number{fix}") from None
    if not math.isfinite(x):
        raise InputError(f"{what} is {_show(value)}; it must be a finite number{fix}")
    if min is not None and (x < min or (strict_min and x == min)):
        op = ">" if strict_min else ">="
        raise InputError(f"{what} is {_show(value)}; it must be {op} {min:g}{fix}")
    if max is not None and (x > max or (strict_max and x == max)):
        op = "<" if strict_max else "<="
        raise InputError(f"{what} is {_show(value)}; it must be {op} {max:g}{fix}")
    return x


def positive_number(value: Any, what: str, *, example: str = "") -> float:
    """A finite number > 0."""
    return number(value, what, min=0.0, strict_min=True, example=example)


def whole_number(value: Any, what: str, *, min: int | None = None, max: int | None = None,
                 example: str = "") -> int:
    """A whole number (an int, or a float/str with no fractional part) within bounds."""
    fix = f" (e.g. {example})" if example else ""
    if isinstance(value, bool):
        raise InputError(f"{what} is {_show(value)}; it must be a whole number{fix}")
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        x = number(value, what, example=example)
        if x != int(x):
            raise InputError(f"{what} is {_show(value)}; it must be a whole number{fix}")
        n = int(x)
    if min is not None and n < min:
        raise InputError(f"{what} is {_show(value)}; it must be a whole number >= {min}{fix}")
    if max is not None and n > max:
        raise InputError(f"{what} is {_show(value)}; it must be a whole number <= {max}{fix}")
    return n


def positive_int(value: Any, what: str, *, example: str = "") -> int:
    """A whole number >= 1."""
    if not example and what.startswith("--"):
        example = f"{what} 20"
    return whole_number(value, what, min=1, example=example)


def instance(value: Any, types: type | tuple[type, ...], what: str, *, fix: str) -> Any:
    """``value`` if it is an instance of ``types``, else an InputError naming ``fix``."""
    if not isinstance(value, types):
        raise InputError(f"{what} is a {type(value).__name__} ({_show(value)}); {fix}")
    return value


def _si(n: float) -> str:
    """A count with an SI prefix: 875e9 -> '875 G'."""
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return f"{n:.0f}"


def _bytes(n: float) -> str:
    """A size in binary units: 3.5e12 -> '3.2 TiB'."""
    for div, unit in ((2**50, "PiB"), (2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB")):
        if n >= div:
            return f"{n / div:.2g} {unit}" if n / div < 10 else f"{n / div:.0f} {unit}"
    return f"{n / 2**10:.0f} KiB"


def memory_bytes() -> int | None:
    """Physical memory of this machine in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def grid_size(resolution: Any, what: str, *, bounds: tuple[float, float, float, float],
              place: str = "GB", minimum: float = 10.0, bytes_per_cell: float = 144.0,
              memory: int | bool | None = True) -> tuple[int, int]:
    """(rows, cols) of a grid of ``resolution`` metres over ``bounds``, checked before any
    array is allocated.

    Refused: a resolution that is not a finite number, is below ``minimum`` metres, does not
    divide both spans of ``bounds`` into whole cells, or whose arrays would not fit in
    ``memory`` bytes (``True``: this machine's physical memory; ``None``/``False``: no memory
    check) at ``bytes_per_cell``. The message gives the figures and a resolution that works.

    ``bytes_per_cell`` defaults to 144: the GB layer-store build measured 12.5 GB peak at
    100 m (87.5 M cells), i.e. about 36 float32 arrays of the grid alive at once.

    >>> grid_size(1000, "--resolution", bounds=(0, 0, 700_000, 1_250_000), memory=None)
    (1250, 700)
    >>> grid_size(7, "--resolution", bounds=(0, 0, 700_000, 1_250_000), memory=None)
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: --resolution is 7; it must be >= 10 m (a 7 m grid of GB is 17.9 G cells, ~67 GiB per float32 layer)
    >>> grid_size(1, "--resolution", bounds=(0, 0, 700_000, 1_250_000), memory=23 * 2**30)
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: --resolution is 1; it must be >= 10 m (a 1 m grid of GB is 875 G cells, ~3.2 TiB per float32 layer; this machine has 23 GiB of memory)
    >>> grid_size(50, "--resolution", bounds=(0, 0, 700_000, 1_250_000), memory=23 * 2**30)
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: --resolution is 50; a 50 m grid of GB is 350 M cells (~1.3 GiB per float32 layer; a build needs ~144 bytes a cell, ~47 GiB) but this machine has 23 GiB of memory; use --resolution 100 or coarser
    """
    res = number(resolution, what, min=0.0, strict_min=True, example=f"{what} 1000")
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    spans = (xmax - xmin, ymax - ymin)
    n_cols, n_rows = spans[0] / res, spans[1] / res
    cells = n_cols * n_rows

    def figure() -> str:
        if not math.isfinite(cells):
            return ""
        return (f"a {res:g} m grid of {place} is {_si(cells)} cells, ~{_bytes(4 * cells)} "
                f"per float32 layer")

    mem = memory_bytes() if memory is True else (memory or None)
    if res < minimum:
        fig = figure()
        if fig and mem is not None and bytes_per_cell * cells > mem:
            fig += f"; this machine has {_bytes(mem)} of memory"
        raise InputError(f"{what} is {_show(resolution)}; it must be >= {minimum:g} m"
                         + (f" ({fig})" if fig else ""))
    if not all(n >= 1 and abs(n - round(n)) <= 1e-6 for n in (n_cols, n_rows)):
        g = math.gcd(*(round(s) for s in spans))
        nice = [d for d in (1000, 500, 250, 200, 100, 50, 25, 20, 10) if g % d == 0]
        raise InputError(
            f"{what} is {_show(resolution)}; the {spans[0]:,.0f} x {spans[1]:,.0f} m extent of "
            f"{place} must split into whole cells: use a cell size that divides "
            f"{g:,} m (e.g. {', '.join(map(str, nice[:4]))})")
    rows, cols = round(n_rows), round(n_cols)
    need = bytes_per_cell * rows * cols
    if mem is not None and need > mem:
        g = math.gcd(*(round(s) for s in spans))
        fits = [d for d in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)
                if g % d == 0 and d >= minimum and bytes_per_cell * (spans[0] / d)
                * (spans[1] / d) <= mem]
        fix = f"; use {what} {fits[0]} or coarser" if fits else ""
        raise InputError(f"{what} is {_show(resolution)}; {figure().replace(', ~', ' (~', 1)}; "
                         f"a build needs ~{bytes_per_cell:g} bytes a cell, ~{_bytes(need)}) but "
                         f"this machine has {_bytes(mem)} of memory{fix}")
    return rows, cols


class Problems:
    """Collect problems, then raise them all at once.

    >>> p = Problems()
    >>> p.check(lambda: positive_int(-1, "top"))
    >>> p.add("name is a table; give a string")
    >>> p.messages
    ['top is -1; it must be a whole number >= 1', 'name is a table; give a string']
    """

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def check(self, fn: Callable[[], Any]) -> Any:
        """Run one check; record its error's message instead of raising. Returns its value
        (None if it failed)."""
        try:
            return fn()
        except GrowthZonesError as exc:
            self.add(exc.one_line())
            return None

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self, make: Callable[[list[str]], Exception] | None = None) -> None:
        """Raise ``make(messages)`` (default: one InputError joining them) if any."""
        if not self.messages:
            return
        if make is not None:
            raise make(self.messages)
        raise InputError("; ".join(self.messages))
