"""Interactive maps of a scoring result: :func:`render_map` builds, :func:`save_map` writes.

The map is a :class:`folium.Map` (it shows inline in a notebook) with

- a basemap of local-authority outlines from the layer store (no tile server needed),
- the suitability score and, hidden by default, one overlay per criterion, the
  excluded land and each raw exclusion layer, all reprojected to Web Mercator here,
- the ranked sites as numbered circles with a popup that explains each score,
- a layer control, a legend, a title and the licence line of every data source.

By default the map is self-contained: Leaflet's JavaScript and CSS are inlined from the
``django-js-lib-leaflet`` package and folium's other CDN assets (jQuery, Bootstrap,
Font Awesome, ...) are dropped, so the saved HTML opens on a machine with no internet.
Only features that need nothing but Leaflet are used: circle markers, popups bound
with Leaflet's own API (folium's ``Popup`` needs jQuery) and a legend in plain HTML
(branca's colormaps need d3).

Every string that comes from the user or the data (site names, local authorities,
notes, scenario name, title, layer titles, attributions) is HTML-escaped before it is
placed in the page, and it reaches JavaScript only through JSON with ``<``, ``>`` and
``&`` escaped, so a site called ``<script>`` stays text.
"""

from __future__ import annotations

import base64
import difflib
import functools
import html
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .io import atomic_path, write_text

#: Web Mercator, the CRS Leaflet draws in.
WEB_MERCATOR = "EPSG:3857"
#: Great Britain in latitude/longitude, [[south, west], [north, east]]; the initial view.
GB_LATLON_BOUNDS = [[49.85, -8.3], [60.9, 1.8]]

#: Short labels of the layer themes, in display order.
_THEMES = {"grid_capacity": "Grid", "post_industrial": "Post-industrial", "land": "Land",
           "water": "Water", "connectivity": "Connectivity"}

SEA_COLOUR = "#d4e4ef"
LAND_STYLE = {"color": "#9a9a9a", "weight": 0.5, "opacity": 0.8,
              "fillColor": "#f4f1ea", "fillOpacity": 1.0}
#: RGBA of excluded cells; drawn at ``EXCLUDED_OPACITY`` over the score.
EXCLUDED_RGBA = (178, 24, 43, 255)
EXCLUDED_OPACITY = 0.55
SCORE_OPACITY = 0.75
#: Longest side of an overlay image in pixels (GB at 1 km is ~1,900 in Web Mercator).
MAX_OVERLAY_PX = 2400
SITE_STYLE = {"radius": 10, "color": "#1a1a1a", "weight": 1.5,
              "fill_color": "#ffffff", "fill_opacity": 0.95}

#: Viridis sampled at 0, 1/8, ..., 1; enough anchors to rebuild it by linear
#: interpolation without matplotlib.
VIRIDIS_ANCHORS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c",
                   "#28ae80", "#5ec962", "#addc30", "#fde725")

_LEAFLET_PACKAGE = "js_lib_leaflet"
_LEAFLET_DIR = ("static", "js_lib_leaflet")
_EXTERNAL_TAG = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//[^"'\s>]*""",
    re.IGNORECASE)
_SITE_COLUMNS = ("rank", "name", "local_authority", "score", "lat", "lon")


# --------------------------------------------------------------------------- public


def render_map(result, sites, *, offline: bool = True, criteria: list[str] | None = None,
               title: str | None = None):
    """Build an interactive map of a scoring result and its ranked sites.

    Parameters
    ----------
    result
        A scoring result: ``result.surface(name)`` gives a float array on
        ``result.grid`` (EPSG:27700) for ``"score"`` (0 = worst, 1 = best, NaN off
        land or excluded), ``"excluded"`` (1 where excluded) and each criterion
        (transformed value in [0, 1]); ``result.weights`` maps criterion name to
        weight; ``result.scenario.name`` names the scenario; ``result.store``
        gives ``meta`` (name -> dict with ``title``, ``unit``, ``kind``),
        ``basemap`` (GeoJSON FeatureCollection of local authorities in WGS84),
        ``layer(name)`` (raw raster of an exclusion layer) and ``attributions()``.
    sites
        GeoDataFrame of ranked sites with columns ``rank``, ``name``,
        ``local_authority``, ``score``, ``lat``, ``lon`` (WGS84 degrees) and, for
        each criterion in ``result.weights``, ``{name}_raw`` (in the criterion's
        unit), ``{name}_value`` and ``{name}_contrib``; ``coverage`` (share of the
        weight with data, 0..1) and ``notes`` are shown when present. ``None`` draws
        no sites.
    offline
        Inline Leaflet and use no tile server, so the map works without internet.
        ``False`` keeps folium's CDN assets and adds an OpenStreetMap basemap.
    criteria
        Criteria to add as overlays (hidden at first); default every criterion in the
        store, those outside the scenario drawn with their default transform.
    title
        Title shown on the map; default ``"AI Growth Zones — <scenario name>"``.

    Returns
    -------
    folium.Map
        Not yet written anywhere; pass it to :func:`save_map`.

    Examples
    --------
    >>> m = render_map(result, sites)                # doctest: +SKIP
    >>> save_map(m, "outputs/map.html")              # doctest: +SKIP
    """
    import folium

    el = _elements()
    weights = dict(result.weights)
    meta = result.store.meta
    if criteria is None:
        # Every criterion in the store: the scenario's first, then the rest (unweighted),
        # each group in theme order so the layer control reads like the README.
        order = {t: i for i, t in enumerate(_THEMES)}
        criteria = sorted(
            (n for n, i in meta.items() if i.get("kind", "criterion") == "criterion"),
            key=lambda n: (n not in weights, order.get(meta[n].get("layer"), 99)))
    criteria = list(criteria)
    _check_inputs(criteria, meta, sites, weights)
    scenario_name = str(result.scenario.name)
    title = f"AI Growth Zones — {scenario_name}" if title is None else str(title)

    m = folium.Map(location=[54.5, -3.0], zoom_start=6,
                   tiles=None if offline else "OpenStreetMap",
                   zoom_control="bottomright", control_scale=True,
                   zoom_snap=0.25)  # a fractional zoom lets GB fill the window
    m.get_root().title = html.escape(title)
    m.add_child(el.Css(_page_css()))
    # Own panes: the basemap below every raster (overlayPane is 400), the sites
    # above them; pointer events pass through the panes to interactive paths only.
    folium.map.CustomPane("gz-basemap", z_index=350).add_to(m)
    folium.map.CustomPane("gz-sites", z_index=450).add_to(m)

    basemap = getattr(result.store, "basemap", None)
    if basemap and basemap.get("features"):
        _basemap_layer(basemap).add_to(m)

    warp = _MercatorWarp(result.grid)
    warp.overlay(_scale_index(result.surface("score")), _viridis_palette(),
                 name="Suitability score", show=True, opacity=SCORE_OPACITY).add_to(m)
    for name in criteria:
        theme = _THEMES.get(meta[name].get("layer"), "")
        label = f"{theme}: {meta[name].get('title', name)}" if theme else meta[name].get(
            "title", name)
        if name not in weights:
            label += " (not in scenario)"
        warp.overlay(_scale_index(_criterion_surface(result, name)), _viridis_palette(),
                     name=label, show=False, opacity=SCORE_OPACITY).add_to(m)
    warp.overlay(_mask_index(result.surface("excluded")), _mask_palette(),
                 name="Excluded land", show=False, opacity=EXCLUDED_OPACITY).add_to(m)
    for name, info in meta.items():
        if info.get("kind") == "exclusion":
            warp.overlay(_mask_index(result.store.layer(name)), _mask_palette(),
                         name=f"Exclusion: {info.get('title', name)}", show=False,
                         opacity=EXCLUDED_OPACITY).add_to(m)

    if sites is not None:
        _sites_layer(sites, weights, meta).add_to(m)

    folium.LayerControl(collapsed=False).add_to(m)
    # Bottom corners stack upwards: the sources line first, the legend above it.
    m.add_child(el.Control(_sources_html(result.store.attributions()), "bottomleft",
                           "gz-sources"))
    m.add_child(el.Control(_legend_html(scenario_name), "bottomleft", "gz-legend"))
    m.add_child(el.Control(f"<h1>{html.escape(title)}</h1>", "topleft", "gz-title"))
    m.fit_bounds(GB_LATLON_BOUNDS)
    if offline:
        _make_offline(m)
    return m


def map_html(m, *, offline: bool = True) -> str:
    """The complete HTML page of a map, as :func:`save_map` writes it.

    Parameters
    ----------
    m : folium.Map
        A map, usually from :func:`render_map`.
    offline
        Make the page self-contained: inline Leaflet, drop folium's CDN links. This
        changes ``m`` in place (idempotent). Raises ``ValueError`` if the map holds
        something that needs the internet (a tile layer, a folium plugin with its
        own scripts, a folium ``Popup`` or ``Icon``); save those with ``offline=False``.

    Returns
    -------
    str
    """
    if offline:
        _make_offline(m)
    page = m.get_root().render()
    if offline:
        # A last guard: an element we did not anticipate may still link a CDN.
        leftovers = sorted(set(_EXTERNAL_TAG.findall(page)))
        if leftovers:
            raise ValueError("the offline map still loads external assets: "
                             + "; ".join(leftovers) + ". Save it with offline=False.")
    return page


def save_map(m, path: str | os.PathLike, *, offline: bool = True) -> Path:
    """Write a map to an HTML file, atomically.

    The page is rendered completely before anything is written, and it replaces
    ``path`` in one step, so an error leaves any earlier file untouched.

    Parameters
    ----------
    m : folium.Map
        A map, usually from :func:`render_map`.
    path
        The ``.html`` file to write; its folder is created if needed.
    offline
        Self-contained page (see :func:`map_html`).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    page = map_html(m, offline=offline)
    return write_text(path, page)


def screenshot(html_path: str | os.PathLike, png_path: str | os.PathLike, *,
               width: int = 1400, height: int = 1000, wait_ms: int = 4000) -> Path:
    """Take a PNG screenshot of an HTML map with headless Chromium.

    Parameters
    ----------
    html_path
        The page to open, e.g. written by :func:`save_map`.
    png_path
        The PNG to write, atomically.
    width, height
        Window size in CSS pixels.
    wait_ms
        Virtual time in milliseconds that the page may run before the shot.

    Returns
    -------
    pathlib.Path
        ``png_path``.
    """
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(f"no HTML page to screenshot at {html_path}")
    # Chromium names the file itself (it wants a .png suffix), so shoot into a
    # scratch folder and then move the finished image into place atomically.
    with tempfile.TemporaryDirectory(prefix="gz-shot-") as work:
        shot = Path(work) / "shot.png"
        _run_chromium([f"--window-size={int(width)},{int(height)}",
                       f"--virtual-time-budget={int(wait_ms)}",
                       f"--screenshot={shot}", html_path.as_uri()],
                      timeout=wait_ms / 1000.0 + 60.0)
        if not shot.is_file() or shot.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            raise RuntimeError(f"chromium wrote no PNG screenshot of {html_path}")
        with atomic_path(png_path) as tmp:
            shutil.copyfile(shot, tmp)
    return Path(png_path)


# --------------------------------------------------------------------------- checks


def _check_inputs(criteria, meta, sites, weights) -> None:
    """Collect every problem with the criteria and the sites table, raise once."""
    problems = []
    for name in criteria:
        if name not in meta:
            hint = difflib.get_close_matches(name, list(meta), n=1)
            problems.append(f"unknown criterion {name!r}."
                            + (f" Did you mean {hint[0]!r}?" if hint else ""))
    if sites is not None:
        wanted = list(_SITE_COLUMNS)
        for name in weights:
            wanted += [f"{name}_raw", f"{name}_value", f"{name}_contrib"]
        missing = [c for c in wanted if c not in sites.columns]
        if missing:
            problems.append("sites lack column(s) " + ", ".join(missing)
                            + "; use the table from rank_sites or read_sites.")
        elif len(sites):
            lat, lon = sites["lat"].to_numpy(float), sites["lon"].to_numpy(float)
            bad = ~(np.isfinite(lat) & np.isfinite(lon))
            if bad.any():
                names = ", ".join(repr(str(n)) for n in sites["name"][bad][:5])
                problems.append(f"{int(bad.sum())} site(s) have no lat/lon: {names}.")
    if problems:
        n = len(problems)
        raise ValueError(f"cannot render the map, {n} problem{'s' if n != 1 else ''}:\n"
                         + "\n".join(f"  - {p}" for p in problems))


# --------------------------------------------------------------------------- rasters


def _criterion_surface(result, name: str) -> np.ndarray:
    """A criterion's [0, 1] value surface; one the scenario leaves out uses its default
    transform, so every layer of the store can be looked at on the map."""
    if name in result.weights:
        return result.surface(name)
    from .scoring import transformed

    info = result.store.meta[name]
    values = transformed(result.store, name, info["direction"],
                         info.get("default_transform", {"type": "linear"}))
    return result.store.unflatten(values)


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
    idx = np.full(v.shape, 255, dtype=np.uint8)
    ok = np.isfinite(v)
    idx[ok] = np.rint(np.clip(v[ok], 0.0, 1.0) * 254.0).astype(np.uint8)
    return idx


def _mask_index(values: np.ndarray) -> np.ndarray:
    """1 where a cell is excluded (value >= 0.5), 0 elsewhere, NaN included."""
    v = np.asarray(values, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        return (np.nan_to_num(v, nan=0.0) >= 0.5).astype(np.uint8)


def _png_indexed(index: np.ndarray, palette: np.ndarray) -> bytes:
    """Encode a 2-D uint8 palette-index array as an 8-bit indexed PNG.

    An indexed PNG is a quarter of the RGBA one folium would write, which matters
    with a dozen national overlays embedded in one page.
    """
    index = np.ascontiguousarray(index, dtype=np.uint8)
    h, w = index.shape
    raw = np.zeros((h, w + 1), dtype=np.uint8)  # filter byte 0 (none) per row
    raw[:, 1:] = index

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    palette = np.asarray(palette, dtype=np.uint8)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", palette[:, :3].tobytes())
            + chunk(b"tRNS", palette[:, 3].tobytes())
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
            + chunk(b"IEND", b""))


class _MercatorWarp:
    """Reprojects rasters on one grid to Web Mercator at about the same resolution."""

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

    def warp(self, index: np.ndarray, nodata: int) -> np.ndarray:
        """Nearest-neighbour reprojection of a palette-index array (keeps classes)."""
        from rasterio.warp import Resampling, reproject

        if index.shape != self.grid.shape:
            raise ValueError(f"raster shape {index.shape} does not match the grid "
                             f"{self.grid.shape}")
        out = np.full((self.height, self.width), nodata, dtype=np.uint8)
        reproject(source=index, destination=out, src_transform=self.grid.transform,
                  src_crs=self.grid.crs, src_nodata=nodata, dst_transform=self.transform,
                  dst_crs=WEB_MERCATOR, dst_nodata=nodata, resampling=Resampling.nearest)
        return out

    def overlay(self, index: np.ndarray, palette: np.ndarray, *, name: str, show: bool,
                opacity: float):
        """A folium ImageOverlay of a palette-index raster; the transparent entry is nodata."""
        import folium

        nodata = int(np.flatnonzero(palette[:, 3] == 0)[0])
        png = _png_indexed(self.warp(index, nodata), palette)
        url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        return folium.raster_layers.ImageOverlay(
            url, self.bounds, mercator_project=False, pixelated=True,
            name=html.escape(name), show=show, opacity=opacity, interactive=False)


# --------------------------------------------------------------------------- vectors


def _basemap_layer(basemap: dict):
    """Local-authority outlines as light land; a tooltip names the authority."""
    import folium
    from folium.utilities import JsCode

    # Only what the page needs, and a copy: folium must not touch the store's dict.
    slim = {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": f["geometry"],
                          "properties": {"la_name": str((f.get("properties") or {})
                                                        .get("la_name", ""))}}
                         for f in basemap["features"] if f.get("geometry")]}
    # textContent, not innerHTML: a name is shown as text whatever it contains.
    tooltip = JsCode("""function (feature, layer) {
        var div = document.createElement("div");
        div.textContent = feature.properties.la_name;
        layer.bindTooltip(div, {sticky: true, className: "gz-la"});
    }""")
    return folium.GeoJson(slim, name="Local authorities", overlay=True, control=True,
                          show=True, on_each_feature=tooltip, style=LAND_STYLE,
                          pane="gz-basemap", smooth_factor=1.0)


def _sites_layer(sites, weights: dict, meta: dict):
    """A FeatureGroup 'Top sites' of numbered circles, the best drawn last (on top)."""
    import folium

    group = folium.FeatureGroup(name="Top sites", show=True)
    for _, row in sites.sort_values("rank", ascending=False).iterrows():
        marker = folium.CircleMarker([float(row["lat"]), float(row["lon"])], **SITE_STYLE)
        marker.options["pane"] = "gz-sites"  # folium's path_options drops a pane kwarg
        marker.add_child(_elements().Bind(
            label=_fmt_rank(row["rank"]), popup=_popup_html(row, weights, meta)))
        marker.add_to(group)
    return group


def _popup_html(row, weights: dict, meta: dict) -> str:
    """The popup table of one site; every string from the data is escaped."""
    e = html.escape
    head = [("Rank", _fmt_rank(row["rank"])), ("Name", e(str(row["name"]))),
            ("Local authority", e(str(row["local_authority"]))),
            ("Score", _fmt(row["score"], digits=3, fixed=True)),
            ("Location", f"{float(row['lat']):.4f}, {float(row['lon']):.4f}")]
    if "coverage" in row.index and _finite(row["coverage"]):
        head.append(("Data coverage", f"{100 * float(row['coverage']):.0f}% of weight"))
    if "notes" in row.index and _present(row["notes"]):
        head.append(("Notes", e(str(row["notes"]))))
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in head)
    crit = []
    for name, weight in weights.items():
        info = meta.get(name, {})
        unit = info.get("unit", "")
        raw = _fmt(row[f"{name}_raw"])
        if unit and raw != "no data":
            raw = f"{raw} {e(str(unit))}"
        crit.append(f"<tr><td>{e(str(info.get('title', name)))}</td><td>{raw}</td>"
                    f"<td>{_fmt(row[f'{name}_value'], digits=2, fixed=True)}</td>"
                    f"<td>{_fmt(weight, digits=3)}</td>"
                    f"<td>{_fmt(row[f'{name}_contrib'], digits=3, fixed=True)}</td></tr>")
    table = ""
    if crit:
        table = ('<table class="gz-crit"><tr><th>Criterion</th><th>Raw</th>'
                 "<th>Value</th><th>Weight</th><th>Contribution</th></tr>"
                 + "".join(crit) + "</table>")
    return f'<div class="gz-popup"><table class="gz-head">{rows}</table>{table}</div>'


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _present(x) -> bool:
    if x is None:
        return False
    if isinstance(x, float) and math.isnan(x):
        return False
    return str(x).strip() != ""


def _fmt_rank(x) -> str:
    # An unranked (excluded) user site shows a cross instead of a number.
    try:
        return str(int(x)) if _finite(x) else "×"
    except (TypeError, ValueError):
        return "×"


def _fmt(x, *, digits: int = 3, fixed: bool = False) -> str:
    """A number for people: 'no data' for NaN, thousands separators for big values."""
    if not _finite(x):
        return "no data"
    x = float(x)
    if fixed:
        return f"{x:.{digits}f}"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


# --------------------------------------------------------------------------- HTML bits


def _legend_html(scenario_name: str) -> str:
    stops = ", ".join(f"{c} {100 * i / (len(VIRIDIS_ANCHORS) - 1):.1f}%"
                      for i, c in enumerate(VIRIDIS_ANCHORS))
    r, g, b, _ = EXCLUDED_RGBA
    return (
        '<div class="gz-legend-title">Suitability score (0 = worst, 1 = best)</div>'
        f'<div class="gz-bar" style="background: linear-gradient(to right, {stops});'
        f' opacity: {SCORE_OPACITY}"></div>'
        '<div class="gz-ticks"><span>0</span><span>0.5</span><span>1</span></div>'
        f'<div><span class="gz-swatch" style="background: rgba({r},{g},{b},'
        f'{EXCLUDED_OPACITY})"></span> Excluded land</div>'
        '<div><span class="gz-swatch gz-swatch-site"></span> Site (number = rank)</div>'
        '<div class="gz-note">Criterion layers use the same scale (1 = best).</div>'
        f'<div class="gz-scenario">Scenario: {html.escape(scenario_name)}</div>')


def _sources_html(attributions) -> str:
    # Every licence is in the page; folded so it does not cover the map. The summary
    # says at once when some source is non-commercial.
    items = "".join(f"<li>{html.escape(str(a))}</li>" for a in attributions)
    nc = any("NC" in str(a) for a in attributions)
    warn = " — includes non-commercial (CC BY-NC-SA) data" if nc else ""
    return (f"<details><summary><b>Data sources and licences ({len(attributions)})</b>"
            f"{warn}</summary><ul>{items}</ul></details>")


def _page_css() -> str:
    return f"""
    .folium-map.leaflet-container {{ background: {SEA_COLOUR}; }}
    .gz-title h1 {{ margin: 0; font: 600 17px/1.3 system-ui, sans-serif; }}
    .gz-title, .gz-legend, .gz-sources {{
        background: rgba(255, 255, 255, 0.92); padding: 6px 10px; border-radius: 4px;
        box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font: 12px/1.4 system-ui, sans-serif;
        color: #222; }}
    .gz-legend {{ width: 230px; }}
    .gz-legend-title {{ font-weight: 600; margin-bottom: 4px; }}
    .gz-bar {{ height: 12px; border: 1px solid #999; }}
    .gz-ticks {{ display: flex; justify-content: space-between; margin-bottom: 4px; }}
    .gz-swatch {{ display: inline-block; width: 14px; height: 12px; vertical-align: middle;
        border: 1px solid #999; }}
    .gz-swatch-site {{ border-radius: 50%; background: #fff; border: 1.5px solid #1a1a1a; }}
    .gz-note {{ color: #555; }}
    .gz-scenario {{ margin-top: 4px; font-weight: 600; }}
    /* no scrolling: every licence line must be visible, also in a screenshot */
    .gz-sources {{ max-width: 480px; font-size: 10px; line-height: 1.3; }}
    .gz-sources ul {{ margin: 2px 0 0 0; padding-left: 14px; }}
    .gz-sources summary {{ cursor: pointer; font-size: 11px; }}
    .gz-sources details[open] {{ max-height: 60vh; overflow-y: auto; }}
    .leaflet-control-layers-expanded {{ font: 11px/1.25 system-ui, sans-serif;
        max-height: 50vh; overflow-y: auto; }}
    .leaflet-tooltip.gz-rank {{ background: transparent; border: 0; box-shadow: none;
        padding: 0; font: 700 11px/1 system-ui, sans-serif; color: #111; }}
    .leaflet-tooltip.gz-rank::before {{ display: none; }}
    .gz-popup {{ font: 12px/1.35 system-ui, sans-serif; }}
    .gz-popup table {{ border-collapse: collapse; }}
    .gz-popup th {{ text-align: left; padding-right: 8px; }}
    .gz-popup .gz-crit {{ margin-top: 6px; }}
    .gz-popup .gz-crit td, .gz-popup .gz-crit th {{ padding: 1px 6px 1px 0;
        border-bottom: 1px solid #eee; }}
    .gz-popup .gz-crit td + td {{ text-align: right; }}
    """


@functools.cache
def _elements() -> SimpleNamespace:
    """This module's folium element classes, defined on first use (folium imports slowly)."""
    from branca.element import MacroElement
    from folium.template import Template

    class _Css(MacroElement):
        """A <style> block in the page head."""

        _template = Template("""
            {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        """)

        def __init__(self, css: str):
            super().__init__()
            self._name = "GzCss"
            self.css = css

    class _Control(MacroElement):
        """A Leaflet control showing fixed HTML that is already escaped."""

        _template = Template("""
            {% macro script(this, kwargs) %}
            (function () {
                var control = L.control({position: {{ this.position|tojson }}});
                control.onAdd = function () {
                    var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                    div.innerHTML = {{ this.html|tojson }};
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    return div;
                };
                control.addTo({{ this._parent.get_name() }});
            })();
            {% endmacro %}
        """)

        def __init__(self, html_text: str, position: str, css_class: str):
            super().__init__()
            self._name = "GzControl"
            self.html = html_text
            self.position = position
            self.css_class = f"leaflet-control {css_class}"

    class _Bind(MacroElement):
        """A permanent rank label and a popup on the parent layer, via Leaflet's API.

        folium's Popup and Tooltip paste HTML into a JS template literal (and the
        popup needs jQuery); JSON strings need neither and cannot run ``${...}``.
        """

        _template = Template("""
            {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.label|tojson }},
                {permanent: true, direction: "center", className: "gz-rank"});
            {{ this._parent.get_name() }}.bindPopup({{ this.popup|tojson }},
                {maxWidth: 460});
            {% endmacro %}
        """)

        def __init__(self, *, label: str, popup: str):
            super().__init__()
            self._name = "GzBind"
            self.label = label
            self.popup = popup

    return SimpleNamespace(Css=_Css, Control=_Control, Bind=_Bind)


# --------------------------------------------------------------------------- offline


def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from django-js-lib-leaflet, CSS images as data URIs."""
    from importlib import resources

    try:
        root = resources.files(_LEAFLET_PACKAGE).joinpath(*_LEAFLET_DIR)
        js = root.joinpath("leaflet.js").read_text(encoding="utf-8")
        css = root.joinpath("leaflet.css").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as err:
        raise ImportError("an offline map inlines Leaflet from the django-js-lib-leaflet "
                          "package: pip install django-js-lib-leaflet") from err
    # The source map is not shipped inline; a dangling reference makes devtools fetch it.
    js = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.MULTILINE)

    def data_uri(match: re.Match) -> str:
        name = match.group(1)
        data = root.joinpath("images", name).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\(\s*['\"]?images/([\w.-]+\.png)['\"]?\s*\)", data_uri, css)
    return js, css


def _walk(element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _make_offline(m) -> None:
    """Make ``m`` self-contained in place: inline Leaflet, drop every CDN link.

    Raises ``ValueError`` listing whatever on the map would still need the internet.
    """
    import folium
    from branca.element import CssLink, Element, JavascriptLink
    from folium.elements import JSCSSMixin

    problems = []
    for el in _walk(m):
        if isinstance(el, folium.TileLayer) and re.match(r"(https?:)?//", str(el.tiles)):
            problems.append(f"tile layer {el.tile_name!r} loads {el.tiles}")
        elif isinstance(el, (folium.Popup, folium.Icon)):
            problems.append(f"folium.{type(el).__name__} needs jQuery/CDN assets")
        elif isinstance(el, JSCSSMixin) and el is not m and (el.default_js or el.default_css):
            urls = [u for _, u in list(el.default_js) + list(el.default_css)]
            problems.append(f"{type(el).__name__} loads " + ", ".join(urls))
    if problems:
        raise ValueError("this map cannot be made self-contained:\n"
                         + "\n".join(f"  - {p}" for p in problems)
                         + "\nRender it with offline=True or save it with offline=False.")
    # folium's Map assets: Leaflet is inlined below; jQuery, Bootstrap and the
    # awesome-markers kit are only for features this module does not use.
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    for name, child in list(header._children.items()):
        if isinstance(child, (JavascriptLink, CssLink)):
            del header._children[name]  # left by an earlier online render
    if "gz_leaflet_js" not in header._children:
        js, css = _leaflet_assets()
        header.add_child(Element(f"<style>{css}</style>"), name="gz_leaflet_css")
        header.add_child(Element(f"<script>{js}</script>"), name="gz_leaflet_js")


# --------------------------------------------------------------------------- chromium


def _find_chromium() -> str:
    for candidate in (shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("screenshots need headless Chromium, which was not found on PATH; "
                       "install it with `apt-get install chromium` (Debian/Ubuntu).")


def _run_chromium(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throwaway profile and no network chatter."""
    exe = _find_chromium()
    with tempfile.TemporaryDirectory(prefix="gz-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"chromium exited with code {proc.returncode}:\n{tail}")
    return proc
