"""The theme contract of grid capacity: read once, on_block per block, counts, tables, reference.

Real-data tests at 1 km reuse the session's reads (tests/conftest.py memoises
``read_sources`` and ``network_features``); the 100 m test builds the base of one small
block from the national small-area polygons.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import assert_blocks_match

from growthzones.grid import BNG, GridSpec
from growthzones.layers import grid_capacity as gc

#: Criteria that are NaN on land outside their operators' areas.
_AREA_ONLY = ("dno_queue_mw", "distribution_headroom_mva", "dno_demand_headroom_mva",
              "gsp_import_limit_mw")


@pytest.fixture(scope="module")
def features(sources):
    return gc.read(sources)


def test_blocks_stitched_equal_the_whole_grid(features, base_1km):
    # one cut through London (y = 180 km), where the reach of the three radius criteria
    # (TEC queue 20 km, retired plant 5 km, UKPN headroom 15 km) crosses it
    h = base_1km.grid.shape[0]
    r = int(base_1km.grid.rowcol([530_000.0], [180_000.0])[0][0])
    whole = assert_blocks_match(gc.on_block, features, base_1km, rows=(0, 0.37, r / h, 1.0))
    others = [s for s in gc.SNAPSHOTS if s != gc.snapshot_of(gc.NETWORK_YEAR)]
    assert set(whole) == set(gc.CRITERIA) | {f"{n}@{s}" for n in gc.NETWORK_YEAR_CRITERIA
                                             for s in others}
    for name in ("tec_queue_mw", "retired_capacity_mw", "distribution_headroom_mva"):
        a = whole[name]
        assert ((a[r - 1] > 0) & (a[r] > 0)).any(), name


def test_features_are_picklable_grid_free_and_lean(features, base_1km):
    blob = pickle.dumps(features)
    assert len(blob) < 50e6
    back = pickle.loads(blob)
    block = base_1km.block(slice(600, 640), slice(400, 450))
    a, b = gc.on_block(features, block), gc.on_block(back, block)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)

    def arrays(obj):
        if isinstance(obj, dict):
            for v in obj.values():
                yield from arrays(v)
        elif isinstance(obj, np.ndarray):
            yield obj

    # no raster at the build resolution, and none of the raw frames on_block does not need
    assert all(a.ndim < 2 or a.shape[1] == 2 for a in arrays(features))
    assert not {"register", "gppd", "dukes", "ukpn_raw", "osm_vertices", "sites"} & set(features)


def test_read_reads_each_grid_source_once_and_nothing_after_it_reads(sources, monkeypatch):
    from conftest import computed_afresh

    fresh = type(sources)(sources.root)
    calls = []
    read_sources = gc.read_sources
    monkeypatch.setattr(gc, "read_sources", lambda s: calls.append(s) or read_sources(s))
    with computed_afresh():  # the session's memoised read does not answer
        f = gc.read(fresh)
        requested = list(fresh.requested)
        assert len(requested) == len(set(requested)) and "etys_2024" in requested
        # everything after read works from the features alone
        gc.counts(f, {})
        gc.tables(f)
        gc.reference(f)
    assert len(calls) == 1 and fresh.requested == requested


def test_reference_and_tables_from_features_equal_the_raw_ones(features, grid_capacity_raw,
                                                               grid_capacity_features):
    import json

    import geopandas as gpd

    # what reference(sources) gave before: the substations of a second read of the sources
    subs = gc.transmission_substations(grid_capacity_raw)
    pts = gpd.GeoDataFrame(subs[["name", "kv"]],
                           geometry=gpd.points_from_xy(subs["x"], subs["y"]), crs=BNG)
    pts = pts.to_crs(4326)
    pts["geometry"] = pts.geometry.set_precision(1e-5)
    made = gc.reference(features)
    assert made["substations"][0] == json.loads(pts.to_json(drop_id=True))
    assert made["substations"][1] == tuple(gc.CRITERIA["dist_transmission_km"].sources)
    # the network-year tables, from the lean features and from the raw frames
    new, old = gc.tables(features), gc.network_year_tables(grid_capacity_raw,
                                                           grid_capacity_features)
    assert set(new) == set(old)
    for k in old:
        pd.testing.assert_frame_equal(new[k], old[k], obj=k)


def test_counts_fill_every_coverage_placeholder(features):
    counts = gc.counts(features, {})
    for name, crit in gc.CRITERIA.items():
        text = crit.coverage_text(counts.get(name))
        assert "…" not in text and "{" not in text, name
    tec = counts["tec_queue_mw"]
    assert 0 < tec["placed_pct"] < 100 and 0 < tec["node_pct"] < 100 - tec["placed_pct"]
    # the examples are unplaced connection sites, named without their voltage
    assert tec["examples"] and "kV" not in tec["examples"]
    assert 55 < counts["dist_transmission_line_km"]["north_lat"] < 61


def test_site_label_drops_voltage_and_substation():
    from growthzones.layers.grid_capacity.coverage import _site_label

    assert _site_label("Branxton 400/132KV Substation") == "Branxton"
    assert _site_label("New Deer 2 400kV Substation") == "New Deer 2"
    assert _site_label("Eolfi Offshore Substation") == \
        "Eolfi Offshore Substation"


def test_100m_block_around_a_substation_is_finite_on_land(features, base_1km,
                                                          grid_capacity_features,
                                                          grid_capacity_1km):
    rats = grid_capacity_features["sites"].set_index("site_code").loc["RATS"]  # Ratcliffe
    national = GridSpec(resolution=100)
    r, c = national.rowcol([rats["x"]], [rats["y"]])
    block = national.block(slice(int(r[0]) - 30, int(r[0]) + 30),
                           slice(int(c[0]) - 30, int(c[0]) + 30))
    import geopandas as gpd

    from growthzones.layers.base import build_base

    # the block's base, rasterised at 100 m from the national small-area polygons
    base = build_base(gpd.GeoDataFrame(base_1km.areas, geometry=base_1km.shapes, crs=BNG),
                      block)
    assert base.land.mean() > 0.9
    whole = assert_blocks_match(gc.on_block, features, base)
    for name, arr in whole.items():
        assert arr.shape == (60, 60) and arr.dtype == np.float32, name
        assert np.isnan(arr[~base.land]).all(), name
        if name not in _AREA_ONLY:
            assert np.isfinite(arr[base.land]).all(), name
    # the substation is in the block: the nearest cell centre is within a half diagonal
    assert np.nanmin(whole["dist_transmission_km"]) <= 0.1 * np.sqrt(0.5) + 1e-6
    # and the 100 m values agree with the 1 km ones at the same point within the cell size
    km = base_1km.grid.sample(grid_capacity_1km["dist_transmission_km"], [rats["x"]],
                              [rats["y"]])[0]
    m100 = block.sample(whole["dist_transmission_km"], [rats["x"]], [rats["y"]])[0]
    assert abs(km - m100) < 1.0


def test_a_blocks_snapshots_share_their_repeated_nearest_point_queries(features, base_1km,
                                                                      monkeypatch):
    """Snapshots with the same points (GB: transmission sites and nodes change in two of
    five) are queried once per block, with the values of a query per snapshot."""
    from growthzones.layers.grid_capacity import cells

    block = base_1km.block(slice(500, 700), slice(300, 500))
    grid, land = block.grid, block.land
    calls = []
    for name in ("distance_to_points", "nearest_point_index"):
        real = getattr(cells, name)
        monkeypatch.setattr(cells, name, lambda xy, *a, _r=real, _n=name:
                            (calls.append((_n, np.asarray(xy).tobytes())), _r(xy, *a))[1])
    out = gc.on_block(features, block)
    assert len(calls) == len(set(calls))  # no point set queried twice in the block
    for snap, yf in features["years"].items():  # each snapshot's values: its own query
        alone = cells.year_criteria_on_grid(yf, grid, land)
        for name, values in alone.items():
            np.testing.assert_array_equal(out[f"{name}@{snap}"], values, err_msg=name)
    shared = [k for k in ("transmission_xy", "node_xy")
              if any(np.array_equal(yf[k], features[k]) for yf in features["years"].values())]
    assert shared  # the real snapshots do repeat points, so the sharing is exercised
