"""The ETYS 2024 network model: sites, circuits and transformers in each network year.

Reads ETYS Appendix B, applies the change tables up to a network year, and sums the
circuit and step-down transformer ratings of each site (9999 MVA coupler placeholders
dropped). All functions but :func:`read_etys` are pure.

**Network years.** ETYS models the network in five snapshots (:data:`SNAPSHOTS`):
2025/26, 2027/28, 2029/30, 2032/33 and 2035/36, labelled by their first year. A change
row (``Year`` = first year of its financial year) applies from the first snapshot at or
after its year, with one exception: SHE-T dates its fourth snapshot 2032 and NGET/SPT
date it 2033, so rows of 2033 belong to the 2032/33 snapshot (:data:`SNAPSHOT_ROWS_TO`
gives the last row year each snapshot takes). Rows between snapshots (OFTO's 2026, 2030,
2031; B-5-1's 2030) count from the next snapshot, as ETYS models them there. A year asked
for (``network_year = 2030``) means the snapshot in force that year: the latest at or
before it (:func:`snapshot_of`; 2030 and 2031 are the 2029/30 snapshot, 2033 and 2034 the
2032/33 one). Years before 2025 or after 2036 are outside ETYS 2024.

Offshore and HVDC: OFTO circuits (B-2-1d existing, B-2-2d planned) and the intra-GB HVDC
links of B-5-1 (existing, or planned from a year) are circuits like the others, so a
landing adds its rating to the onshore site it lands at from its snapshot; links whose
ends are named (``Ballantrae``, ``Shetland Hub``), not coded, cannot be placed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...criteria import NETWORK_YEAR  # the default: 2030, the 2029/30 snapshot
from ...io import read_workbook
from .names import _OFFSHORE, _PSEUDO, normalise_site_name

#: ETYS 2024 snapshots, by first year of the financial year (2025 = 2025/26).
SNAPSHOTS = (2025, 2027, 2029, 2032, 2035)
#: Last change-row ``Year`` each snapshot takes (2033 rows are the 2032/33 snapshot's).
SNAPSHOT_ROWS_TO = {2025: 2025, 2027: 2027, 2029: 2029, 2032: 2033, 2035: 2036}
#: Last year each snapshot is in force (the next one starts the year after).
SNAPSHOT_YEARS_TO = {2025: 2026, 2027: 2028, 2029: 2031, 2032: 2034, 2035: 2036}
#: ETYS rating used for zero-impedance couplers; not a real rating.
PLACEHOLDER_MVA = 9999.0


def snapshot_label(snapshot: int) -> str:
    """``2029`` -> ``"2029/30"``."""
    return f"{snapshot}/{(snapshot + 1) % 100:02d}"


def snapshot_cutoff(snapshot: int) -> str:
    """The date up to which TEC connections count in a snapshot: 31 March after its
    first year (the end of the ETYS financial year, ``2029`` -> ``2030-03-31``)."""
    return f"{snapshot + 1}-03-31"


def snapshot_of(year) -> int:
    """The ETYS snapshot in force in ``year``: the latest at or before it.

    >>> snapshot_of(2030), snapshot_of(2033), snapshot_of(2035)
    (2029, 2032, 2035)
    >>> snapshot_of(2040)
    Traceback (most recent call last):
    ...
    ValueError: network year 2040 is outside ETYS 2024 (2025 to 2036)
    """
    y = int(year)
    if not SNAPSHOTS[0] <= y <= SNAPSHOT_YEARS_TO[SNAPSHOTS[-1]]:
        raise ValueError(f"network year {y} is outside ETYS 2024 ({SNAPSHOTS[0]} to "
                         f"{SNAPSHOT_YEARS_TO[SNAPSHOTS[-1]]})")
    return max(s for s in SNAPSHOTS if s <= y)


def row_snapshot(year) -> float:
    """The snapshot a change row dated ``year`` first applies in (NaN: none by 2035/36).

    >>> [row_snapshot(y) for y in (2025, 2026, 2030, 2033, 2035)]
    [2025, 2027, 2032, 2032, 2035]
    """
    y = pd.to_numeric(year, errors="coerce")
    if pd.isna(y):
        return np.nan
    return next((s for s in SNAPSHOTS if y <= SNAPSHOT_ROWS_TO[s]), np.nan)


def _node_cols(df: pd.DataFrame) -> pd.DataFrame:
    """ETYS sheets spell ``Node 1`` and ``Node1``; use ``node1``/``node2``."""
    ren = {c: re.sub(r"\s+", "", c).lower() for c in df.columns if re.sub(r"\s+", "", c).lower()
           in ("node1", "node2")}
    return df.rename(columns=ren)


#: An ETYS node code: 4-character site, voltage digit (a letter on DC nodes), section
#: (``DRAX41``, ``HUCS4-``, ``SOFWD``).
_NODE_CODE = re.compile(r"^[A-Z0-9]{4}[A-Z0-9-]{1,2}$")
#: Sheets of the change tables (circuits, transformers; OFTO ``d`` sheets included).
CIRCUIT_CHANGE_SHEETS = tuple(f"B-2-2{s}" for s in "abcd")
TRANSFORMER_CHANGE_SHEETS = tuple(f"B-3-2{s}" for s in "abcd")
HVDC_SHEET = "B-5-1"


def _node(v) -> str:
    """A node code as ETYS writes it, upper case; a named (uncoded) end becomes ``~NAME``,
    which no 4-character site code matches (``Ballantrae``, ``Shetland Hub``)."""
    t = str(v).strip().upper()
    return t if _NODE_CODE.match(t) else "~" + t


def read_etys(path) -> dict[str, pd.DataFrame]:
    """Read the ETYS 2024 Appendix B tables this layer uses.

    Returns
    -------
    dict
        ``sites`` (``site_code``, ``site_name``, ``kv``: one row per site and voltage,
        sheets B-1-1a..d); ``circuits`` (``node1``, ``node2``, ``rating_mva``: winter
        rating, B-2-1a..c, OFTO B-2-1d, and the existing HVDC links of B-5-1);
        ``circuit_changes`` (plus ``year``, ``status``, ``sheet``, ``row`` (the Excel row),
        ``name`` (wind farm or link); B-2-2a..d and the planned links of B-5-1 as
        ``Addition`` rows); ``transformers`` and ``transformer_changes`` (B-3-1a..d,
        B-3-2a..d); ``ofto_nodes`` (nodes of the OFTO sheets, for reference). Ratings
        given as ``TBC`` are NaN (such a branch joins sites but adds no MVA).
    """
    names = [f"B-1-1{s}" for s in "abcd"] + [f"B-2-1{s}" for s in "abcd"] + \
            list(CIRCUIT_CHANGE_SHEETS) + [f"B-3-1{s}" for s in "abcd"] + \
            list(TRANSFORMER_CHANGE_SHEETS) + [HVDC_SHEET]
    raw = read_workbook(path, sheet_name=names, header=1)
    raw = {k: d.rename(columns=lambda c: str(c).strip()) for k, d in raw.items()}
    sites = pd.concat([raw[f"B-1-1{s}"].iloc[:, :3] for s in "abcd"], ignore_index=True)
    sites.columns = ["site_code", "site_name", "kv"]
    sites = sites.dropna(subset=["site_code"])
    sites["site_code"] = sites["site_code"].astype(str).str.strip().str.upper()
    sites["kv"] = pd.to_numeric(sites["kv"], errors="coerce")  # 'TBC' has no voltage yet

    def table(keys, ratings, extra=()):
        parts = []
        for k, rating in zip(keys, ratings):
            d = _node_cols(raw[k])
            rcol = next(c for c in d.columns if c.startswith(rating))
            part = d[["node1", "node2"]].copy()
            for c in extra:
                part[c] = d[c] if c in d else np.nan
            part["rating_mva"] = pd.to_numeric(d[rcol], errors="coerce")
            lengths = [c for c in d.columns if re.match(r"(OHL|Cable) Length", c)]
            if lengths:  # route length, km: overhead line plus cable
                part["length_km"] = sum(pd.to_numeric(d[c], errors="coerce").fillna(0.0)
                                        for c in lengths)
            part["sheet"], part["row"] = k, d.index + 3  # title row, header row, data
            if "Wind Farm" in d:  # OFTO sheets name the wind farm on its first row only
                part["name"] = d["Wind Farm"].ffill()
            parts.append(part.dropna(subset=["node1", "node2"]))
        out = pd.concat(parts, ignore_index=True)
        for c in ("node1", "node2"):
            out[c] = out[c].map(_node)
        return out

    tables = {
        "sites": sites.reset_index(drop=True),
        "circuits": table([f"B-2-1{s}" for s in "abcd"], ["Winter Rating"] * 3 + ["Rating"]),
        "circuit_changes": table(CIRCUIT_CHANGE_SHEETS, ["Winter Rating"] * 3 + ["Rating"],
                                 ("Year", "Status")),
        "transformers": table([f"B-3-1{s}" for s in "abcd"], ["Rating"] * 4),
        "transformer_changes": table(TRANSFORMER_CHANGE_SHEETS, ["Rating"] * 4,
                                     ("Year", "Status")),
    }
    for k in ("circuit_changes", "transformer_changes"):
        tables[k] = tables[k].rename(columns={"Year": "year", "Status": "status"})
    existing, planned = hvdc_links(raw[HVDC_SHEET])
    tables["circuits"] = pd.concat([tables["circuits"], existing], ignore_index=True)
    tables["circuit_changes"] = pd.concat([tables["circuit_changes"], planned],
                                          ignore_index=True)
    ofto = []
    for k in ("B-2-1d", "B-2-2d", "B-3-1d", "B-3-2d"):
        d = _node_cols(raw[k])
        ofto += [_node(v) for c in ("node1", "node2") for v in d[c].dropna()]
    tables["ofto_nodes"] = pd.DataFrame({"node": sorted(set(ofto))})
    return tables


def hvdc_links(b51: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """B-5-1's intra-GB HVDC links as circuits: (existing, planned ``Addition`` rows).

    A planned link's ``year`` is its "Planned from year". Named ends (not node codes)
    become ``~NAME`` (see :func:`_node`), so they join no site.

    >>> b = pd.DataFrame({"Interconnector Name": ["EGL2", "HND"], "Existing": ["No", "No"],
    ...                   "Planned from year": [2029, 2033], "Node 1": ["DRAX41", "Ballantrae"],
    ...                   "Node 2": ["PEHE4-", "Kilmarnock South"],
    ...                   "Winter Rating (MVA)": [2000, 2000], "Length(km)": [505, 69]})
    >>> ex, pl = hvdc_links(b)
    >>> len(ex), pl[["node1", "node2", "year", "status"]].values.tolist()
    (0, [['DRAX41', 'PEHE4-', 2029, 'Addition'], ['~BALLANTRAE', '~KILMARNOCK SOUTH', 2033, 'Addition']])
    """
    d = _node_cols(b51.rename(columns=lambda c: str(c).strip()))
    d = d.dropna(subset=["node1", "node2"])
    out = pd.DataFrame({
        "node1": d["node1"].map(_node), "node2": d["node2"].map(_node),
        "rating_mva": pd.to_numeric(d["Winter Rating (MVA)"], errors="coerce"),
        "length_km": pd.to_numeric(d["Length(km)"], errors="coerce"),
        "sheet": HVDC_SHEET, "row": d.index + 3, "name": d["Interconnector Name"]})
    is_existing = d["Existing"].astype(str).str.strip().str.lower().eq("yes")
    planned = out[~is_existing].assign(
        year=pd.to_numeric(d.loc[~is_existing, "Planned from year"], errors="coerce"),
        status="Addition")
    return out[is_existing].reset_index(drop=True), planned.reset_index(drop=True)


def apply_changes(base: pd.DataFrame, changes: pd.DataFrame, *, year: int,
                  unmatched_rows: list | None = None) -> tuple[pd.DataFrame, int]:
    """The branch table (circuits or transformers) as it stands in ``year``.

    ``changes`` rows up to ``year`` are applied in year order: ``Addition`` appends a
    branch, ``Removed`` drops one branch with the same (unordered) node pair, ``Change``
    replaces its rating (and length, where given).

    Returns
    -------
    (pandas.DataFrame, int)
        ``node1``, ``node2``, ``rating_mva`` (and ``length_km`` if ``base`` has it); and
        the number of Removed/Change rows that matched no branch (reported by the build);
        their ``changes`` index labels are appended to ``unmatched_rows`` if given.

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
    for label, r in zip(todo.index, todo.to_dict("records")):
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
            if unmatched_rows is not None:
                unmatched_rows.append(label)
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
    named = a.str.startswith("~") | b.str.startswith("~")  # no site at a named end
    d = d[(d["a"] != d["b"]) & d["length_km"].notna() & ~named.to_numpy()]
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


def summarise_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """One row per ETYS site code.

    ETYS lists a few codes under two names, and once under another site's name (ABHA,
    Abham, also appears as ABERTHAW, which is ABTH). A code keeps a secondary name only if
    that name is not another code's primary name, so joins by name find the right site.

    Returns
    -------
    pandas.DataFrame
        ``site_code``, ``site_name`` (primary name: the most frequent; ties go to the name
        that starts like the code, then the shorter, then the first listed), ``names``
        (names usable for joins, sorted), ``max_kv``, ``offshore``, ``pseudo`` (tee point
        or border node, not a substation).
    """
    s = sites.assign(site_name=sites["site_name"].astype(str).str.strip())
    # one row per (code, name), in the order first listed, with how often it is listed
    # (table operations, not a loop over codes: a build summarises the sites ~11 times)
    pairs = s.groupby(["site_code", "site_name"], sort=False).size().rename("n").reset_index()
    names = pairs["site_name"]
    uniq = pd.unique(names)
    starts = pd.Series([normalise_site_name(n)[:4] for n in uniq], index=uniq)
    pairs["like"] = starts.reindex(names).to_numpy() == pairs["site_code"].to_numpy()
    pairs["length"] = names.str.len()
    top = pairs[pairs["n"] == pairs.groupby("site_code")["n"].transform("max")]
    top = top.sort_values(["like", "length"], ascending=[False, True], kind="stable")
    primary = top.drop_duplicates("site_code").set_index("site_code")["site_name"].sort_index()
    own = primary.reindex(pairs["site_code"]).to_numpy() == names.to_numpy()
    usable = pairs[own | ~names.isin(set(primary))].sort_values(["site_code", "site_name"])
    out = pd.DataFrame({"site_name": primary,
                        "names": usable.groupby("site_code")["site_name"].agg(tuple),
                        "max_kv": s.groupby("site_code")["kv"].max()})
    upper = out["site_name"].str.upper()
    out["offshore"] = upper.str.contains(_OFFSHORE)
    out["pseudo"] = upper.str.contains(_PSEUDO)
    return out.rename_axis("site_code").reset_index()


def network_sites(tables: dict, *, year: int = NETWORK_YEAR) -> tuple[pd.DataFrame, dict]:
    """ETYS sites in the network of ``year`` (its snapshot) with their circuit and
    transformer MVA.

    Returns
    -------
    (pandas.DataFrame, dict)
        :func:`summarise_sites` columns plus ``in_network`` (a circuit or transformer in
        the snapshot), ``circuit_mva``, ``transformer_mva``; and a dict with ``snapshot``,
        the counts of unmatched change rows, their ``changes`` index labels
        (``unmatched_circuit_rows``, ``unmatched_transformer_rows``) and ``links``
        (:func:`site_links` of the snapshot's circuits).
    """
    snap = snapshot_of(year)
    upto = SNAPSHOT_ROWS_TO[snap]
    un_c: list = []
    un_t: list = []
    circuits, n_c = apply_changes(tables["circuits"], tables["circuit_changes"], year=upto,
                                  unmatched_rows=un_c)
    trafos, n_t = apply_changes(tables["transformers"], tables["transformer_changes"],
                                year=upto, unmatched_rows=un_t)
    sites = summarise_sites(tables["sites"])
    nodes = pd.concat([circuits["node1"], circuits["node2"], trafos["node1"], trafos["node2"]])
    sites["in_network"] = sites["site_code"].isin(set(nodes.str[:4]))
    sites["circuit_mva"] = sites["site_code"].map(node_circuit_mva(circuits)).fillna(0.0)
    sites["transformer_mva"] = sites["site_code"].map(node_transformer_mva(trafos)).fillna(0.0)
    return sites, {"snapshot": snap, "unmatched_circuit_changes": n_c,
                   "unmatched_transformer_changes": n_t, "unmatched_circuit_rows": un_c,
                   "unmatched_transformer_rows": un_t, "links": site_links(circuits)}
