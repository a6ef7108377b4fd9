"""The popups of the sites: one table per site, built as plain text and encoded once.

:func:`_popup_cells` gives the cells as text; :func:`_popup_html` encodes them for a
numbered marker's popup (HTML through :func:`~growthzones.maps._text._html_text`) and
:func:`_site_cells` for the canvas layer of many sites (text shown with ``textContent``).
"""

from __future__ import annotations

from ._text import _finite, _fmt, _fmt_rank, _html_text, _present


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
