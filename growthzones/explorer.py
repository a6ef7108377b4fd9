"""The explorer: one self-contained HTML page that re-scores Great Britain in the browser.

:func:`render_explorer` builds the page as a string, :func:`write_explorer` writes it
(atomically) and :func:`explore` is the ``growthzones explore`` command behind the CLI.
The page needs no server, no Python and no network: Leaflet is inlined from the
``django-js-lib-leaflet`` package (as in :mod:`growthzones.maps`) and the data travel
in the page.

What the page holds, for every land cell of the store
-----------------------------------------------------
- each of the scenario's criteria, **transformed** to [0, 1] and quantised to 16 bits:
  :math:`q = \\mathrm{rint}(65534\\, v)`, 65535 = no data, decoded as :math:`q / 65534`
  (step :data:`QUANT_STEP`, about 1.5e-5; a score, a weighted mean of such values, is
  within half a step of the one from the float values);
- each criterion's (and each constraint's) **raw** value for the cell panel and the
  constraint thresholds: exact through a table of its distinct values when it has at most
  :data:`MAX_CODEBOOK` of them (e.g. ``campus_room_ha``), else quantised linearly on
  16 bits between its national minimum and maximum;
- for a store with network years (:mod:`growthzones.network_years`), the scenario's
  network-year criteria (transformed and raw) in every other ETYS snapshot, each coded as
  its difference from the page's own year (``u16x``: zero wherever the grid is the same,
  so the five years cost ~0.6 MB at GB 1 km); the page's **Network year** selector
  (``gzExplorer.setNetworkYear(2035)``) swaps them in and re-scores, and its TOML export
  says ``network_year``; raw values of those criteria share one encoding across years;
- every exclusion layer of the store as two bits (excluded, no data), and the
  ``previously_developed`` flag as one byte, so that each exclusion's "except on
  previously developed land" box (the scenario's ``except_previously_developed``) works
  as :mod:`growthzones.scoring.masks` does;
- the council of each cell, the GeoNames places (to name sites as
  :func:`growthzones.sites.name_places` does) and the council outlines (reprojected to
  British National Grid and simplified to :data:`BASEMAP_TOLERANCE_M`).

Arrays are delta-coded along the land vector, their bytes split into planes and the
whole deflated once, then base64-encoded (the browser inflates it with its native
``DecompressionStream``): about 7.4 MB at GB 1 km with the default scenario.

Rendering choice: the map is drawn in British National Grid, not Web Mercator. A
Leaflet ``CRS.Simple`` whose units are metres of EPSG:27700 makes each 1 km cell exactly
one canvas pixel, so the surface is an ``ImageData`` written straight from the scores
(no warping index to ship or apply) and a click converts to a cell by arithmetic. With
no tile server offline, nothing is lost by leaving Mercator.

Scoring in the page mirrors :mod:`growthzones.scoring` (WLC and TOPSIS; OWA is refused)
with the same missing-data rule (weights renormalised over the criteria with data in the
cell), and the sites mirror :func:`growthzones.ranking.top_sites` (score descending, ties
north-west first, greedy separation, inclusive). :func:`page_scores` is the Python twin
of the page's kernel, operation for operation in float64 on the same quantised values,
so tests can require the same cells in the same order.

Every string from the user or the data reaches the page only as JSON inside
``<script type="application/json">`` with ``< > & { } % #`` written as ``\\uXXXX``, and the
page renders it with ``textContent``; the page is assembled by plain string
substitution of a static template (no template engine sees the data).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import os
import re
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from ._errors import InputError, OutputError
from .network_years import root_of
from .scoring.masks import PREVIOUSLY_DEVELOPED

#: Quantisation step of the transformed values (16 bits, 65535 = no data).
QUANT_MAX = 65534
QUANT_STEP = 1.0 / QUANT_MAX
NODATA_Q = 65535
#: A raw layer with at most this many distinct values is shipped exactly (a value table).
MAX_CODEBOOK = 4096
#: Douglas-Peucker tolerance of the council outlines, metres.
BASEMAP_TOLERANCE_M = 300.0
#: The size the page must stay under at GB 1 km with the default scenario (issue #12).
SIZE_BUDGET_BYTES = 10_000_000
AGGREGATIONS = ("wlc", "topsis")
_ASSETS = "explorer_assets"
_THEME_TITLES = {"grid_capacity": "Grid", "post_industrial": "Post-industrial", "land": "Land",
                 "water": "Water", "connectivity": "Connectivity"}
_MARKER = re.compile(r"/\*@GZ_(CSS|LEAFLET_CSS|LEAFLET_JS|JS|DATA|BIN|TITLE)@\*/")
#: characters written as \\uXXXX inside the embedded JSON
_JSON_ESCAPES = {c: f"\\u{ord(c):04x}" for c in "<>&{}%#'"}
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


# --------------------------------------------------------------------------- inputs


def _result(result_or_store, scenario):
    """A :class:`~growthzones.scoring.ScoreResult` from a result, or a store and scenario."""
    from .scenario import Scenario, load_scenario
    from .scoring import ScoreResult, score
    from .store import LayerStore

    if isinstance(result_or_store, ScoreResult):
        if scenario is not None and scenario is not result_or_store.scenario:
            result_or_store = score(result_or_store.store, scenario)
        result = result_or_store
    elif isinstance(result_or_store, LayerStore):
        if scenario is None:
            scenario = load_scenario()
        elif isinstance(scenario, (str, os.PathLike)):
            scenario = load_scenario(scenario)
        elif not isinstance(scenario, Scenario):
            raise InputError(f"scenario is a {type(scenario).__name__}; give a Scenario "
                             f"(gz.load_scenario(...)), a path to a TOML file, or None")
        result = score(result_or_store, scenario)
    else:
        raise InputError(f"the explorer takes a ScoreResult (gz.score(...)) or a LayerStore "
                         f"(gz.load_layers()), not a {type(result_or_store).__name__}")
    method = result.scenario.aggregation.method
    if method not in AGGREGATIONS:
        raise InputError(f"scenario {result.scenario.name!r} aggregates with {method!r}; the "
                         f"explorer re-scores with {' or '.join(AGGREGATIONS)} only: set "
                         f"[aggregation] method = \"wlc\" (or \"topsis\") in the scenario")
    return result


# --------------------------------------------------------------------------- encoding


def quantise(values: np.ndarray) -> np.ndarray:
    """Transformed values in [0, 1] as uint16: ``rint(65534 v)``, 65535 where NaN.

    >>> quantise(np.array([0.0, 0.5, 1.0, np.nan])).tolist()
    [0, 32767, 65534, 65535]
    """
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, NODATA_Q, dtype=np.uint16)
    ok = ~np.isnan(v)
    out[ok] = np.rint(np.clip(v[ok], 0.0, 1.0) * QUANT_MAX).astype(np.uint16)
    return out


def dequantise(q: np.ndarray) -> np.ndarray:
    """float64 values the page uses: ``q / 65534``, NaN where ``q == 65535``.

    >>> dequantise(np.array([0, 65534, 65535], dtype=np.uint16)).tolist()
    [0.0, 1.0, nan]
    """
    q = np.asarray(q)
    return np.where(q == NODATA_Q, np.nan, q / float(QUANT_MAX))


def _delta_planes(q: np.ndarray) -> bytes:
    """uint16 -> differences along the vector (mod 2^16), high bytes then low bytes."""
    d = np.diff(q.astype(np.uint16), prepend=np.uint16(0)).astype("<u2")
    b = d.view(np.uint8).reshape(-1, 2)
    return b[:, 1].tobytes() + b[:, 0].tobytes()


def _raw_encoding(raw: np.ndarray) -> tuple[np.ndarray, dict]:
    """Raw values as uint16 codes and how to decode them (a table or a linear scale)."""
    raw = np.asarray(raw, dtype=np.float32)
    ok = ~np.isnan(raw)
    distinct = np.unique(raw[ok])
    q = np.full(raw.shape, NODATA_Q, dtype=np.uint16)
    if distinct.size <= MAX_CODEBOOK:
        q[ok] = np.searchsorted(distinct, raw[ok]).astype(np.uint16)
        return q, {"table": [float(x) for x in distinct]}
    lo, hi = float(distinct[0]), float(distinct[-1])
    q[ok] = np.rint((raw[ok].astype(np.float64) - lo) / (hi - lo) * QUANT_MAX).astype(np.uint16)
    return q, {"lo": lo, "hi": hi}


def _basemap_bng(basemap: dict | None) -> list[list[int]]:
    """Council outlines as rings of delta-coded integer BNG metres [x0, y0, dx, dy, ...]."""
    if not basemap:
        return []
    import shapely
    from shapely.geometry import shape

    from .grid import to_bng

    geoms = shapely.transform(np.array([shape(f["geometry"]) for f in
                                        basemap.get("features", [])], dtype=object),
                              lambda c: to_bng(c[:, 0], c[:, 1]))
    rings = []
    for geom in shapely.simplify(geoms, BASEMAP_TOLERANCE_M):
        for poly in getattr(geom, "geoms", [geom]):
            if not hasattr(poly, "exterior"):
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.rint(shapely.get_coordinates(ring)).astype(np.int64)
                if len(xy) < 4:
                    continue
                d = np.diff(xy, axis=0, prepend=np.zeros((1, 2), np.int64))
                rings.append(d.ravel().tolist())
    return rings


def _json_for_script(obj) -> str:
    """JSON safe inside ``<script type="application/json">``: risky characters as \\uXXXX."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return _JSON_STRING.sub(
        lambda m: "".join(_JSON_ESCAPES.get(c, c) for c in m.group(0)), text)


def explorer_payload(result) -> tuple[dict, bytes]:
    """The page's data: a JSON-able description and the binary arrays it refers to.

    Parameters
    ----------
    result
        A :class:`~growthzones.scoring.ScoreResult` (its scenario sets the criteria,
        their transforms, starting weights, exclusions and constraints).

    Returns
    -------
    meta, blob
        ``meta["arrays"]`` lists each array's ``name``, ``kind`` (``u16d``: delta-coded
        byte planes; ``u8``: bytes), ``offset`` and ``count`` in ``blob`` (uncompressed).
    """
    store, sc = result.store, result.scenario
    grid = store.grid
    n = len(store.land_index)
    parts: list[bytes] = []
    arrays: list[dict] = []
    offset = 0

    def add(name: str, data: bytes, kind: str, count: int):
        nonlocal offset
        arrays.append({"name": name, "kind": kind, "offset": offset, "count": count})
        parts.append(data)
        offset += len(data)

    land = np.zeros(grid.width * grid.height, dtype=np.uint8)
    land[store.land_index] = 1
    add("land", land.tobytes(), "u8", land.size)

    meta = store.meta
    criteria = []
    for c in sc.criteria:
        info = meta[c.name]
        add(f"v:{c.name}", _delta_planes(quantise(result.values[c.name]
                                                   if c.name in result.values else
                                                   _transformed(store, c))), "u16d", n)
        criteria.append({"name": c.name, "title": info.get("title", c.name),
                         "unit": info.get("unit", ""), "theme": info.get("layer", ""),
                         "themeTitle": _THEME_TITLES.get(info.get("layer", ""),
                                                         info.get("layer", "")),
                         "direction": c.direction, "transform": c.transform,
                         "weight": c.weight, "description": info.get("description", "")})
    raw_names = list(dict.fromkeys([c.name for c in sc.criteria]
                                   + [c.name for c in sc.constraints]))
    years = _other_years(result)  # {snapshot: its result}, for the page's year selector
    year_names = [nm for nm in raw_names if nm in root_of(store).network.get("criteria", ())]
    raws, raw_q = [], {}
    for name in raw_names:
        vec = store.read_vector(name)
        if name in year_names and years:  # one encoding for every year, so codes compare
            allq, dec = _raw_encoding(np.concatenate(
                [vec] + [r.store.read_vector(name) for r in years.values()]))
            raw_q[name] = allq.reshape(len(years) + 1, n)
            q = raw_q[name][0]
        else:
            q, dec = _raw_encoding(vec)
        add(f"r:{name}", _delta_planes(q), "u16d", n)
        raws.append({"name": name, "title": meta[name].get("title", name),
                     "unit": meta[name].get("unit", ""), **dec})
    network = None
    if years:
        for k, (snap, r) in enumerate(years.items(), 1):
            for c in sc.criteria:
                if c.name in year_names:
                    base = quantise(result.values[c.name] if c.name in result.values
                                    else _transformed(store, c))
                    year = quantise(r.values[c.name] if c.name in r.values
                                    else _transformed(r.store, c))
                    add(f"v:{c.name}@{snap}", _diff_planes(year, base), "u16x", n)
                    arrays[-1]["base"] = f"v:{c.name}"
            for name in year_names:
                add(f"r:{name}@{snap}", _diff_planes(raw_q[name][k], raw_q[name][0]),
                    "u16x", n)
                arrays[-1]["base"] = f"r:{name}"
        from .layers.grid_capacity.network import snapshot_label

        snaps = sorted([store.network_snapshot, *years])
        network = {"current": store.network_snapshot, "criteria": year_names,
                   "year": sc.network_year if sc.network_year is not None
                   else store.network_snapshot,
                   "snapshots": [{"snapshot": s, "label": snapshot_label(s)} for s in snaps]}

    excl_names = [k for k, m in meta.items() if m.get("kind") == "exclusion"]
    if len(excl_names) > 16:
        raise InputError(f"the store has {len(excl_names)} exclusion layers; the explorer "
                         f"packs at most 16 per cell")
    bad = np.zeros(n, dtype=np.uint16)
    nodata = np.zeros(n, dtype=np.uint16)
    for i, name in enumerate(excl_names):
        raw = store.read_vector(name)
        bad |= (raw == 1).astype(np.uint16) << i
        nodata |= np.isnan(raw).astype(np.uint16) << i
    add("excl", _delta_planes(bad), "u16d", n)
    add("excl_nodata", _delta_planes(nodata), "u16d", n)
    # The previously-developed flag, for the exclusion exceptions (1 = flag set; no data
    # is 0, as in growthzones.scoring.masks: an exception needs evidence).
    has_flag = PREVIOUSLY_DEVELOPED in meta
    if has_flag:
        add("prevdev", (store.read_vector(PREVIOUSLY_DEVELOPED) == 1).astype(np.uint8)
            .tobytes(), "u8", n)
    exclusions = [{"name": k, "title": meta[k].get("title", k), "on": k in sc.exclusions,
                   "exceptPD": k in sc.except_previously_developed} for k in excl_names]

    rows, cols = np.divmod(store.land_index, grid.width)
    add("la", _delta_planes(np.asarray(store.la_index[rows, cols], dtype=np.uint16)), "u16d", n)
    from .areas import store_councils

    las = store_councils(store)  # April 2023 councils, as rank_sites names them
    nations = {"E": "England", "W": "Wales", "S": "Scotland"}
    places = store.places
    from .store import naming_features

    feats = naming_features(store.features) if store.features is not None else {
        "label": [], "tier": [], "easting": [], "northing": []}
    data = {
        "format": 1,
        "scenario": {"name": sc.name, "description": sc.description,
                     "method": sc.aggregation.method, "ideal": sc.aggregation.ideal,
                     "top": sc.top, "minSeparationKm": sc.min_separation_km,
                     "toml": sc.to_dict(direct=True)},
        "grid": {"width": grid.width, "height": grid.height, "x0": grid.bounds[0],
                 "y0": grid.bounds[1], "x1": grid.bounds[2], "y1": grid.bounds[3],
                 "res": grid.resolution, "crs": grid.crs},
        "n": n, "quantMax": QUANT_MAX, "nodataQ": NODATA_Q,
        "criteria": criteria, "raw": raws, "exclusions": exclusions,
        "hasPrevDev": has_flag,
        "constraints": [{"name": c.name, "min": c.min, "max": c.max, "missing": c.missing,
                         "unit": meta[c.name].get("unit", ""),
                         "title": meta[c.name].get("title", c.name)} for c in sc.constraints],
        "las": [str(x) for x in las["council_name"]],
        "nations": [nations.get(x, str(x)) for x in las["nation"]],
        "places": {"name": [str(x) for x in places["name"]],
                   "pop": [int(x) for x in places["population"]],
                   "e": [float(x) for x in places["easting"]],
                   "n": [float(x) for x in places["northing"]]},
        "placeRadiusKm": 15.0,
        # named features first, as growthzones.ranking.name_sites
        "features": {"label": [str(x) for x in feats["label"]],
                     "tier": [int(x) for x in feats["tier"]],
                     "e": [float(x) for x in feats["easting"]],
                     "n": [float(x) for x in feats["northing"]]},
        "featureRadiusKm": 2.0,
        "basemap": _basemap_bng(store.basemap),
        "attributions": store.attributions(),
        "arrays": arrays,
        "networkYears": network,
    }
    return data, b"".join(parts)


def _other_years(result) -> dict:
    """The scenario scored in every other network year of the store (snapshot -> result),
    for the page's year selector; empty if the store has none or the scenario uses no
    network-year criterion."""
    from .scoring import score

    store = result.store
    root = root_of(store)
    crit = set(root.network.get("criteria", ()))
    used = {c.name for c in result.scenario.criteria} | \
        {c.name for c in result.scenario.constraints}
    if not root.network_years() or not crit & used:
        return {}
    return {s: score(root, result.scenario, network_year=s)
            for s in sorted(root.network_years()) if s != store.network_snapshot}


def _diff_planes(q: np.ndarray, base: np.ndarray) -> bytes:
    """uint16 codes as their difference from ``base`` (mod 2^16), high then low byte:
    zero wherever the year agrees with the base year, which deflates to almost nothing."""
    d = ((q.astype(np.int32) - base.astype(np.int32)) % 65536).astype("<u2")
    b = d.view(np.uint8).reshape(-1, 2)
    return b[:, 1].tobytes() + b[:, 0].tobytes()


def _transformed(store, c):
    from .scoring import transformed

    return transformed(store, c.name, c.direction, c.transform)


# --------------------------------------------------------------------------- the page


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(_ASSETS, name).read_text(encoding="utf-8")


def render_explorer(result_or_store, scenario=None, *, title: str | None = None) -> str:
    """The explorer page as one HTML string (self-contained, works offline).

    Parameters
    ----------
    result_or_store
        A :class:`~growthzones.scoring.ScoreResult`, or a
        :class:`~growthzones.store.LayerStore` to score under ``scenario``.
    scenario
        A :class:`~growthzones.scenario.Scenario` or a path to a scenario TOML; None:
        the result's scenario, or the built-in ``default`` for a store.
    title
        Page title (default ``"AI Growth Zones explorer — <scenario name>"``).

    Raises
    ------
    InputError
        For another input type, or a scenario aggregated with OWA.
    """
    from .maps import _leaflet_assets

    result = _result(result_or_store, scenario)
    data, blob = explorer_payload(result)
    data["title"] = title if title is not None else \
        f"AI Growth Zones explorer \u2014 {result.scenario.name}"
    leaflet_js, leaflet_css = _leaflet_assets()
    parts = {
        "CSS": _asset("explorer.css"),
        "LEAFLET_CSS": leaflet_css,
        "LEAFLET_JS": leaflet_js,
        "JS": _asset("explorer.js"),
        "DATA": _json_for_script(data),
        "BIN": base64.b64encode(zlib.compress(blob, 6)).decode("ascii"),
        # <title> is HTML text: HTML-escaped, and braces as entities like the JSON's.
        "TITLE": html.escape(data["title"]).replace("{", "&#123;").replace("}", "&#125;"),
    }
    for key in ("LEAFLET_JS", "JS"):
        if re.search(r"</script", parts[key], re.I):
            raise RuntimeError(f"the {key} asset contains '</script' and cannot be inlined")
    # One pass: inserted text is never scanned for markers again.
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset("explorer.html"))


def write_explorer(result_or_store, scenario=None, path: str | os.PathLike =
                   "outputs/explorer.html", *, title: str | None = None) -> Path:
    """Write the explorer page to ``path`` atomically and return the path.

    Parameters as :func:`render_explorer`; ``path`` is the HTML file to write (its
    folder is created).

    Raises
    ------
    OutputError
        If the file cannot be written (a folder in the way, read-only, disk full).
    """
    from .io import write_text

    text = render_explorer(result_or_store, scenario, title=title)
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"explorer path {path} is a folder; give a file name such as "
                          f"{path / 'explorer.html'}")
    try:
        return write_text(path, text)
    except OSError as err:
        raise OutputError(f"cannot write the explorer to {path}: {err.strerror or err}; "
                          f"choose another --out folder") from err


def explore(*, scenario: str | os.PathLike | None = None, out: str | os.PathLike = "outputs",
            store: str | os.PathLike | None = None, weights: dict[str, float] | None = None
            ) -> Path:
    """``growthzones explore [--scenario F] [--out DIR]``: write ``DIR/explorer.html``.

    Parameters
    ----------
    scenario
        Scenario TOML file or built-in name (default ``default``).
    out
        Output folder; the page is ``out/explorer.html``.
    store
        Layer store folder (default: the embedded 1 km store).
    weights
        Raw weight overrides (``--weight NAME=VALUE``), as :func:`load_scenario`.

    Returns
    -------
    pathlib.Path
        The written page.
    """
    from .fileset import check_out_folder
    from .scenario import load_scenario
    from .store import load_layers

    out = check_out_folder(out)  # one page: written atomically, no set to stage
    sc = load_scenario(scenario, weights=weights)
    return write_explorer(load_layers(store), sc, out / "explorer.html")


# --------------------------------------------------------------------------- the twin


def page_matrix(result) -> tuple[list[str], np.ndarray]:
    """Criterion names and the (k, n) float64 values the page scores with (dequantised)."""
    names = [c.name for c in result.scenario.criteria]
    store = result.store
    vals = np.stack([dequantise(quantise(result.values[n] if n in result.values else
                                         _transformed(store, result.scenario.criterion(n))))
                     for n in names])
    return names, vals


def page_scores(result, weights: dict[str, float] | None = None, *, method: str | None = None,
                matrix: tuple[list[str], np.ndarray] | None = None,
                ideal: str | None = None) -> np.ndarray:
    """Scores before exclusions exactly as the page computes them (float64, land vector).

    The same operations in the same order as ``explorer.js``: per cell
    :math:`\\sum_j w_j v_j` accumulated criterion by criterion, divided by the weight with
    data (WLC); or TOPSIS closeness with squared distances accumulated the same way.

    Parameters
    ----------
    result
        The scoring result the page was built from.
    weights
        Normalised weights by criterion name as the page uses them
        (``gzExplorer.weights()``); default: the scenario's.
    method, ideal
        ``"wlc"`` or ``"topsis"`` and TOPSIS's ideal; default: the scenario's.
    matrix
        :func:`page_matrix` output, to reuse across calls.
    """
    names, v = matrix if matrix is not None else page_matrix(result)
    weights = result.scenario.weights if weights is None else weights
    method = method or result.scenario.aggregation.method
    ideal = ideal or result.scenario.aggregation.ideal
    w = [float(weights.get(n, 0.0)) for n in names]
    have = ~np.isnan(v)
    filled = np.where(have, v, 0.0)
    cov = np.zeros(v.shape[1])
    for j in range(len(names)):
        cov = cov + np.where(have[j], w[j], 0.0)
    if method == "wlc":
        # The page multiplies the quantised integers by w_j / 65534 (one fewer operation
        # per value than dequantising first); so does this twin.
        q = np.where(have, np.rint(filled * QUANT_MAX), 0.0)
        num = np.zeros(v.shape[1])
        for j in range(len(names)):
            num = num + (w[j] / QUANT_MAX) * q[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(cov > 0, num / cov, np.nan)
    dp = np.zeros(v.shape[1])
    dm = np.zeros(v.shape[1])
    for j in range(len(names)):
        if w[j] <= 0:
            continue
        if ideal == "fixed":
            best, worst = 1.0, 0.0
        else:
            best, worst = float(np.nanmax(v[j])), float(np.nanmin(v[j]))
        w2 = w[j] * w[j]
        a, b = filled[j] - best, filled[j] - worst
        dp = dp + np.where(have[j], w2 * (a * a), 0.0)
        dm = dm + np.where(have[j], w2 * (b * b), 0.0)
    dp, dm = np.sqrt(dp), np.sqrt(dm)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(dp + dm > 0, dm / (dp + dm), 0.5)
    return np.where(cov > 0, c, np.nan)


def page_top_sites(result, weights: dict[str, float] | None = None, *, top: int | None = None,
                   excluded: np.ndarray | None = None, **kwargs):
    """:func:`growthzones.ranking.top_sites` on :func:`page_scores`: the page's sites in Python.

    ``excluded`` (bool land vector) defaults to the result's exclusions and constraints.
    """
    from .ranking import top_sites

    s = page_scores(result, weights, **kwargs)
    excluded = result.excluded if excluded is None else excluded
    ranked = np.where(excluded, np.nan, s)
    return top_sites(dataclasses.replace(result, score=s, ranked=ranked), top=top)


# --------------------------------------------------------------------------- a browser
