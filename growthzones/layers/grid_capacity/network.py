"""The ETYS 2024 network model: sites, circuits and transformers as they stand in 2030.

Reads ETYS Appendix B, applies the change tables up to :data:`NETWORK_YEAR`, and sums
the circuit and step-down transformer ratings of each site (9999 MVA coupler
placeholders dropped). All functions but :func:`read_etys` are pure.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from .names import _OFFSHORE, _PSEUDO, normalise_site_name

#: The network year: sites and circuit ratings as ETYS 2024 expects them in this year.
NETWORK_YEAR = 2030
#: ETYS rating used for zero-impedance couplers; not a real rating.
PLACEHOLDER_MVA = 9999.0


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
