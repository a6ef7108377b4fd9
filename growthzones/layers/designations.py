"""Official designations and flood zones read from the publishers' own files, when present.

England's National Landscapes, SSSIs, SPAs and Ramsar sites, England's Green Belt and
the EA / NRW / SEPA flood zones are not in the shared data. Each is published as a file
with a known schema; :data:`OFFICIAL_LAYERS` names, for each exclusion, the catalogue id
of that download (its ``path`` is a folder under the source folder, its ``url`` the
official download page), the columns the file must have, and which rows count.

To use one, download the official file (any of ``.gpkg``, ``.geojson``, ``.json``,
``.shp``, or the publisher's ``.zip`` of a shapefile) into that folder, for example
``<source>/official/ea_flood_zones/``, and rebuild. **When the folder holds no such file
the layer is absent from the store: not assessed**, never an empty mask and never a
stand-in from another source. A file that lacks the schema's columns is refused with
a :class:`~growthzones.SourceDataError` naming the file, the missing columns and the fix.

Each mask is 1 where the cell centre lies in a selected polygon, 0 elsewhere inside the
publisher's territory (England, Wales or Scotland, by small area) and NaN outside it.

The Scottish list of protected sites (NatureScot SiteLink) has names, areas and councils
but no shapes, so it never makes a mask: it gives ``sssi_share_council_scotland_pct``, the
published SSSI area of each council (one council per site, as published) over the
council's land area. Use it as context, not as an exclusion.

Blocks: :func:`read` reads the official files present and the Scottish list once;
:func:`on_block` puts them on one block of the national grid. A council's land area is the
area of its small-area polygons (``base.shapes``, the same national polygons in every
block), so the share does not depend on the block, nor on the resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import SourceDataError
from ..catalog import SourceFiles
from ..criteria import theme_criteria
from ..grid import BNG, GridSpec, geoms_near, rasterize_mask
from .base import Built

CRITERIA = theme_criteria("designations")

#: File endings the readers accept in an official-download folder, in order of preference.
SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip")


@dataclass(frozen=True)
class OfficialLayer:
    """How one official file becomes an exclusion.

    Parameters
    ----------
    source
        Catalogue id of the official download (a folder under the source folder).
    nation
        ``E``, ``W`` or ``S``: where the publisher's layer is complete (0 there, NaN
        elsewhere).
    columns
        Columns the official schema has and the reader needs (matched case-insensitively).
    select
        ``(column, values)``: only rows whose column is one of the values count; None:
        every polygon of the file counts (publishers that issue one file per zone).
    """

    source: str
    nation: str
    columns: tuple[str, ...]
    select: tuple[str, tuple[str, ...]] | None = None


#: Every official-file exclusion by criterion name.
OFFICIAL_LAYERS = {
    "national_landscapes_england": OfficialLayer(
        "ne_national_landscapes", "E", ("NAME", "CODE")),
    "sssi_england": OfficialLayer("ne_sssi", "E", ("SSSI_NAME", "REF_CODE")),
    "spa_england": OfficialLayer("ne_spa", "E", ("SPA_NAME", "SPA_CODE")),
    "ramsar_england": OfficialLayer("ne_ramsar", "E", ("NAME", "CODE")),
    "green_belt_england": OfficialLayer(
        "green_belt_planning_data", "E", ("reference", "name", "end-date")),
    "flood_zone3_england": OfficialLayer(
        "ea_flood_zones", "E", ("flood_zone",), ("flood_zone", ("FZ3",))),
    "flood_zone3_wales": OfficialLayer("nrw_flood_zone3", "W", ()),
    "flood_medium_likelihood_scotland": OfficialLayer("sepa_flood_medium", "S", ()),
}


def find_official_file(folder: Path) -> Path | None:
    """The official file in ``folder`` (first by :data:`SUFFIXES`, then by name), or None."""
    if not folder.is_dir():
        return None
    for suffix in SUFFIXES:
        hits = sorted(p for p in folder.iterdir() if p.suffix.lower() == suffix)
        if hits:
            return hits[0]
    return None


def official_folder(sources: SourceFiles, source_id: str) -> Path:
    """Where the official download of ``source_id`` is looked for (it may not exist)."""
    from ..catalog import catalog

    return sources.root / catalog()[source_id].path


def read_official(path: Path, layer: OfficialLayer):
    """Read one official file, check its schema and keep the rows that count.

    Returns
    -------
    geopandas.GeoDataFrame
        The selected polygons in EPSG:27700.

    Raises
    ------
    SourceDataError
        If the file cannot be read, has no CRS, or lacks a column of the schema.
    """
    import geopandas as gpd

    target = f"zip://{path}" if path.suffix.lower() == ".zip" else path
    try:
        gdf = gpd.read_file(target)
    except Exception as exc:  # the driver's own error names the problem
        raise SourceDataError(f"official file {path} for {layer.source!r} could not be read "
                              f"({exc}); download it again from the catalogue's url") from exc
    lower = {c.lower(): c for c in gdf.columns}
    missing = [c for c in layer.columns if c.lower() not in lower]
    if missing:
        raise SourceDataError(
            f"official file {path} for {layer.source!r} lacks the column(s) "
            f"{', '.join(missing)} of the publisher's schema (it has "
            f"{', '.join(map(str, gdf.columns[:12]))}); download the official file named in "
            "the catalogue, not a re-export")
    if gdf.crs is None:
        raise SourceDataError(f"official file {path} for {layer.source!r} has no CRS; the "
                              "official files are in EPSG:27700, so download it again")
    if layer.select is not None:
        col, values = layer.select
        gdf = gdf[gdf[lower[col.lower()]].astype(str).str.strip().isin(values)]
    if "end-date" in lower:  # planning.data.gov.uk: an entry with an end date is withdrawn
        end = gdf[lower["end-date"]]
        gdf = gdf[end.isna() | (end.astype(str).str.strip() == "")]
    return gdf.to_crs(BNG)


def exclusion_on_grid(gdf, territory: np.ndarray, grid: GridSpec) -> np.ndarray:
    """1 in the polygons (a GeoDataFrame or an array of them, EPSG:27700), 0 elsewhere in
    ``territory``, NaN outside it (float32). Pure."""
    geoms = gdf.geometry.values if hasattr(gdf, "geometry") else gdf
    inside = rasterize_mask(geoms, grid)
    out = np.where(territory, 0.0, np.nan).astype(np.float32)
    out[inside & territory] = 1.0
    return out


def nation_cells(base, nation: str) -> np.ndarray:
    """Cells whose small area is in ``nation`` (``E``, ``W`` or ``S``)."""
    lut = np.concatenate([[False], (base.areas["nation"] == nation).to_numpy()])
    return lut[base.area_index]


# --------------------------------------------------------------------- Scotland's sites

#: NatureScot council names that differ from the Scottish Government lookup's.
_COUNCIL_ALIASES = {"Comhairle nan Eilean Siar (Western Isles)": "Na h-Eileanan Siar"}


def sssi_area_by_council(sitelink: pd.DataFrame) -> pd.Series:
    """Published SSSI area (ha) per Scottish council name, from the NatureScot list.

    Sites given to a marine or national body ('All Scotland', offshore) are left out.

    >>> t = pd.DataFrame({"designation_code": ["SSSI", "SSSI", "NSA"],
    ...                   "local_authority": ["Fife", "Fife", "Fife"],
    ...                   "area_ha": [10.0, 5.0, 100.0]})
    >>> sssi_area_by_council(t).to_dict()
    {'Fife': 15.0}
    """
    s = sitelink[sitelink["designation_code"] == "SSSI"]
    council = s["local_authority"].replace(_COUNCIL_ALIASES)
    return pd.to_numeric(s["area_ha"], errors="coerce").groupby(council).sum()


def council_land_ha(base) -> np.ndarray:
    """Land area (ha) of each council of ``base.las``: the summed area of its small-area
    polygons (``base.shapes``, national, so the same in every block and at every
    resolution). Row ``i`` is ``base.las`` row ``i``.

    Raises
    ------
    ValueError
        If the base carries no polygons.
    """
    import shapely

    if base.shapes is None:
        raise ValueError("the council land area needs base.shapes (the small-area polygons); "
                         "build the base with growthzones.layers.base.build_base")
    ha = shapely.area(np.asarray(base.shapes, dtype=object)) / 1e4
    per_la = pd.Series(ha).groupby(base.areas["la_code"].to_numpy()).sum()
    return per_la.reindex(base.las["la_code"]).fillna(0.0).to_numpy(float)


def council_share_on_grid(area_ha: pd.Series, base) -> np.ndarray:
    """Each Scottish cell takes its council's ``area_ha`` over the council's land area (%).

    The council's land area is the area of its small-area polygons
    (:func:`council_land_ha`): it does not depend on the block or the resolution. (Until
    the block build it was the council's land cells on the grid times the cell area; at
    1 km the shares move by at most 0.41 percentage points, Orkney 24.14 -> 24.56 %.)
    Shares are capped at 100 % (a council's SSSIs can include intertidal land beyond the
    mean-high-water outline).
    A Scottish council the list gives no SSSI is 0 (the list is NatureScot's complete
    register); NaN outside Scotland.
    """
    las = base.las.reset_index(drop=True)
    land_ha = council_land_ha(base)
    scot = (las["nation"] == "S").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.minimum(100.0 * las["la_name"].map(area_ha).fillna(0.0).to_numpy(float)
                           / land_ha, 100.0)
    lut = np.concatenate([[np.nan], np.where(scot, share, np.nan)]).astype(np.float32)
    return lut[base.la_index]


# ----------------------------------------------------------------- the theme contract

def read(sources: SourceFiles) -> dict:
    """The official files present and the Scottish list, read once.

    Returns
    -------
    dict
        ``official``: criterion name -> (polygons in EPSG:27700, nation) for each official
        file found; ``not_assessed``: criterion name -> why it was left out (no official
        file in its folder; the builder logs and records such criteria as not built);
        ``sssi_ha``: :func:`sssi_area_by_council`.
    """
    official, not_assessed = {}, {}
    for name, layer in OFFICIAL_LAYERS.items():
        folder = official_folder(sources, layer.source)
        path = find_official_file(folder)
        if path is None:
            not_assessed[name] = f"no official file in {folder}"
            continue
        official[name] = (read_official(path, layer).geometry.values, layer.nation)
    sitelink = pd.read_csv(sources.path("naturescot_sitelink"))
    return {"official": official, "not_assessed": not_assessed,
            "sssi_ha": sssi_area_by_council(sitelink)}


def on_block(features: dict, base) -> dict[str, np.ndarray]:
    """Every official exclusion read and the Scottish SSSI share, on one block.

    ``_scottish_council_cells`` is a block tally: land cells per council (``base.las``
    rows) in Scotland, summed over blocks by the builder for :func:`counts`.
    """
    out = {}
    for name, (geoms, nation) in features["official"].items():
        out[name] = exclusion_on_grid(geoms_near(geoms, base.grid.bounds),
                                      nation_cells(base, nation), base.grid)
    out["sssi_share_council_scotland_pct"] = council_share_on_grid(features["sssi_ha"], base)
    scot = nation_cells(base, "S") & base.land
    out["_scottish_council_cells"] = np.bincount(base.la_index[scot].ravel(),
                                                 minlength=len(base.las) + 1)[1:]
    return out


def counts(features: dict, tallies: dict) -> dict[str, dict]:
    """The figures the coverage texts quote: Scottish councils with land on the grid."""
    cells = tallies.get("_scottish_council_cells")
    if cells is None:
        return {}
    return {"sssi_share_council_scotland_pct": {"councils": int(np.count_nonzero(cells))}}


def build(sources: SourceFiles, grid: GridSpec, base) -> Built:
    """Every official exclusion whose file is present, and the Scottish SSSI share (the
    whole grid as one block: :func:`read`, then :func:`on_block`)."""
    f = read(sources)
    out = on_block(f, base)
    tallies = {k: out.pop(k) for k in [k for k in out if k.startswith("_")]}
    return Built(out, counts(f, tallies))
