"""Property-based tests (hypothesis): nothing a user can type crashes or is silently accepted.

(a) The scenario loader, on documents generated from the real schema (real criterion and
    exclusion names from the registry plus near-misses, every section, values of the right
    and of every wrong type: NaN/inf, 1e308, huge integers, dates and times as tomllib
    returns them, nested tables and arrays), either returns a Scenario whose weights are
    finite, positive and sum to 1, or raises ScenarioError, both from a mapping
    (``parse_scenario``) and from TOML text (``load_scenario``, via a small serializer).
(b) The CLI number flags of ``run``, ``stability``, ``compare``, ``data build`` and
    ``screenshot``: ``main(argv)`` either hands the command valid, converted values or exits
    2 with one ``error: ...`` line. The commands are stubbed, so no job runs.

Profiles (registered in tests/conftest.py, no example database): ``ci`` is the default and
bounded (the whole file runs in seconds); for a long run by hand::

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import growthzones.cli as cli
from growthzones import GrowthZonesError, ScenarioError
from growthzones.layers import REGISTRY
from growthzones.scenario import MAX_SEPARATION_KM, MAX_TOP, Scenario, load_scenario, parse_scenario
from growthzones.stability import MAX_CONCENTRATION, MAX_DRAWS
from growthzones.transforms import TRANSFORMS

CRITERIA = sorted(n for n, c in REGISTRY.items() if c.kind == "criterion")
EXCLUSIONS = sorted(n for n, c in REGISTRY.items() if c.kind == "exclusion")


def near_misses(names):
    return st.sampled_from(names).flatmap(lambda n: st.sampled_from(
        [n, n[:-1], n + "s", n.replace("_", "-"), n.upper()]))


# --- (a) scenario documents --------------------------------------------------------------------

# Only values TOML can hold (no None), so the same documents go through load_scenario.
scalars = st.one_of(
    st.integers(-5, 30), st.floats(-10, 100),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 10**30, -(10**30), 2**63 - 1, 0, 0.0, -0.0]),
    st.booleans(), st.text(max_size=6),
    st.dates(), st.datetimes(), st.times(),
    st.datetimes(timezones=st.just(dt.UTC)),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6)
numbers = st.one_of(st.integers(0, 20), st.floats(0, 50), values)

transform = st.one_of(
    st.sampled_from(list(TRANSFORMS) + ["linaer", ""]), values,
    st.fixed_dictionaries({"type": st.one_of(st.sampled_from(list(TRANSFORMS)), values)}, optional={
        "points": st.one_of(st.lists(st.lists(numbers, min_size=2, max_size=2), max_size=4),
                            values),
        "half_distance": numbers, "value": numbers, "lo": numbers, "hi": numbers,
        "h": numbers}))
criterion_spec = st.one_of(numbers, st.fixed_dictionaries({}, optional={
    "weight": numbers, "transform": transform,
    "direction": st.one_of(st.sampled_from(["max", "min", "up"]), values), "wieght": numbers}))
names = st.one_of(near_misses(CRITERIA), near_misses(EXCLUSIONS), st.text(max_size=5))
judgement = st.one_of(st.integers(1, 9), st.sampled_from(["1/3", "1/9", "2", "0", "x", "1/0",
                                                          "1e400", "nan"]), values)
sections = {
    "name": st.one_of(st.text(max_size=8), values),
    "description": st.one_of(st.text(max_size=8), values),
    "criteria": st.one_of(st.dictionaries(names, criterion_spec, max_size=4), values),
    "weights": st.one_of(values, st.fixed_dictionaries({}, optional={
        "method": st.one_of(st.sampled_from(["direct", "ahp", "AHP"]), values),
        "pairwise": st.one_of(values, st.dictionaries(
            near_misses(CRITERIA), st.one_of(values, st.dictionaries(
                near_misses(CRITERIA), judgement, max_size=3)), max_size=3))})),
    "aggregation": st.one_of(st.sampled_from(["wlc", "topsis", "owa", "wsm"]), values,
                             st.fixed_dictionaries({}, optional={
                                 "method": st.sampled_from(["wlc", "topsis", "owa"]),
                                 "orness": numbers, "ideal": st.sampled_from(["data", "fixed",
                                                                              "x"]),
                                 "order_weights": st.one_of(st.lists(numbers, max_size=4),
                                                            values)})),
    "constraints": st.one_of(values, st.dictionaries(names, st.one_of(values, st.fixed_dictionaries(
        {}, optional={"min": numbers, "max": numbers,
                      "missing": st.sampled_from(["keep", "exclude", "drop"])})), max_size=2)),
    "exclusions": st.one_of(values, st.dictionaries(names, st.one_of(st.booleans(), values),
                                                    max_size=3)),
    "sites": st.one_of(values, st.fixed_dictionaries({}, optional={
        "top": numbers, "min_separation_km": numbers, "count": numbers})),
    "extra": values,
}
anything = st.fixed_dictionaries({}, optional=sections)

# Mostly valid documents (each section valid seven times in eight), so that the "valid
# Scenario" side of the property is exercised too, with extreme but legal weights.
good_weight = st.one_of(st.integers(0, 10), st.floats(0, 10), st.integers(1, 10),
                        st.sampled_from([1e308, 10**30, 2**63 - 1, 1e-300, 0.5]))
good_transform = st.sampled_from([
    "linear", "percentile", {"type": "linear", "lo": 0, "hi": 50},
    {"type": "decay", "half_distance": 60}, {"type": "threshold", "value": 5},
    {"type": "piecewise", "points": [[0, 1], [10, 0.5], [40, 0]]}])
good = {
    "name": st.text(max_size=8), "description": st.text(max_size=8),
    "criteria": st.dictionaries(st.sampled_from(CRITERIA), st.one_of(
        good_weight, st.fixed_dictionaries({"weight": good_weight}, optional={
            "transform": good_transform, "direction": st.sampled_from(["max", "min"])})),
        min_size=1, max_size=4),
    "aggregation": st.sampled_from(["wlc", "topsis", {"method": "topsis", "ideal": "fixed"},
                                    {"method": "owa", "orness": 0.3}]),
    "constraints": st.dictionaries(st.sampled_from(CRITERIA), st.sampled_from(
        [{"max": 10}, {"min": 0, "max": 1e300, "missing": "exclude"}]), max_size=2),
    "exclusions": st.dictionaries(st.sampled_from(EXCLUSIONS), st.booleans(), max_size=3),
    "sites": st.fixed_dictionaries({}, optional={
        "top": st.integers(1, MAX_TOP), "min_separation_km": st.floats(0.001, 1500)}),
}
mostly_valid = st.fixed_dictionaries(
    {"criteria": st.one_of(*[good["criteria"]] * 7, sections["criteria"])},
    optional={k: st.one_of(*[g] * 7, sections[k]) for k, g in good.items() if k != "criteria"})
documents = st.one_of(mostly_valid, mostly_valid, anything)
valid_values = st.fixed_dictionaries({"criteria": good["criteria"]},
                                     optional={k: g for k, g in good.items() if k != "criteria"})


def _check_outcome(make):
    """``make()`` gives a valid Scenario or raises ScenarioError; nothing else."""
    try:
        sc = make()
    except ScenarioError as exc:
        assert isinstance(exc, GrowthZonesError) and exc.problems
        assert all(isinstance(p, str) and p for p in exc.problems)
        assert "\n" not in exc.one_line()
        return None
    assert isinstance(sc, Scenario)
    w = sc.weights
    assert w and all(math.isfinite(v) and v > 0 for v in w.values()), w
    assert abs(math.fsum(w.values()) - 1) <= 1e-9, w
    assert 1 <= sc.top <= MAX_TOP and 0 < sc.min_separation_km <= MAX_SEPARATION_KM
    assert isinstance(sc.name, str) and isinstance(sc.description, str)
    # a valid scenario round-trips through its own mapping
    again = parse_scenario(sc.to_dict(), source="again")
    assert again.weights == pytest.approx(w, rel=1e-9, abs=1e-12)
    return sc


@given(documents)
def test_parse_scenario_returns_a_valid_scenario_or_a_scenario_error(doc):
    _check_outcome(lambda: parse_scenario(doc, source="fuzz.toml"))


@given(valid_values)
def test_documents_of_valid_values_load(doc):
    # Only the weights as a whole can still be wrong: all zero, or one negligibly small
    # beside another (1e-300 next to 1e308). Extreme legal weights must normalise.
    try:
        assert _check_outcome(lambda: parse_scenario(doc)) is not None
    except AssertionError:
        with pytest.raises(ScenarioError) as err:
            parse_scenario(doc)
        assert all("all weights are zero" in p or "below a billionth of the largest" in p
                   for p in err.value.problems), err.value.problems


@given(st.dictionaries(st.sampled_from(["criteria", "sites", "exclusions", "weights"]),
                       st.one_of(st.none(), values), max_size=3))
def test_python_mappings_with_none_and_any_value(doc):
    _check_outcome(lambda: parse_scenario(doc))


# A small TOML serializer (inline tables and arrays only); tomli_w is not a dependency.
def _key(k: str) -> str:
    return _string(k)


def _string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def to_toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == math.inf else
                                             "-inf" if value == -math.inf else repr(value))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {to_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def test_the_serializer_round_trips_through_tomllib():
    import tomllib

    doc = {"a": [1, 2.5, "x\x7f\n", dt.date(2020, 1, 2)], "b": {"c": {"d": math.inf}},
           "e": dt.datetime(2020, 1, 2, 3, 4, 5, 6), "f": dt.time(1, 2, 3), "g": 10**30,
           "h": 1e308, "i": -0.0}
    text = "\n".join(f"{_key(k)} = {to_toml(v)}" for k, v in doc.items())
    assert tomllib.loads(text) == doc


@given(documents)
def test_load_scenario_from_toml_text(tmp_path_factory, doc):
    text = "\n".join(f"{_key(k)} = {to_toml(v)}" for k, v in doc.items()) + "\n"
    path = tmp_path_factory.getbasetemp() / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    _check_outcome(lambda: load_scenario(path))


# --- (b) CLI number flags ------------------------------------------------------------------------

flag_text = st.one_of(
    st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "1e-300", "0", "-0", "1e3", "2.5", "",
                     " 5", "x", "1_000", "0x10", "１２", "10" * 20, "--top", "-"]),
    st.text(max_size=6))
FLAGS = {
    "run": ["--top", "--min-separation-km"],
    "stability": ["--top", "--draws", "--concentration", "--seed"],
    "compare": ["--top"],
    "data build": ["--resolution"],
    "screenshot": ["--width", "--height"],
}
POSITIONAL = {"compare": ["a.toml", "b.toml"], "screenshot": ["a.html", "b.png"]}
argvs = st.sampled_from(sorted(FLAGS)).flatmap(lambda cmd: st.lists(
    st.tuples(st.sampled_from(FLAGS[cmd]), flag_text), max_size=3).map(
    lambda pairs: [*cmd.split(), *POSITIONAL.get(cmd, []),
                   *[x for flag, v in pairs for x in (flag, v)]]))


def _valid(args) -> None:
    """The converted values the command receives are within the documented bounds."""
    if getattr(args, "top", None) is not None:
        assert type(args.top) is int and 1 <= args.top <= MAX_TOP
    if getattr(args, "min_separation_km", None) is not None:
        assert 0 < args.min_separation_km <= MAX_SEPARATION_KM
    if args.command == "stability":
        assert type(args.draws) is int and 1 <= args.draws <= MAX_DRAWS
        assert 0 < args.concentration <= MAX_CONCENTRATION
        assert type(args.seed) is int and args.seed >= 0
    if args.command == "data":
        assert args.resolution >= 10 and (700_000 / args.resolution).is_integer()
    if args.command == "screenshot":
        assert 1 <= args.width <= 16_384 and 1 <= args.height <= 16_384


@given(argvs)
def test_cli_flags_parse_to_valid_values_or_exit_2_with_one_line(argv):
    seen = []
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()):
        for name in ("cmd_run", "cmd_stability", "cmd_compare", "cmd_build", "cmd_screenshot"):
            mp.setattr(cli, name, lambda args: seen.append(args) or 0)
        code = cli.main(argv)
    if code == 0:
        (args,) = seen
        _valid(args)
        assert err.getvalue() == ""
    else:
        assert code == 2 and seen == []
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
