"""The national analysis grid: Great Britain in British National Grid (EPSG:27700).

Every layer is a 2-D array on one :class:`GridSpec`. Row 0 is the northern edge, as in
a GeoTIFF. The resolution is a parameter: the same code runs at 1 km (the embedded
default, 700 x 1250 cells) and at 100 m (7000 x 12500 cells).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

# rasterio 1.4 now and then warns "Dataset has no geotransform" from rasterize or shapes
# when threads call them at once (the block build, the map's site outlines), although each
# call is given its transform and burns the same cells as alone (tests/test_grid.py; also
# reported under dask, opendatacube/odc-geo#131). Every call here passes a transform, so
# the message would only alarm a build's log. (A UserWarning filter: rasterio not imported.)
warnings.filterwarnings("ignore", "Dataset has no geotransform, gcps, or rpcs", UserWarning,
                        r"rasterio\.features")

BNG = "EPSG:27700"
#: Extent of GB in metres (xmin, ymin, xmax, ymax): St Kilda to Lowestoft, Scilly to Shetland.
GB_BOUNDS = (0.0, 0.0, 700_000.0, 1_250_000.0)


@dataclass(frozen=True)
class GridSpec:
    """A regular grid of square cells.

    Parameters
    ----------
    resolution
        Cell size in metres.
    bounds
        (xmin, ymin, xmax, ymax) in metres in ``crs``; must be whole multiples of
        ``resolution``.
    crs
        Coordinate reference system of the grid.
    """

    resolution: float = 1000.0
    bounds: tuple[float, float, float, float] = GB_BOUNDS
    crs: str = BNG

    def __post_init__(self):
        xmin, ymin, xmax, ymax = self.bounds
        if self.resolution <= 0:
            raise ValueError(f"resolution must be positive, got {self.resolution}")
        for span in (xmax - xmin, ymax - ymin):
            if abs(span / self.resolution - round(span / self.resolution)) > 1e-6:
                raise ValueError(f"bounds {self.bounds} are not a multiple of {self.resolution} m")

    @property
    def width(self) -> int:
        return round((self.bounds[2] - self.bounds[0]) / self.resolution)

    @property
    def height(self) -> int:
        return round((self.bounds[3] - self.bounds[1]) / self.resolution)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return (self.height, self.width)

    @property
    def transform(self):
        """The affine transform (rasterio convention, north-up)."""
        from affine import Affine

        return Affine(self.resolution, 0.0, self.bounds[0], 0.0, -self.resolution, self.bounds[3])

    @property
    def cell_area_km2(self) -> float:
        return (self.resolution / 1000.0) ** 2

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates: x of each column and y of each row, in metres."""
        r = self.resolution
        x = self.bounds[0] + r * (np.arange(self.width) + 0.5)
        y = self.bounds[3] - r * (np.arange(self.height) + 0.5)
        return x, y

    def xy(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates of cells given by row and column indices."""
        r = self.resolution
        return (self.bounds[0] + r * (np.asarray(cols) + 0.5),
                self.bounds[3] - r * (np.asarray(rows) + 0.5))

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells containing points (x, y); -1 where outside."""
        r = self.resolution
        cols = np.floor((np.asarray(x, float) - self.bounds[0]) / r).astype(np.int64)
        rows = np.floor((self.bounds[3] - np.asarray(y, float)) / r).astype(np.int64)
        outside = (cols < 0) | (cols >= self.width) | (rows < 0) | (rows >= self.height)
        return np.where(outside, -1, rows), np.where(outside, -1, cols)

    def sample(self, array: np.ndarray, x: np.ndarray, y: np.ndarray, fill=np.nan) -> np.ndarray:
        """Values of ``array`` at points (x, y) in metres; ``fill`` outside the grid."""
        rows, cols = self.rowcol(x, y)
        out = np.full(rows.shape, fill, dtype=np.result_type(array.dtype, type(fill)))
        ok = rows >= 0
        out[ok] = array[rows[ok], cols[ok]]
        return out

    def block(self, rows: slice, cols: slice) -> GridSpec:
        """The sub-grid of rows ``rows`` and columns ``cols`` (slices with ``step`` 1).

        A block has this grid's resolution and CRS and cells that coincide with this
        grid's, so a cell's centre, and therefore any cell-local value, is the same in
        either.

        >>> GridSpec(resolution=1000, bounds=(0, 0, 4000, 3000)).block(slice(1, 3),
        ...     slice(0, 2)).bounds
        (0.0, 0.0, 2000.0, 2000.0)
        """
        r0, r1, _ = rows.indices(self.height)
        c0, c1, _ = cols.indices(self.width)
        if r1 <= r0 or c1 <= c0:
            raise ValueError(f"empty block rows {rows} cols {cols} of a {self.shape} grid")
        res, (xmin, _, _, ymax) = self.resolution, self.bounds
        return GridSpec(resolution=res, crs=self.crs,
                        bounds=(float(xmin + res * c0), float(ymax - res * r1),
                                float(xmin + res * c1), float(ymax - res * r0)))

    def to_dict(self) -> dict:
        return {"resolution": self.resolution, "bounds": list(self.bounds), "crs": self.crs}


def grown(grid: GridSpec, cells: int) -> GridSpec:
    """``grid`` with ``cells`` cells added on every side (same resolution and lattice).

    >>> grown(GridSpec(resolution=100, bounds=(0, 0, 300, 200)), 2).bounds
    (-200.0, -200.0, 500.0, 400.0)
    """
    pad = cells * grid.resolution
    x0, y0, x1, y1 = grid.bounds
    return GridSpec(resolution=grid.resolution, crs=grid.crs,
                    bounds=(float(x0 - pad), float(y0 - pad), float(x1 + pad), float(y1 + pad)))


def geoms_near(geoms, bounds, margin_m: float = 0.0) -> np.ndarray:
    """The geometries whose bounding box meets ``bounds`` grown by ``margin_m`` (m).

    A shortcut before rasterising on a block: the others cannot reach a cell of it.

    >>> from shapely.geometry import box
    >>> len(geoms_near([box(0, 0, 1, 1), box(5, 5, 6, 6)], (0, 0, 2, 2)))
    1
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    b = shapely.bounds(geoms)
    x0, y0, x1, y1 = bounds
    keep = ((b[:, 2] >= x0 - margin_m) & (b[:, 0] <= x1 + margin_m)
            & (b[:, 3] >= y0 - margin_m) & (b[:, 1] <= y1 + margin_m))
    return geoms[keep]


def rasterize_index(geoms, values, grid: GridSpec, *, dtype="int32", all_touched=False) -> np.ndarray:
    """Burn integer ``values`` of polygons onto ``grid`` (cell-centre rule); 0 elsewhere.

    Geometries must already be in the grid's CRS. Where polygons overlap the later one wins.
    They are first clipped to the grid grown by a cell, which changes no cell and spares
    rasterio the rest of their outlines (a 100 m block of the DNO licence areas: 60,000
    vertices in, ~1,000 after, 0.17 s to 0.003 s).
    """
    import shapely
    from rasterio.features import rasterize

    geoms = shapely.clip_by_rect(np.asarray(list(geoms), dtype=object), *grown(grid, 1).bounds)
    shapes = ((g, int(v)) for g, v in zip(geoms, values) if g is not None and not g.is_empty)
    return rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0,
                     dtype=dtype, all_touched=all_touched)


def rasterize_mask(geoms, grid: GridSpec, *, all_touched=False) -> np.ndarray:
    """Boolean mask of the cells whose centre falls inside any of ``geoms``."""
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(grid.shape, dtype=bool)
    return rasterize_index(geoms, [1] * len(geoms), grid, dtype="uint8",
                           all_touched=all_touched).astype(bool)


def point_tree(points_xy):
    """The KD-tree behind every distance field on the grid (scipy's cKDTree).

    Built without balancing or shrinking its nodes to the data, in leaves of 32: on the
    points of lines (rail, motorways, overhead lines, rivers every half cell) GB 100 m
    blocks query 2.5-4.5 times faster than with scipy's defaults (measured, 512 x 512 cells
    in Manchester, Wales and the Highlands), and on scattered points no slower. The tree's
    shape changes how fast it answers, never the distances: they are exact either way.
    :func:`nearest_point_index` keeps scipy's default tree: which of two equidistant points
    it names depends on the tree's shape, and its point sets are small.
    """
    from scipy.spatial import cKDTree

    return cKDTree(np.asarray(points_xy, dtype=float).reshape(-1, 2), leafsize=32,
                   balanced_tree=False, compact_nodes=False)


def distance_to_tree(tree, grid: GridSpec, land: np.ndarray) -> np.ndarray:
    """Distance in km from each land cell centre to the nearest point of ``tree``
    (a :func:`point_tree`); float32 of ``grid.shape``, NaN off land and where it is empty."""
    out = np.full(grid.shape, np.nan, dtype=np.float32)
    if tree.n == 0:
        return out
    rows, cols = np.nonzero(land)
    x, y = grid.xy(rows, cols)
    d, _ = tree.query(np.column_stack([x, y]), workers=-1)
    out[rows, cols] = d / 1000.0
    return out


def distance_to_points(points_xy: np.ndarray, grid: GridSpec, land: np.ndarray) -> np.ndarray:
    """Distance in km from each land cell centre to the nearest of ``points_xy``.

    Parameters
    ----------
    points_xy
        (n, 2) array of x, y in metres in the grid's CRS.
    grid
        The analysis grid.
    land
        Boolean array of ``grid.shape``; cells outside it get NaN.

    Returns
    -------
    numpy.ndarray
        float32 array of ``grid.shape``, km.
    """
    return distance_to_tree(point_tree(points_xy), grid, land)


def line_vertices(geoms, spacing: float) -> np.ndarray:
    """Points every ``spacing`` metres (at most) along lines, plus all their vertices.

    Distances to these points overstate the distance to the line by at most
    ``spacing / 2``; used so that distance-to-line fields reuse the point KD-tree.
    """
    import shapely

    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.empty((0, 2))
    dense = shapely.segmentize(np.asarray(geoms, dtype=object), max_segment_length=spacing)
    return shapely.get_coordinates(dense)


class LinePoints:
    """Lines ready for :func:`distance_to_lines`: the :func:`point_tree` of their points
    every half cell, made once per cell size and process.

    A build's blocks share one (a theme's features hold it), so the points of national
    rail, motorways, overhead lines and rivers are not re-made and re-indexed on every
    block (at 100 m that was a sixth of those themes' block time). Pickled without its
    trees: a cluster's workers make their own. Two threads asking for a new cell size at
    once may both make its tree; either is kept, and they are the same.
    """

    def __init__(self, geoms):
        self.geoms = np.asarray([g for g in geoms if g is not None and not g.is_empty],
                                dtype=object)
        self._trees: dict = {}

    def __len__(self) -> int:
        return len(self.geoms)

    def __getstate__(self):
        return {"geoms": self.geoms, "_trees": {}}

    def tree(self, resolution: float):
        """The KD-tree of :func:`line_vertices` every ``resolution / 2`` metres."""
        if resolution not in self._trees:
            self._trees[resolution] = point_tree(line_vertices(self.geoms, resolution / 2.0))
        return self._trees[resolution]


def distance_to_lines(lines, grid: GridSpec, land: np.ndarray) -> np.ndarray:
    """Distance in km from each land cell centre to the nearest line (error <= res/4).

    ``lines``: line geometries, or their :class:`LinePoints` (whose trees are reused).
    """
    lines = lines if isinstance(lines, LinePoints) else LinePoints(lines)
    return distance_to_tree(lines.tree(grid.resolution), grid, land)


@functools.cache
def _wgs84_to_bng():
    from pyproj import Transformer

    return Transformer.from_crs(4326, BNG, always_xy=True)


def to_bng(lon, lat) -> np.ndarray:
    """(n, 2) array of EPSG:27700 x, y in metres from WGS84 lon/lat in degrees.

    The one lon/lat -> grid transform of the package (pyproj, axis order lon, lat).
    Lines and polygons go through it with
    ``shapely.transform(geoms, lambda c: to_bng(c[:, 0], c[:, 1]))``.

    >>> to_bng([-0.1276], [51.5072]).round(-2).tolist()
    [[530000.0, 180400.0]]
    """
    x, y = _wgs84_to_bng().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


@functools.cache
def _bng_to_wgs84():
    from pyproj import Transformer

    return Transformer.from_crs(BNG, 4326, always_xy=True)


def to_wgs84(x, y) -> np.ndarray:
    """(n, 2) array of WGS84 lon, lat in degrees from EPSG:27700 x, y in metres.

    The inverse of :func:`to_bng`, and the one grid -> lon/lat transform of the package.

    >>> to_wgs84([530000.0], [180400.0]).round(2).tolist()
    [[-0.13, 51.51]]
    """
    lon, lat = _bng_to_wgs84().transform(np.asarray(x, float), np.asarray(y, float))
    return np.column_stack([lon, lat])



def nearest_point_index(points_xy: np.ndarray, grid: GridSpec, land: np.ndarray) -> np.ndarray:
    """Index of the nearest of ``points_xy`` for each land cell; -1 off land (int32)."""
    from scipy.spatial import cKDTree

    out = np.full(grid.shape, -1, dtype=np.int32)
    pts = np.asarray(points_xy, float).reshape(-1, 2)
    if len(pts) == 0:
        return out
    rows, cols = np.nonzero(land)
    x, y = grid.xy(rows, cols)
    _, idx = cKDTree(pts).query(np.column_stack([x, y]), workers=-1)
    out[rows, cols] = idx
    return out



def value_of_nearest(points_xy: np.ndarray, values, grid: GridSpec, land: np.ndarray, *,
                     index: np.ndarray | None = None) -> np.ndarray:
    """Each land cell takes the value of its nearest point (float32; NaN off land).

    ``index``: :func:`nearest_point_index` of the same points, if already computed (one
    query for several value columns of the same points).

    >>> g = GridSpec(resolution=1000, bounds=(0, 0, 3000, 1000))
    >>> value_of_nearest(np.array([[500, 500], [2500, 500]]), [10, 20], g,
    ...                  np.ones(g.shape, bool)).tolist()
    [[10.0, 10.0, 20.0]]
    """
    idx = nearest_point_index(points_xy, grid, land) if index is None else index
    lut = np.append(np.asarray(values, np.float32), np.float32(np.nan))
    return lut[idx]  # idx -1 -> the trailing NaN



def reduce_within(points_xy: np.ndarray, values, grid: GridSpec, land: np.ndarray, *,
                  radius_km: float, how: str = "max", fill: float | None = 0.0) -> np.ndarray:
    """Combine point values over the points within ``radius_km`` of each land cell centre.

    Parameters
    ----------
    points_xy
        (n, 2) points in metres in the grid's CRS.
    values
        (n,) values (NaN values are ignored).
    radius_km
        Reach in km (inclusive).
    how
        ``"max"`` (largest value in reach) or ``"sum"``.
    fill
        Value for land cells with no point in reach (None keeps NaN).

    Returns
    -------
    numpy.ndarray
        float32 of ``grid.shape``; NaN off land.

    Examples
    --------
    >>> g = GridSpec(resolution=1000, bounds=(0, 0, 5000, 1000))
    >>> reduce_within(np.array([[500, 500], [1500, 500]]), [3, 4], g,
    ...               np.ones(g.shape, bool), radius_km=1, how="sum").tolist()
    [[7.0, 7.0, 4.0, 0.0, 0.0]]
    """
    if how not in ("max", "sum"):
        raise ValueError(f"how must be 'max' or 'sum', got {how!r}")
    out = np.full(grid.shape, np.nan, dtype=np.float64)
    res = grid.resolution
    r_m = radius_km * 1000.0
    k = int(np.ceil(r_m / res)) + 1
    xmin, ymax = grid.bounds[0], grid.bounds[3]
    for (px, py), v in zip(np.asarray(points_xy, float).reshape(-1, 2),
                           np.asarray(values, float)):
        if np.isnan(v):
            continue
        c, r = int((px - xmin) // res), int((ymax - py) // res)
        r0, r1 = max(r - k, 0), min(r + k + 1, grid.height)
        c0, c1 = max(c - k, 0), min(c + k + 1, grid.width)
        if r0 >= r1 or c0 >= c1:
            continue
        cx = xmin + res * (np.arange(c0, c1) + 0.5)
        cy = ymax - res * (np.arange(r0, r1) + 0.5)
        near = (cx[None, :] - px) ** 2 + (cy[:, None] - py) ** 2 <= r_m ** 2 * (1 + 1e-9)
        win = out[r0:r1, c0:c1]
        if how == "max":
            win[near] = np.fmax(win[near], v)
        else:
            win[near] = np.where(np.isnan(win[near]), v, win[near] + v)
    if fill is not None:
        out[np.isnan(out)] = fill
    out[~land] = np.nan
    return out.astype(np.float32)


class LandSurface:
    """A land-cell vector seen as its 2-D grid (``fill`` off land), a band of rows made
    each time it is sliced (``surface[r0:r1]``): a big grid is written by bands
    (:func:`growthzones.io.write_raster`) without the whole grid in memory (350 MB at
    GB 100 m).

    >>> s = LandSurface((2, 3), np.array([1, 5]), np.float32([7, 8]))
    >>> s.shape, s.dtype, s[1:2].tolist()
    ((2, 3), dtype('float32'), [[nan, nan, 8.0]])
    """

    def __init__(self, shape: tuple[int, int], land_index: np.ndarray, values: np.ndarray,
                 fill=np.nan):
        self.shape, self.size = tuple(shape), shape[0] * shape[1]
        self.dtype = np.result_type(values.dtype, fill)
        self._index, self._values, self._fill = land_index, values, fill

    def __getitem__(self, rows: slice) -> np.ndarray:
        if not isinstance(rows, slice):
            raise TypeError("a LandSurface is sliced by rows: surface[r0:r1]")
        r0, r1, step = rows.indices(self.shape[0])
        if step != 1:
            raise ValueError("a LandSurface is sliced by a run of rows (step 1)")
        w = self.shape[1]
        r1 = max(r0, r1)
        # the land index is sorted (flat positions), so the band's cells are one run of it
        a, b = np.searchsorted(self._index, [r0 * w, r1 * w])
        out = np.full((r1 - r0) * w, self._fill, dtype=self.dtype)
        out[self._index[a:b] - r0 * w] = self._values[a:b]
        return out.reshape(r1 - r0, w)
