"""Reading scenarios: :func:`load_scenario` (a file or a built-in by name) and :func:`with_sites`.

The built-in scenarios are package data (``growthzones/scenarios/*.toml``), found through
:func:`growthzones.catalog.package_path`, so they work from a wheel installed anywhere as
well as from a source checkout. A ``path`` that names an existing file is always read as
that file; otherwise a bare name such as ``default`` or ``with_latency`` selects the
built-in of that name. The name is looked up in the list of shipped files, never joined
onto the folder, so ``../x`` cannot reach a file outside it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .._errors import InputError, ScenarioError
from ..catalog import PACKAGE_DIR, package_path
from ._text import _checked, _is_number, _show, _suggest
from .overrides import check_theme_scales, override_label, scale_theme_weights
from .parse import Scenario, parse_scenario
from .spec import check_min_separation_km, check_network_year, check_top

#: The default scenario file (the built-in ``default``), inside the installed package.
DEFAULT_SCENARIO = PACKAGE_DIR / "scenarios" / "default.toml"


def builtin_scenarios() -> dict[str, Path]:
    """The scenarios shipped with the package, by name (file name without ``.toml``).

    >>> sorted(builtin_scenarios())[:2]
    ['default', 'grid_only']
    """
    return {p.stem: p for p in sorted(package_path("scenarios").glob("*.toml"))}


def scenario_file(path: str | os.PathLike | None = None) -> Path:
    """The file :func:`load_scenario` reads for ``path``.

    ``None`` is the built-in ``default``; an existing file is itself; a bare name of a
    built-in scenario (``"with_latency"``) is that built-in's file; anything else is
    returned as given (and reported as not found when read).
    """
    if path is None:
        return DEFAULT_SCENARIO
    p = Path(path)
    if not p.is_file():
        builtin = builtin_scenarios().get(os.fspath(path))  # exact names only: no joining
        if builtin is not None:
            return builtin
    return p


def _not_found(path: Path) -> ScenarioError:
    names = builtin_scenarios()
    hint = _suggest(path.stem, names)
    problem = (f"file not found; check the path, or name a built-in scenario: "
               f"{', '.join(names)} (e.g. --scenario default).{hint} The built-in files, a "
               f"start for your own, are in {package_path('scenarios')}")
    return ScenarioError(str(path), [problem])


def load_scenario(path: str | os.PathLike | None = None, *,
                  weights: dict[str, float] | None = None,
                  themes: dict[str, float] | None = None) -> Scenario:
    """Read and validate a scenario TOML file, or a built-in scenario by name.

    Parameters
    ----------
    path
        The TOML file, or the name of a built-in scenario (see :func:`builtin_scenarios`):
        ``"default"``, ``"grid_only"``, ``"post_industrial_only"``, ``"with_latency"``. An
        existing file of that name wins. Default: the built-in ``default``.
    weights
        Raw weight overrides by criterion name, checked like the file (the CLI's
        ``--weight NAME=VALUE``). On an AHP scenario they apply to the AHP weights, which
        makes it a direct-weight scenario (see :meth:`Scenario.reweighted`).
    themes
        Scales of whole themes (the CLI's ``--theme NAME=FACTOR``): each weighted
        criterion of the theme has its raw weight multiplied, before ``weights`` apply
        (see :mod:`growthzones.scenario.overrides`). With either override the scenario's
        name records it: ``Default (dist_ixp_km=2, water×0.5)``.
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise InputError(f"path is {_show(path)} ({type(path).__name__}); give the scenario "
                         f"file as a str or Path, e.g. 'my_scenario.toml', or a "
                         f"built-in name such as 'default'")
    if weights is not None and (not isinstance(weights, Mapping) or not all(
            isinstance(k, str) for k in weights)):
        raise InputError(f"weights is {_show(weights)}; give a mapping of criterion name to "
                         f"raw weight, e.g. {{'dist_ixp_km': 2}}")
    if themes is not None:
        themes = check_theme_scales(themes)
    path = scenario_file(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _not_found(path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"cannot read the file: {exc}"]) from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ScenarioError(str(path), [f"not valid TOML: {exc}"]) from None
    wsec = data.get("weights")
    if (weights or themes) and isinstance(wsec, dict) and wsec.get("method") == "ahp":
        return with_overrides(parse_scenario(data, source=path.name), weights=weights,
                              themes=themes)
    crit = data.setdefault("criteria", {}) if (weights or themes) else None
    if isinstance(crit, dict):  # the file's [themes], then --theme, then --weight
        problems: list[str] = []
        ftheme = data.get("themes")
        if isinstance(ftheme, dict) and ftheme:
            fs = _checked(problems, lambda: check_theme_scales(ftheme, "[themes]"))
            if fs is not None:
                problems += scale_theme_weights(crit, fs, "[themes]")
                del data["themes"]
        if themes:
            problems += scale_theme_weights(crit, themes, "theme")
        if problems:
            raise ScenarioError(path.name, problems)
    for name, w in (weights or {}).items():
        if not isinstance(crit, dict):
            break  # parse_scenario reports that [criteria] is not a table
        entry = crit.setdefault(name, {})
        if isinstance(entry, dict):
            entry["weight"] = w
        elif _is_number(entry):  # the `name = 2` shorthand: the override replaces it
            crit[name] = w
    scenario = parse_scenario(data, source=path.name)
    if weights or themes:
        scenario = replace(scenario, name=override_label(scenario.name, weights, themes))
    return scenario


def with_overrides(scenario: Scenario, *, weights: dict[str, float] | None = None,
                   themes: dict[str, float] | None = None) -> Scenario:
    """A copy with theme scales, then weights, applied and named after them.

    The same rules as :func:`load_scenario` ``weights=``/``themes=`` (see
    :mod:`growthzones.scenario.overrides`), for a scenario already in memory. An AHP
    scenario becomes a direct-weight one.

    >>> sc = with_overrides(load_scenario("default"), themes={"water": 0.5})
    >>> sc.name
    'Default (water×0.5)'
    """
    if not isinstance(scenario, Scenario):
        raise InputError(f"scenario is a {type(scenario).__name__}; give a Scenario "
                         f"(from load_scenario)")
    themes = check_theme_scales(themes) if themes else {}
    weights = dict(weights or {})
    if not themes and not weights:
        return scenario
    data = scenario.to_dict(direct=True)
    problems = scale_theme_weights(data["criteria"], themes, "theme")
    if problems:
        raise ScenarioError(scenario.source, problems)
    for name, w in weights.items():
        data["criteria"].setdefault(name, {})["weight"] = w
    out = parse_scenario(data, source=scenario.source)
    return replace(out, name=override_label(scenario.name, weights, themes))


def with_sites(scenario: Scenario, *, top: int | None = None,
               min_separation_km: float | None = None) -> Scenario:
    """A copy with other site-extraction settings, checked as ``[sites]`` in a file is.

    Raises
    ------
    InputError
        ``top`` not a whole number 1 .. MAX_TOP, or ``min_separation_km`` not a finite
        number in (0, MAX_SEPARATION_KM].
    """
    if not isinstance(scenario, Scenario):
        raise InputError(f"scenario is a {type(scenario).__name__}; give a Scenario "
                         f"(from load_scenario)")
    return replace(scenario, top=check_top(top) if top is not None else scenario.top,
                   min_separation_km=(check_min_separation_km(min_separation_km)
                                      if min_separation_km is not None
                                      else scenario.min_separation_km))


def with_network_year(scenario: Scenario, year) -> Scenario:
    """A copy whose grid criteria are those of network ``year`` (``--network-year``).

    ``None`` keeps the scenario's own. Which years a store carries is checked when
    scoring (:meth:`growthzones.store.LayerStore.at_network_year`).
    """
    if not isinstance(scenario, Scenario):
        raise InputError(f"scenario is a {type(scenario).__name__}; give a Scenario "
                         f"(from load_scenario)")
    if year is None:
        return scenario
    return replace(scenario, network_year=check_network_year(year, "network_year"))
