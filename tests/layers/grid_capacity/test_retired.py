"""Retired power stations and their substations (grid_capacity.retired).

Fixtures named ``*_fixture`` are small hand-made tables, not data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import value_at_lonlat as _at

from growthzones.layers import grid_capacity as gc


@pytest.fixture
def layers(grid_capacity_1km):
    """The grid-capacity layers at 1 km, built once per session (tests/conftest.py)."""
    return grid_capacity_1km


def _changes(rows):
    return pd.DataFrame(rows, columns=[
        "Year of opening/closure, capacity change or conversion", "Site", "Fuel", "Status",
        "Previous Capacity (MW)", "New Capacity (MW)"])


def test_retired_capacity_nets_conversions_reopenings_and_new_units():
    changes_fixture = _changes([
        (2013, "Drax", "Coal [note 20]", "Partially Converted", 3960, 3300),
        (2013, "Drax", "Biomass [note 20]", "Partially Converted", 0, 660),
        (2018, "Drax", "Coal [note 20]", "Converted", 3300, 1320),
        (2018, "Drax", "Biomass [note 20]", "Converted", 660, 2640),
        (2023, "Drax", "Coal", "Closed", 1320, 0),
        (2012, "Wylfa (Reactor 2)", "Nuclear [note 19]", "Partially Closed", 980, 490),
        (2015, "Wylfa (Reactor 1)", "Nuclear [note 19]", "Closed", 490, 0),
        (2013, "Keadby", "CCGT", "Mothballed", 749, 0),
        (2015, "Keadby", "CCGT", "Re-opened", 0, 749),
        (2013, "West Burton", "CCGT", "Opened", 0, 1332),
        (2023, "West Burton", "Coal", "Closed", 2000, 0),
        (2020, "Sandbach", "CCGT", "Closed", 56, 0),
        (2015, "Ironbridge", "Biomass", "Closed", 370, 0),
    ])
    r = gc.retired_capacity_by_station(changes_fixture).set_index("station")["retired_mw"]
    assert r.to_dict() == {"WEST BURTON": 2000.0, "DRAX": 1320.0, "WYLFA": 980.0}


def test_clean_plant_coordinates_flags_irish_grid_and_drops_bad_points():
    dukes_fixture = pd.DataFrame({
        "Site Name": ["EP Kilroot", "Grain (OCGT)", "Bad X", "Cottam Development Centre"],
        "InstalledCapacity (MW)": [559, 50, 300, 445],
        "Primary Fuel": ["Coal", "Gas", "Gas", "Gas"],
        "Country": ["Northern Ireland", "England", "England", "England"],
        "X-Coordinate": [157669, 0, 3_201_233, 470307],
        "Y-Coordinate": [543287, 0, 200_000, 378332]})
    out = gc.clean_plant_coordinates(dukes_fixture)
    assert list(out["name"]) == ["EP Kilroot", "Cottam Development Centre"]
    kil = out.iloc[0]
    assert kil["ni"] and np.isnan(kil["x"]) and np.isnan(kil["y"])  # never read as BNG
    assert (out.iloc[1][["x", "y"]] == [470307, 378332]).all()


def test_locate_retired_refuses_an_ambiguous_name_without_coordinates():
    sites_fixture = pd.DataFrame({
        "site_code": ["OLDB", "OLDS", "WYLF", "WYLS"],
        "names": [("OLDBURY",), ("OLDBURY ON SEVERN",), ("WYLFA",), ("WYLFA SOUTH",)],
        "max_kv": [400.0, 132.0, 400.0, 400.0],
        "x": [398_600.0, np.nan, 235_100.0, np.nan], "y": [289_000.0, np.nan, 393_700.0, np.nan]})
    retired_fixture = pd.DataFrame({"station": ["OLDBURY", "WYLFA", "KILROOT"],
                                    "retired_mw": [434.0, 980.0, 559.0]})
    plants_fixture = pd.DataFrame({"station": ["KILROOT"], "x": [np.nan], "y": [np.nan],
                                   "ni": [True], "source": ["gppd_gbr"]})
    links_fixture = pd.DataFrame({"a": ["WYLF"], "b": ["WYLS"], "length_km": [8.11]})
    out = gc.locate_retired(retired_fixture, sites_fixture, plants_fixture,
                            links_fixture).set_index("station")
    assert out.loc["OLDBURY", "how"] == "unplaced"          # OLDBURY ON SEVERN elsewhere
    assert out.loc["WYLFA", "how"] == "name" and out.loc["WYLFA", "site_code"] == "WYLF"
    assert out.loc["KILROOT", "how"] == "northern_ireland"


@pytest.mark.parametrize("place, lon, lat, mw", [
    ("Cottam", -0.781, 53.304, 2000.0), ("Ratcliffe-on-Soar", -1.255, 52.865, 2021.0),
    ("Fiddlers Ferry", -2.69, 53.372, 1510.0), ("Longannet", -3.68, 56.047, 2260.0),
    ("Aberthaw", -3.40, 51.387, 1610.0), ("Wylfa", -4.48, 53.416, 980.0),
])
def test_real_retired_capacity_at_closed_stations(layers, base_1km, place, lon, lat, mw):
    assert _at(base_1km, layers["retired_capacity_mw"], lon, lat) >= mw, place


def test_real_retired_capacity_is_zero_far_from_closures_and_nan_at_sea(layers, base_1km):
    assert _at(base_1km, layers["retired_capacity_mw"], -3.13, 54.60) == 0.0   # Keswick
    assert np.isnan(layers["retired_capacity_mw"][~base_1km.land]).all()


def test_real_dukes_northern_ireland_rows_never_get_bng_coordinates(sources):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(sources.path("dukes_5_11"), sheet_name="DUKES 2022", header=5)
    ni = raw["Country"].astype(str).str.strip() == "Northern Ireland"
    assert ni.sum() > 0
    clean = gc.clean_plant_coordinates(raw)
    assert clean.loc[clean["ni"], ["x", "y"]].isna().all().all()
    assert clean.loc[~clean["ni"], "x"].between(1, 700_000).all()
    assert "Grain (OCGT)" not in set(clean["name"])  # 0/0 in the file
