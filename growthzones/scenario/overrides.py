"""Overrides on top of a scenario: theme scales (``--theme``), weights (``--weight``), and the
one name that records them.

Order, everywhere (the CLI, :func:`growthzones.load_scenario`, :func:`with_overrides`):
**theme scales first, then explicit weights**. ``--theme grid_capacity=2`` multiplies the
raw weight of every criterion of the theme (:data:`growthzones.criteria.THEMES`) that the
scenario weights; ``--weight NAME=VALUE`` then sets that criterion's raw weight exactly,
whatever its theme's scale. So ``--theme grid_capacity=2 --weight dist_transmission_km=1``
doubles the grid criteria but leaves ``dist_transmission_km`` at 1. A scale is a finite
number >= 0 (0 drops the theme); a theme none of whose criteria has a weight is an error
(the scale would change nothing). A scenario file may hold the same as a table, applied to
its own weights before any override::

    [themes]
    grid_capacity = 2
    water = 0.5

The scenario's name records the overrides (:func:`override_label`), so the map title,
``run.json``, the run folder and comparison tables all say what was run:
``Default (grid_headroom_mw=2, water×0.5)``: weights as ``name=value``, then theme scales
as ``theme×factor``, each in the order given. :meth:`Scenario.reweighted` (a quick "what
if" in code, also used for Monte-Carlo draws) keeps the name; :func:`with_overrides` is the
named copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._errors import InputError
from .._validate import number
from ._text import _is_number, _show, _suggest


def check_theme_scales(scales, what: str = "themes") -> dict[str, float]:
    """``{theme: factor}`` checked: known themes (with a suggestion), finite factors >= 0.

    >>> check_theme_scales({"water": 0.5})
    {'water': 0.5}
    >>> check_theme_scales({"watr": 2})
    Traceback (most recent call last):
    ...
    growthzones._errors.InputError: themes: unknown theme 'watr'. Did you mean 'water'? The themes are grid_capacity, land, post_industrial, water, connectivity, flood, designations
    """
    from ..criteria import THEMES

    if not isinstance(scales, Mapping) or not all(isinstance(k, str) for k in scales):
        raise InputError(f"{what} is {_show(scales)}; give a mapping of theme name to scale, "
                         f"e.g. {{'grid_capacity': 2}}")
    out = {}
    for theme, factor in scales.items():
        if theme not in THEMES:
            raise InputError(f"{what}: unknown theme {theme!r}.{_suggest(theme, THEMES)} The "
                             f"themes are {', '.join(THEMES)}")
        if not _is_number(factor) and not isinstance(factor, str):
            raise InputError(f"{what} {theme} is {_show(factor)}; it must be a number >= 0")
        out[theme] = number(factor, f"{what} {theme}", min=0.0, example=f"{theme}=2")
    return out


def scale_theme_weights(criteria: dict, scales: Mapping[str, float], where: str
                        ) -> list[str]:
    """Multiply, in place, the raw weights of a TOML-shaped ``[criteria]`` table by theme.

    Entries may be tables with a ``weight`` or the ``name = 2`` shorthand; names the
    registry does not know are left for the parser to report. Returns the problems (a
    theme with no weighted criterion).
    """
    from ..criteria import REGISTRY, theme_criteria

    problems = []
    for theme, factor in scales.items():
        hit = False
        for name, entry in criteria.items():
            crit = REGISTRY.get(name)
            if crit is None or crit.layer != theme:
                continue
            if isinstance(entry, dict) and _is_number(entry.get("weight")):
                hit = hit or entry["weight"] > 0
                entry["weight"] = entry["weight"] * factor
            elif _is_number(entry):
                hit = hit or entry > 0
                criteria[name] = entry * factor
        if not hit:
            names = ", ".join(n for n, c in theme_criteria(theme).items()
                              if c.kind == "criterion")
            problems.append(f"{where} {theme}: the scenario gives no weight to any {theme} "
                            f"criterion ({names}), so scaling it changes nothing; give one a "
                            f"weight (e.g. --weight NAME=1) or drop the scale")
    return problems


def override_label(name: str, weights: Mapping[str, float] | None = None,
                   themes: Mapping[str, float] | None = None) -> str:
    """The scenario name with its overrides, the one naming used by every output.

    >>> override_label("Default", {"grid_headroom_mw": 2}, {"water": 0.5})
    'Default (grid_headroom_mw=2, water×0.5)'
    >>> override_label("Default")
    'Default'
    """
    parts = [f"{k}={v:g}" for k, v in (weights or {}).items()]
    parts += [f"{k}×{v:g}" for k, v in (themes or {}).items()]
    return f"{name} ({', '.join(parts)})" if parts else name
