"""The explorer page, without a browser: data encoding, escaping, the Python twin, errors."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

import growthzones as gz
from growthzones import explorer
from growthzones._errors import InputError, OutputError

XSS_SCENARIO = "{{ 7*7 }}</script><img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def result():
    return gz.score(gz.load_layers(), gz.load_scenario())


@pytest.fixture(scope="module")
def page(result) -> str:
    return explorer.render_explorer(result)


def test_quantise_round_trip_is_within_half_a_step():
    v = np.random.default_rng(1).random(10_000)
    v[::97] = np.nan
    back = explorer.dequantise(explorer.quantise(v))
    assert np.array_equal(np.isnan(back), np.isnan(v))
    assert np.nanmax(np.abs(back - v)) <= explorer.QUANT_STEP / 2 + 1e-12


def test_raw_values_with_few_distinct_values_travel_exactly():
    raw = np.array([0, 50, 100, np.nan, 50], dtype=np.float32)
    q, dec = explorer._raw_encoding(raw)
    assert dec == {"table": [0.0, 50.0, 100.0]}
    assert q.tolist() == [0, 1, 2, explorer.NODATA_Q, 1]
    q2, dec2 = explorer._raw_encoding(np.linspace(0, 300, 10_000, dtype=np.float32))
    assert set(dec2) == {"lo", "hi"}
    back = dec2["lo"] + q2 * (dec2["hi"] - dec2["lo"]) / explorer.QUANT_MAX
    assert np.abs(back - np.linspace(0, 300, 10_000)).max() < 300 / explorer.QUANT_MAX


def test_delta_planes_decode_like_the_page():
    q = np.array([5, 65535, 0, 300, 300, 12], dtype=np.uint16)
    b = np.frombuffer(explorer._delta_planes(q), np.uint8)
    n = len(q)
    d = (b[:n].astype(np.int64) << 8) | b[n:]
    assert (np.cumsum(d) % 65536).tolist() == q.tolist()


def test_embedded_json_escapes_markup_and_template_characters():
    text = explorer._json_for_script({"name": XSS_SCENARIO, "n": [1, 2]})
    assert json.loads(text) == {"name": XSS_SCENARIO, "n": [1, 2]}
    inside = text[text.index('"name":') + 7:]
    for c in "<>&{}%#":
        assert c not in inside.split('"n"')[0], c


def test_page_is_self_contained_and_within_budget(page, result):
    assert len(page.encode("utf-8")) <= explorer.SIZE_BUDGET_BYTES
    # nothing is fetched: no external script, stylesheet, image or font
    assert not re.search(r'<(script|link|img)[^>]+(src|href)\s*=\s*["\']?(https?:)?//', page)
    assert "L.version" in page or "Leaflet" in page         # Leaflet inlined
    assert page.count('id="gz-data"') == 1 and page.count('id="gz-bin"') == 1
    data = json.loads(re.search(r'id="gz-data">(.*?)</script>', page, re.S).group(1))
    assert [c["name"] for c in data["criteria"]] == [c.name for c in result.scenario.criteria]
    assert data["n"] == len(result.store.land_index)
    assert {e["name"] for e in data["exclusions"] if e["on"]} == set(result.scenario.exclusions)
    assert [c["name"] for c in data["constraints"]] == ["campus_room_ha"]


def test_scenario_name_is_data_not_markup(result):
    sc = dataclasses.replace(result.scenario, name=XSS_SCENARIO)
    text = explorer.render_explorer(dataclasses.replace(result, scenario=sc))
    assert XSS_SCENARIO not in text
    assert "<img src=x" not in text
    assert "{{ 7*7 }}" not in text                           # escaped in JSON and <title>
    assert "&#123;&#123; 7*7 &#125;&#125;&lt;/script&gt;&lt;img src=x" in text  # <title>


def test_page_scores_match_python_scores_within_the_quantisation_step(result):
    mine = explorer.page_scores(result)
    assert np.nanmax(np.abs(mine - result.score)) <= explorer.QUANT_STEP
    from growthzones.ranking import top_sites

    page_top = explorer.page_top_sites(result, top=20)
    python_top = top_sites(result, top=20)
    # 16-bit quantisation moves scores by < 1.5e-5: the default top 20 are the same cells
    assert page_top["pos"].tolist() == python_top["pos"].tolist()
    assert np.abs(page_top["score"] - python_top["score"]).max() <= explorer.QUANT_STEP


def test_topsis_twin_matches_python_topsis(result):
    sc = result.scenario.updated({"aggregation": {"method": "topsis"}})
    res = gz.score(result.store, sc)
    assert np.nanmax(np.abs(explorer.page_scores(res) - res.score)) <= explorer.QUANT_STEP


def test_owa_scenario_is_refused_with_the_fix(result):
    sc = result.scenario.updated({"aggregation": {"method": "owa", "orness": 0.3}})
    with pytest.raises(InputError, match=r"aggregates with 'owa'.*method = \"wlc\""):
        explorer.render_explorer(result.store, sc)


def test_other_inputs_are_refused():
    with pytest.raises(InputError, match="ScoreResult .* or a LayerStore"):
        explorer.render_explorer({"not": "a store"})


def test_write_explorer_refuses_a_folder(result, tmp_path):
    with pytest.raises(OutputError, match="is a folder; give a file name"):
        explorer.write_explorer(result, path=tmp_path)


def test_explore_writes_explorer_html_in_the_out_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        explorer.explore(out=tmp_path / "file")
    path = explorer.explore(out=tmp_path / "out")
    assert path == tmp_path / "out" / "explorer.html" and path.stat().st_size > 1_000_000
