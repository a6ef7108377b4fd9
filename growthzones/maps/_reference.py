"""Reference layers of the map: place labels, motorways, substations and site regions.

Drawn from the layer store and the ranked sites, never fetched:

- **places**: the store's ``places.csv`` (GeoNames, CC BY 4.0), labelled by population
  for the zoom: none at the national view (the sites' numbers need the room), cities
  from zoom :data:`PLACE_ZOOM` on, then smaller places zoom by zoom, a label that would
  overlap a bigger place's left out; at
  most :data:`MAX_LABELS` labels in view at once (the most populous), redrawn on pan;
- **motorways** and **transmission substations**: the store's ``motorways.geojson``
  (OS Open Roads, OGL v3) and ``substations.geojson`` (the 400/275 kV sites behind
  ``dist_transmission_km``: NESO ETYS, NGED; their licences are in the store), drawn from
  zoom :data:`DETAIL_ZOOM` on; a store built before these files existed has no such
  layer, and the map simply leaves it out;
- **high-score regions** of the ranked sites: :func:`growthzones.ranking.site_regions`,
  the regions the GeoPackage holds, as outlines.

Names reach the page as JSON strings (:func:`~growthzones.maps._text._js_json`) and are
shown with ``textContent``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._text import _js_json

#: Zoom from which places are labelled: cities (100,000 people or more) from here, towns
#: of 20,000 from one level more, of 5,000 from two and every place from three.
PLACE_ZOOM = 7
#: Zoom from which motorways and substations are drawn (GB fills a laptop at ~5.5).
DETAIL_ZOOM = 8
#: Most site regions drawn (the best by rank; the GeoPackage has them all).
MAX_REGIONS = 100
#: Most place labels in view at once.
MAX_LABELS = 80
REGION_STYLE = {"color": "#e8590c", "weight": 2, "opacity": 0.95, "fill": True,
                "fillColor": "#e8590c", "fillOpacity": 0.08, "interactive": False}
MOTORWAY_STYLE = {"color": "#1c5fb8", "weight": 2.5, "opacity": 0.85, "interactive": False}
SUBSTATION_STYLE = {"radius": 4, "color": "#111", "weight": 1, "fillColor": "#ffd43b",
                    "fillOpacity": 1.0}


def places_data(places) -> list:
    """``[[lat, lon, population, name], ...]``, most populous first, from ``places.csv``."""
    if places is None or not len(places):
        return []
    df = places.sort_values("population", ascending=False, kind="stable")
    lat, lon = df["lat"].to_numpy(float), df["lon"].to_numpy(float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    pop = df["population"].fillna(0).to_numpy(float)[ok].astype(np.int64).tolist()
    return [list(row) for row in zip(np.round(lat[ok], 4).tolist(), np.round(lon[ok], 4).tolist(),
                                     pop, df["name"].astype(str)[ok].tolist())]


def store_geojson(store, name: str) -> dict | None:
    """``<store>/<name>.geojson`` when the store has it, else None."""
    path = getattr(store, "path", None)
    if path is None or not (Path(path) / f"{name}.geojson").is_file():
        return None
    with open(Path(path) / f"{name}.geojson", encoding="utf-8") as f:
        data = json.load(f)
    return data if data.get("features") else None


def regions_geojson(result, sites) -> dict | None:
    """The high-score regions of ranked sites as WGS84 GeoJSON (None for user sites)."""
    if sites is None or not len(sites) or "region_area_km2" not in sites.columns \
            or not hasattr(result, "ranked"):
        return None
    from ..ranking import site_regions

    best = sites.sort_values("rank", kind="stable").head(MAX_REGIONS)
    # an overview map (maps._overview) still outlines the regions at the full resolution
    regions = site_regions(getattr(result, "full", result), best).to_crs(4326)
    feats = []
    for rank, geom in zip(regions["rank"], regions.geometry):
        if geom is None or geom.is_empty:
            continue
        feats.append({"type": "Feature", "properties": {"rank": int(rank)},
                      "geometry": json.loads(_geojson_text(geom))})
    return {"type": "FeatureCollection", "features": feats} if feats else None


def _geojson_text(geom) -> str:
    import shapely

    return shapely.to_geojson(shapely.set_precision(geom, 1e-5))


def places_script(var: str, data: list, *, encoded: str | None = None) -> str:
    """The place labels ``var``; ``encoded``: ``_js_json(data, compact=True)`` made ahead."""
    text = encoded if encoded is not None else _js_json(data, compact=True)
    return (_PLACES_JS.replace("__VAR__", var).replace("__PLACE_ZOOM__", str(PLACE_ZOOM))
            .replace("__MAX__", str(MAX_LABELS))
            .replace("__DATA__", text))  # the names go in last


def vector_script(var: str, data: dict, *, kind: str, pane: str,
                  encoded: str | None = None) -> str:
    """A GeoJSON layer ``var`` (not added to the map: the layer panel adds it);
    ``encoded``: ``_js_json(data, compact=True)`` made ahead."""
    if kind == "points":
        opts = (f"{{pane: {_js_json(pane)}, pointToLayer: function (f, latlng) {{"
                f" var m = L.circleMarker(latlng, Object.assign({{pane: {_js_json(pane)},"
                f" bubblingMouseEvents: false}}, {_js_json(SUBSTATION_STYLE)}));"
                " var d = document.createElement('div');"
                " d.textContent = (f.properties || {}).name || '';"
                " m.bindTooltip(d, {direction: 'top'}); return m; }}")
    else:
        style = REGION_STYLE if kind == "regions" else MOTORWAY_STYLE
        opts = (f"Object.assign({{pane: {_js_json(pane)}}}, {_js_json(style)}, "
                f"{{style: function () {{ return {_js_json(style)}; }}}})")
    text = encoded if encoded is not None else _js_json(data, compact=True)
    return f"var {var} = L.geoJson({text}, {opts});\n"


_PLACES_JS = """
var __VAR__ = (function () {
    var places = __DATA__;
    var Labels = L.LayerGroup.extend({
        onAdd: function (map) {
            L.LayerGroup.prototype.onAdd.call(this, map);
            this._map2 = map;
            map.on("moveend", this.redraw, this);
            this.redraw();
        },
        onRemove: function (map) {
            map.off("moveend", this.redraw, this);
            L.LayerGroup.prototype.onRemove.call(this, map);
        },
        redraw: function () {
            var map = this._map2, bounds = map.getBounds().pad(0.05), zoom = map.getZoom();
            var z = zoom - __PLACE_ZOOM__;
            var minPop = z >= 3 ? 0 : z >= 2 ? 5000 : z >= 1 ? 20000 : 100000;
            this.clearLayers();
            // most populous first; a label that would overlap one already placed is
            // left out (its box estimated from the text length), so labels stay legible
            var shown = 0, boxes = [];
            for (var i = 0; i < places.length && shown < __MAX__; i++) {
                var p = places[i];
                if (p[2] < minPop) { break; }
                if (!bounds.contains([p[0], p[1]])) { continue; }
                var pt = map.latLngToContainerPoint([p[0], p[1]]);
                var box = [pt.x - 4, pt.y - 8, pt.x + 8 + 6.5 * p[3].length, pt.y + 8];
                if (boxes.some(function (b) {
                    return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3];
                })) { continue; }
                boxes.push(box);
                var div = document.createElement("div");
                div.textContent = p[3];  // text, never markup
                var m = L.circleMarker([p[0], p[1]], {radius: 2, weight: 0, fillColor: "#222",
                    fillOpacity: 0.9, pane: "gz-places", interactive: false});
                m.bindTooltip(div, {permanent: true, direction: "right", offset: [3, 0],
                                    className: "gz-place", pane: "gz-places"});
                this.addLayer(m);
                shown++;
            }
        }
    });
    return new Labels();
})();
"""

REFERENCE_CSS = """
    .leaflet-tooltip.gz-place { background: transparent; border: 0; box-shadow: none;
        padding: 0; font: 600 11px/1 system-ui, sans-serif; color: #1a1a1a;
        text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff; }
    .leaflet-tooltip.gz-place::before { display: none; }
"""


def _slim_basemap(basemap: dict) -> dict:
    """Only what the page needs, and a copy: the store's dict is not touched."""
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": f["geometry"],
                          "properties": {"la_name": str((f.get("properties") or {})
                                                        .get("la_name", ""))}}
                         for f in basemap["features"] if f.get("geometry")]}
