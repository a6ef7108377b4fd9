"""Water for cooling: distance to major rivers and to large wastewater works."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import value_at as at

from growthzones.catalog import catalog
from growthzones.layers import water


@pytest.fixture(scope="module")
def water_1km(sources, base_1km):
    return water.build(sources, base_1km.grid, base_1km)



def test_large_works_uses_capacity_then_load_and_drops_ni_and_inactive():
    w = pd.DataFrame({
        "nation": ["England", "Northern Ireland", "Scotland", "Wales", "Wales"],
        "state_last_report": ["active", "active", "active", "inactive", "active"],
        "capacity_pe": [150e3, 200e3, np.nan, 300e3, 99_999],
        "load_entering_pe": [90e3, 150e3, 120e3, 250e3, 500e3],
    })
    got = water.large_works(w)
    # Row 0 by capacity; row 2 by load (no capacity); row 4 has a capacity under 100k,
    # which wins over its load.
    assert got.index.tolist() == [0, 2]
    assert got["size_pe"].tolist() == [150e3, 120e3]


def test_criteria_declare_units_and_catalogued_sources():
    cat = catalog()
    for crit in water.CRITERIA.values():
        assert crit.layer == "water" and crit.unit == "km" and crit.direction == "min"
        assert crit.coverage and all(s in cat for s in crit.sources)
    # The EA water-stress table has no polygons to map: it must not pose as a criterion.
    assert not any("stress" in name for name in water.CRITERIA)


def test_real_works_and_rivers_are_read(sources):
    works = water.large_works(water.read_works(sources.path("uwwtd_works")))
    assert len(works) == 173
    assert works["nation"].value_counts().to_dict() == {"England": 145, "Scotland": 18,
                                                        "Wales": 10}
    rivers = water.read_rivers(sources.path("rivers_gb"))
    assert len(rivers) == 131 + 13        # WDB II segments + NE rivers, canal dropped


def test_build_distances_at_known_places(water_1km, base_1km, sources):
    for arr in water_1km.values():
        assert np.isfinite(arr[base_1km.land]).all() and np.isnan(arr[~base_1km.land]).all()
    # Minworth (Birmingham), one of the largest works, is inland: its own cell is at most
    # half a cell diagonal (0.71 km) from it.
    works = water.read_works(sources.path("uwwtd_works"))
    minworth = works[works["uww_name"].str.contains("MINWORTH", case=False)].iloc[0]
    assert minworth["capacity_pe"] > 1e6
    assert at(water_1km, base_1km, "dist_large_wwtw_km", minworth["x"], minworth["y"]) < 0.71
    # Covent Garden is 1 km from the Thames; Lerwick (Shetland) is far from any river line.
    assert at(water_1km, base_1km, "dist_major_river_km", 530_500, 181_000) < 2
    assert at(water_1km, base_1km, "dist_major_river_km", 447_500, 1_141_500) > 100


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(water, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_on_block_is_the_same_on_any_block(sources, base_1km):
    from conftest import assert_blocks_match

    whole = assert_blocks_match(water.on_block, water.read(sources), base_1km)
    built = water.build(sources, base_1km.grid, base_1km)
    for name, arr in whole.items():  # build is the whole-grid wrapper of read + on_block
        np.testing.assert_array_equal(arr, built[name], err_msg=name)


def test_a_25_m_block_measures_to_the_lines_within_a_quarter_cell(sources):
    """At 25 m the river lines are sampled every 12.5 m, so a distance overstates the
    distance to the line by at most 6.25 m (a quarter cell), never understates it."""
    import pickle

    from growthzones.blocks import SmallAreas, block_base
    from growthzones.grid import GridSpec
    from growthzones.layers.base import read_small_areas

    feats = water.read(sources)
    # central London, across the Thames
    grid = GridSpec(resolution=25).block(slice(42_700, 42_900), slice(21_100, 21_300))
    small = SmallAreas.from_frame(read_small_areas(sources))
    base = block_base(small, grid)
    assert base.land.any()
    out = water.on_block(feats, base)
    # brute force: the distance to the lines themselves, in km
    import shapely

    rows, cols = np.nonzero(base.land)
    x, y = grid.xy(rows, cols)
    lines = shapely.union_all(np.asarray(feats.rivers))
    exact = shapely.distance(shapely.points(x, y), lines) / 1000
    got = out["dist_major_river_km"][rows, cols]
    assert np.all(got >= exact - 1e-6) and np.all(got <= exact + 0.00625 + 1e-6)
    # the rivers' KD-tree is a per-process cache: not pickled to a worker
    assert feats.river_points._trees
    assert not pickle.loads(pickle.dumps(feats)).river_points._trees


def test_real_counts_fill_the_coverage_texts(sources):
    f = water.read(sources)
    got = water.counts(f)
    works = water.large_works(water.read_works(sources.path("uwwtd_works")))
    assert got["dist_large_wwtw_km"] == {"works": len(works)}
    rivers = got["dist_major_river_km"]
    assert rivers["segments"] + rivers["named"] == len(f.rivers) and rivers["named"] > 0
    for name, figures in got.items():
        text = water.CRITERIA[name].coverage_text(figures)
        assert "…" not in text and all(str(v) in text for v in figures.values())
