"""Land availability: exclusions, built-up land, brownfield supply, room for a campus, SACs.

Pure functions are checked on small hand-made fixtures with the arithmetic written out;
the layer is then built once from the real shared data at 1 km and checked at named
places whose status is known (the Lake District is a National Park, the Gower is an
AONB, central Manchester is built up, ...).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import value_at as at
from pyproj import Transformer

from growthzones.catalog import catalog
from growthzones.grid import GridSpec
from growthzones.layers import land

TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)


# --------------------------------------------------------------------------- fixtures ---

@pytest.fixture(scope="module")
def land_1km(sources, base_1km):
    """Every land layer built from the real shared data at 1 km (about 12 s)."""
    return land.build(sources, base_1km.grid, base_1km)



@pytest.fixture(scope="module")
def land_features(sources):
    """The land features (``land.read``), read once."""
    return land.read(sources)


@pytest.fixture(scope="module")
def small_areas(base_1km):
    """The national small areas as build_base takes them, from the 1 km base's tables."""
    import geopandas as gpd

    return gpd.GeoDataFrame(base_1km.areas, geometry=gpd.GeoSeries(base_1km.shapes),
                            crs="EPSG:27700")


def tiny(res, cols, rows):
    return GridSpec(resolution=res, bounds=(0, 0, res * cols, res * rows))


# ------------------------------------------------------------------- pure functions ---

def test_exclusion_raster_is_one_zero_or_nan():
    from shapely.geometry import box

    g = tiny(1000, 3, 1)
    assessed = np.array([[True, True, False]])
    # Polygon covers the centres of cells 0 and 2; cell 2 is outside the assessed area
    # but the polygon is known there, so it stays excluded.
    out = land.exclusion_raster([box(0, 0, 900, 1000), box(2100, 0, 3000, 1000)], g, assessed)
    assert out.dtype == np.float32
    assert out.tolist() == [[1.0, 0.0, 1.0]]
    out = land.exclusion_raster([box(0, 0, 900, 1000)], g, assessed)
    assert out[0, 0] == 1 and out[0, 1] == 0 and np.isnan(out[0, 2])


def test_circle_clearance_by_hand():
    g = tiny(1000, 5, 1)
    land_mask = np.array([[True, True, True, True, False]])
    got = land.circle_clearance_km(np.array([[500.0, 500.0]]), np.array([1200.0]), g,
                                   land_mask, cap_km=2.5)
    # distances 0, 1000, 2000, 3000 m minus 1,200 m, floored at 0, capped at 2.5 km.
    np.testing.assert_allclose(got[0, :4], [0.0, 0.0, 0.8, 1.8], atol=1e-6)
    assert np.isnan(got[0, 4])
    far = land.circle_clearance_km(np.array([[90_000.0, 500.0]]), np.array([100.0]), g,
                                   land_mask, cap_km=2.5)
    assert np.allclose(far[0, :4], 2.5)


def test_sac_land_radius_removes_the_marine_share():
    r = land.sac_land_radius_m([100.0, 100.0, 100.0], [50.0, np.nan, 100.0])
    assert r[0] == pytest.approx(math.sqrt(50e4 / math.pi))
    assert r[1] == pytest.approx(math.sqrt(100e4 / math.pi))   # unknown share: all land
    assert r[2] == 0


def test_duplicate_sites_keeps_the_first_of_each_repeat():
    org = np.array(["A", "A", "A", "B", "A"])
    ha = np.array([4.48, 4.48, 4.48, 4.48, 1.0])
    xy = np.array([[0, 0], [10, 0], [5000, 0], [0, 0], [0, 0]], float)
    # Row 1 repeats row 0 (same council and area, 10 m apart); row 2 is 5 km away, row 3
    # another council, row 4 another area.
    assert land.duplicate_sites(org, ha, xy).tolist() == [False, True, False, False, False]


def test_clean_brownfield_drops_each_kind_and_counts_it():
    df = pd.DataFrame({
        "organisation": ["A", "A", "A", "A", "A", "A", "B"],
        "end-date": [None, "2019-01-01", None, None, None, None, None],
        "latitude": [52.0, 52.0, None, 52.0, 52.0, 52.0, 52.0],
        "longitude": [-1.0, -1.0, None, -1.0, -1.0, -1.0, -1.0],
        "hectares": [5.0, 5.0, 5.0, np.nan, 5.0, 2.0, 3.0],
        "easting": [0.0, 0.0, np.nan, 0.0, 50.0, 0.0, 900_000.0],
        "northing": [0.0] * 7,
    })
    kept, dropped = land.clean_brownfield(df, lambda x, y: x < 100_000)
    assert kept.index.tolist() == [0, 5]
    assert dropped == {"removed (end-date)": 1, "no coordinates": 1, "no area": 1,
                       "duplicate": 1, "outside England": 1}


def test_missing_postcode_package_names_the_install_command(sources, monkeypatch):
    import importlib.util

    from growthzones._errors import SourceDataError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SourceDataError, match=r"pip install -e '\.\[build\]'"):
        sources.path("codepoint_open")


def test_criteria_declare_kind_unit_and_catalogued_sources():
    cat = catalog()
    for crit in land.CRITERIA.values():
        assert crit.layer == "land" and crit.coverage and crit.sources
        assert all(s in cat for s in crit.sources)
        if crit.kind == "exclusion":
            assert crit.unit == "flag" and crit.direction is None
        else:
            assert crit.direction in ("max", "min")
    assert "national_parks" in land.CRITERIA   # other code and the default scenario use it


# -------------------------------------------------------------------- real data, readers ---

def test_postcodes_keep_located_quality_codes(sources):
    pc = land.read_postcodes(sources.path("codepoint_open"))
    # Code-Point Open 2025.2.0 holds 1,743,449 GB postcodes; 811 have no coordinates
    # (quality 90) and 232 only a sector mean (quality 60).
    assert len(pc) == 1_743_449 - 811 - 232
    assert pc["easting"].between(0, 700_000).all() and pc["northing"].between(0, 1_250_000).all()


def test_brownfield_cleaning_counts_on_the_real_registers(sources):
    raw = land.read_brownfield(sources.path("brownfield_register_england"))
    assert len(raw) == 26_758
    # the England test is grid-free: within 2 km of an English LSOA polygon
    in_england = land.within_distance(land.read_england(sources.path("lsoa_ew")))
    kept, dropped = land.clean_brownfield(raw, in_england)
    assert dropped["removed (end-date)"] == 216          # as SOURCES-land.md states
    assert dropped["no coordinates"] + dropped["no area"] == 26_758 - 216 - 24_882
    # Hand-checked: whole registers whose coordinates are swapped or mis-projected into
    # the Irish Sea, Northern Ireland or Wales (Coventry's points lie at 53.8 N 3.8 W,
    # Woking's at 54.3 N 5.7 W); 351 rows in all.
    assert dropped["outside England"] == 351
    gone = raw.loc[raw.index.difference(kept.index)]
    gone = gone[gone["end-date"].isna() & gone["latitude"].notna() & gone["hectares"].gt(0)]
    by_org = gone["organisation-name"].value_counts()
    assert by_org["Coventry City Council"] >= 133 and by_org["Woking Borough Council"] >= 107
    assert kept["hectares"].max() == pytest.approx(1380.9)   # Northstowe
    assert len(kept) + sum(dropped.values()) == 26_758


def test_sac_reader_drops_offshore_and_northern_ireland(sources):
    sac = land.read_sac_sites(sources.path("sac_sites_jncc"))
    assert not sac["eu_code"].duplicated().any()
    # 658 sites: 25 offshore (incl. one NI offshore) and 57 Northern Ireland-only dropped;
    # 242 E, 239 S, 85 W and 10 cross-border E/S and E/W sites kept.
    assert len(sac) == 658 - 25 - 57 == 576
    moray = sac.set_index("name").loc["Moray Firth"]
    assert moray["radius_m"] == 0          # 100 % marine: no land circle


# ---------------------------------------------------------------- real data, layer ---

def test_build_provides_every_land_criterion(land_1km, base_1km):
    assert set(land_1km) == set(land.CRITERIA)
    for name, arr in land_1km.items():
        assert arr.shape == base_1km.grid.shape and arr.dtype == np.float32, name
        if land.CRITERIA[name].kind == "exclusion":
            vals = arr[base_1km.land]
            assert set(np.unique(vals[~np.isnan(vals)])) <= {0.0, 1.0}, name


def test_lake_district_is_excluded_and_cambridge_is_not(land_1km, base_1km):
    # Scafell Pike, NY 215 072.
    assert at(land_1km, base_1km, "national_parks", 321_500, 507_200) == 1
    assert at(land_1km, base_1km, "campus_room_ha", 321_500, 507_200) == 0
    assert at(land_1km, base_1km, "national_parks", 545_000, 258_500) == 0


def test_aonb_wales_covers_wales_only(land_1km, base_1km):
    def v(x, y):
        return at(land_1km, base_1km, "aonb_wales", x, y)

    assert v(242_000, 188_500) == 1            # Rhossili, Gower AONB
    assert v(356_000, 215_800) == 1            # Symonds Yat, Wye Valley AONB (English part)
    assert v(318_500, 176_500) == 0            # Cardiff: assessed, clear
    assert np.isnan(v(407_000, 287_000))       # Birmingham: England, not assessed
    assert np.isnan(v(325_500, 673_500))       # Edinburgh: not assessed
    wales = land.nation_mask(base_1km, "W") & base_1km.land
    assert np.isfinite(land_1km["aonb_wales"][wales]).all()


def test_north_east_layers_are_nan_outside_the_region(land_1km, base_1km):
    ne = land.region_mask(base_1km, land.NORTH_EAST_LA_CODES) & base_1km.land
    assert base_1km.las["la_code"].isin(land.NORTH_EAST_LA_CODES).sum() == 12
    for name in land.NE_DESIGNATIONS:
        arr = land_1km[name]
        assert np.isfinite(arr[ne]).all(), name
        assert np.isnan(arr[base_1km.land & ~ne]).mean() > 0.995, name
    # Bamburgh is in the Northumberland Coast AONB; Leeds is outside the region.
    assert at(land_1km, base_1km, "aonb_north_east_england", 418_000, 634_800) == 1
    assert np.isnan(at(land_1km, base_1km, "sssi_north_east_england", 430_000, 433_500))


def test_north_east_sssi_cells_match_the_polygon_area(land_1km, base_1km):
    # 1,469 SSSI parts cover 107,317 ha = 1,073 km2; the cell-centre rule samples that
    # area, so about 1,073 one-km2 cells should be excluded.
    n = int(np.nansum(land_1km["sssi_north_east_england"] == 1))
    assert 0.85 * 1073 < n < 1.15 * 1073


def test_built_up_is_high_in_city_centres_and_low_on_farmland(land_1km, base_1km):
    manchester = at(land_1km, base_1km, "built_up_share_pct", 383_800, 398_200)
    fens = at(land_1km, base_1km, "built_up_share_pct", 540_000, 290_000)
    assert manchester >= 90 and at(land_1km, base_1km, "built_up", 383_800, 398_200) == 1
    assert fens <= 5 and at(land_1km, base_1km, "built_up", 540_000, 290_000) == 0
    share = land_1km["built_up_share_pct"][base_1km.land]
    flag = land_1km["built_up"][base_1km.land]
    assert np.array_equal(flag == 1, share >= land.BUILT_UP_THRESHOLD_PCT)
    assert 0.01 < flag.mean() < 0.06    # dense cores only, not every village


def test_campus_room_in_london_and_at_cottam(land_1km, base_1km):
    assert at(land_1km, base_1km, "campus_room_ha", 530_000, 180_500) < 50   # Westminster
    assert at(land_1km, base_1km, "campus_room_ha", 481_000, 379_900) >= 50  # Cottam


def test_brownfield_near_tees_marshalling_yard(land_1km, base_1km):
    # Hand check from the register: Tees Marshalling Yard (344.86 ha, 54.561043 N
    # 1.288144 W) and Land off Grangefield Road, Millfield (171.55 ha, 2.4 km away) are
    # both within 5 km of the yard's cell centre, so at least 516.41 ha.
    x, y = TO_BNG.transform(-1.288144, 54.561043)
    assert at(land_1km, base_1km, "brownfield_ha_5km", x, y) >= 344.86 + 171.55
    assert at(land_1km, base_1km, "largest_brownfield_site_ha_5km", x, y) == pytest.approx(
        344.86, abs=0.01)
    x, y = TO_BNG.transform(0.034437, 52.267471)    # Northstowe, the largest site
    assert at(land_1km, base_1km, "largest_brownfield_site_ha_5km", x, y) == pytest.approx(
        1380.9, abs=0.01)


def test_brownfield_is_england_only(land_1km, base_1km):
    england = land.nation_mask(base_1km, "E") & base_1km.land
    for name in ("brownfield_ha_5km", "largest_brownfield_site_ha_5km"):
        arr = land_1km[name]
        assert np.isfinite(arr[england]).all() and np.isnan(arr[base_1km.land & ~england]).all()


def test_sac_clearance_is_zero_at_a_site_and_capped_far_away(land_1km, base_1km, sources):
    sac = land.read_sac_sites(sources.path("sac_sites_jncc")).set_index("name")
    cairngorms = sac.loc["Cairngorms"]
    assert at(land_1km, base_1km, "sac_clearance_km", cairngorms["x"], cairngorms["y"]) == 0
    vals = land_1km["sac_clearance_km"][base_1km.land]
    assert vals.min() == 0 and vals.max() == land.SAC_CLEARANCE_CAP_KM


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(land, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------- blocks (theme contract) ---

def test_features_are_grid_free_and_picklable(land_features):
    import pickle

    blob = pickle.dumps(land_features)
    assert len(blob) < 100e6
    assert not any(isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] > 2
                   for v in land_features.values())   # vectors and tables, no raster
    assert land.counts(land_features)["sac_clearance_km"] == {"sacs": 576}


def test_blocks_at_1km_equal_the_national_build(land_features, land_1km, base_1km):
    from conftest import assert_blocks_match

    # Northern England and the Scottish border: the North East layers, brownfield, the
    # England/Scotland edge; cut lines cross land where campus discs and built-up
    # windows reach over them.
    rows, cols = slice(570, 770), slice(300, 480)
    region = base_1km.block(rows, cols)
    whole = assert_blocks_match(land.on_block, land_features, region)
    for name, arr in whole.items():   # and a block equals the national build cut there
        np.testing.assert_array_equal(arr, land_1km[name][rows, cols], err_msg=name)
    room = whole["campus_room_ha"]
    for r in (round(0.37 * 200), round(0.71 * 200)):   # discs cut by the block edge
        edge = room[r - 1:r + 1]
        assert ((edge > 0) & (edge < land.campus.CAMPUS_ROOM_CAP_HA)).sum() > 20


def test_blocks_at_100m_keep_their_halo(land_features, small_areas):
    from conftest import assert_blocks_match

    from growthzones.layers.base import build_base

    # Teesside, 12 x 12 km: built-up edges, brownfield, North East designations.
    national = GridSpec(resolution=100)
    big = build_base(small_areas, national.block(slice(7240, 7360), slice(4440, 4560)))
    whole = assert_blocks_match(land.on_block, land_features, big)
    # an 8 x 8 km block with its own base (rasterised there) equals the bigger block's
    # middle: the 2.5 km halo is built from the national features, not from the block
    small = build_base(small_areas, national.block(slice(7260, 7340), slice(4460, 4540)))
    part = land.on_block(land_features, small)
    for name, arr in part.items():
        np.testing.assert_array_equal(arr, whole[name][20:100, 20:100], err_msg=name)
    share = whole["built_up_share_pct"][big.land]
    assert share.min() < 5 and share.max() > 90   # Middlesbrough's core and its edges
    assert np.nanmax(whole["brownfield_ha_5km"]) > 300


def test_a_25m_block_is_consistent_with_100m(land_features, small_areas):
    from conftest import assert_blocks_match

    from growthzones.layers.base import build_base

    # Cottam power station (481 000, 379 900): 5 x 5 km at 25 m and the same at 100 m.
    b25 = build_base(small_areas, GridSpec(resolution=25).block(slice(34704, 34904),
                                                                 slice(19140, 19340)))
    b100 = build_base(small_areas, GridSpec(resolution=100).block(slice(8676, 8726),
                                                                   slice(4785, 4835)))
    assert b25.grid.bounds == b100.grid.bounds
    # cuts at 74 and 142 rows are not on whole hectares: the hectare lattice is national
    v25 = assert_blocks_match(land.on_block, land_features, b25)
    v100 = land.on_block(land_features, b100)
    # the built-up share is measured on hectares: each 25 m cell has its hectare's
    both = np.isfinite(v25["built_up_share_pct"][::4, ::4]) & np.isfinite(
        v100["built_up_share_pct"])
    assert both.sum() > 2000
    np.testing.assert_array_equal(v25["built_up_share_pct"][::4, ::4][both],
                                  v100["built_up_share_pct"][both])
    # the campus disc is measured on 25 m cells: within a 100 m cell's width of the
    # 100 m disc (radii compared), and Cottam still has room for 50 ha
    r25 = np.sqrt(campus_block_max(v25["campus_room_ha"], 4) * 1e4 / np.pi)
    r100 = np.sqrt(v100["campus_room_ha"] * 1e4 / np.pi)
    ok = np.isfinite(r25) & np.isfinite(r100)
    assert np.abs(r25 - r100)[ok].max() <= 100.0
    assert at(v25, b25, "campus_room_ha", 481_000, 379_900) >= 50
    for name in land.CRITERIA:
        if land.CRITERIA[name].kind == "exclusion":
            vals = v25[name][np.isfinite(v25[name])]
            assert set(np.unique(vals)) <= {0.0, 1.0}, name


def campus_block_max(a, k):
    """Largest value of each k x k block (NaN where the block is all NaN)."""
    h, w = a.shape
    b = a.reshape(h // k, k, w // k, k)
    out = np.where(np.isnan(b), -np.inf, b).max(axis=(1, 3))
    return np.where(np.isinf(out), np.nan, out)


def test_real_park_and_aonb_counts_fill_the_coverage_texts(land_features, sources):
    import geopandas as gpd

    from growthzones.criteria import REGISTRY

    got = land.counts(land_features)
    parks = gpd.read_file(sources.path("national_parks"), read_geometry=False)
    assert got["national_parks"] == {"parks": parks["name"].nunique()}
    aonbs = gpd.read_file(sources.path("aonb_wales"), read_geometry=False)
    # the cross-border Wye Valley has an English and a Welsh row but is one AONB
    assert got["aonb_wales"]["aonbs"] == len(aonbs) - 1
    for name in ("national_parks", "aonb_wales"):
        text = REGISTRY[name].coverage_text(got[name])
        assert "…" not in text and str(next(iter(got[name].values()))) in text
