"""Scoring by hand arithmetic and its properties, on hand-made fixture stores."""

import numpy as np
import pytest
from conftest import make_fixture_store

import growthzones as gz
from growthzones import scoring as S
from growthzones.scenario import parse_scenario

NAN = np.nan


def three_sites():
    # FIXTURE: three cells (sites A, B, C), two criteria, one exclusion.
    return make_fixture_store({
        "dist_substation_132kv_km": np.array([[0.0, 10.0, 20.0]]),
        "employment_deprivation_pct": np.array([[5.0, 25.0, 15.0]]),
        "national_parks": np.array([[0.0, 0.0, 1.0]]),
    })


def scenario(w_sub=3.0, w_dep=1.0, exclude=True):
    return parse_scenario({
        "criteria": {
            "dist_substation_132kv_km": {"weight": w_sub, "transform": "linear"},
            "employment_deprivation_pct": {"weight": w_dep, "transform": "linear"}},
        "exclusions": {"national_parks": exclude}})


def test_weighted_linear_combination_by_hand():
    r = gz.score(three_sites(), scenario())
    # substation (min, linear over 0..20): A 1, B 0.5, C 0
    # deprivation (max, linear over 5..25): A 0, B 1, C 0.5
    # weights 3:1 -> 0.75, 0.25
    expected = [0.75 * 1 + 0.25 * 0, 0.75 * 0.5 + 0.25 * 1, 0.75 * 0 + 0.25 * 0.5]
    np.testing.assert_allclose(r.score, expected, atol=1e-6)
    # contributions sum to the score
    total = sum(r.contributions.values())
    np.testing.assert_allclose(total, r.score, atol=1e-6)
    # C is in a National Park: excluded after weighting
    assert np.isnan(r.ranked[2]) and r.score[2] == pytest.approx(0.125)
    assert r.excluded.tolist() == [False, False, True]


def test_excluded_cells_never_rank():
    r = gz.score(three_sites(), scenario(w_sub=0.01, w_dep=10))
    # C would beat A on deprivation alone, but it is excluded
    sites = gz.rank_sites(r, top=3, min_separation_km=0.1)
    assert sites["site_id"].tolist() == ["E1N0", "E0N0"]  # B then A; C (E2N0) absent


def test_scaling_all_weights_keeps_scores_and_ranking():
    a = gz.score(three_sites(), scenario(3, 1))
    b = gz.score(three_sites(), scenario(300, 100))
    np.testing.assert_allclose(a.score, b.score, atol=1e-7)
    assert gz.rank_sites(a, top=3, min_separation_km=0.1)["site_id"].tolist() == \
        gz.rank_sites(b, top=3, min_separation_km=0.1)["site_id"].tolist()


def test_missing_data_is_neither_good_nor_bad():
    store = make_fixture_store({
        "dist_substation_132kv_km": np.array([[0.0, 10.0, 20.0]]),
        "employment_deprivation_pct": np.array([[5.0, NAN, 25.0]]),
    })
    r = gz.score(store, scenario(1, 1, exclude=False))
    # B has no deprivation data: scored on substation alone (0.5), coverage 0.5
    assert r.score[1] == pytest.approx(0.5)
    assert r.coverage.tolist() == pytest.approx([1.0, 0.5, 1.0])
    assert r.contributions["employment_deprivation_pct"][1] == 0


def test_rescoring_reuses_cached_transforms():
    store = three_sites()
    gz.score(store, scenario(3, 1))
    cached = dict(S.cache_for(store))
    gz.score(store, scenario(1, 3))
    assert S.cache_for(store).keys() == cached.keys()
    assert all(S.cache_for(store)[k] is cached[k] for k in cached)


def test_explain_reports_values_weights_and_exclusion():
    r = gz.score(three_sites(), scenario())
    ex = gz.explain(r, 2500, 500)  # cell C
    assert ex.loc["dist_substation_132kv_km", "raw"] == 20
    assert ex.loc["employment_deprivation_pct", "value"] == pytest.approx(0.5)
    assert ex.loc["dist_substation_132kv_km", "weight"] == pytest.approx(0.75)
    assert ex.loc["national_parks", "status"] == "excluded"
    assert ex["contribution"].sum() == pytest.approx(0.125)


def test_unassessed_exclusion_is_flagged_not_excluded():
    store = make_fixture_store({
        "dist_substation_132kv_km": np.array([[0.0, 10.0, 20.0]]),
        "employment_deprivation_pct": np.array([[5.0, 25.0, 15.0]]),
        "national_parks": np.array([[0.0, NAN, 1.0]]),
    })
    r = gz.score(store, scenario())
    assert r.excluded.tolist() == [False, False, True]
    assert r.unassessed["national_parks"].tolist() == [False, True, False]
    assert gz.explain(r, 1500, 500).loc["national_parks", "status"].startswith("not assessed")


def test_score_arguments_swapped_or_of_the_wrong_type_are_input_errors():
    from growthzones._errors import InputError

    store, sc = three_sites(), scenario()
    with pytest.raises(InputError, match=r"got the scenario first and the layer store second; "
                                         r"swap them: score\(layers, scenario\)"):
        gz.score(sc, store)
    with pytest.raises(InputError, match=r"store is a str \('x'\); give the layer store"):
        gz.score("x", 3)
    with pytest.raises(InputError, match=r"scenario is an int \('3'\); give a Scenario"):
        gz.score(store, 3)
    with pytest.raises(InputError, match=r"scenario is a dict .*give a Scenario"):
        gz.score(store, {"criteria": {}})
    with pytest.raises(InputError, match="dtype is 'int8'; use numpy.float32"):
        gz.score(store, sc, dtype="int8")
    with pytest.raises(InputError, match="dtype is 'nope'"):
        gz.score(store, sc, dtype="nope")
    assert gz.score(store, sc, dtype=np.float64).score.dtype == np.float64


@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "topsis"},
                                 {"method": "topsis", "ideal": "fixed"},
                                 {"method": "owa", "orness": 0.3}])
def test_scoring_a_chunk_at_a_time_gives_the_same_result_without_a_matrix(store, agg,
                                                                        monkeypatch):
    from growthzones.scoring import result as R

    sc = gz.load_scenario().updated({"aggregation": agg})
    usual = gz.score(store, sc)
    monkeypatch.setattr(R, "CHUNK_CELLS", 30_000)  # several chunks of the embedded store
    lean = gz.score(store, sc, matrix=False)
    assert lean.matrix is None and lean.method == agg["method"]
    for attr in ("score", "ranked", "coverage", "excluded"):
        np.testing.assert_array_equal(getattr(lean, attr), getattr(usual, attr))
    assert lean.reasons == usual.reasons
    for key, bad in usual.excluded_by.items():
        np.testing.assert_array_equal(lean.excluded_by[key], bad)
        np.testing.assert_array_equal(lean.unassessed[key], usual.unassessed[key])
    # what the matrix gives is scored again, with the matrix, when first read
    name = next(iter(sc.weights))
    np.testing.assert_array_equal(lean.contributions[name], usual.contributions[name])
    np.testing.assert_array_equal(lean.values.at(name, [3, 7]), usual.values[name][[3, 7]])


@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "topsis"}])
def test_a_big_stores_year_is_scored_from_the_rows_of_its_files_under_each_chunk(agg,
                                                                               monkeypatch):
    """On a big grid, ``score(..., matrix=False)`` reads no criterion whole: each chunk's
    values come from the window of file rows under it, transformed there (a ``linear``
    without ends takes the range of every chunk first; a percentile needs every value, so
    it is read whole), and the scores are those of the usual path, bit for bit."""
    from growthzones import store as store_mod
    from growthzones.layer_files import LayerFiles
    from growthzones.scoring import result as R

    data = gz.load_scenario().updated({"aggregation": agg}).to_dict()
    data["criteria"]["dist_transmission_km"]["transform"] = {"type": "linear"}
    data["criteria"]["tec_queue_mw"]["transform"] = {"type": "percentile"}
    sc = gz.parse_scenario(data)
    year = 2025  # four of the default criteria, these two among them, vary in 2025
    whole, windows = [], []
    read, rows = LayerFiles.read, LayerFiles.read_rows
    monkeypatch.setattr(LayerFiles, "read",
                        lambda self, name: whole.append(name) or read(self, name))
    monkeypatch.setattr(LayerFiles, "read_rows",
                        lambda self, name, r0, r1: windows.append(name) or rows(self, name,
                                                                                r0, r1))
    monkeypatch.setattr(store_mod, "RESIDENT_CELLS", 0)  # the embedded store as a big one
    monkeypatch.setattr(R, "CHUNK_CELLS", 30_000)  # ... in several chunks
    lean = gz.score(gz.load_layers(), sc, network_year=year, matrix=False)
    assert set(whole) & set(sc.weights) == {"tec_queue_mw"}  # the percentile, whole
    assert set(windows) == set(sc.weights) - {"tec_queue_mw"}
    passes = 2 if agg["method"] == "topsis" else 1  # TOPSIS: the ideals, then the scores
    assert windows.count("dist_substation_132kv_km") == passes * -(-len(lean.score) // 30_000)
    usual = gz.score(gz.load_layers(), sc, network_year=year)
    for attr in ("score", "ranked", "coverage", "excluded"):
        np.testing.assert_array_equal(getattr(lean, attr), getattr(usual, attr))


@pytest.mark.parametrize("agg", [{"method": "wlc"}, {"method": "topsis"},
                                 {"method": "topsis", "ideal": "fixed"},
                                 {"method": "owa", "orness": 0.3}])
def test_scores_at_some_cells_are_the_full_scores_there_scoring_only_those(agg,
                                                                           monkeypatch):
    """``scores_at`` gives ``score``'s score and exclusion at the cells asked for; on a
    big grid a criterion whose transform needs no range is read at those cells alone (a
    ``linear`` without ends still takes the range of every chunk, a percentile every
    value, TOPSIS's data ideals every chunk)."""
    from growthzones import store as store_mod
    from growthzones.layer_files import LayerFiles
    from growthzones.scoring import result as R

    data = gz.load_scenario().updated({"aggregation": agg}).to_dict()
    data["criteria"]["dist_transmission_km"]["transform"] = {"type": "linear"}
    data["criteria"]["tec_queue_mw"]["transform"] = {"type": "percentile"}
    sc = gz.parse_scenario(data)
    year = 2025
    usual = gz.score(gz.load_layers(), sc, network_year=year)
    n = len(usual.score)
    cells = np.random.default_rng(3).integers(0, n, 40)
    cells = np.concatenate([cells, cells[:5], np.flatnonzero(usual.excluded)[:5]])
    windows = []
    rows = LayerFiles.read_rows
    monkeypatch.setattr(LayerFiles, "read_rows",
                        lambda self, name, r0, r1: windows.append(name) or rows(self, name,
                                                                                r0, r1))
    monkeypatch.setattr(store_mod, "RESIDENT_CELLS", 0)  # the embedded store as a big one
    monkeypatch.setattr(R, "CHUNK_CELLS", 30_000)  # ... in several chunks
    got, excluded = gz.scoring.scores_at(gz.load_layers(), sc, cells, network_year=year)
    np.testing.assert_array_equal(got, usual.score[cells])
    np.testing.assert_array_equal(excluded, usual.excluded[cells])
    assert excluded.any() and excluded.dtype == bool
    chunks = -(-n // 30_000)
    ideals = agg["method"] == "topsis" and "ideal" not in agg  # every chunk, for them
    # its range over every chunk (and the ideals); without a range only the cells asked for
    assert windows.count("dist_transmission_km") == chunks * (1 + ideals)
    assert windows.count("dist_substation_132kv_km") == (chunks if ideals else 0)
