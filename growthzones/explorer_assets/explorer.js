/* growthzones explorer: re-scores every land cell in the browser.
 *
 * Mirrors growthzones.scoring (WLC, TOPSIS; weights renormalised over the criteria with
 * data in each cell) and growthzones.sites.top_sites (score descending, ties in land
 * order = north-west first, greedy separation: a candidate within the separation,
 * inclusive, of a kept site is dropped). growthzones.explorer.page_scores is the Python
 * twin of the kernels below, operation for operation.
 *
 * Public API: window.gzExplorer (documented in growthzones/explorer.py and the README).
 * Every data string is shown with textContent, never parsed as HTML.
 */
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("gz-data").textContent);
  var K = D.criteria.length, N = D.n, G = D.grid, QMAX = D.quantMax, NODATA = D.nodataQ;
  var VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c",
                 "#28ae80", "#5ec962", "#addc30", "#fde725"];
  var EXCLUDED_RGBA = [178, 24, 43, 110];

  // ------------------------------------------------------------------ state
  var S = {
    method: D.scenario.method,
    ideal: D.scenario.ideal,
    raw: D.criteria.map(function (c) { return c.weight; }),      // criterion sliders
    themeFactor: {},                                               // theme sliders
    exclusionOn: D.exclusions.map(function (e) { return e.on; }),
    exceptOn: D.exclusions.map(function (e) { return !!e.exceptPD; }),  // lifted on previously developed land
    constraints: D.constraints.map(function (c) { return {min: c.min, max: c.max, missing: c.missing}; }),
    top: D.scenario.top,
    sepKm: D.scenario.minSeparationKm,
    w: null, score: null, ranked: null, excluded: null, sites: [], selected: null,
    timings: {}, latencies: [], recordLatency: false,
    networkYear: D.networkYears ? D.networkYears.current : null   // ETYS snapshot shown
  };
  D.criteria.forEach(function (c) { S.themeFactor[c.theme] = 1; });

  var el = function (id) { return document.getElementById(id); };
  function setStatus(text) { el("gz-status").textContent = text; }
  function fmt(x, d) {
    if (x === null || x === undefined || !isFinite(x)) return "–";
    d = d === undefined ? 3 : d;
    var a = Math.abs(x);
    if (a !== 0 && (a >= 1e5 || a < Math.pow(10, -d))) return x.toPrecision(d);
    return (Math.round(x * Math.pow(10, d)) / Math.pow(10, d)).toString();
  }
  function gfmt(x) { return String(Number(x.toPrecision(6))); }   // like Python's :g

  // ------------------------------------------------------------------ decoding
  function b64Bytes(text) {
    var bin = atob(text.trim()), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); });
  }
  function u16d(buf, off, n) {      // delta-coded, high-byte plane then low-byte plane
    var out = new Uint16Array(n), prev = 0;
    for (var i = 0; i < n; i++) {
      prev = (prev + ((buf[off + i] << 8) | buf[off + n + i])) & 0xffff;
      out[i] = prev;
    }
    return out;
  }

  var A = {};          // decoded arrays
  var vals = [];       // per criterion Float64Array, 0 where no data
  var haveMask = [];   // per criterion Uint8Array (null when complete)
  var pattern, patHave = [];
  var Qn = [], Qcol = [];     // quantised values per criterion: 65535 / 0 where no data
  var tdp = null, tdm = null; // TOPSIS's squared distances per cell, kept between redraws
  var tables = null;          // ... and the terms per code of two criteria
  var landIdx, cx, cy, la, exclBits, exclNodata, prevDev = null, raws = {}, rawQ = {};
  var best = new Float64Array(K), worst = new Float64Array(K);
  D.raw.forEach(function (r) { raws[r.name] = r; });

  function u16x(buf, off, n, base) {  // difference from a decoded base array, two planes
    var out = new Uint16Array(n);
    for (var i = 0; i < n; i++) out[i] = (base[i] + ((buf[off + i] << 8) | buf[off + n + i])) & 0xffff;
    return out;
  }

  function decode(buf) {
    D.arrays.forEach(function (a) {
      A[a.name] = a.kind === "u8" ? buf.subarray(a.offset, a.offset + a.count)
                : a.kind === "u16x" ? u16x(buf, a.offset, a.count, A[a.base])
                : u16d(buf, a.offset, a.count);
    });
    var land = A.land, W = G.width;
    landIdx = new Int32Array(N);
    cx = new Float64Array(N); cy = new Float64Array(N);
    for (var p = 0, i = 0; p < land.length; p++) {
      if (land[p]) {
        landIdx[i] = p;
        var row = Math.floor(p / W), col = p - row * W;
        cx[i] = G.x0 + G.res * (col + 0.5);          // as GridSpec.xy
        cy[i] = G.y1 - G.res * (row + 0.5);
        i++;
      }
    }
    la = A.la; exclBits = A.excl; exclNodata = A.excl_nodata; prevDev = A.prevdev || null;
    buildCriteria();
  }

  // The criteria of the chosen network year (D.networkYears): arrays "v:NAME@YEAR" and
  // "r:NAME@YEAR" replace the base year's for the network-year criteria.
  function yearArray(key) {
    var y = S.networkYear, k = key + "@" + y;
    return (y !== null && y !== (D.networkYears || {}).current && A[k]) ? A[k] : A[key];
  }
  function buildCriteria() {
    var i;
    vals = []; haveMask = []; patHave = []; Qcol = []; Qn = [];
    var codes = new Float64Array(N);
    for (var j = 0; j < K; j++) {
      var q = yearArray("v:" + D.criteria[j].name), v = new Float64Array(N), hm = null;
      var hi = -Infinity, lo = Infinity, bit = Math.pow(2, j);
      for (i = 0; i < N; i++) {
        var x = q[i];
        if (x === NODATA) {
          if (!hm) { hm = new Uint8Array(N).fill(1); }
          hm[i] = 0; codes[i] += bit;
        } else {
          var d = x / QMAX;
          v[i] = d;
          if (d > hi) hi = d;
          if (d < lo) lo = d;
        }
      }
      vals.push(v); haveMask.push(hm); best[j] = hi; worst[j] = lo;
      var qc = new Uint16Array(N);
      for (i = 0; i < N; i++) { var qq = q[i]; qc[i] = qq === NODATA ? 0 : qq; }
      Qcol.push(qc); Qn.push(q);
    }
    var ids = new Map();
    pattern = new Uint16Array(N);
    for (i = 0; i < N; i++) {
      var c = codes[i], id = ids.get(c);
      if (id === undefined) {
        id = ids.size; ids.set(c, id);
        var h = [];
        for (j = 0; j < K; j++) h.push(Math.floor(c / Math.pow(2, j)) % 2 === 0);
        patHave.push(h);
      }
      pattern[i] = id;
    }
    D.raw.forEach(function (r) { rawQ[r.name] = yearArray("r:" + r.name); });
  }

  function rawValue(name, i) {
    var r = raws[name], q = rawQ[name][i];
    if (q === NODATA) return NaN;
    if (r.table) return r.table[q];
    return r.lo + q * (r.hi - r.lo) / QMAX;
  }

  // ------------------------------------------------------------------ weights
  function effectiveRaw() {
    return D.criteria.map(function (c, j) { return S.raw[j] * S.themeFactor[c.theme]; });
  }
  function normalisedWeights() {
    var r = effectiveRaw(), total = 0, j;
    for (j = 0; j < K; j++) total += r[j];
    var w = new Float64Array(K);
    if (!(total > 0)) return null;
    for (j = 0; j < K; j++) w[j] = r[j] / total;
    return w;
  }

  // ------------------------------------------------------------------ scoring kernels
  function coverageByPattern(w) {
    var cov = new Float64Array(patHave.length);
    for (var p = 0; p < patHave.length; p++) {
      var s = 0;
      for (var j = 0; j < K; j++) s = s + (patHave[p][j] ? w[j] : 0);
      cov[p] = s;
    }
    return cov;
  }
  // One pass over the cells, criteria accumulated in order j = 0..K-1 from 0; the Python
  // twin (explorer.page_scores) performs the same operations in the same order.
  // Criterion by criterion (j = 0..K-1, from 0): one simple pass each over a Uint16Array
  // (a zero weight adds exactly +0, so it is skipped). explorer.page_scores does the same.
  // Up to four criteria per pass; within a cell the additions still run j = 0, 1, 2, ...
  function scoreWLC(w, out) {
    var i, j, n = N, act = [];
    for (j = 0; j < K; j++) if (w[j] > 0) act.push(j);
    out.fill(0);
    for (var g = 0; g < act.length; g += 4) {
      var m = Math.min(4, act.length - g), a = act[g], b = act[g + 1], c = act[g + 2], d = act[g + 3];
      var wa = w[a] / QMAX, qa = Qcol[a];
      if (m === 1) { for (i = 0; i < n; i++) out[i] += wa * qa[i]; continue; }
      var wb = w[b] / QMAX, qb = Qcol[b];
      if (m === 2) { for (i = 0; i < n; i++) { var s2 = out[i] + wa * qa[i]; out[i] = s2 + wb * qb[i]; } continue; }
      var wc = w[c] / QMAX, qc = Qcol[c];
      if (m === 3) {
        for (i = 0; i < n; i++) { var s3 = out[i] + wa * qa[i]; s3 = s3 + wb * qb[i]; out[i] = s3 + wc * qc[i]; }
        continue;
      }
      var wd = w[d] / QMAX, qd = Qcol[d];
      for (i = 0; i < n; i++) {
        var s4 = out[i] + wa * qa[i]; s4 = s4 + wb * qb[i]; s4 = s4 + wc * qc[i]; out[i] = s4 + wd * qd[i];
      }
    }
    var cov = coverageByPattern(w), pat = pattern;
    for (i = 0; i < n; i++) { var cv = cov[pat[i]]; out[i] = cv > 0 ? out[i] / cv : NaN; }
    return out;
  }
  // Two criteria per pass over their Uint16Arrays (as scoreWLC), each code's two terms
  // computed once per criterion into a table (the same expressions as per cell; NODATA
  // adds 0): within a cell the squared distances are still added j = 0, 1, 2, ... from 0,
  // the same sums as cell by cell, in 60 % of the time.
  function termTable(w, j, fixed, t) {
    var w2 = w[j] * w[j], b = fixed ? 1 : best[j], ww = fixed ? 0 : worst[j];
    for (var x = 0; x < NODATA; x++) {
      var v = x / QMAX, a = v - b, c = v - ww;
      t.p[x] = w2 * (a * a);
      t.m[x] = w2 * (c * c);
    }
    t.p[NODATA] = 0; t.m[NODATA] = 0;
    return t;
  }
  function scoreTOPSIS(w, out) {
    var fixed = S.ideal === "fixed", i, j, n = N, act = [];
    for (j = 0; j < K; j++) if (w[j] > 0) act.push(j);
    if (!tdp || tdp.length !== n) { tdp = new Float64Array(n); tdm = new Float64Array(n); }
    if (!tables) {
      tables = [0, 1].map(function () {
        return {p: new Float64Array(NODATA + 1), m: new Float64Array(NODATA + 1)};
      });
    }
    var dp = tdp.fill(0), dm = tdm.fill(0);
    for (var g = 0; g < act.length; g += 2) {
      var A = termTable(w, act[g], fixed, tables[0]), qa = Qn[act[g]], pa = A.p, ma = A.m;
      if (g + 1 === act.length) {
        for (i = 0; i < n; i++) { var x = qa[i]; dp[i] += pa[x]; dm[i] += ma[x]; }
        continue;
      }
      var B = termTable(w, act[g + 1], fixed, tables[1]), qb = Qn[act[g + 1]], pb = B.p, mb = B.m;
      for (i = 0; i < n; i++) {
        var xa = qa[i], xb = qb[i];
        var sp = dp[i] + pa[xa], sm = dm[i] + ma[xa];
        dp[i] = sp + pb[xb]; dm[i] = sm + mb[xb];
      }
    }
    var cov = coverageByPattern(w);
    for (i = 0; i < n; i++) {
      var p = Math.sqrt(dp[i]), m = Math.sqrt(dm[i]);
      var s = p + m > 0 ? m / (p + m) : 0.5;
      out[i] = cov[pattern[i]] > 0 ? s : NaN;
    }
    return out;
  }

  // ------------------------------------------------------------------ exclusions
  var exclCacheKey = null;
  function constraintLabel(c, k) {
    var name = D.constraints[k].name;
    if (c.min !== null && c.max !== null) return gfmt(c.min) + " <= " + name + " <= " + gfmt(c.max);
    if (c.max !== null) return name + " <= " + gfmt(c.max);
    return name + " >= " + gfmt(c.min);
  }
  function excludedMask() {
    var key = JSON.stringify([S.exclusionOn, S.exceptOn, S.constraints]);
    if (key === exclCacheKey) return S.excluded;
    var mask = 0, lifted = 0;
    S.exclusionOn.forEach(function (on, b) { if (on) mask |= (1 << b); });
    if (prevDev) S.exceptOn.forEach(function (on, b) { if (on) lifted |= (1 << b); });
    var keep = mask & ~lifted;   // the exclusions that still apply on previously developed land
    var ex = new Uint8Array(N), i;
    for (i = 0; i < N; i++) ex[i] = (exclBits[i] & (prevDev && prevDev[i] ? keep : mask)) ? 1 : 0;
    S.constraints.forEach(function (c, k) {
      if (c.min === null && c.max === null) return;
      var name = D.constraints[k].name;
      // The store's raw values are float32, compared in float32 as NumPy does.
      var lo = c.min === null ? null : Math.fround(c.min), hi = c.max === null ? null : Math.fround(c.max);
      for (i = 0; i < N; i++) {
        var r = rawValue(name, i);
        if (r !== r) { if (c.missing === "exclude") ex[i] = 1; continue; }
        if ((lo !== null && r < lo) || (hi !== null && r > hi)) ex[i] = 1;
      }
    });
    exclCacheKey = key;
    S.excluded = ex;
    return ex;
  }
  function reasonsAt(i) {
    var out = [], unassessed = [], allowed = [];
    D.exclusions.forEach(function (e, b) {
      if (!S.exclusionOn[b]) return;
      if ((exclBits[i] & (1 << b)) && S.exceptOn[b] && prevDev && prevDev[i])
        allowed.push("inside " + e.title + " (" + e.name + "), allowed: previously developed land");
      else if (exclBits[i] & (1 << b)) out.push("in an excluded area: " + e.name + " (" + e.title + ")");
      else if (exclNodata[i] & (1 << b)) unassessed.push(e.name);
    });
    S.constraints.forEach(function (c, k) {
      if (c.min === null && c.max === null) return;
      var name = D.constraints[k].name, r = rawValue(name, i);
      var lo = c.min === null ? null : Math.fround(c.min), hi = c.max === null ? null : Math.fround(c.max);
      var unit = D.constraints[k].unit;
      if (r !== r) {
        if (c.missing === "exclude") out.push("no data for constraint " + constraintLabel(c, k));
        else unassessed.push(constraintLabel(c, k));
      } else if ((lo !== null && r < lo) || (hi !== null && r > hi)) {
        out.push(("fails constraint " + constraintLabel(c, k) + " " + unit).trim());
      }
    });
    return {excluded: out, unassessed: unassessed, allowed: allowed};
  }

  // ------------------------------------------------------------------ sites
  var binBuf = null;
  function pickSites(top, ranked) {
    var sepM = 1000.0 * S.sepKm, r2 = sepM * sepM, i;
    var lo = S.stats.lo, hi = S.stats.hi, ok = S.stats.ok;
    if (!ok) return [];
    var BINS = 4096, hist = new Int32Array(BINS), scale = hi > lo ? BINS / (hi - lo) : 0;
    if (!binBuf) binBuf = new Int16Array(N);
    var bins = binBuf, b;
    for (i = 0; i < N; i++) {
      var v = ranked[i];
      if (v === v) { b = Math.floor((v - lo) * scale); if (b >= BINS) b = BINS - 1; bins[i] = b; hist[b]++; }
      else bins[i] = -1;
    }
    var want = Math.max(2000, top * 100);
    for (;;) {
      // Every cell in the top bins: a prefix of the full order (score desc, then position).
      var count = 0, cut = BINS;
      while (cut > 0 && count < want) { cut--; count += hist[cut]; }
      var cand = new Int32Array(count), m = 0;
      for (i = 0; i < N; i++) if (bins[i] >= cut) cand[m++] = i;
      cand.sort(function (a, b) { return (ranked[b] - ranked[a]) || (a - b); });
      var kept = [];
      for (var c = 0; c < m && kept.length < top; c++) {
        var p = cand[c], far = true;
        for (var k = 0; k < kept.length; k++) {
          var dx = cx[p] - cx[kept[k]], dy = cy[p] - cy[kept[k]];
          if (dx * dx + dy * dy <= r2) { far = false; break; }
        }
        if (far) kept.push(p);
      }
      if (kept.length === top || count >= ok) return kept;
      want *= 4;
    }
  }
  var nameCache = new Map();
  function featureName(x, y) {      // as growthzones.ranking.name_features
    var F = D.features, rad = D.featureRadiusKm * 1000, best = -1, bestT = Infinity, bestD = Infinity;
    if (!F) return "";
    for (var i = 0; i < F.label.length; i++) {
      var dx = F.e[i] - x, dy = F.n[i] - y, d = Math.sqrt(dx * dx + dy * dy);
      if (d <= rad && (F.tier[i] < bestT || (F.tier[i] === bestT && d < bestD))) {
        best = i; bestT = F.tier[i]; bestD = d;
      }
    }
    return best >= 0 ? F.label[best] : "";
  }
  function placeName(x, y) {        // as growthzones.ranking.name_sites
    var key = x + "," + y, hit = nameCache.get(key);
    if (hit !== undefined) return hit;
    var feature = featureName(x, y);
    if (feature) { nameCache.set(key, feature); return feature; }
    var P = D.places, rad = D.placeRadiusKm * 1000, bestI = -1, bestV = -Infinity, near = -1, nearD = Infinity;
    for (var i = 0; i < P.name.length; i++) {
      var dx = P.e[i] - x, dy = P.n[i] - y, d = Math.sqrt(dx * dx + dy * dy);
      if (d < nearD) { nearD = d; near = i; }
      if (d <= rad) {
        var dk = d / 1000 + 1, v = P.pop[i] / (dk * dk);   // population discounted by distance
        if (v > bestV) { bestV = v; bestI = i; }
      }
    }
    var k = bestI >= 0 ? bestI : near, name = k >= 0 ? "near " + P.name[k] : "";
    nameCache.set(key, name);
    return name;
  }
  function council(i) { var k = la[i]; return k > 0 && k <= D.las.length ? D.las[k - 1] : ""; }
  function siteRecord(p, rank) {
    return {rank: rank, pos: p, score: S.ranked[p], easting: cx[p], northing: cy[p],
            name: placeName(cx[p], cy[p]), localAuthority: council(p)};
  }

  // ------------------------------------------------------------------ drawing
  var canvas, ctx, image, px, palette = new Uint32Array(256), map, siteLayer;
  function hexRgb(h) { return [1, 3, 5].map(function (k) { return parseInt(h.slice(k, k + 2), 16); }); }
  function buildPalette() {
    var anchors = VIRIDIS.map(hexRgb);
    for (var t = 0; t < 255; t++) {
      var f = t / 254 * (anchors.length - 1), a = Math.floor(f), b = Math.min(a + 1, anchors.length - 1), u = f - a;
      var rgb = [0, 1, 2].map(function (k) { return Math.round(anchors[a][k] + u * (anchors[b][k] - anchors[a][k])); });
      palette[t] = (255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0];
    }
    var e = EXCLUDED_RGBA;
    palette[255] = (e[3] << 24) | (e[2] << 16) | (e[1] << 8) | e[0];
  }
  function drawSurface() {
    var r = S.ranked, sc = S.score, lo = S.stats.lo, hi = S.stats.hi, i, n = N, P = px, idx = landIdx, pal = palette;
    var k = hi > lo ? 254 / (hi - lo) : 0, excl = pal[255];
    for (i = 0; i < n; i++) {
      var v = r[i];
      P[idx[i]] = v === v ? pal[((v - lo) * k + 0.5) | 0] : (sc[i] === sc[i] ? excl : 0);
    }
    ctx.putImageData(image, 0, 0);
    S.range = [lo, hi];
  }
  var markers = [], tableRows = [];
  function drawSites() {
    // One marker per rank, made once; a re-score only moves them (rank k stays marker k).
    while (markers.length < S.sites.length) {
      (function (k) {
        var m = L.circleMarker([0, 0], {radius: 8, color: "#111", weight: 1.5,
                                        fillColor: "#e4572e", fillOpacity: 0.95});
        m.bindTooltip(String(k + 1), {permanent: true, direction: "center", className: "gz-rank"});
        m.on("click", function (ev) { L.DomEvent.stopPropagation(ev); showCell(S.sites[k].pos); });
        markers.push(m);
      })(markers.length);
    }
    markers.forEach(function (m, k) {
      var site = S.sites[k];
      if (!site) { if (siteLayer.hasLayer(m)) siteLayer.removeLayer(m); return; }
      var ll = m.getLatLng();
      if (ll.lat !== site.northing || ll.lng !== site.easting) m.setLatLng([site.northing, site.easting]);
      if (!siteLayer.hasLayer(m)) siteLayer.addLayer(m);
    });
  }
  function td(text, cls) { var c = document.createElement("td"); c.textContent = text; if (cls) c.className = cls; return c; }
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
  function drawTable() {
    var body = el("gz-table").tBodies[0];
    while (tableRows.length < S.sites.length) {
      (function (k) {
        var tr = document.createElement("tr");
        tr.appendChild(td(String(k + 1), "num"));
        ["", "", "num", "num", "num"].forEach(function (cls) { tr.appendChild(td("", cls)); });
        tr.addEventListener("click", function () {
          var s = S.sites[k]; showCell(s.pos); map.panTo([s.northing, s.easting]);
        });
        tableRows.push(tr);
        body.appendChild(tr);
      })(tableRows.length);
    }
    tableRows.forEach(function (tr, k) {
      var s = S.sites[k];
      tr.hidden = !s;
      if (!s) return;
      var c = tr.cells;
      setText(c[1], s.name); setText(c[2], s.localAuthority); setText(c[3], s.score.toFixed(4));
      setText(c[4], String(Math.round(s.easting))); setText(c[5], String(Math.round(s.northing)));
    });
  }
  function updateWeightOutputs() {
    var w = S.w;
    D.criteria.forEach(function (c, j) {
      var o = el("gz-w-" + j + "-out");
      if (o) o.textContent = w ? (100 * w[j]).toFixed(1) + "%" : "–";
    });
    Object.keys(S.themeFactor).forEach(function (t) {
      var o = el("gz-t-" + t + "-out");
      if (o) o.textContent = "×" + S.themeFactor[t].toFixed(2);
    });
  }

  // ------------------------------------------------------------------ update
  function update() {
    var t0 = performance.now();
    S.w = normalisedWeights();
    updateWeightOutputs();
    if (!S.w) { setStatus("All weights are zero: give at least one criterion a weight."); return; }
    if (!S.score) { S.score = new Float64Array(N); S.ranked = new Float64Array(N); }
    if (S.method === "topsis") scoreTOPSIS(S.w, S.score); else scoreWLC(S.w, S.score);
    var ex = excludedMask(), i, sc = S.score, rk = S.ranked, lo = Infinity, hi = -Infinity, ok = 0;
    for (i = 0; i < N; i++) {
      if (ex[i]) { rk[i] = NaN; continue; }
      var v = sc[i];
      rk[i] = v;
      if (v === v) { ok++; if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    S.stats = {lo: lo, hi: hi, ok: ok};
    var t1 = performance.now();
    drawSurface();
    var t2 = performance.now();
    S.sites = pickSites(S.top, S.ranked).map(function (p, k) { return siteRecord(p, k + 1); });
    var t3 = performance.now();
    drawSites(); drawTable();
    if (S.selected !== null) showCell(S.selected);
    var t4 = performance.now();
    S.timings = {scoreMs: t1 - t0, surfaceMs: t2 - t1, sitesMs: t3 - t2, tableMs: t4 - t3, totalMs: t4 - t0};
    setStatus(N.toLocaleString("en-GB") + " land cells re-scored (" + S.method.toUpperCase() + ") and "
              + S.sites.length + " sites picked in " + (t4 - t0).toFixed(0) + " ms");
  }
  function changed(ev) {
    update();
    if (S.recordLatency && ev && ev.timeStamp) {
      var start = ev.timeStamp;
      requestAnimationFrame(function () {
        setTimeout(function () { S.latencies.push(performance.now() - start); }, 0);
      });
    }
  }

  // ------------------------------------------------------------------ cell panel
  function percentile(i) {
    var excl = S.ranked[i] !== S.ranked[i], arr = excl ? S.score : S.ranked, s = arr[i], below = 0, tot = 0;
    if (s !== s) return NaN;
    for (var k = 0; k < N; k++) { var v = arr[k]; if (v === v) { tot++; if (v < s) below++; } }
    return 100 * below / tot;
  }
  function explain(i) {
    var w = S.w, cov = 0, j, rows = [];
    for (j = 0; j < K; j++) if (patHave[pattern[i]][j]) cov += w[j];
    var tot = 0, parts = [];
    if (S.method === "topsis") {
      for (j = 0; j < K; j++) {
        var has = patHave[pattern[i]][j], ww = S.ideal === "fixed" ? 0 : worst[j];
        parts.push(has ? w[j] * w[j] * (vals[j][i] - ww) * (vals[j][i] - ww) : 0);
        tot += parts[j];
      }
    }
    for (j = 0; j < K; j++) {
      var c = D.criteria[j], have = patHave[pattern[i]][j], share = have && cov > 0 ? w[j] / cov : 0;
      var contrib = S.method === "topsis" ? (tot > 0 ? S.score[i] * parts[j] / tot : S.score[i] * share)
                                          : share * (have ? vals[j][i] : 0);
      rows.push({name: c.name, title: c.title, unit: c.unit, raw: rawValue(c.name, i),
                 value: have ? vals[j][i] : null, weight: w[j], contribution: contrib});
    }
    var why = reasonsAt(i);
    return {pos: i, easting: cx[i], northing: cy[i], score: S.ranked[i] === S.ranked[i] ? S.ranked[i] : null,
            scoreBeforeExclusions: S.score[i] === S.score[i] ? S.score[i] : null,
            percentile: percentile(i), coverage: cov, excluded: why.excluded.length > 0,
            reasons: why.excluded, unassessed: why.unassessed, allowed: why.allowed, criteria: rows,
            localAuthority: council(i), place: placeName(cx[i], cy[i]),
            constraints: D.constraints.map(function (c) { return {name: c.name, raw: rawValue(c.name, i), unit: c.unit}; })};
  }
  function showCell(i) {
    S.selected = i;
    var e = explain(i), box = el("gz-cell-body"), f = document.createDocumentFragment();
    var head = document.createElement("p");
    head.textContent = "E " + Math.round(e.easting) + ", N " + Math.round(e.northing) + " (EPSG:27700) · "
      + e.localAuthority + " · " + e.place;
    f.appendChild(head);
    var p = document.createElement("p");
    p.textContent = "Score " + fmt(e.score === null ? NaN : e.score, 4) + " (before exclusions "
      + fmt(e.scoreBeforeExclusions, 4) + ") · national percentile " + fmt(e.percentile, 1)
      + " · coverage " + fmt(100 * e.coverage, 1) + "%";
    f.appendChild(p);
    e.reasons.forEach(function (r) { var q = document.createElement("p"); q.className = "gz-excluded"; q.textContent = "Excluded: " + r; f.appendChild(q); });
    e.allowed.forEach(function (r) { var q = document.createElement("p"); q.textContent = "Exception: " + r; f.appendChild(q); });
    if (e.unassessed.length) { var u = document.createElement("p"); u.textContent = "Not assessed (no data): " + e.unassessed.join(", "); f.appendChild(u); }
    var t = document.createElement("table"), hr = document.createElement("tr");
    ["Criterion", "Raw", "Unit", "Value", "Weight", "Contribution"].forEach(function (h) { var th = document.createElement("th"); th.textContent = h; hr.appendChild(th); });
    t.appendChild(hr);
    e.criteria.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.appendChild(td(r.title)); tr.appendChild(td(fmt(r.raw, 3), "num")); tr.appendChild(td(r.unit));
      tr.appendChild(td(r.value === null ? "no data" : fmt(r.value, 3), "num"));
      tr.appendChild(td((100 * r.weight).toFixed(1) + "%", "num")); tr.appendChild(td(fmt(r.contribution, 4), "num"));
      tr.title = r.name;
      t.appendChild(tr);
    });
    e.constraints.forEach(function (c) {
      if (e.criteria.some(function (r) { return r.name === c.name; })) return;
      var tr = document.createElement("tr");
      tr.appendChild(td(c.name + " (constraint)")); tr.appendChild(td(fmt(c.raw, 3), "num")); tr.appendChild(td(c.unit));
      t.appendChild(tr);
    });
    f.appendChild(t);
    box.replaceChildren(f);
  }
  function cellAt(x, y) {
    var col = Math.floor((x - G.x0) / G.res), row = Math.floor((G.y1 - y) / G.res);
    if (col < 0 || col >= G.width || row < 0 || row >= G.height) return -1;
    var flat = row * G.width + col, lo = 0, hi = N - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (landIdx[mid] === flat) return mid;
      if (landIdx[mid] < flat) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  // ------------------------------------------------------------------ controls
  function slider(id, min, max, step, value, label, title, onInput) {
    var row = document.createElement("div"); row.className = "gz-row";
    var lab = document.createElement("label"); lab.htmlFor = id; lab.textContent = label; lab.title = title || label;
    var inp = document.createElement("input"); inp.type = "range"; inp.id = id;
    inp.min = String(min); inp.max = String(max); inp.step = String(step); inp.value = String(value);
    inp.addEventListener("input", onInput);
    var out = document.createElement("output"); out.id = id + "-out";
    row.appendChild(lab); row.appendChild(inp); row.appendChild(out);
    return row;
  }
  function buildControls() {
    el("gz-title").textContent = D.title;
    el("gz-desc").textContent = D.scenario.description;
    el("gz-method").value = S.method;
    el("gz-method").addEventListener("change", function (ev) { S.method = ev.target.value; changed(ev); });
    if (D.networkYears) {
      var ys = el("gz-year");
      D.networkYears.snapshots.forEach(function (y) {
        var o = document.createElement("option");
        o.value = String(y.snapshot); o.textContent = y.label;
        if (y.snapshot === D.networkYears.current) o.selected = true;
        ys.appendChild(o);
      });
      el("gz-year-section").hidden = false;
      ys.addEventListener("change", function (ev) {
        S.networkYear = Number(ev.target.value); buildCriteria(); changed(ev);
      });
    }
    var box = el("gz-weights"), themes = [];
    D.criteria.forEach(function (c) { if (themes.indexOf(c.theme) < 0) themes.push(c.theme); });
    themes.forEach(function (t) {
      var div = document.createElement("div"); div.className = "gz-theme";
      var title = D.criteria.filter(function (c) { return c.theme === t; })[0].themeTitle;
      div.appendChild(slider("gz-t-" + t, 0, 3, 0.05, 1, title, "Multiplies every weight in " + title, function (ev) {
        S.themeFactor[t] = Number(ev.target.value); changed(ev);
      }));
      div.firstChild.firstChild.style.fontWeight = "700";
      D.criteria.forEach(function (c, j) {
        if (c.theme !== t) return;
        div.appendChild(slider("gz-w-" + j, 0, Math.max(10, 2 * c.weight), 0.05, c.weight, c.title,
                               c.name + ": " + c.description, function (ev) {
          S.raw[j] = Number(ev.target.value); changed(ev);
        }));
      });
      box.appendChild(div);
    });
    var ex = el("gz-exclusions");
    D.exclusions.forEach(function (e, b) {
      var lab = document.createElement("label"); lab.className = "gz-check";
      var cb = document.createElement("input"); cb.type = "checkbox"; cb.id = "gz-x-" + e.name; cb.checked = e.on;
      cb.addEventListener("change", function (ev) { S.exclusionOn[b] = ev.target.checked; changed(ev); });
      lab.appendChild(cb); lab.appendChild(document.createTextNode(" " + e.title));
      lab.title = e.name;
      ex.appendChild(lab);
      if (!D.hasPrevDev) return;
      var lx = document.createElement("label"); lx.className = "gz-check gz-except";
      var cx2 = document.createElement("input"); cx2.type = "checkbox"; cx2.id = "gz-xe-" + e.name; cx2.checked = !!e.exceptPD;
      cx2.addEventListener("change", function (ev) { S.exceptOn[b] = ev.target.checked; changed(ev); });
      lx.appendChild(cx2); lx.appendChild(document.createTextNode(" except on previously developed land"));
      lx.title = "except_previously_developed: " + e.name;
      ex.appendChild(lx);
    });
    var cs = el("gz-constraints");
    if (!D.constraints.length) cs.appendChild(document.createTextNode("None in this scenario."));
    D.constraints.forEach(function (c, k) {
      var r = raws[c.name], lo = r.table ? r.table[0] : r.lo, hi = r.table ? r.table[r.table.length - 1] : r.hi;
      ["min", "max"].forEach(function (bound) {
        if (c[bound] === null) return;
        var step = (hi - lo) / 200 || 1;
        var row = slider("gz-c-" + bound + "-" + c.name, lo, hi, step, c[bound], c.title + " " + (bound === "min" ? "≥" : "≤"),
                         c.name, function (ev) {
          S.constraints[k][bound] = Number(ev.target.value); out.textContent = gfmt(S.constraints[k][bound]) + " " + c.unit; changed(ev);
        });
        var out = row.lastChild; out.textContent = gfmt(c[bound]) + " " + c.unit;
        row.style.gridTemplateColumns = "1fr 110px 64px";
        cs.appendChild(row);
      });
    });
    el("gz-export").addEventListener("click", function () {
      var text = exportScenario(), ta = el("gz-toml"), a = el("gz-download");
      ta.value = text; ta.hidden = false;
      if (a.href) URL.revokeObjectURL(a.href);
      a.href = URL.createObjectURL(new Blob([text], {type: "application/toml"}));
      a.hidden = false;
    });
    var src = el("gz-sources");
    D.attributions.forEach(function (t) { var li = document.createElement("li"); li.textContent = t; src.appendChild(li); });
  }

  // ------------------------------------------------------------------ TOML export
  function tomlString(s) { return JSON.stringify(String(s)).replace(/\u007f/g, "\\u007f"); }
  function tomlValue(v) {
    if (v === null || v === undefined) throw new Error("TOML has no null");
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
      if (!isFinite(v)) throw new Error("TOML export: not a finite number: " + v);
      return String(v);
    }
    if (typeof v === "string") return tomlString(v);
    if (Array.isArray(v)) return "[" + v.map(tomlValue).join(", ") + "]";
    return "{ " + Object.keys(v).filter(function (k) { return v[k] !== null; }).map(function (k) {
      return tomlKey(k) + " = " + tomlValue(v[k]);
    }).join(", ") + " }";
  }
  function tomlKey(k) { return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k); }
  function exportScenario() {
    var T = D.scenario.toml, eff = effectiveRaw(), lines = [];
    lines.push("# Exported from the growthzones explorer; run it with");
    lines.push("#   growthzones run --scenario this-file.toml");
    lines.push("name = " + tomlString(T.name));
    lines.push("description = " + tomlString(T.description));
    if (D.networkYears) lines.push("network_year = " + String(S.networkYear === D.networkYears.current
                                                              ? D.networkYears.year : S.networkYear));
    D.criteria.forEach(function (c, j) {
      var src = T.criteria[c.name];
      lines.push("");
      lines.push("[criteria." + tomlKey(c.name) + "]");
      lines.push("weight = " + tomlValue(eff[j]));
      lines.push("direction = " + tomlString(src.direction));
      lines.push("transform = " + tomlValue(src.transform));
    });
    if (S.method !== "wlc") {
      lines.push(""); lines.push("[aggregation]");
      lines.push("method = " + tomlString(S.method));
      if (S.method === "topsis") lines.push("ideal = " + tomlString(S.ideal));
    }
    if (D.constraints.length) {
      lines.push(""); lines.push("[constraints]");
      D.constraints.forEach(function (c, k) {
        var v = S.constraints[k], o = {};
        if (v.min !== null) o.min = v.min;
        if (v.max !== null) o.max = v.max;
        o.missing = v.missing;
        lines.push(tomlKey(c.name) + " = " + tomlValue(o));
      });
    }
    lines.push(""); lines.push("[exclusions]");
    D.exclusions.forEach(function (e, b) { lines.push(tomlKey(e.name) + " = " + (S.exclusionOn[b] ? "true" : "false")); });
    var lifted = D.exclusions.filter(function (e, b) { return S.exclusionOn[b] && S.exceptOn[b]; })
                             .map(function (e) { return tomlString(e.name); });
    if (lifted.length && D.hasPrevDev) lines.push("except_previously_developed = [" + lifted.join(", ") + "]");
    lines.push(""); lines.push("[sites]");
    lines.push("top = " + String(Math.round(S.top)));
    lines.push("min_separation_km = " + tomlValue(S.sepKm));
    return lines.join("\n") + "\n";
  }

  // ------------------------------------------------------------------ map
  function buildMap() {
    var res = G.res;
    var crs = L.extend({}, L.CRS.Simple, {
      transformation: new L.Transformation(1 / res, -G.x0 / res, -1 / res, G.y1 / res)
    });
    map = L.map("gz-map", {crs: crs, minZoom: -3, maxZoom: 5, zoomSnap: 0.25, zoomDelta: 0.5,
                           attributionControl: false, preferCanvas: true});
    var bounds = [[G.y0, G.x0], [G.y1, G.x1]];
    map.fitBounds(bounds);
    canvas = document.createElement("canvas");
    canvas.width = G.width; canvas.height = G.height;
    ctx = canvas.getContext("2d");
    image = ctx.createImageData(G.width, G.height);
    px = new Uint32Array(image.data.buffer);
    L.svgOverlay(canvas, bounds, {className: "gz-surface", interactive: false}).addTo(map);
    var lines = D.basemap.map(function (ring) {
      var out = [], x = 0, y = 0;
      for (var k = 0; k < ring.length; k += 2) { x += ring[k]; y += ring[k + 1]; out.push([y, x]); }
      return out;
    });
    L.polyline(lines, {color: "#666", weight: 0.6, opacity: 0.8, interactive: false,
                       renderer: L.canvas({padding: 0.2})}).addTo(map);
    siteLayer = L.layerGroup().addTo(map);
    map.on("click", function (ev) {
      var i = cellAt(ev.latlng.lng, ev.latlng.lat);
      if (i >= 0) showCell(i);
    });
  }

  // ------------------------------------------------------------------ API
  function indexOfCriterion(name) {
    for (var j = 0; j < K; j++) if (D.criteria[j].name === name) return j;
    throw new Error("unknown criterion '" + name + "'; this page has: "
                    + D.criteria.map(function (c) { return c.name; }).join(", "));
  }
  function syncSliders() {
    D.criteria.forEach(function (c, j) { var s = el("gz-w-" + j); if (s) s.value = String(S.raw[j]); });
    Object.keys(S.themeFactor).forEach(function (t) { var s = el("gz-t-" + t); if (s) s.value = String(S.themeFactor[t]); });
    D.exclusions.forEach(function (e, b) { var s = el("gz-x-" + e.name); if (s) s.checked = S.exclusionOn[b]; });
    D.exclusions.forEach(function (e, b) { var s = el("gz-xe-" + e.name); if (s) s.checked = S.exceptOn[b]; });
    el("gz-method").value = S.method;
    if (D.networkYears) el("gz-year").value = String(S.networkYear);
  }
  var resolveReady, rejectReady;
  var api = {
    ready: new Promise(function (res, rej) { resolveReady = res; rejectReady = rej; }),
    criteria: D.criteria.map(function (c) { return c.name; }),
    exclusions: D.exclusions.map(function (e) { return e.name; }),
    /** Set raw weights {criterion: weight}; others keep theirs. Re-scores. */
    setWeights: function (weights) {
      Object.keys(weights).forEach(function (name) {
        var v = Number(weights[name]);
        if (!(v >= 0) || !isFinite(v)) throw new Error("weight of " + name + " is " + weights[name] + "; weights must be numbers >= 0");
        S.raw[indexOfCriterion(name)] = v;
      });
      syncSliders(); update();
    },
    /** Multiply every weight of a theme (grid_capacity, land, ...) by factor. */
    setThemeWeight: function (theme, factor) {
      if (!(theme in S.themeFactor)) throw new Error("unknown theme '" + theme + "'; this page has: " + Object.keys(S.themeFactor).join(", "));
      S.themeFactor[theme] = Number(factor); syncSliders(); update();
    },
    /** Normalised weights (sum 1) used for scoring. */
    weights: function () {
      var w = S.w, out = {};
      D.criteria.forEach(function (c, j) { out[c.name] = w ? w[j] : 0; });
      return out;
    },
    setExclusion: function (name, on) {
      var b = api.exclusions.indexOf(name);
      if (b < 0) throw new Error("unknown exclusion '" + name + "'; this page has: " + api.exclusions.join(", "));
      S.exclusionOn[b] = !!on; syncSliders(); update();
    },
    /** Lift (or not) an exclusion where a cell is previously developed, as the scenario
     * key [exclusions] except_previously_developed does. */
    setException: function (name, on) {
      var b = api.exclusions.indexOf(name);
      if (b < 0) throw new Error("unknown exclusion '" + name + "'; this page has: " + api.exclusions.join(", "));
      if (!D.hasPrevDev) throw new Error("this store has no previously_developed layer");
      S.exceptOn[b] = !!on; syncSliders(); update();
    },
    /** Change a constraint's bounds, e.g. setConstraint("campus_room_ha", {min: 100}). */
    setConstraint: function (name, bounds) {
      var k = D.constraints.map(function (c) { return c.name; }).indexOf(name);
      if (k < 0) throw new Error("unknown constraint '" + name + "'; this page has: " + D.constraints.map(function (c) { return c.name; }).join(", "));
      ["min", "max", "missing"].forEach(function (b) { if (b in bounds) S.constraints[k][b] = bounds[b]; });
      update();
    },
    /** ETYS snapshots this page carries (e.g. [2025, 2027, 2029, 2032, 2035]); [] if none. */
    networkYears: D.networkYears ? D.networkYears.snapshots.map(function (y) { return y.snapshot; }) : [],
    /** Show the grid of one snapshot (a value of networkYears). Re-scores. */
    setNetworkYear: function (y) {
      if (api.networkYears.indexOf(y) < 0) throw new Error("network year " + y + " is not in this page; it has: " + api.networkYears.join(", "));
      S.networkYear = y; syncSliders(); buildCriteria(); update();
    },
    networkYear: function () { return S.networkYear; },
    setMethod: function (m) {
      if (m !== "wlc" && m !== "topsis") throw new Error("method '" + m + "' is not available here; use 'wlc' or 'topsis'");
      S.method = m; syncSliders(); update();
    },
    /** The best n separate sites: rank, pos, score, easting, northing (EPSG:27700 m), name. */
    topSites: function (n) {
      n = n === undefined ? S.top : n;
      var list = n === S.top ? S.sites : pickSites(n, S.ranked).map(function (p, k) { return siteRecord(p, k + 1); });
      return list.map(function (s) { return Object.assign({}, s); });
    },
    /** Score of the cell containing (easting, northing); null if excluded or not land. */
    scoreAt: function (x, y) {
      var i = cellAt(x, y);
      return i < 0 || S.ranked[i] !== S.ranked[i] ? null : S.ranked[i];
    },
    /** Everything the cell panel shows, for the cell containing (easting, northing). */
    explainAt: function (x, y) { var i = cellAt(x, y); return i < 0 ? null : explain(i); },
    /** Scores (null where excluded) at land-vector positions. */
    scoresAt: function (positions) {
      return positions.map(function (i) { var s = S.ranked[i]; return s === s ? s : null; });
    },
    select: function (x, y) { var i = cellAt(x, y); if (i >= 0) showCell(i); return i; },
    exportScenario: exportScenario,
    timings: function () { return Object.assign({}, S.timings); },
    /** Input-to-painted latencies (ms) of slider events while recording is on. */
    recordLatency: function (on) { S.recordLatency = !!on; if (on) S.latencies = []; return S.latencies; },
    latencies: function () { return S.latencies.slice(); }
  };
  window.gzExplorer = api;

  // ------------------------------------------------------------------ start
  function start() {
    var t0 = performance.now();
    Promise.resolve().then(function () {
      buildControls();
      buildMap();
      buildPalette();
      return inflate(b64Bytes(el("gz-bin").textContent));
    }).then(function (buf) {
      var t1 = performance.now();
      decode(buf);
      var t2 = performance.now();
      update();
      api.loadTimings = {inflateMs: t1 - t0, decodeMs: t2 - t1, firstScoreMs: performance.now() - t2};
      resolveReady(api);
    }).catch(function (err) {
      setStatus("Could not read the page's data: " + err);
      rejectReady(err);
      throw err;
    });
  }
  start();
})();
