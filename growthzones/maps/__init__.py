"""Interactive maps of a scoring result: :func:`render_map` builds, :func:`save_map` writes.

The package is split by concern:

- :mod:`~growthzones.maps.page`: the folium page (``render_map``, ``map_html``,
  ``save_map``), its sites, popups, legend and styles;
- :mod:`~growthzones.maps.raster`: palettes, indexed-PNG encoding and the Web Mercator
  warp shared by every overlay;
- ``_text`` (the one encoder per context), ``_elements`` (template-free folium elements
  and the inlined Leaflet), ``_panel`` (the grouped, folded layer list), ``_legend``
  (stretches, legends, page CSS), ``_identify`` (click a cell), ``_reference`` (places,
  motorways, substations, site regions), ``_sites`` (site popups) and ``_browser``
  (headless Chromium, for :func:`screenshot`) are private.

The names below are re-exported so that ``from growthzones.maps import ...`` keeps
working; a test that replaces a function must patch the module that calls it (e.g.
``growthzones.maps._browser._run_chromium``).
"""

# ruff: noqa: F401  (this module only re-exports)
from __future__ import annotations

from .._errors import BrowserError, InputError
from ._browser import _find_chromium, _run_chromium, screenshot
from ._elements import _elements, _leaflet_assets, _make_offline
from ._text import _html_text, _js_json
from .page import (
    EXCLUDED_OPACITY,
    GB_LATLON_BOUNDS,
    LAND_STYLE,
    MAX_DRAWN_SITES,
    PAGE_MAX_BYTES,
    SCORE_OPACITY,
    SEA_COLOUR,
    SITE_DATA_MAX_BYTES,
    SITE_DOT_STYLE,
    SITE_MARKER_LIMIT,
    SITE_STYLE,
    map_html,
    prepare_map,
    render_map,
    save_map,
)
from .raster import (
    EXCLUDED_RGBA,
    MAX_OVERLAY_PX,
    PNG_ZLIB_LEVEL,
    VIRIDIS_ANCHORS,
    WEB_MERCATOR,
    _mask_index,
    _mask_palette,
    _MercatorWarp,
    _png_indexed,
    _scale_index,
    _viridis_palette,
)

__all__ = ["map_html", "render_map", "save_map", "screenshot"]
