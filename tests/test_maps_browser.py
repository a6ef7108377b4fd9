"""The saved map in a real browser: headless Chromium, no network.

The machine running these has no internet, so the page only draws if it really is
self-contained: a CDN link would leave ``L`` undefined and no Leaflet pane in the DOM.
Skips without Chromium, but fails under ``CI=true`` (install it with
``apt-get install chromium``).
"""

from __future__ import annotations

import json
import os
import re
import struct
import zlib

import numpy as np
import pytest
from test_maps import XSS_NAME, fixture_result, fixture_sites

from growthzones import maps

pytestmark = pytest.mark.browser
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Click the site ranked 2 (drawn second: sites are added worst first), so that its
# popup, with the <script>-named site, is in the DOM when it is dumped.
OPEN_POPUP = """<script>
setTimeout(function () {
    var paths = document.querySelectorAll(".leaflet-gz-sites-pane path");
    paths[1].dispatchEvent(new MouseEvent("click", {bubbles: true}));
}, 200);
</script>"""


@pytest.fixture(scope="module")
def chromium():
    try:
        return maps._find_chromium()
    except RuntimeError as err:
        if IN_CI:
            pytest.fail(str(err))
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def saved(chromium, tmp_path_factory):
    folder = tmp_path_factory.mktemp("map")
    return maps.save_map(maps.render_map(fixture_result(), fixture_sites()),
                         folder / "map.html")


@pytest.fixture(scope="module")
def dom(saved) -> tuple[str, str]:
    """(DOM after the scripts ran, browser log) of the page with a popup opened."""
    page = saved.with_name("clicked.html")
    page.write_text(saved.read_text(encoding="utf-8").replace("</html>", OPEN_POPUP + "</html>"),
                    encoding="utf-8")
    proc = maps._run_chromium(["--enable-logging=stderr", "--v=0",
                               "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                              timeout=90)
    return proc.stdout, proc.stderr


def decode_png(data: bytes) -> np.ndarray:
    """Pixels of an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
    bpp = 3 if ctype == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, 1 + w * bpp)
    out = np.zeros((h, w * bpp), np.uint8)
    prev = np.zeros(w * bpp, np.int64)
    for y in range(h):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:                                    # Sub
            cur = np.cumsum(line.reshape(w, bpp), axis=0).reshape(-1)
        elif kind == 2:                                    # Up
            cur = line + prev
        else:                                              # Average, Paeth: byte by byte
            cur, up = line.tolist(), prev.tolist()
            for x in range(w * bpp):
                a = cur[x - bpp] if x >= bpp else 0
                b = up[x]
                if kind == 3:
                    cur[x] = (cur[x] + ((a + b) >> 1)) & 255
                else:
                    c = up[x - bpp] if x >= bpp else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    cur[x] = (cur[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.array(cur, np.int64)
        prev = cur & 255
        out[y] = prev
    return out.reshape(h, w, bpp)[:, :, :3]


def test_leaflet_runs_offline_and_draws_every_part(dom):
    html, log = dom
    assert "Uncaught" not in log, log
    # (the popup opened below may still be panning the map into view: leaflet-pan-anim)
    assert re.search(r'class="leaflet-pane leaflet-map-pane[ "]', html)
    assert "leaflet-gz-basemap-pane" in html and "leaflet-gz-sites-pane" in html
    # only the score overlay is shown at first
    assert len(re.findall(r'<img[^>]*class="leaflet-image-layer', html)) == 1
    assert 'src="data:image/png;base64,' in html
    # two local authorities and three sites are interactive SVG paths
    assert html.count('class="leaflet-interactive"') == 5
    labels = re.findall(r'<div class="leaflet-tooltip gz-rank[^"]*"[^>]*>([^<]*)</div>', html)
    assert sorted(labels) == ["1", "2", "3"]


def test_layer_panel_lists_every_layer_collapsed(dom):
    html, _ = dom
    entries = re.findall(r'<span class="gz-layers-label">(.*?)</span>', html)
    assert entries == ["Council boundaries", "Suitability score", "None (base map only)",
                       "Grid headroom", "Distance to motorway",
                       "Excluded land (this scenario)", "Exclusion: Green belt", "Top sites"]
    assert re.search(r'<div class="gz-layers-body" hidden="">', html)   # collapsed


def test_popup_shows_the_script_named_site_as_text(dom):
    html, _ = dom
    popup = re.search(r'<div class="leaflet-popup-content"[^>]*>(.*?)</table></div>', html, re.S)
    assert popup, "the popup did not open"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in popup.group(1)
    assert "Slough &amp; &lt;Windsor&gt;" in popup.group(1)
    assert XSS_NAME not in html
    assert "<img src=" not in html.replace('<img src="data:image/png', "")


def test_title_legend_and_sources_are_drawn(dom):
    html, _ = dom
    assert "<h1>AI Growth Zones — Power first &lt;test&gt;</h1>" in html
    assert '<div class="gz-legend-title">Suitability score</div>' in html
    assert "CC BY-NC-SA 4.0 (non-commercial use only)" in html
    assert "Contains OS data © Crown copyright" in html


def test_screenshot_shows_a_map(saved):
    png = maps.screenshot(saved, saved.with_suffix(".png"), width=1000, height=800,
                          wait_ms=3000)
    pixels = decode_png(png.read_bytes())
    assert pixels.shape == (800, 1000, 3)
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert len(colours) > 50
    sea = tuple(int(maps.SEA_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    assert tuple(colours[np.argmax(counts)]) == sea           # mostly sea around GB
    # the viridis score surface: strongly coloured pixels, not just grey and white
    spread = pixels.max(axis=2).astype(int) - pixels.min(axis=2)
    assert (spread > 80).sum() > 1000


# --------------------------------------------------------------------------- hostile text

#: Installed first in <head>: records every error and console.error of the page.
CATCH_ERRORS = """<script>
window.__gzErrors = [];
window.addEventListener("error", function (e) {
    window.__gzErrors.push("error: " + (e.message || (e.target && e.target.outerHTML)));
}, true);
window.addEventListener("unhandledrejection", function (e) {
    window.__gzErrors.push("rejection: " + e.reason);
});
(function () {
    var original = console.error;
    console.error = function () {
        window.__gzErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
        return original.apply(console, arguments);
    };
})();
</script>"""

#: Appended last: opens every popup and tooltip through Leaflet's API and writes what a
#: reader sees (textContent) as JSON into <pre id="gz-report">, read from the dumped DOM.
REPORT = """<script>
setTimeout(function () {
    var report = {popups: [], councils: [], labels: [], errors: null};
    var map = null;
    for (var key in window) {
        try { if (window[key] instanceof L.Map) { map = window[key]; } } catch (e) {}
    }
    function text(el) { return el ? el.textContent : null; }
    map.eachLayer(function (layer) {
        if (layer.getPopup && layer.getPopup()) {
            layer.openPopup();
            var content = layer.getPopup().getElement(), cells = {};
            content.querySelectorAll(".gz-head tr").forEach(function (tr) {
                cells[text(tr.querySelector("th"))] = text(tr.querySelector("td"));
            });
            cells.criteria = Array.prototype.map.call(
                content.querySelectorAll(".gz-crit tr"), function (tr) {
                    return Array.prototype.map.call(tr.children, text);
                }).slice(1);
            report.popups.push(cells);
            layer.closePopup();
        }
        if (layer.getTooltip && layer.getTooltip()) {
            var permanent = layer.getTooltip().options.permanent;
            layer.openTooltip(layer.getBounds ? layer.getBounds().getCenter() : undefined);
            (layer.feature ? report.councils : report.labels).push(
                text(layer.getTooltip().getElement()));
            if (!permanent) { layer.closeTooltip(); }
        }
    });
    report.title = document.title;
    report.h1 = text(document.querySelector(".gz-title h1"));
    report.scenario = text(document.querySelector(".gz-scenario"));
    report.sources = Array.prototype.map.call(document.querySelectorAll(".gz-sources li"), text);
    report.layers = Array.prototype.map.call(
        document.querySelectorAll(".gz-layers-label"), text);
    report.drawn = text(document.querySelector(".gz-drawn"));
    report.legends = Array.prototype.map.call(
        document.querySelectorAll(".gz-surface .gz-legend-title"), text);
    report.ticks = Array.prototype.map.call(
        document.querySelectorAll(".gz-surface .gz-ticks"), text);
    // an injected <img onerror> would fire after its failed load: wait for that first
    setTimeout(function () {
        report.pwned = typeof window.__pwned;
        report.errors = window.__gzErrors;
        var pre = document.createElement("pre");
        pre.id = "gz-report";
        pre.textContent = JSON.stringify(report);
        document.body.appendChild(pre);
    }, 500);
}, 300);
</script>"""


def browser_report(path) -> tuple[dict, str]:
    """(what the page shows after opening every popup, Chromium's log) in one session."""
    import html
    import json

    text = path.read_text(encoding="utf-8")
    probe = path.with_name("probe-" + path.name)
    probe.write_text(text.replace("<head>", "<head>" + CATCH_ERRORS, 1)
                     .replace("</html>", REPORT + "</html>"), encoding="utf-8")
    proc = maps._run_chromium(["--enable-logging=stderr", "--v=0",
                               "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
                              timeout=90)
    found = re.search(r'<pre id="gz-report">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert found, "the report script did not run:\n" + proc.stderr[-2000:]
    return json.loads(html.unescape(found.group(1))), proc.stderr


def check_hostile_report(report: dict, log: str, bad: list[str], folder, *,
                         drawn: int) -> None:
    """Every hostile string shows literally wherever it was put; the best ``drawn``
    sites have a popup."""
    assert not (folder / "pwned").exists()
    assert report["pwned"] == "undefined"
    assert report["errors"] == [] and "Uncaught" not in log, (report["errors"], log[-2000:])
    joined = " | ".join(bad)
    assert report["title"] == f"AI Growth Zones — {joined}"
    assert report["h1"] == f"AI Growth Zones — {joined}"
    assert report["scenario"] == f"Scenario: {joined}"
    assert report["sources"] == bad
    assert [bad[0], bad[2], f"Exclusion: {bad[3]}"] == [
        report["layers"][i] for i in (3, 4, 6)]
    assert sorted(report["councils"]) == sorted([bad[6], bad[0]])
    assert report["legends"] == ["Suitability score", bad[0], bad[2]]
    assert report["ticks"][1].endswith(" " + bad[1]) and report["ticks"][2].endswith(" " + bad[6])
    n = len(bad)
    popups = {p["Name"]: p for p in report["popups"]}
    assert sorted(popups) == sorted(bad[:drawn])
    for i, name in enumerate(bad[:drawn]):
        assert popups[name]["Local authority"] == bad[(i + 1) % n]
        assert popups[name]["Notes"] == bad[(i + 2) % n]
        assert popups[name]["Rank"] == str(i + 1)
        titles = [row[0] for row in popups[name]["criteria"]]
        assert titles == [bad[0], bad[2]]
        raw = popups[name]["criteria"][1][1]
        assert raw.endswith(" " + bad[6])                   # the unit, after the number


def test_hostile_strings_show_as_text_and_run_nothing(chromium, tmp_path):
    from test_maps_hostile import hostile_result, hostile_sites, hostile_strings

    bad = hostile_strings(tmp_path)
    page = maps.save_map(maps.render_map(hostile_result(tmp_path), hostile_sites(tmp_path)),
                         tmp_path / "hostile.html")
    report, log = browser_report(page)
    check_hostile_report(report, log, bad, tmp_path, drawn=len(bad))
    assert report["layers"][-1] == "Top sites" and report["drawn"] is None
    assert sorted(report["labels"], key=int) == [str(i + 1) for i in range(len(bad))]


def test_hostile_strings_on_the_canvas_site_layer(chromium, tmp_path, monkeypatch):
    from test_maps_hostile import hostile_result, hostile_sites, hostile_strings

    monkeypatch.setattr(maps.page, "SITE_MARKER_LIMIT", 0)     # the many-sites drawing
    monkeypatch.setattr(maps.page, "MAX_DRAWN_SITES", 8)        # ... and its cap
    bad = hostile_strings(tmp_path)
    page = maps.save_map(maps.render_map(hostile_result(tmp_path), hostile_sites(tmp_path)),
                         tmp_path / "hostile.html")
    report, log = browser_report(page)
    # the best 8 are drawn: the last sites are left out, and the map says so
    check_hostile_report(report, log, bad, tmp_path, drawn=8)
    assert report["layers"][-1] == f"Top sites (best 8 of {len(bad)})"
    assert report["drawn"] == (f"Drawing the best 8 of {len(bad)} sites; the full ranking "
                               "table lists them all.")
    # hover labels: rank and name, as text
    assert sorted(report["labels"]) == sorted(f"{i + 1}. {b}" for i, b in
                                                    enumerate(bad[:8]))


# --------------------------------------------------------------------------- the real map

#: The window of a laptop screen, where the layer list must not hide a popup.
LAPTOP = (1280, 720)


@pytest.fixture(scope="module")
def real_map(chromium, tmp_path_factory):
    """The default scenario's 1 km map, open in Chromium (network off) at 1280x720."""
    import growthzones as gz
    from growthzones.maps._browser import Chromium

    result = gz.score(gz.load_layers(), gz.load_scenario())
    sites = gz.rank_sites(result, top=20)
    path = maps.save_map(maps.render_map(result, sites),
                         tmp_path_factory.mktemp("real") / "map.html")
    with Chromium(width=LAPTOP[0], height=LAPTOP[1]) as browser:
        browser.open(path, ready="gzIdentify.ready()")
        browser.result, browser.sites, browser.path = result, sites, path
        yield browser


def _rect(browser, selector):
    return browser.eval(f"""(function () {{
        var e = document.querySelector({json.dumps(selector)});
        if (!e || !e.offsetParent) {{ return null; }}
        var r = e.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    }})()""")


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _click(browser, x, y):
    """A real left click at window pixel (x, y)."""
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                     clickCount=1)


def _pixel_of(browser, lat, lon):
    return browser.eval(f"""(function () {{
        var map = null;
        for (var k in window) {{ try {{ if (window[k] instanceof L.Map) {{ map = window[k]; }} }}
                                catch (e) {{}} }}
        var p = map.latLngToContainerPoint([{lat}, {lon}]);
        return [p.x, p.y];
    }})()""")


def set_view(browser, lat, lon, zoom):
    """Centre the map on (lat, lon) at ``zoom``; retried while the page is still settling
    (a view set in the first moments after load can be overridden by its fitBounds)."""
    for _ in range(10):
        got = browser.eval(f"""(function () {{
            for (var k in window) {{ try {{ if (window[k] instanceof L.Map) {{
                window[k].setView([{lat}, {lon}], {zoom}, {{animate: false}});
                return window[k].getZoom(); }} }} catch (e) {{}} }}
        }})()""")
        browser.eval("new Promise(r => setTimeout(r, 200))")
        if got == zoom and browser.eval("""(function () {
                for (var k in window) { try { if (window[k] instanceof L.Map) {
                    return window[k].getZoom(); } } catch (e) {} } })()""") == zoom:
            return
    raise AssertionError(f"the map did not go to zoom {zoom}")


def _land_point(browser, name="Birmingham"):
    """(lat, lon) of a land cell centre near a place, away from every site marker."""
    import geopandas as gpd

    result = browser.result
    places = result.store.places
    row = places[places["name"] == name].iloc[0]
    grid = result.grid
    x0, y1, res = grid.bounds[0], grid.bounds[3], grid.resolution
    e = x0 + (np.floor((row["easting"] - x0) / res) + 0.5) * res
    n = y1 - (np.floor((y1 - row["northing"]) / res) + 0.5) * res
    pt = gpd.points_from_xy([e], [n], crs="EPSG:27700").to_crs(4326)
    return float(pt.y[0]), float(pt.x[0]), e, n


def test_real_map_loads_offline_without_console_errors(real_map):
    assert real_map.errors == []
    assert all(u.startswith(("file:", "data:")) for u in real_map.requests), real_map.requests
    assert real_map.eval("document.querySelector('.gz-layers-body').hidden") is True


def test_layer_panel_groups_criteria_by_theme(real_map):
    groups = real_map.eval("Array.from(document.querySelectorAll('.gz-layers-group h3'))"
                           ".map(e => e.textContent)")
    assert groups == ["Base map", "Surface", "Exclusions", "Sites and reference"]
    themes = real_map.eval("Array.from(document.querySelectorAll('.gz-layers-theme > summary'))"
                           ".map(e => e.textContent)")
    assert themes[:3] == ["Grid", "Post-industrial", "Land"] and "Connectivity" in themes
    assert real_map.eval("Array.from(document.querySelectorAll('.gz-layers-theme'))"
                         ".every(d => !d.open)")  # folded
    # every criterion of the store is under its theme, and the score on the first and the
    # last network year's grid under its own (issue #16)
    meta = real_map.result.store.meta
    n = sum(1 for i in meta.values() if i.get("kind", "criterion") == "criterion")
    assert themes[-1] == "Network years (same weights)"
    assert real_map.eval("document.querySelectorAll('.gz-layers-theme .gz-layers-item')"
                         ".length") == n + 2
    assert real_map.eval("Array.from(document.querySelectorAll('.gz-layers-item'))"
                         ".filter(e => /on the 20\\d\\d\\/\\d\\d grid/.test(e.textContent))"
                         ".map(e => e.textContent.trim())") == [
        "Suitability score on the 2025/26 grid", "Suitability score on the 2035/36 grid"]


def test_clicking_a_cell_shows_its_values_and_the_panel_gets_out_of_the_way(real_map):
    import growthzones as gz

    lat, lon, e, n = _land_point(real_map)
    set_view(real_map, lat, lon, 11)                           # a pixel is ~50 m here
    real_map.eval("gzLayers.setOpen(true)")
    panel_open = _rect(real_map, ".gz-layers")
    assert panel_open[2] - panel_open[0] > 200                 # open: the full list
    x, y = _pixel_of(real_map, lat, lon)
    _click(real_map, x, y)
    real_map.eval("new Promise(r => setTimeout(r, 800))")
    text = real_map.eval("(document.querySelector('.gz-identify') || {}).textContent")
    assert text, "no identify popup"
    # the panel folded itself and covers no part of the popup, nor do the other controls
    popup = _rect(real_map, ".leaflet-popup-content-wrapper")
    assert real_map.eval("document.querySelector('.gz-layers-body').hidden") is True
    for control in (".gz-layers", ".gz-legend", ".gz-title"):
        assert not _overlap(popup, _rect(real_map, control)), control
    assert popup[0] >= 0 and popup[1] >= 0 and popup[2] <= LAPTOP[0] and popup[3] <= LAPTOP[1]
    # the values are those of gz.explain for the same cell, in their units
    rows = real_map.eval("Array.from(document.querySelectorAll('.gz-identify .gz-crit tr'))"
                         ".slice(1).map(tr => Array.from(tr.children).map(c => c.textContent))")
    ex = gz.explain(real_map.result, e, n)
    crit = ex[ex["kind"] == "criterion"]
    assert [r[0] for r in rows] == [real_map.result.store.meta[k]["title"] for k in crit.index]
    for r, (name, c) in zip(rows, crit.iterrows()):
        assert float(r[3]) == pytest.approx(c["contribution"], abs=0.0006), name
        if np.isnan(c["raw"]):
            assert r[1] == "no data"
        else:
            assert r[1].endswith(" " + c["unit"]) if c["unit"] else True
            value = float(r[1].split(" ")[0].replace(",", ""))
            span = np.ptp(np.nan_to_num(real_map.result.store.read_vector(name)))
            assert value == pytest.approx(c["raw"], abs=span / 1000 + 1e-9), name
    head = real_map.eval("document.querySelector('.gz-identify .gz-head td').textContent")
    if not ex.attrs["excluded"]:
        assert float(head) == pytest.approx(ex.attrs["score"], abs=0.0006)
    real_map.eval("document.querySelector('.leaflet-popup-close-button').click()")
    set_view(real_map, 54.5, -3.0, 5.5)


def test_identify_agrees_with_python_at_many_cells(real_map):
    import growthzones as gz

    result = real_map.result
    rng = np.random.default_rng(1)
    pos = rng.choice(len(result.store.land_index), 40, replace=False)
    rows, cols = np.divmod(result.store.land_index[pos], result.grid.width)
    e, n = result.grid.xy(rows, cols)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(e, n)
    got = real_map.eval(f"Promise.all({json.dumps(list(zip(lat, lon)))}"
                        ".map(p => gzIdentify.identify(p[0], p[1])))")
    for g, p, ee, nn in zip(got, pos, e, n):
        assert g["position"] == int(p)
        assert abs(g["easting"] - ee) < 5 and abs(g["northing"] - nn) < 5  # OS Helmert
        ex = gz.explain(result, ee, nn)
        if ex.attrs["excluded"]:
            assert g["score"] is None and g["excluded"] == ex.attrs["reasons"]
        else:
            assert g["score"] == pytest.approx(ex.attrs["score"], abs=0.0006)


def test_legend_follows_the_visible_surface(real_map):
    def shown():
        return real_map.eval("Array.from(document.querySelectorAll('.gz-surface'))"
                             ".filter(b => b.style.display !== 'none')"
                             ".map(b => b.querySelector('.gz-legend-title').textContent)")

    assert shown() == ["Suitability score"]
    real_map.eval("gzLayers.setOpen(true)")
    label = real_map.result.store.meta["dist_motorway_km"]["title"]
    real_map.eval(f"""Array.from(document.querySelectorAll('.gz-layers-item'))
        .find(l => l.textContent === {json.dumps(label)}).querySelector('input').click()""")
    assert shown() == [label]
    ticks = real_map.eval("Array.from(document.querySelectorAll('.gz-surface'))"
                          ".find(b => b.style.display !== 'none')"
                          ".querySelector('.gz-ticks').textContent")
    assert ticks.count(" km") == 2                              # in its own unit
    # one surface at a time: the score went off when the criterion came on
    assert real_map.eval("document.querySelectorAll('img.leaflet-image-layer').length") == 1
    real_map.eval("""Array.from(document.querySelectorAll('.gz-layers-item'))
        .find(l => l.textContent === 'None (base map only)').querySelector('input').click()""")
    assert shown() == []
    assert real_map.eval("document.querySelectorAll('img.leaflet-image-layer').length") == 0
    # land is still land: the council boundaries are the base layer, always drawn
    assert real_map.eval("document.querySelectorAll('.leaflet-gz-basemap-pane path').length") > 300
    real_map.eval("""Array.from(document.querySelectorAll('.gz-layers-item'))
        .find(l => l.textContent === 'Suitability score').querySelector('input').click()""")
    assert shown() == ["Suitability score"]
    real_map.eval("gzLayers.setOpen(false)")
    assert real_map.errors == []


def test_a_criterion_surface_is_drawn_on_first_show_with_the_warped_pixels(real_map):
    """The page draws a criterion's overlay itself (from its land codes and the shared
    gather) when it is first switched on: the same pixels as warping it in Python."""
    import base64

    from growthzones.maps import _surfaces, raster

    result = real_map.result
    name = "dist_substation_132kv_km"
    label = result.store.meta[name]["title"]
    real_map.eval("gzLayers.setOpen(true)")
    real_map.eval(f"""Array.from(document.querySelectorAll('.gz-layers-item'))
        .find(l => l.textContent === {json.dumps(label)}).querySelector('input').click()""")
    # the drawn image's RGBA, read back through a canvas once it has replaced the
    # one-pixel placeholder
    rgba = real_map.eval("""new Promise(function (done) {
        (function poll() {
            var img = document.querySelector('img.leaflet-image-layer');
            if (!img || img.naturalWidth < 2) { return setTimeout(poll, 50); }
            var c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            var ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0);
            var d = ctx.getImageData(0, 0, c.width, c.height).data, s = '';
            for (var i = 0; i < d.length; i += 32768) {
                s += String.fromCharCode.apply(null, d.subarray(i, i + 32768));
            }
            done([c.width, c.height, btoa(s)]);
        })();
    })""")
    real_map.eval("""Array.from(document.querySelectorAll('.gz-layers-item'))
        .find(l => l.textContent === 'Suitability score').querySelector('input').click()""")
    real_map.eval("gzLayers.setOpen(false)")
    warp = raster._MercatorWarp(result.grid)
    assert rgba[:2] == [warp.width, warp.height]
    got = np.frombuffer(base64.b64decode(rgba[2]), np.uint8).reshape(warp.height, warp.width, 4)
    index = warp.warp(_surfaces._criterion_index(result, name)[0], 255)
    want = raster._viridis_palette()[index]
    np.testing.assert_array_equal(got[..., 3], want[..., 3])
    shown = want[..., 3] > 0
    assert shown.sum() > 100_000                                 # GB's land, drawn
    np.testing.assert_array_equal(got[shown], want[shown])
    assert real_map.errors == []


def test_place_labels_appear_when_zoomed_in(real_map):
    assert real_map.eval("document.querySelectorAll('.gz-place').length") == 0
    lat, lon, _, _ = _land_point(real_map)
    set_view(real_map, lat, lon, 10)
    labels = real_map.eval("Array.from(document.querySelectorAll('.gz-place'))"
                           ".map(e => e.textContent)")
    assert "Birmingham" in labels and len(labels) <= 80
    assert real_map.errors == []


def test_screenshot_at_laptop_size_is_readable(real_map, tmp_path):
    """The README's screenshot: the real page at 1280x720, layer list collapsed."""
    # every overlay image decoded and painted before the picture (a loaded machine is slow)
    real_map.open(real_map.path, ready="gzIdentify.ready().then(() => Promise.all("
                  "Array.from(document.images).map(i => i.decode().catch(() => 0))))"
                  ".then(() => new Promise(r => requestAnimationFrame(() => setTimeout(r))))")
    png = real_map.screenshot()
    pixels = decode_png(png)
    assert pixels.shape == (LAPTOP[1], LAPTOP[0], 3)
    panel = _rect(real_map, ".gz-layers")
    assert (panel[2] - panel[0]) * (panel[3] - panel[1]) < 0.01 * LAPTOP[0] * LAPTOP[1]
    spread = pixels.max(axis=2).astype(int) - pixels.min(axis=2)
    assert (spread > 80).sum() > 10_000  # a colourful surface (a blank map has none)


def test_identify_popup_shows_hostile_titles_and_units_as_text(chromium, tmp_path):
    """Criterion titles and units reach the identify popup as text (real 1 km result,
    its store's manifest copied with hostile titles and units)."""
    import copy
    import dataclasses

    from test_maps_hostile import hostile_strings

    import growthzones as gz
    from growthzones.maps._browser import Chromium

    bad = hostile_strings(tmp_path)
    store = gz.load_layers()
    result = gz.score(store, gz.load_scenario())
    manifest = copy.deepcopy(store.manifest)
    names = list(result.weights)
    for i, name in enumerate(names):
        manifest["layers"][name].update(title=bad[i % len(bad)],
                                        unit=bad[(i + 1) % len(bad)])
    hostile = dataclasses.replace(result, store=dataclasses.replace(store, manifest=manifest))
    path = maps.save_map(maps.render_map(hostile, None, criteria=[]), tmp_path / "map.html")
    assert "</script><script>window.__pwned" not in path.read_text(encoding="utf-8")
    lat, lon = 52.48, -1.90                                     # Birmingham
    with Chromium(width=1280, height=720) as b:
        b.open(path, ready="gzIdentify.ready()")
        set_view(b, lat, lon, 10)
        x, y = _pixel_of(b, lat, lon)
        _click(b, x, y)
        b.eval("new Promise(r => setTimeout(r, 800))")
        rows = b.eval("Array.from(document.querySelectorAll('.gz-identify .gz-crit tr'))"
                      ".slice(1).map(tr => Array.from(tr.children).map(c => c.textContent))")
        assert [r[0] for r in rows] == [bad[i % len(bad)] for i in range(len(names))]
        for i, r in enumerate(rows):
            assert r[1] == "no data" or r[1].endswith(" " + bad[(i + 1) % len(bad)])
        assert b.errors == [] and b.eval("typeof window.__pwned") == "undefined"
    assert not (tmp_path / "pwned").exists()
