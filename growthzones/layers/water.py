"""Water for cooling: proxies for where a campus could get cooling water.

A 500 MW campus needs cooling water confirmed by the water company. No layer in the shared
data measures water actually available to it, so the criteria here are proxies and say so:

``dist_major_river_km``
    Distance to a major river (World Data Bank II lines of GSHHG, plus Natural Earth's
    named rivers): raw or estuarine water for evaporative cooling. The lines are coarse
    (1:1M-1:10M, positions out by hundreds of metres), fit for "within a few km of a major
    river", not for siting an intake.
``dist_large_wwtw_km``
    Distance to a wastewater treatment works serving at least 100,000 population
    equivalent (EEA UWWTD reports, 2018): treated effluent is a non-potable cooling source
    (roughly 15-20 Ml/day per 100,000 p.e. of dry-weather flow).

What the shared data cannot support, and is therefore not a criterion:

* **Water stress.** The EA's 2021 determination of seriously water-stressed areas is a
  table by water company; no water-company supply-area polygons (or council-to-company
  lookup) exist in the shared data, so it cannot be put on the map without inventing the
  boundaries. It covers England only.
* **Water resource availability** (EA CAMS Q95 polygons) and the SEPA/NRW equivalents.

Both are listed as gaps in ``catalog.toml`` with their official sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..criteria import theme_criteria
from ..grid import BNG, GridSpec, LinePoints, distance_to_lines, distance_to_points, to_bng
from .base import Built

#: Minimum works size (population equivalent) for ``dist_large_wwtw_km``.
MIN_WORKS_PE = 100_000
#: Natural Earth lines that are not rivers.
NOT_RIVERS = ("Caledonian Canal",)

CRITERIA = theme_criteria("water")


def large_works(works: pd.DataFrame, *, min_pe: float = MIN_WORKS_PE) -> pd.DataFrame:
    """Active GB works of at least ``min_pe``; size is ``capacity_pe``, else ``load_entering_pe``.

    Examples
    --------
    >>> w = pd.DataFrame({"nation": ["England", "Northern Ireland", "Scotland", "Wales"],
    ...                   "state_last_report": ["active", "active", "active", "inactive"],
    ...                   "capacity_pe": [150e3, 200e3, np.nan, 300e3],
    ...                   "load_entering_pe": [90e3, 150e3, 120e3, 250e3]})
    >>> large_works(w).index.tolist()
    [0, 2]
    """
    size = works["capacity_pe"].fillna(works["load_entering_pe"])
    keep = (works["state_last_report"].eq("active")
            & works["nation"].isin(["England", "Wales", "Scotland"]) & size.ge(min_pe))
    return works[keep].assign(size_pe=size[keep])


def read_works(path) -> pd.DataFrame:
    """UWWTD works with BNG ``x``, ``y``."""
    df = pd.read_csv(path)
    xy = to_bng(df["longitude"], df["latitude"])
    return df.assign(x=xy[:, 0], y=xy[:, 1])


def read_rivers(path):
    """Major river lines in EPSG:27700: WDB II segments and Natural Earth named rivers,
    indexed by (``"wdb2"`` or ``"naturalearth"``, row) so that :func:`counts` can tell them
    apart."""
    import geopandas as gpd

    wdb = gpd.read_file(path, layer="rivers_wdb2").to_crs(BNG)
    ne = gpd.read_file(path, layer="rivers_named_naturalearth").to_crs(BNG)
    ne = ne[~ne["name"].isin(NOT_RIVERS)]
    return pd.concat([wdb.geometry.reset_index(drop=True), ne.geometry.reset_index(drop=True)],
                     keys=["wdb2", "naturalearth"])


@dataclass
class WaterFeatures:
    """The theme's features (:func:`read`): the river lines and the large works' points.

    Attributes
    ----------
    rivers
        Major river lines in EPSG:27700 (:func:`read_rivers`).
    works_xy
        (n, 2) BNG x, y in metres of the large works (:func:`large_works`).
    river_points
        The rivers' :class:`~growthzones.grid.LinePoints`, made from ``rivers`` (at 25 m
        ~10^6 points, indexed once per process rather than on every block).
    """

    rivers: object
    works_xy: np.ndarray
    river_points: LinePoints = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self.river_points = LinePoints(self.rivers)


def read(sources: SourceFiles) -> WaterFeatures:
    """Read the river and wastewater sources once, nationally (edge)."""
    return WaterFeatures(rivers=read_rivers(sources.path("rivers_gb")),
                         works_xy=large_works(read_works(sources.path("uwwtd_works")))[
                             ["x", "y"]].to_numpy())


def on_block(features: WaterFeatures, base) -> dict[str, np.ndarray]:
    """Both criteria on one block (pure): nearest-feature distances of the block's land
    cell centres to the national features, so a cell's value does not depend on its block
    and a region's edge sees rivers and works beyond it."""
    grid, land = base.grid, base.land
    return {"dist_major_river_km": distance_to_lines(features.river_points, grid, land),
            "dist_large_wwtw_km": distance_to_points(features.works_xy, grid, land)}


def counts(features: WaterFeatures, tallies: dict | None = None) -> dict[str, dict]:
    """The figures the water coverage texts quote, from :func:`read` output (``tallies``
    unused: no figure here counts cells)."""
    kinds = features.rivers.index.get_level_values(0)
    return {"dist_major_river_km": {"segments": int((kinds == "wdb2").sum()),
                                    "named": int((kinds == "naturalearth").sum())},
            "dist_large_wwtw_km": {"works": len(features.works_xy)}}


def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    """Read the river and wastewater sources and put both criteria on ``grid`` (the
    whole-grid wrapper of :func:`read`, :func:`on_block` and :func:`counts`)."""
    f = read(sources)
    return Built(on_block(f, base), counts(f))
