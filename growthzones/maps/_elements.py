"""The folium elements of a map page, and the Leaflet inlined in an offline page.

None of these elements has a Jinja template: each builds its HTML/JS in Python from text
encoded by :func:`~growthzones.maps._text._js_json` /
:func:`~growthzones.maps._text._html_text` and adds it to the page as a ``_Verbatim``
element, which is never compiled (see :mod:`growthzones.maps._text` for why).
"""

from __future__ import annotations

import base64
import functools
import re
from types import SimpleNamespace

from ._text import _html_text, _js_json

#: Options of every popup: Leaflet pans the map so that a popup opens clear of the
#: controls (title and legend down the left, the layer button top right, zoom bottom
#: right) at 1280x720 and up; a popup taller than ``maxHeight`` (a site with many
#: criteria) scrolls inside itself rather than running off a laptop screen.
POPUP_OPTIONS = {"maxWidth": 460, "maxHeight": 520, "autoPanPaddingTopLeft": [270, 56],
                 "autoPanPaddingBottomRight": [56, 24]}

_LEAFLET_PACKAGE = "js_lib_leaflet"
_LEAFLET_DIR = ("static", "js_lib_leaflet")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_EXTERNAL_TAG = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//[^"'\s>]*""",
    re.IGNORECASE)


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
                {_js_json(POPUP_OPTIONS)});
            """)

    class _Basemap(Layer):
        """GeoJSON polygons with one style, a pane and a tooltip built with textContent.

        Replaces ``folium.GeoJson``, whose output branca would compile as a template.
        """

        def __init__(self, data: dict, *, name: str, style: dict, pane: str,
                     tooltip_property: str, data_json: str | None = None):
            super().__init__(name=_html_text(name), overlay=True, control=True, show=True)
            self._name = "GeoJson"
            self.data = data
            # ``_js_json(data)`` made ahead (see growthzones.maps._prepare), or None
            self.data_json = data_json
            self.style = style
            self.pane = pane
            self.tooltip_property = tooltip_property

        def render(self, **kwargs) -> None:
            var, parent = self.get_name(), self._parent.get_name()
            emit(self, script=f"""
            var {var} = L.geoJson({self.data_json or _js_json(self.data)}, Object.assign(
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

        def __init__(self, data_json: str, *, style: dict):
            super().__init__()
            self._name = "GzSiteCloud"
            self.data_json = data_json
            self.style = style

        def render(self, **kwargs) -> None:
            emit(self, script=_SITE_CLOUD_JS.replace("__GROUP__", self._parent.get_name())
                 .replace("__STYLE__", _js_json(self.style))
                 .replace("__POPUP__", _js_json(POPUP_OPTIONS))
                 .replace("__DATA__", self.data_json))

    class _ImageOverlay(Layer):
        """An image (a data URL) over ``bounds`` ``[[south, west], [north, east]]``.

        Replaces ``folium.raster_layers.ImageOverlay``, whose output (megabytes of
        base64 PNG) branca compiled as a template, ~25 ms per overlay. Leaflet sets the
        ``<img>`` source only when a layer is first added to the map, so the browser
        decodes a hidden overlay's PNG only when it is switched on. With ``lazy`` (the
        codes of :func:`~growthzones.maps.raster._land_codes`) the page draws the
        image itself on first show (``gzOverlays.lazy``) and ``url`` is a placeholder.
        """

        def __init__(self, url: str, bounds, *, name: str, show: bool, opacity: float,
                     lazy: str | None = None):
            super().__init__(name=_html_text(name), overlay=True, control=True, show=show)
            self._name = "ImageOverlay"
            self.url = url
            self.bounds = bounds
            self.options = {"opacity": float(opacity), "interactive": False}
            if lazy is not None and not _BASE64.fullmatch(lazy):
                raise ValueError("lazy overlay codes are not base64")
            self.lazy = lazy

        def render(self, **kwargs) -> None:
            var = self.get_name()
            # base64 needs no escaping (checked above); megabytes of it skip the encoder
            lazy = f'gzOverlays.lazy({var}, "{self.lazy}");' if self.lazy is not None else ""
            add = f"{var}.addTo({self._parent.get_name()});" if self.show else ""
            emit(self, script=f"""
            var {var} = L.imageOverlay({_js_json(self.url)}, {_js_json(self.bounds)},
                {_js_json(self.options)});
            {lazy}{add}
            """)

    class _Script(MacroElement):
        """A script built in Python by ``make(map_variable)`` (its data through
        :func:`_js_json`); the map's name is given, never substituted into the data."""

        def __init__(self, make, name: str = "GzScript"):
            super().__init__()
            self._name = name
            self.make = make

        def render(self, **kwargs) -> None:
            emit(self, script=self.make(self._parent.get_name()))

    return SimpleNamespace(Verbatim=_Verbatim, Css=_Css, Control=_Control, Bind=_Bind,
                           Basemap=_Basemap, SiteCloud=_SiteCloud,
                           ImageOverlay=_ImageOverlay, Script=_Script)


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
        marker.bindPopup(function () { return popup(s); }, __POPUP__);
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

