"""The map's parts that depend on the store's files only, kept on disk between runs.

The reprojection index of a grid, the codes of each criterion surface the page draws
itself and the PNGs of the exclusion layers are the same on every map of a store: made
once (~0.8 s of CPU at 1 km), then loaded (:func:`growthzones.cache.cached_array`).
Each entry is keyed by its source files' fingerprints (none for the index: it depends on
the grid only), what it is, and a digest of the code that makes it (these modules,
rasterio's and GDAL's versions), so an edited or upgraded toolkit makes its own.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..cache import cached_array, code_digest

#: The modules whose code makes the cached parts (files beside this one).
_CODE = ("raster.py", "_legend.py", "_surfaces.py", "_overlays.py", "_cached.py")


@functools.cache
def _code_tag() -> str:
    import rasterio

    here = Path(__file__).parent
    return (f"{code_digest(*(str(here / f) for f in _CODE))}|"
            f"rasterio {rasterio.__version__}|GDAL {rasterio.__gdal_version__}")


def cached_part(sources: list | None, what: str, make: Callable[[], tuple]) -> tuple:
    """``make()``, a ``(text, info)`` pair (``info`` None or a pair of floats), from the
    cache when ``sources`` (:meth:`~growthzones.store.LayerStore.cache_sources`) and
    ``what`` are those of an earlier call; ``sources`` None: not cached."""
    if sources is None:
        return make()

    def encode() -> np.ndarray:
        text, info = make()
        return np.frombuffer(json.dumps([text, info]).encode("utf-8"), dtype=np.uint8)

    text, info = json.loads(cached_array(sources, encode, tag=f"{what}|{_code_tag()}")
                            .tobytes().decode("utf-8"))
    return text, (tuple(info) if isinstance(info, list) else info)


def cached_grid_array(grid, what: str, make: Callable[[], np.ndarray]) -> np.ndarray:
    """``make()``, an array that depends on ``grid`` only, from the cache when made
    before for the same grid."""
    return cached_array([], make, tag=f"{what}|{grid.resolution!r}|{tuple(grid.bounds)!r}|"
                                      f"{grid.crs}|{_code_tag()}")
