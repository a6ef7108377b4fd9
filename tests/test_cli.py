"""The command line: outputs, exit codes, one-line errors, outputs left intact on error."""

import json
import os
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
    # after what makes the site ("X (former power station)"), else the nearest town
    assert ranking["name"].str.match(r"^(near \S.*|\S.* \([^)]+\))$").all()
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
    from growthzones.maps._text import _js_json

    for name, meta in store.meta.items():  # layer names are JSON text (the layer panel)
        assert _js_json(meta["title"])[1:-1] in html, name


def test_stability_and_compare_commands(tmp_path, capsys):
    import pandas as pd
    import rasterio

    assert main(["stability", "--draws", "50", "--top", "5", "--out", str(tmp_path)]) == 0
    st = pd.read_csv(tmp_path / "stability.csv")
    assert st["p_top"].between(0, 1).all() and (st["rank_lo"] <= st["rank_hi"]).all()
    grid_only = REPO / "growthzones" / "scenarios" / "grid_only.toml"
    default = REPO / "growthzones" / "scenarios" / "default.toml"
    assert main(["compare", str(default), str(grid_only), "--top", "10",
                 "--out", str(tmp_path)]) == 0
    cmp = pd.read_csv(tmp_path / "comparison.csv")
    assert {"entered", "left"} & set(cmp["status"])
    with rasterio.open(tmp_path / "difference.tif") as src:
        assert src.crs.to_epsg() == 27700
    assert main(["compare", str(default), str(tmp_path / "missing.toml")]) == 2


# --- issue #9: every bad flag is one line and exit 2, before any work starts -----------------

import growthzones.cli as cli  # noqa: E402

COMMANDS = ("cmd_run", "cmd_stability", "cmd_compare", "cmd_build", "cmd_screenshot",
            "cmd_criteria", "cmd_download")


@pytest.fixture
def calls(monkeypatch):
    """Replace every command with a stub that records its args: nothing runs for real."""
    seen = []
    for name in COMMANDS:
        monkeypatch.setattr(cli, name, lambda args, _n=name: seen.append((_n, args)) or 0)
    return seen


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert "Traceback" not in err[0] and "usage:" not in err[0]
    return err[0]


@pytest.mark.parametrize("argv, message", [
    (["run", "--top", "0"], "--top is '0'; it must be a whole number >= 1 (e.g. --top 20)"),
    (["run", "--top", "-5"], "--top is '-5'; it must be a whole number >= 1"),
    (["run", "--top", "2.5"], "--top is '2.5'; it must be a whole number"),
    (["run", "--top", "x"], "--top is 'x'; it must be a number (e.g. --top 20)"),
    (["run", "--top", "100000"], "--top is '100000'; it must be a whole number <= 10000"),
    (["compare", "a.toml", "b.toml", "--top", "0"], "--top is '0'"),
    (["stability", "--top", "-5"], "--top is '-5'"),
    (["run", "--min-separation-km", "nan"], "--min-separation-km is 'nan'; it must be a finite "
                                            "number (e.g. --min-separation-km 25)"),
    (["run", "--min-separation-km", "inf"], "--min-separation-km is 'inf'; it must be a finite"),
    (["run", "--min-separation-km", "-1"], "--min-separation-km is '-1'; it must be > 0"),
    (["run", "--min-separation-km", "0"], "--min-separation-km is '0'; it must be > 0"),
    (["stability", "--draws", "0"], "--draws is '0'; it must be a whole number >= 1 "
                                    "(e.g. --draws 1000)"),
    (["stability", "--draws", "-5"], "--draws is '-5'"),
    (["stability", "--concentration", "0"], "--concentration is '0'; it must be > 0"),
    (["stability", "--concentration", "-1"], "--concentration is '-1'; it must be > 0"),
    (["stability", "--concentration", "nan"], "--concentration is 'nan'; it must be a finite"),
    (["stability", "--concentration", "inf"], "--concentration is 'inf'; it must be a finite"),
    (["stability", "--seed", "-1"], "--seed is '-1'; it must be a whole number >= 0"),
    (["data", "build", "--resolution", "0"], "--resolution is '0'; it must be > 0"),
    (["data", "build", "--resolution", "-100"], "--resolution is '-100'; it must be > 0"),
    (["data", "build", "--resolution", "nan"], "--resolution is 'nan'; it must be a finite"),
    (["data", "build", "--resolution", "7"], "--resolution is '7'; it must be >= 10 m (a 7 m "
                                             "grid of GB is 17.9 G cells"),
    (["data", "build", "--resolution", "1"], "a 1 m grid of GB is 875 G cells, ~3.2 TiB per "
                                             "float32 layer"),
    (["data", "build", "--resolution", "7000"], "must split into whole cells"),
    (["screenshot", "a.html", "b.png", "--width", "0"], "--width is '0'; it must be a whole "
                                                        "number >= 1"),
    (["screenshot", "a.html", "b.png", "--height", "-5"], "--height is '-5'"),
    (["run", "--weight", "dist_ixp_km=inf"], "--weight dist_ixp_km is 'inf'; it must be a "
                                             "finite number (e.g. --weight dist_ixp_km=2)"),
    (["run", "--weight", "dist_ixp_km=nan"], "--weight dist_ixp_km is 'nan'"),
    (["run", "--weight", "dist_ixp_km=-1"], "--weight dist_ixp_km is '-1'; it must be >= 0"),
    (["run", "--weight", "=3"], "--weight '=3' is not NAME=NUMBER"),
    (["run", "--weight", " =3"], "--weight ' =3' is not NAME=NUMBER"),
    (["run", "--weight", "dist_ixp_km=1", "--weight", "dist_ixp_km=2"],
     "--weight dist_ixp_km is given twice (1 and 2); give each criterion once"),
    # argparse's own errors, one line naming the command
    (["run", "--bogus"], "error: growthzones run: unrecognized arguments: --bogus (see "
                         "growthzones run --help)"),
    (["run", "--top"], "growthzones run: argument --top: expected one argument"),
    (["rn"], "growthzones: argument command: invalid choice: 'rn'"),
    ([], "growthzones: the following arguments are required: command"),
    (["compare", "a.toml"], "compare needs scenario B, --weight/--theme overrides that make B from A"),
    (["run", "--theme", "grid_capacty=2"], "--theme: unknown theme 'grid_capacty'. Did you "
                                           "mean 'grid_capacity'?"),
    (["run", "--theme", "water=-1"], "--theme water is '-1'; it must be >= 0"),
    (["compare", "a.toml", "--theme", "water"], "--theme 'water' is not NAME=NUMBER"),
    (["run", "--within", "Leeds", "--sites", "x.csv"], "--within picks sites inside an area; "
                                                       "with --sites"),
    (["data"], "growthzones data: the following arguments are required: data_command"),
    (["data", "build", "--nope"], "growthzones data build: unrecognized arguments: --nope"),
])
def test_bad_flags_exit_2_with_one_line_before_any_work(argv, message, calls, capsys):
    assert cli.main(argv) == 2
    assert message in _one_line_error(capsys)
    assert calls == []  # no command ran


def test_several_bad_flags_are_reported_together(calls, capsys):
    assert cli.main(["stability", "--draws", "x", "--seed", "-2", "--concentration", "0"]) == 2
    line = _one_line_error(capsys)
    assert "--draws is 'x'" in line and "--seed is '-2'" in line and "--concentration" in line


def test_good_flags_reach_the_command_converted(calls):
    assert cli.main(["stability", "--top", "5", "--draws", "1e3", "--concentration", "20",
                     "--seed", "7", "--weight", "dist_ixp_km=2"]) == 0
    (name, args), = calls
    assert name == "cmd_stability"
    assert (args.top, args.draws, args.concentration, args.seed) == (5, 1000, 20.0, 7)
    assert cli.main(["run", "--min-separation-km", "12.5"]) == 0
    assert calls[-1][1].min_separation_km == 12.5 and calls[-1][1].top is None
    assert cli.main(["data", "build", "--resolution", "500", "--out", "x"]) == 0
    assert calls[-1][1].resolution == 500.0 and calls[-1][1].argv == ["--resolution", "500",
                                                                       "--out", "x"]
    assert cli.main(["screenshot", "a.html", "b.png"]) == 0
    assert (calls[-1][1].width, calls[-1][1].height) == (1400, 1000)


def test_help_exits_0(capsys):
    assert cli.main(["run", "--help"]) == 0
    assert "--min-separation-km" in capsys.readouterr().out


def test_errors_interrupts_and_bugs_from_a_command(monkeypatch, capsys):
    from growthzones._errors import InputError

    def raise_(exc):
        def f(args):
            raise exc
        return f

    monkeypatch.setattr(cli, "cmd_criteria", raise_(InputError("top is 0;\n  it must be >= 1")))
    assert cli.main(["criteria"]) == 2
    assert _one_line_error(capsys) == "error: top is 0; it must be >= 1"
    monkeypatch.setattr(cli, "cmd_criteria", raise_(KeyboardInterrupt()))
    assert cli.main(["criteria"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"
    monkeypatch.setattr(cli, "cmd_criteria", raise_(ZeroDivisionError("a bug")))
    with pytest.raises(ZeroDivisionError):  # a bug keeps its traceback
        cli.main(["criteria"])


def test_criteria_with_a_missing_store_exits_2(tmp_path, capsys):
    assert cli.main(["criteria", "--store", str(tmp_path / "no" / "such" / "store")]) == 2
    assert "no layer store" in _one_line_error(capsys)


def test_an_odd_scenario_name_is_data(tmp_path, calls):
    p = tmp_path / "odd.toml"
    p.write_text('name = "<script>\\u0000 ; rm -rf /"\n[criteria.dist_ixp_km]\nweight = 1\n')
    import growthzones as gz

    assert gz.load_scenario(p).name == "<script>\x00 ; rm -rf /"
    assert cli.main(["run", "--scenario", str(p)]) == 0


def test_explore_writes_the_page_and_refuses_a_file_as_out(tmp_path, capsys):
    from growthzones.cli import main

    assert main(["explore", "--out", str(tmp_path / "ex")]) == 0
    page = (tmp_path / "ex" / "explorer.html").read_text("utf-8")
    assert "gzExplorer" in page and len(page) < 10_000_000
    (tmp_path / "f").write_text("x")
    capsys.readouterr()
    assert main(["explore", "--out", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: --out") and (tmp_path / "f").read_text() == "x"


@pytest.mark.parametrize("env, want", [(None, False), ("1", True)])
def test_the_command_line_asks_for_no_huge_pages_unless_told_to(env, want, monkeypatch):
    import numpy as np

    from growthzones import cli

    ma = np._core.multiarray
    before = ma._get_madvise_hugepage()
    try:
        ma._set_madvise_hugepage(True)  # numpy's default on Linux
        if env is None:
            monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
        else:
            monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", env)
        assert cli.main(["criteria"]) == 0
        assert ma._get_madvise_hugepage() is want
        assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == ("0" if env is None else env)
    finally:
        ma._set_madvise_hugepage(before)
