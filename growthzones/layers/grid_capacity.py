"""Grid capacity: where ~500 MW of firm supply can be connected, and how hard it will be.

Every quantity starts from the ETYS 2024 substation index: the transmission owners' list
of site codes (4 letters) and their voltages. Sites are taken as they will stand in
:data:`NETWORK_YEAR` (2030, the programme's firm-power date): a site counts if it has a
circuit or transformer in the 2024/25 model or one added by 2030 in ETYS's change tables,
and circuit ratings are the 2024/25 ratings with the 2025-2030 additions, removals and
re-ratings applied. Tee points and border nodes (names with TEE, BORDER, BOUNDARY) are
junctions, not substations, and offshore platforms cannot host a campus; both are dropped.

Coordinates: ETYS has none. Each site code is placed by the first source below that knows
it, in this order of trust (:data:`PLACEMENT_ORDER`):

1. ``fes2024_gsp``: NESO's own Grid Supply Point coordinates, by site code.
2. ``nged_substations``: NGED's surveyed Super Grid / Bulk Supply Point / 132 kV switching
   stations, by normalised name (see :func:`normalise_site_name`).
3. ``ukpn_sites``: UK Power Networks' 132 kV grid substations, by name.
4. ``etys_coords_pypsagb`` rows that PyPSA-GB checked by hand or matched to a power
   station or REPD project, by site code.
5. ``osm_hv_2017``: named OpenStreetMap substations (2016 state), by name.
6. ``etys_coords_pypsagb`` rows geocoded from the site *name* with Nominatim: usually a
   village centre, a few km from the compound, so they come last.

A name matches only if it is unambiguous within that source (all its points within
2 km); 0/0 coordinates and points outside GB are dropped. A NESO GSP row is used only if
its name starts like the ETYS name (NESO's ``DALL_P`` is Dallas, ETYS's ``DALL`` is
Dalmally). Every point from sources 2-6 is then checked against ETYS's circuit route
lengths: a circuit of L km cannot join two sites more than L + 15 km apart (the slack
covers village-centre geocodes and ETYS's nominal 1 km lengths), so a point that breaks
as many links to FES-placed neighbours as it keeps is refused and the next source tried.
Against FES, the name matches of NGED, UKPN and OSM agree to a median 0.1 km; 26 points
are refused, 24 of them Nominatim geocodes of the wrong place ("Middleton", "Hambleton",
"Windyhill" 70-110 km from their neighbours). With the 2024 data 551 of 746 onshore sites
of the 2030 network are placed (312 by FES), 338 of the 426 at 400/275 kV.

Node quantities are put on cells by these rules (each criterion states its own):

- the **nearest transmission node** (a placed 400/275 kV site) gives its circuit and
  transformer MVA to every land cell, so the value is defined everywhere and the
  distance to that node is scored separately (``dist_transmission_km``);
- **retired capacity** is the largest MW retired at a substation within
  :data:`RETIRED_RADIUS_KM` of the cell, 0 where none is (a true zero: DUKES lists every
  closure since 2010). Coal, oil and nuclear closures are all placed except Oldbury (its
  name is also a West Midlands GSP's); gas closures are counted too, because a closed
  CCGT leaves the same kind of 400/275 kV bay, but most lack coordinates;
- **queues** are sums over connection sites within :data:`QUEUE_RADIUS_KM` (TEC) or the
  queue of the nearest NGED Grid Supply Point (inside NGED's area only). They are kept
  apart so that NGED's area is not penalised merely for publishing its queue;
- **distribution headroom** is the largest headroom among UKPN grid substations within
  :data:`HEADROOM_RADIUS_KM`, inside UKPN's area only.

Data problems handled here: 9999 MVA ratings are placeholders for zero-impedance
couplers (dropped); staged TEC rows repeat one project with a cumulative total (one row
per ``Project ID``, its largest cumulative MW); DUKES Northern Ireland rows are in Irish
Grid, not British National Grid (never read as BNG), 0/0 and out-of-range coordinates are
dropped; OSM-2017 files are ``#``-separated with ``SRID=4326;`` WKT and semicolon-joined
voltages in volts.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..grid import (BNG, GB_BOUNDS, GridSpec, distance_to_lines, distance_to_points,
                    nearest_point_index, reduce_within, to_bng, value_of_nearest)
from . import Criterion

#: The network year: sites and circuit ratings as ETYS 2024 expects them in this year.
NETWORK_YEAR = 2030
#: ETYS rating used for zero-impedance couplers; not a real rating.
PLACEHOLDER_MVA = 9999.0
#: Radius (km) in which a retired station's connection counts for a cell.
RETIRED_RADIUS_KM = 5.0
#: Radius (km) over which queued TEC projects are summed around a cell.
QUEUE_RADIUS_KM = 20.0
#: Radius (km) in which the best UKPN grid-substation headroom counts for a cell.
HEADROOM_RADIUS_KM = 15.0
#: A cell is inside a DNO's data area if a site of that DNO is within this many km and
#: no site of the other DNO with published sites is nearer.
DNO_AREA_KM = 6.0
#: Smallest retired capacity (MW) that counts: smaller stations are embedded in the
#: distribution network and free no transmission-scale connection.
MIN_RETIRED_MW = 100.0
#: Central London (Trafalgar Square), EPSG:27700 m: the demand centre that
#: :func:`boundary_crossings` counts boundaries towards.
LONDON_XY = (530_000.0, 180_400.0)
#: Sources of site coordinates, most trusted first (see the module docstring).
PLACEMENT_ORDER = ("fes2024_gsp", "nged_substations", "ukpn_sites", "pypsagb_curated",
                   "osm_hv_2017", "pypsagb_geocoded")
#: NGED queue statuses that hold or seek a queue position (budget estimates do not).
NGED_QUEUE_STATUSES = ("Connection offers accepted", "Connection offers not yet accepted")

_ETYS = "etys_2024"
_PLACE = ("etys_2024", "fes2024_gsp", "nged_substations", "ukpn_sites", "etys_coords_pypsagb",
          "osm_hv_2017")
_PIECE_DIST_SUB = [[0, 1], [5, 0.8], [15, 0.4], [40, 0]]

CRITERIA = {
    "dist_substation_132kv_km": Criterion(
        name="dist_substation_132kv_km", layer="grid_capacity",
        title="Distance to nearest 132 kV+ substation", unit="km", direction="min",
        description="Straight-line distance from the cell centre to the nearest substation "
                    "with a 132 kV or higher busbar: ETYS 2024 sites in the 2030 network "
                    "(placed in the module's order of trust), NGED Super Grid, Bulk Supply "
                    "Point and 132 kV switching stations, and UKPN 132 kV grid substations.",
        sources=_PLACE,
        coverage="GB. 551 of the 746 onshore ETYS sites in the 2030 network are placed; "
                 "the rest (new wind, storage and landing sites, mostly in Scotland) make "
                 "distances there overstated. DNO 132 kV sites only in NGED and UKPN areas; "
                 "elsewhere only transmission-owner 132 kV sites (all of Scotland's) count.",
        default_transform={"type": "piecewise", "points": _PIECE_DIST_SUB}),
    "dist_transmission_km": Criterion(
        name="dist_transmission_km", layer="grid_capacity",
        title="Distance to nearest 400/275 kV substation", unit="km", direction="min",
        description="Straight-line distance to the nearest ETYS 2024 site with a 400 or "
                    "275 kV busbar in the 2030 network (tee points and offshore platforms "
                    "dropped), or an NGED Super Grid substation.",
        sources=_PLACE,
        coverage="GB; 338 of the 426 onshore 400/275 kV sites in the 2030 network are "
                 "placed. Unplaced ones are mostly new wind, storage and offshore-wind "
                 "landing sites in Scotland and on the east coast.",
        default_transform={"type": "piecewise", "points": [[0, 1], [10, 0.6], [30, 0.2],
                                                           [60, 0]]}),
    "dist_transmission_line_km": Criterion(
        name="dist_transmission_line_km", layer="grid_capacity",
        title="Distance to nearest 400/275 kV line", unit="km", direction="min",
        description="Straight-line distance to the nearest 400 or 275 kV overhead line or "
                    "cable in OpenStreetMap (2016 state, SciGRID extraction; each link is "
                    "drawn straight between its end vertices).",
        sources=("osm_hv_links_2017",),
        coverage="GB except the far north: OSM-2017 maps the 400/275 kV network south of "
                 "about Inverness (lat 58.6); lines built since 2016 (e.g. Beauly-Denny "
                 "upgrades, Western Link landfalls) are missing.",
        default_transform={"type": "piecewise", "points": [[0, 1], [3, 0.8], [10, 0.4],
                                                           [25, 0]]}),
    "transmission_node_mva": Criterion(
        name="transmission_node_mva", layer="grid_capacity",
        title="Circuit capacity into the nearest transmission node", unit="MVA",
        direction="max",
        description="Sum of winter ratings of the 400/275 kV circuits that join the cell's "
                    "nearest placed 400/275 kV site to other sites, in the 2030 network "
                    "(ETYS 2024 B-2-1 with the B-2-2 changes to 2030; 9999 MVA coupler "
                    "placeholders dropped): how strong the node is.",
        sources=_PLACE,
        coverage="GB: every land cell takes its nearest placed transmission node.",
        default_transform={"type": "piecewise", "points": [[0, 0], [2000, 0.4], [6000, 0.8],
                                                           [12000, 1]]}),
    "transformer_mva": Criterion(
        name="transformer_mva", layer="grid_capacity",
        title="Supergrid transformer capacity at the nearest transmission node", unit="MVA",
        direction="max",
        description="Sum of ratings of the transformers from 400/275 kV down to 132 kV or "
                    "below at the cell's nearest placed transmission node (ETYS 2024 B-3-1 "
                    "with B-3-2 changes to 2030): what a 132 kV connection could draw.",
        sources=_PLACE,
        coverage="GB: every land cell takes its nearest placed transmission node; nodes "
                 "without step-down transformers (switching stations, generator sites) "
                 "have 0 MVA.",
        default_transform={"type": "piecewise", "points": [[0, 0], [500, 0.5], [1500, 0.9],
                                                           [3000, 1]]}),
    "retired_capacity_mw": Criterion(
        name="retired_capacity_mw", layer="grid_capacity",
        title="Retired power-station capacity within 5 km", unit="MW", direction="max",
        description="Largest generating capacity retired since 2010 (coal, oil, gas, "
                    "nuclear; >= 100 MW) at a transmission substation within 5 km of the "
                    "cell, from the DUKES 5.11 changes table (peak minus present capacity "
                    "per station, so conversions and re-use are netted). Stations are "
                    "matched to ETYS sites by name, else placed with GPPD or DUKES "
                    "coordinates and joined to the nearest ETYS site within 5 km.",
        sources=("dukes_5_11", "gppd_gbr") + _PLACE,
        coverage="GB closures since 2010 in DUKES; 0 (not NaN) where no retired station is "
                 "within 5 km. Closures before 2010 are not counted, and a few gas "
                 "closures without coordinates (Teesside 1,875 MW, Deeside, Barry, "
                 "Shotton, Roosecote, Derwent, Fife) cannot be placed and are missing.",
        default_transform={"type": "piecewise", "points": [[0, 0], [500, 0.6], [1000, 0.85],
                                                           [2000, 1]]}),
    "tec_queue_mw": Criterion(
        name="tec_queue_mw", layer="grid_capacity",
        title="Transmission queue within 20 km", unit="MW", direction="min",
        description="Contracted but not yet connected MW in NESO's TEC register (2 Sep "
                    "2025) at connection sites within 20 km of the cell: one figure per "
                    "Project ID (its largest cumulative MW minus MW connected), placed by "
                    "matching the connection-site name to a placed ETYS site or a named "
                    "NGED/UKPN/OSM substation.",
        sources=("tec_register_2025",) + _PLACE,
        coverage="GB, for projects whose connection site can be placed: 55 % of the "
                 "625 GW queued. A fifth is at new 'Connection Node' substations or offshore "
                 "platforms with no location yet, the rest at new or unplaced ETYS sites "
                 "(Navenby, Branxton, New Deer 2, ...). 0 where no placed queue is within "
                 "20 km, so the criterion understates queues near new substations.",
        default_transform={"type": "piecewise", "points": [[0, 1], [2000, 0.7], [8000, 0.3],
                                                           [20000, 0]]}),
    "dno_queue_mw": Criterion(
        name="dno_queue_mw", layer="grid_capacity",
        title="NGED connection queue at the nearest Grid Supply Point", unit="MW",
        direction="min",
        description="Demand plus generation MW in NGED's connection-application queue "
                    "(May 2025; offers accepted or not yet accepted, budget estimates left "
                    "out) under the cell's nearest NGED Grid Supply Point.",
        sources=("nged_queue_2025",) + _PLACE,
        coverage="NGED's licence areas only (East and West Midlands, South West, South "
                 "Wales): cells within 6 km of an NGED substation and nearer to it than to "
                 "any UKPN site. NaN elsewhere: other DNOs publish no queue here.",
        default_transform={"type": "piecewise", "points": [[0, 1], [1000, 0.6],
                                                           [3000, 0.2], [6000, 0]]}),
    "distribution_headroom_mva": Criterion(
        name="distribution_headroom_mva", layer="grid_capacity",
        title="UKPN grid-substation demand headroom within 15 km", unit="MVA",
        direction="max",
        description="Largest firm demand headroom among UKPN 132 kV grid substations within "
                    "15 km: firm (N-1) capacity, the sum of transformer winter ratings less "
                    "the largest, minus winter maximum demand (April 2023).",
        sources=("ukpn_sites", "nged_substations"),
        coverage="UK Power Networks' areas only (East, London, South East): cells within "
                 "6 km of a UKPN site and nearer to it than to any NGED site. NaN elsewhere "
                 "and where no rated grid substation is within 15 km (ratings are missing "
                 "for most 132 kV-only records).",
        default_transform={"type": "piecewise", "points": [[0, 0], [30, 0.5], [80, 1]]}),
    "boundaries_to_london": Criterion(
        name="boundaries_to_london", layer="grid_capacity",
        title="ETYS boundaries between the cell and London", unit="count", direction="max",
        description="Number of NESO ETYS boundaries (Mar 2025) that the straight line from "
                    "the cell to central London crosses (odd number of crossings). Power "
                    "flows towards the London and South East demand centre; demand placed "
                    "behind more boundaries relieves more of them (B4-B9 north of the "
                    "Midlands, EC5 in East Anglia, SW1, NW1-4 in North Wales).",
        sources=("etys_boundaries_2025",),
        coverage="GB: every land cell.",
        default_transform={"type": "linear"}),
}


# --------------------------------------------------------------------------- names

_NAME_NOISE = re.compile(
    r"\b(SUBSTATION|SUB STATION|SUBSTN|SUB STN|S STN|STN|SGP|S G P|GSP|G S P|BSP|GRID|SUB|"
    r"SWITCHING STATION|SWITCHING SITE|SWITCHING STN|POWER STATION|NATIONAL GRID SITE|"
    r"NATIONAL GRID|NGT|NGET|COLLECTOR|NODE)\b")


def normalise_site_name(name) -> str:
    """A substation or station name reduced to its place words, for joining sources.

    Upper case; ``&`` becomes AND; bracketed notes, voltages (``400kV``, ``132/33 kV``)
    and words such as SUBSTATION, GSP, S.G.P., S STN, GRID, POWER STATION dropped.

    Examples
    --------
    >>> normalise_site_name("Ratcliffe-On-Soar 132kV Substation")
    'RATCLIFFE ON SOAR'
    >>> normalise_site_name("Abham  S.G.P."), normalise_site_name("Feckenham 66 11 kV S Stn")
    ('ABHAM', 'FECKENHAM')
    >>> normalise_site_name("Fiddler’s Ferry")
    'FIDDLERS FERRY'
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    n = str(name).upper().replace("&", " AND ").replace("’", "").replace("'", "")
    n = re.sub(r"\[.*?\]|\(.*?\)", " ", n)
    n = re.sub(r"\d+(\.\d+)?((\s*/\s*|\s+)\d+(\.\d+)?)*\s*KV", " ", n)  # 132/33kV, 66 11 kV
    n = re.sub(r"\bS\.\s*G\.\s*P\.?|\bG\.\s*S\.\s*P\.?", " ", n)
    n = re.sub(r"[^A-Z0-9 ]", " ", n)
    n = _NAME_NOISE.sub(" ", " ".join(n.split()))
    return " ".join(n.split())


def station_key(name) -> str:
    """:func:`normalise_site_name` without unit suffixes, so units of one station join.

    Drops a trailing unit letter (``Didcot A``, ``Aberthaw B``, ``Killingholme A and B``),
    a trailing GT or CHP (``Aberthaw GT``, ``Grain CHP``) and DUKES's ``EP`` operator
    prefix (``EP Kilroot``).

    >>> station_key("Killingholme A and B"), station_key("Wylfa (Reactor 2)")
    ('KILLINGHOLME', 'WYLFA')
    """
    k = normalise_site_name(name)
    k = re.sub(r"^EP\s+", "", k)  # operator prefix in DUKES (EP Kilroot, EP Ballylumford)
    k = re.sub(r"\s+[A-D](\s+AND\s+[A-D])?$", "", k)
    return re.sub(r"\s+(GT|CHP|OCGT|STEAM)$", "", k)


# --------------------------------------------------------------------------- ETYS


def _node_cols(df: pd.DataFrame) -> pd.DataFrame:
    """ETYS sheets spell ``Node 1`` and ``Node1``; use ``node1``/``node2``."""
    ren = {c: re.sub(r"\s+", "", c).lower() for c in df.columns if re.sub(r"\s+", "", c).lower()
           in ("node1", "node2")}
    return df.rename(columns=ren)


def read_etys(path) -> dict[str, pd.DataFrame]:
    """Read the ETYS 2024 Appendix B tables this layer uses.

    Returns
    -------
    dict
        ``sites`` (``site_code``, ``site_name``, ``kv``: one row per site and voltage,
        sheets B-1-1a..d), ``circuits`` (``node1``, ``node2``, ``rating_mva``: winter rating,
        B-2-1a..c), ``circuit_changes`` (plus ``year``, ``status``; B-2-2a..c),
        ``transformers`` and ``transformer_changes`` (B-3-1a..c, B-3-2a..c). OFTO sheets
        (..d) are read for site membership only (``ofto_nodes``).
    """
    names = [f"B-1-1{s}" for s in "abcd"] + [f"B-2-1{s}" for s in "abcd"] + \
            [f"B-2-2{s}" for s in "abcd"] + [f"B-3-1{s}" for s in "abcd"] + \
            [f"B-3-2{s}" for s in "abcd"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: unparseable header/footer
        raw = pd.read_excel(path, sheet_name=names, header=1)
    sites = pd.concat([raw[f"B-1-1{s}"].iloc[:, :3] for s in "abcd"], ignore_index=True)
    sites.columns = ["site_code", "site_name", "kv"]
    sites = sites.dropna(subset=["site_code"])
    sites["site_code"] = sites["site_code"].astype(str).str.strip().str.upper()
    sites["kv"] = pd.to_numeric(sites["kv"], errors="coerce")  # 'TBC' has no voltage yet

    def table(keys, rating, extra=()):
        parts = []
        for k in keys:
            d = _node_cols(raw[k])
            rcol = next(c for c in d.columns if c.startswith(rating))
            part = d[["node1", "node2", *extra]].copy()
            part["rating_mva"] = pd.to_numeric(d[rcol], errors="coerce")
            lengths = [c for c in d.columns if re.match(r"(OHL|Cable) Length", c)]
            if lengths:  # route length, km: overhead line plus cable
                part["length_km"] = sum(pd.to_numeric(d[c], errors="coerce").fillna(0.0)
                                        for c in lengths)
            parts.append(part.dropna(subset=["node1", "node2"]))
        out = pd.concat(parts, ignore_index=True)
        for c in ("node1", "node2"):
            out[c] = out[c].astype(str).str.strip().str.upper()
        return out

    tables = {
        "sites": sites.reset_index(drop=True),
        "circuits": table(["B-2-1a", "B-2-1b", "B-2-1c"], "Winter Rating"),
        "circuit_changes": table(["B-2-2a", "B-2-2b", "B-2-2c"], "Winter Rating",
                                 ("Year", "Status")),
        "transformers": table(["B-3-1a", "B-3-1b", "B-3-1c"], "Rating"),
        "transformer_changes": table(["B-3-2a", "B-3-2b", "B-3-2c"], "Rating",
                                     ("Year", "Status")),
    }
    for k in ("circuit_changes", "transformer_changes"):
        tables[k] = tables[k].rename(columns={"Year": "year", "Status": "status"})
    ofto = []
    for k in ("B-2-1d", "B-2-2d", "B-3-1d", "B-3-2d"):
        d = _node_cols(raw[k])
        ofto += [str(v).strip().upper() for c in ("node1", "node2") for v in d[c].dropna()]
    tables["ofto_nodes"] = pd.DataFrame({"node": sorted(set(ofto))})
    return tables


def apply_changes(base: pd.DataFrame, changes: pd.DataFrame, *, year: int
                  ) -> tuple[pd.DataFrame, int]:
    """The branch table (circuits or transformers) as it stands in ``year``.

    ``changes`` rows up to ``year`` are applied in year order: ``Addition`` appends a
    branch, ``Removed`` drops one branch with the same (unordered) node pair, ``Change``
    replaces its rating (and length, where given).

    Returns
    -------
    (pandas.DataFrame, int)
        ``node1``, ``node2``, ``rating_mva`` (and ``length_km`` if ``base`` has it); and
        the number of Removed/Change rows that matched no branch (reported by the build).

    Examples
    --------
    >>> base = pd.DataFrame({"node1": ["AAAA41"], "node2": ["BBBB41"], "rating_mva": [1000]})
    >>> ch = pd.DataFrame({"node1": ["BBBB41", "AAAA41", "CCCC41"],
    ...                    "node2": ["AAAA41", "CCCC41", "DDDD41"], "year": [2027, 2029, 2033],
    ...                    "status": ["Change", "Addition", "Addition"],
    ...                    "rating_mva": [2000, 500, 900]})
    >>> out, unmatched = apply_changes(base, ch, year=2030)
    >>> out["rating_mva"].tolist(), unmatched
    ([2000, 500], 0)
    """
    cols = ["node1", "node2", "rating_mva"] + (["length_km"] if "length_km" in base else [])
    rows = base[cols].to_dict("records")
    index: dict[frozenset, list[int]] = {}
    for i, r in enumerate(rows):
        index.setdefault(frozenset((r["node1"], r["node2"])), []).append(i)
    alive = [True] * len(rows)
    unmatched = 0
    todo = changes[pd.to_numeric(changes["year"], errors="coerce") <= year]
    todo = todo.sort_values("year", kind="stable")
    for r in todo.to_dict("records"):
        key = frozenset((r["node1"], r["node2"]))
        status = str(r["status"]).strip().lower()
        new = {c: r.get(c, np.nan) for c in cols}
        if status.startswith("add"):
            index.setdefault(key, []).append(len(rows))
            rows.append(new)
            alive.append(True)
            continue
        live = [i for i in index.get(key, []) if alive[i]]
        if not live:
            unmatched += 1
        elif status.startswith("remov"):
            alive[live[0]] = False
        else:  # Change: new parameters for an existing branch
            rows[live[0]].update({c: v for c, v in new.items() if c not in ("node1", "node2")
                                  and not pd.isna(v)})
    out = pd.DataFrame([r for r, a in zip(rows, alive) if a], columns=cols)
    return out, unmatched


def site_links(circuits: pd.DataFrame) -> pd.DataFrame:
    """Pairs of distinct sites joined by a circuit, with the shortest route length (km).

    >>> c = pd.DataFrame({"node1": ["AAAA41", "AAAA41", "AAAA41"],
    ...                   "node2": ["BBBB41", "BBBB42", "AAAA42"], "length_km": [12.0, 11.5, 0.1]})
    >>> site_links(c).to_dict("records")
    [{'a': 'AAAA', 'b': 'BBBB', 'length_km': 11.5}]
    """
    a, b = circuits["node1"].str[:4], circuits["node2"].str[:4]
    d = pd.DataFrame({"a": np.where(a < b, a, b), "b": np.where(a < b, b, a),
                      "length_km": pd.to_numeric(circuits["length_km"], errors="coerce")})
    d = d[(d["a"] != d["b"]) & d["length_km"].notna()]
    return d.groupby(["a", "b"], as_index=False)["length_km"].min()


def _real_ratings(branches: pd.DataFrame) -> pd.DataFrame:
    """Branches with a real rating: 9999 MVA coupler placeholders and blanks dropped."""
    r = branches["rating_mva"]
    return branches[r.notna() & (r > 0) & (r < PLACEHOLDER_MVA)]


def node_circuit_mva(circuits: pd.DataFrame, *, levels: str = "42") -> pd.Series:
    """Circuit capacity into each site: the sum of winter ratings (MVA) of circuits with
    exactly one end at the site, counted at ends whose voltage character is in ``levels``.

    Node codes are 6 characters: site code (4), voltage (``4`` = 400 kV, ``2`` = 275 kV,
    ``1`` = 132 kV), busbar section. Circuits inside one site (couplers, series
    reactors) and 9999 MVA placeholders are not counted.

    >>> c = pd.DataFrame({"node1": ["AAAA41", "AAAA41", "AAAA41", "AAAA21"],
    ...                   "node2": ["BBBB41", "AAAA42", "CCCC41", "DDDD21"],
    ...                   "rating_mva": [2000, 9999, 1500, 700]})
    >>> node_circuit_mva(c).to_dict()
    {'AAAA': 4200.0, 'BBBB': 2000.0, 'CCCC': 1500.0, 'DDDD': 700.0}
    """
    c = _real_ratings(circuits)
    s1, s2 = c["node1"].str[:4], c["node2"].str[:4]
    inter = s1 != s2
    ends = pd.concat([
        pd.DataFrame({"site": s1, "kv": c["node1"].str[4], "mva": c["rating_mva"]})[inter],
        pd.DataFrame({"site": s2, "kv": c["node2"].str[4], "mva": c["rating_mva"]})[inter]])
    ends = ends[ends["kv"].isin(list(levels))]
    return ends.groupby("site")["mva"].sum().astype(float).sort_index()


def node_transformer_mva(transformers: pd.DataFrame, *, upper: str = "42") -> pd.Series:
    """Step-down transformer capacity per site (MVA): transformers with one winding at a
    voltage in ``upper`` (400/275 kV) and the other below it (132 kV and lower).

    Interbus 400/275 kV transformers and 9999 placeholders are not counted.

    >>> t = pd.DataFrame({"node1": ["AAAA41", "AAAA42", "AAAA41"],
    ...                   "node2": ["AAAA11", "AAAA12", "AAAA21"], "rating_mva": [240, 240, 1000]})
    >>> node_transformer_mva(t).to_dict()
    {'AAAA': 480.0}
    """
    t = _real_ratings(transformers)
    v1, v2 = t["node1"].str[4], t["node2"].str[4]
    step = v1.isin(list(upper)) ^ v2.isin(list(upper))
    return t[step].groupby(t["node1"].str[:4])["rating_mva"].sum().astype(float).sort_index()


_PSEUDO = re.compile(r"\b(?:TEE|BORDER|BOUNDARY)\b")
_OFFSHORE = re.compile(r"OFFSHORE|OFFHORE|PLATFORM")


def _primary_name(code: str, names: pd.Series) -> str:
    """The most frequent name of a site code; ties go to the name that starts like the code."""
    counts = names.value_counts()
    top = counts[counts == counts.iloc[0]].index
    return max(top, key=lambda n: (normalise_site_name(n)[:4] == code, -len(n)))


def summarise_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """One row per ETYS site code.

    ETYS lists a few codes under two names, and once under another site's name (ABHA,
    Abham, also appears as ABERTHAW, which is ABTH). A code keeps a secondary name only if
    that name is not another code's primary name, so joins by name find the right site.

    Returns
    -------
    pandas.DataFrame
        ``site_code``, ``site_name`` (primary name: the most frequent; ties go to the name
        that starts like the code), ``names`` (names usable for joins), ``max_kv``,
        ``offshore``, ``pseudo`` (tee point or border node, not a substation).
    """
    s = sites.assign(site_name=sites["site_name"].astype(str).str.strip())
    g = s.groupby("site_code")
    primary = pd.Series({code: _primary_name(code, grp["site_name"]) for code, grp in g})
    primaries = primary.value_counts()
    names = {}
    for code, grp in g:
        own = primary[code]
        names[code] = tuple(sorted(n for n in set(grp["site_name"])
                                   if n == own or primaries.get(n, 0) == 0))
    out = pd.DataFrame({"site_name": primary, "names": pd.Series(names),
                        "max_kv": g["kv"].max()})
    upper = out["site_name"].str.upper()
    out["offshore"] = upper.str.contains(_OFFSHORE)
    out["pseudo"] = upper.str.contains(_PSEUDO)
    return out.rename_axis("site_code").reset_index()


def network_sites(tables: dict, *, year: int = NETWORK_YEAR) -> tuple[pd.DataFrame, dict]:
    """ETYS sites in the ``year`` network with their circuit and transformer MVA.

    Returns
    -------
    (pandas.DataFrame, dict)
        :func:`summarise_sites` columns plus ``in_network`` (a circuit or transformer in
        ``year``), ``circuit_mva``, ``transformer_mva``; and a dict with the counts of
        unmatched change rows and ``links`` (:func:`site_links` of the ``year`` circuits).
    """
    circuits, n_c = apply_changes(tables["circuits"], tables["circuit_changes"], year=year)
    trafos, n_t = apply_changes(tables["transformers"], tables["transformer_changes"],
                                year=year)
    sites = summarise_sites(tables["sites"])
    nodes = pd.concat([circuits["node1"], circuits["node2"], trafos["node1"], trafos["node2"],
                       tables["ofto_nodes"]["node"]])
    sites["in_network"] = sites["site_code"].isin(set(nodes.str[:4]))
    sites["circuit_mva"] = sites["site_code"].map(node_circuit_mva(circuits)).fillna(0.0)
    sites["transformer_mva"] = sites["site_code"].map(node_transformer_mva(trafos)).fillna(0.0)
    return sites, {"unmatched_circuit_changes": n_c, "unmatched_transformer_changes": n_t,
                   "links": site_links(circuits)}


# --------------------------------------------------------------------------- placement


def _in_gb(x, y) -> np.ndarray:
    x, y = np.asarray(x, float), np.asarray(y, float)
    return ((x > GB_BOUNDS[0]) & (x < GB_BOUNDS[2]) & (y > GB_BOUNDS[1]) & (y < GB_BOUNDS[3]))


def points_by_name(names, x, y, *, source: str, max_spread_m: float = 2000.0) -> pd.DataFrame:
    """Named points keyed by :func:`normalise_site_name`; ambiguous names dropped.

    A key whose points lie more than ``max_spread_m`` apart names different places and is
    dropped; otherwise its points are averaged. 0/0 and out-of-GB points are dropped.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``: ``x``, ``y`` (EPSG:27700 m), ``source``.
    """
    df = pd.DataFrame({"key": [normalise_site_name(n) for n in names],
                       "x": np.asarray(x, float), "y": np.asarray(y, float)})
    df = df[(df["key"] != "") & _in_gb(df["x"], df["y"])]
    g = df.groupby("key")
    spread = np.hypot(g["x"].max() - g["x"].min(), g["y"].max() - g["y"].min())
    out = g[["x", "y"]].mean()[spread <= max_spread_m]
    return out.assign(source=source)


def points_by_code(codes, x, y, *, source: str, names=None) -> pd.DataFrame:
    """Points keyed by ETYS site code (first 4 characters of ``codes``); first one wins.

    ``names`` (optional) are kept so :func:`place_sites` can refuse a code whose name
    disagrees with ETYS (NESO's GSP ``DALL_P`` is Dallas; ETYS ``DALL`` is Dalmally).
    """
    df = pd.DataFrame({"site_code": pd.Series(codes).astype(str).str[:4].str.upper().values,
                       "x": np.asarray(x, float), "y": np.asarray(y, float),
                       "name": list(names) if names is not None else None})
    df = df[_in_gb(df["x"], df["y"])]
    return df.groupby("site_code")[["x", "y", "name"]].first().assign(source=source)


def _same_place(name_a, names_b) -> bool:
    """Do two names start alike: the same first word, or the same first five letters with
    spaces ignored (``Bridgewater``/``BRIDGWATER``, ``Berryburn``/``BERRY BURN``)?

    >>> _same_place("Dallas", ["DALMALLY"]), _same_place("Berryburn", ["BERRY BURN"])
    (False, True)
    """
    a = normalise_site_name(name_a)
    for b in map(normalise_site_name, names_b):
        if a and b and (a.split()[0] == b.split()[0]
                        or a.replace(" ", "")[:5] == b.replace(" ", "")[:5]):
            return True
    return False


def place_sites(sites: pd.DataFrame, placements: list[tuple[str, pd.DataFrame]],
                links: pd.DataFrame | None = None, *, anchor: str = "fes2024_gsp",
                slack_km: float = 15.0) -> pd.DataFrame:
    """Give each site the coordinates of the most trusted source that knows it.

    Parameters
    ----------
    sites
        ``site_code`` and ``names`` (tuple of names) per site.
    placements
        ``(kind, table)`` in order of trust; ``kind`` is ``"code"`` (table indexed by site
        code, as :func:`points_by_code`) or ``"name"`` (indexed by normalised name, as
        :func:`points_by_name`).
    links
        Optional :func:`site_links`. A candidate point from a source other than
        ``anchor`` is then checked against the neighbours placed by ``anchor``: a circuit
        of route length L cannot join sites more than L + ``slack_km`` apart. A candidate
        that breaks as many such links as it keeps is refused and the next source tried
        (this catches geocodes of the wrong village and same-name substations).
    anchor
        The source trusted without this check.
    slack_km
        Allowance (km) for coordinates that mark a nearby village and for ETYS's nominal
        1 km lengths on some short circuits: excesses up to ~15 km occur where both
        sources are plausible, while wrong-village geocodes are 20 to 190 km out.

    Returns
    -------
    pandas.DataFrame
        ``sites`` plus ``x``, ``y`` (EPSG:27700 m, NaN if unplaced), ``coord_source`` and
        ``refused`` (sources whose point was refused).
    """
    codes = list(sites["site_code"])
    keys = {c: [normalise_site_name(n) for n in ns] for c, ns in zip(codes, sites["names"])}
    names = dict(zip(codes, sites["names"]))
    cands: dict[str, list[tuple[float, float, str]]] = {c: [] for c in codes}
    for kind, table in placements:
        for c in codes:
            hit = None
            if kind == "code":
                if c in table.index:
                    hit = table.loc[c]
                    if "name" in table and isinstance(hit["name"], str) and not _same_place(
                            hit["name"], names[c]):
                        hit = None
            else:
                hit = next((table.loc[k] for k in keys[c] if k and k in table.index), None)
            if hit is not None:
                cands[c].append((float(hit["x"]), float(hit["y"]), str(hit["source"])))
    chosen = {c: (cands[c][0] if cands[c] else None) for c in codes}
    refused: dict[str, list[str]] = {c: [] for c in codes}
    if links is not None and len(links):
        adj: dict[str, list[tuple[str, float]]] = {}
        for a, b, length in links[["a", "b", "length_km"]].itertuples(index=False):
            adj.setdefault(a, []).append((b, length))
            adj.setdefault(b, []).append((a, length))
        first = dict(chosen)
        for c in codes:
            if first[c] is None or first[c][2] == anchor:
                continue
            chosen[c] = None
            for x, y, src in cands[c]:
                bad = good = 0
                for nb, length in adj.get(c, []):
                    p = first.get(nb)
                    if p is None or p[2] != anchor:
                        continue
                    if np.hypot(x - p[0], y - p[1]) / 1000.0 > length + slack_km:
                        bad += 1
                    else:
                        good += 1
                if bad and bad >= good:
                    refused[c].append(src)
                    continue
                chosen[c] = (x, y, src)
                break
    return sites.assign(
        x=[chosen[c][0] if chosen[c] else np.nan for c in codes],
        y=[chosen[c][1] if chosen[c] else np.nan for c in codes],
        coord_source=[chosen[c][2] if chosen[c] else None for c in codes],
        refused=[", ".join(refused[c]) for c in codes])


def read_placements(sources: SourceFiles) -> list[tuple[str, pd.DataFrame]]:
    """Every coordinate source, in :data:`PLACEMENT_ORDER`, ready for :func:`place_sites`."""
    fes = pd.read_csv(sources.path("fes2024_gsp"))
    fxy = to_bng(fes["Longitude"], fes["Latitude"])
    nged = read_nged_sites(sources)
    nged = nged[nged["kind"].isin(["super grid substation", "bulk supply point",
                                   "132kv switching station"])]
    ukpn = read_ukpn_sites(sources)
    ukpn = ukpn[(ukpn["SiteType"] == "Grid Substation") & (ukpn["SiteVoltage"] >= 132)]
    pyp = pd.read_csv(sources.path("etys_coords_pypsagb"))
    pxy = to_bng(pyp["lon"], pyp["lat"])
    geo = pyp["source"].astype(str).str.startswith("nominatim").to_numpy()
    osm = read_osm_vertices(sources.path("osm_hv_2017"))
    osm = osm[osm["typ"].isin(["substation", "sub_station"]) & osm["name"].notna()]
    return [
        ("code", points_by_code(fes["GSP ID"], fxy[:, 0], fxy[:, 1], source="fes2024_gsp",
                                names=fes["Name"])),
        ("name", points_by_name(nged["name"], nged["x"], nged["y"], source="nged_substations")),
        ("name", points_by_name(ukpn["SiteName"], ukpn["Easting"], ukpn["Northing"],
                                source="ukpn_sites")),
        ("code", points_by_code(pyp["site_code"][~geo], pxy[~geo, 0], pxy[~geo, 1],
                                source="pypsagb_curated")),
        ("name", points_by_name(osm["name"], osm["x"], osm["y"], source="osm_hv_2017")),
        ("code", points_by_code(pyp["site_code"][geo], pxy[geo, 0], pxy[geo, 1],
                                source="pypsagb_geocoded")),
    ]


def read_nged_sites(sources: SourceFiles) -> pd.DataFrame:
    """NGED substations: ``name``, ``kind`` (lower-case type), ``x``, ``y`` (EPSG:27700).

    The file's ``*_temp`` columns were added by the repository author and are ignored.
    """
    n = pd.read_csv(sources.path("nged_substations"))
    out = pd.DataFrame({"name": n["Substation Name"], "kind": n["Substation Type"].str.lower(),
                        "x": n["Easting"], "y": n["Northing"]})
    return out[_in_gb(out["x"], out["y"])].reset_index(drop=True)


def read_ukpn_sites(sources: SourceFiles) -> pd.DataFrame:
    """UKPN grid and primary sites with valid EPSG:27700 ``Easting``/``Northing``."""
    u = pd.read_csv(sources.path("ukpn_sites"), encoding="utf-8-sig")
    return u[_in_gb(u["Easting"], u["Northing"])].reset_index(drop=True)


def read_osm_vertices(path) -> pd.DataFrame:
    """OSM-2017 high-voltage vertices (``#``-separated) with EPSG:27700 ``x``, ``y``."""
    v = pd.read_csv(path, sep="#")
    xy = to_bng(v["lon"], v["lat"])
    return v.assign(x=xy[:, 0], y=xy[:, 1])


def parse_voltages_kv(value) -> list[float]:
    """OSM voltage field (volts, ``;``-joined, e.g. ``'400000;132000'``) as kV values.

    >>> parse_voltages_kv("400000;132000"), parse_voltages_kv(None)
    ([400.0, 132.0], [])
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    out = []
    for part in str(value).split(";"):
        try:
            out.append(float(part) / 1000.0)
        except ValueError:
            continue
    return out


def read_osm_lines(path, *, min_kv: float = 275.0):
    """OSM-2017 high-voltage links at ``min_kv`` or above, as shapely lines in EPSG:27700.

    The file is ``#``-separated; geometry is WKT with a ``SRID=4326;`` prefix.
    """
    import shapely
    from pyproj import Transformer

    links = pd.read_csv(path, sep="#")
    keep = links["voltage"].map(lambda v: max(parse_voltages_kv(v), default=0.0) >= min_kv)
    wkt = links.loc[keep, "wkt_srid_4326"].astype(str).str.replace(r"^SRID=\d+;", "",
                                                                   regex=True)
    geoms = shapely.from_wkt(wkt.to_numpy())
    tr = Transformer.from_crs(4326, BNG, always_xy=True)
    return shapely.transform(geoms, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


def locate_network_sites(sources: SourceFiles, *, year: int = NETWORK_YEAR
                         ) -> tuple[pd.DataFrame, dict]:
    """ETYS sites of the ``year`` network, placed, with MVA (see :func:`network_sites`).

    Returns every onshore substation site (pseudo and offshore sites dropped), placed or
    not, and a dict of counts for the build log.
    """
    sites, info = network_sites(read_etys(sources.path(_ETYS)), year=year)
    sites = sites[sites["in_network"] & ~sites["offshore"] & ~sites["pseudo"]]
    placed = place_sites(sites.reset_index(drop=True), read_placements(sources),
                         info["links"])
    info.update({"sites": len(placed), "placed": int(placed["x"].notna().sum()),
                 "tx_sites": int((placed["max_kv"] >= 275).sum()),
                 "tx_placed": int(((placed["max_kv"] >= 275) & placed["x"].notna()).sum()),
                 "by_source": placed["coord_source"].value_counts().to_dict(),
                 "refused": int((placed["refused"] != "").sum())})
    return placed, info


# --------------------------------------------------------------------------- retired plant

_FUEL_FAMILIES = (("nuclear", "nuclear"), ("coal", "coal"), ("oil", "oil"), ("ccgt", "gas"),
                  ("ocgt", "gas"), ("gas", "gas"), ("biomass", "biomass"), ("waste", "waste"))
#: Fuel families whose closure frees a large thermal connection.
THERMAL = ("coal", "oil", "gas", "nuclear")


def fuel_family(fuel) -> str:
    """``coal``, ``oil``, ``gas``, ``nuclear``, ``biomass``, ``waste`` or ``other``.

    >>> fuel_family("Coal/Oil"), fuel_family("CCGT/OCGT [note 17]")
    ('coal', 'gas')
    """
    f = str(fuel).lower()
    return next((fam for word, fam in _FUEL_FAMILIES if word in f), "other")


def retired_capacity_by_station(changes: pd.DataFrame, *, min_mw: float = MIN_RETIRED_MW
                                ) -> pd.DataFrame:
    """MW retired since 2010 per power station, from the DUKES 5.11 changes table.

    Each (station, fuel family) is a series whose capacity starts at its first row's
    previous capacity and becomes each row's new capacity, year by year (within a year
    decreases before increases, so a same-year conversion never looks like growth). A
    station (:func:`station_key`: units A/B, GT, CHP joined) retires its peak total minus
    its present total. So Drax, which converted four of six units to biomass, retires
    1,320 MW; Grain A's 1,300 MW counts even though Grain CHP opened beside it, and a
    mothballed-then-reopened plant retires nothing.

    Parameters
    ----------
    changes
        Sheet ``Changed and converted stations`` (``header=5``): ``Year of opening/...``,
        ``Site``, ``Fuel``, ``Status``, ``Previous Capacity (MW)``, ``New Capacity (MW)``.
    min_mw
        Stations retiring less are dropped.

    Returns
    -------
    pandas.DataFrame
        ``station`` (key), ``sites`` (DUKES names), ``fuels``, ``peak_mw``, ``present_mw``,
        ``retired_mw``, ``last_change`` (year), for stations with a thermal fuel that
        retired at least ``min_mw``.
    """
    year_col = next(c for c in changes.columns if str(c).lower().startswith("year"))
    d = pd.DataFrame({
        "year": pd.to_numeric(changes[year_col], errors="coerce"),
        "site": changes["Site"].astype(str).str.strip(),
        "fam": changes["Fuel"].map(fuel_family),
        "prev": pd.to_numeric(changes["Previous Capacity (MW)"], errors="coerce").fillna(0.0),
        "new": pd.to_numeric(changes["New Capacity (MW)"], errors="coerce").fillna(0.0),
    }).dropna(subset=["year"])
    d["station"] = d["site"].map(station_key)
    # One series per station and fuel: Wylfa's "Reactor 2" row (980 -> 490 MW) and
    # "Reactor 1" row (490 -> 0 MW) are steps of one 980 MW station.
    d["series"] = d["station"] + "|" + d["fam"]
    d["order"] = np.arange(len(d))
    d["up"] = d["new"] > d["prev"]
    rows = []
    for station, g in d.groupby("station", sort=True):
        cap = g.groupby("series")["prev"].first().to_dict()  # state before the first change
        peak = total = sum(cap.values())
        for r in g.sort_values(["year", "up", "order"]).itertuples():
            cap[r.series] = r.new
            total = sum(cap.values())
            peak = max(peak, total)
        rows.append({"station": station, "sites": "; ".join(sorted(set(g["site"]))),
                     "fuels": "; ".join(sorted(set(g["fam"]))), "peak_mw": peak,
                     "present_mw": total, "retired_mw": peak - total,
                     "last_change": int(g["year"].max()),
                     "thermal": bool(g["fam"].isin(THERMAL).any())})
    out = pd.DataFrame(rows)
    out = out[out["thermal"] & (out["retired_mw"] >= min_mw)].drop(columns="thermal")
    return out.sort_values("retired_mw", ascending=False).reset_index(drop=True)


def clean_plant_coordinates(df: pd.DataFrame) -> pd.DataFrame:
    """DUKES station rows with usable British National Grid coordinates.

    Northern Ireland rows (``Country``) are in Irish Grid (EPSG:29903), not BNG: read as
    BNG they would land in GB (Kilroot's 157669, 543287 falls in the sea off Galloway), so
    they are kept only as a flag (``ni`` True, no coordinates). 0/0, missing and
    out-of-GB coordinates (e.g. X = 3,201,233) are dropped.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``capacity_mw``, ``fuel``, ``x``, ``y``, ``ni``.
    """
    cap = next(c for c in df.columns if str(c).startswith("InstalledCapacity"))
    out = pd.DataFrame({
        "name": df["Site Name"].astype(str),
        "capacity_mw": pd.to_numeric(df[cap], errors="coerce"),
        "fuel": df["Primary Fuel"].astype(str),
        "x": pd.to_numeric(df["X-Coordinate"], errors="coerce"),
        "y": pd.to_numeric(df["Y-Coordinate"], errors="coerce"),
        "ni": df["Country"].astype(str).str.strip().eq("Northern Ireland")})
    out.loc[out["ni"], ["x", "y"]] = np.nan
    ok = out["ni"] | _in_gb(out["x"], out["y"])
    return out[ok].reset_index(drop=True)


def in_northern_ireland(lon, lat) -> np.ndarray:
    """True for WGS84 points in the Northern Ireland box (lon -8.2..-5.4, lat 54.0..55.3).

    The box holds no GB land except the tip of Kintyre (lat > 55.28), outside it.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon > -8.2) & (lon < -5.4) & (lat > 54.0) & (lat < 55.28)


def read_plant_points(sources: SourceFiles) -> pd.DataFrame:
    """Located thermal and nuclear plant (>= :data:`MIN_RETIRED_MW`), keyed by station.

    GPPD (2016 snapshot: coordinates for plant since closed) first, then the DUKES 2022-2024
    station lists (the only years with coordinates) for plant still open then.

    Returns
    -------
    pandas.DataFrame
        ``station`` (:func:`station_key`), ``x``, ``y`` (EPSG:27700 m; NaN in Northern
        Ireland), ``ni``, ``source``; one row per station.
    """
    g = pd.read_csv(sources.path("gppd_gbr"))
    g = g[g["latitude"].notna() & g["longitude"].notna()]
    xy = to_bng(g["longitude"], g["latitude"])
    ni = in_northern_ireland(g["longitude"], g["latitude"])
    gp = pd.DataFrame({"name": g["name"].values, "capacity_mw": g["capacity_mw"].values,
                       "fuel": g["fuel1"].values, "x": np.where(ni, np.nan, xy[:, 0]),
                       "y": np.where(ni, np.nan, xy[:, 1]), "ni": ni, "source": "gppd_gbr"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(sources.path("dukes_5_11"),
                            sheet_name=["DUKES 2024", "DUKES 2023", "DUKES 2022"], header=5)
    du = pd.concat([clean_plant_coordinates(v) for v in raw.values()], ignore_index=True)
    du["source"] = "dukes_5_11"
    pts = pd.concat([gp, du], ignore_index=True)
    pts = pts[pts["fuel"].map(fuel_family).isin(THERMAL) & (pts["capacity_mw"] >= MIN_RETIRED_MW)
              & (pts["ni"] | _in_gb(pts["x"], pts["y"]))]
    pts["station"] = pts["name"].map(station_key)
    return pts.groupby("station", sort=False)[["x", "y", "ni", "source"]].first().reset_index()


def _within_route(start: str, adj: dict, limit_km: float) -> set[str]:
    """Sites reachable from ``start`` along circuits of total route length <= limit_km."""
    import heapq

    best = {start: 0.0}
    heap = [(0.0, start)]
    while heap:
        d, s = heapq.heappop(heap)
        if d > best.get(s, np.inf):
            continue
        for nb, length in adj.get(s, []):
            nd = d + length
            if nd <= limit_km and nd < best.get(nb, np.inf):
                best[nb] = nd
                heapq.heappush(heap, (nd, nb))
    return set(best)


def locate_retired(retired: pd.DataFrame, sites: pd.DataFrame, plants: pd.DataFrame,
                   links: pd.DataFrame | None = None, *, max_km: float = RETIRED_RADIUS_KM,
                   link_km: float = 10.0) -> pd.DataFrame:
    """Attach each retired station to a placed ETYS substation.

    1. By name: the ETYS site whose name is the station's key, if that is unambiguous:
       every other site whose name starts with the key is at the same place, i.e. placed
       within ``max_km`` of it or reached from it along circuits of at most ``link_km``
       in all (``links``, :func:`site_links`). ``OLDBURY`` is the West Midlands GSP while
       the nuclear station was at ``OLDBURY ON SEVERN``, so Oldbury needs coordinates;
       ``WYLFA SOUTH`` is 8 km of circuit from ``WYLFA``, so Wylfa is placed by name.
    2. Else by the plant's coordinates (``plants``): the nearest placed site of 132 kV or
       more within ``max_km``.

    Stations whose plant lies in Northern Ireland are marked and never placed.

    Returns
    -------
    pandas.DataFrame
        ``retired`` plus ``site_code``, ``x``, ``y``, ``how`` (``name``, ``coordinates``,
        ``northern_ireland`` or ``unplaced``).
    """
    from scipy.spatial import cKDTree

    keyed: dict[str, list[tuple[int, bool]]] = {}  # key -> [(row, exact)]
    for i, names in zip(sites.index, sites["names"]):
        for n in names:
            k = station_key(n)
            for j in range(1, len(k.split()) + 1):
                keyed.setdefault(" ".join(k.split()[:j]), []).append((i, j == len(k.split())))
    placed = sites[sites["x"].notna()]
    hv = placed[placed["max_kv"] >= 132]
    tree = cKDTree(hv[["x", "y"]].to_numpy(float))
    plant = plants.set_index("station")
    adj: dict[str, list[tuple[str, float]]] = {}
    for a, b, length in ([] if links is None else
                         links[["a", "b", "length_km"]].itertuples(index=False)):
        if length <= link_km:
            adj.setdefault(a, []).append((b, length))
            adj.setdefault(b, []).append((a, length))
    code, xs, ys, how = [], [], [], []
    for key in retired["station"]:
        i, h = None, "unplaced"
        hits = keyed.get(key, [])
        exact = sorted({r for r, e in hits if e and r in placed.index},
                       key=lambda r: -sites.at[r, "max_kv"])
        if exact:
            r0 = exact[0]
            reach = _within_route(sites.at[r0, "site_code"], adj, link_km)
            same = True
            for r in {r for r, _ in hits} - {r0}:
                d = np.hypot(sites.at[r, "x"] - sites.at[r0, "x"],
                             sites.at[r, "y"] - sites.at[r0, "y"])
                if not d <= max_km * 1000 and sites.at[r, "site_code"] not in reach:
                    same = False
            if same:
                i, h = r0, "name"
        if i is None and key in plant.index:
            if bool(plant.at[key, "ni"]):
                h = "northern_ireland"
            else:
                d, j = tree.query(plant.loc[key, ["x", "y"]].to_numpy(float))
                if d <= max_km * 1000:
                    i, h = hv.index[j], "coordinates"
        code.append(None if i is None else sites.at[i, "site_code"])
        xs.append(np.nan if i is None else sites.at[i, "x"])
        ys.append(np.nan if i is None else sites.at[i, "y"])
        how.append(h)
    return retired.assign(site_code=code, x=xs, y=ys, how=how)


# --------------------------------------------------------------------------- queues


def tec_projects(tec: pd.DataFrame) -> pd.DataFrame:
    """One row per TEC project: staged rows de-duplicated by ``Project ID``.

    Staged projects repeat on several rows (``Stage`` 1..n) whose ``Cumulative Total
    Capacity (MW)`` is cumulative, so summing rows double counts. Per project the largest
    cumulative MW and the largest MW connected are kept; queued MW is their difference,
    never below 0 (a reduction is not negative queue).

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``project``, ``connection_site``, ``status``, ``plant_type``,
        ``host_to``, ``cumulative_mw``, ``connected_mw``, ``queued_mw``, ``n_rows``.
    """
    t = tec.assign(
        cum=pd.to_numeric(tec["Cumulative Total Capacity (MW)"], errors="coerce").fillna(0.0),
        con=pd.to_numeric(tec["MW Connected"], errors="coerce").fillna(0.0),
        pid=tec["Project ID"].fillna(tec["Project Name"]).astype(str))
    g = t.groupby("pid", sort=False)
    out = pd.DataFrame({
        "project": g["Project Name"].first(), "connection_site": g["Connection Site"].first(),
        "status": g["Project Status"].first(), "plant_type": g["Plant Type"].first(),
        "host_to": g["HOST TO"].first(), "cumulative_mw": g["cum"].max(),
        "connected_mw": g["con"].max(), "n_rows": g.size()})
    out["queued_mw"] = (out["cumulative_mw"] - out["connected_mw"]).clip(lower=0.0)
    return out.rename_axis("project_id").reset_index()


def name_locator(sites: pd.DataFrame, placements: list[tuple[str, pd.DataFrame]]):
    """A function from a free-text connection-site name to (x, y, how), or None.

    Tries placed ETYS site names, then the named placement sources (NGED, UKPN, OSM),
    each first with the full key and then without a trailing single letter or digit
    (``Ferrybridge C``, ``New Deer 2``). Offshore names are never placed.
    """
    placed = sites[sites["x"].notna()].sort_values("max_kv", ascending=False)
    lookup: list[tuple[str, dict]] = [("etys", {})]
    for code, names, x, y in zip(placed["site_code"], placed["names"], placed["x"], placed["y"]):
        for n in names:
            lookup[0][1].setdefault(normalise_site_name(n), (float(x), float(y), code))
    for kind, table in placements:
        if kind == "name":
            lookup.append((str(table["source"].iloc[0]) if len(table) else kind,
                           {k: (float(r.x), float(r.y), None) for k, r in table.iterrows()}))

    def locate(name):
        if _OFFSHORE.search(str(name).upper()):
            return None
        key = normalise_site_name(name)
        for k in (key, re.sub(r"\s+[A-Z0-9]$", "", key)):
            for src, table in lookup:
                if k and k in table:
                    x, y, code = table[k]
                    return x, y, code or src
        return None

    return locate


def place_by_name(names: pd.Series, locate) -> pd.DataFrame:
    """``x``, ``y``, ``matched`` (site code or source) for each name, NaN if unplaced."""
    uniq = {n: locate(n) for n in pd.unique(names)}
    hits = names.map(uniq)
    return pd.DataFrame({"x": hits.map(lambda h: h[0] if h else np.nan),
                         "y": hits.map(lambda h: h[1] if h else np.nan),
                         "matched": hits.map(lambda h: h[2] if h else None)}, index=names.index)


def nged_queue_by_gsp(queue: pd.DataFrame, *, statuses=NGED_QUEUE_STATUSES) -> pd.DataFrame:
    """NGED queued MW per Grid Supply Point (demand plus generation).

    Returns
    -------
    pandas.DataFrame
        ``gsp``, ``demand_mw``, ``generation_mw``, ``queued_mw``, sorted by ``gsp``.
    """
    q = queue[queue["Connection Status"].isin(statuses)]
    g = q.groupby("Grid Supply Point")
    out = pd.DataFrame({"demand_mw": g["Total Demand Capacity (MW)"].sum(),
                        "generation_mw": g["Total Generation Capacity (MW)"].sum()})
    out["queued_mw"] = out["demand_mw"] + out["generation_mw"]
    return out.rename_axis("gsp").reset_index()


# --------------------------------------------------------------------------- headroom


def parse_ratings(value) -> list[float]:
    """Comma-separated transformer ratings (MVA), e.g. ``"117, 117"`` -> [117.0, 117.0].

    >>> parse_ratings("80, 78, 78"), parse_ratings(float("nan"))
    ([80.0, 78.0, 78.0], [])
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    out = []
    for part in str(value).split(","):
        try:
            out.append(float(part))
        except ValueError:
            continue
    return out


def firm_headroom(ratings, max_demand_mva: float) -> tuple[float, float]:
    """Firm (N-1) capacity and demand headroom of one substation, in MVA.

    .. math:: firm = \\sum r_i - \\max r_i, \\qquad headroom = firm - demand

    A single transformer has no firm capacity (losing it loses the site).

    >>> firm_headroom([117, 117], 80.7)
    (117.0, 36.3)
    """
    r = [float(v) for v in ratings]
    if not r or max_demand_mva is None or np.isnan(max_demand_mva):
        return float("nan"), float("nan")
    firm = sum(r) - max(r)
    return firm, round(firm - float(max_demand_mva), 6)


def ukpn_headroom(ukpn: pd.DataFrame) -> pd.DataFrame:
    """UKPN 132 kV grid substations with ratings and winter maximum demand, and headroom.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``x``, ``y`` (EPSG:27700 m), ``firm_mva``, ``max_demand_mva``,
        ``headroom_mva``; only rows where both ratings and demand are published.
    """
    g = ukpn[(ukpn["SiteType"] == "Grid Substation") & (ukpn["SiteVoltage"] >= 132)]
    dem = pd.to_numeric(g["maxdemandwinter"], errors="coerce")
    fh = [firm_headroom(parse_ratings(r), d) for r, d in zip(g["transratingwinter"], dem)]
    out = pd.DataFrame({"name": g["SiteName"].values, "x": g["Easting"].values,
                        "y": g["Northing"].values, "firm_mva": [f for f, _ in fh],
                        "max_demand_mva": dem.values, "headroom_mva": [h for _, h in fh]})
    return out.dropna(subset=["headroom_mva"]).reset_index(drop=True)


# --------------------------------------------------------------------------- boundaries


def boundary_crossings(xy: np.ndarray, lines, origin=LONDON_XY) -> np.ndarray:
    """How many of ``lines`` separate each point from ``origin``.

    A line separates a point from the origin when the straight segment between them
    crosses it an odd number of times (ETYS boundaries run coast to coast, or are closed
    loops, so parity says which side a point is on).

    Segment crossings are found per line segment only for the points whose bearing from
    the origin lies within that segment's angular span, so the work grows with the
    points near each boundary, not with points x segments.

    Parameters
    ----------
    xy
        (n, 2) points in metres (same CRS as ``lines``).
    lines
        Shapely LineStrings.
    origin
        (x, y) of the reference point; must not lie on a line.

    Returns
    -------
    numpy.ndarray
        (n,) int16 counts.
    """
    import shapely

    xy = np.asarray(xy, float).reshape(-1, 2)
    ox, oy = origin
    dx, dy = xy[:, 0] - ox, xy[:, 1] - oy
    theta = np.arctan2(dy, dx)
    order = np.argsort(theta)
    ts = theta[order]
    total = np.zeros(len(xy), dtype=np.int16)
    for line in lines:
        c = shapely.get_coordinates(line)
        parity = np.zeros(len(xy), dtype=bool)
        for (px, py), (qx, qy) in zip(c[:-1], c[1:]):
            a, b = np.arctan2(py - oy, px - ox), np.arctan2(qy - oy, qx - ox)
            lo, hi = min(a, b), max(a, b)
            if hi - lo > np.pi:  # the span crosses the +-pi cut: two ranges
                ranges = [(-np.pi - 1, lo), (hi, np.pi + 1)]
            else:
                ranges = [(lo, hi)]
            # Origin side of the segment's line; a point on the other side crosses it.
            side_o = (qx - px) * (oy - py) - (qy - py) * (ox - px)
            for r0, r1 in ranges:
                i0, i1 = np.searchsorted(ts, r0, "left"), np.searchsorted(ts, r1, "left")
                if i1 <= i0:
                    continue
                idx = order[i0:i1]
                side = (qx - px) * (xy[idx, 1] - py) - (qy - py) * (xy[idx, 0] - px)
                parity[idx[np.sign(side) * np.sign(side_o) < 0]] ^= True
        total += parity
    return total


# --------------------------------------------------------------------------- onto the grid


def dno_area(own_xy: np.ndarray, other_xy: np.ndarray, grid: GridSpec, land: np.ndarray, *,
             max_km: float = DNO_AREA_KM) -> np.ndarray:
    """Land cells within ``max_km`` of one DNO's sites and nearer them than another's.

    Approximates a licence area from its substations (dense enough, one per ~25 km², that
    a 6 km reach leaves no holes inside and a fringe of at most 6 km outside).
    """
    d_own = distance_to_points(own_xy, grid, land)
    d_other = distance_to_points(other_xy, grid, land)
    with np.errstate(invalid="ignore"):
        return land & (d_own <= max_km) & ~(d_other < d_own)


# --------------------------------------------------------------------------- edge


def build(sources: SourceFiles, grid: GridSpec, base, *, log=None) -> dict[str, np.ndarray]:
    """Read the grid sources and put every grid-capacity criterion on ``grid``."""
    import geopandas as gpd

    land = base.land
    sites, info = locate_network_sites(sources)
    placements = read_placements(sources)
    placed = sites[sites["x"].notna()]
    tx = placed[placed["max_kv"] >= 275]

    nged = read_nged_sites(sources)
    ukpn = read_ukpn_sites(sources)
    nged_hv = nged[nged["kind"].isin(["super grid substation", "bulk supply point",
                                      "132kv switching station"])]
    ukpn_hv = ukpn[(ukpn["SiteType"] == "Grid Substation") & (ukpn["SiteVoltage"] >= 132)]
    nged_sg = nged[nged["kind"] == "super grid substation"]
    sub_xy = np.vstack([placed[placed["max_kv"] >= 132][["x", "y"]].to_numpy(float),
                        nged_hv[["x", "y"]].to_numpy(float),
                        ukpn_hv[["Easting", "Northing"]].to_numpy(float)])
    tx_xy = tx[["x", "y"]].to_numpy(float)
    out = {
        "dist_substation_132kv_km": distance_to_points(sub_xy, grid, land),
        "dist_transmission_km": distance_to_points(
            np.vstack([tx_xy, nged_sg[["x", "y"]].to_numpy(float)]), grid, land),
        "dist_transmission_line_km": distance_to_lines(
            read_osm_lines(sources.path("osm_hv_links_2017")), grid, land),
        "transmission_node_mva": value_of_nearest(tx_xy, tx["circuit_mva"], grid, land),
        "transformer_mva": value_of_nearest(tx_xy, tx["transformer_mva"], grid, land),
    }

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        changes = pd.read_excel(sources.path("dukes_5_11"),
                                sheet_name="Changed and converted stations", header=5)
    retired = locate_retired(retired_capacity_by_station(changes), sites,
                             read_plant_points(sources), info["links"])
    ok = retired["x"].notna()
    out["retired_capacity_mw"] = reduce_within(
        retired.loc[ok, ["x", "y"]].to_numpy(float), retired.loc[ok, "retired_mw"], grid, land,
        radius_km=RETIRED_RADIUS_KM, how="max", fill=0.0)

    locate = name_locator(sites, placements)
    proj = tec_projects(pd.read_csv(sources.path("tec_register_2025"), encoding="utf-8-sig"))
    proj = proj.join(place_by_name(proj["connection_site"], locate))
    q = proj[proj["x"].notna() & (proj["queued_mw"] > 0)]
    out["tec_queue_mw"] = reduce_within(q[["x", "y"]].to_numpy(float), q["queued_mw"], grid,
                                        land, radius_km=QUEUE_RADIUS_KM, how="sum", fill=0.0)

    nged_xy, ukpn_xy = nged[["x", "y"]].to_numpy(float), ukpn[["Easting", "Northing"]].to_numpy(
        float)
    in_nged = dno_area(nged_xy, ukpn_xy, grid, land)
    gsp = nged_queue_by_gsp(pd.read_csv(sources.path("nged_queue_2025"), encoding="utf-8-sig"))
    gsp = gsp.join(place_by_name(gsp["gsp"], locate)).dropna(subset=["x"])
    dq = value_of_nearest(gsp[["x", "y"]].to_numpy(float), gsp["queued_mw"], grid, land)
    out["dno_queue_mw"] = np.where(in_nged, dq, np.nan).astype(np.float32)

    in_ukpn = dno_area(ukpn_xy, nged_xy, grid, land)
    head = ukpn_headroom(pd.read_csv(sources.path("ukpn_sites"), encoding="utf-8-sig"))
    hr = reduce_within(head[["x", "y"]].to_numpy(float), head["headroom_mva"], grid, land,
                       radius_km=HEADROOM_RADIUS_KM, how="max", fill=None)
    out["distribution_headroom_mva"] = np.where(in_ukpn, hr, np.nan).astype(np.float32)

    bnd = gpd.read_file(sources.path("etys_boundaries_2025")).to_crs(BNG)
    rows, cols = np.nonzero(land)
    cx, cy = grid.xy(rows, cols)
    count = np.full(grid.shape, np.nan, dtype=np.float32)
    count[rows, cols] = boundary_crossings(np.column_stack([cx, cy]), bnd.geometry.values)
    out["boundaries_to_london"] = count

    if log is not None:
        print(f"    ETYS {NETWORK_YEAR}: {info['placed']}/{info['sites']} sites placed "
              f"({info['tx_placed']}/{info['tx_sites']} at 400/275 kV) by "
              f"{info['by_source']}; retired stations placed "
              f"{int(ok.sum())}/{len(retired)}; TEC queued MW placed "
              f"{q['queued_mw'].sum() / proj['queued_mw'].sum():.0%}", file=log)
    return out
