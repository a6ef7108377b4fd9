"""Network years: ETYS snapshots, named change-table rows, the TEC queue by date.

The real-data tests pick rows of ETYS 2024 Appendix B's change tables and check that the
built criteria (the session's 1 km build, tests/conftest.py) change at that site in that
snapshot and not before. Fixtures named ``*_fixture`` are small hand-made tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from growthzones.layers import grid_capacity as gc


def _layer(layers, name, snap):
    """The built layer of ``name`` in snapshot ``snap`` (plain name: the default one)."""
    return layers[name] if snap == gc.snapshot_of(gc.NETWORK_YEAR) else layers[f"{name}@{snap}"]


def _at(layers, grid, name, site, snaps=gc.SNAPSHOTS):
    x, y = site["x"], site["y"]
    return {s: float(grid.sample(_layer(layers, name, s), [x], [y])[0]) for s in snaps}


@pytest.fixture
def nodes(grid_capacity_features):
    return grid_capacity_features["by_year"].set_index("site_code")


def _row(changes, sheet, row):
    r = changes[(changes["sheet"] == sheet) & (changes["row"] == row)]
    assert len(r) == 1, (sheet, row)
    return r.iloc[0]


def test_snapshots_and_the_years_they_cover():
    assert [gc.snapshot_of(y) for y in range(2025, 2037)] == \
        [2025, 2025, 2027, 2027, 2029, 2029, 2029, 2032, 2032, 2032, 2035, 2035]
    # rows: 2026 and 2028 wait for the next snapshot; 2030/31 (OFTO, B-5-1) count from
    # 2032/33; NGET/SPT's 2033 rows are the 2032/33 snapshot
    assert [gc.network.row_snapshot(y) for y in (2026, 2028, 2030, 2031, 2033, 2036)] == \
        [2027, 2029, 2032, 2032, 2032, 2035]
    with pytest.raises(ValueError, match="2025 to 2036"):
        gc.snapshot_of(2024)


def test_tec_queue_counts_a_later_project_until_its_date():
    tec_fixture = pd.DataFrame({
        "Project ID": ["A", "B", "B", "C"], "Project Name": ["a", "b", "b", "c"],
        "Cumulative Total Capacity (MW)": [400, 100, 250, 90],
        "MW Connected": [0, 0, 0, 30],
        "MW Effective From": ["2031/10/31", "2026/06/30", "2034/01/31", None]})
    q = gc.tec_queued_by(tec_fixture, {s: gc.snapshot_cutoff(s) for s in gc.SNAPSHOTS})
    # A (contracted for 2031) holds its place in 2029/30 and is connected by 2032/33
    assert q.loc["A"].tolist() == [400, 400, 400, 0, 0]
    # B: 100 MW due 2026 (connected from 2027/28), the rest due 2034 (from 2035/36)
    assert q.loc["B"].tolist() == [250, 150, 150, 150, 0]
    # C: undated, never assumed connected; 30 MW already are
    assert q.loc["C"].tolist() == [60] * 5


def test_real_new_substation_lewis_counts_from_2032(grid_capacity_raw, nodes, grid_capacity_1km,
                                                   base_1km):
    changes = grid_capacity_raw["etys"]["circuit_changes"]
    link = _row(changes, "B-5-1", 7)  # Western Isles HVDC link, planned from 2030
    assert (link["node1"], link["node2"], link["rating_mva"]) == ("LEWI4R", "FNLN4R", 1800)
    assert gc.network.row_snapshot(link["year"]) == 2032
    lewis = nodes.loc["LEWI"]
    assert lewis["site_name"] == "LEWIS SUBSTATION" and not np.isnan(lewis["x"])
    assert [bool(lewis[f"in_network_{s}"]) for s in gc.SNAPSHOTS] == [False] * 3 + [True] * 2
    d = _at(grid_capacity_1km, base_1km.grid, "dist_transmission_km", lewis)
    assert d[2025] == d[2027] == d[2029] > 20  # no 400/275 kV node on Lewis before
    assert d[2032] == d[2035] < 1
    mva = _at(grid_capacity_1km, base_1km.grid, "transmission_node_mva", lewis)
    assert mva[2029] != mva[2032] == lewis["circuit_mva_2032"] >= 1800  # the link counts


def test_real_removed_circuit_eggborough_monk_fryston(grid_capacity_raw, nodes,
                                                     grid_capacity_1km, base_1km):
    etys = grid_capacity_raw["etys"]
    changes = etys["circuit_changes"]
    row = _row(changes, "B-2-2c", 87)
    assert (row["node1"], row["node2"], row["status"], row["year"], row["rating_mva"]) == \
        ("EGGB41", "MONF4A", "Removed", 2027, 1970)

    def mva(ch, snap):
        circuits, _ = gc.apply_changes(etys["circuits"], ch, year=gc.network.SNAPSHOT_ROWS_TO[snap])
        pair = {frozenset(p) for p in zip(circuits["node1"], circuits["node2"])}
        return gc.node_circuit_mva(circuits)["EGGB"], frozenset(("EGGB41", "MONF4A")) in pair

    without = changes.drop(index=row.name)
    assert mva(changes, 2025) == mva(without, 2025) and mva(changes, 2025)[1]  # not yet
    (kept, present), (would, _) = mva(changes, 2027), mva(without, 2027)
    assert not present and kept == would - 1970  # gone in 2027/28
    built = _at(grid_capacity_1km, base_1km.grid, "transmission_node_mva", nodes.loc["EGGB"])
    assert built[2025] == mva(changes, 2025)[0] and built[2027] == kept


def test_real_transformer_addition_osbaldwick_2027(grid_capacity_raw, nodes, grid_capacity_1km,
                                                  base_1km):
    row = _row(grid_capacity_raw["etys"]["transformer_changes"], "B-3-2c", 48)
    assert (row["node1"], row["node2"], row["status"], row["year"], row["rating_mva"]) == \
        ("OSBA42", "OSBA11", "Addition", 2027, 278)
    t = _at(grid_capacity_1km, base_1km.grid, "transformer_mva", nodes.loc["OSBA"])
    assert t[2027] == t[2025] + 278  # a 275/132 kV transformer from 2027/28 ...
    assert t[2029] == t[2032] == t[2035] == t[2027]  # ... that stays


def test_real_change_rows_are_placed_or_say_why(grid_capacity_raw, grid_capacity_features):
    tables = gc.network_year_tables(grid_capacity_raw, grid_capacity_features)
    ch = tables["network_changes"]
    etys = grid_capacity_raw["etys"]
    assert len(ch) == len(etys["circuit_changes"]) + len(etys["transformer_changes"])
    assert set(ch["sheet"]) == {*gc.network.CIRCUIT_CHANGE_SHEETS,
                                *gc.network.TRANSFORMER_CHANGE_SHEETS, "B-5-1"}
    assert (ch["placed"] == (ch["reason"] == "")).all()
    why = gc.changes.unplaced_summary(ch)
    assert why.sum() == (~ch["placed"]).sum() > 0
    assert set(why.index) <= {"after 2035/36", "matched no existing branch", "named ends",
                              "offshore or converter ends only",
                              "onshore site without coordinates"}
    # B-5-1's HND link names its ends (Ballantrae, Kilmarnock South): not placeable
    hnd = ch[(ch["sheet"] == "B-5-1") & (ch["name"] == "HND")].iloc[0]
    assert hnd["reason"] == "named ends"
    # the queue table: one row per TEC project, its queue never grows with the years
    q = tables["tec_projects"][[f"queued_mw_{s}" for s in gc.SNAPSHOTS]].to_numpy()
    assert (np.diff(q, axis=1) <= 1e-9).all()


def test_why_changes_names_the_rows_at_the_nearest_node(grid_capacity_raw,
                                                        grid_capacity_features, nodes):
    tables = gc.network_year_tables(grid_capacity_raw, grid_capacity_features)
    osba = nodes.loc["OSBA"]
    why = gc.why_changes(tables, osba["x"], osba["y"], 2025, 2027)
    assert why["node_a"]["site_code"] == why["node_b"]["site_code"] == "OSBA"
    assert "B-3-2c row 48" in set(why["rows"]["change_id"])
    assert "transformers" in why["text"] and "B-3-2c row 48" in why["text"]
    # and nothing of 2029 or later between 2025 and 2027
    assert (why["rows"]["snapshot"] == 2027).all()
