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
                 "Cheshire Brickmakers Ltd", "RAF Upper Heyford", "Nowhere"],
        "kind": ["coal power station", "coal power station", "refinery",
                 "brick, lime or ceramics works", "airfield", "gas power station"],
        "status": ["closed", "partly closed", "reporting in 2014", "reporting in 2014",
                   "closed", "closed"],
        "x": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan], "y": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
        "source": ["gem_coal", "dukes_5_11 (gem_coal:Drax)", "hotmaps_industrial_sites",
                   "hotmaps_industrial_sites", "ourairports_closed", "dukes_5_11"]})
    subs = pd.DataFrame({"site_name": ["RATCLIFFE ON SOAR", "DRAX", "VILLAGE", "SMALL"],
                         "max_kv": [400.0, 400.0, 275.0, 132.0],
                         "x": [6.0, 7.0, 8.0, 9.0], "y": [6.0, 7.0, 8.0, 9.0],
                         "coord_source": ["fes2024_gsp", "nged_substations",
                                          "pypsagb_geocoded", "fes2024_gsp"]})
    f = named_features(reg, subs)
    assert list(f.columns) == list(FEATURE_COLUMNS)
    assert dict(zip(f["label"], f["tier"])) == {
        "Cottam (former power station)": 1, "Drax (power station, partly closed)": 1,
        "Humber Oil Refinery (refinery)": 2, "RAF Upper Heyford (former airfield)": 3,
        "Drax (400 kV substation)": 4, "Ratcliffe on Soar (400 kV substation)": 4}
    # left out: a company-only name, an unplaced station, a geocoded village, 132 kV


def test_name_helpers():
    assert title_name("WEST BURTON GSP") == "West Burton GSP"
    assert site_part("LaFarge Cement UK Plc, Lafarge Cement UK, Hope Works") == "Hope Works"
    assert site_part("Wyman Gordon Limited") is None


def test_real_features_hold_the_known_stations(sources):
    f = read_named_features(sources).set_index("label")
    r = f.loc["Ratcliffe-on-Soar (former power station)"]
    assert (r["tier"], r["easting"], r["northing"]) == (1, 450139.0, 330199.0)
    assert "Teesside (former power station)" in f.index
    assert (f["tier"] == 4).sum() > 200  # placed 275/400 kV sites
    from growthzones.grid import GB_BOUNDS

    x0, y0, x1, y1 = GB_BOUNDS
    assert f["easting"].between(x0, x1).all() and f["northing"].between(y0, y1).all()
