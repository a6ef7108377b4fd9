"""Map rendering: string-level checks of the HTML page (fast, no browser).

The result and sites are a hand-made FIXTURE, not real data: a 30 x 30 grid of 10 km
cells over southern England, two criteria, one exclusion layer, two boundary polygons
and three sites, one of them named like an XSS payload.
"""

from __future__ import annotations

import copy
import html
import json
import re
import struct
import zlib
from types import SimpleNamespace

import numpy as np
import pytest

from growthzones import maps
from growthzones.grid import GridSpec
from growthzones.maps import _browser, _surfaces
from growthzones.maps import page as map_page

XSS_NAME = "<script>alert(1)</script>"
TEMPLATE_NAME = "Back`tick ${alert(2)}"
ATTRIBUTIONS = [
    "Contains OS data © Crown copyright and database right 2024. Open Government "
    "Licence v3.0.",
    "Grid headroom © Example DNO, CC BY-NC-SA 4.0 (non-commercial use only).",
]


# --------------------------------------------------------------------------- FIXTURE


def fixture_grid() -> GridSpec:
    """FIXTURE grid: 10 km cells, x 300-600 km, y 100-400 km (Dorset to the Midlands)."""
    return GridSpec(resolution=10_000.0, bounds=(300_000.0, 100_000.0, 600_000.0, 400_000.0))


def fixture_result() -> SimpleNamespace:
    """FIXTURE: a stand-in for a scoring result with only what maps.py reads."""
    grid = fixture_grid()
    rows, cols = np.indices(grid.shape)
    land = ~((rows > 24) & (cols < 6))                 # a 'sea' corner in the south-west
    excluded = (rows >= 5) & (rows < 10) & (cols >= 20) & (cols < 25)
    headroom = np.where(land, cols / (grid.width - 1), np.nan).astype(np.float32)
    motorway = np.where(land, 1.0 - rows / (grid.height - 1), np.nan).astype(np.float32)
    motorway[0, :] = np.nan                            # a strip without data
    score = np.where(excluded, np.nan, 0.6 * headroom + 0.4 * np.nan_to_num(motorway))
    score = np.where(land, score, np.nan).astype(np.float32)
    green_belt = np.where(land, excluded.astype(np.float32), np.nan).astype(np.float32)
    surfaces = {"score": score, "excluded": excluded.astype(np.float32),
                "grid_headroom_mw": headroom, "dist_motorway_km": motorway}
    meta = {
        "grid_headroom_mw": {"title": "Grid headroom", "unit": "MW", "kind": "criterion"},
        "dist_motorway_km": {"title": "Distance to motorway", "unit": "km",
                             "kind": "criterion", "direction": "min"},
        "green_belt": {"title": "Green belt", "unit": "", "kind": "exclusion"},
    }
    basemap = {"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "properties": {"la_code": "E09000033", "la_name": "Westminster", "nation": "E"},
         "geometry": {"type": "Polygon", "coordinates": [[
             [-0.22, 51.48], [-0.11, 51.48], [-0.11, 51.54], [-0.22, 51.54], [-0.22, 51.48]]]}},
        {"type": "Feature",
         "properties": {"la_code": "E07000180", "la_name": "Vale of White Horse",
                        "nation": "E"},
         "geometry": {"type": "Polygon", "coordinates": [[
             [-1.75, 51.55], [-1.20, 51.55], [-1.20, 51.78], [-1.75, 51.78], [-1.75, 51.55]]]}},
    ]}
    # raw criteria in their units (MW, km), as the store keeps them on land cells
    raw = {"grid_headroom_mw": 500.0 * headroom, "dist_motorway_km": 40.0 * (1 - motorway),
           "green_belt": green_belt}
    land_index = np.flatnonzero(land.ravel())

    def unflatten(values):
        out = np.full(grid.shape[0] * grid.shape[1], np.nan, dtype=np.float32)
        out[land_index] = values
        return out.reshape(grid.shape)

    store = SimpleNamespace(meta=meta, basemap=basemap, grid=grid, land_index=land_index,
                            layer=lambda name: raw[name],
                            read_vector=lambda name: raw[name].ravel()[land_index],
                            unflatten=unflatten,
                            attributions=lambda: list(ATTRIBUTIONS))
    return SimpleNamespace(
        grid=grid, weights={"grid_headroom_mw": 0.6, "dist_motorway_km": 0.4},
        scenario=SimpleNamespace(name="Power first <test>"), store=store,
        surface=lambda name: surfaces[name])


def fixture_sites():
    """FIXTURE: three ranked sites as rank_sites would return them (EPSG:27700)."""
    import geopandas as gpd

    rows = [
        # rank, name, local authority, lat, lon, score
        (1, "Didcot A", "Vale of White Horse", 51.624, -1.267, 0.91),
        (2, XSS_NAME, "Slough & <Windsor>", 51.51, -0.60, 0.74),
        (3, TEMPLATE_NAME, "Swindon", 51.56, -1.78, 0.52),
    ]
    df = {
        "rank": [r[0] for r in rows], "site_id": [f"S{r[0]}" for r in rows],
        "name": [r[1] for r in rows], "local_authority": [r[2] for r in rows],
        "lat": [r[3] for r in rows], "lon": [r[4] for r in rows],
        "score": [r[5] for r in rows], "coverage": [1.0, 1.0, 0.6],
        "grid_headroom_mw_raw": [412.5, 55.0, np.nan],
        "grid_headroom_mw_value": [0.95, 0.40, np.nan],
        "grid_headroom_mw_contrib": [0.57, 0.24, 0.0],
        "dist_motorway_km_raw": [7.2, 1.1, 12.0],
        "dist_motorway_km_value": [0.85, 0.98, 0.52],
        "dist_motorway_km_contrib": [0.34, 0.39, 0.21],
        "notes": ["", "<img src=x onerror=alert(3)>", None],
    }
    pts = gpd.points_from_xy(df["lon"], df["lat"], crs="EPSG:4326").to_crs("EPSG:27700")
    return gpd.GeoDataFrame(df, geometry=pts, crs="EPSG:27700")


@pytest.fixture(scope="module")
def result():
    return fixture_result()


@pytest.fixture(scope="module")
def sites():
    return fixture_sites()


@pytest.fixture(scope="module")
def page(result, sites) -> str:
    return maps.map_html(maps.render_map(result, sites))


# --------------------------------------------------------------------------- helpers


def read_png(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) from a PNG's IHDR; checks every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, ihdr = 8, None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBB", body[:10])
        pos += 12 + n
    width, height, _, colour_type = ihdr
    return width, height, colour_type


def js_text(text: str) -> str:
    """``text`` as it appears in the page: HTML-escaped, then in a JSON string."""
    body = json.dumps(html.escape(text))[1:-1]
    return body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --------------------------------------------------------------------------- content


def test_page_names_the_top_site_and_its_explanation(page):
    assert "Didcot A" in page
    assert "Vale of White Horse" in page
    # the popup row of a criterion: title, raw value with unit, weight
    assert "Grid headroom" in page and "412 MW" in page
    assert "no data" in page                       # NaN raw value of site 3


def test_script_named_site_is_only_escaped(page):
    assert XSS_NAME not in page
    assert "<img src=x" not in page
    # the escaped text reaches JS as a JSON string with & escaped again
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in page
    assert "Slough \\u0026amp; \\u0026lt;Windsor\\u0026gt;" in page
    # a template-literal payload stays inside a double-quoted JSON string, its braces
    # as entities (HTML) inside \\u escapes (JSON): no raw "${" anywhere
    assert "${alert(2)}" not in page
    assert re.search(r'bindPopup\("(?:[^"\\]|\\.)*Back`tick '
                     r'\$\\u0026\\u0023123;alert\(2\)\\u0026\\u0023125;', page)


def test_scenario_name_and_title_are_escaped(result, sites):
    page = maps.map_html(maps.render_map(result, sites, title="<b>Mine</b>"))
    assert "<b>Mine</b>" not in page and "Power first <test>" not in page
    assert "&lt;b&gt;Mine&lt;/b&gt;" in page              # <title>
    assert "Power first \\u0026lt;test\\u0026gt;" in page  # legend


def test_default_title_names_the_scenario(page):
    assert "<title>AI Growth Zones — Power first &lt;test&gt;</title>" in page


def test_offline_page_has_no_external_assets(page):
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert "{z}/{x}/{y}" not in page and "L.tileLayer(" not in page
    for cdn in ("cdn.jsdelivr", "cdnjs", "jquery", "bootstrap", "fontawesome", "d3.min"):
        assert cdn not in page.lower().replace("leaflet", "")


def test_offline_page_inlines_leaflet(page):
    assert 'version="1.9.4"' in page                    # Leaflet's own marker
    assert ".leaflet-pane" in page                      # its stylesheet
    assert "url(images/" not in page                    # CSS images are data URIs
    assert "sourceMappingURL" not in page


def test_online_map_keeps_cdn_and_tiles(result, sites):
    page = maps.map_html(maps.render_map(result, sites, offline=False), offline=False)
    assert re.search(r'<script src="https://', page)
    assert "tile.openstreetmap.org" in page


def test_online_map_cannot_be_saved_offline(result, sites, tmp_path):
    m = maps.render_map(result, sites, offline=False)
    with pytest.raises(ValueError, match="(?s)tile layer .*offline=False"):
        maps.save_map(m, tmp_path / "map.html")
    assert not (tmp_path / "map.html").exists()


def panel_entries(page: str) -> list[dict]:
    """The layer panel's entries, each with the JS variable of its layer (``var``)."""
    found = re.search(r"layers = \[([^\]]*)\], spec = (\[.*?\]);\n", page)
    assert found, "no layer panel in the page"
    names = [v.strip() for v in found.group(1).split(",")]
    spec = json.loads(found.group(2))
    return [{**e, "var": None if v == "null" else v} for e, v in zip(spec, names)]


def test_layer_panel_groups_every_layer(page):
    entries = panel_entries(page)
    assert [(e["group"], e["theme"], e["label"], e["kind"]) for e in entries] == [
        ("Base map", "", "Council boundaries", "base"),
        ("Surface", "", "Suitability score", "surface"),
        ("Surface", "", "None (base map only)", "surface"),
        ("Surface", "Other", "Grid headroom", "surface"),
        ("Surface", "Other", "Distance to motorway", "surface"),
        ("Exclusions", "", "Excluded land (this scenario)", "check"),
        ("Exclusions", "", "Exclusion: Green belt", "check"),
        ("Sites and reference", "", "Top sites", "check"),
    ]
    assert page.count("L.imageOverlay(") == 5
    assert "L.control.layers" not in page                # folium's flat list is gone
    for e in entries:                                    # each entry drives a real layer
        assert e["var"] is None or f"var {e['var']} = " in page, e


def test_only_the_score_overlay_is_shown_at_first(page):
    entries = panel_entries(page)
    on = [e["label"] for e in entries if e["on"]]
    assert on == ["Council boundaries", "Suitability score", "Top sites"]
    shown = [e["label"] for e in entries
             if e["var"] and e["var"].startswith("image_overlay") and f"{e['var']}.addTo(" in page]
    assert shown == ["Suitability score"]


def test_criteria_argument_selects_overlays(result, sites):
    page = maps.map_html(maps.render_map(result, sites, criteria=["dist_motorway_km"]))
    labels = [e["label"] for e in panel_entries(page)]
    assert "Distance to motorway" in labels and "Grid headroom" not in labels


def test_unknown_criterion_is_an_error_with_a_suggestion(result, sites):
    with pytest.raises(ValueError, match="unknown criterion 'grid_headrom'. Did you mean "
                                         "'grid_headroom_mw'"):
        maps.render_map(result, sites, criteria=["grid_headrom"])


def test_sites_without_coordinates_are_named(result, sites):
    broken = sites.copy()
    broken.loc[1, "lat"] = np.nan
    with pytest.raises(ValueError, match=re.escape(f"1 site(s) have no lat/lon: '{XSS_NAME}'")):
        maps.render_map(result, broken)


def test_missing_site_columns_are_listed(result, sites):
    with pytest.raises(ValueError, match="lat, dist_motorway_km_contrib"):
        maps.render_map(result, sites.drop(columns=["lat", "dist_motorway_km_contrib"]))


def test_input_problems_are_one_input_error(result, sites):
    with pytest.raises(maps.InputError) as info:
        maps.render_map(result, sites.drop(columns=["lat"]), criteria=["grid_headrom"])
    line = info.value.one_line()
    assert line.startswith("cannot render the map, 2 problems: - unknown criterion")
    assert "- sites lack column(s) lat;" in line and "\n" not in line


def test_sites_that_are_not_a_table_are_an_input_error(result):
    with pytest.raises(maps.InputError, match="sites is a list; give the table from "
                                              "rank_sites"):
        maps.render_map(result, [("Didcot", 51.6, -1.2)])


def test_attributions_appear(page):
    for text in ATTRIBUTIONS:
        assert js_text(text) in page
    assert "CC BY-NC-SA 4.0 (non-commercial use only)" in page


def legend_blocks(page: str) -> dict[str, str]:
    """``{surface key: legend block text}`` of the legend control."""
    found = re.search(r'gz-legend"\);\s*div.innerHTML = ("(?:[^"\\]|\\.)*");', page)
    assert found, "no legend in the page"
    text = json.loads(found.group(1))
    blocks = re.findall(r'<div class="gz-surface" data-surface="([^"]+)"[^>]*>(.*?)</div></div>',
                        text)
    return {k: html.unescape(re.sub(r"<[^>]*>", " ", v)) for k, v in blocks}


def test_legend_of_each_surface_is_in_its_units_and_fitted_stretch(result, page):
    blocks = legend_blocks(page)
    assert list(blocks) == ["score", "c1", "c2"]
    entries = {e["legend"]: e["label"] for e in panel_entries(page) if e["legend"]}
    assert entries == {"score": "Suitability score", "c1": "Grid headroom",
                       "c2": "Distance to motorway"}
    # the stretch is the 2nd-98th percentile of the values, written in the legend
    score = result.surface("score")
    lo, hi = np.percentile(score[np.isfinite(score)], [2, 98])
    assert f"≤ {lo:.3g}" in blocks["score"] and f"≥ {hi:.3g}" in blocks["score"]
    raw = result.store.read_vector("grid_headroom_mw")
    lo, hi = np.percentile(raw[np.isfinite(raw)], [2, 98])
    assert f"≤ {lo:.3g} MW" in blocks["c1"] and f"≥ {hi:.3g} MW" in blocks["c1"]
    assert "higher is better" in blocks["c1"]
    assert " km" in blocks["c2"] and "lower is better" in blocks["c2"]  # direction "min"
    assert "2nd–98th percentile" in blocks["c2"]
    # only the score's block is shown at first
    assert re.findall(r'data-surface=\\"(\w+)\\"(?! style)', page) == ["score"]


def test_a_min_criterion_is_yellow_at_short_distances(result):
    idx, _ = _surfaces._criterion_index(result, "dist_motorway_km")
    raw = result.store.layer("dist_motorway_km")
    near = np.nanargmin(raw)
    far = np.nanargmax(raw)
    assert idx.ravel()[near] == 254 and idx.ravel()[far] == 0   # 254 = yellow


def test_basemap_outlines_and_sea(result, page):
    before = copy.deepcopy(result.store.basemap)
    maps.render_map(result, None)
    assert result.store.basemap == before               # the store's dict is untouched
    assert '"la_name": "Westminster"' in page
    assert '"pane": "gz-basemap"' in page
    assert maps.SEA_COLOUR in page


def test_sites_are_numbered_circles_in_their_own_group(page):
    assert page.count("L.circleMarker(") == 3 and page.count('"pane": "gz-sites"') == 3
    assert 'bindTooltip("1"' in page and 'className: "gz-rank"' in page
    assert "L.marker(" not in page and "AwesomeMarkers" not in page


def test_overlay_pngs_are_small_indexed_images_in_web_mercator(result):
    from pyproj import Transformer

    warp = maps._MercatorWarp(result.grid)
    (south, west), (north, east) = warp.bounds
    # the image covers every corner of the grid, and by no more than two cells
    to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform([300e3, 300e3, 600e3, 600e3], [100e3, 400e3, 100e3, 400e3])
    eps = 1e-9
    assert south <= min(lat) + eps and north >= max(lat) - eps
    assert west <= min(lon) + eps and east >= max(lon) - eps
    assert min(lat) - south < 0.2 and north - max(lat) < 0.2
    assert min(lon) - west < 0.3 and east - max(lon) < 0.3
    # Mercator cells are about 1/cos(lat) larger: the pixel count stays close
    assert 0.5 < warp.width * warp.height / result.grid.width / result.grid.height < 2.0
    index = maps._scale_index(result.surface("score"))
    png = maps._png_indexed(warp.warp(index, 255), maps._viridis_palette())
    assert read_png(png) == (warp.width, warp.height, 3)
    assert len(png) < 4000


def test_colour_index_maps_nan_to_transparent_and_clips():
    idx = maps._scale_index(np.array([[np.nan, -1.0, 0.0, 0.5, 1.0, 2.0]]))
    assert idx.tolist() == [[255, 0, 0, 127, 254, 254]]
    pal = maps._viridis_palette()
    assert pal[255, 3] == 0 and (pal[:255, 3] == 255).all()
    assert pal[0, :3].tolist() == [0x44, 0x01, 0x54] and pal[254, :3].tolist() == [0xFD, 0xE7, 0x25]
    assert maps._mask_index(np.array([np.nan, 0.0, 1.0])).tolist() == [0, 0, 1]


def test_wrong_raster_shape_is_an_error(result):
    warp = maps._MercatorWarp(result.grid)
    with pytest.raises(ValueError, match=r"shape \(3, 3\) does not match the grid \(30, 30\)"):
        warp.warp(np.zeros((3, 3), np.uint8), 255)


# --------------------------------------------------------------------------- writing


def test_save_map_writes_what_map_html_returns(result, sites, tmp_path):
    m = maps.render_map(result, sites)
    path = maps.save_map(m, tmp_path / "sub" / "map.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Didcot A" in text
    assert not list(path.parent.glob(".*.tmp"))


def test_save_map_is_atomic(result, sites, tmp_path, monkeypatch):
    path = tmp_path / "map.html"
    path.write_text("old map", encoding="utf-8")
    m = maps.render_map(result, sites)

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(map_page, "map_html", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        maps.save_map(m, path)
    assert path.read_text(encoding="utf-8") == "old map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_rendering_twice_inlines_leaflet_once(result, sites):
    m = maps.render_map(result, sites)
    maps.map_html(m)
    page = maps.map_html(m)
    assert page.count('version="1.9.4"') == 1 and page.count("/* required styles */") == 1
    assert page.count("L.circleMarker(") == 3 and page.count('"pane": "gz-sites"') == 3


def test_screenshot_without_chromium_says_how_to_install(tmp_path, monkeypatch):
    page = tmp_path / "map.html"
    page.write_text("<html></html>", encoding="utf-8")
    monkeypatch.setattr(_browser.shutil, "which", lambda name: None)
    monkeypatch.setattr(_browser.os, "access", lambda path, mode: False)
    with pytest.raises(maps.BrowserError, match="apt-get install chromium"):
        maps.screenshot(page, tmp_path / "map.png")
    assert not (tmp_path / "map.png").exists()


def test_overlays_of_a_fine_grid_are_capped_in_size():
    from growthzones.grid import GridSpec
    from growthzones.maps import MAX_OVERLAY_PX, _MercatorWarp

    coarse, fine = _MercatorWarp(GridSpec(resolution=1000)), _MercatorWarp(GridSpec(resolution=100))
    assert max(coarse.width, coarse.height) < MAX_OVERLAY_PX  # 1 km keeps its resolution
    assert max(fine.width, fine.height) == MAX_OVERLAY_PX
    np.testing.assert_allclose(fine.bounds, coarse.bounds, atol=0.05)


# --------------------------------------------------------------------------- screenshot


@pytest.fixture
def tiny_page(tmp_path):
    page = tmp_path / "map.html"
    page.write_text("<html></html>", encoding="utf-8")
    return page


def no_browser(*args, **kwargs):
    raise AssertionError("chromium must not start for invalid arguments")


def test_screenshot_of_a_missing_page_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setattr(_browser, "_run_chromium", no_browser)
    with pytest.raises(maps.InputError, match=r"no HTML page to screenshot at .*nope\.html; "
                                              r"write it first with save_map"):
        maps.screenshot(tmp_path / "nope.html", tmp_path / "map.png")


def test_screenshot_of_a_folder_names_the_file_to_give(tmp_path, monkeypatch):
    monkeypatch.setattr(_browser, "_run_chromium", no_browser)
    with pytest.raises(maps.InputError, match=r"is a folder; give the HTML file in it, "
                                              r"e\.g\. .*map\.html"):
        maps.screenshot(tmp_path, tmp_path / "map.png")


def test_screenshot_into_a_folder_is_refused(tiny_page, tmp_path, monkeypatch):
    monkeypatch.setattr(_browser, "_run_chromium", no_browser)
    with pytest.raises(maps.InputError, match="screenshot path .* is a folder; give a .png"):
        maps.screenshot(tiny_page, tmp_path)


@pytest.mark.parametrize("size, message", [
    ({"width": 0}, "screenshot width is 0; it must be a whole number >= 1 (e.g. width=1400)"),
    ({"height": -5}, "screenshot height is -5; it must be a whole number >= 1"),
    ({"width": 12.5}, "screenshot width is 12.5; it must be a whole number"),
    ({"height": "tall"}, "screenshot height is 'tall'; it must be a number"),
    ({"wait_ms": -1}, "screenshot wait_ms is -1; it must be a whole number >= 0"),
])
def test_screenshot_sizes_must_be_whole_positive_numbers(tiny_page, tmp_path, monkeypatch,
                                                         size, message):
    monkeypatch.setattr(_browser, "_run_chromium", no_browser)
    with pytest.raises(maps.InputError, match=re.escape(message)) as info:
        maps.screenshot(tiny_page, tmp_path / "map.png", **size)
    assert "\n" not in info.value.one_line()


def test_screenshot_when_chromium_fails_is_a_browser_error(tiny_page, tmp_path, monkeypatch):
    import subprocess

    monkeypatch.setattr(_browser, "_find_chromium", lambda: "/usr/bin/false")
    monkeypatch.setattr(_browser.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a, 134, "", "line 1\nFATAL: cannot open display\n"))
    with pytest.raises(maps.BrowserError, match=r"exited with code 134: line 1 \| FATAL: "
                                                r"cannot open display; check that it runs"):
        maps.screenshot(tiny_page, tmp_path / "map.png")
    assert not (tmp_path / "map.png").exists()


def test_screenshot_timeout_is_a_browser_error(tiny_page, tmp_path, monkeypatch):
    import subprocess

    def slow(cmd, **kwargs):
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(_browser, "_find_chromium", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(_browser.subprocess, "run", slow)
    with pytest.raises(maps.BrowserError, match="did not finish within 61 s"):
        maps.screenshot(tiny_page, tmp_path / "map.png", wait_ms=1000)


# --------------------------------------------------------------------------- many sites


def many_sites(table, n: int, *, seed: int = 0):
    """FIXTURE: ``n`` synthetic sites made by repeating the rows of a real ``rank_sites``
    table, moved up to ~30 km (so they do not stack) and ranked 1..n."""
    rng = np.random.default_rng(seed)
    big = table.iloc[np.arange(n) % len(table)].reset_index(drop=True)
    big["lat"] = big["lat"].to_numpy(float) + rng.uniform(-0.3, 0.3, n)
    big["lon"] = big["lon"].to_numpy(float) + rng.uniform(-0.4, 0.4, n)
    big["rank"] = np.arange(1, n + 1)
    big["name"] = [f"FIXTURE site {i + 1} ({name})" for i, name in enumerate(big["name"])]
    return big


@pytest.fixture(scope="module")
def real(store):
    """A real result (the embedded store, the fixed Foundation scenario) and its top 20."""
    from conftest import foundation_scenario

    import growthzones as gz

    result = gz.score(store, foundation_scenario())
    return result, gz.rank_sites(result, top=20)


def cloud_data(page: str) -> dict:
    """The JSON array of the canvas site layer."""
    found = re.search(r"var data = (\{\"criteria\".*?\]\]\}), style = ", page, re.DOTALL)
    assert found, "no canvas site layer in the page"
    return json.loads(found.group(1))


def test_small_site_sets_keep_numbered_markers_and_more_use_one_canvas(result, sites):
    at_limit = many_sites(sites, maps.SITE_MARKER_LIMIT)
    page = maps.map_html(maps.render_map(result, at_limit, criteria=[]))
    assert page.count("L.circleMarker(") == maps.SITE_MARKER_LIMIT
    assert "L.canvas(" not in page and "Drawing the best" not in page
    over = many_sites(sites, maps.SITE_MARKER_LIMIT + 1)
    page = maps.map_html(maps.render_map(result, over, criteria=[]))
    assert page.count("L.circleMarker(") == 1 and page.count("L.canvas(") == 1
    assert "bindPopup(" in page and "permanent: true" not in page    # labels on hover
    data = cloud_data(page)
    assert len(data["sites"]) == maps.SITE_MARKER_LIMIT + 1
    assert data["sites"][-1][2:4] == ["1", "FIXTURE site 1 (Didcot A)"]  # best drawn last
    assert [c[0] for c in data["criteria"]] == ["Grid headroom", "Distance to motorway"]
    # popup cells in order: rank, name, authority, score, location, coverage, notes, then
    # raw/value/contribution of each criterion, as in the small-set popup
    assert data["sites"][-1][4:9] == ["Vale of White Horse", "0.910",
                                      data["sites"][-1][6], "100% of weight", ""]
    assert data["sites"][-1][9:] == ["412 MW", "0.95", "0.570", "7.2 km", "0.85", "0.340"]
    assert "Top sites" in page and "Drawing the best" not in page    # all drawn, no note


def test_site_data_is_capped_by_bytes_and_the_map_says_so(result, sites):
    wordy = many_sites(sites, 2000)
    wordy["notes"] = "x" * 5000                           # 10 MB of notes in all
    page = maps.map_html(maps.render_map(result, wordy, criteria=[]))
    drawn = len(cloud_data(page)["sites"])
    assert 0 < drawn < 2000
    assert len(page.encode()) < maps.SITE_DATA_MAX_BYTES + 1_000_000
    assert f"Drawing the best {drawn:,} of 2,000 sites" in page
    assert f"Top sites (best {drawn:,} of 2,000)" in page


def test_ten_thousand_sites_make_a_small_page(real, tmp_path):
    result, top20 = real
    sites = many_sites(top20, 10_000)
    path = maps.save_map(maps.render_map(result, sites, criteria=[]), tmp_path / "map.html")
    assert path.stat().st_size < 10_000_000
    page = path.read_text(encoding="utf-8")
    data = cloud_data(page)
    drawn = len(data["sites"])
    assert drawn == min(maps.MAX_DRAWN_SITES, 10_000)
    assert [int(s[2]) for s in data["sites"]] == list(range(drawn, 0, -1))  # best ones
    assert f"Drawing the best {drawn:,} of 10,000 sites" in page


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["foundation", "default"])
def test_a_hundred_thousand_sites_with_every_overlay_stay_under_10_mb(real, store, tmp_path,
                                                                     scenario):
    import growthzones as gz

    result, top20 = real
    if scenario == "default":  # 15 criteria: the largest identify data
        result = gz.score(store, gz.load_scenario())
        top20 = gz.rank_sites(result, top=20)
    sites = many_sites(top20, 100_000)
    path = maps.save_map(maps.render_map(result, sites), tmp_path / "map.html")
    assert path.stat().st_size < 10_000_000
    page = path.read_text(encoding="utf-8")
    assert page.count("L.imageOverlay(") > 10                 # the real, full page
    assert "of 100,000 sites; the full ranking table lists them all" in page


def test_licence_box_flags_non_commercial_data_from_the_manifest_flag(store):
    import growthzones as gz
    from growthzones.maps._legend import sources_html
    from growthzones.provenance import commercial_store

    every = sources_html(store.attributions(), noncommercial=True)
    assert "includes non-commercial data" in every
    view = commercial_store(store)
    assert all(s["commercial"] is True for s in view.manifest["sources"].values())
    # JNCC's SAC data is commercial: its name must not raise the flag as "NC" once did
    assert any("JNCC" in a for a in view.attributions())
    result = gz.score(view, gz.load_scenario())
    page = gz.map_html(gz.render_map(result, None))
    assert "includes non-commercial data" not in page
