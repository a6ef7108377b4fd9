"""The identify data's value codes: fixed steps, clipped, NODATA where there is no value."""

import numpy as np

from growthzones.maps._identify import NODATA, codes


def test_codes_round_clip_and_mark_missing_values():
    v = np.array([np.nan, np.inf, -np.inf, -5.0, 0.0, 0.24, 0.26, 1e30, 13107.0, 2.5],
                 dtype=np.float32)
    got = codes(v, 0.2, base=-1.0)
    # rint((v - base) / step), clipped to 0..65534; NaN and infinities are NODATA
    want = [NODATA, NODATA, NODATA, 0, 5, 6, 6, NODATA - 1, NODATA - 1, 18]
    assert got.dtype == np.uint16 and got.tolist() == want


def test_codes_match_a_plain_masked_formula_on_random_values():
    rng = np.random.default_rng(1)
    v = rng.normal(40, 30, 50_000)
    v[::11] = np.nan
    for step, base in ((0.001, 0.0), (0.2, -20.0), (5.0, 100.0)):
        q = np.clip(np.rint((v - base) / step), 0, NODATA - 1)
        want = np.where(np.isfinite(v), np.nan_to_num(q), NODATA).astype(np.uint16)
        assert np.array_equal(codes(v, step, base), want)
