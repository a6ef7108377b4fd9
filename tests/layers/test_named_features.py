"""The named features sites are named after, from the register and the ETYS substations."""

import numpy as np
import pandas as pd

from growthzones.layers.named_features import (
    FEATURE_COLUMNS,
    named_features,
    read_named_features,
    site_part,
    title_name,
)


def test_labels_tiers_and_what_is_left_out():
    reg = pd.DataFrame({  # FIXTURE rows shaped like the register
        "name": ["Cottam power station", "Drax", "Conocophillips Ltd, Humber Oil Refinery",
                 "Cheshire Brickmakers Ltd", "RAF Upper Heyford", "Nowhere",
                 "Trawsfynydd nuclear power plant"],
        "kind": ["coal power station", "coal power station", "refinery",
                 "brick, lime or ceramics works", "airfield", "gas power station",
                 "nuclear power station"],
        "status": ["closed", "partly closed", "reporting in 2014", "reporting in 2014",
                   "closed", "closed", "closed"],
        "closure_year": [2019.0, 2023.0, np.nan, np.nan, np.nan, 2012.0, 1991.0],
        "x": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan, 10.0],
        "y": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan, 10.0],
        "source": ["gem_coal", "dukes_5_11 (gem_coal:Drax)", "hotmaps_industrial_sites",
                   "hotmaps_industrial_sites", "ourairports_closed", "dukes_5_11",
                   "gem_nuclear"]})
    subs = pd.DataFrame({"site_name": ["RATCLIFFE ON SOAR", "DRAX", "VILLAGE", "SMALL"],
                         "max_kv": [400.0, 400.0, 275.0, 132.0],
                         "x": [6.0, 7.0, 8.0, 9.0], "y": [6.0, 7.0, 8.0, 9.0],
                         "coord_source": ["fes2024_gsp", "nged_substations",
                                          "pypsagb_geocoded", "fes2024_gsp"]})
    f = named_features(reg, subs)
    assert list(f.columns) == list(FEATURE_COLUMNS)
    named = f[f["label"] != ""]
    assert dict(zip(named["label"], named["tier"])) == {
        "Cottam (former power station)": 1, "Drax (power station, partly closed)": 1,
        "Trawsfynydd (former power station)": 1,
        "Humber Oil Refinery (refinery)": 2, "RAF Upper Heyford (former airfield)": 3,
        "Drax (400 kV substation)": 4, "Ratcliffe on Soar (400 kV substation)": 4}
    # left out: an unplaced station, a geocoded village, 132 kV
    assert len(f) == len(named) + 1
    # a company-only works names no site but stays, named by its company, to explain a flag
    company = f[f["label"] == ""].iloc[0]
    assert (company["name"], company["kind"], company["tier"], company["status"]) == (
        "Cheshire Brickmakers Ltd", "brick, lime or ceramics works", 2, "reporting in 2014")
    t = f.set_index("label").loc["Trawsfynydd (former power station)"]
    assert (t["name"], t["kind"], t["status"], t["closure_year"]) == (
        "Trawsfynydd", "nuclear power station", "closed", 1991.0)
    sub = f.set_index("label").loc["Drax (400 kV substation)"]
    assert sub["kind"] == "substation" and np.isnan(sub["closure_year"])


def test_name_helpers():
    assert title_name("WEST BURTON GSP") == "West Burton GSP"
    assert site_part("LaFarge Cement UK Plc, Lafarge Cement UK, Hope Works") == "Hope Works"
    assert site_part("Wyman Gordon Limited") is None


def test_real_features_hold_the_known_stations(sources):
    from growthzones.layers import industry

    table = read_named_features(sources)
    # one row per placed register site (named or not), plus the substations
    reg, _ = industry.read_register(sources)
    placed = reg["x"].notna() & reg["y"].notna()
    assert (table["kind"] != "substation").sum() == placed.sum()
    assert (table["label"] == "").sum() > 0  # company-only Hotmaps works
    t = table[table["name"] == "Trawsfynydd"].set_index("kind").loc["nuclear power station"]
    assert (t["label"], t["closure_year"]) == ("Trawsfynydd (former power station)", 1991.0)
    f = table.set_index("label")
    r = f.loc["Ratcliffe-on-Soar (former power station)"]
    assert (r["tier"], r["easting"], r["northing"]) == (1, 450139.0, 330199.0)
    assert "Teesside (former power station)" in f.index
    assert (f["tier"] == 4).sum() > 200  # placed 275/400 kV sites
    from growthzones.grid import GB_BOUNDS

    x0, y0, x1, y1 = GB_BOUNDS
    assert f["easting"].between(x0, x1).all() and f["northing"].between(y0, y1).all()
