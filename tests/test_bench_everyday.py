"""The README's speed table is regenerated from bench_everyday's figures, between markers."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_everyday as be  # noqa: E402  (the benchmarks folder, added above)


def figures(run_wall: float) -> dict:
    return {"runs": 3, "load_before": "0.50 0.40 0.30", "load_after": "0.60 0.40 0.30",
            "run": {"wall": run_wall, "cpu": 3.5, "map_mb": 9.1, "first": 4.1},
            "kernels": {"criteria": 21, "stability_runs": 3, "stability": 0.42,
                        "stability_plain": 0.12, "wlc re-score": 0.0013,
                        "topsis re-score": 0.003, "owa re-score": 0.0037,
                        "owa kernel 15": 0.0017},
            "sites": {1000: (6.7, 0.51, 0), 10000: "run failed: ['boom']"}}


def test_the_readme_has_one_generated_speed_table():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = be.readme_block(figures(2.5))
    new = be.replace_readme_block(text, block)
    assert new.count(be.README_START) == 1 and block in new
    # everything outside the block is kept
    head, tail = text.split(be.README_START)[0], text.split(be.README_END)[1]
    assert new.startswith(head) and new.endswith(tail)


def test_the_table_says_what_was_measured_and_which_targets_are_met():
    met = be.readme_block(figures(2.5))
    # the first run on a machine (disk cache empty) beside the median of those after it
    assert "| 2.50 s / 3.50 s (4.10 s) | ≤ 3 s |" in met
    assert "1.3 / 3.0 / 3.7 ms" in met and "0.42 s (0.12 s)" in met
    # a failed site run is left out of the figure; unmeasured parts are named
    assert "with 1,000 user sites" in met and "10,000 user sites" not in met
    assert "not measured in this run: explorer, 100 m peaks" in met
    assert "| ≤ 3 s: not yet met |" in be.readme_block(figures(3.2))


def test_a_readme_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="speed-table"):
        be.replace_readme_block("# no table here\n", "x")
