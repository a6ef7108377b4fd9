"""Packaging: the embedded store and the scenarios are package data, found from anywhere.

The slow test does what a user does with a release: build the wheel, install it (not
editable) into a fresh environment, and run ``growthzones run`` from an unrelated folder.
The fast ones pin the rules that make that work: where the defaults point, how a built-in
scenario is named, and that ``data build`` never writes into the package by default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import growthzones as gz
from growthzones import cli
from growthzones.build import default_build_dir
from growthzones.catalog import PACKAGE_DIR, embedded_store_dir, package_path
from growthzones.scenario import builtin_scenarios, load_scenario, scenario_file
from growthzones.store import default_store_path

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "growthzones" / "scenarios"


# --- where the defaults point ----------------------------------------------------------------

def test_the_embedded_store_and_scenarios_are_inside_the_package(monkeypatch):
    monkeypatch.delenv("GROWTHZONES_STORE", raising=False)
    assert default_store_path() == PACKAGE_DIR / "data" / "gb_1000m"
    assert (default_store_path() / "manifest.json").is_file()
    assert (embedded_store_dir() / "SOURCES.md").is_file()
    assert package_path("scenarios", "default.toml") == SCENARIOS / "default.toml"
    assert sorted(builtin_scenarios()) == sorted(p.stem for p in SCENARIOS.glob("*.toml"))


def test_growthzones_store_still_overrides_the_embedded_store(monkeypatch, tmp_path):
    monkeypatch.setenv("GROWTHZONES_STORE", str(tmp_path / "mine"))
    assert default_store_path() == tmp_path / "mine"
    with pytest.raises(gz.LayerStoreError, match=str(tmp_path / "mine")):
        gz.load_layers()


def test_data_build_writes_to_a_user_folder_unless_out_names_the_package(monkeypatch,
                                                                          tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GROWTHZONES_DATA", raising=False)
    assert default_build_dir() == tmp_path / "growthzones-store"
    monkeypatch.setenv("GROWTHZONES_DATA", str(tmp_path / "stores"))
    assert default_build_dir() == tmp_path / "stores"
    assert PACKAGE_DIR not in default_build_dir().parents

    seen = []
    monkeypatch.setattr("growthzones.build.build_store", lambda out, **kw: seen.append(out))
    assert cli.main(["data", "build"]) == 0
    assert cli.main(["data", "build", "--out", str(embedded_store_dir())]) == 0
    assert seen == [None, embedded_store_dir()]  # None: build_store's default_build_dir()


def test_a_default_build_fails_in_the_user_folder_and_leaves_the_package_alone(monkeypatch,
                                                                               tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GROWTHZONES_DATA", raising=False)
    manifest = default_store_path() / "manifest.json"
    before = manifest.stat().st_mtime_ns, sorted(os.listdir(embedded_store_dir()))
    with pytest.raises(gz.SourceDataError, match="--source"):
        gz.build_store(source=tmp_path / "no-such-folder", log=None)
    assert (manifest.stat().st_mtime_ns, sorted(os.listdir(embedded_store_dir()))) == before


def test_the_embedded_manifest_records_the_command_that_rebuilds_it_in_place():
    m = gz.load_layers(default_store_path()).manifest
    assert m["command"] == "growthzones data build --out growthzones/data"
    assert m["command"] in (embedded_store_dir() / "SOURCES.md").read_text()


# --- built-in scenarios by name ---------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.toml")))
def test_a_builtin_scenario_loads_by_name_from_any_folder(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    by_name = load_scenario(name)
    by_path = load_scenario(SCENARIOS / f"{name}.toml")
    assert by_name.to_dict() == by_path.to_dict()
    assert by_name.source == f"{name}.toml"


def test_no_path_is_the_builtin_default():
    assert scenario_file(None) == SCENARIOS / "default.toml"
    assert load_scenario().to_dict() == load_scenario("default").to_dict()


def test_an_existing_file_wins_over_a_builtin_name(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "default").write_text('name = "Mine"\n[criteria.dist_ixp_km]\nweight = 1\n')
    assert load_scenario("default").name == "Mine"


@pytest.mark.parametrize("name", ["../scenarios/default", "../../pyproject", "./default",
                                  "default/", "default.toml", "DEFAULT", "nope"])
def test_a_name_is_looked_up_never_joined_onto_the_folder(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    if name.startswith(".."):  # a naive folder / f"{name}.toml" would find a real file
        assert (SCENARIOS / f"{name}.toml").is_file()
    with pytest.raises(gz.ScenarioError, match="file not found") as err:
        load_scenario(name)
    assert "default, grid_only, post_industrial_only, with_latency" in str(err.value)


def test_a_missing_file_suggests_the_builtin_name(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(gz.ScenarioError) as err:
        load_scenario("scenarios/with_latncy.toml")
    assert "Did you mean 'with_latency'?" in str(err.value)
    assert str(SCENARIOS) in str(err.value)  # where to copy one from


def test_the_cli_takes_a_builtin_scenario_by_name(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    args = cli.parse_args(["run", "--scenario", "grid_only"])
    assert load_scenario(args.scenario).to_dict() == load_scenario(
        SCENARIOS / "grid_only.toml").to_dict()
    assert cli.main(["run", "--scenario", "grid_onyl", "--out", str(tmp_path / "o")]) == 2
    assert "Did you mean 'grid_only'?" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --- the wheel ----------------------------------------------------------------------------------

def _build_wheel(tmp: Path) -> Path:
    """Build the wheel offline from a clean copy of the sources (no stale build/ folder)."""
    src = tmp / "src"
    shutil.copytree(REPO / "growthzones", src / "growthzones",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", ".", "-w", str(tmp / "dist")], cwd=src, check=True,
                   capture_output=True, text=True)
    (wheel,) = (tmp / "dist").glob("growthzones-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_runs_from_another_folder(tmp_path, store):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "growthzones/data/gb_1000m/manifest.json" in names
    assert "growthzones/data/SOURCES.md" in names
    assert "growthzones/scenarios/default.toml" in names
    shipped = {f"growthzones/{p.relative_to(PACKAGE_DIR).as_posix()}"
               for p in PACKAGE_DIR.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert shipped - names == set()  # every module, subpackage and data file

    # A fresh venv reusing the installed dependencies (nothing is downloaded); pip comes
    # from the base environment and installs into the venv.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items()
           if k not in ("GROWTHZONES_STORE", "GROWTHZONES_DATA", "PYTHONPATH")}
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                   check=True, env=env, capture_output=True, text=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(py), "-c", "import growthzones; print(growthzones.__file__)"],
                           cwd=elsewhere, env=env, check=True, capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # not the checkout
    out = tmp_path / "out"
    res = subprocess.run([str(venv / "bin" / "growthzones"), "run", "--out", str(out)],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
                         check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (out / "map.html").stat().st_size > 10_000
    ranking = pd.read_csv(out / "ranking.csv")
    assert len(ranking) == 20
    assert sorted(os.listdir(elsewhere)) == []  # wrote nothing into the folder it ran from

    # the same ranking as the checkout's store and default scenario give
    here = gz.rank_sites(gz.score(store, load_scenario()))
    assert ranking["site_id"].tolist() == here["site_id"].tolist()
    assert ranking["score"].tolist() == pytest.approx(here["score"].tolist(), abs=1e-6)
