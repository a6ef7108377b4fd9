"""File input and output at the edges: atomic writes, JSON and GeoTIFF."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .grid import GridSpec

#: Deflate level of written GeoTIFFs. Level 9 wrote the 100 m ``score.tif`` in 39 s,
#: level 6 in 7 s, for a few per cent more bytes (issue #17); 6 is also zlib's default.
RASTER_ZLIB_LEVEL = 6
#: Grids above this many cells are "big" (GB at 100 m is 87.5 M): their GeoTIFFs are
#: ZSTD-compressed (:data:`RASTER_ZSTD_LEVEL`) and get internal overviews
#: (:func:`growthzones.blocks.build_overviews`). The 1 km grid (0.9 M) stays deflated.
BIG_GRID_CELLS = 2_000_000
#: ZSTD level of big grids' GeoTIFFs. Writing (compressing) ~70 criteria was the GB 100 m
#: build's largest serial cost: a 512-row band of a 100 m criterion took 139 ms at
#: deflate 6 and 56 ms at ZSTD 3, for the same size as deflate 1 and slightly faster
#: reads (GDAL >= 2.3 reads ZSTD GeoTIFFs; rasterio's wheels and QGIS include it).
RASTER_ZSTD_LEVEL = 3

_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    A reader never sees a half-written file, and an error leaves any earlier file at
    ``path`` untouched. For several files that belong together use
    :func:`growthzones.fileset.write_set`, which publishes them as one set.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The name ``.NAME.XXXXXXXX.tmp`` is what growthzones.fileset.clean_leftovers removes
    # when a killed process leaves one behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp makes 0600 files; give the result the usual permissions.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any, *, compact: bool = False) -> Path:
    """Write ``obj`` as JSON (indented, or compact for large files), atomically."""
    if compact:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)
    else:
        text = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
    return write_text(path, text + "\n")


def raster_profile(grid: GridSpec, dtype, *, nodata: float | None = None) -> dict:
    """The rasterio profile of every layer GeoTIFF: 256 px internal tiles, deflate at
    :data:`RASTER_ZLIB_LEVEL` (ZSTD at :data:`RASTER_ZSTD_LEVEL` above
    :data:`BIG_GRID_CELLS`) with a predictor (floating-point for small float grids,
    horizontal otherwise), EPSG:27700; NaN nodata for floats unless
    ``nodata`` is given. :func:`write_raster` and the block writer of
    :mod:`growthzones.blocks` both use it, so a file written by windows is the same file.

    >>> from growthzones.grid import GridSpec
    >>> [raster_profile(GridSpec(resolution=r), "float32")["compress"] for r in (1000, 100)]
    ['deflate', 'zstd']
    """
    dtype = np.dtype(dtype)
    floating = np.issubdtype(dtype, np.floating)
    big = grid.width * grid.height > BIG_GRID_CELLS
    return {
        "driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1,
        "dtype": dtype.name, "crs": grid.crs, "transform": grid.transform,
        **({"compress": "zstd", "zstd_level": RASTER_ZSTD_LEVEL} if big else
           {"compress": "deflate", "zlevel": RASTER_ZLIB_LEVEL}),
        # horizontal differencing (2) for a big grid's floats too: the floating-point
        # predictor (3) compresses them a little better but decodes ~2x slower, and a
        # 100 m run decodes every layer once
        "predictor": 3 if floating and not big else 2,
        "tiled": True, "blockxsize": 256, "blockysize": 256,
        "nodata": (np.nan if floating and nodata is None else nodata),
    }


def write_raster(path: str | os.PathLike, array: np.ndarray, grid: GridSpec, *,
                 nodata: float | None = None, tags: dict[str, Any] | None = None,
                 cog: bool = False, description: str | None = None) -> Path:
    """Write one band on ``grid`` as a compressed, tiled GeoTIFF in EPSG:27700, atomically.

    Parameters
    ----------
    path
        The file to write.
    array
        The band, shaped like ``grid``, or what gives its rows when sliced
        (``array[r0:r1]``, with ``shape`` and ``dtype``:
        :class:`~growthzones.grid.LandSurface`). Float arrays use NaN as nodata unless
        ``nodata`` is given.
    grid
        The grid the band lies on.
    nodata
        The nodata value (default NaN for floats, none for integers).
    tags
        Dataset tags: a string is stored as it is, anything else as JSON (so a reader
        gets ``{"dist_ixp_km": 0.5}`` back with ``json.loads``, not Python text).
    cog
        Write a Cloud-Optimised GeoTIFF with GDAL's COG driver (through rasterio):
        256 px tiles, deflate (ZSTD for a big grid), average-resampled overviews.
        Chosen over rio-cogeo's ``cog_translate`` on the evidence: at 1 km both take ~1.2 s and both pass
        ``rio_cogeo.cog_validate``, and the driver needs no extra runtime dependency
        (rio-cogeo stays a test dependency, to validate). Above :data:`BIG_GRID_CELLS`
        the COG is copied from a plain tiled file written first (the driver only copies,
        and copying from memory holds the band and its overviews there: 1.2 GB at GB 100 m).
    description
        Band description (e.g. ``"suitability score (0-1)"``), shown by QGIS and gdalinfo.
    """
    import rasterio
    from rasterio.windows import Window

    if array.shape != grid.shape:
        raise ValueError(f"array shape {array.shape} does not match grid shape {grid.shape}")
    profile = raster_profile(grid, array.dtype, nodata=nodata)
    if cog:
        level = profile.get("zstd_level", profile.get("zlevel"))
        profile = {k: v for k, v in profile.items() if k not in ("tiled", "blockxsize",
                                                                  "blockysize", "zlevel",
                                                                  "zstd_level")}
        profile.update(driver="COG", blocksize=256, level=level,
                       overview_resampling="average",
                       overviews="AUTO")
    text_tags = {str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False,
                                                                 default=str)
                 for k, v in (tags or {}).items()}
    def write(to, profile) -> None:
        with rasterio.open(to, "w", **profile) as dst:
            for r in range(0, grid.height, 1024):  # by bands: rasterio copies what it writes
                band = array[r:r + 1024]
                dst.write(band, 1, window=Window(0, r, grid.width, band.shape[0]))
            if description is not None:
                dst.set_band_description(1, description)
            if text_tags:
                dst.update_tags(**text_tags)

    with atomic_path(path) as tmp:
        if not (cog and array.size > BIG_GRID_CELLS):
            write(tmp, profile)
        else:
            # The COG driver only copies: written directly, GDAL holds the whole band and
            # its overviews in memory (1.2 GB beside the array at GB 100 m). So a plain
            # tiled file first, copied to a COG from disk with a bounded block cache.
            from rasterio.shutil import copy

            plain = tmp.with_name(tmp.name.removesuffix(".tmp") + "-plain.tmp")
            try:
                with rasterio.Env(GDAL_CACHEMAX=64):  # MB
                    write(plain, {**raster_profile(grid, array.dtype, nodata=nodata),
                                  "compress": "none"})
                    copy(plain, tmp, **{k: v for k, v in profile.items()
                                        if k not in ("width", "height", "count", "dtype",
                                                     "crs", "transform", "nodata")})
            finally:
                with contextlib.suppress(FileNotFoundError):
                    plain.unlink()
    return Path(path)


def read_workbook(path: str | os.PathLike, **kwargs):
    """``pandas.read_excel(path, **kwargs)`` of a source workbook (ETYS, DUKES), with the
    calamine engine where it is installed (the build extra): the ETYS appendix in 0.1 s
    instead of openpyxl's 4 s, the same frames (dtypes included, checked on both files).
    """
    import importlib.util
    import warnings

    import pandas as pd

    if importlib.util.find_spec("python_calamine") is not None:
        return pd.read_excel(path, engine="calamine", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: unparseable header/footer
        return pd.read_excel(path, engine="openpyxl", **kwargs)


def read_raster(path: str | os.PathLike) -> tuple[np.ndarray, GridSpec]:
    """Read band 1 of a GeoTIFF and the grid it lies on.

    Its tiles are decompressed on every core (GDAL's ``NUM_THREADS``): a GB 100 m layer
    (87.5 M cells) reads in about half the time.
    """
    import rasterio

    with rasterio.open(path, num_threads="ALL_CPUS") as src:
        array = src.read(1)
        t = src.transform
        grid = GridSpec(resolution=float(t.a),
                        bounds=(t.c, t.f + t.e * src.height, t.c + t.a * src.width, t.f),
                        crs=src.crs.to_string())
    return array, grid
