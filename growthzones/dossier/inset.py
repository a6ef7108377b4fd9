"""The dossier's inset map: an inline SVG drawn from the store alone (no tiles, no network).

Drawn, bottom to top: the score surface in the window (viridis, as the map; excluded land
in the map's red), the council outlines of the store's basemap, the site's high-score
region (the connected land in the top 2 % of GB scores that holds the site, as
:func:`growthzones.rank_sites` counts it, drawn within the window), the site (a point,
or the user's polygon), the nearest named features (numbered; the page lists them), a
5 km scale bar and north. The window is 24 km square around a point, or a polygon's
extent plus 3 km (at least 24 km).
"""

from __future__ import annotations

import base64

import numpy as np

from ..maps._text import _html_text
from ..maps.raster import (
    EXCLUDED_RGBA,
    _mask_index,
    _mask_palette,
    _png_indexed,
    _scale_index,
    _viridis_palette,
)

#: Half the side of the window around a point (m).
HALF_M = 12_000.0
#: Margin around a polygon's extent (m).
MARGIN_M = 3_000.0
#: Quantile of the national score whose connected land is the site's high-score region.
REGION_QUANTILE = 0.98
#: Named features drawn, nearest first.
MAX_FEATURES = 8
#: The SVG's side in CSS pixels.
SIZE_PX = 330
_SYMBOLS = {"substation": "square", "power station": "triangle", "works": "diamond",
            "airfield": "cross"}


def window(grid, x: float, y: float, geom=None) -> tuple[float, float, float, float]:
    """The inset's square window (xmin, ymin, xmax, ymax) in BNG metres, on cell edges."""
    half = HALF_M
    if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
        x0, y0, x1, y1 = geom.bounds
        x, y = (x0 + x1) / 2, (y0 + y1) / 2
        half = max(half, max(x1 - x0, y1 - y0) / 2 + MARGIN_M)
    r = grid.resolution
    cx, cy = np.floor(x / r) * r + r / 2, np.floor(y / r) * r + r / 2
    n = np.ceil(half / r)
    return cx - (n + 0.5) * r, cy - (n + 0.5) * r, cx + (n + 0.5) * r, cy + (n + 0.5) * r


def window_values(result, bounds, vector) -> np.ndarray:
    """A land vector of ``result``'s store on the window's cells (NaN off land)."""
    grid, land = result.grid, result.store.land_index
    x0, y0, x1, y1 = bounds
    r = grid.resolution
    gx0, _, _, gy1 = grid.bounds
    c0, c1 = round((x0 - gx0) / r), round((x1 - gx0) / r)
    r0, r1 = round((gy1 - y1) / r), round((gy1 - y0) / r)
    rows, cols = np.mgrid[r0:r1, c0:c1]
    inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    flat = np.where(inside, rows * grid.width + cols, -1)
    pos = np.clip(np.searchsorted(land, flat), 0, max(land.size - 1, 0))
    on = inside & (land.size > 0) & (land[pos] == flat)
    vec = np.asarray(vector, dtype=float)
    return np.where(on, vec[pos], np.nan)


def _png_uri(index, palette) -> str:
    return "data:image/png;base64," + base64.b64encode(_png_indexed(index, palette)).decode()


def _path(geom, to_px) -> str:
    """SVG path data of a (multi)polygon or line in BNG, through ``to_px``."""
    parts = []
    for g in getattr(geom, "geoms", [geom]):
        rings = ([g.exterior, *g.interiors] if g.geom_type == "Polygon" else [g])
        for ring in rings:
            xy = to_px(np.asarray(ring.coords)[:, :2])
            if len(xy) < 2:
                continue
            parts.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in xy)
                         + ("Z" if g.geom_type == "Polygon" else ""))
    return "".join(parts)


def region_outline(result, bounds, x: float, y: float, geom=None):
    """The high-score region holding the site (a shapely geometry in BNG), or None."""
    import shapely
    from affine import Affine
    from rasterio.features import shapes
    from scipy import ndimage

    ranked = np.asarray(result.ranked, dtype=float)
    scored = ranked[~np.isnan(ranked)]
    if scored.size == 0:
        return None
    thr = np.quantile(scored, REGION_QUANTILE)
    win = window_values(result, bounds, ranked)
    with np.errstate(invalid="ignore"):
        high = win >= thr
    labels, _ = ndimage.label(high)
    r = result.grid.resolution
    x0, _, _, y1 = bounds
    if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
        cells = np.argwhere(labels > 0)
        centres = shapely.points(x0 + (cells[:, 1] + 0.5) * r, y1 - (cells[:, 0] + 0.5) * r)
        hit = shapely.intersects(geom, centres) if len(cells) else np.zeros(0, bool)
        keep = np.unique(labels[cells[hit, 0], cells[hit, 1]]) if hit.any() else []
    else:
        row, col = int((y1 - y) // r), int((x - x0) // r)
        keep = [labels[row, col]] if 0 <= row < labels.shape[0] and \
            0 <= col < labels.shape[1] and labels[row, col] > 0 else []
    if not len(keep):
        return None
    mask = np.isin(labels, keep).astype(np.uint8)
    polys = [shapely.geometry.shape(g) for g, v in
             shapes(mask, mask=mask.astype(bool), transform=Affine(r, 0.0, x0, 0.0, -r, y1)) if v]
    return shapely.union_all(polys) if polys else None


def _councils(store, bounds, to_px) -> str:
    import shapely

    from ..grid import to_bng

    base = getattr(store, "basemap", None)
    if not base:
        return ""
    x0, y0, x1, y1 = bounds
    lon0, lat0 = _lonlat_box(bounds)
    out = []
    for f in base.get("features", []):
        g = f.get("geometry")
        if not g:
            continue
        geom = shapely.geometry.shape(g)
        bx0, by0, bx1, by1 = geom.bounds
        if bx1 < lon0[0] or bx0 > lon0[1] or by1 < lat0[0] or by0 > lat0[1]:
            continue
        geom = shapely.transform(geom, lambda c: to_bng(c[:, 0], c[:, 1]))
        geom = shapely.clip_by_rect(geom.boundary, x0, y0, x1, y1)
        if not geom.is_empty:
            out.append(_path(geom, to_px))
    return (f'<path d="{"".join(out)}" fill="none" stroke="#444" stroke-width="0.8" '
            f'stroke-dasharray="3,2" opacity="0.8"/>') if out else ""


def _lonlat_box(bounds):
    from ..grid import to_wgs84

    x0, y0, x1, y1 = bounds
    ll = to_wgs84([x0, x1, x0, x1], [y0, y0, y1, y1])
    pad = 0.05
    return ((ll[:, 0].min() - pad, ll[:, 0].max() + pad),
            (ll[:, 1].min() - pad, ll[:, 1].max() + pad))


def nearby_features(store, bounds, x: float, y: float) -> list[dict]:
    """Named features inside the window, nearest first (at most :data:`MAX_FEATURES`):
    ``n``, ``label``, ``group``, ``km``, ``easting``, ``northing``."""
    from ..context import _kind_of

    f = getattr(store, "features", None)
    if f is None or len(f) == 0 or not np.isfinite(x):
        return []
    x0, y0, x1, y1 = bounds
    e, n = f["easting"].to_numpy(float), f["northing"].to_numpy(float)
    inside = (e >= x0) & (e <= x1) & (n >= y0) & (n <= y1)
    d = np.hypot(e - x, n - y)
    idx = np.flatnonzero(inside)
    idx = idx[np.lexsort((idx, d[idx]))][:MAX_FEATURES]
    return [{"n": k + 1, "label": str(f["label"].iloc[i]),
             "group": _kind_of(f["kind"].iloc[i]) if "kind" in f else "",
             "km": round(float(d[i]) / 1000, 2), "easting": float(e[i]),
             "northing": float(n[i])} for k, i in enumerate(idx)]


def _symbol(group: str, px: float, py: float) -> str:
    s = 4.5
    kind = _SYMBOLS.get(group, "circle")
    style = 'fill="#fff" stroke="#000" stroke-width="1.2"'
    if kind == "square":
        return f'<rect x="{px - s:.1f}" y="{py - s:.1f}" width="{2 * s}" height="{2 * s}" {style}/>'
    if kind == "triangle":
        return (f'<path d="M{px:.1f},{py - s - 1:.1f}L{px + s + 1:.1f},{py + s:.1f}'
                f'L{px - s - 1:.1f},{py + s:.1f}Z" {style}/>')
    if kind == "diamond":
        return (f'<path d="M{px:.1f},{py - s - 1:.1f}L{px + s + 1:.1f},{py:.1f}'
                f'L{px:.1f},{py + s + 1:.1f}L{px - s - 1:.1f},{py:.1f}Z" {style}/>')
    if kind == "cross":
        return (f'<path d="M{px - s:.1f},{py:.1f}H{px + s:.1f}M{px:.1f},{py - s:.1f}'
                f'V{py + s:.1f}" stroke="#000" stroke-width="2.2"/>')
    return f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{s}" {style}/>'


def inset_svg(result, x: float, y: float, geom=None) -> tuple[str, list[dict], bool]:
    """The inset map of a site at BNG (x, y) (``geom``: its point or polygon).

    Returns
    -------
    svg, features, region
        The ``<svg>`` element as text, the named features drawn (numbered as labelled;
        see :func:`nearby_features`) and whether a high-score region was drawn.
    """
    bounds = window(result.grid, x, y, geom)
    x0, _, x1, y1 = bounds
    span = x1 - x0
    k = SIZE_PX / span

    def to_px(xy):
        xy = np.asarray(xy, float)
        return np.column_stack([(xy[:, 0] - x0) * k, (y1 - xy[:, 1]) * k])

    score = window_values(result, bounds, result.ranked)
    excluded = window_values(result, bounds, np.asarray(result.excluded, float))
    land = np.isfinite(window_values(result, bounds, np.zeros(result.store.land_index.size)))
    land_pal = np.array([(0, 0, 0, 0), (214, 214, 206, 255)], dtype=np.uint8)
    img = (f'<image x="0" y="0" width="{SIZE_PX}" height="{SIZE_PX}" '
           f'preserveAspectRatio="none" style="image-rendering:pixelated" href="{{}}"/>')
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="inset" width="{SIZE_PX}" '
             f'height="{SIZE_PX}" viewBox="0 0 {SIZE_PX} {SIZE_PX}">',
             f'<rect width="{SIZE_PX}" height="{SIZE_PX}" fill="#dbe9f4"/>',
             img.format(_png_uri(land.astype(np.uint8), land_pal)),
             img.format(_png_uri(_scale_index(score), _viridis_palette())),
             img.format(_png_uri(_mask_index(excluded), _mask_palette())),
             _councils(result.store, bounds, to_px)]
    region = region_outline(result, bounds, x, y, geom)
    if region is not None and not region.is_empty:
        d = _path(region, to_px)
        parts.append(f'<path d="{d}" fill="none" stroke="#fff" stroke-width="3.2"/>'
                     f'<path d="{d}" fill="none" stroke="#e6007e" stroke-width="1.4" '
                     f'stroke-dasharray="4,2"/>')
    if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
        d = _path(geom, to_px)
        parts.append(f'<path d="{d}" fill="#ffffff" fill-opacity="0.25" stroke="#000" '
                     f'stroke-width="2"/>')
    px, py = to_px([[x, y]])[0]
    parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="7" fill="#fff" stroke="#000" '
                 f'stroke-width="2.2"/><circle cx="{px:.1f}" cy="{py:.1f}" r="2.2" '
                 f'fill="#000"/>')
    feats = nearby_features(result.store, bounds, x, y)
    for f in feats:
        fx, fy = to_px([[f["easting"], f["northing"]]])[0]
        parts.append(_symbol(f["group"], fx, fy))
        parts.append(f'<text x="{fx + 6:.1f}" y="{fy - 5:.1f}" class="flabel">{f["n"]}</text>')
    bar = 5000 * k  # 5 km scale bar
    parts.append(f'<rect x="8" y="{SIZE_PX - 22}" width="{bar + 8:.1f}" height="16" '
                 f'fill="#fff" opacity="0.8"/>'
                 f'<path d="M12,{SIZE_PX - 10}h{bar:.1f}" stroke="#000" stroke-width="2.5"/>'
                 f'<text x="{14 + bar:.1f}" y="{SIZE_PX - 9}" class="slabel" '
                 f'text-anchor="end">5 km</text>'
                 f'<text x="{SIZE_PX - 14}" y="18" class="slabel" text-anchor="middle">N'
                 f'</text><path d="M{SIZE_PX - 14},22v14" stroke="#000" stroke-width="1.5"/>')
    parts.append(f'<title>{_html_text("inset map, British National Grid")}</title></svg>')
    return "".join(parts), feats, region is not None


#: Legend colours (CSS) for the page.
LEGEND = {"excluded": "rgb({},{},{})".format(*EXCLUDED_RGBA[:3])}
