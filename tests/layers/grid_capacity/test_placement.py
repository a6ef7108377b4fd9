"""Placing ETYS sites from the trust-ordered sources (grid_capacity.placement).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from growthzones.layers import grid_capacity as gc


@pytest.fixture
def network(grid_capacity_features):
    """Placed ETYS sites and counts, derived once per session (tests/conftest.py)."""
    return grid_capacity_features["sites"], grid_capacity_features["info"]


def test_place_sites_follows_trust_order_and_refuses_points_that_break_circuits():
    sites_fixture = pd.DataFrame({"site_code": ["AAAA", "BBBB", "CCCC", "DALL"],
                                  "names": [("ALPHA",), ("BRAVO",), ("CHARLIE",), ("DALMALLY",)]})
    fes = pd.DataFrame({"x": [100_000.0, 900.0, 400_000.0], "y": [100_000.0, 900.0, 0.0],
                        "name": ["Alpha", None, "Dallas"], "source": "fes2024_gsp"},
                       index=["AAAA", "ZZZZ", "DALL"])
    by_name = pd.DataFrame({"x": [100_300.0, 160_000.0], "y": [100_400.0, 100_000.0],
                            "source": "nged_substations"}, index=["BRAVO", "CHARLIE"])
    geocode = pd.DataFrame({"x": [150_000.0, 108_000.0], "y": [100_000.0, 100_000.0],
                            "source": "pypsagb_geocoded"}, index=["BBBB", "CCCC"])
    links = pd.DataFrame({"a": ["AAAA", "AAAA"], "b": ["BBBB", "CCCC"], "length_km": [3.0, 10.0]})
    out = gc.place_sites(sites_fixture, [("code", fes), ("name", by_name), ("code", geocode)],
                         links).set_index("site_code")
    assert out.loc["AAAA", "coord_source"] == "fes2024_gsp"
    # BRAVO by name is 0.5 km from AAAA: within 3 km of circuit + 15 km slack.
    assert out.loc["BBBB", "coord_source"] == "nged_substations"
    # CHARLIE by name is 60 km from AAAA over a 10 km circuit: refused; the geocode
    # 8 km away is consistent and used.
    assert out.loc["CCCC", "coord_source"] == "pypsagb_geocoded"
    assert out.loc["CCCC", "refused"] == "nged_substations"
    assert out.loc["CCCC", "x"] == 108_000.0
    # NESO's DALL is Dallas, not ETYS's Dalmally: not used.
    assert np.isnan(out.loc["DALL", "x"]) and pd.isna(out.loc["DALL", "coord_source"])


def test_points_by_name_drops_ambiguous_names_and_bad_coordinates():
    pts = gc.points_by_name(["Oldbury 132kV", "Oldbury S Stn", "Penn", "Penn", "Nowhere"],
                            [398_000, 364_000, 386_000, 386_500, 0],
                            [289_000, 194_000, 295_000, 295_200, 0], source="test")
    assert list(pts.index) == ["PENN"]  # Oldbury: two places 100 km apart; 0/0 dropped
    assert pts.loc["PENN", "x"] == 386_250


def test_read_osm_lines_handles_hash_separator_srid_and_multi_voltages(tmp_path):
    f = tmp_path / "links_fixture.csv"
    f.write_text(
        "l_id#voltage#wkt_srid_4326\n"
        "1#400000;132000#SRID=4326;LINESTRING(-1.0 53.0,-1.1 53.1)\n"
        "2#132000;132000#SRID=4326;LINESTRING(-2.0 52.0,-2.1 52.1)\n"
        "3#275000#SRID=4326;LINESTRING(-3.0 55.0,-3.2 55.1)\n"
        "4##SRID=4326;LINESTRING(-3.0 55.0,-3.2 55.1)\n", encoding="utf-8")
    lines = gc.read_osm_lines(f)
    assert len(lines) == 2  # the 132 kV-only link and the one with no voltage dropped
    x, y = lines[0].coords[0]
    assert x == pytest.approx(467_209, abs=5) and y == pytest.approx(345_210, abs=5)  # BNG
    assert gc.parse_voltages_kv("400000;132000") == [400.0, 132.0]


def test_real_placement_counts_and_known_sites(network):
    sites, info = network
    # 2029/30 network, sites placed once for every snapshot (so the route check sees the
    # union of the years' circuits: three more Nominatim geocodes are refused than with
    # one year's); AYR- and LEWI join only with the 2030/2032 landings and links.
    assert info["placed"] == 546 and info["tx_placed"] == 334 and info["refused"] == 29
    assert info["by_source"]["fes2024_gsp"] == 312
    s = sites.set_index("site_code")
    # Abham (ABHA) in Devon, not at Aberthaw; Dalmally not at NESO's Dallas.
    assert s.loc["ABHA", "y"] < 100_000 and s.loc["ABTH", "y"] > 150_000
    assert s.loc["DALL", "coord_source"] != "fes2024_gsp"
    # Tee points, border nodes and offshore platforms are not sites.
    assert not sites["site_name"].str.contains(r"\bTEE\b|BORDER|OFFSHORE").any()
    # Every placed point lies in GB.
    placed = sites.dropna(subset=["x"])
    assert placed["x"].between(0, 700_000).all() and placed["y"].between(0, 1_250_000).all()
