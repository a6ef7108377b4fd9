"""The former-industry and data-centre criteria on a grid, and the figures their
coverage texts quote (pure functions of the register)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...grid import GridSpec, distance_to_points, reduce_within
from .register import (
    DATA_CENTRE_LIFECYCLES,
    DATA_CENTRE_RADIUS_KM,
    POWER_KINDS,
    PREVIOUSLY_DEVELOPED_KM,
    RETIRED_GENERATION_RADIUS_KM,
    closed_power_stations,
    facility_centres,
    group_facilities,
    register_summary,
)


def _placed_xy(frame: pd.DataFrame) -> np.ndarray:
    ok = frame["x"].notna() & frame["y"].notna()
    return frame.loc[ok, ["x", "y"]].to_numpy(float)


def former_industry_on_grid(register: pd.DataFrame, grid: GridSpec, land: np.ndarray
                            ) -> dict[str, np.ndarray]:
    """The three former-industry criteria on ``grid`` (pure).

    ``dist_former_industry_km``: distance to the nearest placed site of any kind but
    airfields; ``retired_generation_mw_10km``: sum of retired MW (before and since 2010)
    of stations within :data:`RETIRED_GENERATION_RADIUS_KM`; ``previously_developed``: 1
    where a placed site of any kind (airfields included) lies within
    :data:`PREVIOUSLY_DEVELOPED_KM` of the cell centre, else 0.
    """
    heavy = register[register["kind"] != "airfield"]
    power = register[register["kind"].isin(POWER_KINDS)]
    pxy = _placed_xy(power)
    pmw = power.loc[power["x"].notna() & power["y"].notna(), "capacity"].to_numpy(float)
    allxy = _placed_xy(register)
    return {
        "dist_former_industry_km": distance_to_points(_placed_xy(heavy), grid, land),
        "retired_generation_mw_10km": reduce_within(
            pxy, pmw, grid, land, radius_km=RETIRED_GENERATION_RADIUS_KM, how="sum", fill=0.0),
        "previously_developed": reduce_within(
            allxy, np.ones(len(allxy)), grid, land, radius_km=PREVIOUSLY_DEVELOPED_KM,
            how="max", fill=0.0),
    }


def data_centres_on_grid(elements_xy: np.ndarray, grid: GridSpec, land: np.ndarray
                         ) -> dict[str, np.ndarray]:
    """``dist_data_centre_km`` (nearest element) and ``data_centres_20km`` (facilities
    whose centre lies within :data:`DATA_CENTRE_RADIUS_KM`) on ``grid`` (pure)."""
    labels = group_facilities(elements_xy)
    centres = facility_centres(elements_xy, labels)
    return {
        "dist_data_centre_km": distance_to_points(elements_xy, grid, land),
        "data_centres_20km": reduce_within(centres, np.ones(len(centres)), grid, land,
                                           radius_km=DATA_CENTRE_RADIUS_KM, how="sum",
                                           fill=0.0),
    }


def coverage_counts(register: pd.DataFrame, dropped: dict | None = None,
                    data_centres: pd.DataFrame | None = None) -> dict[str, dict]:
    """Build-time figures for the coverage texts of the criteria built from the register
    (and, given ``data_centres``, from the data centres): criterion -> placeholder -> value
    (see :meth:`growthzones.criteria.Criterion.coverage_text`)."""
    dropped = dropped or {}
    if data_centres is None:
        data_centres = pd.DataFrame({"lifecycle": [], "x": [], "y": []})
    s = register_summary(register)
    power = s.loc[s.index.isin(POWER_KINDS)]
    dc = data_centres[data_centres["lifecycle"].isin(DATA_CENTRE_LIFECYCLES)]
    n_fac = int(group_facilities(dc[["x", "y"]].to_numpy(float)).max() + 1) if len(dc) else 0
    reg = {"placed_by_kind": "; ".join(f"{k} {r.placed} of {r.sites}" for k, r in s.iterrows()),
           "hotmaps_dropped": ", ".join(f"{v} {k.replace('_', ' ')}"
                                        for k, v in dropped.items()) or "none"}
    centres = {"elements": len(dc), "facilities": n_fac}

    def stations(table: pd.DataFrame) -> dict:
        return {"placed": int(table["x"].notna().sum()), "stations": len(table),
                "unplaced": ", ".join(table.loc[table["x"].isna(), "name"]) or "none"}

    return {
        "dist_former_industry_km": reg,
        "previously_developed": reg,
        "retired_generation_mw_10km": {"placed": int(power["placed"].sum()),
                                       "stations": int(power["sites"].sum())},
        "dist_data_centre_km": centres,
        "data_centres_20km": centres,
        "dist_closed_power_station_km": stations(
            closed_power_stations(register, min_since_2010_mw=200.0)),
        "retired_capacity_mw": stations(closed_power_stations(register)),
    }
