"""The command line: outputs, exit codes, one-line errors, outputs left intact on error."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from growthzones.cli import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    assert main(["run", "--out", str(out), "--top", "12"]) == 0
    return out


def test_run_writes_all_outputs(run_out):
    import pandas as pd
    import rasterio

    ranking = pd.read_csv(run_out / "ranking.csv")
    assert len(ranking) == 12 and ranking["rank"].tolist() == list(range(1, 13))
    assert ranking["name"].str.startswith("near ").all()
    assert ranking["local_authority"].notna().all()
    gj = json.loads((run_out / "sites.geojson").read_text())
    assert len(gj["features"]) == 12
    lon, lat = gj["features"][0]["geometry"]["coordinates"]
    assert -8 < lon < 2 and 49.9 < lat < 61
    with rasterio.open(run_out / "score.tif") as src:
        assert src.crs.to_epsg() == 27700 and src.res == (1000.0, 1000.0)
        band = src.read(1)
    import numpy as np
    assert np.nanmax(band) == pytest.approx(ranking["score"].max(), abs=1e-5)
    html = (run_out / "map.html").read_text()
    assert ranking.loc[0, "name"] in html


def test_misspelt_criterion_exits_2_with_one_line_and_keeps_outputs(run_out, tmp_path, capsys):
    before = {p.name: p.read_bytes() for p in run_out.iterdir()}
    bad = tmp_path / "bad.toml"
    bad.write_text("[criteria.dist_substaton_132kv_km]\nweight = 2\n")
    capsys.readouterr()
    assert main(["run", "--scenario", str(bad), "--out", str(run_out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "dist_substaton_132kv_km" in err[0] and "Did you mean 'dist_substation_132kv_km'" in err[0]
    assert {p.name: p.read_bytes() for p in run_out.iterdir()} == before


def test_bad_weight_override_and_missing_store(tmp_path, capsys):
    assert main(["run", "--weight", "dist_ixp_km", "--out", str(tmp_path)]) == 2
    assert "NAME=NUMBER" in capsys.readouterr().err
    assert main(["run", "--store", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1 and "growthzones data build" in err[0]
    assert not (tmp_path / "ranking.csv").exists()


def test_criteria_lists_every_registered_name(capsys):
    from growthzones.layers import REGISTRY

    assert main(["criteria"]) == 0
    out = capsys.readouterr().out
    for name, c in REGISTRY.items():
        assert name in out and c.unit in out


def test_console_script_exit_code_for_usage_error():
    proc = subprocess.run([sys.executable, "-m", "growthzones.cli", "run", "--top", "x"],
                          capture_output=True, text=True, cwd=REPO)
    # one line naming the flag, the value and the fix (was argparse's "invalid int value")
    assert proc.returncode == 2 and proc.stderr.strip() == (
        "error: --top is 'x'; it must be a number (e.g. --top 20)")


def test_run_with_user_sites_escapes_names_in_the_map(tmp_path):
    import pandas as pd

    sites = tmp_path / "sites.csv"
    sites.write_text("name,easting,northing\n<script>alert(1)</script>,479500,379700\n"
                     "Helvellyn,334200,515100\n")
    assert main(["run", "--sites", str(sites), "--out", str(tmp_path)]) == 0
    ranking = pd.read_csv(tmp_path / "ranking.csv")
    assert ranking["name"].tolist() == ["<script>alert(1)</script>", "Helvellyn"]
    html = (tmp_path / "map.html").read_text()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("\\u0026", "&")


def test_map_offers_every_store_criterion_even_unweighted(tmp_path, store):
    assert main(["run", "--weight", "dist_ixp_km=0", "--out", str(tmp_path), "--top", "3"]) == 0
    html = (tmp_path / "map.html").read_text()
    assert f"{store.meta['dist_ixp_km']['title']} (not in scenario)" in html
    for name, meta in store.meta.items():
        assert meta["title"] in html, name


def test_stability_and_compare_commands(tmp_path, capsys):
    import pandas as pd
    import rasterio

    assert main(["stability", "--draws", "50", "--top", "5", "--out", str(tmp_path)]) == 0
    st = pd.read_csv(tmp_path / "stability.csv")
    assert st["p_top"].between(0, 1).all() and (st["rank_lo"] <= st["rank_hi"]).all()
    grid_only = REPO / "scenarios" / "grid_only.toml"
    default = REPO / "scenarios" / "default.toml"
    assert main(["compare", str(default), str(grid_only), "--top", "10",
                 "--out", str(tmp_path)]) == 0
    cmp = pd.read_csv(tmp_path / "comparison.csv")
    assert {"entered", "left"} & set(cmp["status"])
    with rasterio.open(tmp_path / "difference.tif") as src:
        assert src.crs.to_epsg() == 27700
    assert main(["compare", str(default), str(tmp_path / "missing.toml")]) == 2
