"""Post-industrial status: places that lost their industry and have labour to spare.

Deprivation is taken from mySociety's composite UK index, which re-scores Wales and
Scotland against the English model so that small areas in all three nations compare
(the national indices' ranks and deciles cannot be compared across nations). Its
income and employment scores are the share of people income- or employment-deprived,
defined alike in the three national indices, so they are used as they are. The
**default scenario uses** ``employment_deprivation_pct``: involuntary worklessness is the
signal a large employer can answer, and it is what de-industrialised places keep.

Former industry comes from the industrial register (:mod:`.industry`): closed power
stations (DUKES closures since 2010; GEM coal closures since 2000 and nuclear closures at
any date), steelworks, the energy-intensive works of 2014 and closed airfields. This
module builds the register's criteria too (``dist_former_industry_km``,
``retired_generation_mw_10km``, ``previously_developed``) and the existing data-centre
criteria (``dist_data_centre_km``, ``data_centres_20km``): they are one theme with the
deprivation criteria so that the ``criteria`` command and the map list them. Coalfields,
collieries, car plants, shipyards and the Levelling Up priority lists are not in the
shared data (see ``catalog.toml`` gaps).

``post_industrial`` combines the two (see :func:`post_industrial_index`):

.. math:: P = \\tfrac12\\,\\mathrm{clip}\\left(\\frac{E_{10} - 8}{20 - 8}, 0, 1\\right)
          + \\tfrac12\\,2^{-d / 10\\,\\mathrm{km}}

with :math:`E_{10}` the mean employment deprivation (%) of the small areas within 10 km
(8 % and 20 % are about the GB small-area median and 90th percentile) and :math:`d` the
distance to the nearest power station that closed at least 200 MW since 2010. Equal
halves: a place scores highly only when it is both deprived and a former industrial site.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..criteria import theme_criteria
from ..grid import GridSpec, distance_to_points
from . import industry
from .base import Built

#: Radius (m) of the place-level employment deprivation.
PLACE_RADIUS_M = 10_000.0
#: Employment deprivation (%) mapped to 0 and to 1 in ``post_industrial``.
EMPLOYMENT_ANCHORS_PCT = (8.0, 20.0)
#: Half-distance (km) of the closed-station term in ``post_industrial``.
STATION_HALF_DISTANCE_KM = 10.0
#: Minimum generating capacity (MW) closed at a site since 2010 to count as a closed station.
MIN_CLOSED_MW = 200.0
#: Weights of the deprivation and former-industry terms in ``post_industrial``.
POST_INDUSTRIAL_WEIGHTS = (0.5, 0.5)
#: Units per 1 of the exact sums in :func:`mean_within_radius` (values kept to 1e-6).
_FIXED = 1e6

CRITERIA = theme_criteria("post_industrial")


# ---------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------

def mean_within_radius(points_xy: np.ndarray, values: np.ndarray, grid: GridSpec,
                       radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean of point ``values`` within ``radius_m`` of each cell, and how many points.

    Points are binned to the cell that contains them; a cell averages the points binned
    to the cells whose centres lie within ``radius_m`` of its own centre (a disc
    convolution), so distances are off by at most ``resolution / sqrt(2)``. Points off
    the grid count where they are within reach (a block of a grid gets the whole grid's
    values), and values are summed in whole units of 1e-6 (exactly), so a mean does not
    depend on the size of the grid.

    Parameters
    ----------
    points_xy
        (n, 2) x, y in metres in the grid's CRS.
    values
        (n,) values; NaN values are ignored.
    grid
        The analysis grid.
    radius_m
        Radius in metres.

    Returns
    -------
    mean, count
        float64 arrays of ``grid.shape``; ``mean`` is NaN where ``count`` is 0.

    Examples
    --------
    >>> from growthzones.grid import GridSpec
    >>> g = GridSpec(resolution=1000, bounds=(0, 0, 3000, 1000))
    >>> pts = np.array([[500.0, 500], [2500, 500]])
    >>> m, n = mean_within_radius(pts, np.array([2.0, 6.0]), g, 1000)
    >>> np.round(m, 9).tolist(), n.tolist()
    ([[2.0, 4.0, 6.0]], [[1.0, 2.0, 1.0]])
    """
    from scipy.signal import fftconvolve

    pts = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    vals = np.asarray(values, dtype=float)
    n = int(radius_m // grid.resolution)
    # Bin on the grid plus a halo of n cells, so that a cell sees the points just off
    # the grid as it would in a larger grid: a block's values equal the whole grid's.
    res, (xmin, ymin, xmax, ymax) = grid.resolution, grid.bounds
    wide = GridSpec(resolution=res, crs=grid.crs, bounds=(xmin - n * res, ymin - n * res,
                                                          xmax + n * res, ymax + n * res))
    rows, cols = wide.rowcol(pts[:, 0], pts[:, 1])
    ok = (rows >= 0) & ~np.isnan(vals)
    # Sums in whole units of 1e-6 (exact in float64 and after FFT rounding), so that
    # they do not depend on the array's size the way FFT noise does.
    sums = np.zeros(wide.shape)
    counts = np.zeros(wide.shape)
    np.add.at(sums, (rows[ok], cols[ok]), np.rint(vals[ok] * _FIXED))
    np.add.at(counts, (rows[ok], cols[ok]), 1.0)
    off = np.arange(-n, n + 1) * res
    kernel = (off[:, None] ** 2 + off[None, :] ** 2 <= radius_m ** 2).astype(float)
    core = (slice(n, n + grid.height), slice(n, n + grid.width))
    s = np.rint(fftconvolve(sums, kernel, mode="same")[core])
    c = np.rint(fftconvolve(counts, kernel, mode="same")[core])  # FFT leaves 1e-12 noise
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(c > 0, s / np.where(c > 0, c, 1) / _FIXED, np.nan)
    return mean, c


def post_industrial_index(employment_10km_pct: np.ndarray, dist_station_km: np.ndarray, *,
                          anchors_pct: tuple[float, float] = EMPLOYMENT_ANCHORS_PCT,
                          half_distance_km: float = STATION_HALF_DISTANCE_KM,
                          weights: tuple[float, float] = POST_INDUSTRIAL_WEIGHTS) -> np.ndarray:
    """Combine place-level employment deprivation and closed-station proximity into [0, 1].

    .. math:: P = w_1\\,\\mathrm{clip}\\left(\\frac{E - a_0}{a_1 - a_0}, 0, 1\\right)
              + w_2\\,2^{-d / h}

    NaN in either input gives NaN.

    Examples
    --------
    >>> float(post_industrial_index(np.array(14.0), np.array(10.0)))
    0.5
    """
    lo, hi = anchors_pct
    dep = np.clip((np.asarray(employment_10km_pct, float) - lo) / (hi - lo), 0.0, 1.0)
    near = np.exp2(-np.maximum(np.asarray(dist_station_km, float), 0.0) / half_distance_km)
    return (weights[0] * dep + weights[1] * near).astype(np.float32)


# ---------------------------------------------------------------------------------------
# Readers (edges)
# ---------------------------------------------------------------------------------------

def read_composite_imd(path) -> pd.DataFrame:
    """The composite UK IMD for GB small areas (Northern Ireland dropped), indexed by code."""
    df = pd.read_csv(path, dtype={"lsoa": str})
    return df[df["nation"].isin(["E", "W", "S"])].set_index("lsoa")


def read_closed_stations(sources: SourceFiles, *, min_closed_mw: float = MIN_CLOSED_MW
                         ) -> pd.DataFrame:
    """GB power stations of the industrial register that retired at least
    ``min_closed_mw`` since 2010 (DUKES), placed or not (``x``/``y`` NaN and ``position``
    "not located" when no source places them).

    The grid layer's ``retired_capacity_mw`` reads the same register
    (:func:`growthzones.layers.industry.closed_power_stations`), so the two agree on the
    stations, their MW and their points.
    """
    reg, _ = industry.read_register(sources)
    return industry.closed_power_stations(reg, min_since_2010_mw=min_closed_mw)


def small_area_centroids(sources: SourceFiles) -> pd.DataFrame:
    """Centroid ``x``, ``y`` (BNG) of every LSOA and Data Zone, indexed by code."""
    from .base import read_small_areas

    areas = read_small_areas(sources)
    c = areas.geometry.centroid
    return pd.DataFrame({"x": c.x.to_numpy(), "y": c.y.to_numpy()},
                        index=areas["code"].to_numpy())


# ---------------------------------------------------------------------------------------
# Theme contract: read (edge), on_block (pure), counts, build
# ---------------------------------------------------------------------------------------

#: The composite IMD columns the criteria use.
_IMD_COLUMNS = {"employment_deprivation_pct": "employment_score",
                "income_deprivation_pct": "income_score",
                "uk_imd_score": "UK_IMD_E_score", "uk_imd_decile": "UK_IMD_E_pop_decile"}


def read(sources: SourceFiles) -> dict:
    """Read the theme's sources once: the composite IMD, the small-area centroids, the
    industrial register and the data centres.

    Returns
    -------
    dict
        ``imd`` (the four scores by area code), ``centroids`` (``code``, ``x``, ``y``,
        ``employment`` of every small area), ``register`` and ``dropped``
        (:func:`industry.read_register`), ``stations_xy`` (placed power stations closed
        since 2010, :data:`MIN_CLOSED_MW` or more) and ``data_centres`` (operating or
        under construction).
    """
    imd = read_composite_imd(sources.path("uk_composite_imd"))
    imd = imd[list(_IMD_COLUMNS.values())].astype(float)
    cent = small_area_centroids(sources)
    cent["employment"] = cent.index.to_series().map(imd["employment_score"]).to_numpy(float)
    reg, dropped = industry.read_register(sources)
    stations = industry.closed_power_stations(reg, min_since_2010_mw=MIN_CLOSED_MW)
    dc = industry.read_data_centres(sources)
    cent = cent.rename_axis("code").reset_index()
    return {"imd": imd, "centroids": cent, "register": reg,
            "dropped": dropped,
            "stations_xy": stations.dropna(subset=["x", "y"])[["x", "y"]].to_numpy(float),
            "data_centres": dc[dc["lifecycle"].isin(industry.DATA_CENTRE_LIFECYCLES)]
            .reset_index(drop=True)}


def on_block(features: dict, base) -> dict[str, np.ndarray | int]:
    """Every post-industrial criterion on ``base.grid`` (the whole grid or one block).

    Each is a function of the national features and the cell alone (the 10 km means see
    the centroids beyond the block), so a block's cells equal the whole grid's. The
    tallies ``_own_cells`` (land cells with no centroid within :data:`PLACE_RADIUS_M`,
    which take their own small area's value) and ``_land_cells`` make the coverage
    figure (:func:`counts`).
    """
    grid, land = base.grid, base.land
    imd = features["imd"]
    out = {name: base.map_values(imd[col]) for name, col in _IMD_COLUMNS.items()}

    cent = features["centroids"]
    mean, _ = mean_within_radius(cent[["x", "y"]].to_numpy(), cent["employment"].to_numpy(),
                                 grid, PLACE_RADIUS_M)
    # Rule for cells with no centroid within the radius: the cell's own small area.
    e10 = np.where(np.isnan(mean), out["employment_deprivation_pct"], mean)
    out["employment_deprivation_10km_pct"] = np.where(land, e10, np.nan).astype(np.float32)

    dist = distance_to_points(features["stations_xy"], grid, land)
    out["dist_closed_power_station_km"] = dist
    out["post_industrial"] = np.where(
        land, post_industrial_index(out["employment_deprivation_10km_pct"], dist),
        np.nan).astype(np.float32)

    out.update(industry.former_industry_on_grid(features["register"], grid, land))
    dc = features["data_centres"]
    out.update(industry.data_centres_on_grid(dc[["x", "y"]].to_numpy(float), grid, land))
    out["_own_cells"] = int((np.isnan(mean) & land).sum())
    out["_land_cells"] = int(land.sum())
    return out


def counts(features: dict, tallies: dict) -> dict[str, dict]:
    """The figures the coverage texts quote, from the features and the summed tallies
    (``_own_cells``, ``_land_cells`` of :func:`on_block`)."""
    out = industry.coverage_counts(features["register"], features["dropped"],
                                   features["data_centres"])
    codes = features["centroids"]["code"]
    unmatched = {"unmatched": int((~codes.isin(features["imd"].index)).sum()),
                 "codes": len(codes)}
    out.update({k: unmatched for k in _IMD_COLUMNS})
    own, land = int(tallies["_own_cells"]), int(tallies["_land_cells"])
    out["employment_deprivation_10km_pct"] = {"own_area_pct": round(100 * own / max(land, 1))}
    return {k: v for k, v in out.items() if k in CRITERIA}  # not grid_capacity's figures


def build(sources: SourceFiles, grid: GridSpec, base) -> Built:
    """Read the deprivation and power-station sources and put every criterion on ``grid``."""
    f = read(sources)
    out = on_block(f, base)
    tallies = {k: out.pop(k) for k in [k for k in out if k.startswith("_")]}
    return Built(out, counts(f, tallies))
