"""Site dossiers: the PDF's text read back, one page per site, hostile names, bad rows, CLI.

The PDF text is read with pypdf (pure Python, BSD, maintained by the py-pdf project with
regular releases; no system library needed, unlike poppler bindings). One Chromium print
for the module: a table of a hostile-named point, a real postcode, a point in a National
Park, a polygon, an unknown postcode and an off-land postcode.
"""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest

import growthzones as gz
from growthzones.cli import main
from growthzones.criteria import REGISTRY
from growthzones.dossier.command import parse_point
from growthzones.dossier.content import PARTLY, exclusion_states, site_facts
from growthzones.maps import _find_chromium
from growthzones.maps._text import _fmt

HOSTILE = '<script>alert(1)</script>{{ 7*7 }} & "quoted" \'x\' %}'
HOSTILE_NOTE = "<img src=x onerror=alert(2)>=SUM(A1)"
HOSTILE_COLUMN = "<b>note</b>{#"
#: A name and a note long enough to overflow the page: still one page, scaled to fit.
LONG_NAME = "Long site name " * 40


def _pdf_text(path) -> list[str]:
    import pypdf

    pages = pypdf.PdfReader(str(path)).pages
    # ligatures (fi) back to letters, and every run of white space as one space
    return [" ".join(unicodedata.normalize("NFKC", p.extract_text()).split()) for p in pages]


@pytest.fixture(scope="module")
def result(store):
    return gz.score(store, gz.load_scenario())


@pytest.fixture(scope="module")
def user_sites(result, tmp_path_factory):
    """The user's rows: from a CSV (lat/lon and postcodes) plus one polygon."""
    import geopandas as gpd

    d = tmp_path_factory.mktemp("sites")
    csv = d / "sites.csv"
    pd.DataFrame({
        "name": [HOSTILE, "Ratcliffe postcode", "Snowdon summit", "Unknown postcode",
                 "Lerwick waterfront", LONG_NAME],
        "latitude": ["52.8650", "", "53.0685", "", "", "53.7000"],
        "longitude": ["-1.2550", "", "-4.0763", "", "", "-1.2500"],
        "postcode": ["", "NG11 0EE", "", "NG11 9ZZ", "ZE1 0AH", ""],
        HOSTILE_COLUMN: [HOSTILE_NOTE, "a", "b", "c", "d", "e " * 300],
    }).to_csv(csv, index=False)
    # lat/lon and postcode columns in one file are refused, so read them as two files
    pts = gz.read_sites(_only(csv, d / "ll.csv", ["latitude", "longitude"], [0, 2, 5]))
    pcs = gz.read_sites(_only(csv, d / "pc.csv", ["postcode"], [1, 3, 4]))
    x, y = result.store.features.query("label.str.startswith('Ferrybridge')")[
        ["easting", "northing"]].iloc[0]
    poly = gpd.GeoDataFrame({"name": ["Ferrybridge plot"]},
                            geometry=gpd.points_from_xy([x], [y]).buffer(2500), crs=27700)
    table = pd.concat([pts, pcs, gz.read_sites(_write(poly, d / "poly.gpkg"))],
                      ignore_index=True)
    return gz.score_sites(result, gpd.GeoDataFrame(table, geometry="geometry", crs=27700))


def _only(src, dst, cols, rows):
    df = pd.read_csv(src, dtype=str).iloc[rows][["name", *cols, HOSTILE_COLUMN]]
    df.to_csv(dst, index=False)
    return dst


def _write(gdf, path):
    gdf.to_file(path, driver="GPKG")
    return path


@pytest.fixture(scope="module")
def printed(result, user_sites, tmp_path_factory):
    """The one PDF of the module (skips without Chromium)."""
    try:
        _find_chromium()
    except gz.BrowserError:
        pytest.skip("headless Chromium is not installed")
    out = tmp_path_factory.mktemp("dossier") / "run"
    files = gz.write_dossiers(result, user_sites, out)
    return out, files, _pdf_text(out / "dossier.pdf")


@pytest.mark.browser
def test_one_pdf_page_per_site(printed, user_sites):
    out, files, pages = printed
    assert len(pages) == len(user_sites)
    assert {f.name for f in files} >= {"dossier.pdf", "dossier.html", "run.json"}
    assert len(list((out / "sites").glob("*.html"))) == len(user_sites)
    # each page is its site's, in the table's order
    for page, name in zip(pages, user_sites["name"]):
        assert " ".join(str(name).split()) in page


@pytest.mark.browser
def test_pdf_says_percentile_and_not_assessed(printed, user_sites, result):
    _, _, pages = printed
    scored = user_sites[user_sites["status"] == "scored"]
    assert len(scored) >= 2
    for i, row in scored.iterrows():
        page = pages[i]
        pct = f"{np.floor(row['national_percentile'] * 10) / 10:.1f}"
        assert f"National percentile {pct}" in page
        assert "not assessed" in page
        absent = [c.title for n, c in REGISTRY.items()
                  if c.kind == "exclusion" and n not in result.store.meta]
        assert absent, "the embedded store lacks the official layers"
        for title in absent:  # the official layers this store lacks, by name
            assert title in page
        for c in result.weights:  # every criterion, by title
            assert result.store.meta[c]["title"].split(" (")[0] in page
        assert "grid operator" in page and "water company" in page


@pytest.mark.browser
def test_pdf_excluded_and_unscored_rows_say_why(printed, user_sites):
    _, _, pages = printed
    by_name = dict(zip(user_sites["name"], pages))
    assert "not in OS Code-Point Open" in by_name["Unknown postcode"]
    assert "not on GB land" in by_name["Lerwick waterfront"]
    snowdon = by_name["Snowdon summit"]
    assert "Excluded" in snowdon and "national_parks" in snowdon
    row = user_sites[user_sites["name"] == "Snowdon summit"].iloc[0]
    pct = np.floor(row["national_percentile_before_exclusions"] * 10) / 10
    assert f"National percentile before exclusions {pct:.1f}" in snowdon
    assert "before exclusions" in snowdon and "not ranked" in snowdon


@pytest.mark.browser
def test_hostile_names_are_text(printed):
    out, _, pages = printed
    html = (out / "dossier.html").read_text()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "{{" not in html and "{%" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#123;&#123; 7*7 &#125;&#125;" in html
    # the browser shows the characters as typed
    assert "<script>alert(1)</script>{{ 7*7 }} & \"quoted\"" in pages[0]
    assert "<img src=x onerror=alert(2)>=SUM(A1)" in pages[0]
    assert "<b>note</b>{#" in pages[0] and "<b>note" not in html
    # nothing is loaded from anywhere: no tiles, no CDN, no fonts
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # the only script in the page is the fit-to-page one
    assert html.count("<script>") == 1


@pytest.mark.browser
def test_run_json_and_a_page_per_site_name(printed):
    out, _, _ = printed
    rec = json.loads((out / "run.json").read_text())
    assert rec["command"] == "dossier"
    assert "dossier.pdf" in rec["files"]
    names = sorted(p.name for p in (out / "sites").glob("*.html"))
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+\.html", n) for n in names), names


def test_polygon_partly_excluded_state(result, user_sites):
    poly = user_sites[user_sites["name"] == "Ferrybridge plot"].iloc[0]
    states = {s["key"]: s for s in exclusion_states(result, poly.to_dict())}
    for part in filter(None, str(poly["partly_excluded_by"]).split(", ")):
        key = part.rsplit(" ", 2)[0]
        assert states[key]["state"] == PARTLY
    assert len(states) == len(result.excluded_by)


def test_picked_sites_html_with_stability(result):
    sites = gz.rank_sites(result, top=3)
    stab = gz.rank_stability(result, gz.rank_sites(result, top=50), top=3, draws=40,
                             seed=0, check_outside=False)
    html, pages = gz.render_dossier(result, sites, stability=stab)
    assert len(pages) == 3 and html.count('class="page fit"') == 3
    flowing, _ = gz.render_dossier(result, sites, one_page=False)  # --flow
    assert 'class="page fit"' not in flowing and "<script>" not in flowing
    for name in sites["name"]:
        assert gz.maps._html_text(name) in html
    assert "weight draws" in html
    facts = site_facts(result, sites, stability=stab)
    assert [f["rank"] for f in facts] == [1, 2, 3]
    assert all(f["stability"] is not None for f in facts)


def test_each_page_carries_the_sites_grid_by_network_year(result):
    """The per-site timeline (issue #16): the score in every ETYS snapshot, as
    site_timeline computes it for the same weights."""
    sites = gz.rank_sites(result, top=2)
    tl = gz.site_timeline(result, sites)
    html, _ = gz.render_dossier(result, sites)
    for sid in sites["site_id"]:
        mine = tl[tl["site_id"] == sid]
        assert len(mine) == len(result.store.network_years()) == 5
        shown = ", ".join(f"{t.snapshot} {_fmt(t.score, digits=3)}"
                          for t in mine.itertuples())
        assert shown in html, shown


def test_inset_window_values_match_the_grid(result):
    """The window's cells against an independent lookup: the unflattened 2-D surface."""
    from growthzones.dossier.inset import window, window_values

    site = gz.rank_sites(result, top=1).iloc[0]
    b = window(result.grid, site.easting, site.northing)
    got = window_values(result, b, result.ranked)
    full = result.store.unflatten(np.asarray(result.ranked, float))
    r = result.grid.resolution
    x0, _, _, y1 = result.grid.bounds
    r0, c0 = round((y1 - b[3]) / r), round((b[0] - x0) / r)
    want = full[r0:r0 + got.shape[0], c0:c0 + got.shape[1]]
    assert got.shape == (round((b[3] - b[1]) / r),) * 2
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)])


def test_inset_draws_region_polygon_and_features(result, user_sites):
    import shapely

    from growthzones.dossier.inset import inset_svg, region_outline, window

    top = gz.rank_sites(result, top=1).iloc[0]
    svg, feats, region = inset_svg(result, top.easting, top.northing, top.geometry)
    assert region and feats and svg.startswith("<svg") and "http" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    outline = region_outline(result, window(result.grid, top.easting, top.northing),
                             top.easting, top.northing)
    assert outline.contains(shapely.Point(top.easting, top.northing))
    assert [f["km"] for f in feats] == sorted(f["km"] for f in feats)
    snow = user_sites[user_sites["name"] == "Snowdon summit"].iloc[0]  # excluded: no region
    assert inset_svg(result, snow.easting, snow.northing)[2] is False
    poly = user_sites[user_sites["name"] == "Ferrybridge plot"].iloc[0]
    svg_poly = inset_svg(result, poly.easting, poly.northing, poly.geometry)[0]
    assert svg_poly.count('stroke-width="2"/>') >= 1  # the user's outline


def test_render_dossier_refuses_bad_input(result):
    with pytest.raises(gz.InputError, match="site table"):
        gz.render_dossier(result, pd.DataFrame({"a": [1]}))
    with pytest.raises(gz.InputError, match="the most is"):
        gz.render_dossier(result, pd.concat([gz.rank_sites(result, top=1)] * 1001))
    with pytest.raises(gz.InputError, match="no rows"):
        gz.render_dossier(result, gz.rank_sites(result, top=1).iloc[:0])


@pytest.mark.parametrize("text, fix", [
    ("-1.255,52.865", "looks like lon,lat"),
    ("5,5", "outside Great Britain"),
    ("abc", "not two numbers"),
    ("52.8,-1.2,3", "not two numbers"),
    ("nan,1", "not two numbers"),
])
def test_parse_point_refuses(text, fix):
    with pytest.raises(gz.InputError, match=fix):
        parse_point(text)


def test_parse_point_degrees_and_metres_agree():
    x, y = parse_point("52.86500,-1.25500")
    assert parse_point(f"{x:.1f},{y:.1f}") == (round(x, 1), round(y, 1))
    assert 440_000 < x < 460_000 and 320_000 < y < 340_000


@pytest.mark.parametrize("argv, words", [
    (["--point=-1.255,52.865"], "looks like lon,lat"),
    (["--point", "52.865,-1.255", "--within", "Rushcliffe"], "--within"),
    (["--point", "52.865,-1.255", "--sites", "x.csv"], "give one of them"),
    (["--sites", "x.csv", "--top", "3"], "--top"),
    (["--stability", "0"], "--stability"),
    (["--top", "zero"], "--top"),
    (["--sites", "missing.csv"], "missing.csv"),
])
def test_cli_bad_input_exits_2_with_one_line(argv, words, capsys, tmp_path):
    assert main(["dossier", *argv, "--out", str(tmp_path / "o"), "--no-pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and words in err[0], err
    assert not (tmp_path / "o").exists()


def test_cli_point_writes_a_run_folder(tmp_path, capsys):
    out = tmp_path / "pt"
    assert main(["dossier", "--point", "450500,330500", "--out", str(out), "--no-pdf"]) == 0
    rec = json.loads((out / "run.json").read_text())
    assert rec["command"] == "dossier" and "sites/01-point-450500-330500.html" in rec["files"]
    page = (out / "sites" / "01-point-450500-330500.html").read_text()
    assert "Point 450500,330500" in page and "national percentile" in page


def test_a_failed_print_writes_nothing(result, tmp_path, monkeypatch):
    from growthzones.maps import _browser

    def broken(*a, **k):
        raise gz.BrowserError("chromium exited with code 1")

    monkeypatch.setattr(_browser, "_run_chromium", broken)
    out = tmp_path / "d"
    with pytest.raises(gz.BrowserError):
        gz.write_dossiers(result, gz.rank_sites(result, top=2), out, log=None)
    assert not out.exists() or not any(out.iterdir())


def test_a_second_dossier_replaces_the_pages_of_the_first(result, tmp_path):
    out = tmp_path / "d"
    (out).mkdir()
    (out / "ranking.csv").write_text("kept\n")  # another command's file stays
    gz.write_dossiers(result, gz.rank_sites(result, top=3), out, pdf=False, log=None)
    assert len(list((out / "sites").iterdir())) == 3
    gz.write_dossiers(result, gz.rank_sites(result, top=1), out, pdf=False, log=None)
    left = [p.name for p in (out / "sites").iterdir()]
    assert len(left) == 1 and left[0].startswith("01-")
    assert (out / "ranking.csv").read_text() == "kept\n"
