"""Message helpers of the scenario loader: TOML type names, short values, suggestions.

Every problem the loader reports is one printable line naming the place (``[section.key]``),
the value (shortened) and the fix; these helpers build those pieces.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import numbers
from collections.abc import Mapping

from .._errors import GrowthZonesError


def _suggest(name: str, options) -> str:
    hint = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.5)
    return f" Did you mean {hint[0]!r}?" if hint else ""


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _toml_type(v) -> str:
    """How TOML calls the type of ``v``: 'a table', 'an array', 'a date', ..."""
    if isinstance(v, Mapping):
        return "a table"
    if isinstance(v, (list, tuple)):
        return "an array"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return "a date/time"
    if _is_number(v):
        return "a number"
    return f"a {type(v).__name__}"


def _show(v) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _table(data: dict, key: str, problems: list[str], example: str) -> dict:
    """``data[key]`` if it is a table (missing: {}); otherwise record the problem."""
    v = data.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        problems.append(f"[{key}] is {_toml_type(v)} ({_show(v)}); it must be a table, "
                        f"e.g. {example}")
        return {}
    return v


def _printable(text: str) -> str:
    """``text`` with control characters escaped (a key may hold a newline): one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _checked(problems: list[str], fn):
    """Run one shared check; record its message instead of raising. None if it failed."""
    try:
        return fn()
    except GrowthZonesError as exc:
        problems.append(exc.one_line())
        return None
