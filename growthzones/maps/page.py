"""The map page: :func:`render_map` builds a :class:`folium.Map`, :func:`save_map` writes it.

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

Text reaches the page only through the encoders of :mod:`growthzones.maps._text` and
the template-free elements of :mod:`growthzones.maps._elements`; the rasters are
encoded by :mod:`growthzones.maps.raster`.
"""

from __future__ import annotations

import base64
import difflib
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Self

import numpy as np

from .. import _validate
from .._errors import InputError
from ..io import write_text
from ._elements import _EXTERNAL_TAG, _elements, _make_offline
from ._text import _finite, _fmt, _fmt_rank, _html_text, _js_json, _present
from .raster import (
    EXCLUDED_RGBA,
    VIRIDIS_ANCHORS,
    _mask_index,
    _mask_palette,
    _MercatorWarp,
    _png_indexed,
    _scale_index,
    _viridis_palette,
)

#: Great Britain in latitude/longitude, [[south, west], [north, east]]; the initial view.
GB_LATLON_BOUNDS = [[49.85, -8.3], [60.9, 1.8]]

#: Short labels of the layer themes, in display order.
_THEMES = {"grid_capacity": "Grid", "post_industrial": "Post-industrial", "land": "Land",
           "flood": "Flood proxy", "water": "Water", "connectivity": "Connectivity",
           "designations": "Designations"}

SEA_COLOUR = "#d4e4ef"
LAND_STYLE = {"color": "#9a9a9a", "weight": 0.5, "opacity": 0.8,
              "fillColor": "#f4f1ea", "fillOpacity": 1.0}
#: Opacity of the excluded land (:data:`~growthzones.maps.raster.EXCLUDED_RGBA`) over
#: the score.
EXCLUDED_OPACITY = 0.55
SCORE_OPACITY = 0.75
#: Transparent, then amber: cells inside an exclusion that the scenario's
#: previously-developed exception let through (not the excluded red).
ALLOWED_PALETTE = np.array([(0, 0, 0, 0), (230, 159, 0, 230)], dtype=np.uint8)
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

    # One reprojection index for every overlay; each overlay (its values, a gather, a
    # PNG) is made in a worker thread: reading a layer, numpy and zlib release the GIL.
    warp = _MercatorWarp(result.grid)
    store = result.store
    with _Overlays(warp) as overlays:
        overlays.add(lambda: _scale_index(result.surface("score")), _viridis_palette(),
                     name="Suitability score", show=True, opacity=SCORE_OPACITY)
        for name in criteria:
            theme = _THEMES.get(meta[name].get("layer"), "")
            label = f"{theme}: {meta[name].get('title', name)}" if theme else meta[name].get(
                "title", name)
            if name not in weights:
                label += " (not in scenario)"
            overlays.add(functools.partial(_criterion_index, result, name),
                         _viridis_palette(), name=label, show=False, opacity=SCORE_OPACITY)
        overlays.add(lambda: _mask_index(result.surface("excluded")), _mask_palette(),
                     name="Excluded land", show=False, opacity=EXCLUDED_OPACITY)
        allowed = getattr(result, "allowed_by", {})
        if allowed:  # cells inside an exclusion let through by the scenario's exception
            overlays.add(lambda: _mask_index(store.unflatten(
                np.logical_or.reduce(list(allowed.values())).astype(np.float32))),
                ALLOWED_PALETTE, name="Allowed inside an exclusion: previously developed "
                f"land ({', '.join(allowed)})", show=False, opacity=EXCLUDED_OPACITY)
        for name, info in meta.items():
            if info.get("kind") == "exclusion":
                overlays.add(lambda name=name: _mask_index(store.layer(name)),
                             _mask_palette(), name=f"Exclusion: {info.get('title', name)}",
                             show=False, opacity=EXCLUDED_OPACITY)
    for layer in overlays.layers():
        m.add_child(layer)

    drawn = None
    if sites is not None:
        group, drawn = _sites_layer(sites, weights, meta)
        group.add_to(m)

    folium.LayerControl(collapsed=False).add_to(m)
    # Bottom corners stack upwards: the sources line first, the legend above it.
    sources = (getattr(result.store, "manifest", None) or {}).get("sources", {}).values()
    m.add_child(el.Control(_sources_html(result.store.attributions(),
                                         noncommercial=any(s.get("commercial") is False
                                                           for s in sources)),
                           "bottomleft", "gz-sources"))
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
    from ..scoring import transformed

    info = result.store.meta[name]
    values = transformed(result.store, name, info["direction"],
                         info.get("default_transform", {"type": "linear"}))
    return result.store.unflatten(values)


def _criterion_index(result, name: str) -> np.ndarray:
    """``_scale_index(_criterion_surface(result, name))``, without the float surface for
    a criterion the scenario leaves out: its land-cell values are indexed, then placed on
    a grid of 255 (NaN), a quarter of the work at 1 km."""
    if name in result.weights:
        return _scale_index(result.surface(name))
    from ..scoring import transformed

    store = result.store
    info = store.meta[name]
    values = transformed(store, name, info["direction"],
                         info.get("default_transform", {"type": "linear"}))
    index = np.full(store.grid.height * store.grid.width, 255, dtype=np.uint8)
    index[store.land_index] = _scale_index(values)
    return index.reshape(store.grid.shape)


class _Overlays:
    """Image overlays of palette-index rasters on ``warp.grid``, made in a thread pool.

    ``add(make_index, palette, ...)`` hands one overlay to a worker, which calls
    ``make_index()`` for the raster (the palette's transparent entry is nodata), so no
    raster waits in the queue: at 100 m each is 90 MB. After the ``with`` block,
    ``layers()`` gives the overlay elements in the order added (and raises what a
    worker raised). Two workers: the machine this was tuned on has two cores, and each
    worker holds one layer in memory.
    """

    def __init__(self, warp: _MercatorWarp):
        self.warp = warp
        self._jobs: list = []

    def __enter__(self) -> Self:
        from concurrent.futures import ThreadPoolExecutor

        self.warp.gather  # noqa: B018 (built once here, not raced for by the workers)
        self._pool = ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1),
                                        thread_name_prefix="gz-overlay")
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=exc[0] is not None)

    def add(self, make_index: Callable[[], np.ndarray], palette: np.ndarray, *, name: str,
            show: bool, opacity: float) -> None:
        job = self._pool.submit(lambda: _overlay_url(self.warp, make_index(), palette))
        self._jobs.append((job, {"name": name, "show": show, "opacity": opacity}))

    def layers(self) -> list:
        overlay = _elements().ImageOverlay
        return [overlay(job.result(), self.warp.bounds, **kw) for job, kw in self._jobs]


def _overlay_url(warp: _MercatorWarp, index: np.ndarray, palette: np.ndarray) -> str:
    """A palette-index raster on ``warp.grid`` as a ``data:`` URL of a Mercator PNG."""
    nodata = int(np.flatnonzero(palette[:, 3] == 0)[0])
    png = _png_indexed(warp.warp(index, nodata), palette)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


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
    group.add_child(el.SiteCloud(data, style=SITE_DOT_STYLE))
    return group, (drawn, total)


def _popup_cells(row, weights: dict, meta: dict) -> tuple[list, list]:
    """The popup of one site (a Series or a dict of its columns) as plain text: ``[(label, text), ...]`` of the head table
    (a missing coverage or note is ``""``) and ``[[criterion, raw with unit, value,
    weight, contribution], ...]``. Both popup builders use this, then encode."""
    head = [("Rank", _fmt_rank(row["rank"])), ("Name", str(row["name"])),
            ("Local authority", str(row["local_authority"])),
            ("Score", _fmt(row["score"], digits=3, fixed=True) if _finite(row["score"])
             or "status" not in row or not _present(row["status"]) else str(row["status"])),
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


def _sources_html(attributions, *, noncommercial: bool) -> str:
    # Every licence is in the page; folded so it does not cover the map. The summary
    # says at once when some source is non-commercial (the manifest's flag, not a guess
    # from the licence text: "JNCC" is not "NC").
    items = "".join(f"<li>{_html_text(a)}</li>" for a in attributions)
    warn = " — includes non-commercial data" if noncommercial else ""
    return (f"<details><summary><b>Data sources and licences ({len(attributions)})</b>"
            f"{warn}</summary><ul>{items}</ul></details>")


def _page_css() -> str:
    stops = ", ".join(f"{c} {100 * i / (len(VIRIDIS_ANCHORS) - 1):.1f}%"
                      for i, c in enumerate(VIRIDIS_ANCHORS))
    return f"""
    .folium-map.leaflet-container {{ background: {SEA_COLOUR}; }}
    /* overlay cells are drawn as crisp squares, not smoothed */
    .leaflet-image-layer {{ image-rendering: -webkit-optimize-contrast;
        image-rendering: crisp-edges; image-rendering: pixelated;
        -ms-interpolation-mode: nearest-neighbor; }}
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
