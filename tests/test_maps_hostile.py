"""Hostile strings in every place a user or the data can put text on the map (issue #9).

branca compiles each element's rendered output as a Jinja template a second time, so a
site called ``{{ 7*7 }}`` used to show as 49 and ``{{ lipsum.__globals__.os.system(...) }}``
ran a shell command during the render. The FIXTURE here is the hand-made result of
``test_maps`` with hostile site names, local authorities, notes, scenario name, layer
titles, units, council names and licence lines.
"""

from __future__ import annotations

import copy
import html
import json
import re
from types import SimpleNamespace

import pytest
from test_maps import fixture_result, fixture_sites, panel_entries

from growthzones import maps


def hostile_strings(folder) -> list[str]:
    """FIXTURE: template, HTML, JS and CSV payloads; the last one touches ``folder/pwned``."""
    return [
        "{{ 7*7 }}",
        "{% raw %}",
        "Plot {% 3 %}",
        "{# c #}",
        "</script><script>window.__pwned=1</script>",
        '"><img src=x onerror="window.__pwned=1">',
        f"{{{{ lipsum.__globals__.os.system('touch {folder}/pwned') }}}}",
        "${alert(1)}",
        "=cmd|' /C calc'!A0",
        "<!-- <script>",                  # opens a script's "double escaped" state
        "line\u2028sep\u2029para",        # JS line terminators inside a string literal
    ]


def hostile_result(folder) -> SimpleNamespace:
    """FIXTURE: ``test_maps.fixture_result`` with hostile scenario name, titles, units,
    council names and attributions."""
    bad = hostile_strings(folder)
    result = fixture_result()
    store = copy.copy(result.store)
    meta = copy.deepcopy(store.meta)
    meta["grid_headroom_mw"].update(title=bad[0], unit=bad[1])
    meta["dist_motorway_km"].update(title=bad[2], unit=bad[6])
    meta["green_belt"].update(title=bad[3])
    basemap = copy.deepcopy(store.basemap)
    basemap["features"][0]["properties"]["la_name"] = bad[6]
    basemap["features"][1]["properties"]["la_name"] = bad[0]
    store.meta, store.basemap = meta, basemap
    store.attributions = lambda: list(bad)
    return SimpleNamespace(**{**vars(result), "store": store,
                              "scenario": SimpleNamespace(name=" | ".join(bad))})


def hostile_sites(folder):
    """FIXTURE: one site per hostile string; its council and notes are the next two."""
    bad = hostile_strings(folder)
    base = fixture_sites()
    rows = base.iloc[[i % len(base) for i in range(len(bad))]].reset_index(drop=True)
    n = len(bad)
    rows["rank"] = list(range(1, n + 1))
    rows["name"] = bad
    rows["local_authority"] = [bad[(i + 1) % n] for i in range(n)]
    rows["notes"] = [bad[(i + 2) % n] for i in range(n)]
    rows["lat"] = [51.2 + 0.08 * i for i in range(n)]
    rows["lon"] = [-1.9 + 0.15 * i for i in range(n)]
    return rows


@pytest.fixture
def hostile_page(tmp_path) -> str:
    result, sites = hostile_result(tmp_path), hostile_sites(tmp_path)
    return maps.map_html(maps.render_map(result, sites))


def test_hostile_strings_render_without_running_anything(hostile_page, tmp_path):
    assert not (tmp_path / "pwned").exists()
    # 7*7 was evaluated nowhere: no 49 outside Leaflet's code, the PNGs and coordinates
    ours = re.sub(r"<script>/\* @preserve.*?</script>|data:image/png;base64,[\w+/=]+", "",
                  hostile_page, flags=re.DOTALL)
    assert len(ours) < len(hostile_page) / 2
    ours = ours.replace(str(tmp_path), "<folder>")  # in a payload; pytest-49 is a folder
    assert not re.search(r"(?<![\w.])49(?![\w.])", ours)  # ids are hex: 3f49a
    assert "</script><script>window.__pwned" not in hostile_page
    assert "<img src=x" not in hostile_page
    assert "${alert(1)}" not in hostile_page             # never a raw template literal


def test_hostile_strings_reach_the_page_encoded(hostile_page, tmp_path):
    bad = hostile_strings(tmp_path)
    # JS contexts: JSON strings with the template characters as \\uXXXX escapes
    assert '"la_name": "\\u007b\\u007b 7*7 \\u007d\\u007d"' in hostile_page
    # popups: JSON of HTML; decoded and unescaped, each cell is the original text
    popups = [html.unescape(re.sub(r"<[^>]*>", "\x00", json.loads(p)))
              for p in re.findall(r'bindPopup\(("(?:[^"\\]|\\.)*")', hostile_page)]
    assert len(popups) == len(bad)
    for text in bad:
        assert sum(f"\x00{text}\x00" in p for p in popups) >= 3  # name, council, notes
    # the layer panel (textContent) gets JSON strings with the risky characters escaped,
    # and the criterion titles come out as the original text
    assert '"label":"\\u007b\\u007b 7*7 \\u007d\\u007d"' in hostile_page
    labels = [e["label"] for e in panel_entries(hostile_page)]
    assert [bad[0], bad[2], f"Exclusion: {bad[3]}"] == [labels[3], labels[4], labels[6]]
    # the page title is HTML with numeric entities
    assert "<title>AI Growth Zones — &#123;&#123; 7*7 &#125;&#125; |" in hostile_page


@pytest.mark.parametrize("where", ["name", "local_authority", "notes"])
def test_each_hostile_string_alone_in_each_column(tmp_path, where):
    for text in hostile_strings(tmp_path):
        sites = fixture_sites()
        sites[where] = sites[where].astype(object)
        sites.loc[0, where] = text
        page = maps.map_html(maps.render_map(fixture_result(), sites, criteria=[]))
        assert not (tmp_path / "pwned").exists()
        assert "Plot {% 3" not in page and "{{ 7*7 }}" not in page


def test_hostile_title_argument(tmp_path):
    for text in hostile_strings(tmp_path):
        page = maps.map_html(maps.render_map(fixture_result(), None, title=text, criteria=[]))
        assert not (tmp_path / "pwned").exists()
        assert f"<title>{maps._html_text(text)}</title>" in page


def _our_scripts(page: str) -> list[str]:
    """The bodies of the page's <script> elements, Leaflet's own left out."""
    return [s for s in re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
            if not s.startswith("/* @preserve")]


def test_no_script_holds_a_raw_comment_opener_or_line_separator(hostile_page):
    scripts = _our_scripts(hostile_page)
    assert scripts and sum(map(len, scripts)) > 1000
    for body in scripts:
        assert "<!--" not in body and "</script" not in body.lower()
        assert "\u2028" not in body and "\u2029" not in body
    # the line terminators reach the page as escapes and decode to the original text
    assert "line\\u2028sep\\u2029para" in hostile_page


def test_identify_and_lazy_overlay_data_are_json_data():
    from growthzones.maps import _identify, _overlays

    bad = ["</script><script>x()</script>", "<!-- a", "{{ 7*7 }}", "b\u2028c\u2029d", "'\"&"]
    payload = {"grid": {"x0": 0, "y1": 10, "res": 1, "width": 1, "height": 1},
               "land": "AAAA", "n": 1, "scoreStep": 0.001, "data": "AAAA",
               "criteria": [[t, t, 0.5, 0.0, 1.0] for t in bad], "reasons": bad}
    script = _identify.identify_script("map_x", payload)
    lazy = _overlays._lazy_script({"width": 1, "height": 1, "cells": 1, "land": "AAAA",
                                   "gather": "AAAA", "palette": "00ff"})
    for body in (script, lazy):
        assert "<!--" not in body and "</script" not in body
        assert "\u2028" not in body and "\u2029" not in body and "{{" not in body
    data = json.loads(re.search(r"D = (\{.*?\});\n", script).group(1))
    assert data["reasons"] == bad and [c[0] for c in data["criteria"]] == bad
    with pytest.raises(ValueError, match="base64"):
        _identify.identify_script("map_x", {**payload, "data": "</script>"})
    with pytest.raises(ValueError, match="base64"):
        _overlays._lazy_script({"land": "AA<!--", "gather": "AAAA"})


def test_encoders_leave_no_template_or_markup_character():
    text = "a{b}c%d#e<f>g&h'i\"j\\k\u2028"
    js = maps._js_json({"k": [text, 1.5, None]})
    assert js == ('{"k": ["a\\u007bb\\u007dc\\u0025d\\u0023e\\u003cf\\u003eg\\u0026h'
                  '\\u0027i\\"j\\\\k\\u2028", 1.5, null]}')
    import json
    assert json.loads(js) == {"k": [text, 1.5, None]}
    assert maps._html_text(text) == ("a&#123;b&#125;c&#37;d&#35;e&lt;f&gt;g&amp;h&#39;i"
                                     "&quot;j\\k\u2028")
    import html
    assert html.unescape(maps._html_text(text)) == text


def test_hostile_place_names_reach_the_page_as_json_text(tmp_path):
    import pandas as pd

    bad = hostile_strings(tmp_path)
    result = fixture_result()
    result.store.places = pd.DataFrame({"name": bad, "population": [1e5] * len(bad),
                                        "lat": [51.5] * len(bad), "lon": [-1.0] * len(bad)})
    page = maps.map_html(maps.render_map(result, None))
    assert not (tmp_path / "pwned").exists()
    found = re.search(r"var places = (\[.*?\]);\n", page)
    assert found and [p[3] for p in json.loads(found.group(1))] == bad
    assert "</script><script>window.__pwned" not in page and "{{ 7*7 }}" not in page
    labels = {e["label"]: e for e in panel_entries(page)}
    assert labels["Place names"]["minZoom"] == maps._reference.PLACE_ZOOM
