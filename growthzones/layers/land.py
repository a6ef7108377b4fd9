"""Land availability: hard exclusions where a campus cannot be built.

An exclusion raster holds 1 (excluded), 0 (assessed, not excluded) or NaN (no data for
that area: the exclusion is not assessed there, which is reported, never read as
"unprotected").
"""

from __future__ import annotations

import numpy as np

from ..catalog import SourceFiles
from ..grid import BNG, GridSpec, rasterize_mask
from . import Criterion

CRITERIA = {
    "national_parks": Criterion(
        name="national_parks", layer="land", title="National Parks", unit="flag",
        direction=None, kind="exclusion",
        description="Cell centre inside one of the 15 National Parks of GB (ONS, Dec 2021).",
        sources=("national_parks",), coverage="GB: complete (England, Wales, Scotland)."),
}


def exclusion_raster(geoms, grid: GridSpec, assessed: np.ndarray) -> np.ndarray:
    """1 inside ``geoms``, 0 elsewhere within ``assessed``, NaN where not assessed."""
    out = np.where(assessed, 0.0, np.nan).astype(np.float32)
    out[rasterize_mask(geoms, grid) & assessed] = 1.0
    return out


def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    import geopandas as gpd

    parks = gpd.read_file(sources.path("national_parks")).to_crs(BNG)
    return {"national_parks": exclusion_raster(parks.geometry, grid, base.land)}
