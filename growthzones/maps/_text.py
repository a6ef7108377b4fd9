"""The one text encoder per context of a map page, and numbers for people.

User text is never template text
--------------------------------
branca renders a page in two passes: each element's Jinja macro runs, and its output is
wrapped in ``branca.element.Element(text)``, whose constructor *compiles that output as a
new template*. Any ``{{ ... }}``, ``{% ... %}`` or ``{# ... #}`` that reached a macro's
output from the data (a site called ``{{ lipsum.__globals__.os.system('id') }}``) was
therefore run on the second pass. Escaping the strings for Jinja would be a second,
fragile encoding next to HTML and JSON, so the fix is structural, in two parts:

1. Every element of the map package (legend, title, licences, popups, the council basemap,
   the large-site layer, the inlined Leaflet) builds its text in Python and hands it to
   the page as a :class:`_Verbatim` element, whose ``render`` returns the text as it is:
   it is never compiled. (This also saves the seconds branca spent compiling megabytes
   of inlined PNGs as templates.)
2. The few data strings that still pass through folium's own elements (layer names in
   folium's ``LayerControl``, the page ``<title>``) go through :func:`_html_text`, which
   leaves no ``{``, ``}``, ``%`` or ``#`` in them, so there is nothing for Jinja to parse.

There is one encoder per context and every string uses it: :func:`_js_json` for data
placed in a ``<script>`` (JSON with ``< > & ' { } % #`` as ``\\uXXXX`` escapes, so a
string can neither end the script nor start template syntax), :func:`_html_text` for
HTML (HTML-escaped, with ``{ } % #`` as numeric entities; Leaflet sets layer-control
labels and popups as ``innerHTML``, where entities show as the original characters).
The large-site layer builds its popups and labels in the browser with ``textContent``,
never ``innerHTML``, so user text there is never markup either.
"""

from __future__ import annotations

import json
import math
import re

#: Characters that could end a <script> (``<``, ``>``), start an HTML entity or a JS
#: string (``&``, ``'``), or start/end Jinja syntax (``{``, ``}``, ``%``, ``#``).
# As (character, escape) pairs: a str.replace per character takes ~2 ms on the basemap
# GeoJSON of a 1 km map (0.6 MB), str.translate ~60 ms.
_JS_ESCAPES = tuple((c, f"\\u{ord(c):04x}") for c in "<>&'%#")  # never JSON syntax
_JS_BRACES = tuple((c, f"\\u{ord(c):04x}") for c in "{}")  # JSON syntax too
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "'": "&#39;", "{": "&#123;", "}": "&#125;", "%": "&#37;",
                               "#": "&#35;"})
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _js_json(value, *, compact: bool = False) -> str:
    r"""``value`` as JSON to place in a ``<script>``: the one encoder for JS contexts.

    Inside every JSON string, ``< > & ' { } % #`` become ``\uXXXX`` escapes (and all
    non-ASCII too), so a string can neither close the script, nor be read as HTML, nor
    contain template syntax; outside strings there are only numbers, true/false/null
    and JSON punctuation.

    >>> _js_json(["{{ 7*7 }}", "</script>", 1.5])
    '["\\u007b\\u007b 7*7 \\u007d\\u007d", "\\u003c/script\\u003e", 1.5]'
    """
    # NaN and Infinity stay as JS reads them (json.dumps writes them bare).
    text = _replace_all(json.dumps(value, ensure_ascii=True,
                                   separators=(",", ":") if compact else None), _JS_ESCAPES)
    if "{" in text or "}" in text:  # braces inside strings only; objects keep theirs
        text = _JSON_STRING.sub(lambda m: _replace_all(m.group(0), _JS_BRACES), text)
    return text


def _replace_all(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for char, escape in pairs:
        if char in text:
            text = text.replace(char, escape)
    return text


def _html_text(value) -> str:
    """``str(value)`` as HTML text: the one encoder for HTML contexts.

    HTML-escaped (quotes too), with ``{ } % #`` as numeric entities so that no template
    syntax is left; a browser shows the original characters.

    >>> _html_text("{{ 7*7 }} <b>")
    '&#123;&#123; 7*7 &#125;&#125; &lt;b&gt;'
    """
    return str(value).translate(_HTML_ESCAPES)



# --------------------------------------------------------------------------- numbers


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _present(x) -> bool:
    if x is None:
        return False
    if isinstance(x, float) and math.isnan(x):
        return False
    return str(x).strip() != ""


def _fmt_rank(x) -> str:
    # An unranked (excluded) user site shows a cross instead of a number.
    try:
        return str(int(x)) if _finite(x) else "×"
    except (TypeError, ValueError):
        return "×"


def _fmt(x, *, digits: int = 3, fixed: bool = False) -> str:
    """A number for people: 'no data' for NaN, thousands separators for big values."""
    if not _finite(x):
        return "no data"
    x = float(x)
    if fixed:
        return f"{x:.{digits}f}"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"
