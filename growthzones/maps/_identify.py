"""Click-to-identify on the map surface: compact per-cell data and the script that reads it.

Clicking any land cell opens a popup with the cell's score (or why it is excluded) and,
for every criterion of the scenario, its raw value in its unit, its normalised weight and
its contribution to the score. The page cannot ask Python, so the values travel in it:

- per land cell (the store's land vector, in its order): the score (none where
  excluded; the popup then gives the sum of the contributions, the score before
  exclusions), the exclusion/constraint bits (one per ``result.excluded_by`` key, up to
  16), and per weighted criterion the raw value and the contribution;
- every value as a ``uint16`` code on a fixed step (:data:`SCORE_STEP` for scores and
  contributions; for a raw value the "nice" step nearest ``range / RAW_LEVELS``, so a
  distance over 0-300 km is kept to 0.2 km), 65535 = no data; the popup shows values
  rounded to their step, and says the step;
- the codes delta-coded along the land vector (zigzag), split into high and low byte
  planes and
  deflated once (level :data:`ZLIB_LEVEL`), then base64; the browser inflates them with
  its native ``DecompressionStream`` on the first click only, so loading the page costs
  nothing. About 3 MB of page at GB 1 km with the default scenario (15 criteria).

A click is mapped to its cell in the browser: WGS84 to British National Grid by the OS
Helmert transformation and the Transverse Mercator series (OS "A guide to coordinate
systems in Great Britain"; a few metres from OSTN15, well inside a 1 km cell), then row
and column by arithmetic, then the land position by a prefix count over the land mask.
"""

from __future__ import annotations

import base64
import math
import zlib

import numpy as np

from ._elements import _BASE64, POPUP_OPTIONS
from ._text import _js_json

#: Step of the score and contribution codes (the popup shows three decimals).
SCORE_STEP = 0.001
#: About how many steps a raw value's national range is cut into.
RAW_LEVELS = 2000
#: zlib level of the data. At GB 1 km with the default scenario: level 1 2.7 MB in ~0.08 s,
#: level 3 2.5 MB in ~0.14 s, level 6 2.2 MB in ~0.44 s; the map must stay quick to render.
ZLIB_LEVEL = 1
NODATA = 65535


def nice_step(span: float, levels: int = RAW_LEVELS) -> float:
    """The 1-2-5 step nearest above ``span / levels`` (1.0 for an empty or zero span).

    >>> nice_step(300.0), nice_step(0.0), nice_step(4800.0)
    (0.2, 1.0, 5.0)
    """
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / levels
    exp = math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        step = m * 10.0 ** exp
        if step >= raw * (1 - 1e-9):
            return float(f"{step:.12g}")
    return float(10.0 ** (exp + 1))


def codes(values, step: float, base: float = 0.0) -> np.ndarray:
    """``rint((values - base) / step)`` as uint16, :data:`NODATA` where NaN."""
    v = np.asarray(values, dtype=np.float64)
    q = (v - base) / step
    np.rint(q, out=q)
    np.clip(q, 0, NODATA - 1, out=q)  # NaN stays NaN
    # in place, not a masked gather and scatter: a third of the time at 1 km
    np.copyto(q, NODATA, where=~np.isfinite(v))
    return q.astype(np.uint16)


def _planes(q: np.ndarray) -> bytes:
    """uint16 codes -> zigzag differences along the vector, high bytes then low bytes.

    The difference to the previous cell, wrapped to int16, is zigzag-coded (0, -1, 1,
    -2, ... as 0, 1, 2, 3, ...), so small steps either way leave the high bytes zero:
    at 1 km a fifth smaller once deflated than plain differences modulo 2^16.
    """
    d = np.diff(q.astype(np.int32), prepend=np.int32(0))
    d = ((d + 32768) & 0xFFFF) - 32768
    z = ((d << 1) ^ (d >> 31)).astype("<u2")
    b = z.view(np.uint8).reshape(-1, 2)
    return b[:, 1].tobytes() + b[:, 0].tobytes()


def identify_payload(result) -> dict:
    """The JSON-able data of the identify popup (see the module docstring).

    Parameters
    ----------
    result
        A :class:`~growthzones.scoring.ScoreResult`: its store's grid and land index,
        ``score``, ``ranked``, ``weights``, ``contributions``, ``excluded_by`` and
        ``reasons`` are read.

    Returns
    -------
    dict
        ``grid`` (x0, y1, res, width, height of EPSG:27700), ``land`` (base64 of the
        deflated packed land bits, row-major), ``n`` land cells, ``criteria`` ([title,
        unit, normalised weight, raw base, raw step]), ``reasons`` (sentences, one per
        bit), ``scoreStep`` and ``data`` (base64 of the deflated planes: score, score
        before exclusions, exclusion bits, then raw and contribution per criterion).
    """
    store = result.store
    grid = store.grid
    n = len(store.land_index)
    meta = store.meta
    parts = [_planes(codes(result.ranked, SCORE_STEP))]
    keys = list(result.excluded_by)[:16]
    bits = np.zeros(n, dtype=np.uint16)
    for i, key in enumerate(keys):
        bits |= np.asarray(result.excluded_by[key], dtype=np.uint16) << i
    parts.append(_planes(bits))
    total = sum(result.weights.values()) or 1.0
    criteria = []
    for name, w in result.weights.items():
        info = meta.get(name, {})
        raw = np.asarray(store.read_vector(name), dtype=np.float64)
        ok = np.isfinite(raw)
        lo, hi = (float(raw[ok].min()), float(raw[ok].max())) if ok.any() else (0.0, 0.0)
        step = nice_step(hi - lo)
        base = math.floor(lo / step) * step
        parts.append(_planes(codes(raw, step, base)))
        parts.append(_planes(codes(result.contributions[name], SCORE_STEP)))
        criteria.append([str(info.get("title", name)), str(info.get("unit", "") or ""),
                         round(float(w) / total, 4), base, step])
    packed = np.packbits(store.land.ravel().astype(bool))
    return {
        "grid": {"x0": grid.bounds[0], "y1": grid.bounds[3], "res": grid.resolution,
                 "width": grid.width, "height": grid.height},
        "land": base64.b64encode(zlib.compress(packed.tobytes(), 6)).decode("ascii"),
        "n": n, "criteria": criteria,
        "reasons": [str(result.reasons.get(k, k)) for k in keys],
        "scoreStep": SCORE_STEP,
        "data": base64.b64encode(zlib.compress(b"".join(parts), ZLIB_LEVEL)).decode("ascii"),
    }


def identify_script(map_var: str, payload: dict) -> str:
    """The script that answers a click on the map ``map_var`` with the cell's popup."""
    # The two base64 strings (megabytes) are placed as they are: their alphabet needs no
    # escaping, and running the JSON encoder's escapes over them took ~0.5 s.
    blobs = {k: payload[k] for k in ("land", "data")}
    for text in blobs.values():
        if not _BASE64.fullmatch(text):
            raise ValueError("identify data is not base64")
    rest = _js_json({k: v for k, v in payload.items() if k not in blobs}, compact=True)
    data = (rest[:-1] + "".join(f',"{k}":"{v}"' for k, v in blobs.items()) + "}")
    return (_IDENTIFY_JS.replace("__MAP__", map_var)
            .replace("__POPUP__", _js_json(POPUP_OPTIONS)).replace("__DATA__", data))



_IDENTIFY_JS = """
(function () {
    var map = __MAP__, D = __DATA__;
    var decoded = null;
    function bytes(b64) {
        var s = atob(b64), out = new Uint8Array(s.length);
        for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
        return out;
    }
    function inflate(b64) {
        var stream = new Blob([bytes(b64)]).stream()
            .pipeThrough(new DecompressionStream("deflate"));
        return new Response(stream).arrayBuffer().then(function (b) {
            return new Uint8Array(b);
        });
    }
    function load() {
        if (decoded) { return decoded; }
        decoded = Promise.all([inflate(D.land), inflate(D.data)]).then(function (r) {
            var land = r[0], raw = r[1], n = D.n, arrays = [];
            var k = raw.length / (2 * n);
            for (var a = 0; a < k; a++) {
                var hi = raw.subarray(2 * a * n, (2 * a + 1) * n);
                var lo = raw.subarray((2 * a + 1) * n, (2 * a + 2) * n);
                var q = new Uint16Array(n), acc = 0;
                for (var i = 0; i < n; i++) {
                    var z = (hi[i] << 8) | lo[i];
                    acc = (acc + ((z >>> 1) ^ -(z & 1))) & 65535;  // un-zigzag, add
                    q[i] = acc;
                }
                arrays.push(q);
            }
            // land position of each flat cell: a prefix count over the bits, per row
            var W = D.grid.width, H = D.grid.height, rowStart = new Int32Array(H + 1);
            function bit(f) { return (land[f >> 3] >> (7 - (f & 7))) & 1; }
            for (var r0 = 0; r0 < H; r0++) {
                var c = 0;
                for (var x = 0; x < W; x++) { c += bit(r0 * W + x); }
                rowStart[r0 + 1] = rowStart[r0] + c;
            }
            return {arrays: arrays, bit: bit, rowStart: rowStart};
        });
        return decoded;
    }
    var RAD = Math.PI / 180;
    function toBNG(lat, lon) {
        // WGS84 -> OSGB36 (OS Helmert), then the National Grid Transverse Mercator.
        var a = 6378137.0, b = 6356752.314245, e2 = 1 - b * b / (a * a);
        var p = lat * RAD, l = lon * RAD, sp = Math.sin(p), cp = Math.cos(p);
        var nu = a / Math.sqrt(1 - e2 * sp * sp);
        var x = nu * cp * Math.cos(l), y = nu * cp * Math.sin(l), z = (1 - e2) * nu * sp;
        var s = 1 + 20.4894e-6, rx = -0.1502 / 3600 * RAD, ry = -0.2470 / 3600 * RAD,
            rz = -0.8421 / 3600 * RAD;
        var x2 = -446.448 + s * x - rz * y + ry * z;
        var y2 = 125.157 + rz * x + s * y - rx * z;
        var z2 = -542.060 - ry * x + rx * y + s * z;
        a = 6377563.396; b = 6356256.909; e2 = 1 - b * b / (a * a);
        var q = Math.sqrt(x2 * x2 + y2 * y2), phi = Math.atan2(z2, q * (1 - e2));
        for (var it = 0; it < 10; it++) {
            var n1 = a / Math.sqrt(1 - e2 * Math.pow(Math.sin(phi), 2));
            phi = Math.atan2(z2 + e2 * n1 * Math.sin(phi), q);
        }
        var lam = Math.atan2(y2, x2);
        var F0 = 0.9996012717, phi0 = 49 * RAD, lam0 = -2 * RAD, N0 = -100000, E0 = 400000;
        var n = (a - b) / (a + b), n2 = n * n, n3 = n2 * n;
        var sn = Math.sin(phi), cs = Math.cos(phi), tn = Math.tan(phi);
        var v = a * F0 / Math.sqrt(1 - e2 * sn * sn);
        var rho = a * F0 * (1 - e2) / Math.pow(1 - e2 * sn * sn, 1.5);
        var eta2 = v / rho - 1;
        var dp = phi - phi0, sp2 = phi + phi0;
        var M = b * F0 * ((1 + n + 1.25 * n2 + 1.25 * n3) * dp
            - (3 * n + 3 * n2 + 21 / 8 * n3) * Math.sin(dp) * Math.cos(sp2)
            + (15 / 8 * n2 + 15 / 8 * n3) * Math.sin(2 * dp) * Math.cos(2 * sp2)
            - 35 / 24 * n3 * Math.sin(3 * dp) * Math.cos(3 * sp2));
        var t2 = tn * tn, t4 = t2 * t2, c3 = cs * cs * cs, c5 = c3 * cs * cs;
        var I = M + N0, II = v / 2 * sn * cs, III = v / 24 * sn * c3 * (5 - t2 + 9 * eta2);
        var IIIA = v / 720 * sn * c5 * (61 - 58 * t2 + t4);
        var IV = v * cs, V = v / 6 * c3 * (v / rho - t2);
        var VI = v / 120 * c5 * (5 - 18 * t2 + t4 + 14 * eta2 - 58 * t2 * eta2);
        var dl = lam - lam0, dl2 = dl * dl;
        return [E0 + IV * dl + V * dl * dl2 + VI * dl * dl2 * dl2,
                I + II * dl2 + III * dl2 * dl2 + IIIA * dl2 * dl2 * dl2];
    }
    function decimals(step) { return Math.max(0, Math.min(6, Math.ceil(-Math.log10(step) - 1e-9))); }
    function fmt(q, step, base, unit) {
        if (q === 65535) { return "no data"; }
        var value = (base || 0) + q * step;
        var text = value.toLocaleString("en-GB", {minimumFractionDigits: decimals(step),
                                                  maximumFractionDigits: decimals(step)});
        return unit ? text + " " + unit : text;
    }
    function cellAt(easting, northing, d) {
        var g = D.grid;
        var col = Math.floor((easting - g.x0) / g.res), row = Math.floor((g.y1 - northing) / g.res);
        if (col < 0 || row < 0 || col >= g.width || row >= g.height) { return -1; }
        var flat = row * g.width + col;
        if (!d.bit(flat)) { return -1; }
        var pos = d.rowStart[row];
        for (var x = row * g.width; x < flat; x++) { pos += d.bit(x); }
        return pos;
    }
    function identify(lat, lon) {
        var en = toBNG(lat, lon);
        return load().then(function (d) {
            var i = cellAt(en[0], en[1], d);
            if (i < 0) { return null; }
            var A = d.arrays, step = D.scoreStep, reasons = [], total = 0, any = false;
            D.reasons.forEach(function (r, k) { if ((A[1][i] >> k) & 1) { reasons.push(r); } });
            var out = {easting: en[0], northing: en[1], position: i,
                       score: A[0][i] === 65535 ? null : A[0][i] * step,
                       excluded: reasons, criteria: []};
            D.criteria.forEach(function (c, k) {
                var r = A[2 + 2 * k][i], q = A[3 + 2 * k][i];
                if (q !== 65535) { total += q * step; any = true; }
                out.criteria.push({title: c[0], unit: c[1], weight: c[2],
                                   raw: r === 65535 ? null : c[3] + r * c[4],
                                   rawText: fmt(r, c[4], c[3], c[1]),
                                   contribution: q === 65535 ? null : q * step,
                                   contributionText: fmt(q, step, 0, "")});
            });
            out.scoreAll = any ? total : null;  // the score before exclusions
            return out;
        });
    }
    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (text !== undefined) { e.textContent = text; }  // text, never markup
        return e;
    }
    function row(table, cells, head) {
        var tr = el("tr");
        cells.forEach(function (t, j) { tr.appendChild(el(j < head ? "th" : "td", "", t)); });
        table.appendChild(tr);
    }
    function content(c) {
        var div = el("div", "gz-popup gz-identify"), head = el("table", "gz-head");
        var score = c.score !== null ? c.score.toFixed(3)
            : "excluded" + (c.scoreAll !== null ? " (" + c.scoreAll.toFixed(3) + " before exclusions)" : "");
        row(head, ["Score", score], 1);
        if (c.excluded.length) { row(head, ["Excluded by", c.excluded.join("; ")], 1); }
        row(head, ["Cell (BNG)", Math.round(c.easting) + " E, " + Math.round(c.northing) + " N"], 1);
        div.appendChild(head);
        var crit = el("table", "gz-crit");
        row(crit, ["Criterion", "Raw", "Weight", "Contribution"], 4);
        c.criteria.forEach(function (k) {
            row(crit, [k.title, k.rawText, k.weight.toFixed(3), k.contributionText], 0);
        });
        div.appendChild(crit);
        div.appendChild(el("div", "gz-note", "Raw values rounded to their step; "
                           + "contributions sum to the score."));
        return div;
    }
    map.on("click", function (e) {
        identify(e.latlng.lat, e.latlng.lng).then(function (c) {
            if (!c) { return; }
            L.popup(Object.assign({className: "gz-identify-popup"}, __POPUP__))
                .setLatLng(e.latlng).setContent(content(c)).openOn(map);
        });
    });
    window.gzIdentify = {identify: identify, toBNG: toBNG, ready: function () { return load().then(function () { return true; }); }};
})();
"""
