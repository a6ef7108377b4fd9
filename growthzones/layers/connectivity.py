"""Connectivity: latency to the internet's exchange points, and ways in for construction."""

from __future__ import annotations

import numpy as np

from ..catalog import SourceFiles
from ..grid import BNG, GridSpec, distance_to_points
from . import Criterion

CRITERIA = {
    "dist_ixp_km": Criterion(
        name="dist_ixp_km", layer="connectivity",
        title="Distance to nearest internet exchange", unit="km", direction="min",
        description="Straight-line distance to the nearest building hosting an internet "
                    "exchange point (29 UK buildings: London, Slough, Manchester, Leeds, "
                    "Liverpool, Cardiff, Edinburgh, Glasgow).",
        sources=("ixp_buildings",),
        coverage="GB: complete for exchanges known in 2020; newer facilities are missing.",
        default_transform={"type": "decay", "half_distance": 60}),
}


def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    import geopandas as gpd

    ix = gpd.read_file(sources.path("ixp_buildings")).to_crs(BNG)
    xy = np.column_stack([ix.geometry.x, ix.geometry.y])
    return {"dist_ixp_km": distance_to_points(xy, grid, base.land)}
