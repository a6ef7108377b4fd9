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
                marker_limit: int, excluded_opacity: float, regions: bool) -> str:
    """The legend: the surface blocks (one shown), excluded land, sites, the scenario."""
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
        '<div class="gz-note">Click any land cell for its values.</div>'
        f'<div class="gz-scenario">Scenario: {_html_text(scenario_name)}</div>')
