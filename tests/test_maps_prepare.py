"""Parts of the map made ahead (prepare_map) give the same page as making them in render_map."""

import re

import pytest

import growthzones as gz
from growthzones.maps import _prepare, map_html, page, prepare_map, render_map


def _same_ids(html: str) -> str:
    """The page with its random element names (uuid hex) made equal."""
    return re.sub(r"[0-9a-f]{32}", "ID", html)


@pytest.fixture(scope="module")
def scored():
    store = gz.load_layers()
    scenario = gz.load_scenario()
    return store, scenario, gz.score(store, scenario)


def test_a_prepared_map_is_the_same_page_and_reuses_the_parts(scored, monkeypatch):
    store, scenario, result = scored
    plain = map_html(render_map(result, None, identify=False))
    prepare_map(store, scenario)
    jobs = _prepare._prepared(result.store)
    n_criteria = sum(i.get("kind", "criterion") == "criterion" for i in store.meta.values())
    assert sum(k[0] == "codes" for k in jobs if isinstance(k, tuple)) == n_criteria
    assert {"warp", "lazy_base", "basemap", "places"} <= set(jobs) and any(k[0] == "mask" for k in jobs
                                                         if isinstance(k, tuple))
    for job in jobs.values():
        job.result(timeout=120)

    def not_again(*args, **kwargs):
        raise AssertionError("made again although prepared")

    # the criterion codes, the exclusion layers and the shared index come from the jobs
    monkeypatch.setattr(page, "_lazy_codes", not_again)
    monkeypatch.setattr(page, "_lazy_base", not_again)
    monkeypatch.setattr(result.store, "layer", not_again)
    for name in ("places_data", "store_geojson", "_slim_basemap"):  # and the vectors' JSON
        monkeypatch.setattr(page, name, not_again)
    again = map_html(render_map(result, None, identify=False))
    assert _same_ids(again) == _same_ids(plain)


def test_prepare_map_twice_starts_nothing_new(scored):
    store, scenario, result = scored
    prepare_map(store, scenario)
    jobs = _prepare._prepared(result.store)
    prepare_map(store, scenario)
    assert _prepare._prepared(result.store) is jobs


def test_a_stand_in_store_gets_nothing_prepared():
    from test_maps import fixture_result

    assert _prepare._prepared(fixture_result().store) == {}


def test_the_identify_data_prepared_for_a_result_are_used(scored, monkeypatch):
    store, scenario, result = scored
    plain = map_html(render_map(result, None))
    prepare_map(store, scenario, result=result)
    job = _prepare._prepared(result).get("identify")
    assert job is not None
    job.result(timeout=120)
    monkeypatch.setattr(page, "identify_payload", lambda *a: (_ for _ in ()).throw(
        AssertionError("made again although prepared")))
    assert _same_ids(map_html(render_map(result, None))) == _same_ids(plain)


def test_a_page_over_its_budget_with_the_identify_data_leaves_them_out_and_says_so(
        scored, monkeypatch):
    """(GB 100 m drawn at 800 m has 1.6 times the cells of GB 1 km: 14 MB with them.)"""
    result = scored[2]
    sites = gz.rank_sites(result, top=3)
    full = gz.map_html(gz.render_map(result, sites))
    assert '"scoreStep"' in full and "gz-no-identify" not in full  # the identify data
    # a budget the 1 km page fits only without its ~3.8 MB of identify data
    monkeypatch.setattr(page, "PAGE_MAX_BYTES", len(full.encode()) - 3_000_000)
    lean = gz.map_html(gz.render_map(result, sites))
    assert '"scoreStep"' not in lean and "Click-to-identify is left out" in lean
    assert len(lean.encode()) < page.PAGE_MAX_BYTES < len(full.encode())
