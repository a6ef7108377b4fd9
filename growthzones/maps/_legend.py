"""Colour stretches and legends of the map's surfaces, each in its own units.

Every surface is coloured along viridis over a **stretch fitted to its values**, the
2nd to 98th percentile (:data:`STRETCH_PERCENTILES`) of the land cells with data, so the
country does not read as one colour when 98 % of the scores lie between 0.21 and 0.60.
Values beyond the stretch take the end colours, and the legend says so ("≤ 0.21").

- The **score** is stretched over the scored (not excluded) cells; yellow is best.
- A **criterion** is coloured by its **raw value in its unit** (km, MW, %), stretched
  the same way, with yellow at the better end: for a ``min`` criterion (a distance) the
  ramp is reversed, so short distances are yellow. The legend gives the unit, the two
  ends and which end is better. (The transformed 0-1 value a scenario uses is in the
  identify popup's contribution, not in the colour: a planner reads "12 km", not 0.63.)

Only the legend block of the surface on screen is shown (the layer panel switches it).
Every string goes through :func:`~growthzones.maps._text._html_text`.
"""

from __future__ import annotations

import numpy as np

from ._text import _fmt, _html_text
from .raster import EXCLUDED_RGBA, VIRIDIS_ANCHORS, _scale_index

STRETCH_PERCENTILES = (2.0, 98.0)


def stretch(values: np.ndarray) -> tuple[float, float] | None:
    """(low, high) percentiles of the finite values, or None when there are none."""
    v = np.asarray(values)
    v = v[np.isfinite(v)]
    if not v.size:
        return None
    lo, hi = np.percentile(v, STRETCH_PERCENTILES)
    return float(lo), float(hi)


def stretched_index(values: np.ndarray, lims: tuple[float, float] | None, *,
                    reverse: bool = False) -> np.ndarray:
    """Palette index of ``values`` over ``lims`` (255 where NaN); a constant surface (or
    none) is the middle colour; ``reverse`` puts yellow at the low end."""
    v = np.asarray(values, dtype=np.float32)
    if lims is None or not lims[1] > lims[0]:
        t = np.where(np.isfinite(v), np.float32(0.5), np.float32(np.nan))
    else:
        lo, hi = lims
        t = (v - np.float32(lo)) / np.float32(hi - lo)
    index = _scale_index(t)
    if reverse:
        np.subtract(254, index, out=index, where=index != 255)
    return index


def _gradient(reverse: bool) -> str:
    anchors = VIRIDIS_ANCHORS[::-1] if reverse else VIRIDIS_ANCHORS
    stops = ", ".join(f"{c} {100 * i / (len(anchors) - 1):.1f}%" for i, c in enumerate(anchors))
    return f"linear-gradient(to right, {stops})"


def surface_legend(key: str, title: str, lims: tuple[float, float] | None, *, unit: str = "",
                   reverse: bool = False, note: str = "", shown: bool = False) -> str:
    """One legend block ``<div data-surface=key>``: title, bar, the stretch ends in
    ``unit``, the better end and how the stretch was fitted."""
    e = _html_text
    style = "" if shown else ' style="display: none"'
    u = f" {unit}" if unit else ""
    head = f'<div class="gz-legend-title">{e(title)}</div>'
    if lims is None:
        return (f'<div class="gz-surface" data-surface="{e(key)}"{style}>{head}'
                '<div class="gz-note">No data on land.</div></div>')
    lo, hi = (_fmt(x, digits=3) for x in lims)
    ticks = (f"<span>≤ {e(lo)}{e(u)}</span><span>≥ {e(hi)}{e(u)}</span>" if lims[1] > lims[0]
             else f"<span>{e(lo)}{e(u)} everywhere</span>")
    better = "lower is better" if reverse else "higher is better"
    return (f'<div class="gz-surface" data-surface="{e(key)}"{style}>{head}'
            f'<div class="gz-bar" style="background: {_gradient(reverse)}"></div>'
            f'<div class="gz-ticks">{ticks}</div>'
            f'<div class="gz-note">Yellow is better ({better}). Colours stretched over the '
            f'{STRETCH_PERCENTILES[0]:g}nd–{STRETCH_PERCENTILES[1]:g}th percentile of '
            f'land cells{e(note)}.</div></div>')


def legend_html(scenario_name: str, surfaces: list[str], drawn: tuple[int, int] | None, *,
                marker_limit: int, excluded_opacity: float, regions: bool,
                identify: bool = True) -> str:
    """The legend: the surface blocks (one shown), excluded land, sites, the scenario;
    ``identify``: the page answers a click on a land cell (else it does not say so)."""
    r, g, b, _ = EXCLUDED_RGBA
    site_line = "Site (number = rank)"
    drawn_line = region_line = ""
    if drawn is not None and drawn[1] > marker_limit:
        site_line = "Site (hover for rank and name, click for details)"
    if drawn is not None and drawn[0] < drawn[1]:
        drawn_line = (f'<div class="gz-note gz-drawn">Drawing the best {drawn[0]:,} of '
                      f'{drawn[1]:,} sites; the full ranking table lists them all.</div>')
    if regions:
        region_line = ('<div><span class="gz-swatch gz-swatch-region"></span> High-score '
                       'region of a site</div>')
    return (
        "".join(surfaces)
        + f'<div><span class="gz-swatch" style="background: rgba({r},{g},{b},'
        f'{excluded_opacity})"></span> Excluded land</div>'
        f'<div><span class="gz-swatch gz-swatch-site"></span> {site_line}</div>'
        f'{region_line}{drawn_line}'
        + ('<div class="gz-note">Click any land cell for its values.</div>' if identify else "")
        + f'<div class="gz-scenario">Scenario: {_html_text(scenario_name)}</div>')


def sources_html(attributions, *, noncommercial: bool) -> str:
    """The folded box of every source's licence line."""
    # Every licence is in the page; folded so it does not cover the map. The summary
    # says at once when some source is non-commercial (the manifest's flag, not a guess
    # from the licence text: "JNCC" is not "NC").
    items = "".join(f"<li>{_html_text(a)}</li>" for a in attributions)
    warn = " — includes non-commercial data" if noncommercial else ""
    return (f"<details><summary><b>Data sources and licences ({len(attributions)})</b>"
            f"{warn}</summary><ul>{items}</ul></details>")


def page_css(*, sea_colour: str, score_opacity: float) -> str:
    """The page's own CSS (controls, legend, popups)."""
    return f"""
    .folium-map.leaflet-container {{ background: {sea_colour}; }}
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
    .gz-bar {{ height: 12px; border: 1px solid #999; opacity: {score_opacity}; }}
    .gz-surface {{ margin-bottom: 4px; }}
    .gz-swatch.gz-swatch-region {{ border: 2px solid #e8590c; background: rgba(232, 89, 12, 0.08); }}
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
