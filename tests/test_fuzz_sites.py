"""Property-based tests: read_sites on hostile CSV files (issue #9).

Whatever a user's file holds, ``read_sites`` either returns every row in EPSG:27700, each
named by a string, the usable ones at a point in Great Britain and the others flagged with
a one-line reason and no point, or raises :class:`SitesError` (no usable row). Nothing
else: no other exception, no NaN or off-GB point, no non-string name, no row dropped.

The number of examples comes from the hypothesis profile that ``tests/conftest.py``
loads (``ci`` or ``long``) when one is registered; otherwise it is bounded here so the
file runs in well under 15 s.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import growthzones as gz
from growthzones.grid import GB_BOUNDS
from growthzones.sites.reading import READ_COLUMNS


def bounded(max_examples: int):
    """Settings for one test: the conftest profile's example count when it registers the
    project's profiles (``long`` is ours; Hypothesis itself ships a ``ci`` one), else
    ``max_examples`` so that this file stays fast."""
    try:
        settings.get_profile("long")
        return settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    except InvalidArgument:
        return settings(max_examples=max_examples, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow])


ALIASES = ["easting", "northing", "lon", "lat", "name", "Name", "EASTING", "Lat", " lon ",
           "latitude", "Longitude", "lng", "x", "y", "postcode", "Post Code", "Site Name", "id"]
JUNK_HEADERS = ["town", "", "x y", "=cmd|' /C calc'!A0", "名前", "geometry", "id", "lat.1"]
HOSTILE = ["", " ", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e400", "0x10", "1,5",
           "=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", "=HYPERLINK(\"http://x\",\"y\")",
           "{{ 7*7 }}", "${7*7}", "<script>alert(1)</script>", "Caerdydd ☃", "\u202eevil",
           "'quoted'", "\"", "NULL", "None", "true"]


def _num(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.6f}")


CELLS = st.one_of(
    _num(0, 700_000), _num(0, 1_250_000),  # BNG metres in GB (mostly on land or sea)
    _num(-8.5, 1.8), _num(49.9, 60.8),  # lon / lat in GB
    _num(-1e7, 1e7),  # anywhere, metres or degrees
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(HOSTILE),
    st.text(max_size=12),
)
HEADER = st.lists(st.one_of(st.sampled_from(ALIASES), st.sampled_from(JUNK_HEADERS),
                            st.text(max_size=8)), min_size=1, max_size=6)


GOOD = {"easting": _num(0, 700_000), "northing": _num(0, 1_250_000),
        "lon": _num(-6, 1.5), "lat": _num(50.2, 58.5)}


@st.composite
def csv_tables(draw):
    """A header (maybe holding a coordinate pair, in any case and order) and rows whose
    coordinate cells are usually, not always, good."""
    pair = draw(st.sampled_from([("easting", "northing"), ("lon", "lat"), None]))
    header = draw(HEADER)
    if pair is not None:
        header = header + [draw(st.sampled_from([c, c.upper(), c.title()])) for c in pair]
        header = draw(st.permutations(header))
    cells = [st.one_of(GOOD[h.lower()], GOOD[h.lower()], GOOD[h.lower()], CELLS)
             if pair and h.lower() in pair else CELLS for h in header]
    rows = draw(st.lists(st.tuples(*cells).map(list), max_size=6))
    return header, rows


def _write(text_or_rows, header=None) -> Path:
    f = Path(tempfile.mkdtemp(prefix="gz-fuzz-")) / "sites.csv"
    with open(f, "w", newline="", encoding="utf-8", errors="surrogatepass") as fh:
        if header is None:
            fh.write(text_or_rows)
        else:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(text_or_rows)
    return f


def _check(path: Path):
    try:
        sites = gz.read_sites(path)
    except gz.SitesError as exc:
        line = exc.one_line()
        assert line and "\n" not in line
        return None
    assert sites.crs is not None and sites.crs.to_epsg() == 27700
    assert len(sites) >= 1 and list(sites.columns[:4]) == list(READ_COLUMNS)
    assert all(isinstance(n, str) and n for n in sites["name"])
    assert sites["input_row"].tolist() == list(range(1, len(sites) + 1))
    bad = sites["problem"] != ""
    assert (~bad).any()  # a file with no usable row is refused, not returned
    assert sites.geometry[bad].isna().all()  # a bad row is kept, flagged, without a point
    assert all(isinstance(p, str) and "\n" not in p for p in sites["problem"])
    good = sites[~bad]
    x, y = good.geometry.x.to_numpy(), good.geometry.y.to_numpy()
    xmin, ymin, xmax, ymax = GB_BOUNDS
    assert np.isfinite(x).all() and np.isfinite(y).all()
    assert ((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)).all()
    return sites


@bounded(50)
@given(csv_tables())
def test_read_sites_returns_gb_sites_or_a_sites_error(table):
    header, rows = table
    try:
        path = _write(rows, header)
    except UnicodeEncodeError:  # a lone surrogate cannot be a file's text: not a CSV
        return
    sites = _check(path)
    if sites is not None:  # nothing dropped silently: every row comes back
        assert len(sites) == len(rows)


@bounded(50)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_read_sites_on_line_noise(text):
    _check(_write(text))


@bounded(25)
@given(st.lists(st.tuples(_num(100_000, 600_000), _num(100_000, 900_000),
                          st.sampled_from(HOSTILE[10:] + ["Leeds"])), min_size=1, max_size=5))
def test_formula_like_names_come_back_as_written(rows):
    # only rows on land or sea inside GB bounds are written, so every file is accepted
    path = _write([[n, x, y] for x, y, n in rows], ["name", "easting", "northing"])
    sites = _check(path)
    assert sites is not None
    want = [n.strip() or f"site {i + 1}" for i, (_, _, n) in enumerate(rows)]
    assert sites["name"].tolist() == want
    np.testing.assert_allclose(sites.geometry.x, [float(r[0]) for r in rows])


@pytest.mark.parametrize("cell", ["1e308", "-1e308", "1e400", "inf", "nan"])
def test_extreme_numbers_are_a_named_row_error(tmp_path, cell):
    f = tmp_path / "s.csv"
    f.write_text(f"name,easting,northing\nA,430000,{cell}\n")
    with pytest.raises(gz.SitesError, match=r"row 1 \('A'\)"):
        gz.read_sites(f)
