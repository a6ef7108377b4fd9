"""growthzones.io: source workbooks read with calamine give openpyxl's frames."""

import importlib.util

import pandas as pd

from growthzones.io import read_workbook
from growthzones.layers.grid_capacity import retired


def test_a_workbook_reads_the_same_with_calamine_and_with_openpyxl(sources, monkeypatch):
    path, sheets = sources.path("dukes_5_11"), [retired.DUKES_CHANGES_SHEET,
                                                *retired.DUKES_LIST_SHEETS]
    fast = read_workbook(path, sheet_name=sheets, header=5)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",  # as if calamine were not installed
                        lambda name, *a: None if name == "python_calamine" else real(name, *a))
    slow = read_workbook(path, sheet_name=sheets, header=5)
    assert list(fast) == list(slow) == sheets and len(fast[sheets[1]]) > 100
    for name in sheets:
        pd.testing.assert_frame_equal(fast[name], slow[name])
