"""Scenarios: which criteria count, how much, how they combine, and what is ruled out.

A scenario is a TOML file (or a built-in one by name: ``load_scenario("default")``, see
:mod:`growthzones.scenario.load`). Every section but ``[criteria]`` is optional::

    name = "Default"
    description = "Grid first."
    network_year = 2030             # the grid of that year (its ETYS snapshot)

    [criteria.dist_substation_132kv_km]
    weight = 3                      # any non-negative number; normalised to sum to 1
    transform = { type = "piecewise", points = [[0, 1], [5, 0.8], [15, 0.4], [40, 0]] }
    [criteria.employment_deprivation_pct]
    weight = 1                      # transform and direction default to the criterion's

    [aggregation]                   # how transformed criteria combine (default: wlc)
    method = "wlc"                  # "wlc" | "topsis" | "owa"

    [constraints]                   # hard thresholds on raw values, applied after aggregation
    dist_substation_132kv_km = { max = 10 }            # "a substation within 10 km"

    [exclusions]
    national_parks = true
    except_previously_developed = ["national_parks"]  # lifted on previously developed land

    [sites]
    top = 20
    min_separation_km = 25

**Network year.** ``network_year`` (a whole number, 2025-2036) picks the ETYS snapshot the
grid criteria describe: the one in force that year (2030 -> 2029/30; see
:meth:`growthzones.store.LayerStore.at_network_year`). Left out, the store's own (2030).

**Weights.** ``[weights] method = "direct"`` (the default) takes each criterion's
``weight``; :attr:`Scenario.weights` reports them normalised to sum to 1. With
``method = "ahp"`` the weights come from Saaty's pairwise comparisons instead, and the
``[criteria.*]`` tables only set transforms (no ``weight`` keys)::

    [weights]
    method = "ahp"
    [weights.pairwise]              # row = { column = how many times more important }
    dist_substation_132kv_km = { dist_transmission_km = 1, employment_deprivation_pct = 3,
                                 dist_ixp_km = 5 }
    dist_transmission_km = { employment_deprivation_pct = 3, dist_ixp_km = 5 }
    employment_deprivation_pct = { dist_ixp_km = "2" }  # numbers or "1/3"-style strings

Judgements use Saaty's 1/9 .. 9 scale; every pair of criteria needs exactly one (either
way round). The weights are the principal eigenvector of the reciprocal matrix; its
consistency ratio :math:`CR = ((\\lambda_{max} - n)/(n - 1)) / RI_n` (Saaty's random
index) must be at most 0.1, else the error names the most inconsistent judgement.

**Aggregation.** ``wlc`` (weighted linear combination), ``topsis`` (closeness to the
ideal: ``ideal = "data"``, the best and worst land cell per criterion as in
scikit-criteria, or ``"fixed"``: 1 and 0), ``owa`` (ordered weighted averaging with
criterion importance, Yager/Torra WOWA: ``orness = 0.3``, from 0 = every criterion must be
good, through 0.5 = WLC, to 1 = one good criterion suffices; or ``order_weights = [...]``,
one per weighted criterion, best-valued first). See :mod:`growthzones.scoring`.

**Constraints.** ``NAME = { min = a, max = b, missing = "keep" | "exclude" }`` on any
criterion's raw value (its unit), inclusive; cells outside are excluded after
aggregation and report the constraint as the reason. Where the criterion has no data the
cell is kept and flagged unassessed (``missing = "keep"``, the default) or excluded.

**Exclusion exceptions.** ``except_previously_developed`` in ``[exclusions]`` lists
exclusions (each turned on in the same table) that do not apply where a cell is
previously developed (the ``previously_developed`` flag: a site of the industrial register
within 1 km). National policy gives such land priority, and large former works inside
designations (Trawsfynydd in Snowdonia, Hunterston beside the Clyde) do get redeveloped.
A cell let through is not excluded; :func:`growthzones.explain` and the map say which
exclusion it is inside and why it was allowed. Off unless listed.

The loader checks everything and reports all problems at once (:class:`ScenarioError`);
unknown names and keys are errors with a suggestion, never silently remapped. Every value
must have the type shown above: a section is a table, ``name`` and ``description`` are
strings, a number is a finite number (no ``nan``/``inf``, no dates, no text, no integer
beyond float range). Bounds:

* weights: any finite number >= 0. They are normalised by dividing by the largest first,
  so ``1e308`` twice is fine (0.5 each, no overflow). A positive weight below
  :data:`MIN_WEIGHT_SHARE` (a billionth) of the largest is refused: it would change no
  score and is almost always a typo.
* ``[sites] top``: a whole number 1 .. :data:`MAX_TOP`; ``min_separation_km``: > 0 and
  <= :data:`MAX_SEPARATION_KM` (GB is 700 x 1,250 km: a wider separation can only ever
  give one site). The CLI's ``--top`` and ``--min-separation-km`` go through the same checks.
* transform parameters: see :func:`growthzones.transforms.check_transform`.

**Overrides.** ``load_scenario(path, weights=..., themes=...)`` (the CLI's ``--weight`` and
``--theme``) and :func:`with_overrides` scale whole themes first, then set weights, and
name the scenario after them (``Default (dist_ixp_km=2, water×0.5)``); a file may scale
its own themes with a ``[themes]`` table. See :mod:`~growthzones.scenario.overrides`.

**Modules.** :mod:`~growthzones.scenario.spec` (the parts of a scenario and their
bounds), :mod:`~growthzones.scenario.ahp` (pairwise weights),
:mod:`~growthzones.scenario.parse` (:class:`Scenario` and :func:`parse_scenario`) and
:mod:`~growthzones.scenario.load` (files and built-in names); every name is re-exported
here, so ``from growthzones.scenario import ...`` is the one import to use.
"""

from ._text import _suggest
from .ahp import MAX_CONSISTENCY_RATIO, SAATY_RANDOM_INDEX, AHPResult, ahp_weights
from .load import (
    DEFAULT_SCENARIO,
    builtin_scenarios,
    load_scenario,
    scenario_file,
    with_network_year,
    with_overrides,
    with_sites,
)
from .overrides import check_theme_scales, override_label
from .parse import Scenario, parse_scenario
from .spec import (
    AGGREGATIONS,
    MAX_SEPARATION_KM,
    MAX_TOP,
    MIN_WEIGHT_SHARE,
    NETWORK_YEAR_RANGE,
    TOPSIS_IDEALS,
    WEIGHT_METHODS,
    Aggregation,
    Constraint,
    CriterionWeight,
    check_min_separation_km,
    check_network_year,
    check_top,
)

__all__ = [
    "AGGREGATIONS", "DEFAULT_SCENARIO", "MAX_CONSISTENCY_RATIO", "MAX_SEPARATION_KM",
    "MAX_TOP", "MIN_WEIGHT_SHARE", "NETWORK_YEAR_RANGE", "SAATY_RANDOM_INDEX", "TOPSIS_IDEALS", "WEIGHT_METHODS",
    "AHPResult", "Aggregation", "Constraint", "CriterionWeight", "Scenario", "_suggest",
    "ahp_weights", "builtin_scenarios", "check_min_separation_km", "check_network_year",
    "check_theme_scales", "check_top", "load_scenario", "override_label", "parse_scenario",
    "scenario_file", "with_network_year", "with_overrides", "with_sites",
]
