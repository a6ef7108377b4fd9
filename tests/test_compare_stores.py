"""benchmarks/compare_stores.py: two stores cell by cell, two rankings row by row
(small fixture stores written here, not layers)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import compare_stores as cs  # noqa: E402  (the benchmarks folder, added above)


def write_layer(path: Path, values: np.ndarray) -> None:
    import rasterio
    from rasterio.transform import from_origin

    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float32", nodata=np.nan,
                       transform=from_origin(0, 400, 100, 100), crs="EPSG:27700") as f:
        f.write(values.astype(np.float32), 1)


def stores(tmp_path):
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    base[0, 0] = np.nan
    for side in "ab":
        write_layer(tmp_path / side / "layers" / "dist_km.tif", base)
    changed = base.copy()
    changed[2, 3] += 0.5   # one cell moved
    changed[1, 1] = np.nan  # one cell not assessed in b only
    write_layer(tmp_path / "a" / "layers" / "share_pct.tif", base)
    write_layer(tmp_path / "b" / "layers" / "share_pct.tif", changed)
    write_layer(tmp_path / "a" / "layers" / "old_only.tif", base)
    return tmp_path / "a", tmp_path / "b"


def test_layers_are_compared_cell_by_cell(tmp_path):
    a, b = stores(tmp_path)
    rows, only_a, only_b = cs.layer_differences(a, b)
    by = {r["name"]: r for r in rows}
    assert by["dist_km"] == {"name": "dist_km", "cells": 11, "differ": 0, "max_abs": 0.0,
                             "nan_mismatch": 0}
    assert by["share_pct"]["differ"] == 1 and by["share_pct"]["max_abs"] == 0.5
    assert by["share_pct"]["nan_mismatch"] == 1 and by["share_pct"]["cells"] == 10
    assert only_a == ["old_only"] and only_b == []
    assert cs.main([str(a), str(b)]) == 1
    assert cs.main([str(a), str(a)]) == 0


def test_rankings_side_by_side_name_each_column_that_differs(tmp_path, capsys):
    a, _ = stores(tmp_path)
    rank = pd.DataFrame({"rank": [1, 2], "name": ["Wilton", "Grain"],
                         "easting": [456950.0, 588150.0], "northing": [520550.0, 175450.0],
                         "score": [0.86, 0.77], "notes": ["near Hunterston North", "x"]})
    (tmp_path / "ra").mkdir()
    (tmp_path / "rb").mkdir()
    rank.to_csv(tmp_path / "ra" / "ranking.csv", index=False)
    other = rank.copy()
    other.loc[1, "notes"] = "y"
    other.to_csv(tmp_path / "rb" / "ranking.csv", index=False)
    top, cols = cs.ranking_differences(tmp_path / "ra", tmp_path / "rb", 20)
    assert [r["same_cell"] for r in top] == [True, True]
    assert [r["score_diff"] for r in top] == [0.0, 0.0]
    assert cols == {"notes": [2]}
    assert cs.main([str(a), str(a), "--runs", str(tmp_path / "ra"), str(tmp_path / "rb")]) == 1
    assert "column 'notes' differs at rank(s) [2]" in capsys.readouterr().out
    assert cs.main([str(a), str(a), "--runs", str(tmp_path / "ra"), str(tmp_path / "ra")]) == 0
