"""Dossier pages as HTML (one A4 page per site) and the PDF Chromium prints from them.

Every string from the data (site names, the user's columns, feature labels, manifest
text) goes through :func:`growthzones.maps._text._html_text`; numbers through
:func:`~growthzones.maps._text._fmt`. The pages hold no template syntax and load nothing:
the inset maps are inline SVG with inline PNG cells, the fonts the system's.

One page per site: each site is a ``.page`` block of A4's printable size with a page
break after it. With ``one_page=True`` (the default) a short script scales a block whose
content is taller than the page down to fit (CSS ``zoom``), so the PDF has exactly one
page per site; ``one_page=False`` lets a long block flow onto more pages.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from .._version import __version__
from ..maps._text import _fmt, _html_text
from .content import ALLOWED, CLEAR, EXCLUDED, NOT_ASSESSED, PARTLY
from .inset import LEGEND, inset_svg

#: Printable height of an A4 page with the margins of :data:`CSS` (mm).
PAGE_HEIGHT_MM = 297 - 2 * 8
_STATE_CLASS = {EXCLUDED: "bad", PARTLY: "warn", ALLOWED: "warn", NOT_ASSESSED: "na",
                CLEAR: "ok"}

CSS = """
@page { size: A4; margin: 8mm 10mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
       font-size: 7pt; color: #111; line-height: 1.25; }
.page { width: 190mm; break-after: page; overflow: visible; }
.page:last-of-type { break-after: auto; }
h1 { font-size: 14pt; margin: 0 0 1mm; }
h2 { font-size: 8.5pt; margin: 2mm 0 0.8mm; border-bottom: 0.3mm solid #999; }
.sub { color: #333; }
.head { display: flex; justify-content: space-between; align-items: flex-start; }
.big { text-align: right; font-size: 8pt; }
.big b { font-size: 18pt; }
.status { margin: 1mm 0; padding: 1mm 2mm; border-radius: 1mm; background: #eef6ee; }
.status.excluded { background: #fbe3e3; } .status.notscored { background: #fff1cc; }
.row { display: flex; gap: 4mm; }
.col { flex: 1; min-width: 0; }
table { border-collapse: collapse; width: 100%; }
td, th { padding: 0.35mm 1mm; vertical-align: top; text-align: left; }
th { background: #eee; font-weight: bold; }
tr:nth-child(even) td { background: #f7f7f7; }
td.n { text-align: right; white-space: nowrap; }
.bad { color: #a1121f; font-weight: bold; } .warn { color: #8a5a00; }
.na { color: #6b3fa0; font-weight: bold; } .ok { color: #24663b; }
ul { margin: 0.5mm 0 0.5mm 4mm; padding: 0; } li { margin: 0; }
.small { font-size: 6pt; color: #333; }
.inset { border: 0.3mm solid #555; display: block; }
.flabel { font-size: 10px; font-weight: bold; paint-order: stroke; stroke: #fff;
          stroke-width: 3px; }
.slabel { font-size: 10px; }
.key span { display: inline-block; width: 3mm; height: 2mm; margin-right: 1mm; }
.foot { margin-top: 2mm; border-top: 0.3mm solid #999; padding-top: 0.8mm; }
"""

#: Scales each ``.page.fit`` block taller than the printable page down to fit it, to 96 %
#: of the exact fit: the print layout wraps text a little differently from the screen
#: layout the script measures (a block fitted exactly spilled its footer onto a 2nd page).
FIT_SCRIPT = """
(function () {
  var avail = AVAIL_MM * 96 / 25.4;
  document.querySelectorAll(".page.fit").forEach(function (p) {
    var h = p.scrollHeight;
    if (h > avail) { p.style.zoom = String(Math.floor(960 * avail / h) / 1000); }
  });
})();
""".replace("AVAIL_MM", f"{PAGE_HEIGHT_MM:.1f}")


def h(value) -> str:
    """Data as HTML text (the one encoder)."""
    return _html_text(value)


def _num(x, digits=3) -> str:
    return _fmt(x, digits=digits)


def _pct(p) -> str:
    if not np.isfinite(p):
        return "no data"
    return f"{np.floor(p * 10) / 10:.1f}"


def _km(v) -> str:
    return f"{v:.1f} km" if np.isfinite(v) else "no data"


def _criteria_table(f: dict) -> str:
    poly = np.isfinite(f["area_ha"])
    head = ("<tr><th>Criterion</th><th>Raw value</th><th>Unit</th><th>Value 0-1</th>"
            "<th>Weight</th><th>Contribution</th>"
            + ("<th>Land with data</th>" if poly else "") + "<th>Sources</th></tr>")
    rows = []
    for c in sorted(f["criteria"], key=lambda c: -(c["contribution"]
                                                   if np.isfinite(c["contribution"]) else -1)):
        raw = _num(c["raw"]) if np.isfinite(c["raw"]) else '<span class="na">no data</span>'
        share = (f'<td class="n">{_num(100 * c["share_with_data"], 3)} %</td>'
                 if poly else "")
        rows.append(f'<tr><td>{h(c["title"])}</td><td class="n">{raw}</td>'
                    f'<td>{h(c["unit"])}</td><td class="n">{_num(c["value"])}</td>'
                    f'<td class="n">{c["weight"]:.3f}</td>'
                    f'<td class="n">{_num(c["contribution"])}</td>{share}'
                    f'<td>{", ".join(f"[{n}]" for n in c["sources"])}</td></tr>')
    return f"<table>{head}{''.join(rows)}</table>"


def _exclusions(f: dict) -> str:
    items = []
    for s in f["exclusions"]:
        detail = f": {h(s['detail'])}" if s["detail"] else ""
        items.append(f'<li>{h(s["title"])} &mdash; <span class="{_STATE_CLASS[s["state"]]}">'
                     f'{h(s["state"])}</span>{detail}</li>')
    return f"<ul>{''.join(items)}</ul>" if items else "<p>none in this scenario</p>"


def _not_assessed(f: dict) -> str:
    here = [t for t in f["not_assessed"] if "not in this layer store" not in t
            and "a known gap" not in t and "not used by this scenario" not in t]
    store = [t.split(":")[0] for t in f["not_assessed"] if "not in this layer store" in t]
    unused = [t.split(":")[0] for t in f["not_assessed"] if "not used by this scenario" in t]
    gaps = [t.split(":")[0] for t in f["not_assessed"] if "a known gap" in t]
    out = "".join(f'<li><span class="na">not assessed</span>: {h(t)}</li>' for t in here)
    if store:
        out += (f'<li><span class="na">not assessed</span> (absent from this layer store; '
                f'official file not downloaded): {h("; ".join(store))}</li>')
    if unused:
        out += f'<li>In the store, not used by this scenario: {h("; ".join(unused))}</li>'
    if gaps:
        out += (f'<li><span class="na">not assessed</span> anywhere (known data gaps): '
                f'{h("; ".join(gaps))}</li>')
    return f"<ul>{out}</ul>"


def _key_figures(f: dict) -> str:
    rows = [("Score (0-1)", _num(f["score"]) if np.isfinite(f["score"]) else "—"),
            ("Score before exclusions", _num(f["score_before_exclusions"])),
            ("Rank", f"{f['rank']} of {f['ranked']}" if f["rank"] is not None
             else "not ranked"),
            ("National percentile", _pct(f["national_percentile"])),
            ("National percentile before exclusions",
             _pct(f["national_percentile_before_exclusions"])),
            ("Weight with data here", f"{100 * f['coverage']:.0f} %"
             if np.isfinite(f["coverage"]) else "no data")]
    if np.isfinite(f["area_ha"]):
        rows += [("Area / land on the grid", f"{_num(f['area_ha'])} ha / "
                  f"{_num(f['land_ha'])} ha"),
                 ("Score range over the polygon", f"{_num(f['score_min'])} – "
                  f"{_num(f['score_max'])}"),
                 ("Share excluded", f"{100 * f['share_excluded']:.0f} %"
                  if np.isfinite(f["share_excluded"]) else "no data")]
    if np.isfinite(f["region_area_km2"]):
        rows.append(("High-score region around it", f"{_num(f['region_area_km2'])} km²"))
    st = f["stability"]
    if st is not None:
        a = f["stability_attrs"]
        rows.append(("Stability", f"in the top {a.get('top')} in "
                     f"{100 * float(st['p_top']):.0f} % of {a.get('draws')} weight draws; "
                     f"rank {st['rank_median']:g} (90 % interval {st['rank_lo']:g}–"
                     f"{st['rank_hi']:g})"))
    elif f["stability_attrs"]:
        rows.append(("Stability", "not computed for this site (not ranked)"))
    if f.get("timeline"):  # the grid by ETYS network year (issue #16)
        tl = f["timeline"]
        rows.append(("Score by network year (same weights)", ", ".join(
            f"{t['snapshot']} {_num(t['score'])}" for t in tl)))
        rows.append(("400/275 kV node circuits · TEC queue within 20 km", ", ".join(
            f"{t['snapshot']} {_num(t.get('transmission_node_mva'))} MVA · "
            f"{_num(t.get('tec_queue_mw'))} MW" for t in tl)))
    return "<table>" + "".join(f"<tr><td>{h(k)}</td><td class='n'>{h(v)}</td></tr>"
                               for k, v in rows) + "</table>"


def _sources(f: dict) -> str:
    return "".join(f"<div>[{s['n']}] {h(s['title'] or s['id'])} — data {h(s['data_date'])}"
                   f" — licence {h(s['licence'])}</div>" for s in f["sources"])


def _user(f: dict) -> str:
    given = [(k, v) for k, v in f["user"] if v.strip()]
    if not given:
        return ""
    cells = "; ".join(f"{h(k)}: {h(v)}" for k, v in given)
    return f'<div class="small">Your columns — {cells}</div>'


def _header(f: dict) -> str:
    where = [f"site {f['site_id']}"] if f["site_id"] else []
    if f["local_authority"]:
        where.append(f"{f['local_authority']}, {f['nation']}")
    if np.isfinite(f["lat"]):
        where.append(f"{f['lat']:.5f}, {f['lon']:.5f}")
    if np.isfinite(f["easting"]):
        where.append(f"E {f['easting']:.0f} N {f['northing']:.0f} (EPSG:27700)")
    big = ""
    if f["kind"] != "not scored":
        score = _num(f["score"]) if np.isfinite(f["score"]) else "—"
        rank = (f"rank {f['rank']} of {f['ranked']}" if f["rank"] is not None
                else "not ranked")
        big = (f'<div class="big"><b>{score}</b><br>national percentile '
               f'{_pct(f["national_percentile"])}<br>{h(rank)}</div>')
    cls = {"excluded": "excluded", "not scored": "notscored"}.get(f["kind"], "")
    why = (": " + h(f["status"].split(": ", 1)[-1]) if f["status"] not in ("", "scored")
           else "")
    return (f'<div class="head"><div><h1>{h(f["name"])}</h1><div class="sub">'
            f'{h(" · ".join(where))}'
            f'</div></div>{big}</div>'
            f'<div class="status {cls}"><b>{h(f["kind"].capitalize())}</b>{why}</div>')


def site_page(result, f: dict, *, fit: bool = True) -> str:
    """One site's dossier page: a ``<section class="page">`` block of HTML."""
    sc = result.scenario
    foot = (f'<div class="foot small">Scenario {h(sc.name)} · layer store built '
            f'{h(str(result.store.manifest.get("built", ""))[:10])} at '
            f'{result.grid.resolution:g} m · growthzones {h(__version__)} · '
            f'written {h(datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))}. '
            f'Open data screening; every figure is from the sources listed.</div>')
    cls = "page fit" if fit else "page"
    if f["kind"] == "not scored":
        return (f'<section class="{cls}">{_header(f)}<h2>Why this site has no score</h2>'
                f'<p>{h(f["problem"] or f["status"])}</p><p>The row is kept in the '
                f'ranking with this reason; fix it in your file and run again.</p>'
                f'{_user(f)}<h2>Caveats</h2><ul>'
                + "".join(f"<li>{h(c)}</li>" for c in f["caveats"]) + f"</ul>{foot}</section>")
    svg, feats, region = inset_svg(result, f["easting"], f["northing"], f["geometry"])
    legend = (f'<div class="small key"><span style="background:#fde725"></span>score high '
              f'<span style="background:#440154"></span>low '
              f'<span style="background:{LEGEND["excluded"]}"></span>excluded '
              f'<span style="background:#d6d6ce"></span>land, no score · dashed: council '
              f'boundaries · pink dashes: '
              + ("the high-score region (top 2 % of GB)" if region else
                 "no high-score region here") + "</div>")
    before = ", before exclusions" if f["kind"] == "excluded" else ""
    feat_list = "".join(f"<div>{x['n']}. {h(x['label'])} — {x['km']:.1f} km</div>"
                        for x in feats)
    nearest = "".join(f"<tr><td>{h(x['group'])}</td><td>{h(x['label'])}</td>"
                      f"<td class='n'>{_km(x['km'])}</td></tr>" for x in f["nearest"])
    return (f'<section class="{cls}">{_header(f)}'
            f'<div class="row"><div>{svg}{legend}<div class="small">{feat_list}</div></div>'
            f'<div class="col"><h2>Key figures</h2>{_key_figures(f)}'
            f'<h2>Nearest named infrastructure</h2><table>{nearest or "<tr><td>none in the store</td></tr>"}</table>'
            f'<h2>Exclusions checked</h2>{_exclusions(f)}</div></div>'
            f'{_user(f)}'
            f'<h2>Every criterion (largest contribution first{before})</h2>'
            f'{_criteria_table(f)}'
            f'<div class="row"><div class="col"><h2>Not assessed here</h2>{_not_assessed(f)}'
            f'</div><div class="col"><h2>Caveats</h2><ul>'
            + "".join(f"<li>{h(c)}</li>" for c in f["caveats"])
            + f'</ul></div></div><h2>Sources (data date, licence)</h2>'
            f'<div class="small">{_sources(f)}</div>{foot}</section>')


def document(title: str, pages: list[str], *, fit: bool = True) -> str:
    """A complete HTML document of ``pages`` (from :func:`site_page`)."""
    script = f"<script>{FIT_SCRIPT}</script>" if fit else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<title>{h(title)}</title><style>{CSS}</style></head><body>'
            f'{"".join(pages)}{script}</body></html>')
