"""The map page: :func:`render_map` builds a :class:`folium.Map`, :func:`save_map` writes it.

The map is a :class:`folium.Map` (it shows inline in a notebook) with

- the council boundaries from the layer store as its base layer (no tile server needed),
- the suitability score and, one at a time, any criterion of the store as a surface,
  each coloured over a stretch fitted to its values and with a legend in its own units
  (:mod:`~growthzones.maps._legend`), the excluded land and each exclusion layer, all
  reprojected to Web Mercator here,
- the ranked sites as numbered circles with a popup that explains each score, their
  high-score regions, place labels, motorways and substations when zoomed in
  (:mod:`~growthzones.maps._reference`),
- click-to-identify on every land cell (:mod:`~growthzones.maps._identify`),
- a layer list grouped by theme and folded (:mod:`~growthzones.maps._panel`), the
  legend of the visible surface, a title and the licence line of every data source.

Page size at GB 1 km, default scenario (21 criteria), top 20, measured December 2026:
9.1 MB (the overlays 3.8 MB: PNGs 0.7 MB, the 42 lazily drawn criterion surfaces 2.8 MB
and their shared index 0.3 MB; the identify data 3.8 MB; the council outlines 0.65 MB;
places, regions, motorways, substations and Leaflet ~0.9 MB); the site data never take
the page over :data:`PAGE_MAX_BYTES`. The overlays are made in a thread pool
(:mod:`~growthzones.maps._overlays`).

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

import difflib
import functools
import json
import os
from pathlib import Path

import numpy as np

from .. import _validate
from .._errors import InputError
from ..io import write_text
from ._elements import _EXTERNAL_TAG, _elements, _make_offline
from ._identify import identify_payload, identify_script
from ._legend import (
    legend_html,
    page_css,
    sources_html,
    stretch,
    surface_legend,
)
from ._overlays import _PLACEHOLDER_URL, _lazy_script, _overlay_url, _Overlays  # noqa: F401
from ._overview import map_view
from ._panel import PANEL_CSS, panel_script
from ._prepare import _prepared, prepare_map  # noqa: F401 (prepare_map: public here too)
from ._reference import (
    DETAIL_ZOOM,
    PLACE_ZOOM,
    REFERENCE_CSS,
    _slim_basemap,
    places_data,
    places_script,
    regions_geojson,
    store_geojson,
    vector_script,
)
from ._sites import _popup_html, _site_cells
from ._surfaces import _direction, _lazy_codes, _other_network_years, _score_index
from ._text import _fmt, _fmt_rank, _html_text, _js_json
from .raster import _lazy_base, _mask_index, _mask_palette, _MercatorWarp, _viridis_palette

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
#: The page's size limit: the site data get at most what the overlays, the identify data
#: and the vectors leave of it (so many sites never push the page over 10 MB).
PAGE_MAX_BYTES = 9_800_000
#: The fewest bytes of identify data per land cell and plane (score, exclusions, then raw
#: and contribution per criterion) a map drawn from overviews is taken to need: half what
#: GB gives at 1 km and at 800 m from 100 m (0.375, measured). Where even that leaves no
#: room, the data are left out without being made (7.6 s of a GB 100 m run).
IDENTIFY_MIN_BYTES = 0.19
#: What the page holds beside its data: Leaflet, scripts, styles (~0.3 MB, measured).
_PAGE_FIXED_BYTES = 400_000
#: Style of a site on the canvas layer (Leaflet option names).
SITE_DOT_STYLE = {"radius": 5, "color": "#1a1a1a", "weight": 1, "fillColor": "#ffffff",
                  "fillOpacity": 0.9, "bubblingMouseEvents": False}

_SITE_COLUMNS = ("rank", "name", "local_authority", "score", "lat", "lon")


# --------------------------------------------------------------------------- public


def render_map(result, sites, *, offline: bool = True, criteria: list[str] | None = None,
               title: str | None = None, identify: bool = True, network_years=None):
    """Build an interactive map of a scoring result and its ranked sites.

    Parameters
    ----------
    result
        A scoring result (:class:`~growthzones.scoring.ScoreResult`): ``surface(name)``
        gives a float array on ``result.grid`` (EPSG:27700) for ``"score"`` (0 = worst,
        1 = best, NaN off land or excluded) and ``"excluded"`` (1 where excluded);
        ``weights`` maps criterion name to weight; ``scenario.name`` names the scenario
        (the title uses it as given); ``store`` gives ``meta`` (name -> dict with
        ``title``, ``unit``, ``kind``, ``layer``, ``direction``), ``basemap`` (GeoJSON
        of local authorities in WGS84), ``read_vector(name)`` (raw values on land
        cells), ``land_index``, ``unflatten``, ``layer(name)`` (raw raster of an
        exclusion layer), ``attributions()`` and, when present, ``places`` and the
        ``motorways``/``substations`` GeoJSON files in its folder. ``ranked``,
        ``score``, ``contributions``, ``excluded_by`` and ``reasons`` feed the
        identify popup and the site regions (a stand-in without them gets neither).
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
        Criteria to offer as surfaces (hidden at first), each coloured by its raw values;
        default every criterion in the store, those outside the scenario marked so.
    title
        Title shown on the map; default ``"AI Growth Zones — <scenario name>"``.
    identify
        Embed the per-cell data of the click-to-identify popup (~3 MB at GB 1 km). Left
        out when more than :data:`SITE_MARKER_LIMIT` sites would otherwise not fit the
        page budget (a user's many sites matter more there), and when the page would be
        over :data:`PAGE_MAX_BYTES` with it (GB 100 m drawn at 800 m); the legend says so.
    network_years
        :func:`growthzones.timeline.network_year_results` of ``result``, if already
        computed: the surfaces of the other network years are taken from it instead of
        scored again (at 100 m each is a whole score).

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
    # a grid finer than the map's pixels is drawn from the store's overviews
    result = map_view(result)
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
    store = result.store

    # One reprojection index for every overlay; each overlay (its values, a gather, a
    # PNG or the codes the page draws from) is made in a worker thread: reading a layer,
    # numpy and zlib release the GIL. The workers start first, so that importing folium
    # and building the page's other parts here overlap them.
    # What prepare_map made ahead for this store, if anything (the same functions).
    ahead = _prepared(store) if result.grid == getattr(store, "grid", None) else {}
    warp = ahead["warp"].result() if "warp" in ahead else _MercatorWarp(result.grid)
    payload = None
    identify = identify and hasattr(result, "contributions")
    # drawn from overviews, the data may not fit: made once the rest is known to leave room
    later = identify and getattr(result, "full", None) is not None
    with _Overlays(warp) as overlays:
        if identify and not later:  # the longest job: first
            payload = (_prepared(result).get("identify")
                       or overlays.submit(identify_payload, result))
        lazy_base = (ahead.get("lazy_base") or overlays.submit(
            _lazy_base, warp, store.land_index, _viridis_palette(), gather=True)
            if criteria else None)
        # in a worker, while this thread builds the page around it
        regions_job = overlays.submit(regions_geojson, result, sites)
        overlays.add(functools.partial(_score_index, result), _viridis_palette(),
                     name="Suitability score", show=True, opacity=SCORE_OPACITY)
        for name in criteria:  # hidden until chosen: drawn by the page on first show
            overlays.add_lazy(functools.partial(_lazy_codes, store, name,
                                                _direction(result, name)),
                              name=name, show=False, opacity=SCORE_OPACITY,
                              ready=ahead.get(("codes", name, _direction(result, name))))
        overlays.add(lambda: _mask_index(result.surface("excluded")), _mask_palette(),
                     name="Excluded land", show=False, opacity=EXCLUDED_OPACITY)
        exclusions = [n for n, info in meta.items() if info.get("kind") == "exclusion"]
        for name in exclusions:
            overlays.add_mask(store, name, opacity=EXCLUDED_OPACITY,
                              ready=ahead.get(("mask", name)))
        allowed = getattr(result, "allowed_by", {})
        if allowed:  # cells inside an exclusion let through by the scenario's exception
            overlays.add(lambda: _mask_index(store.unflatten(
                np.logical_or.reduce(list(allowed.values())).astype(np.float32))),
                ALLOWED_PALETTE, name="allowed", show=False, opacity=EXCLUDED_OPACITY)
        # The same weights on each other network year's grid (issue #16), on the score's
        # own stretch so that the years compare colour for colour.
        years = _other_network_years(result, network_years)
        lims = stretch(result.surface("score"))
        for label, other in years:
            overlays.add(functools.partial(_score_index, other, lims=lims),
                         _viridis_palette(), name=label, show=False, opacity=SCORE_OPACITY)

        import folium

        el = _elements()
        m = folium.Map(location=[54.5, -3.0], zoom_start=6,
                       tiles=None if offline else "OpenStreetMap",
                       zoom_control="bottomright", control_scale=True,
                       zoom_snap=0.25)  # a fractional zoom lets GB fill the window
        m.get_root().title = _html_text(title)
        m.add_child(el.Css(page_css(sea_colour=SEA_COLOUR, score_opacity=SCORE_OPACITY)
                          + PANEL_CSS + REFERENCE_CSS))
        # Own panes: the basemap below every raster (overlayPane is 400), the reference
        # vectors, regions and sites above them; pointer events pass through the panes
        # to interactive paths only.
        for pane, z in (("gz-basemap", 350), ("gz-reference", 420), ("gz-regions", 430),
                        ("gz-places", 440), ("gz-sites", 450)):
            folium.map.CustomPane(pane, z_index=z).add_to(m)
        panel: list[dict] = []

        def entry(group, label, kind, layer=None, *, theme="", on=False, legend="",
                  min_zoom=None):
            panel.append({"group": group, "theme": theme, "label": label, "kind": kind,
                          "layer": layer, "on": on, "legend": legend, "minZoom": min_zoom})

        basemap = getattr(store, "basemap", None)
        if basemap and basemap.get("features"):
            base = _basemap_layer(basemap, _ready(ahead.get("basemap"))).add_to(m)
            entry("Base map", "Council boundaries", "base", base.get_name(), on=offline)
        if not offline:  # the tiles asked for are the base map; the boundaries a click away
            for child in list(m._children.values()):
                if isinstance(child, folium.TileLayer):
                    entry("Base map", "OpenStreetMap", "base", child.get_name(), on=True)
        regions = regions_job.result()
        # each (data, its JSON) when made ahead, else (data, None)
        places, places_json = _ready(ahead.get("places")) or (
            places_data(getattr(store, "places", None)), None)
        vectors = {file: _ready(ahead.get(("vector", file))) or (store_geojson(store, file), None)
                   for file in ("motorways", "substations")}
    made = overlays.layers()
    legends = []
    if lazy_base is not None:  # before the overlays that use it
        lazy_script = _lazy_script(lazy_base.result())
        m.add_child(el.Script(lambda _: lazy_script, name="GzLazyOverlays"))
    score_layer, score_lims = made[0]
    m.add_child(score_layer)
    entry("Surface", "Suitability score", "surface", score_layer.get_name(), on=True,
          legend="score")
    entry("Surface", "None (base map only)", "surface", None, legend="")
    legends.append(surface_legend("score", "Suitability score", score_lims, shown=True,
                                  note=" not excluded"))
    if getattr(result, "map_note", ""):  # drawn from overviews: say at what resolution
        legends.append(f'<div class="gz-note gz-resolution">{_html_text(result.map_note)}'
                       f'</div>')
    for k, name in enumerate(criteria, start=1):
        layer, lims = made[k]
        m.add_child(layer)
        info = meta[name]
        theme = _THEMES.get(info.get("layer"), "Other")
        label = str(info.get("title", name)) + ("" if name in weights else " (not in scenario)")
        key = f"c{k}"
        entry("Surface", label, "surface", layer.get_name(), theme=theme, legend=key)
        legends.append(surface_legend(key, str(info.get("title", name)), lims,
                                      unit=str(info.get("unit", "") or ""),
                                      reverse=_direction(result, name) == "min"))
    rest = made[len(criteria) + 1:len(made) - len(years)]
    for (layer, _), (label, _) in zip(made[len(made) - len(years):], years):
        m.add_child(layer)
        entry("Surface", f"Suitability score on the {label} grid", "surface",
              layer.get_name(), theme="Network years (same weights)", legend="score")
    allowed = getattr(result, "allowed_by", {})
    labels = ["Excluded land (this scenario)"] + [
        f"Exclusion: {meta[n].get('title', n)}" for n in exclusions] + (
        [f"Allowed inside an exclusion: previously developed land ({', '.join(allowed)})"]
        if allowed else [])
    for (layer, _), label in zip(rest, labels):
        m.add_child(layer)
        entry("Exclusions", label, "check", layer.get_name())

    drawn = None
    ident = payload.result() if payload is not None else None
    used = (_PAGE_FIXED_BYTES + sum(len(layer.url) + len(layer.lazy or "")
                                    for layer, _ in made)
            + (len(lazy_base.result()["gather"]) if lazy_base is not None else 0)
            + (len(ident["data"]) + len(ident["land"]) if ident else 0))
    many = sites is not None and len(sites) > SITE_MARKER_LIMIT
    if many:  # only a budget for many sites needs it (~40 ms of encoding at 1 km)
        used += len(json.dumps([basemap, regions, places, [v[0] for v in vectors.values()]],
                               separators=(",", ":")))
    room = PAGE_MAX_BYTES - used - (SITE_DATA_MAX_BYTES if many else 0)
    left_out = later and room < (IDENTIFY_MIN_BYTES * len(result.store.land_index)
                                 * (2 + 2 * len(weights)))
    if later and not left_out:
        ident = identify_payload(result)
        used += len(ident["data"]) + len(ident["land"])
    if left_out or (ident and PAGE_MAX_BYTES - used < (SITE_DATA_MAX_BYTES if many else 0)):
        # Many sites of the user's own: their table matters more than click-to-identify
        # on the national surface, whose ~3 MB would leave room for few of them. Or a
        # grid drawn from overviews whose identify data alone take the page over (GB
        # 100 m at 800 m: 14 MB with them): the page's budget comes first.
        used -= len(ident["data"]) + len(ident["land"]) if ident else 0
        ident = None
        legends.append('<div class="gz-note gz-no-identify">Click-to-identify is left out '
                       'to keep this page under 10 MB; ranking.csv, results.gpkg and '
                       'score.tif hold the values.</div>')
    if regions:
        var = _var("gz_regions")
        m.add_child(el.Script(lambda _, var=var: vector_script(
            var, regions, kind="regions", pane="gz-regions")))
        entry("Sites and reference", "High-score regions of the sites", "check", var, on=True)
    if sites is not None:
        group, drawn = _sites_layer(sites, weights, meta,
                                    max_bytes=min(SITE_DATA_MAX_BYTES, PAGE_MAX_BYTES - used))
        group.add_to(m)
        entry("Sites and reference", _site_group_label(drawn), "check", group.get_name(),
              on=True)
    if places:
        var = _var("gz_places")
        m.add_child(el.Script(lambda _, var=var: places_script(var, places,
                                                              encoded=places_json)))
        entry("Sites and reference", "Place names", "check", var, on=True,
              min_zoom=PLACE_ZOOM)
    for file, label, kind in (("motorways", "Motorways", "lines"),
                              ("substations", "Transmission substations (400/275 kV)",
                               "points")):
        data, text = vectors[file]
        if data:
            var = _var(f"gz_{file}")
            m.add_child(el.Script(lambda _, var=var, data=data, kind=kind, text=text:
                                  vector_script(var, data, kind=kind, pane="gz-reference",
                                                encoded=text)))
            entry("Sites and reference", label, "check", var, on=True,
                  min_zoom=DETAIL_ZOOM)
    if ident is not None:
        m.add_child(el.Script(lambda name: identify_script(name, ident)))

    # Bottom corners stack upwards: the sources line first, the legend above it.
    sources = (getattr(store, "manifest", None) or {}).get("sources", {}).values()
    m.add_child(el.Control(sources_html(store.attributions(),
                                         noncommercial=any(s.get("commercial") is False
                                                           for s in sources)),
                           "bottomleft", "gz-sources"))
    m.add_child(el.Control(legend_html(scenario_name, legends, drawn,
                                       marker_limit=SITE_MARKER_LIMIT,
                                       excluded_opacity=EXCLUDED_OPACITY,
                                       regions=bool(regions), identify=ident is not None),
                           "bottomleft", "gz-legend"))
    m.add_child(el.Control(f"<h1>{_html_text(title)}</h1>", "topleft", "gz-title"))
    m.add_child(el.Script(lambda name: panel_script(name, panel), name="GzLayerPanel"))
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


def _ready(job):
    """The result of a part made ahead (a future), or None when there is none."""
    return None if job is None else job.result()


def _var(prefix: str) -> str:
    """A fresh JS variable name."""
    import uuid

    return f"{prefix}_{uuid.uuid4().hex}"


def _site_group_label(drawn: tuple[int, int]) -> str:
    shown, total = drawn
    return "Top sites" if shown == total else f"Top sites (best {shown:,} of {total:,})"


# --------------------------------------------------------------------------- vectors


def _basemap_layer(basemap: dict, ahead: tuple | None = None):
    """Local-authority outlines as light land; a tooltip names the authority.
    ``ahead``: :func:`_basemap_data` of ``basemap`` made ahead."""
    slim, text = ahead if ahead is not None else (_slim_basemap(basemap), None)
    return _elements().Basemap(slim, name="Local authorities", style=LAND_STYLE,
                               pane="gz-basemap", tooltip_property="la_name", data_json=text)


def _sites_layer(sites, weights: dict, meta: dict, *, max_bytes: int = SITE_DATA_MAX_BYTES):
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
            # a click on a site opens its popup, not the identify popup of the cell below
            marker.options["bubblingMouseEvents"] = False
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
        if size + len(text) + 1 > max_bytes:
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
