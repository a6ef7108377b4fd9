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
    except (TypeError, ValueError, OverflowError):
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
