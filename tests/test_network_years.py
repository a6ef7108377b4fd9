"""Network years on the embedded store: views, the scenario key, compare and the CLI.

The embedded store (growthzones/data/gb_1000m) carries the grid criteria of every ETYS
snapshot; these tests read it as a planner would (the ``store`` fixture).
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import growthzones as gz
from growthzones._errors import InputError, ScenarioError
from growthzones.cli import main
from growthzones.compare import compare_network_years, network_year_summary
from growthzones.layers import grid_capacity as gc
from growthzones.scenario import parse_scenario, with_network_year


def test_store_carries_every_snapshot_within_budget(store):
    assert sorted(store.network_years()) == list(gc.SNAPSHOTS)
    assert store.network_years()[2029] == (2029, 2031)  # 2030 is the 2029/30 grid
    assert store.network["criteria"] == list(gc.NETWORK_YEAR_CRITERIA)
    for name in gc.NETWORK_YEAR_CRITERIA:
        per = store.meta[name]["network_years"]
        assert sorted(map(int, per)) == list(gc.SNAPSHOTS)
        assert all((store.path / v["file"]).exists() for v in per.values())
    # layers without a network year have one file
    assert "network_years" not in store.meta["post_industrial"]
    size = sum(f.stat().st_size for f in store.path.rglob("*") if f.is_file())
    assert size < 40e6


def test_a_year_view_shares_the_base_and_reads_lazily(store):
    v = store.at_network_year(2035)
    assert v is store.at_network_year(2036) and v.network_snapshot == 2035
    assert store.at_network_year(2030) is store and v.at_network_year(2031) is store
    assert not v.layers.loaded("tec_queue_mw")  # nothing read until asked
    assert np.array_equal(v.vector("post_industrial"), store.vector("post_industrial"),
                          equal_nan=True)
    a, b = store.vector("tec_queue_mw"), v.vector("tec_queue_mw")
    assert (b <= a + 1e-3).all() and (b < a).any()  # queues clear as projects connect
    assert v.meta["tec_queue_mw"]["stats"] == \
        store.meta["tec_queue_mw"]["network_years"]["2035"]["stats"]


def test_an_unknown_year_lists_the_years_the_store_has(store):
    with pytest.raises(InputError) as err:
        store.at_network_year(2040)
    msg = err.value.one_line()
    assert "2040" in msg and "2025 (2025/26: 2025-2026)" in msg and "2035" in msg
    assert "\n" not in msg


def test_the_scenario_key_and_the_score_argument(store):
    sc = gz.load_scenario()
    assert sc.network_year == 2030
    early = parse_scenario({**sc.to_dict(), "network_year": 2025})
    assert early.network_year == 2025 and early.to_dict()["network_year"] == 2025
    r25 = gz.score(store, early)
    r35 = gz.score(store, sc, network_year=2035)
    assert r25.store.network_snapshot == 2025 and r35.store.network_snapshot == 2035
    assert gz.score(store, sc).store is store
    assert not np.array_equal(r25.score, r35.score, equal_nan=True)
    with pytest.raises(ScenarioError, match="network_year"):
        parse_scenario({**sc.to_dict(), "network_year": "soon"})
    with pytest.raises(InputError, match="2036"):
        with_network_year(sc, 2050)


def test_compare_two_years_lists_who_gains_and_why(store):
    cmp = compare_network_years(store, gz.load_scenario(), 2025, 2035, top=10)
    df = cmp.sites.dropna(subset=["score_change"])
    assert np.allclose(df["score_change"], df["score_b"] - df["score_a"])
    assert df["why"].str.len().gt(0).all()
    text = network_year_summary(cmp, n=3)
    assert "2035/36 vs 2025/26" in text and "rises:" in text


def test_cli_run_and_compare_across_network_years(tmp_path, capsys):
    assert main(["run", "--network-year", "2025", "--top", "5", "--out",
                 str(tmp_path / "run")]) == 0
    tl = pd.read_csv(tmp_path / "run" / "sites_timeline.csv")
    assert sorted(set(tl["network_year"])) == list(gc.SNAPSHOTS)
    assert len(tl) == 5 * len(gc.SNAPSHOTS)
    assert set(gc.NETWORK_YEAR_CRITERIA) <= set(tl.columns)
    assert "2025/26 grid" in capsys.readouterr().err
    assert main(["compare", "default", "--network-year", "2025", "--network-year", "2035",
                 "--top", "5", "--out", str(tmp_path / "cmp")]) == 0
    assert "why" in pd.read_csv(tmp_path / "cmp" / "comparison.csv").columns
    assert "places that gain and lose most" in capsys.readouterr().err
    assert main(["run", "--network-year", "2040", "--out", str(tmp_path / "bad")]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and "2036" in err[0]
    assert main(["explore", "--network-year", "2024", "--out", str(tmp_path / "bad")]) == 2
    assert main(["compare", "default", "--out", str(tmp_path / "bad")]) == 2
    assert "--network-year twice" in capsys.readouterr().err
    assert main(["compare", "default", "--network-year", "2025", "--network-year", "2027",
                 "--network-year", "2035", "--out", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()


def test_explorer_carries_each_years_criteria_as_differences(store):
    from growthzones import explorer

    r = gz.score(store, gz.load_scenario())
    meta, blob = explorer.explorer_payload(r)
    buf = np.frombuffer(blob, dtype=np.uint8)
    arrays = {a["name"]: a for a in meta["arrays"]}

    def planes(a):
        n, o = a["count"], a["offset"]
        return (buf[o:o + n].astype(np.uint32) << 8) | buf[o + n:o + 2 * n]

    def base(name):  # delta-coded
        return (np.cumsum(planes(arrays[name]), dtype=np.uint64) % 65536).astype(np.uint16)

    assert meta["networkYears"]["current"] == 2029
    assert meta["networkYears"]["criteria"] == [c for c in r.scenario.weights
                                                if c in gc.NETWORK_YEAR_CRITERIA]
    r35 = gz.score(store, r.scenario, network_year=2035)
    for name in meta["networkYears"]["criteria"]:
        a = arrays[f"v:{name}@2035"]
        assert a["kind"] == "u16x" and a["base"] == f"v:{name}"
        got = ((base(a["base"]).astype(np.uint32) + planes(a)) % 65536).astype(np.uint16)
        assert np.array_equal(got, explorer.quantise(r35.values[name]))
    assert len(explorer.render_explorer(r)) <= explorer.SIZE_BUDGET_BYTES


def test_timeline_why_text_is_bounded_for_many_sites(monkeypatch):
    """The numbers for every site; the (slow) why text for the first WHY_SITES only."""
    import growthzones as gz
    from growthzones import timeline

    result = gz.score(gz.load_layers(), gz.load_scenario())
    sites = gz.rank_sites(result, top=3)
    full = timeline.site_timeline(result, sites)
    monkeypatch.setattr(timeline, "WHY_SITES", 1)
    capped = timeline.site_timeline(result, sites)
    first = capped["site_id"] == sites["site_id"].iloc[0]
    assert (capped.loc[first, "why"] == full.loc[first, "why"]).all()
    assert (capped.loc[~first, "why"] == "").all() and (full.loc[~first, "why"] != "").any()
    cols = [c for c in capped.columns if c != "why"]
    assert capped[cols].equals(full[cols])


def test_a_big_store_scores_its_years_a_chunk_at_a_time_and_keeps_no_year_matrix(store,
                                                                                 monkeypatch):
    import gc
    import weakref

    from growthzones import timeline
    from growthzones.network_years import at_network_year
    from growthzones.scoring import CriteriaMatrix, cache_for
    from growthzones.scoring import result as R

    result = gz.score(store, gz.load_scenario())
    usual = timeline.network_year_results(result)
    monkeypatch.setattr(timeline, "RESIDENT_CELLS", 1000)  # the embedded store as "big"
    monkeypatch.setattr(R, "CHUNK_CELLS", 50_000)  # ... scored in several chunks
    for snap in usual:
        cache_for(at_network_year(store, snap)).clear()
    made = []  # every criteria matrix scoring builds, to see which outlive the call
    monkeypatch.setattr(CriteriaMatrix, "__init__",
                        lambda self, *a, _init=CriteriaMatrix.__init__, **kw:
                        (_init(self, *a, **kw), made.append((weakref.ref(self), self.n)))[0])
    years = timeline.network_year_results(result)
    assert all(snap in years for snap in usual) and 1 not in years
    assert not made  # scored when read (asking whether it has a year scores none) ...
    big = {snap: years[snap] for snap in years}  # ... each once, as site_timeline reads them
    assert set(big) == set(usual) and len(big) >= 3
    # no year is kept (each read scores it again; the result's own year is the result),
    # only what the map draws of the first and the last
    ends, own = {min(big), max(big)}, result.store.network_snapshot
    for snap in big:
        assert (years[snap] is big[snap]) == (snap == own)
    assert set(years.drawn) == ends - {own}
    gc.collect()
    # the result's own year is the result; the others were scored a chunk at a time (no
    # matrix of every cell), and none of their matrices outlives the call
    assert big[own] is result
    assert len(made) > 3 * (len(big) - 1) and all(n <= 50_000 for _, n in made)
    assert all(ref() is None for ref, _ in made)
    for snap, r in big.items():
        for attr in ("score", "ranked", "coverage", "excluded"):
            np.testing.assert_array_equal(getattr(r, attr), getattr(usual[snap], attr))
        view = at_network_year(store, snap)
        if view is not result.store:
            assert "_matrices" not in cache_for(view) and r.matrix is None
        # what a matrix gave is scored again when asked for, with the same values
        name = next(iter(r.weights))
        np.testing.assert_array_equal(r.contributions[name], usual[snap].contributions[name])
        np.testing.assert_array_equal(r.values.at(name, [0, 5]), usual[snap].values[name][[0, 5]])
        assert list(r.excluded_by) == list(usual[snap].excluded_by)
        for key, bad in r.excluded_by.items():
            np.testing.assert_array_equal(bad, usual[snap].excluded_by[key])


def test_a_big_stores_timeline_scores_its_years_at_the_sites(store, monkeypatch):
    """On a big store the site timeline scores every other year at the sites alone
    (``scores_at``): the same table as scoring every year whole. What the map draws of
    the first and the last is scored whole, when asked for (``run`` starts it ahead)."""
    from growthzones import timeline
    from growthzones.scoring import result as R

    result = gz.score(store, gz.load_scenario())
    sites = gz.rank_sites(result, top=4)
    usual = timeline.site_timeline(result, sites)
    monkeypatch.setattr(timeline, "RESIDENT_CELLS", 1000)  # the embedded store as "big"
    whole, at = [], []
    only = R._scores_only
    monkeypatch.setattr(R, "_scores_only", lambda st, sc, dt: whole.append(st.network_snapshot)
                        or only(st, sc, dt))
    monkeypatch.setattr(timeline, "scores_at", lambda st, sc, pos, network_year:
                        at.append(network_year) or R.scores_at(st, sc, pos,
                                                               network_year=network_year))
    years = timeline.network_year_results(result)
    big = timeline.site_timeline(result, sites, results=years)
    pd.testing.assert_frame_equal(big, usual)
    snaps, own = sorted(store.network_years()), result.store.network_snapshot
    assert sorted(at) == sorted(set(snaps) - {own}) and not whole
    assert sorted(years.drawn) == sorted({snaps[0], snaps[-1]} - {own}) == sorted(whole)
    whole.clear()
    ahead = timeline.network_year_results(result, draw_ahead=True)  # in its own thread
    assert sorted(ahead.drawn) == sorted(years.drawn) == sorted(whole)
    for t in threading.enumerate():  # and its thread ends with it
        if t.name.startswith("gz-drawn"):
            t.join(timeout=10)
            assert not t.is_alive()


def test_the_map_draws_the_other_years_from_the_years_already_scored(store, monkeypatch):
    """``run`` scores every network year for the timeline; the map takes its two other
    years from those (at 100 m each score again would take half a minute)."""
    import growthzones.scoring
    from growthzones import timeline
    from growthzones.maps import _surfaces

    result = gz.score(store, gz.load_scenario())
    years = timeline.network_year_results(result)
    sites = gz.rank_sites(result, top=3)

    def not_again(*args, **kwargs):
        raise AssertionError("a network year scored again")

    monkeypatch.setattr(growthzones.scoring, "score", not_again)
    drawn = _surfaces._other_network_years(result, years)
    ends = [s for s in (min(years), max(years)) if s != result.store.network_snapshot]
    assert len(drawn) == 2 and all(r is years[s] for (_, r), s in zip(drawn, ends))
    gz.render_map(result, sites, network_years=years)  # the whole map, none scored again
    with pytest.raises(AssertionError, match="scored again"):
        _surfaces._other_network_years(result)
