"""Run folders, run.json and commercial-safe runs (growthzones.provenance and the CLI)."""

import hashlib
import json
import os
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import growthzones as gz
from growthzones import provenance as pv
from growthzones._errors import ScenarioError
from growthzones.cli import main

HOSTILE = ["../../escape", "/etc/passwd", "a/b\\c", "x\x00y", "C:\\evil", "..", "", " ",
           "ééé", "名前", "-" * 300, "CON", "outputs/../../x"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_scenario_name_gives_a_folder_inside_the_parent(name, tmp_path):
    slug = pv.slugify(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) and len(slug) <= pv.MAX_SLUG
    folder = pv.run_folder(name, tmp_path, now=datetime(2026, 1, 2, 3, 4, 5))
    assert folder.parent == tmp_path and folder.name.endswith("-20260102-030405")
    assert folder.resolve().parent == tmp_path.resolve()


def test_a_second_run_in_the_same_second_gets_its_own_folder(tmp_path):
    now = datetime(2026, 1, 2, 3, 4, 5)
    first = pv.run_folder("Default", tmp_path, now=now)
    first.mkdir()
    second = pv.run_folder("Default", tmp_path, now=now)
    assert second != first and second.name == first.name + "-2"


def test_latest_is_a_relative_link_moved_to_the_newest_folder(tmp_path):
    a, b = tmp_path / "a-1", tmp_path / "b-2"
    a.mkdir(), b.mkdir()
    pv.point_latest(a)
    link = pv.point_latest(b)
    assert link.is_symlink() and os.readlink(link) == "b-2"  # relative: the tree can move
    assert link.resolve() == b.resolve()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_sources_and_terms_follow_the_scenarios_layers(store):
    sc = gz.load_scenario("with_latency")
    srcs = {s["id"]: s for s in pv.sources_used(store, pv.layers_used(sc))}
    table = store.manifest["sources"]
    # exactly the sources the manifest's layer entries name (plus the site names)
    want = {s for n in pv.layers_used(sc) for s in store.meta[n]["sources"]} | {"geonames_places"}
    assert set(srcs) == want
    assert srcs["ixp_buildings"]["commercial"] is False
    assert srcs["ixp_buildings"]["licence"] == table["ixp_buildings"]["licence"]
    t = pv.terms(list(srcs.values()))
    assert not t["commercial_use"] and "ixp_buildings" in t["terms"]
    default = pv.sources_used(store, pv.layers_used(gz.load_scenario()))
    assert pv.terms(default)["commercial_use"]


def test_commercial_scenario_drops_non_commercial_layers_only(store):
    sc = gz.load_scenario("with_latency")
    kept, dropped = pv.commercial_scenario(sc, store)
    nc = {n for n, m in store.meta.items() if m.get("commercial_use") is False}
    assert set(dropped) == nc & set(pv.layers_used(sc)) and dropped
    assert set(kept.weights) == set(sc.weights) - nc
    assert kept.exclusions == sc.exclusions and kept.constraints == sc.constraints
    view = pv.commercial_store(store)
    assert not nc & set(view.meta)
    assert all(s["commercial"] for s in view.manifest["sources"].values())
    only_nc = sc.updated({"criteria": {"latency_london_ms": {"weight": 1}}})
    with pytest.raises(ScenarioError, match="--commercial drops every weighted criterion"):
        pv.commercial_scenario(only_nc, store)


@pytest.fixture(scope="module")
def commercial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("commercial")
    argv = ["run", "--scenario", "with_latency", "--commercial", "--top", "5", "--out", str(out)]
    assert main(argv) == 0
    return out, argv


def test_commercial_run_leaves_non_commercial_data_out_of_every_output(commercial_run, store):
    out, _ = commercial_run
    nc_layers = {n for n, m in store.meta.items() if m.get("commercial_use") is False}
    nc_sources = {k: s for k, s in store.manifest["sources"].items() if not s["commercial"]}
    assert nc_layers and nc_sources
    html = (out / "map.html").read_text()
    for s in nc_sources.values():  # the licence box lists commercial sources only
        assert json.dumps(s["title"])[1:-1] not in html and s["title"] not in html
    for n in nc_layers:  # no overlay of a non-commercial layer
        assert store.meta[n]["title"] not in html
    ranking = pd.read_csv(out / "ranking.csv")
    assert not [c for c in ranking.columns if any(c.startswith(n) for n in nc_layers)]
    rec = json.loads((out / "run.json").read_text())
    assert rec["commercial"] is True and set(rec["dropped"]) == {"latency_london_ms",
                                                                  "dist_major_ixp_km"}
    assert {s["id"] for s in rec["sources"]}.isdisjoint(nc_sources)
    assert rec["commercial_use"] is True and rec["terms"].startswith("commercial use allowed")
    assert not nc_layers & set(rec["scenario"]["weights"])


def test_run_json_records_version_argv_store_scenario_and_timings(commercial_run, store):
    out, argv = commercial_run
    rec = json.loads((out / "run.json").read_text())
    assert rec["growthzones_version"] == gz.__version__
    assert rec["argv"] == ["growthzones", *argv]
    manifest = Path(store.path) / "manifest.json"
    assert rec["store"]["manifest_sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert rec["store"]["built"] == store.manifest["built"]
    sc = rec["scenario"]
    assert sc["weights"] == pytest.approx(
        pv.commercial_scenario(gz.load_scenario("with_latency"), store)[0].weights)
    assert "campus_room_ha" in sc["constraints"] and sc["exclusions"]
    assert sc["criteria"]["dist_transmission_km"]["transform"]  # transforms resolved
    assert set(rec["files"]) == {"ranking.csv", "sites.geojson", "results.gpkg", "score.tif",
                                 "map.html", "sites_timeline.csv"}  # the store has years
    assert {"load", "score", "sites"} <= set(rec["timings"])
    assert all(v >= 0 for v in rec["timings"].values())
    for s in rec["sources"]:
        assert {"publisher", "licence", "data_date", "commercial"} <= set(s)


def test_without_out_each_run_gets_a_folder_and_latest_follows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = tmp_path / "evil.toml"
    hostile.write_text('name = "../../escaped \\"run\\""\n'
                       '[criteria.dist_transmission_km]\nweight = 1\n')
    cmd = ["stability", "--draws", "5", "--top", "3"]
    assert main([*cmd, "--scenario", "grid_only"]) == 0
    assert main([*cmd, "--scenario", str(hostile)]) == 0
    outs = tmp_path / "outputs"
    folders = sorted(p for p in outs.iterdir() if p.is_dir() and not p.is_symlink())
    assert len(folders) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.toml", "outputs"]  # no escape
    for f in folders:
        assert {p.name for p in f.iterdir()} == {"stability.csv", "run.json"}
    newest = (outs / "latest").resolve()
    rec = json.loads((newest / "run.json").read_text())
    assert newest.name.startswith("escaped-run-")
    assert rec["scenario"]["name"] == '../../escaped "run"'  # the user's text, as data
    assert rec["command"] == "stability" and rec["files"] == ["stability.csv"]
