"""Raster overlays of a map: palette indices, indexed-PNG encoding and the Web Mercator warp.

Every overlay of a map lies on the same grid, so the reprojection is worked out once:
:class:`_MercatorWarp` reprojects an array of *cell numbers* with nearest resampling,
which gives, for each output pixel, the flat index of the source cell it shows (or -1
outside the grid). Each overlay is then a gather, ``values.ravel()[gather]``: the same
pixels as reprojecting that overlay itself with nearest resampling (bit-identical,
tested), at ~5 ms instead of ~55 ms an overlay at 1 km.

The criterion surfaces (40-odd of them, each hidden until chosen) are not PNGs: each is
its palette indices on the land vector, deflated (:func:`_land_codes`, ~50 kB at 1 km),
and the page draws it on first show (:data:`LAZY_OVERLAY_JS`) through the same gather,
shipped once (:func:`_lazy_base`), into a canvas whose PNG becomes the overlay's image:
the same pixels as :func:`_png_indexed` of :meth:`_MercatorWarp.warp` (tested), without
encoding 40 PNGs in Python for surfaces most readers never open.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib

import numpy as np

from ._cached import cached_grid_array

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
#: zlib level of the lazily drawn surfaces' codes and of the shared gather: at GB 1 km
#: level 4 codes 42 criteria in ~2.1 MB (~3 ms each), level 1 in 2.45 MB, level 6 in
#: 1.98 MB at 4x the time; the gather at level 1 is ~0.23 MB in ~50 ms (level 3: 0.18 MB,
#: 80 ms).
LAZY_ZLIB_LEVEL = 4
GATHER_ZLIB_LEVEL = 1

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
        #: ground metres a pixel shows at the middle latitude: a grid finer than this is
        #: drawn from its overviews (growthzones.maps._overview)
        self.ground_pixel_m = res * math.cos(math.radians(lat_mid))
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
            # the same for every map of a grid: kept on disk (~0.1 s at 1 km, 1 s at 100 m)
            self._gather = cached_grid_array(self.grid, "mercator gather", lambda: (
                _reproject_nearest(np.arange(self.grid.height * self.grid.width,
                                             dtype=np.int32).reshape(self.grid.shape),
                                   -1, self)))
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


# --------------------------------------------------------------------------- lazy overlays


def _b64_deflate(data: bytes, level: int) -> str:
    return base64.b64encode(zlib.compress(data, level)).decode("ascii")


def _land_codes(codes: np.ndarray, *, level: int = LAZY_ZLIB_LEVEL) -> str:
    """Palette indices on the land vector (uint8, 255 = no data), deflated, as base64:
    one lazily drawn overlay (see :data:`LAZY_OVERLAY_JS`)."""
    return _b64_deflate(np.ascontiguousarray(codes, dtype=np.uint8).tobytes(), level)


def _lazy_base(warp: _MercatorWarp, land_index: np.ndarray, palette: np.ndarray) -> dict:
    """What every lazily drawn overlay of a map shares, JSON-able.

    ``width``/``height`` of the Mercator raster, ``cells`` of the grid, ``land``
    (base64 of the deflated land bits, row-major, most significant bit first),
    ``gather`` (base64 of the deflated :attr:`_MercatorWarp.gather`: its differences
    along the raster, zigzag-coded to uint32 and split into four byte planes, lowest
    first, so that the runs of +1 deflate to almost nothing) and ``palette`` (its RGBA
    rows as one hex string: no numbers in the page's text beside Leaflet's own).
    """
    cells = warp.grid.height * warp.grid.width
    bits = np.zeros(cells, dtype=bool)
    bits[np.asarray(land_index)] = True
    d = np.diff(warp.gather.ravel(), prepend=np.int32(0))
    z = ((d << 1) ^ (d >> 31)).view(np.uint32).astype("<u4", copy=False)
    planes = np.ascontiguousarray(z.view(np.uint8).reshape(-1, 4).T).tobytes()
    return {"width": warp.width, "height": warp.height, "cells": cells,
            "land": _b64_deflate(np.packbits(bits).tobytes(), 6),
            "gather": _b64_deflate(planes, GATHER_ZLIB_LEVEL),
            "palette": np.asarray(palette, dtype=np.uint8).tobytes().hex()}


def _decode_gather(b64: str, size: int) -> np.ndarray:
    """The inverse of the gather coding of :func:`_lazy_base` (what the page does)."""
    planes = np.frombuffer(zlib.decompress(base64.b64decode(b64)), np.uint8).reshape(4, size)
    z = np.ascontiguousarray(planes.T).view("<u4").ravel().astype(np.int64)
    d = (z >> 1) ^ -(z & 1)
    return np.cumsum(d).astype(np.int32)


#: The page's side of the lazy overlays. ``__BASE__`` is :func:`_lazy_base`;
#: ``gzOverlays.lazy(layer, codes)`` draws ``layer`` from ``codes`` (:func:`_land_codes`)
#: when it is first added to the map; ``gzOverlays.indices(codes)`` resolves to the
#: Mercator palette indices (255 outside the land), for tests.
LAZY_OVERLAY_JS = """
(function () {
    var B = __BASE__, W = B.width, H = B.height, N = W * H, prepared = null;
    var PAL = new Uint32Array(B.palette.length / 8);  // RGBA bytes as little-endian words
    for (var k = 0; k < PAL.length; k++) {
        var c = function (j) { return parseInt(B.palette.substr(8 * k + 2 * j, 2), 16); };
        PAL[k] = ((c(3) << 24) | (c(2) << 16) | (c(1) << 8) | c(0)) >>> 0;
    }
    function inflate(b64) {
        var s = atob(b64), bytes = new Uint8Array(s.length);
        for (var i = 0; i < s.length; i++) { bytes[i] = s.charCodeAt(i); }
        var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
        return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); });
    }
    function prepare() {  // land position of each pixel, -1 off land or off the grid
        if (prepared) { return prepared; }
        prepared = Promise.all([inflate(B.land), inflate(B.gather)]).then(function (r) {
            var land = r[0], g = r[1], pos = new Int32Array(B.cells), n = 0;
            for (var f = 0; f < B.cells; f++) {
                pos[f] = (land[f >> 3] >> (7 - (f & 7))) & 1 ? n++ : -1;
            }
            var out = new Int32Array(N), acc = 0;
            for (var i = 0; i < N; i++) {
                var z = (g[i] | (g[N + i] << 8) | (g[2 * N + i] << 16) | (g[3 * N + i] << 24)) >>> 0;
                acc = (acc + ((z >>> 1) ^ -(z & 1))) | 0;  // un-zigzag, add
                out[i] = acc < 0 ? -1 : pos[acc];
            }
            return out;
        });
        return prepared;
    }
    function indices(codes) {
        return Promise.all([prepare(), inflate(codes)]).then(function (r) {
            var P = r[0], c = r[1], out = new Uint8Array(N);
            for (var i = 0; i < N; i++) { out[i] = P[i] < 0 ? 255 : c[P[i]]; }
            return out;
        });
    }
    function draw(codes) {
        return indices(codes).then(function (idx) {
            var canvas = document.createElement("canvas");
            canvas.width = W; canvas.height = H;
            var ctx = canvas.getContext("2d"), img = ctx.createImageData(W, H);
            var px = new Uint32Array(img.data.buffer);
            for (var i = 0; i < N; i++) { px[i] = PAL[idx[i]]; }
            ctx.putImageData(img, 0, 0);
            return canvas.toDataURL("image/png");
        });
    }
    window.gzOverlays = {
        indices: indices,
        lazy: function (layer, codes) {
            layer.once("add", function () {
                draw(codes).then(function (url) { layer.setUrl(url); });
            });
            return layer;
        }
    };
})();
"""
