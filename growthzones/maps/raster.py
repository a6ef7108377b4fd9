"""Raster overlays of a map: palette indices, indexed-PNG encoding and the Web Mercator warp.

Every overlay of a map lies on the same grid, so the reprojection is worked out once:
:class:`_MercatorWarp` reprojects an array of *cell numbers* with nearest resampling,
which gives, for each output pixel, the flat index of the source cell it shows (or -1
outside the grid). Each overlay is then a gather, ``values.ravel()[gather]``: the same
pixels as reprojecting that overlay itself with nearest resampling (bit-identical,
tested), at ~5 ms instead of ~55 ms an overlay at 1 km.
"""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np

#: Web Mercator, the CRS Leaflet draws in.
WEB_MERCATOR = "EPSG:3857"
#: RGBA of excluded cells; drawn at ``EXCLUDED_OPACITY`` over the score.
EXCLUDED_RGBA = (178, 24, 43, 255)
#: Longest side of an overlay image in pixels (GB at 1 km is ~1,900 in Web Mercator).
MAX_OVERLAY_PX = 2400
#: zlib level of the overlay PNGs, the measured best. CPU time per overlay and total
#: size of the 39 overlays of the 1 km map, rows filtered "Up": level 4 12 ms, 2.21 MB;
#: level 6 17 ms, 2.14 MB; level 3 9 ms, 2.48 MB; level 9 ~145 ms, 1.97 MB. Unfiltered
#: level 9, as written before, took ~81 ms an overlay for 2.29 MB.
PNG_ZLIB_LEVEL = 4

#: Viridis sampled at 0, 1/8, ..., 1; enough anchors to rebuild it by linear
#: interpolation without matplotlib.
VIRIDIS_ANCHORS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c",
                   "#28ae80", "#5ec962", "#addc30", "#fde725")


def _viridis_palette() -> np.ndarray:
    """256 x RGBA: entries 0..254 run along viridis, 255 is transparent (NaN)."""
    anchors = np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in VIRIDIS_ANCHORS],
                       dtype=float)
    t = np.linspace(0.0, 1.0, 255)
    at = np.linspace(0.0, 1.0, len(anchors))
    rgb = np.column_stack([np.interp(t, at, anchors[:, k]) for k in range(3)])
    pal = np.zeros((256, 4), dtype=np.uint8)
    pal[:255, :3] = np.rint(rgb).astype(np.uint8)
    pal[:255, 3] = 255
    return pal


def _mask_palette() -> np.ndarray:
    """2 x RGBA: 0 transparent, 1 the excluded colour."""
    return np.array([(0, 0, 0, 0), EXCLUDED_RGBA], dtype=np.uint8)


def _scale_index(values: np.ndarray) -> np.ndarray:
    """Palette index of values in [0, 1]: 0..254 along the scale, 255 where NaN."""
    v = np.asarray(values, dtype=np.float32)
    scaled = np.clip(v, 0.0, 1.0)
    scaled *= np.float32(254.0)
    np.rint(scaled, out=scaled)
    with np.errstate(invalid="ignore"):  # NaN casts to an arbitrary byte, replaced below
        index = scaled.astype(np.uint8)
    index[~np.isfinite(v)] = 255
    return index


def _mask_index(values: np.ndarray) -> np.ndarray:
    """1 where a cell is excluded (value >= 0.5), 0 elsewhere, NaN included."""
    v = np.asarray(values)
    with np.errstate(invalid="ignore"):  # NaN compares False: not excluded
        return (v >= 0.5).astype(np.uint8)


def _png_indexed(index: np.ndarray, palette: np.ndarray, *,
                 level: int = PNG_ZLIB_LEVEL) -> bytes:
    """Encode a 2-D uint8 palette-index array as an 8-bit indexed PNG.

    An indexed PNG is a quarter of the RGBA one folium would write, which matters
    with a few dozen national overlays embedded in one page. ``level`` is the zlib
    level (0..9), :data:`PNG_ZLIB_LEVEL` by default. Every row uses PNG filter 2
    ("Up", the difference to the row above, modulo 256): neighbouring rows of a
    raster are alike, so the filtered rows are mostly zeros and compress ~13 %
    smaller than unfiltered ones at about the same speed.
    """
    index = np.ascontiguousarray(index, dtype=np.uint8)
    h, w = index.shape
    raw = np.empty((h, w + 1), dtype=np.uint8)
    raw[:, 0] = 2  # filter "Up"; the row above the first is zeros
    raw[0, 1:] = index[0]
    np.subtract(index[1:], index[:-1], out=raw[1:, 1:])  # uint8: wraps modulo 256

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    palette = np.asarray(palette, dtype=np.uint8)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", palette[:, :3].tobytes())
            + chunk(b"tRNS", palette[:, 3].tobytes())
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
            + chunk(b"IEND", b""))


class _MercatorWarp:
    """Reprojects rasters on one grid to Web Mercator at about the same resolution.

    The reprojection is computed once, on first use, as :attr:`gather`: for each
    output pixel the flat index of its source cell, -1 outside the grid. It costs one
    int32 array of the grid's size while it is built (4 bytes a cell).
    """

    def __init__(self, grid):
        from affine import Affine
        from pyproj import Transformer
        from rasterio.warp import transform_bounds

        self.grid = grid
        # Densified edges: the grid's straight edges are curves in Mercator, and the
        # raster must cover all of them (rasterio's default transform can cut a row).
        left, bottom, right, top = transform_bounds(grid.crs, WEB_MERCATOR, *grid.bounds,
                                                    densify_pts=51)
        to_lonlat = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
        _, lat_mid = to_lonlat.transform((left + right) / 2, (bottom + top) / 2)
        # Mercator stretches ground distances by 1/cos(lat): keep the ground resolution
        # of the grid at the middle latitude, so the pixel count stays about the same.
        res = grid.resolution / math.cos(math.radians(lat_mid))
        # A fine grid (100 m) is shown coarser: a map of GB needs no more pixels than a
        # screen has, and every overlay is inlined in the HTML.
        res = max(res, max(right - left, top - bottom) / MAX_OVERLAY_PX)
        self.width = math.ceil((right - left) / res)
        self.height = math.ceil((top - bottom) / res)
        self.transform = Affine(res, 0.0, left, 0.0, -res, top)
        right, bottom = left + res * self.width, top - res * self.height
        (west, east), (south, north) = to_lonlat.transform([left, right], [bottom, top])
        self.bounds = [[south, west], [north, east]]
        self._gather = None

    @property
    def gather(self) -> np.ndarray:
        """``(height, width)`` int32: the flat source cell of each pixel, -1 outside."""
        if self._gather is None:
            self._gather = _reproject_nearest(
                np.arange(self.grid.height * self.grid.width, dtype=np.int32)
                .reshape(self.grid.shape), -1, self)
        return self._gather

    def warp(self, index: np.ndarray, nodata: int) -> np.ndarray:
        """Nearest-neighbour reprojection of a palette-index array (keeps classes).

        ``nodata`` fills the pixels outside the grid (and stays nodata where the
        source is nodata), exactly as :func:`rasterio.warp.reproject` would.
        """
        if index.shape != self.grid.shape:
            raise ValueError(f"raster shape {index.shape} does not match the grid "
                             f"{self.grid.shape}")
        # One extra cell at the end holds nodata, so a gather of -1 picks it.
        flat = np.empty(index.size + 1, dtype=np.uint8)
        flat[:-1] = index.ravel()
        flat[-1] = nodata
        return flat[self.gather]


def _reproject_nearest(source: np.ndarray, nodata: int, warp: _MercatorWarp) -> np.ndarray:
    """``source`` on ``warp.grid`` reprojected to ``warp``'s Mercator raster, nearest."""
    from rasterio.warp import Resampling, reproject

    out = np.full((warp.height, warp.width), nodata, dtype=source.dtype)
    reproject(source=source, destination=out, src_transform=warp.grid.transform,
              src_crs=warp.grid.crs, src_nodata=nodata, dst_transform=warp.transform,
              dst_crs=WEB_MERCATOR, dst_nodata=nodata, resampling=Resampling.nearest)
    return out
