"""The xarray / dask path: score an ``xarray.Dataset`` of raw layers chunk by chunk.

For grids too big for one machine (10 m, Europe-wide): the same transforms, kernels
(:mod:`.kernels`) and exclusion rules (:mod:`.masks`) as :func:`~.result.score`, run
block-wise on dask-backed variables under whatever scheduler is active.
"""

from __future__ import annotations

import numpy as np

from .. import transforms
from ..scenario import Scenario
from ..store import LayerStore
from .kernels import aggregate
from .masks import PREVIOUSLY_DEVELOPED, excepted_area, excluded_area, fails_constraint


def score_dataset(ds, scenario: Scenario, *, dtype=np.float32):
    """Score an ``xarray.Dataset`` of raw layers, NumPy- or dask-backed, chunk by chunk.

    The same transforms and kernels as :func:`score`, for grids too big for one machine
    (10 m, Europe-wide): with dask-backed variables nothing is computed until asked and
    the work runs on whatever dask scheduler is active (e.g. a ``distributed`` cluster).

    Parameters
    ----------
    ds
        One variable per criterion and exclusion of ``scenario``, all on the same dims
        (e.g. ``y``, ``x`` in EPSG:27700), raw values in the criterion's unit, NaN = no data
        (also off land).
    scenario
        As for :func:`score`. The ``percentile`` transform needs a global sort and is
        refused on dask; ``linear`` and TOPSIS ``ideal = "data"`` take national
        reductions (one extra pass).

    Returns
    -------
    xarray.Dataset
        ``score``, ``ranked``, ``coverage``, ``excluded`` (float: 1 excluded, 0 not, NaN
        where no criterion has data) on the input coords, with the scenario name,
        method and weights in ``attrs``.
    """
    import xarray as xr

    weights = scenario.weights
    names = list(weights)
    needed = names + list(scenario.exclusions) + [c.name for c in scenario.constraints]
    if scenario.except_previously_developed:
        needed.append(PREVIOUSLY_DEVELOPED)
    missing = [n for n in dict.fromkeys(needed) if n not in ds.data_vars]
    if missing:
        raise KeyError(f"the dataset lacks {', '.join(missing)} (it has: "
                       f"{', '.join(map(str, ds.data_vars))})")
    ref = ds[names[0]]
    vals = []
    for n in names:
        c = scenario.criterion(n)
        vals.append(transforms.apply(ds[n].data.astype(dtype), c.transform, c.direction))
    stacked = np.stack(vals)
    w = np.array([weights[n] for n in names], dtype=dtype)
    total, coverage = aggregate(stacked, w, scenario.aggregation.method,
                                **scenario.aggregation.params)
    excluded = None
    rules = ([excluded_area(ds[n].data) & ~excepted_area(ds[n].data,
                                                         ds[PREVIOUSLY_DEVELOPED].data)
              if n in scenario.except_previously_developed else excluded_area(ds[n].data)
              for n in scenario.exclusions]
             + [fails_constraint(ds[c.name].data, c) for c in scenario.constraints])
    for bad in rules:
        excluded = bad if excluded is None else excluded | bad
    if excluded is None:
        excluded = np.zeros_like(total, dtype=bool)
    ranked = np.where(excluded, np.nan, total).astype(dtype)
    excluded_f = np.where(np.isnan(total), np.nan, excluded.astype(dtype)).astype(dtype)
    attrs = {"scenario": scenario.name, "aggregation": scenario.aggregation.method,
             "weights": ", ".join(f"{n}={v:.4g}" for n, v in weights.items())}
    return xr.Dataset({k: (ref.dims, v) for k, v in (("score", total), ("ranked", ranked),
                                                     ("coverage", coverage),
                                                     ("excluded", excluded_f))},
                      coords=ref.coords, attrs=attrs)


def store_dataset(store: LayerStore, names=None, *, chunks=None):
    """The store's layers as an ``xarray.Dataset`` on (y, x) cell centres (EPSG:27700).

    ``chunks`` (e.g. ``{"y": 250, "x": 250}``) makes it dask-backed. A bridge to
    :func:`score_dataset`.
    """
    import xarray as xr

    names = list(store.layers) if names is None else list(names)
    xs, ys = store.grid.centres()
    ds = xr.Dataset({n: (("y", "x"), np.where(store.land, store.layer(n), np.nan))
                     for n in names}, coords={"y": ys, "x": xs},
                    attrs={"crs": store.grid.crs, "resolution": store.grid.resolution})
    return ds.chunk(chunks) if chunks else ds
