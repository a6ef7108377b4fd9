"""ETYS boundaries: how many of them separate a point from the London demand centre."""

from __future__ import annotations

import itertools

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
        parity = np.zeros(len(xy), dtype=bool)
        for (px, py), (qx, qy) in itertools.pairwise(c):
            a, b = np.arctan2(py - oy, px - ox), np.arctan2(qy - oy, qx - ox)
            lo, hi = min(a, b), max(a, b)
            if hi - lo > np.pi:  # the span crosses the +-pi cut: two ranges
                ranges = [(-np.pi - 1, lo), (hi, np.pi + 1)]
            else:
                ranges = [(lo, hi)]
            # Origin side of the segment's line; a point on the other side crosses it.
            side_o = (qx - px) * (oy - py) - (qy - py) * (ox - px)
            for r0, r1 in ranges:
                i0, i1 = np.searchsorted(ts, r0, "left"), np.searchsorted(ts, r1, "left")
                if i1 <= i0:
                    continue
                idx = order[i0:i1]
                side = (qx - px) * (xy[idx, 1] - py) - (qy - py) * (xy[idx, 0] - px)
                parity[idx[np.sign(side) * np.sign(side_o) < 0]] ^= True
        total += parity
    return total
