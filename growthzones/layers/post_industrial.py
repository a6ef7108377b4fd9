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

CRITERIA = theme_criteria("post_industrial")


# ---------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------

def mean_within_radius(points_xy: np.ndarray, values: np.ndarray, grid: GridSpec,
                       radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean of point ``values`` within ``radius_m`` of each cell, and how many points.

    Points are binned to the cell that contains them; a cell averages the points binned
    to the cells whose centres lie within ``radius_m`` of its own centre (a disc
    convolution), so distances are off by at most ``resolution / sqrt(2)``.

    Parameters
    ----------
    points_xy
        (n, 2) x, y in metres in the grid's CRS; points off the grid are ignored.
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
    rows, cols = grid.rowcol(pts[:, 0], pts[:, 1])
    ok = (rows >= 0) & ~np.isnan(vals)
    sums = np.zeros(grid.shape)
    counts = np.zeros(grid.shape)
    np.add.at(sums, (rows[ok], cols[ok]), vals[ok])
    np.add.at(counts, (rows[ok], cols[ok]), 1.0)
    n = int(radius_m // grid.resolution)
    off = np.arange(-n, n + 1) * grid.resolution
    kernel = (off[:, None] ** 2 + off[None, :] ** 2 <= radius_m ** 2).astype(float)
    s = fftconvolve(sums, kernel, mode="same")
    c = np.rint(fftconvolve(counts, kernel, mode="same"))  # FFT leaves 1e-12 noise
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(c > 0, s / np.where(c > 0, c, 1), np.nan)
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
# Build (edge)
# ---------------------------------------------------------------------------------------

def build(sources: SourceFiles, grid: GridSpec, base) -> Built:
    """Read the deprivation and power-station sources and put every criterion on ``grid``."""
    imd = read_composite_imd(sources.path("uk_composite_imd"))
    out = {
        "employment_deprivation_pct": base.map_values(imd["employment_score"]),
        "income_deprivation_pct": base.map_values(imd["income_score"]),
        "uk_imd_score": base.map_values(imd["UK_IMD_E_score"]),
        "uk_imd_decile": base.map_values(imd["UK_IMD_E_pop_decile"].astype(float)),
    }

    cent = small_area_centroids(sources)
    emp = cent.index.to_series().map(imd["employment_score"]).to_numpy(float)
    mean, _ = mean_within_radius(cent[["x", "y"]].to_numpy(), emp, grid, PLACE_RADIUS_M)
    # Rule for cells with no centroid within the radius: the cell's own small area.
    e10 = np.where(np.isnan(mean), out["employment_deprivation_pct"], mean)
    out["employment_deprivation_10km_pct"] = np.where(base.land, e10, np.nan).astype(np.float32)

    reg, dropped = industry.read_register(sources)
    stations = industry.closed_power_stations(reg, min_since_2010_mw=MIN_CLOSED_MW)
    stations = stations.dropna(subset=["x", "y"])
    dist = distance_to_points(stations[["x", "y"]].to_numpy(), grid, base.land)
    out["dist_closed_power_station_km"] = dist
    out["post_industrial"] = np.where(
        base.land, post_industrial_index(out["employment_deprivation_10km_pct"], dist),
        np.nan).astype(np.float32)

    out.update(industry.former_industry_on_grid(reg, grid, base.land))
    dc = industry.read_data_centres(sources)
    dc = dc[dc["lifecycle"].isin(industry.DATA_CENTRE_LIFECYCLES)]
    out.update(industry.data_centres_on_grid(dc[["x", "y"]].to_numpy(float), grid, base.land))
    counts = industry.coverage_counts(reg, dropped, dc)
    unmatched = {"unmatched": int((~base.areas["code"].isin(imd.index)).sum()),
                 "codes": len(base.areas)}
    counts.update({k: unmatched for k in ("employment_deprivation_pct", "income_deprivation_pct",
                                          "uk_imd_score", "uk_imd_decile")})
    own = np.isnan(mean) & base.land
    counts["employment_deprivation_10km_pct"] = {
        "own_area_pct": round(100 * float(own.sum()) / max(int(base.land.sum()), 1))}
    return Built(out, {k: v for k, v in counts.items() if k in out})
