"""Output sets: published whole, formula-safe CSVs, nothing written for a bad folder or result."""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import growthzones as gz
from growthzones import fileset, outputs
from growthzones._errors import OutputError, ResultError
from growthzones.cli import main

REPO = Path(__file__).resolve().parent.parent
NASTY = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Leeds"]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


# --- CSV formula injection ------------------------------------------------------------------

def test_csv_safe_quotes_only_text_cells_that_start_like_a_formula():
    table = pd.DataFrame({"name": NASTY, "score": [-0.5, 1, 2, 3, 4, 5, 6],
                          "rank": pd.array([1, 2, 3, 4, None, 6, 7], dtype="Int64"),
                          "note": ["a", None, "b", "-", "c", "d", "=e"]})
    safe = fileset.csv_safe(table)
    assert safe["name"].tolist() == ["'" + s for s in NASTY[:-1]] + ["Leeds"]
    assert safe["note"].tolist()[3:] == ["'-", "c", "d", "'=e"] and pd.isna(safe["note"][1])
    pd.testing.assert_series_equal(safe["score"], table["score"])  # numbers stay numbers
    pd.testing.assert_series_equal(safe["rank"], table["rank"])
    assert table["name"].tolist() == NASTY  # the input is not changed


def test_every_csv_is_formula_safe_and_the_geojson_keeps_the_text(tmp_path, store):
    result = gz.score(store, gz.load_scenario())
    coords = [(479500 + 3000 * i, 379700) for i in range(len(NASTY))]
    user = pd.DataFrame({"name": NASTY, "easting": [c[0] for c in coords],
                         "northing": [c[1] for c in coords]})
    user.to_csv(tmp_path / "sites.csv", index=False)
    sites = gz.score_sites(result, gz.read_sites(tmp_path / "sites.csv"))
    out = tmp_path / "out"
    outputs.write_outputs(result, sites, out, map=False, log=None)
    raw = (out / "ranking.csv").read_text()
    ranking = pd.read_csv(out / "ranking.csv", keep_default_na=False)
    names = sites["name"].tolist()  # as read (the reader strips surrounding whitespace)
    expected = ["'" + n if n[:1] in ("=", "+", "-", "@", "\t", "\r") else n for n in names]
    assert ranking["name"].tolist() == expected
    # read_sites strips the leading tab and CR; csv_safe's own test covers those two
    assert sum(n.startswith("'") for n in expected) >= 4
    assert "\n=" not in raw and ",=" not in raw and ",+" not in raw
    assert pd.api.types.is_numeric_dtype(ranking["score"])
    gj = json.loads((out / "sites.geojson").read_text())
    assert [f["properties"]["name"] for f in gj["features"]] == names
    assert NASTY[0] in names
    assert gj["name"] == "sites"  # the layer name QGIS shows, not a temp file's

    outputs.write_stability(pd.DataFrame({"name": NASTY, "p_top": np.linspace(0, 1, 7)}), out,
                            log=None)
    st = pd.read_csv(out / "stability.csv", keep_default_na=False)
    assert st["name"].tolist()[:2] == ["'" + NASTY[0], "'+1+1"]
    assert st["p_top"].tolist() == pytest.approx(np.linspace(0, 1, 7))

    cmp = SimpleNamespace(a=result, b=result, sites=pd.DataFrame({"name": NASTY, "rank_a": 1}),
                          surface=lambda what: result.surface("score") * 0)
    outputs.write_comparison(cmp, out, log=None)
    cp = pd.read_csv(out / "comparison.csv", keep_default_na=False)
    assert cp["name"].tolist()[2] == "'-2+3" and cp["rank_a"].tolist() == [1] * 7
    # one folder, every command's files, no leftovers beside it
    assert {"ranking.csv", "sites.geojson", "score.tif", "stability.csv", "comparison.csv",
            "difference.tif"} <= set(os.listdir(out))
    assert _siblings(out) == ["sites.csv"]


def test_a_crash_while_rendering_the_map_keeps_the_old_set(tmp_path, store, monkeypatch):
    import growthzones.maps

    result = gz.score(store, gz.load_scenario())
    sites = gz.rank_sites(result, top=3)
    out = tmp_path / "out"
    (out / "map.html").parent.mkdir()
    (out / "map.html").write_text("the old map")
    (out / "ranking.csv").write_text("the old ranking")

    def crash(*args, **kwargs):
        raise MemoryError("map too big")

    monkeypatch.setattr(growthzones.maps, "render_map", crash)
    with pytest.raises(MemoryError):
        outputs.write_outputs(result, sites, out, log=None)
    assert _tree(out) == {"map.html": b"the old map", "ranking.csv": b"the old ranking"}
    assert _siblings(out) == []


# --- the set writer ---------------------------------------------------------------------------

@pytest.fixture(params=["exchange", "two-renames"])
def swap(request, monkeypatch):
    if request.param == "two-renames":
        monkeypatch.setattr(fileset, "_renameat2", None)
    return request.param


def test_write_set_publishes_all_files_at_once_and_keeps_other_files(tmp_path, swap):
    out = tmp_path / "out"
    with fileset.write_set(out, log=None) as s:
        s.write_text("a.txt", "old a")
        s.write_text("sub/b.txt", "old b")
    (out / "mine.txt").write_text("the user's")
    with fileset.write_set(out, log=None) as s:
        # a staged file is written under its final name, never through the link
        s.write_text("a.txt", "new a")
        assert (out / "a.txt").read_text() == "old a"
        assert s.root.parent == out.parent and s.root.name.startswith(".out.staging-")
    assert _tree(out) == {"a.txt": b"new a", "mine.txt": b"the user's", "sub/b.txt": b"old b"}
    assert _siblings(out) == []


def test_write_set_leaves_the_folder_untouched_on_error(tmp_path, swap):
    out = tmp_path / "out"
    with fileset.write_set(out, log=None) as s:
        s.write_text("a.txt", "old")
    before = _tree(out)
    with pytest.raises(RuntimeError, match="render crashed"), \
            fileset.write_set(out, log=None) as s:
        s.write_text("a.txt", "new")
        s.write_text("b.txt", "new")
        raise RuntimeError("render crashed")
    assert _tree(out) == before and _siblings(out) == []


def test_write_set_without_keep_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "store"
    with fileset.write_set(out, keep_existing=False, log=None) as s:
        s.write_text("old_layer.tif", "x")
    with fileset.write_set(out, keep_existing=False, log=None) as s:
        s.write_text("new_layer.tif", "y")
    assert _tree(out) == {"new_layer.tif": b"y"}


def test_leftovers_are_removed_and_a_cut_swap_is_restored(tmp_path, capsys):
    out = tmp_path / "out"
    # a fallback swap cut between its renames: live folder gone, .previous complete
    (tmp_path / ".out.previous").mkdir()
    (tmp_path / ".out.previous" / "a.txt").write_text("old")
    (tmp_path / ".out.previous" / ".a.txt.k3j_9x0q.tmp").write_text("half")
    (tmp_path / ".out.staging-abc123").mkdir()
    (tmp_path / ".out.building").mkdir()
    (tmp_path / ".other.staging-abc123").mkdir()  # another folder's: not ours to clean
    (tmp_path / "keep.tmp").write_text("user file")
    done = fileset.clean_leftovers(out)
    err = capsys.readouterr().err
    assert "cleaned up after an interrupted" in err and len(err.strip().splitlines()) == 1
    assert len(done) == 4 and any("restored" in d for d in done)
    assert _tree(out) == {"a.txt": b"old"}
    assert _siblings(out) == [".other.staging-abc123", "keep.tmp"]
    assert fileset.clean_leftovers(out) == [] and capsys.readouterr().err == ""


def test_a_staging_folder_still_being_written_is_not_cleaned(tmp_path):
    out = tmp_path / "out"
    for text in ("first", "second"):  # a new folder, then a copy of an existing one
        with fileset.write_set(out, log=None) as s:
            assert fileset.clean_leftovers(out, log=None) == []  # locked by this writer
            assert s.root.is_dir()
            s.write_text("a.txt", text)
        assert _tree(out) == {"a.txt": text.encode()}


def test_a_symlinked_out_folder_stays_a_link(tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    with fileset.write_set(link, log=None) as s:
        s.write_text("a.txt", "a")
    assert link.is_symlink() and (real / "a.txt").read_text() == "a"


# --- refusing bad folders and empty results -----------------------------------------------------

def _bad_outs(tmp_path):
    a_file = tmp_path / "a_file.csv"
    a_file.write_text("x")
    ro = tmp_path / "read_only"
    ro.mkdir()
    (ro / "old.csv").write_text("old")
    ro.chmod(0o555)
    return {"is a file": a_file, "read-only": ro, "cannot be created": a_file / "sub"}


@pytest.mark.parametrize("command", [
    ["run"], ["stability", "--draws", "5"],
    ["compare", str(REPO / "growthzones/scenarios/default.toml"), str(REPO / "growthzones/scenarios/grid_only.toml")],
    ["data", "build"]])
def test_unwritable_out_is_one_line_exit_2_and_nothing_written(command, tmp_path, capsys):
    bad = _bad_outs(tmp_path)
    try:
        before = _tree(tmp_path)
        for why, out in bad.items():
            assert main([*command, "--out", str(out)]) == 2
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and err[0].startswith("error: ") and why in err[0], err
            assert str(out) in err[0]
            assert _tree(tmp_path) == before
            assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.csv", "read_only"]
    finally:
        bad["read-only"].chmod(0o755)


def test_check_out_folder_accepts_new_and_existing_folders(tmp_path):
    assert fileset.check_out_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert fileset.check_out_folder(tmp_path) == tmp_path
    assert not (tmp_path / "new").exists()  # checking writes nothing
    with pytest.raises(OutputError, match="is a file"):
        fileset.check_out_folder(Path(__file__))


def test_a_constraint_excluding_everything_is_a_result_error_before_writing(tmp_path, capsys,
                                                                           store):
    sc = tmp_path / "all_out.toml"
    sc.write_text((REPO / "growthzones/scenarios/default.toml").read_text().replace(
        "campus_room_ha = { min = 50 }", "campus_room_ha = { min = 5000 }"))
    out = tmp_path / "out"
    assert main(["run", "--scenario", str(sc), "--out", str(out)]) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error")]
    assert len(err) == 1 and "every land cell is excluded" in err[0]
    assert "constraint campus_room_ha >= 5000 removes" in err[0] and "[constraints]" in err[0]
    assert not out.exists() and os.listdir(tmp_path) == ["all_out.toml"]
    assert main(["stability", "--scenario", str(sc), "--out", str(out)]) == 2
    assert "every land cell is excluded" in capsys.readouterr().err and not out.exists()
    # a user's own sites in excluded cells are still listed, with the reason
    (tmp_path / "mine.csv").write_text("name,easting,northing\nA,479500,379700\n")
    result = gz.score(store, gz.load_scenario(sc))
    sites = gz.score_sites(result, gz.read_sites(tmp_path / "mine.csv"))
    outputs.write_outputs(result, sites, out, map=False, log=None)  # the map: test_cli
    ranking = pd.read_csv(out / "ranking.csv")
    assert ranking["excluded_by"].str.contains("campus_room_ha").all()


def test_all_nan_score_and_empty_sites_are_result_errors(tmp_path):
    from conftest import make_fixture_store

    nan = np.full((3, 3), np.nan, dtype=np.float32)
    store = make_fixture_store({"dist_substation_132kv_km": nan})
    scenario = gz.parse_scenario({"criteria": {"dist_substation_132kv_km": {"weight": 1}}})
    result = gz.score(store, scenario)
    with pytest.raises(ResultError, match="score is NaN.*dist_substation_132kv_km"):
        outputs.write_outputs(result, None, tmp_path / "out", log=None)
    ok = make_fixture_store({"dist_substation_132kv_km": np.arange(9.0).reshape(3, 3)})
    good = gz.score(ok, scenario)
    with pytest.raises(ResultError, match="no site to write"):
        outputs.write_outputs(good, pd.DataFrame(), tmp_path / "out", log=None)
    assert os.listdir(tmp_path) == []


# --- QGIS-ready files: score.tif as a COG, results.gpkg with styles ----------------------------

@pytest.fixture(scope="module")
def written(tmp_path_factory):
    st = gz.load_layers()
    result = gz.score(st, gz.load_scenario())
    sites = gz.rank_sites(result, top=6)
    out = tmp_path_factory.mktemp("qgis")
    outputs.write_outputs(result, sites, out, map=False, log=None)
    return result, sites, out


def test_score_tif_is_a_float32_cog_with_description_and_json_tags(written):
    import rasterio
    from rio_cogeo.cogeo import cog_validate

    result, _, out = written
    valid, errors, _warnings = cog_validate(str(out / "score.tif"))
    assert valid, errors
    with rasterio.open(out / "score.tif") as src:
        assert src.dtypes == ("float32",) and src.overviews(1)  # overviews for zooming out
        assert src.descriptions == (outputs.SCORE_DESCRIPTION,)
        tags = src.tags()
        band = src.read(1)
    assert tags["scenario"] == result.scenario.name
    assert json.loads(tags["weights"]) == pytest.approx(result.scenario.weights)
    assert json.loads(tags["exclusions"]) == list(result.scenario.exclusions)
    ref = result.surface("score")
    np.testing.assert_array_equal(np.isnan(band), np.isnan(ref))
    np.testing.assert_allclose(band[~np.isnan(band)], ref[~np.isnan(ref)], rtol=1e-6)


def test_a_big_grids_files_are_written_before_the_map_not_beside_it(written, tmp_path,
                                                                   monkeypatch):
    """On a big grid the GeoPackage and score.tif are written before the map, in the
    calling thread (their site-region masks and the map's arrays are not in memory
    together; ``run`` scores the map's other years meanwhile); on a small one beside it,
    in a thread of their own. The same files."""
    import threading

    import rasterio

    import growthzones.maps
    from growthzones import store as store_mod

    result, sites, _ = written
    where, real, render = [], outputs.write_geopackage, growthzones.maps.render_map
    monkeypatch.setattr(outputs, "write_geopackage", lambda *a, **k: (
        where.append(("gpkg", threading.current_thread().name)), real(*a, **k))[1])
    monkeypatch.setattr(growthzones.maps, "render_map", lambda *a, **k: (
        where.append(("map", threading.current_thread().name)), render(*a, **k))[1])
    small = outputs.write_outputs(result, sites, tmp_path / "small", log=None)
    assert {w for w, _ in where} == {"gpkg", "map"}
    assert dict(where)["gpkg"].startswith("gz-write")
    where.clear()
    monkeypatch.setattr(store_mod, "RESIDENT_CELLS", 0)  # the 1 km grid as a big one
    big = outputs.write_outputs(result, sites, tmp_path / "big", log=None)
    me = threading.current_thread().name
    assert where == [("gpkg", me), ("map", me)]
    assert [f.name for f in small] == [f.name for f in big]
    with rasterio.open(tmp_path / "small" / "score.tif") as a, \
            rasterio.open(tmp_path / "big" / "score.tif") as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))


def test_a_big_grids_cog_is_copied_from_a_plain_file_with_the_same_band(written, tmp_path,
                                                                        monkeypatch):
    """Above BIG_GRID_CELLS the COG is copied from a plain tiled file on disk (GDAL does
    not hold the band and its overviews in memory): still a valid COG with the same band,
    description and tags, and no temporary file left beside it."""
    import rasterio
    from rio_cogeo.cogeo import cog_validate

    from growthzones import io

    result, _, out = written
    monkeypatch.setattr(io, "BIG_GRID_CELLS", 1000)  # the 1 km grid as a "big" one
    tags = outputs.score_tags(result.scenario)
    path = io.write_raster(tmp_path / "score.tif", result.surface("score"), result.grid,
                           cog=True, description=outputs.SCORE_DESCRIPTION, tags=tags)
    assert [p.name for p in tmp_path.iterdir()] == ["score.tif"]
    valid, errors, _warnings = cog_validate(str(path))
    assert valid, errors
    with rasterio.open(path) as big, rasterio.open(out / "score.tif") as usual:
        assert big.profile["compress"] == "zstd" and big.overviews(1) == usual.overviews(1)
        assert big.descriptions == usual.descriptions and big.tags() == usual.tags()
        np.testing.assert_array_equal(big.read(1), usual.read(1))


def _styles(path):
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT f_table_name, useAsDefault, styleQML FROM layer_styles")}
    finally:
        con.close()


def test_geopackage_has_named_layers_with_default_qgis_styles(written):
    import geopandas as gpd
    import pyogrio

    _, sites, out = written
    layers = dict(pyogrio.list_layers(out / "results.gpkg"))
    assert layers["sites"] == "Point" and layers["site_regions"] in ("Polygon", "MultiPolygon")
    styles = _styles(out / "results.gpkg")
    assert set(styles) == {"sites", "site_regions"}
    assert all(use == 1 and 'attr="score"' in qml for use, qml in styles.values())
    pts = gpd.read_file(out / "results.gpkg", layer="sites")
    assert pts.crs.to_epsg() == 27700 and pts["name"].tolist() == sites["name"].tolist()
    regions = gpd.read_file(out / "results.gpkg", layer="site_regions")
    # the polygons are the regions rank_sites measured: the same area, and each holds its site
    np.testing.assert_allclose(regions.area / 1e6, sites["region_area_km2"], rtol=1e-9)
    assert regions.geometry.contains(pts.geometry).all()


def test_user_sites_and_excluded_ones_are_their_own_layers_names_kept_as_data(tmp_path, store):
    import geopandas as gpd
    import pyogrio

    result = gz.score(store, gz.load_scenario())
    excl = np.flatnonzero(np.asarray(result.excluded))[:2]
    ok = np.flatnonzero(~np.isnan(np.asarray(result.ranked)))[:2]
    rows, cols = np.divmod(store.land_index[np.r_[ok, excl]], store.grid.width)
    x, y = store.grid.xy(rows, cols)
    names = ["'); DROP TABLE layer_styles; --", "=1+1", "<b>x</b>", "Leeds"]
    pd.DataFrame({"name": names, "easting": x, "northing": y}).to_csv(tmp_path / "s.csv",
                                                                      index=False)
    sites = gz.score_sites(result, gz.read_sites(tmp_path / "s.csv"))
    outputs.write_outputs(result, sites, tmp_path / "out", map=False, log=None)
    gpkg = tmp_path / "out" / "results.gpkg"
    assert {n for n, _ in pyogrio.list_layers(gpkg)} == {"user_sites", "user_sites_excluded",
                                                         "layer_styles"}
    assert set(_styles(gpkg)) == {"user_sites", "user_sites_excluded"}
    kept = gpd.read_file(gpkg, layer="user_sites")
    gone = gpd.read_file(gpkg, layer="user_sites_excluded")
    assert sorted(kept["name"]) == sorted(names[:2])  # hostile text stays data
    assert sorted(gone["name"]) == sorted(names[2:]) and gone["excluded_by"].str.len().gt(0).all()
