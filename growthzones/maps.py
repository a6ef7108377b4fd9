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

User text is never template text
--------------------------------
branca renders a page in two passes: each element's Jinja macro runs, and its output is
wrapped in ``branca.element.Element(text)``, whose constructor *compiles that output as a
new template*. Any ``{{ ... }}``, ``{% ... %}`` or ``{# ... #}`` that reached a macro's
output from the data (a site called ``{{ lipsum.__globals__.os.system('id') }}``) was
therefore run on the second pass. Escaping the strings for Jinja would be a second,
fragile encoding next to HTML and JSON, so the fix is structural, in two parts:

1. Every element of this module (legend, title, licences, popups, the council basemap,
   the large-site layer, the inlined Leaflet) builds its text in Python and hands it to
   the page as a :class:`_Verbatim` element, whose ``render`` returns the text as it is:
   it is never compiled. (This also saves the seconds branca spent compiling megabytes
   of inlined PNGs as templates.)
2. The few data strings that still pass through folium's own elements (layer names in
   folium's ``LayerControl``, the page ``<title>``) go through :func:`_html_text`, which
   leaves no ``{``, ``}``, ``%`` or ``#`` in them, so there is nothing for Jinja to parse.

There is one encoder per context and every string uses it: :func:`_js_json` for data
placed in a ``<script>`` (JSON with ``< > & ' { } % #`` as ``\\uXXXX`` escapes, so a
string can neither end the script nor start template syntax), :func:`_html_text` for
HTML (HTML-escaped, with ``{ } % #`` as numeric entities; Leaflet sets layer-control
labels and popups as ``innerHTML``, where entities show as the original characters).
The large-site layer builds its popups and labels in the browser with ``textContent``,
never ``innerHTML``, so user text there is never markup either.

Many sites
----------
Up to :data:`SITE_MARKER_LIMIT` sites (the usual top 20) are numbered SVG circles with
a permanent rank label and a popup bound in advance, about 3 kB of page each. Beyond
that (a user's file of 100,000 candidate plots made a 57 MB page) the sites are one
compact JSON array drawn as circle markers on a single shared ``L.canvas()``; the rank
and name show on hover and the popup table is built from the array only when a site
is clicked. Only the best :data:`MAX_DRAWN_SITES` are drawn, and fewer if their data
would exceed :data:`SITE_DATA_MAX_BYTES`, so the page stays under 10 MB however many
sites there are; the legend and the layer name then say how many of how many sites
are drawn, and that the full ranking table lists them all.
"""

from __future__ import annotations

import base64
import difflib
import functools
import json
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

from . import _validate
from ._errors import BrowserError, InputError
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
#: Most sites drawn as numbered SVG circles with bound popups; more are drawn on a canvas.
SITE_MARKER_LIMIT = 100
#: Most sites drawn at all (the best by rank); the legend says how many are left out.
MAX_DRAWN_SITES = 5000
#: Most bytes of site data in the page (long names or notes lower the drawn count).
SITE_DATA_MAX_BYTES = 3_000_000
#: Style of a site on the canvas layer (Leaflet option names).
SITE_DOT_STYLE = {"radius": 5, "color": "#1a1a1a", "weight": 1, "fillColor": "#ffffff",
                  "fillOpacity": 0.9}

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


# --------------------------------------------------------------------------- encoders

#: Characters that could end a <script> (``<``, ``>``), start an HTML entity or a JS
#: string (``&``, ``'``), or start/end Jinja syntax (``{``, ``}``, ``%``, ``#``).
_JS_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&'%#"})  # never JSON syntax
_JS_BRACES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "{}"})  # JSON syntax too
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "'": "&#39;", "{": "&#123;", "}": "&#125;", "%": "&#37;",
                               "#": "&#35;"})
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _js_json(value, *, compact: bool = False) -> str:
    r"""``value`` as JSON to place in a ``<script>``: the one encoder for JS contexts.

    Inside every JSON string, ``< > & ' { } % #`` become ``\uXXXX`` escapes (and all
    non-ASCII too), so a string can neither close the script, nor be read as HTML, nor
    contain template syntax; outside strings there are only numbers, true/false/null
    and JSON punctuation.

    >>> _js_json(["{{ 7*7 }}", "</script>", 1.5])
    '["\\u007b\\u007b 7*7 \\u007d\\u007d", "\\u003c/script\\u003e", 1.5]'
    """
    # NaN and Infinity stay as JS reads them (json.dumps writes them bare).
    text = json.dumps(value, ensure_ascii=True,
                      separators=(",", ":") if compact else None).translate(_JS_ESCAPES)
    if "{" in text or "}" in text:  # braces inside strings only; objects keep theirs
        text = _JSON_STRING.sub(lambda m: m.group(0).translate(_JS_BRACES), text)
    return text


def _html_text(value) -> str:
    """``str(value)`` as HTML text: the one encoder for HTML contexts.

    HTML-escaped (quotes too), with ``{ } % #`` as numeric entities so that no template
    syntax is left; a browser shows the original characters.

    >>> _html_text("{{ 7*7 }} <b>")
    '&#123;&#123; 7*7 &#125;&#125; &lt;b&gt;'
    """
    return str(value).translate(_HTML_ESCAPES)


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
        no sites. Up to :data:`SITE_MARKER_LIMIT` sites are numbered circles; more are
        dots on a canvas (label on hover), and only the best :data:`MAX_DRAWN_SITES`
        (fewer if their text exceeds :data:`SITE_DATA_MAX_BYTES`) are drawn, which the
        legend says.
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

    Raises
    ------
    InputError
        Listing every unknown criterion, missing site column and site without lat/lon.

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
    m.get_root().title = _html_text(title)
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

    drawn = None
    if sites is not None:
        group, drawn = _sites_layer(sites, weights, meta)
        group.add_to(m)

    folium.LayerControl(collapsed=False).add_to(m)
    # Bottom corners stack upwards: the sources line first, the legend above it.
    m.add_child(el.Control(_sources_html(result.store.attributions()), "bottomleft",
                           "gz-sources"))
    m.add_child(el.Control(_legend_html(scenario_name, drawn), "bottomleft", "gz-legend"))
    m.add_child(el.Control(f"<h1>{_html_text(title)}</h1>", "topleft", "gz-title"))
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
        Window size in CSS pixels, whole numbers >= 1.
    wait_ms
        Virtual time in milliseconds that the page may run before the shot (>= 0).

    Returns
    -------
    pathlib.Path
        ``png_path``.

    Raises
    ------
    InputError
        The page is missing or a folder, ``png_path`` is a folder, or a size is not a
        whole number >= 1.
    BrowserError
        Chromium is not installed, fails, times out or writes no PNG.
    """
    width = _validate.positive_int(width, "screenshot width", example="width=1400")
    height = _validate.positive_int(height, "screenshot height", example="height=1000")
    wait_ms = _validate.whole_number(wait_ms, "screenshot wait_ms", min=0,
                                     example="wait_ms=4000")
    html_path = Path(html_path).resolve()
    if html_path.is_dir():
        raise InputError(f"the page to screenshot, {html_path}, is a folder; give the "
                         f"HTML file in it, e.g. {html_path / 'map.html'}")
    if not html_path.is_file():
        raise InputError(f"no HTML page to screenshot at {html_path}; write it first "
                         "with save_map(m, path) or `growthzones run`")
    if Path(png_path).is_dir():
        raise InputError(f"the screenshot path {png_path} is a folder; give a .png file, "
                         f"e.g. {Path(png_path) / 'map.png'}")
    # Chromium names the file itself (it wants a .png suffix), so shoot into a
    # scratch folder and then move the finished image into place atomically.
    with tempfile.TemporaryDirectory(prefix="gz-shot-") as work:
        shot = Path(work) / "shot.png"
        _run_chromium([f"--window-size={width},{height}",
                       f"--virtual-time-budget={wait_ms}",
                       f"--screenshot={shot}", html_path.as_uri()],
                      timeout=wait_ms / 1000.0 + 60.0)
        if not shot.is_file() or shot.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            raise BrowserError(f"chromium wrote no PNG screenshot of {html_path}; open "
                               "the page in a browser to check that it loads")
        with atomic_path(png_path) as tmp:
            shutil.copyfile(shot, tmp)
    return Path(png_path)


# --------------------------------------------------------------------------- checks


def _check_inputs(criteria, meta, sites, weights) -> None:
    """Collect every problem with the criteria and the sites table, raise one InputError."""
    problems = _validate.Problems()
    for name in criteria:
        if name not in meta:
            hint = difflib.get_close_matches(name, list(meta), n=1)
            problems.add(f"unknown criterion {name!r}."
                         + (f" Did you mean {hint[0]!r}?" if hint else ""))
    if sites is not None and not hasattr(sites, "columns"):
        problems.add(f"sites is a {type(sites).__name__}; give the table from rank_sites "
                     "or read_sites (or None for no sites).")
    elif sites is not None:
        wanted = list(_SITE_COLUMNS)
        for name in weights:
            wanted += [f"{name}_raw", f"{name}_value", f"{name}_contrib"]
        missing = [c for c in wanted if c not in sites.columns]
        if missing:
            problems.add("sites lack column(s) " + ", ".join(missing)
                         + "; use the table from rank_sites or read_sites.")
        elif len(sites):
            lat, lon = sites["lat"].to_numpy(float), sites["lon"].to_numpy(float)
            bad = ~(np.isfinite(lat) & np.isfinite(lon))
            if bad.any():
                names = ", ".join(repr(str(n)) for n in sites["name"][bad][:5])
                problems.add(f"{int(bad.sum())} site(s) have no lat/lon: {names}.")

    def make(messages: list[str]) -> InputError:
        n = len(messages)
        return InputError(f"cannot render the map, {n} problem{'s' if n != 1 else ''}:\n"
                          + "\n".join(f"  - {m}" for m in messages))

    problems.raise_if_any(make)


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
            name=_html_text(name), show=show, opacity=opacity, interactive=False)


# --------------------------------------------------------------------------- vectors


def _basemap_layer(basemap: dict):
    """Local-authority outlines as light land; a tooltip names the authority."""
    # Only what the page needs, and a copy: the store's dict is not touched.
    slim = {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": f["geometry"],
                          "properties": {"la_name": str((f.get("properties") or {})
                                                        .get("la_name", ""))}}
                         for f in basemap["features"] if f.get("geometry")]}
    return _elements().Basemap(slim, name="Local authorities", style=LAND_STYLE,
                               pane="gz-basemap", tooltip_property="la_name")


def _sites_layer(sites, weights: dict, meta: dict):
    """A FeatureGroup of the sites and ``(drawn, total)``.

    Up to :data:`SITE_MARKER_LIMIT` sites: numbered SVG circles with bound popups, the
    best drawn last (on top). More: the best that fit :data:`MAX_DRAWN_SITES` and
    :data:`SITE_DATA_MAX_BYTES` as canvas dots from one JSON array (``_SiteCloud``).
    """
    import folium

    el = _elements()
    total = len(sites)
    ordered = sites.sort_values("rank", ascending=True, na_position="last", kind="stable")
    if total <= SITE_MARKER_LIMIT:
        group = folium.FeatureGroup(name=_html_text("Top sites"), show=True)
        for _, row in ordered.iloc[::-1].iterrows():
            marker = folium.CircleMarker([float(row["lat"]), float(row["lon"])],
                                         **SITE_STYLE)
            marker.options["pane"] = "gz-sites"  # folium's path_options drops a pane kwarg
            marker.add_child(el.Bind(label=_fmt_rank(row["rank"]),
                                     popup=_popup_html(row, weights, meta)))
            marker.add_to(group)
        return group, (total, total)
    rows, size = [], 0
    geometry = getattr(getattr(ordered, "geometry", None), "name", None)
    columns = [c for c in ordered.columns if c != geometry]
    # Plain dicts: iterrows over a wide GeoDataFrame costs ~1 ms a row.
    for row in ordered.head(MAX_DRAWN_SITES)[columns].to_dict("records"):
        text = _js_json(_site_cells(row, weights, meta), compact=True)
        if size + len(text) + 1 > SITE_DATA_MAX_BYTES:
            break
        rows.append(text)
        size += len(text) + 1
    crit = [[str(meta.get(n, {}).get("title", n)), _fmt(w, digits=3)]
            for n, w in weights.items()]
    data = ('{"criteria":' + _js_json(crit, compact=True) + ',"sites":['
            + ",".join(reversed(rows)) + "]}")
    drawn = len(rows)
    name = "Top sites" if drawn == total else f"Top sites (best {drawn:,} of {total:,})"
    group = folium.FeatureGroup(name=_html_text(name), show=True)
    group.add_child(el.SiteCloud(data))
    return group, (drawn, total)


def _popup_cells(row, weights: dict, meta: dict) -> tuple[list, list]:
    """The popup of one site (a Series or a dict of its columns) as plain text: ``[(label, text), ...]`` of the head table
    (a missing coverage or note is ``""``) and ``[[criterion, raw with unit, value,
    weight, contribution], ...]``. Both popup builders use this, then encode."""
    head = [("Rank", _fmt_rank(row["rank"])), ("Name", str(row["name"])),
            ("Local authority", str(row["local_authority"])),
            ("Score", _fmt(row["score"], digits=3, fixed=True)),
            ("Location", f"{float(row['lat']):.4f}, {float(row['lon']):.4f}"),
            ("Data coverage", f"{100 * float(row['coverage']):.0f}% of weight"
             if "coverage" in row and _finite(row["coverage"]) else ""),
            ("Notes", str(row["notes"]) if "notes" in row and _present(row["notes"])
             else "")]
    crit = []
    for name, weight in weights.items():
        info = meta.get(name, {})
        unit = str(info.get("unit", "") or "")
        raw = _fmt(row[f"{name}_raw"])
        if unit and raw != "no data":
            raw = f"{raw} {unit}"
        crit.append([str(info.get("title", name)), raw,
                     _fmt(row[f"{name}_value"], digits=2, fixed=True), _fmt(weight, digits=3),
                     _fmt(row[f"{name}_contrib"], digits=3, fixed=True)])
    return head, crit


def _site_cells(row, weights: dict, meta: dict) -> list:
    """One site of the canvas layer: lat, lon, the head cells, then raw, value and
    contribution of each criterion; plain text, shown in the browser with textContent."""
    head, crit = _popup_cells(row, weights, meta)
    cells = [round(float(row["lat"]), 5), round(float(row["lon"]), 5)]
    cells += [text for _, text in head]
    for _, raw, value, _, contrib in crit:
        cells += [raw, value, contrib]
    return cells


def _popup_html(row, weights: dict, meta: dict) -> str:
    """The popup table of one site; every string is encoded with :func:`_html_text`."""
    e = _html_text
    head, crit = _popup_cells(row, weights, meta)
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in head if v)
    table = ""
    if crit:
        table = ('<table class="gz-crit"><tr><th>Criterion</th><th>Raw</th>'
                 "<th>Value</th><th>Weight</th><th>Contribution</th></tr>"
                 + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"
                           for cells in crit)
                 + "</table>")
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


def _legend_html(scenario_name: str, drawn: tuple[int, int] | None = None) -> str:
    """The legend; ``drawn`` is (sites drawn, sites given) and is said when they differ."""
    r, g, b, _ = EXCLUDED_RGBA
    site_line = "Site (number = rank)"
    drawn_line = ""
    if drawn is not None and drawn[1] > SITE_MARKER_LIMIT:
        site_line = "Site (hover for rank and name, click for details)"
    if drawn is not None and drawn[0] < drawn[1]:
        drawn_line = (f'<div class="gz-note gz-drawn">Drawing the best {drawn[0]:,} of '
                      f'{drawn[1]:,} sites; the full ranking table lists them all.</div>')
    return (
        '<div class="gz-legend-title">Suitability score (0 = worst, 1 = best)</div>'
        '<div class="gz-bar"></div>'  # its gradient is in the page CSS
        '<div class="gz-ticks"><span>0</span><span>0.5</span><span>1</span></div>'
        f'<div><span class="gz-swatch" style="background: rgba({r},{g},{b},'
        f'{EXCLUDED_OPACITY})"></span> Excluded land</div>'
        f'<div><span class="gz-swatch gz-swatch-site"></span> {site_line}</div>'
        f'{drawn_line}'
        '<div class="gz-note">Criterion layers use the same scale (1 = best).</div>'
        f'<div class="gz-scenario">Scenario: {_html_text(scenario_name)}</div>')


def _sources_html(attributions) -> str:
    # Every licence is in the page; folded so it does not cover the map. The summary
    # says at once when some source is non-commercial.
    items = "".join(f"<li>{_html_text(a)}</li>" for a in attributions)
    nc = any("NC" in str(a) for a in attributions)
    warn = " — includes non-commercial (CC BY-NC-SA) data" if nc else ""
    return (f"<details><summary><b>Data sources and licences ({len(attributions)})</b>"
            f"{warn}</summary><ul>{items}</ul></details>")


def _page_css() -> str:
    stops = ", ".join(f"{c} {100 * i / (len(VIRIDIS_ANCHORS) - 1):.1f}%"
                      for i, c in enumerate(VIRIDIS_ANCHORS))
    return f"""
    .folium-map.leaflet-container {{ background: {SEA_COLOUR}; }}
    .gz-title h1 {{ margin: 0; font: 600 17px/1.3 system-ui, sans-serif; }}
    .gz-title, .gz-legend, .gz-sources {{
        background: rgba(255, 255, 255, 0.92); padding: 6px 10px; border-radius: 4px;
        box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font: 12px/1.4 system-ui, sans-serif;
        color: #222; }}
    .gz-legend {{ width: 230px; }}
    .gz-legend-title {{ font-weight: 600; margin-bottom: 4px; }}
    .gz-bar {{ height: 12px; border: 1px solid #999; opacity: {SCORE_OPACITY};
        background: linear-gradient(to right, {stops}); }}
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
    """This module's folium element classes, defined on first use (folium imports slowly).

    None of them has a Jinja template: each builds its HTML/JS in Python from text
    encoded by :func:`_js_json` / :func:`_html_text` and adds it to the page as a
    :class:`_Verbatim` element, which is never compiled (see the module docstring).
    """
    from branca.element import Element, MacroElement
    from folium.map import Layer

    class _Verbatim(Element):
        """Text that goes into the page exactly as given; never parsed as a template."""

        def __init__(self, text: str):
            super().__init__()
            self._name = "GzVerbatim"
            self.text = text

        def render(self, **kwargs) -> str:
            return self.text

    def emit(element, **parts: str) -> None:
        """Add ``header=``/``html=``/``script=`` text of ``element`` to its figure,
        verbatim, then render its children (what ``MacroElement.render`` does, minus
        the template compilation of the output)."""
        figure = element.get_root()
        for part, text in parts.items():
            if text:
                getattr(figure, part).add_child(_Verbatim(text), name=element.get_name())
        for child in list(element._children.values()):
            child.render()

    class _Css(MacroElement):
        """A <style> block in the page head."""

        def __init__(self, css: str):
            super().__init__()
            self._name = "GzCss"
            self.css = css

        def render(self, **kwargs) -> None:
            emit(self, header=f"<style>{self.css}</style>")

    class _Control(MacroElement):
        """A Leaflet control showing fixed HTML whose data strings went through
        :func:`_html_text`."""

        def __init__(self, html_text: str, position: str, css_class: str):
            super().__init__()
            self._name = "GzControl"
            self.html = html_text
            self.position = position
            self.css_class = f"leaflet-control {css_class}"

        def render(self, **kwargs) -> None:
            emit(self, script=f"""
            (function () {{
                var control = L.control({{position: {_js_json(self.position)}}});
                control.onAdd = function () {{
                    var div = L.DomUtil.create("div", {_js_json(self.css_class)});
                    div.innerHTML = {_js_json(self.html)};
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    return div;
                }};
                control.addTo({self._parent.get_name()});
            }})();
            """)

    class _Bind(MacroElement):
        """A permanent rank label and a popup on the parent layer, via Leaflet's API.

        folium's Popup and Tooltip paste HTML into a JS template literal (and the
        popup needs jQuery); JSON strings need neither and cannot run ``${...}``.
        """

        def __init__(self, *, label: str, popup: str):
            super().__init__()
            self._name = "GzBind"
            self.label = label
            self.popup = popup

        def render(self, **kwargs) -> None:
            parent = self._parent.get_name()
            emit(self, script=f"""
            {parent}.bindTooltip({_js_json(self.label)},
                {{permanent: true, direction: "center", className: "gz-rank"}});
            {parent}.bindPopup({_js_json(self.popup)},
                {{maxWidth: 460}});
            """)

    class _Basemap(Layer):
        """GeoJSON polygons with one style, a pane and a tooltip built with textContent.

        Replaces ``folium.GeoJson``, whose output branca would compile as a template.
        """

        def __init__(self, data: dict, *, name: str, style: dict, pane: str,
                     tooltip_property: str):
            super().__init__(name=_html_text(name), overlay=True, control=True, show=True)
            self._name = "GeoJson"
            self.data = data
            self.style = style
            self.pane = pane
            self.tooltip_property = tooltip_property

        def render(self, **kwargs) -> None:
            var, parent = self.get_name(), self._parent.get_name()
            emit(self, script=f"""
            var {var} = L.geoJson({_js_json(self.data)}, Object.assign(
                {_js_json({"pane": self.pane, "smoothFactor": 1.0})}, {{
                style: function () {{ return {_js_json(self.style)}; }},
                onEachFeature: function (feature, layer) {{
                    // textContent, not innerHTML: a name is shown as text whatever it holds
                    var div = document.createElement("div");
                    div.textContent = feature.properties[{_js_json(self.tooltip_property)}];
                    layer.bindTooltip(div, {{sticky: true, className: "gz-la"}});
                }}
            }}));
            {var}.addTo({parent});
            """)

    class _SiteCloud(MacroElement):
        """Many sites as canvas circle markers from one JSON array, inside the parent
        feature group; label on hover and popup on click, built with textContent."""

        def __init__(self, data_json: str):
            super().__init__()
            self._name = "GzSiteCloud"
            self.data_json = data_json

        def render(self, **kwargs) -> None:
            emit(self, script=_SITE_CLOUD_JS.replace("__GROUP__", self._parent.get_name())
                 .replace("__STYLE__", _js_json(SITE_DOT_STYLE))
                 .replace("__DATA__", self.data_json))

    return SimpleNamespace(Verbatim=_Verbatim, Css=_Css, Control=_Control, Bind=_Bind,
                           Basemap=_Basemap, SiteCloud=_SiteCloud)


#: The large-site layer. ``__DATA__`` is ``{"criteria": [[title, weight], ...],
#: "sites": [[lat, lon, rank, name, authority, score, location, coverage, notes, raw,
#: value, contribution, raw, ...], ...]}``: lat/lon in degrees, every other cell a
#: preformatted string ("" = not shown), the worst site first so the best is on top.
_SITE_CLOUD_JS = """
(function () {
    var data = __DATA__, style = __STYLE__, group = __GROUP__;
    var renderer = L.canvas({pane: "gz-sites", padding: 0.2});
    var HEAD = ["Rank", "Name", "Local authority", "Score", "Location", "Data coverage",
                "Notes"];
    function row(table, cells, nHeader) {
        var tr = document.createElement("tr");
        cells.forEach(function (text, i) {
            var cell = document.createElement(i < nHeader ? "th" : "td");
            cell.textContent = text;  // text, never markup
            tr.appendChild(cell);
        });
        table.appendChild(tr);
    }
    function popup(s) {
        var div = document.createElement("div"), head = document.createElement("table");
        div.className = "gz-popup";
        head.className = "gz-head";
        HEAD.forEach(function (label, i) {
            if (s[2 + i] !== "") { row(head, [label, s[2 + i]], 1); }
        });
        div.appendChild(head);
        if (data.criteria.length) {
            var crit = document.createElement("table");
            crit.className = "gz-crit";
            row(crit, ["Criterion", "Raw", "Value", "Weight", "Contribution"], 5);
            data.criteria.forEach(function (c, k) {
                var j = 9 + 3 * k;
                row(crit, [c[0], s[j], s[j + 1], c[1], s[j + 2]], 0);
            });
            div.appendChild(crit);
        }
        return div;
    }
    data.sites.forEach(function (s) {
        var marker = L.circleMarker([s[0], s[1]],
                                    Object.assign({renderer: renderer}, style));
        marker.bindTooltip(function () {
            var div = document.createElement("div");
            div.textContent = s[2] + ". " + s[3];
            return div;
        }, {direction: "top"});
        marker.bindPopup(function () { return popup(s); }, {maxWidth: 460});
        group.addLayer(marker);
    });
})();
"""


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
    from branca.element import CssLink, JavascriptLink
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
        verbatim = _elements().Verbatim  # Leaflet's code is not a template either
        header.add_child(verbatim(f"<style>{css}</style>"), name="gz_leaflet_css")
        header.add_child(verbatim(f"<script>{js}</script>"), name="gz_leaflet_js")


# --------------------------------------------------------------------------- chromium


def _find_chromium() -> str:
    for candidate in (shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserError("screenshots need headless Chromium, which was not found on PATH; "
                       "install it with `apt-get install chromium` (Debian/Ubuntu).")


def _run_chromium(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throwaway profile and no network chatter."""
    exe = _find_chromium()
    with tempfile.TemporaryDirectory(prefix="gz-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"chromium ({exe}) did not finish within {timeout:.0f} s; "
                               "try a smaller wait_ms, or check that it runs: "
                               f"{exe} --headless --version") from None
        except OSError as err:
            raise BrowserError(f"chromium ({exe}) could not start: {err}; reinstall it "
                               "with `apt-get install chromium`") from None
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise BrowserError(f"chromium ({exe}) exited with code {proc.returncode}: {tail}; "
                           f"check that it runs: {exe} --headless --version")
    return proc
