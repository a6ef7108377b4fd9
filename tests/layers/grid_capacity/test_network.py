"""The ETYS network model (growthzones.layers.grid_capacity.network).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from growthzones.layers import grid_capacity as gc
from growthzones.layers.grid_capacity.names import normalise_site_name


def test_node_circuit_mva_counts_only_real_inter_site_transmission_circuits():
    circuits_fixture = pd.DataFrame({
        "node1": ["AAAA41", "AAAA41", "AAAA41", "AAAA21", "AAAA11", "AAAA41"],
        "node2": ["BBBB41", "AAAA42", "CCCC41", "DDDD21", "EEEE11", "FFFF41"],
        "rating_mva": [2000, 1500, 9999, 700, 300, np.nan]})
    mva = gc.node_circuit_mva(circuits_fixture)
    # AAAA: 2000 (to BBBB) + 700 (275 kV to DDDD); the coupler inside AAAA, the 9999
    # placeholder, the 132 kV circuit and the unrated one are not counted.
    assert mva["AAAA"] == 2700
    assert mva["BBBB"] == 2000 and mva["DDDD"] == 700
    assert "CCCC" not in mva and "EEEE" not in mva


def test_node_transformer_mva_counts_step_down_only():
    trafos_fixture = pd.DataFrame({
        "node1": ["AAAA41", "AAAA42", "AAAA41", "AAAA21", "BBBB21"],
        "node2": ["AAAA11", "AAAA12", "AAAA21", "AAAA13", "BBBB11"],
        "rating_mva": [240, 240, 1000, 9999, 180]})
    mva = gc.node_transformer_mva(trafos_fixture)
    assert mva.to_dict() == {"AAAA": 480.0, "BBBB": 180.0}  # interbus and 9999 left out


def test_apply_changes_adds_removes_and_rerates_up_to_the_year():
    base_fixture = pd.DataFrame({"node1": ["AAAA41", "AAAA41", "AAAA41"],
                                 "node2": ["BBBB41", "BBBB41", "CCCC41"],
                                 "rating_mva": [1000.0, 1000.0, 800.0],
                                 "length_km": [10.0, 10.0, 5.0]})
    changes_fixture = pd.DataFrame({
        "node1": ["BBBB41", "CCCC41", "DDDD41", "EEEE41", "AAAA41"],
        "node2": ["AAAA41", "AAAA41", "AAAA41", "FFFF41", "DDDD41"],
        "year": [2025, 2027, 2029, 2029, 2032],
        "status": ["Removed", "Change", "Addition", "Removed", "Removed"],
        "rating_mva": [1000.0, 1200.0, 3000.0, 500.0, 3000.0],
        "length_km": [10.0, np.nan, 20.0, 1.0, 20.0]})
    out, unmatched = gc.apply_changes(base_fixture, changes_fixture, year=2030)
    # One of the two parallel AAAA-BBBB circuits goes; AAAA-CCCC is re-rated (length kept);
    # AAAA-DDDD is added in 2029 and its 2032 removal is after the network year.
    assert sorted(map(tuple, out[["node1", "node2", "rating_mva", "length_km"]].values.tolist())) \
        == [("AAAA41", "BBBB41", 1000.0, 10.0), ("AAAA41", "CCCC41", 1200.0, 5.0),
            ("DDDD41", "AAAA41", 3000.0, 20.0)]
    assert unmatched == 1  # EEEE-FFFF does not exist
    assert gc.node_circuit_mva(out)["AAAA"] == 1000 + 1200 + 3000


def test_site_links_keep_the_shortest_route_between_two_sites():
    c = pd.DataFrame({"node1": ["BBBB41", "AAAA41", "AAAA41"],
                      "node2": ["AAAA41", "BBBB42", "AAAA12"], "length_km": [9.0, 7.5, 0.2]})
    assert gc.site_links(c).to_dict("records") == [{"a": "AAAA", "b": "BBBB", "length_km": 7.5}]


def test_summarise_sites_drops_another_sites_primary_name():
    # ETYS lists ABHA (Abham) once as ABERTHAW, the name of ABTH.
    rows_fixture = pd.DataFrame({"site_code": ["ABTH", "ABTH", "ABHA", "ABHA", "OVER", "YORK"],
                                 "site_name": ["ABERTHAW", "ABERTHAW", "ABERTHAW", "ABHAM",
                                               "YORK NORTH", "YORK NORTH"],
                                 "kv": [275, 132, 400, 132, 275, 400]})
    s = gc.summarise_sites(rows_fixture).set_index("site_code")
    assert s.loc["ABHA", "site_name"] == "ABHAM" and s.loc["ABHA", "names"] == ("ABHAM",)
    assert s.loc["ABTH", "names"] == ("ABERTHAW",)
    assert s.loc["OVER", "names"] == ("YORK NORTH",) == s.loc["YORK", "names"]
    assert s.loc["ABHA", "max_kv"] == 400



def _summary_by_hand(rows: pd.DataFrame) -> dict:
    """The summary's rule read literally, code by code (the reference for the test below):
    the most listed name; ties to the one starting like the code, then the shorter, then
    the first listed; a secondary name kept unless it is another code's primary name."""
    rows = rows.assign(site_name=rows["site_name"].str.strip())
    primary = {}
    for code, grp in rows.groupby("site_code"):
        listed = list(dict.fromkeys(grp["site_name"]))
        counts = grp["site_name"].value_counts()
        top = [n for n in listed if counts[n] == counts.max()]
        primary[code] = min(top, key=lambda n: (normalise_site_name(n)[:4] != code, len(n),
                                                listed.index(n)))
    return {code: (primary[code], tuple(sorted(
        n for n in set(grp["site_name"].str.strip())
        if n == primary[code] or n not in primary.values())), grp["kv"].max())
        for code, grp in rows.groupby("site_code")}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ABTH", "ABHA", "YORK", "OVER"]),
                          st.sampled_from(["ABERTHAW", "ABHAM", " ABHAM", "YORK NORTH",
                                           "YORK", "OVERTON 132kV", "ABTHORPE"]),
                          st.sampled_from([132, 275, 400])), min_size=1, max_size=25))
def test_summarise_sites_follows_its_rule_on_any_table_fixture(rows):
    table_fixture = pd.DataFrame(rows, columns=["site_code", "site_name", "kv"])
    got = gc.summarise_sites(table_fixture)
    assert {r.site_code: (r.site_name, r.names, r.max_kv) for r in got.itertuples()} == \
        _summary_by_hand(table_fixture)
    assert list(got["site_code"]) == sorted(set(table_fixture["site_code"]))


def test_real_etys_placeholders_and_cottam_circuits_by_hand(grid_capacity_raw):
    t = grid_capacity_raw["etys"]
    onshore = t["circuits"]["sheet"].isin(["B-2-1a", "B-2-1b", "B-2-1c"])
    placeholder = t["circuits"]["rating_mva"] == 9999
    assert (placeholder & onshore).sum() == 72  # SOURCES-grid.md: couplers
    assert (placeholder & ~onshore).sum() == 1  # one in OFTO B-2-1d
    # Cottam's 2024/25 circuits (B-2-1c): 2213 + 2212 + 2009 + 3326 + 2213 (COTT41 to
    # KEAD, KEAD, MARH, RYHA, STAY) + 2807 + 2212 + 3326 (COTT42 to RYHA, STAY, WBUR).
    assert gc.node_circuit_mva(t["circuits"])["COTT"] == 20318
    # Four 9999 placeholders join two different sites (e.g. BEAT4- to BLHI4-): they
    # must not count, so Beatrice's MVA is the same with or without those rows.
    c = t["circuits"]
    real = c[c["rating_mva"] != 9999]
    assert gc.node_circuit_mva(c)["BLHI"] == gc.node_circuit_mva(real)["BLHI"]
