"""ETYS boundaries: how many of them separate a point from the London demand centre."""

from __future__ import annotations

import numpy as np

#: Central London (Trafalgar Square), EPSG:27700 m: the demand centre that
#: :func:`boundary_crossings` counts boundaries towards.
LONDON_XY = (530_000.0, 180_400.0)


def boundary_crossings(xy: np.ndarray, lines, origin=LONDON_XY) -> np.ndarray:
    """How many of ``lines`` separate each point from ``origin``.

    A line separates a point from the origin when the straight segment between them
    crosses it an odd number of times (ETYS boundaries run coast to coast, or are closed
    loops, so parity says which side a point is on).

    Segment crossings are found per line segment only for the points whose bearing from
    the origin lies within that segment's angular span, so the work grows with the
    points near each boundary, not with points x segments.

    Parameters
    ----------
    xy
        (n, 2) points in metres (same CRS as ``lines``).
    lines
        Shapely LineStrings.
    origin
        (x, y) of the reference point; must not lie on a line.

    Returns
    -------
    numpy.ndarray
        (n,) int16 counts.
    """
    import shapely

    xy = np.asarray(xy, float).reshape(-1, 2)
    ox, oy = origin
    dx, dy = xy[:, 0] - ox, xy[:, 1] - oy
    theta = np.arctan2(dy, dx)
    order = np.argsort(theta)
    ts = theta[order]
    total = np.zeros(len(xy), dtype=np.int16)
    for line in lines:
        c = shapely.get_coordinates(line)
        if len(c) < 2:
            continue
        # every segment's bearings and ranges at once; the points only for the segments
        # whose span holds some (a block far from a boundary meets none of its segments)
        bearing = np.arctan2(c[:, 1] - oy, c[:, 0] - ox)
        lo, hi = np.minimum(bearing[:-1], bearing[1:]), np.maximum(bearing[:-1], bearing[1:])
        cut = hi - lo > np.pi  # the span crosses the +-pi cut: two ranges
        ranges = [(np.where(cut, -np.pi - 1, lo), np.where(cut, lo, hi), np.ones_like(cut)),
                  (hi, np.full_like(hi, np.pi + 1), cut)]
        parity = np.zeros(len(xy), dtype=bool)
        for r0, r1, use in ranges:
            i0, i1 = np.searchsorted(ts, r0, "left"), np.searchsorted(ts, r1, "left")
            for k in np.flatnonzero(use & (i1 > i0)):
                (px, py), (qx, qy) = c[k], c[k + 1]
                # Origin side of the segment's line; a point on the other side crosses it.
                side_o = (qx - px) * (oy - py) - (qy - py) * (ox - px)
                idx = order[i0[k]:i1[k]]
                side = (qx - px) * (xy[idx, 1] - py) - (qy - py) * (xy[idx, 0] - px)
                parity[idx[np.sign(side) * np.sign(side_o) < 0]] ^= True
        total += parity
    return total
