"""The explorer in real headless Chromium (DevTools protocol over a pipe, network off).

One Chromium session for the whole module: the default page (GB 1 km) and, at the end,
a page whose scenario name is an injection attempt. Parity rule: the page's top 20 must
be exactly the cells that :func:`growthzones.explorer.page_top_sites` (the Python twin
of the page's kernel, on the same 16-bit values and the page's own normalised weights)
picks, with the same rule as ``gz.rank_sites``; and its scores must agree with
``gz.score``'s (float32, unquantised) within the quantisation step.
Skips without Chromium, but fails under ``CI=true``.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

import growthzones as gz
from growthzones import explorer
from growthzones.maps._browser import Chromium
from growthzones.ranking import top_sites

pytestmark = pytest.mark.browser
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
XSS_SCENARIO = "{{ 7*7 }}</script><img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def result():
    return gz.score(gz.load_layers(), gz.load_scenario())


@pytest.fixture(scope="module")
def browser(result, tmp_path_factory):
    try:
        from growthzones.maps import _find_chromium

        _find_chromium()
    except RuntimeError as err:
        if IN_CI:
            pytest.fail(str(err))
        pytest.skip(str(err))
    folder = tmp_path_factory.mktemp("explorer")
    path = explorer.write_explorer(result, path=folder / "explorer.html")
    with Chromium() as b:
        b.path = path
        b.load_s = b.open(path)
        yield b


def _page_top(browser, n=20):
    return browser.eval(f"gzExplorer.topSites({n})")


def _check_parity(browser, result, weights_raw, *, method="wlc", scenario=None):
    """Set raw weights in the page; compare with the Python twin and with gz.score.

    ``scenario``: the scenario the page's exclusions and constraints now match.
    """
    weights_raw = {k: float(v) for k, v in weights_raw.items()}
    browser.eval(f"gzExplorer.setWeights({json.dumps(weights_raw)})")
    w = browser.eval("gzExplorer.weights()")
    page = _page_top(browser)
    base = scenario or result.scenario
    excluded = None if scenario is None else gz.score(result.store, scenario).excluded
    twin = explorer.page_top_sites(result, w, method=method, top=20, excluded=excluded)
    assert [s["pos"] for s in page] == twin["pos"].tolist()
    assert np.allclose([s["score"] for s in page], twin["score"], rtol=0, atol=1e-12)
    # against the real (float32, unquantised) scores of the same scenario
    sc = base.reweighted(**weights_raw)
    if method != "wlc":
        sc = sc.updated({"aggregation": {"method": method}})
    real = gz.score(result.store, sc)
    pos = np.random.default_rng(0).choice(len(result.store.land_index), 3000, replace=False)
    mine = np.array([np.nan if v is None else v
                     for v in browser.eval(f"gzExplorer.scoresAt({pos.tolist()})")])
    assert np.array_equal(np.isnan(mine), np.isnan(real.ranked[pos]))
    assert np.nanmax(np.abs(mine - real.ranked[pos])) <= explorer.QUANT_STEP
    python_top = top_sites(real, top=20)["pos"].tolist()
    return len(set(python_top) & {s["pos"] for s in page})


def test_page_loads_offline_with_no_errors(browser, result):
    assert browser.path.stat().st_size <= explorer.SIZE_BUDGET_BYTES
    assert browser.errors == []
    assert browser.requests == [browser.path.resolve().as_uri()]
    counts = browser.eval("""({
        sliders: document.querySelectorAll('#gz-weights input[type=range]').length,
        checks: document.querySelectorAll('#gz-exclusions input[id^="gz-x-"]').length,
        excepts: document.querySelectorAll('#gz-exclusions input[id^="gz-xe-"]').length,
        rows: document.querySelectorAll('#gz-table tbody tr:not([hidden])').length,
        markers: document.querySelectorAll('.gz-rank').length,
        title: document.getElementById('gz-title').textContent})""")
    themes = {result.store.meta[c.name]["layer"] for c in result.scenario.criteria}
    assert counts["sliders"] == len(result.scenario.criteria) + len(themes)
    n_excl = sum(m["kind"] == "exclusion" for m in result.store.meta.values())
    assert counts["checks"] == n_excl
    assert counts["excepts"] == n_excl  # one "except on previously developed land" each
    assert counts["rows"] == counts["markers"] == result.scenario.top
    png = browser.screenshot()
    from test_maps_browser import decode_png

    px = decode_png(png)
    spread = px.max(axis=2).astype(int) - px.min(axis=2)
    assert (spread > 80).sum() > 20_000          # the coloured surface is drawn


def test_default_and_random_weights_match_python(browser, result):
    overlaps = [_check_parity(browser, result, {c.name: c.weight
                                                for c in result.scenario.criteria})]
    rng = np.random.default_rng(12)
    names = [c.name for c in result.scenario.criteria]
    for _ in range(5):
        raw = rng.gamma(0.7, size=len(names)) * 3
        overlaps.append(_check_parity(browser, result, dict(zip(names, raw.round(4)))))
    # 16-bit values: the float32 Python ranking keeps (nearly) every cell
    assert min(overlaps) >= 18, overlaps


def test_topsis_matches_python(browser, result):
    browser.eval("gzExplorer.setMethod('topsis')")
    try:
        _check_parity(browser, result, {c.name: c.weight for c in result.scenario.criteria},
                      method="topsis")
    finally:
        browser.eval("gzExplorer.setMethod('wlc')")


def test_exclusion_toggle_and_constraint_match_python(browser, result):
    browser.eval("gzExplorer.setExclusion('built_up', false)")
    browser.eval("gzExplorer.setConstraint('campus_room_ha', {min: 300})")
    try:
        sc = result.scenario.updated({
            "exclusions": {e: True for e in result.scenario.exclusions if e != "built_up"},
            "constraints": {"campus_room_ha": {"min": 300}}})
        _check_parity(browser, result, {c.name: c.weight for c in result.scenario.criteria},
                      scenario=sc)
    finally:
        browser.eval("gzExplorer.setExclusion('built_up', true)")
        browser.eval("gzExplorer.setConstraint('campus_room_ha', {min: 50})")


def test_exclusion_exception_matches_python_and_exports(browser, result, tmp_path):
    # Lift National Parks and built-up land on previously developed cells, as the scenario
    # key except_previously_developed does; the page's sites, scores and explanation must
    # follow Python's, and the exported TOML must carry the exception.
    lifted = ["national_parks", "built_up"]
    for name in lifted:
        browser.eval(f"gzExplorer.setException('{name}', true)")
    try:
        ex = {e: True for e in result.scenario.exclusions}
        sc = result.scenario.updated({"exclusions": {**ex,
                                                     "except_previously_developed": lifted}})
        real = gz.score(result.store, sc)
        assert (real.excluded != result.excluded).any()  # the exception changes something
        _check_parity(browser, result, {c.name: c.weight for c in result.scenario.criteria},
                      scenario=sc)
        pos = int(np.flatnonzero(real.allowed_by["built_up"] & ~real.excluded)[0])
        rows, cols = np.divmod(result.store.land_index[pos], result.grid.width)
        x, y = result.grid.xy(rows, cols)
        info = browser.eval(f"gzExplorer.explainAt({float(x)}, {float(y)})")
        assert not info["excluded"]
        assert info["allowed"] == ["inside Built-up land (built_up), allowed: previously "
                                   "developed land"]
        assert real.why_allowed(pos)[0] == info["allowed"]
        toml = browser.eval("gzExplorer.exportScenario()")
        path = tmp_path / "exported.toml"
        path.write_text(toml, encoding="utf-8")
        back = gz.load_scenario(path)
        assert back.except_previously_developed == tuple(lifted)
        assert (gz.score(result.store, back).excluded == real.excluded).all()
    finally:
        for name in lifted:
            browser.eval(f"gzExplorer.setException('{name}', false)")


def test_a_slider_moved_by_a_key_press_changes_sites_as_python_does(browser, result):
    before = _page_top(browser, 10)
    names = [c.name for c in result.scenario.criteria]
    j = names.index("post_industrial")
    browser.eval(f"document.getElementById('gz-w-{j}').focus(); true")
    for _ in range(60):                                      # 3 -> 0 in steps of 0.05
        browser.key("ArrowLeft", 37)
    w = browser.eval("gzExplorer.weights()")
    assert w["post_industrial"] == 0
    after = _page_top(browser, 10)
    assert [s["pos"] for s in after] != [s["pos"] for s in before]
    twin = explorer.page_top_sites(result, w, top=10)
    assert [s["pos"] for s in after] == twin["pos"].tolist()


def test_exported_toml_gives_the_pages_top_10(browser, result, tmp_path):
    browser.eval("gzExplorer.setWeights({post_industrial: 6, dist_rail_km: 2})")
    browser.eval("gzExplorer.setThemeWeight('water', 2)")
    try:
        page = _page_top(browser, 10)
        toml = browser.eval("gzExplorer.exportScenario()")
        path = tmp_path / "exported.toml"
        path.write_text(toml, encoding="utf-8")
        sites = gz.rank_sites(gz.score(result.store, gz.load_scenario(path)), top=10)
        assert list(zip(sites["easting"], sites["northing"])) == \
            [(s["easting"], s["northing"]) for s in page]
        assert list(sites["name"]) == [s["name"] for s in page]
        assert list(sites["local_authority"]) == [s["localAuthority"] for s in page]
    finally:
        browser.eval("gzExplorer.setThemeWeight('water', 1)")


def test_cell_panel_explains_scores_and_exclusions(browser, result):
    top = _page_top(browser, 1)[0]
    assert browser.eval(f"gzExplorer.scoreAt({top['easting']}, {top['northing']})") == \
        top["score"]
    info = browser.eval(f"gzExplorer.explainAt({top['easting']}, {top['northing']})")
    ref = gz.explain(result, top["easting"], top["northing"])
    for row in info["criteria"]:
        assert row["raw"] == pytest.approx(ref.loc[row["name"], "raw"], rel=1e-3, abs=0.01)
        assert row["value"] == pytest.approx(ref.loc[row["name"], "value"], abs=1e-4)
    assert sum(r["contribution"] for r in info["criteria"]) == pytest.approx(top["score"])
    # an excluded cell: the first one Python excludes by a constraint only
    pos = int(np.flatnonzero(result.excluded_by["campus_room_ha >= 50"]
                             & ~np.any([m for k, m in result.excluded_by.items()
                                        if k != "campus_room_ha >= 50"], axis=0))[0])
    rows, cols = np.divmod(result.store.land_index[pos], result.grid.width)
    x, y = result.grid.xy(rows, cols)
    info = browser.eval(f"gzExplorer.explainAt({float(x)}, {float(y)})")
    assert info["excluded"] and info["score"] is None
    assert info["reasons"] == ["fails constraint campus_room_ha >= 50 ha"]
    assert browser.eval(f"gzExplorer.scoreAt({float(x)}, {float(y)})") is None
    browser.eval(f"gzExplorer.select({float(x)}, {float(y)})")
    text = browser.eval("document.getElementById('gz-cell-body').textContent")
    assert "Excluded: fails constraint campus_room_ha >= 50 ha" in text


def test_injected_scenario_name_shows_as_text(browser, result):
    sc = dataclasses.replace(result.scenario, name=XSS_SCENARIO)
    path = explorer.write_explorer(dataclasses.replace(result, scenario=sc),
                                   path=browser.path.with_name("xss.html"))
    browser.errors.clear()
    browser.open(path)
    assert browser.eval("document.getElementById('gz-title').textContent") == \
        f"AI Growth Zones explorer \u2014 {XSS_SCENARIO}"
    assert browser.eval("typeof window.__pwned") == "undefined"
    assert browser.eval("document.querySelectorAll('img[src=x]').length") == 0
    assert browser.eval("document.title").endswith(XSS_SCENARIO)
    assert browser.errors == []
    toml = browser.eval("gzExplorer.exportScenario()")
    assert gz.parse_scenario(__import__("tomllib").loads(toml)).name == XSS_SCENARIO


def test_network_year_switch_matches_python_in_that_year(browser, result):
    assert browser.eval("gzExplorer.networkYears") == [2025, 2027, 2029, 2032, 2035]
    assert browser.eval("gzExplorer.networkYear()") == 2029  # the scenario's 2030
    browser.eval("gzExplorer.setNetworkYear(2035)")
    try:
        r35 = gz.score(result.store, result.scenario, network_year=2035)
        w = browser.eval("gzExplorer.weights()")
        page = _page_top(browser)
        twin = explorer.page_top_sites(r35, w, top=20)
        assert [s["pos"] for s in page] == twin["pos"].tolist()
        assert [s["pos"] for s in page] != \
            explorer.page_top_sites(result, w, top=20)["pos"].tolist()  # the grid moved
        assert "network_year = 2035" in browser.eval("gzExplorer.exportScenario()")
    finally:
        browser.eval("gzExplorer.setNetworkYear(2029)")
