"""Readers of the register's sources (the I/O edge): one per source, and the register
read once per source folder."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from ...catalog import SourceFiles
from ...grid import to_bng
from ..grid_capacity.retired import (
    DUKES_CHANGES_SHEET,
    DUKES_LIST_SHEETS,
    clean_plant_coordinates,
    read_dukes,
    retired_capacity_by_station,
)
from .register import (
    CLOSED_STATIONS_CSV,
    gem_plants,
    hotmaps_sites,
    merge_register,
    place_closures,
)


def read_closed_station_table(path: str | Path = CLOSED_STATIONS_CSV) -> pd.DataFrame:
    """``closed_stations.csv``: ``station``, ``position_source``, ``position_key``,
    ``gem_plant``, ``note`` (``#`` lines are its provenance header)."""
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False).replace("", np.nan)


def read_dukes_closures(sources: SourceFiles, dukes: dict | None = None) -> dict:
    """DUKES 5.11: closures since 2010 per station and the station lists' BNG points.

    ``dukes`` may be the already-read sheets (:func:`read_dukes`), so a build that reads
    the workbook for the grid layer reads it once.

    Returns
    -------
    dict
        ``closures`` (:func:`retired_capacity_by_station`) and ``points`` (DUKES list
        site names -> ``x``, ``y``).
    """
    sheets = read_dukes(sources) if dukes is None else dukes
    lists = pd.concat([clean_plant_coordinates(sheets[s]) for s in DUKES_LIST_SHEETS],
                      ignore_index=True)
    lists = lists[lists["x"].notna()].drop_duplicates("name").set_index("name")
    return {"closures": retired_capacity_by_station(sheets[DUKES_CHANGES_SHEET]),
            "points": lists[["x", "y"]]}


def read_gem_coal(sources: SourceFiles) -> pd.DataFrame:
    """GEM GCPT units in GB (``in_gb``), with ``x``/``y`` from the file's BNG columns."""
    d = pd.read_csv(sources.path("gem_coal_units"))
    d = d[d["in_gb"].astype(bool)]
    return d.rename(columns={"easting": "x", "northing": "y"})


def read_gem_nuclear(sources: SourceFiles) -> pd.DataFrame:
    """GEM GNPT units (all in GB), with ``x``/``y`` from the file's BNG columns."""
    d = pd.read_csv(sources.path("gem_nuclear_units"), encoding="utf-8-sig")
    return d.rename(columns={"easting": "x", "northing": "y"})


def read_gem_steel(sources: SourceFiles) -> pd.DataFrame:
    """GEM GIST plants: ``name``, ``status``, ``capacity`` (t/yr: largest crude-steel or
    iron capacity over the statuses), ``x``, ``y``.

    ``status`` is the plant status, "retired" where GEM lists retired crude-steel capacity
    (Port Talbot's blast furnaces), "mothballed" where all capacity is mothballed.
    """
    d = pd.read_csv(sources.path("gem_steel_plants"))
    cap_cols = [c for c in d.columns if c.endswith("capacity-(ttpa)")
                and ("crude-steel" in c or "iron" in c) and not c.startswith("announced")]
    cap = d[cap_cols].apply(pd.to_numeric, errors="coerce").fillna(0.0).max(axis=1) * 1000.0
    retired = pd.to_numeric(d.get("retired-nominal-crude-steel-capacity-(ttpa)", 0),
                            errors="coerce").fillna(0) > 0
    status = np.where(retired, "retired (part)", d["plant-status"].astype(str))
    xy = to_bng(d["lng"], d["lat"])
    return pd.DataFrame({"name": d["plant-name-(english)"].astype(str), "status": status,
                         "capacity": cap.where(cap > 0).to_numpy(float),
                         "x": xy[:, 0], "y": xy[:, 1]})


def read_hotmaps(sources: SourceFiles) -> pd.DataFrame:
    """The Hotmaps UK rows as published (see :func:`hotmaps_sites` for the cleaning)."""
    return pd.read_csv(sources.path("hotmaps_industrial_sites"))


def read_closed_airfields(sources: SourceFiles) -> pd.DataFrame:
    """OurAirports closed GB airfields: ``name``, ``x``, ``y`` (the file's BNG columns)."""
    d = pd.read_csv(sources.path("ourairports_closed"))
    d = d.dropna(subset=["easting", "northing"])
    return pd.DataFrame({"name": d["name"].astype(str), "x": d["easting"].to_numpy(float),
                         "y": d["northing"].to_numpy(float)})


def read_osm_power_plants(sources: SourceFiles) -> pd.DataFrame:
    """OSM power-plant ways (2026) on GB land, indexed by ``osm_id`` (str): ``name``,
    ``lifecycle``, ``x``, ``y``."""
    import pyogrio

    d = pyogrio.read_dataframe(sources.path("osm_power_plants_2026"), read_geometry=False,
                               columns=["osm_id", "name", "lifecycle_derived", "zone_derived",
                                        "lon", "lat"])
    d = d[d["zone_derived"] == "gb_land"]
    xy = to_bng(d["lon"], d["lat"])
    return pd.DataFrame({"name": d["name"].to_numpy(), "lifecycle": d["lifecycle_derived"].to_numpy(),
                         "x": xy[:, 0], "y": xy[:, 1]},
                        index=pd.Index(d["osm_id"].astype("int64").astype(str), name="osm_id"))


def read_data_centres(sources: SourceFiles) -> pd.DataFrame:
    """OSM data-centre elements in GB (2026): ``id``, ``lifecycle``, ``x``, ``y``."""
    d = pd.read_csv(sources.path("osm_data_centres"))
    return pd.DataFrame({"id": d["id"].astype(str), "lifecycle": d["lifecycle"].astype(str),
                         "x": d["easting"].to_numpy(float), "y": d["northing"].to_numpy(float)})


def read_register(sources: SourceFiles) -> tuple[pd.DataFrame, dict]:
    """Read every register source once and merge them (:func:`merge_register`).

    Both layers that use closed stations call this during one build; the result is
    cached per source folder (and returned as copies), so the files are read once.

    Returns
    -------
    register, dropped
        The register and the Hotmaps rows dropped by reason.
    """
    reg, dropped = _read_register(str(Path(sources.root).resolve()))
    return reg.copy(), dict(dropped)


@functools.lru_cache(maxsize=2)
def _read_register(root: str) -> tuple[pd.DataFrame, dict]:
    sources = SourceFiles(root)
    table = read_closed_station_table()
    du = read_dukes_closures(sources)
    coal = gem_plants(read_gem_coal(sources), name_col="Plant name", retired_col="Retired year")
    nuc = gem_plants(read_gem_nuclear(sources), name_col="Project Name",
                     retired_col="Retirement Date")
    points = {"gem_coal": coal, "gem_nuclear": nuc, "dukes": du["points"],
              "osm_plants": read_osm_power_plants(sources), "etys": read_etys_points(sources)}
    closures = place_closures(du["closures"], table, points)
    hot, dropped = hotmaps_sites(read_hotmaps(sources))
    reg = merge_register(closures, table, coal, nuc, read_gem_steel(sources), hot,
                         read_closed_airfields(sources))
    return reg, dropped


def read_etys_points(sources: SourceFiles) -> pd.DataFrame:
    """ETYS site codes -> ``x``, ``y``: FES 2024 GSP coordinates first, PyPSA-GB second."""
    fes = pd.read_csv(sources.path("fes2024_gsp"))
    f = (fes.assign(site_code=fes["GSP ID"].astype(str).str[:4].str.upper())
         .sort_values("GSP ID").groupby("site_code")[["Longitude", "Latitude"]].first()
         .rename(columns={"Longitude": "lon", "Latitude": "lat"}))
    p = pd.read_csv(sources.path("etys_coords_pypsagb"))
    p = (p.assign(site_code=p["site_code"].astype(str).str.upper())
         .groupby("site_code")[["lon", "lat"]].first())
    both = pd.concat([f, p[~p.index.isin(f.index)]])
    xy = to_bng(both["lon"], both["lat"])
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=both.index)
