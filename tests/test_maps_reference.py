"""Reference layers of the map: motorways, substations, place labels and site regions.

String-level checks use the hand-made FIXTURE of ``test_maps`` with two small FIXTURE
vector files in its store folder (one line, two points, one of them hostile). Real-data
checks (``sources`` fixture, shared_data marker) compare the store's vector files with
what the criteria are built from.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_maps import fixture_result, fixture_sites, panel_entries
from test_maps_browser import set_view

from growthzones import maps
from growthzones.maps import _reference

HOSTILE = "</script><img src=x onerror=window.__pwned=1>{{ 7*7 }}"


def fixture_store_files(folder):
    """FIXTURE: a motorway line and two substations near the fixture's grid."""
    (folder / "motorways.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"ref": "M4"}, "geometry": {
                "type": "LineString", "coordinates": [[-1.8, 51.5], [-1.0, 51.5], [-0.5, 51.5]]}}]}))
    (folder / "substations.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "Didcot", "kv": 400}, "geometry": {
                "type": "Point", "coordinates": [-1.27, 51.62]}},
            {"type": "Feature", "properties": {"name": HOSTILE, "kv": 275}, "geometry": {
                "type": "Point", "coordinates": [-1.0, 51.4]}}]}))


@pytest.fixture
def with_files(tmp_path):
    fixture_store_files(tmp_path)
    result = fixture_result()
    result.store.path = tmp_path
    return result


def test_reference_layers_are_listed_and_drawn_only_when_zoomed_in(with_files):
    page = maps.map_html(maps.render_map(with_files, fixture_sites()))
    entries = {e["label"]: e for e in panel_entries(page)}
    for label in ("Motorways", "Transmission substations (400/275 kV)"):
        assert entries[label]["group"] == "Sites and reference"
        assert entries[label]["minZoom"] == _reference.DETAIL_ZOOM
        assert entries[label]["on"] and f"var {entries[label]['var']} = L.geoJson(" in page
        assert f"{entries[label]['var']}.addTo(" not in page   # the panel adds it when zoomed
    assert HOSTILE not in page and "{{ 7*7 }}" not in page
    assert "\\u003c/script\\u003e\\u003cimg" in page          # a JSON string, shown as text


def test_a_store_without_the_files_has_no_such_layers(tmp_path):
    result = fixture_result()
    result.store.path = tmp_path
    labels = [e["label"] for e in panel_entries(maps.map_html(maps.render_map(result, None)))]
    assert "Motorways" not in labels and "Transmission substations (400/275 kV)" not in labels


def test_places_are_most_populous_first():
    import pandas as pd

    places = pd.DataFrame({"name": ["Town", "City", "<b>"], "population": [5e3, 5e5, 2e3],
                           "lat": [51.0, 52.0, 53.0], "lon": [-1.0, -2.0, np.nan]})
    assert _reference.places_data(places) == [[52.0, -2.0, 500000, "City"],
                                              [51.0, -1.0, 5000, "Town"]]


def test_regions_are_the_geopackage_regions_of_ranked_sites(store):
    import growthzones as gz
    from growthzones.ranking import site_regions

    result = gz.score(store, gz.load_scenario())
    sites = gz.rank_sites(result, top=5)
    fc = _reference.regions_geojson(result, sites)
    assert [f["properties"]["rank"] for f in fc["features"]] == [1, 2, 3, 4, 5]
    from shapely.geometry import Point, shape

    regions = site_regions(result, sites).to_crs(4326)
    for f, (_, site), geom in zip(fc["features"], sites.iterrows(), regions.geometry):
        poly = shape(f["geometry"])
        assert poly.buffer(1e-4).contains(Point(site["lon"], site["lat"]))
        assert abs(poly.area - geom.area) < 0.01 * geom.area
    # a user's own sites have no region
    assert _reference.regions_geojson(result, sites.drop(columns="region_area_km2")) is None


@pytest.mark.slow
def test_substations_are_the_points_of_dist_transmission_km(grid_capacity_raw,
                                                            grid_capacity_features):
    from growthzones.layers import grid_capacity

    subs = grid_capacity.transmission_substations(grid_capacity_raw)
    np.testing.assert_array_equal(subs[["x", "y"]].to_numpy(float),
                                  grid_capacity_features["transmission_xy"])
    assert subs["name"].str.len().gt(0).all()
    assert (subs["kv"].dropna() >= 275).all()


def test_motorways_are_merged_per_road_and_simplified(sources):
    import geopandas as gpd
    from shapely.geometry import shape

    from growthzones.layers import connectivity

    lines = gpd.read_file(sources.path("motorways_gb"))
    fc = connectivity.motorways_geojson(lines)
    refs = [f["properties"]["ref"] for f in fc["features"]]
    assert sorted(refs) == sorted(lines["road_classification_number"].unique())
    assert len(json.dumps(fc)) < 400_000                         # small enough to embed
    total = gpd.GeoSeries([shape(f["geometry"]) for f in fc["features"]], crs=4326)
    assert total.to_crs(27700).length.sum() > 0.9 * lines.to_crs(27700).length.sum()
    for f in fc["features"]:
        x0, y0, x1, y1 = shape(f["geometry"]).bounds
        assert -8 < x0 <= x1 < 2 and 49.8 < y0 <= y1 < 61


@pytest.mark.browser
def test_reference_layers_appear_in_the_browser_when_zoomed_in(with_files, tmp_path):
    from growthzones.maps._browser import Chromium

    try:
        maps._find_chromium()
    except RuntimeError as err:
        pytest.skip(str(err))
    path = maps.save_map(maps.render_map(with_files, fixture_sites()), tmp_path / "map.html")
    with Chromium(width=1280, height=720) as b:
        b.open(path, ready=None)
        count = ("document.querySelectorAll('.leaflet-gz-reference-pane path').length")

        def view(zoom):
            set_view(b, 51.5, -1.2, zoom)
            return b.eval(count)

        assert view(6) == 0
        assert view(_reference.DETAIL_ZOOM) == 3                  # one line, two points
        dimmed = b.eval("Array.from(document.querySelectorAll('.gz-layers-dim'))"
                        ".map(e => e.textContent)")
        assert not any("Motorways" in d for d in dimmed)
        assert view(6) == 0
        assert b.errors == [] and b.eval("typeof window.__pwned") == "undefined"
