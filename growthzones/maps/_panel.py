"""The map's layer list: grouped by theme, collapsed, and driving the legend.

folium's ``LayerControl`` is one flat list of every layer, always open at 1280x720 it
covered 40 % of the screen and hid popups; its plugin ``GroupedLayerControl`` loads its
script from a CDN, which an offline page cannot. This is a small Leaflet control of our
own (no library), built from a JSON description:

- **Base map** (radio): the council boundaries, drawn as light land under everything, so
  switching every overlay off shows land as land and sea as sea; an online map adds
  OpenStreetMap here. A base layer is never an overlay.
- **Surface** (radio, one at a time): the suitability score, "None", and every criterion
  in a folded group per theme. One surface at a time means the legend can show the
  scale of exactly the surface on screen (each in its own units).
- **Exclusions** and **Sites and reference** (check boxes): masks, the sites, their
  high-score regions, places, motorways and substations. A layer with ``minZoom`` is
  drawn only from that zoom on (its label says "zoom in" until then).

The panel starts collapsed to one button; it folds itself when a popup opens or the map
is clicked, so it never covers a popup. Every label is set with ``textContent`` from
JSON made by :func:`~growthzones.maps._text._js_json`: user text is never markup.
"""

from __future__ import annotations

import re

from ._text import _js_json

_JS_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")

#: Panel kinds: "base" and "surface" are radio groups, "check" is a check box.
KINDS = ("base", "surface", "check")


def panel_script(map_var: str, entries: list[dict], *, legend_class: str = "gz-legend"
                 ) -> str:
    """The script adding the layer panel to the map ``map_var``.

    Parameters
    ----------
    map_var
        The map's JS variable.
    entries
        In display order, each ``{"group": str, "theme": str ("" for none), "label":
        str, "kind": "base" | "surface" | "check", "layer": JS variable name or None
        (the "None" surface), "on": bool, "legend": id of the legend block to show (or
        ""), "minZoom": int or None}``. Groups and themes appear in the order first seen.
    legend_class
        Class of the legend control whose ``[data-surface]`` blocks follow the surface.
    """
    layers, spec = [], []
    for e in entries:
        if e["kind"] not in KINDS:
            raise ValueError(f"unknown panel kind {e['kind']!r}")
        var = e.get("layer")
        for name in (var, map_var):
            if name is not None and not _JS_NAME.match(name):
                raise ValueError(f"not a JS variable name: {name!r}")
        layers.append(var or "null")
        spec.append({k: e.get(k) for k in ("group", "theme", "label", "kind", "on",
                                           "legend", "minZoom")})
    # the user's text (in the spec) goes in last: no marker is looked for inside it
    return (_PANEL_JS.replace("__MAP__", map_var)
            .replace("__LAYERS__", "[" + ", ".join(layers) + "]")
            .replace("__LEGEND__", _js_json("." + legend_class))
            .replace("__SPEC__", _js_json(spec, compact=True)))


_PANEL_JS = """
(function () {
    var map = __MAP__, layers = __LAYERS__, spec = __SPEC__;
    var legendSelector = __LEGEND__;
    var control = L.control({position: "topright"});
    var inputs = [];
    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (text !== undefined) { e.textContent = text; }  // text, never markup
        return e;
    }
    function showLegend() {
        var active = "";
        spec.forEach(function (s, i) {
            if (s.kind === "surface" && inputs[i].checked) { active = s.legend || ""; }
        });
        document.querySelectorAll(legendSelector + " [data-surface]").forEach(function (b) {
            b.style.display = b.getAttribute("data-surface") === active ? "" : "none";
        });
    }
    function sync() {
        var zoom = map.getZoom();
        spec.forEach(function (s, i) {
            var layer = layers[i];
            var zoomOk = !s.minZoom || zoom >= s.minZoom;
            inputs[i].parentNode.classList.toggle("gz-layers-dim", !zoomOk);
            if (!layer) { return; }
            var want = inputs[i].checked && zoomOk;
            if (want && !map.hasLayer(layer)) { map.addLayer(layer); }
            if (!want && map.hasLayer(layer)) { map.removeLayer(layer); }
        });
        showLegend();
    }
    control.onAdd = function () {
        var div = el("div", "leaflet-control gz-layers");
        var button = el("button", "gz-layers-toggle", "Layers");
        button.type = "button";
        button.setAttribute("aria-expanded", "false");
        var body = el("div", "gz-layers-body");
        body.hidden = true;
        div.appendChild(button);
        div.appendChild(body);
        var groups = {}, themes = {};
        spec.forEach(function (s, i) {
            var box = groups[s.group];
            if (!box) {
                box = groups[s.group] = el("section", "gz-layers-group");
                box.appendChild(el("h3", "", s.group));
                body.appendChild(box);
            }
            var parent = box;
            if (s.theme) {
                var key = s.group + "\\u0000" + s.theme;
                if (!themes[key]) {
                    themes[key] = el("details", "gz-layers-theme");
                    themes[key].appendChild(el("summary", "", s.theme));
                    box.appendChild(themes[key]);
                }
                parent = themes[key];
            }
            var label = el("label", "gz-layers-item");
            var input = el("input");
            input.type = s.kind === "check" ? "checkbox" : "radio";
            if (s.kind !== "check") { input.name = "gz-" + s.kind; }
            input.checked = !!s.on;
            input.addEventListener("change", sync);
            inputs[i] = input;
            label.appendChild(input);
            label.appendChild(el("span", "gz-layers-label", s.label));
            if (s.minZoom) { label.appendChild(el("span", "gz-layers-zoom", " (zoom in)")); }
            parent.appendChild(label);
        });
        function setOpen(open) {
            body.hidden = !open;
            button.setAttribute("aria-expanded", open ? "true" : "false");
            div.classList.toggle("gz-layers-open", open);
        }
        button.addEventListener("click", function () { setOpen(body.hidden); });
        map.on("popupopen", function () { setOpen(false); });
        map.on("click", function () { setOpen(false); });
        map.on("zoomend", sync);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        control.setOpen = setOpen;
        return div;
    };
    control.addTo(map);
    control.sync = sync;
    sync();
    window.gzLayers = control;  // for tests and embedding: gzLayers.setOpen(true)
})();
"""

PANEL_CSS = """
    .gz-layers { background: rgba(255, 255, 255, 0.95); border-radius: 4px;
        box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font: 12px/1.35 system-ui, sans-serif;
        color: #222; }
    .gz-layers-toggle { border: 0; background: transparent; padding: 6px 10px;
        font: 600 12px/1 system-ui, sans-serif; cursor: pointer; }
    .gz-layers-toggle::after { content: " \\25BE"; }
    .gz-layers-open .gz-layers-toggle::after { content: " \\25B4"; }
    .gz-layers-body { width: 250px; max-height: calc(100vh - 140px); overflow-y: auto;
        padding: 0 10px 8px 10px; }
    .gz-layers-group h3 { margin: 6px 0 2px 0; font: 600 12px/1.3 system-ui, sans-serif; }
    .gz-layers-theme summary { cursor: pointer; color: #333; margin: 1px 0; }
    .gz-layers-theme .gz-layers-item { padding-left: 14px; }
    .gz-layers-item { display: block; font-size: 11px; margin: 1px 0; cursor: pointer; }
    .gz-layers-item input { margin: 0 4px 0 0; vertical-align: -2px; }
    .gz-layers-zoom { display: none; color: #888; }
    .gz-layers-dim .gz-layers-zoom { display: inline; }
    .gz-layers-dim .gz-layers-label { color: #888; }
"""
