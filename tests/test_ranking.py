"""Ranking places: distinct sites picked from the surface, named, with a breakdown."""

import numpy as np
import pandas as pd
import pytest
from conftest import make_fixture_store

import growthzones as gz
from growthzones.grid import GridSpec
from growthzones.ranking import name_places, pick_separated, pick_separated_fast, region_areas_km2


def test_pick_separated_skips_near_neighbours():
    xy = np.array([[0, 0], [1000, 0], [30_000, 0], [31_000, 0], [60_000, 0]], float)
    kept = pick_separated(xy, np.arange(5), top=10, min_separation_m=25_000)
    assert kept == [0, 2, 4]
    assert pick_separated(xy, np.array([1, 0, 3, 2, 4]), top=2,
                          min_separation_m=25_000) == [1, 3]


def test_name_places_prefers_a_close_town():
    places = pd.DataFrame({"name": ["Bigcity", "Smalltown"], "population": [500_000, 20_000],
                           "easting": [0.0, 14_000.0], "northing": [0.0, 0.0]})
    assert name_places(places, np.array([13_500.0]), np.array([0.0])) == ["near Smalltown"]
    assert name_places(places, np.array([2_000.0]), np.array([0.0])) == ["near Bigcity"]
    # nothing within the radius: the nearest place still names it
    assert name_places(places, np.array([100_000.0]), np.array([0.0])) == ["near Smalltown"]


def test_sites_are_ranked_by_score_and_tie_broken_by_position():
    # FIXTURE: a 1 x 4 strip with a tie between the two middle cells
    store = make_fixture_store({"employment_deprivation_pct": np.array([[1.0, 3.0, 3.0, 2.0]])})
    sc = gz.parse_scenario({"criteria": {"employment_deprivation_pct": {"weight": 1}}})
    sites = gz.rank_sites(gz.score(store, sc), top=4, min_separation_km=0.5)
    assert sites["site_id"].tolist() == ["E1N0", "E2N0", "E3N0", "E0N0"]
    assert sites["rank"].tolist() == [1, 2, 3, 4]
    assert (np.diff(sites["score"]) <= 0).all()


@pytest.fixture(scope="module")
def default_sites(store):
    result = gz.score(store, gz.load_scenario())
    return result, gz.rank_sites(result, top=20)


def test_top_sites_are_distinct_real_places(default_sites):
    result, sites = default_sites
    sc = result.scenario
    assert len(sites) == 20
    xy = sites[["easting", "northing"]].to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() > sc.min_separation_km * 1000
    # a named feature within 2 km ("Teesside (former power station)"), else the nearest town
    feats = set(result.store.features["label"]) if result.store.features is not None else set()
    towns = {f"near {n}" for n in result.store.places["name"]}
    assert sites["name"].isin(feats | towns).all()
    assert sites["local_authority"].notna().all()
    assert set(sites["nation"]) <= {"England", "Wales", "Scotland"}
    # lat/lon agree with BNG (GB lies within these bounds)
    assert sites["lat"].between(49.8, 61).all() and sites["lon"].between(-8.7, 2).all()


def test_site_breakdown_adds_up_and_matches_explain(default_sites):
    result, sites = default_sites
    contrib = sites[[f"{n}_contrib" for n in result.weights]].sum(axis=1)
    np.testing.assert_allclose(contrib, sites["score"], atol=1e-5)
    first = sites.iloc[0]
    ex = gz.explain(result, first.easting, first.northing)
    for name in result.weights:
        assert ex.loc[name, "value"] == pytest.approx(first[f"{name}_value"], abs=1e-4)


def test_no_site_in_an_excluded_cell(default_sites, store):
    _result, sites = default_sites
    parks = store.grid.sample(store.layer("national_parks"), sites.easting, sites.northing)
    assert (parks == 0).all()


# --- fast site extraction --------------------------------------------------------------------

def test_pick_separated_matches_a_brute_force_greedy():
    rng = np.random.default_rng(2)
    xy = np.round(rng.random((3000, 2)) * 200) * 1000   # whole km, so exact ties of distance
    want = []                                          # independent, quadratic greedy
    for i, p in enumerate(xy):
        if all(np.hypot(*(p - xy[j])) > 25_000 for j in want):
            want.append(i)
        if len(want) == 40:
            break
    assert pick_separated_fast(xy[:, 0], xy[:, 1], top=40, min_separation_m=25_000) == want


def test_region_areas_match_a_brute_force_count():
    from scipy import ndimage

    rng = np.random.default_rng(1)
    mask = rng.random((60, 80)) > 0.4
    labels, _ = ndimage.label(mask)
    grid = GridSpec(resolution=1000.0, bounds=(0, 0, 80_000, 60_000))
    rows, cols = np.nonzero(mask)
    pick = rng.choice(len(rows), 15, replace=False)
    got = region_areas_km2(labels, rows[pick], cols[pick], grid, 12_500)
    rr, cc = np.indices(mask.shape)
    for g, r, c in zip(got, rows[pick], cols[pick]):
        near = (rr - r) ** 2 + (cc - c) ** 2 <= 12.5 ** 2
        assert g == ((labels == labels[r, c]) & near).sum()


def test_region_areas_from_a_mask_match_those_from_its_labels():
    """Given the boolean mask, the sites' regions are flood-filled from the sites (no
    labelling of the whole grid): the same areas as from ``ndimage.label``'s labels,
    for sites in one region, in none, and regions that leave the window and come back."""
    from scipy import ndimage

    rng = np.random.default_rng(7)
    grid = GridSpec(resolution=1000.0, bounds=(0, 0, 90_000, 70_000))
    for density in (0.45, 0.55, 0.6):
        mask = rng.random(grid.shape) < density
        labels, _ = ndimage.label(mask)
        rows, cols = np.indices(mask.shape)
        pick = rng.choice(mask.size, 25, replace=False)  # some off the mask
        r, c = rows.ravel()[pick], cols.ravel()[pick]
        r, c = np.r_[r, r[:3]], np.r_[c, c[:3]]           # a region met twice
        for radius in (4_500, 12_500):
            want = region_areas_km2(labels, r, c, grid, radius)
            np.testing.assert_array_equal(region_areas_km2(mask, r, c, grid, radius), want)


def test_names_are_the_same_from_the_distance_table_and_the_tree(store, monkeypatch):
    """A few sites are named from a direct distance table, many through a k-d tree:
    the same names (and distances to the nearest feature) either way."""
    from growthzones import ranking
    from growthzones.context import nearest_named

    rng = np.random.default_rng(3)
    land = rng.choice(store.land_index, 300, replace=False)
    r, c = np.divmod(land, store.grid.width)
    x, y = store.grid.xy(r, c)
    x = x + rng.uniform(-400, 400, x.size)
    feats = getattr(store, "features", None)
    # ties: a point equally near several features at one place (the first in the table
    # wins), e.g. substations sharing coordinates
    shared = feats[feats.duplicated(["easting", "northing"], keep=False)]
    x, y = np.r_[x, shared["easting"] + 900.0], np.r_[y, shared["northing"]]
    def names():
        return (name_places(store.places, x, y), name_features(feats, x, y, radius_km=5.0),
                nearest_named(feats, "power station", x, y),
                nearest_named(feats, "substation", x, y)[0])

    table = names()
    monkeypatch.setattr(ranking._Neighbours, "DIRECT_PAIRS", 0)
    tree = names()
    assert table[:2] == tree[:2] and table[2][0] == tree[2][0] and table[3] == tree[3]
    assert len(shared)
    np.testing.assert_allclose(table[2][1], tree[2][1])
    assert len(set(table[0])) > 50 and sum(n is not None for n in table[1]) > 5


# --- issue #13: sites named after what makes them ------------------------------------------

from growthzones.ranking import name_features  # noqa: E402

_FEATURES = pd.DataFrame({  # FIXTURE: hand-placed features on a line
    "label": ["Oldtown (former power station)", "Big Works (steelworks)",
              "Near Works (cement works)", "Hub (400 kV substation)"],
    "tier": [1, 2, 2, 4],
    "easting": [0.0, 500.0, 300.0, 100.0], "northing": [0.0, 0.0, 0.0, 0.0]})


def test_name_features_precedence_then_distance():
    # a power station 1.5 km away beats a substation 0.1 km away (tier first)
    assert name_features(_FEATURES, [1500.0], [0.0]) == ["Oldtown (former power station)"]
    # without the station, the nearer of two works wins over the substation
    no_station = _FEATURES.iloc[1:]
    assert name_features(no_station, [0.0], [0.0]) == ["Near Works (cement works)"]
    # only the substation within 2 km
    assert name_features(_FEATURES.iloc[3:], [2000.0], [0.0]) == ["Hub (400 kV substation)"]
    # nothing within 2 km: None (the town names it)
    assert name_features(_FEATURES, [5000.0], [0.0]) == [None]
    assert name_features(None, [0.0], [0.0]) == [None]
    # a row without a label (a works known only by its company) names nothing
    unlabelled = pd.concat([_FEATURES, pd.DataFrame({
        "label": [""], "tier": [1], "easting": [1500.0], "northing": [0.0]})])
    assert name_features(unlabelled, [1500.0], [0.0]) == ["Oldtown (former power station)"]


def test_a_store_without_features_names_sites_after_towns():
    store = make_fixture_store({"employment_deprivation_pct": np.array([[1.0, 2.0]])})
    sc = gz.parse_scenario({"criteria": {"employment_deprivation_pct": {"weight": 1}}})
    sites = gz.rank_sites(gz.score(store, sc), top=1)
    assert sites["name"].tolist() == ["near Fixtureton"]
    store.features = _FEATURES.assign(easting=1500.0, northing=500.0)
    sites = gz.rank_sites(gz.score(store, sc), top=1)
    assert sites["name"].tolist() == ["Oldtown (former power station)"]


def test_real_top_sites_are_named_after_their_former_power_stations(default_sites):
    result, sites = default_sites
    assert result.store.features is not None, "the embedded store lacks features.csv"
    # the default scenario's best site is on the former Teesside power station's ground
    assert sites["name"].iloc[0] == "Teesside (former power station)"
    named = sites.set_index("name")
    assert "Ratcliffe-on-Soar (former power station)" in named.index
    r = named.loc["Ratcliffe-on-Soar (former power station)"]
    # the register's Ratcliffe point (GEM plant position), within 2 km of the site's cell
    assert np.hypot(r["easting"] - 450139, r["northing"] - 330199) <= 2000
    assert r["local_authority"] == "Rushcliffe"


def test_rank_sites_and_explain_read_raw_values_only_at_their_cells(store, monkeypatch):
    """Issue #17 item 5: on a grid too large to keep its layers (100 m, here the 1 km
    store told so), picking and explaining the sites reads no whole raster after
    scoring: the raw values come through windows at the sites' cells, and no national
    contribution vector is computed."""
    import growthzones as gz
    import growthzones.store as store_module
    from growthzones.scoring import explain

    monkeypatch.setattr(store_module, "RESIDENT_CELLS", 0)
    fresh = gz.load_layers(store.path)
    result = gz.score(fresh, gz.load_scenario())
    whole, windows = [], []
    read, read_cells = type(fresh.layers).read, type(fresh.layers).read_cells
    monkeypatch.setattr(type(fresh.layers), "read",
                        lambda self, name: whole.append(name) or read(self, name))
    monkeypatch.setattr(type(fresh.layers), "read_cells",
                        lambda self, name, *a: windows.append(name) or read_cells(self, name, *a))
    sites = gz.rank_sites(result, top=5)
    one = explain(result, sites.iloc[0])
    assert whole == [], "a whole raster was read for the sites"
    assert set(result.weights) <= set(windows)                # their raw values, by window
    assert result.contributions._done == {} and result.values._done == {}
    # the same values as the whole rasters give
    g = store.grid
    flat = ((g.bounds[3] - sites["northing"]) // g.resolution).astype(int) * g.width \
        + ((sites["easting"] - g.bounds[0]) // g.resolution).astype(int)
    pos = np.searchsorted(store.land_index, flat.to_numpy())
    for name in result.weights:
        np.testing.assert_array_equal(sites[f"{name}_raw"].to_numpy(),
                                      np.round(store.vector(name)[pos].astype(float), 4))
    assert len(one) and len(sites) == 5
