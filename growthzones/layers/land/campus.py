"""Built-up land and room for a campus, on the 100 m sub-grid: the land theme's raster geometry.

Pure functions over boolean arrays, used by :func:`growthzones.layers.land.on_block`:
postcode points make *occupied* hectares (:func:`occupied_cells`), whose share around each
place is :func:`built_up_share_pct`; the largest disc of available land centred in a cell
is :func:`largest_disc_ha` (:func:`campus_room_ha` on the sub-grid, then the best sub-cell
of each output cell). :func:`built_up_and_room` does both for one block of the national
grid, on the block grown by the halo the two windows reach. The method and its thresholds
are described in :mod:`growthzones.layers.land`.

Resolution rule
    The built-up share is always measured on *hectares*: the 100 m cells of the national
    lattice (multiples of 100 m from the grid origin). The campus disc is measured on the
    sub-grid of :func:`subgrid`: 100 m for a grid of 100 m or coarser (a whole multiple of
    100 m; 1 km cells hold 10 x 10 sub-cells, 100 m cells are their own sub-grid), and the
    grid itself when it is finer (25 m: the disc is measured on 25 m cells, each of which
    takes the built-up share of the hectare that holds its centre).
"""

from __future__ import annotations

import math

import numpy as np

from ...grid import GridSpec, grown

#: Sub-grid cell size (m) for built-up land and room for a campus.
SUBGRID_M = 100.0
#: Side (m) of the square around a place over which the built-up share is measured.
BUILT_UP_WINDOW_M = 1000.0
#: Default minimum campus size (ha): the scenarios' ``campus_room_ha`` constraint.
CAMPUS_MIN_HA = 50.0
#: ``campus_room_ha`` is capped here: any campus fits a 1,000 ha disc.
CAMPUS_ROOM_CAP_HA = 1000.0


def subgrid(grid: GridSpec, resolution: float = SUBGRID_M) -> tuple[GridSpec, int]:
    """The fine grid on ``grid``'s bounds and the whole number of sub-cells per cell side.

    The sub-grid is ``resolution`` metres, or ``grid`` itself when that is finer.

    Raises
    ------
    ValueError
        If ``grid.resolution`` is not a whole multiple of ``resolution``.
    """
    if grid.resolution <= resolution:
        return grid, 1
    k = grid.resolution / resolution
    if abs(k - round(k)) > 1e-9:
        raise ValueError(f"grid resolution {grid.resolution:g} m is not a multiple of the "
                         f"{resolution:g} m sub-grid; use a multiple of {resolution:g} m")
    return GridSpec(resolution=resolution, bounds=grid.bounds, crs=grid.crs), round(k)


def hectare_lattice(grid: GridSpec, halo: int = 0, resolution: float = SUBGRID_M) -> GridSpec:
    """The ``resolution`` lattice (multiples of it from the origin) covering ``grid``, plus
    ``halo`` cells on every side.

    For a grid on that lattice (100 m or a multiple of it) this is the grid's own sub-grid
    grown by ``halo``; a finer grid is covered outward to whole hectares.

    >>> hectare_lattice(GridSpec(resolution=25, bounds=(25, 50, 150, 175)), 1).bounds
    (-100.0, -100.0, 300.0, 300.0)
    """
    x0, y0, x1, y1 = grid.bounds
    r = resolution
    snapped = (r * math.floor(x0 / r + 1e-9), r * math.floor(y0 / r + 1e-9),
               r * math.ceil(x1 / r - 1e-9), r * math.ceil(y1 / r - 1e-9))
    return grown(GridSpec(resolution=r, crs=grid.crs, bounds=tuple(map(float, snapped))), halo)


def take_cells(values: np.ndarray, coarse: GridSpec, grid: GridSpec) -> np.ndarray:
    """Each cell of ``grid`` takes the value of the ``coarse`` cell holding its centre.

    ``coarse`` must cover ``grid``; on one lattice this is a crop.
    """
    if coarse.resolution == grid.resolution:   # one lattice: a crop, no index arrays
        r = grid.resolution
        c0 = round((grid.bounds[0] - coarse.bounds[0]) / r)
        r0 = round((coarse.bounds[3] - grid.bounds[3]) / r)
        if c0 < 0 or r0 < 0 or c0 + grid.width > coarse.width or r0 + grid.height > coarse.height:
            raise ValueError(f"grid {grid.bounds} is not inside {coarse.bounds}")
        return values[r0:r0 + grid.height, c0:c0 + grid.width]
    x, y = grid.centres()
    _, cols = coarse.rowcol(x, np.full_like(x, coarse.bounds[1] + coarse.resolution / 2))
    rows, _ = coarse.rowcol(np.full_like(y, coarse.bounds[0] + coarse.resolution / 2), y)
    if (cols < 0).any() or (rows < 0).any():
        raise ValueError(f"grid {grid.bounds} is not inside {coarse.bounds}")
    return values[np.ix_(rows, cols)]


def block_reduce(array: np.ndarray, k: int, how: str = "mean") -> np.ndarray:
    """Aggregate k x k blocks of ``array`` (shape divisible by k) by ``mean`` or ``max``."""
    if k == 1:
        return array
    h, w = array.shape
    blocks = array.reshape(h // k, k, w // k, k)
    if how == "mean":
        return (blocks.sum(axis=(1, 3), dtype=np.float32) / np.float32(k * k)).astype(np.float32)
    return blocks.max(axis=(1, 3))


def box_mean(mask: np.ndarray, size: int) -> np.ndarray:
    """Mean of a boolean ``mask`` over the ``size`` x ``size`` window centred on each cell.

    Outside the array counts as False. ``size`` must be odd. Two 1-D passes of integer
    counts (separable box filter), so a GB 100 m grid takes about a second.

    Examples
    --------
    >>> m = np.zeros((3, 3), bool); m[1, 1] = True
    >>> float(box_mean(m, 3)[0, 0] * 9)
    1.0
    """
    from scipy import ndimage

    if size % 2 != 1:
        raise ValueError(f"window size must be odd, got {size}")
    dtype = np.uint8 if size * size <= 255 else np.uint32
    ones = np.ones(size, dtype=dtype)
    m = mask.view(np.uint8) if (mask.dtype == bool and dtype is np.uint8) else mask.astype(dtype)
    c = ndimage.convolve1d(m, ones, axis=0, mode="constant")
    c = ndimage.convolve1d(c, ones, axis=1, mode="constant")
    return (c / np.float32(size * size)).astype(np.float32)


def occupied_cells(points_xy: np.ndarray, grid: GridSpec) -> np.ndarray:
    """Boolean array of ``grid.shape``: True where at least one point falls in the cell.

    Parameters
    ----------
    points_xy
        (n, 2) x, y in metres in the grid's CRS; points outside the grid are ignored.
    """
    pts = np.asarray(points_xy).reshape(-1, 2)
    # the points on the grid first, by the rule of GridSpec.rowcol (a GB 100 m block's
    # lattice holds ~82,000 of the 1.7 M postcodes: 28 ms a block becomes 10)
    x0, y0, x1, y1 = grid.bounds
    x, y = pts[:, 0], pts[:, 1]
    pts = pts[(x >= x0) & (x < x1) & (y > y0) & (y <= y1)].astype(float)
    rows, cols = grid.rowcol(pts[:, 0], pts[:, 1])
    ok = rows >= 0
    out = np.zeros(grid.shape, dtype=bool)
    out[rows[ok], cols[ok]] = True
    return out


def built_up_share_pct(occupied_sub: np.ndarray, sub: GridSpec, grid: GridSpec, *,
                       window_m: float = BUILT_UP_WINDOW_M) -> tuple[np.ndarray, np.ndarray]:
    """Share (%) of occupied sub-cells around each cell of ``grid`` and of ``sub``.

    Parameters
    ----------
    occupied_sub
        Boolean array on ``sub`` (see :func:`occupied_cells`).
    sub
        The fine grid (100 m); ``grid.resolution`` is a whole multiple of it.
    grid
        The output grid.
    window_m
        Side of the square over which the share is taken, in metres.

    Returns
    -------
    on_grid, on_sub
        float32 % arrays. ``on_sub`` is the share over the odd-sized window of about
        ``window_m`` centred on each sub-cell. ``on_grid`` is, for cells of ``window_m`` or
        larger, the share within the cell itself; for finer cells, the mean of ``on_sub``
        over the cell.
    """
    k = round(grid.resolution / sub.resolution)
    n = round(window_m / sub.resolution)
    on_sub = 100.0 * box_mean(occupied_sub, n if n % 2 else n + 1)
    if grid.resolution >= window_m:
        on_grid = 100.0 * block_reduce(occupied_sub, k, "mean")
    else:
        on_grid = block_reduce(on_sub, k, "mean")
    return on_grid.astype(np.float32), on_sub.astype(np.float32)


def disc_distance_cells(available: np.ndarray, *, cap_cells: int) -> np.ndarray:
    """Euclidean distance (in cells) from each available cell to the nearest unavailable one.

    Outside the array counts as unavailable; unavailable cells get 0. Distances are exact
    up to ``cap_cells`` and capped there: the transform runs in bands of rows cropped to
    the columns that hold available cells, so a GB 100 m grid (87.5 M cells, three
    quarters sea) takes about 2 s instead of 11 s for one whole-array transform.
    """
    from scipy import ndimage

    dist = np.zeros(available.shape, dtype=np.float32)
    h, w = available.shape
    band = 1000
    for r0 in range(0, h, band):
        a0, a1 = max(0, r0 - cap_cells), min(h, r0 + band + cap_cells)
        blk = available[a0:a1]
        cols = np.flatnonzero(blk.any(axis=0))
        if cols.size == 0:
            continue
        c0, c1 = max(0, cols[0] - cap_cells), min(w, cols[-1] + 1 + cap_cells)
        # The pad makes the band's edge unavailable; only rows at least cap_cells inside
        # it are kept, so each kept distance is exact up to the cap.
        d = ndimage.distance_transform_edt(np.pad(blk[:, c0:c1], 1))[1:-1, 1:-1]
        r1 = min(h, r0 + band)
        dist[r0:r1, c0:c1] = np.minimum(d[r0 - a0:r1 - a0], cap_cells)
    return dist


def _cap_cells(cap_ha: float, resolution: float) -> int:
    return math.ceil(math.sqrt(cap_ha * 1e4 / math.pi) / resolution + 0.5) + 1


def campus_halo_cells(resolution: float, cap_ha: float = CAMPUS_ROOM_CAP_HA) -> int:
    """Cells beyond a block that :func:`campus_room_ha` looks at: the capped disc's reach
    plus a cell (20 at 100 m, 73 at 25 m for the 1,000 ha cap)."""
    return _cap_cells(cap_ha, resolution)


def _disc_area_ha(dist_cells: np.ndarray, resolution: float, cap_ha: float) -> np.ndarray:
    radius_m = np.maximum(dist_cells - np.float32(0.5), 0) * np.float32(resolution)
    return np.minimum(np.float32(np.pi / 1e4) * radius_m * radius_m,
                      np.float32(cap_ha)).astype(np.float32)


def largest_disc_ha(available: np.ndarray, grid: GridSpec, *,
                    cap_ha: float = CAMPUS_ROOM_CAP_HA) -> np.ndarray:
    """Area of the largest disc of available cells centred on each cell, in hectares.

    A cell at Euclidean distance ``d`` cells from the nearest unavailable cell (centre to
    centre) holds a disc of radius ``(d - 0.5) * resolution`` (the unavailable cell's
    edge is half a cell nearer). Unavailable cells get 0. Outside the array counts as
    unavailable.

    .. math:: A = \\pi \\left((d - \\tfrac12)\\,r\\right)^2 / 10^4

    Parameters
    ----------
    available
        Boolean array of ``grid.shape``.
    grid
        Its grid (only the resolution is used).
    cap_ha
        Areas are exact up to this many hectares and capped there.

    Returns
    -------
    numpy.ndarray
        float32 hectares.

    Examples
    --------
    A 9 x 9 block of 100 m cells: the centre is 5 cells from the outside, a disc of
    450 m radius (63.6 ha).

    >>> from growthzones.grid import GridSpec
    >>> a = np.zeros((11, 11), bool); a[1:10, 1:10] = True
    >>> g = GridSpec(resolution=100, bounds=(0, 0, 1100, 1100))
    >>> round(float(largest_disc_ha(a, g)[5, 5]), 1)
    63.6
    """
    dist = disc_distance_cells(available, cap_cells=_cap_cells(cap_ha, grid.resolution))
    return _disc_area_ha(dist, grid.resolution, cap_ha)


def campus_room_ha(available_sub: np.ndarray, sub: GridSpec, grid: GridSpec, *,
                   cap_ha: float = CAMPUS_ROOM_CAP_HA, halo: int = 0) -> np.ndarray:
    """Largest disc of available land (ha) whose centre lies in each cell of ``grid``.

    Computed on the fine grid ``sub`` (see :func:`largest_disc_ha`), then the maximum over
    the sub-cells of each output cell, so the measure keeps its meaning at any output
    resolution.

    Parameters
    ----------
    available_sub
        Boolean array on ``sub``: land where a campus may be built.
    sub, grid
        Fine and output grids; ``grid.resolution`` is a whole multiple of ``sub``'s.
    cap_ha
        Cap on the reported area.
    halo
        Sub-cells of ``available_sub`` beyond ``sub`` on every side (``sub`` is the part
        without them): cropped after the distance transform. With ``halo`` at least
        :func:`campus_halo_cells`, a cell's value does not depend on where ``sub`` ends.
    """
    k = round(grid.resolution / sub.resolution)
    dist = disc_distance_cells(available_sub, cap_cells=_cap_cells(cap_ha, sub.resolution))
    if halo:
        dist = dist[halo:-halo, halo:-halo]
    # The area grows with the distance, so the block maximum can be taken first.
    return _disc_area_ha(block_reduce(dist, k, "max"), sub.resolution, cap_ha)


def built_up_and_room(points_xy: np.ndarray, grid: GridSpec, available_on, *,
                      threshold_pct: float, window_m: float = BUILT_UP_WINDOW_M,
                      cap_ha: float = CAMPUS_ROOM_CAP_HA) -> tuple[np.ndarray, np.ndarray]:
    """Built-up share (%) and room for a campus (ha) on ``grid``, a block of the national grid.

    Both are computed on the block grown by the halo they reach, so that a cell's value
    does not depend on the block: the campus disc reaches :func:`campus_halo_cells`
    sub-cells, and the built-up share of each of those sub-cells half a window further.

    Parameters
    ----------
    points_xy
        (n, 2) postcode points in metres (EPSG:27700), all of GB.
    grid
        The block's grid (see :func:`subgrid` and the module's resolution rule).
    available_on
        Callable ``GridSpec -> bool array``: land where a campus may be built before the
        built-up test (on land and outside every protected polygon), on any grid.
    threshold_pct
        Built-up share from which a sub-cell is not available.
    window_m, cap_ha
        Side of the built-up window (m) and cap on the campus area (ha).

    Returns
    -------
    share_pct, room_ha
        float32 arrays of ``grid.shape`` (values everywhere; the caller masks the sea).
    """
    sub, k = subgrid(grid)
    halo = campus_halo_cells(sub.resolution, cap_ha)
    reach = grown(sub, halo)
    n = round(window_m / SUBGRID_M)
    size = n if n % 2 else n + 1
    hect = hectare_lattice(reach, size // 2)
    occupied = occupied_cells(points_xy, hect)
    share_h = (100.0 * box_mean(occupied, size)).astype(np.float32)
    if grid.resolution >= window_m:   # the cell's own hectares
        share = 100.0 * block_reduce(take_cells(occupied, hect, sub), k, "mean")
    else:                             # the window around each hectare, averaged over the cell
        share = block_reduce(take_cells(share_h, hect, sub), k, "mean")
    available = available_on(reach) & (take_cells(share_h, hect, reach) < threshold_pct)
    room = campus_room_ha(available, sub, grid, cap_ha=cap_ha, halo=halo)
    return share.astype(np.float32), room
