"""Placing ETYS site codes: coordinates from six sources, in order of trust.

See the package docstring for the order and the circuit-length check. The readers here
are edges; :func:`placement_tables` and :func:`place_sites` are pure, so the build reads
each source once and passes the frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...catalog import SourceFiles
from ...grid import to_bng
from .names import _in_gb, _same_place, normalise_site_name
from .network import NETWORK_YEAR, SNAPSHOTS, network_sites, read_etys, snapshot_of

#: Sources of site coordinates, most trusted first (see the module docstring).
PLACEMENT_ORDER = ("fes2024_gsp", "nged_substations", "ukpn_sites", "pypsagb_curated",
                   "osm_hv_2017", "pypsagb_geocoded")


_ETYS = "etys_2024"


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


#: NGED substation types with a 132 kV or higher busbar.
NGED_HV_KINDS = ("super grid substation", "bulk supply point", "132kv switching station")


def nged_hv_sites(nged: pd.DataFrame) -> pd.DataFrame:
    """NGED Super Grid, Bulk Supply Point and 132 kV switching stations (:func:`clean_nged_sites` rows)."""
    return nged[nged["kind"].isin(NGED_HV_KINDS)]


def ukpn_hv_sites(ukpn: pd.DataFrame) -> pd.DataFrame:
    """UKPN grid substations at 132 kV or above (:func:`clean_ukpn_sites` rows)."""
    return ukpn[(ukpn["SiteType"] == "Grid Substation") & (ukpn["SiteVoltage"] >= 132)]


def placement_tables(fes: pd.DataFrame, nged: pd.DataFrame, ukpn: pd.DataFrame,
                     pypsa: pd.DataFrame, osm: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Every coordinate source, in :data:`PLACEMENT_ORDER`, ready for :func:`place_sites`.

    Parameters
    ----------
    fes
        NESO FES 2024 GSP list as read (``GSP ID``, ``Name``, ``Longitude``, ``Latitude``).
    nged, ukpn
        :func:`clean_nged_sites` and :func:`clean_ukpn_sites` of the DNO files.
    pypsa
        PyPSA-GB's ETYS coordinates as read (``site_code``, ``lon``, ``lat``, ``source``).
    osm
        :func:`read_osm_vertices` of the OSM-2017 vertices.
    """
    fxy = to_bng(fes["Longitude"], fes["Latitude"])
    nged = nged_hv_sites(nged)
    ukpn = ukpn_hv_sites(ukpn)
    pxy = to_bng(pypsa["lon"], pypsa["lat"])
    geo = pypsa["source"].astype(str).str.startswith("nominatim").to_numpy()
    osm = osm[osm["typ"].isin(["substation", "sub_station"]) & osm["name"].notna()]
    return [
        ("code", points_by_code(fes["GSP ID"], fxy[:, 0], fxy[:, 1], source="fes2024_gsp",
                                names=fes["Name"])),
        ("name", points_by_name(nged["name"], nged["x"], nged["y"], source="nged_substations")),
        ("name", points_by_name(ukpn["SiteName"], ukpn["Easting"], ukpn["Northing"],
                                source="ukpn_sites")),
        ("code", points_by_code(pypsa["site_code"][~geo], pxy[~geo, 0], pxy[~geo, 1],
                                source="pypsagb_curated")),
        ("name", points_by_name(osm["name"], osm["x"], osm["y"], source="osm_hv_2017")),
        ("code", points_by_code(pypsa["site_code"][geo], pxy[geo, 0], pxy[geo, 1],
                                source="pypsagb_geocoded")),
    ]


def read_placements(sources: SourceFiles) -> list[tuple[str, pd.DataFrame]]:
    """Read every coordinate source and return :func:`placement_tables` of them."""
    return placement_tables(
        pd.read_csv(sources.path("fes2024_gsp")), read_nged_sites(sources),
        read_ukpn_sites(sources), pd.read_csv(sources.path("etys_coords_pypsagb")),
        read_osm_vertices(sources.path("osm_hv_2017")))


def clean_nged_sites(raw: pd.DataFrame) -> pd.DataFrame:
    """NGED substations: ``name``, ``kind`` (lower-case type), ``x``, ``y`` (EPSG:27700).

    The file's ``*_temp`` columns were added by the repository author and are ignored.
    """
    out = pd.DataFrame({"name": raw["Substation Name"],
                        "kind": raw["Substation Type"].str.lower(),
                        "x": raw["Easting"], "y": raw["Northing"]})
    return out[_in_gb(out["x"], out["y"])].reset_index(drop=True)


def read_nged_sites(sources: SourceFiles) -> pd.DataFrame:
    """Read the NGED substation list and return :func:`clean_nged_sites` of it."""
    return clean_nged_sites(pd.read_csv(sources.path("nged_substations")))


def read_ukpn_raw(sources: SourceFiles) -> pd.DataFrame:
    """The UKPN grid and primary sites file as published (also read for headroom)."""
    return pd.read_csv(sources.path("ukpn_sites"), encoding="utf-8-sig")


def clean_ukpn_sites(raw: pd.DataFrame) -> pd.DataFrame:
    """UKPN grid and primary sites with valid EPSG:27700 ``Easting``/``Northing``."""
    return raw[_in_gb(raw["Easting"], raw["Northing"])].reset_index(drop=True)


def read_ukpn_sites(sources: SourceFiles) -> pd.DataFrame:
    """Read the UKPN sites file and return :func:`clean_ukpn_sites` of it."""
    return clean_ukpn_sites(read_ukpn_raw(sources))


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

    links = pd.read_csv(path, sep="#")
    keep = links["voltage"].map(lambda v: max(parse_voltages_kv(v), default=0.0) >= min_kv)
    wkt = links.loc[keep, "wkt_srid_4326"].astype(str).str.replace(r"^SRID=\d+;", "",
                                                                   regex=True)
    geoms = shapely.from_wkt(wkt.to_numpy())
    return shapely.transform(geoms, lambda c: to_bng(c[:, 0], c[:, 1]))


def locate_sites_by_year(tables: dict, placements: list[tuple[str, pd.DataFrame]], *,
                         snapshots=SNAPSHOTS) -> tuple[pd.DataFrame, dict]:
    """ETYS sites of every snapshot's network, placed once, with per-snapshot MVA.

    Sites are placed once for all years (the union of the snapshots' sites, checked
    against the union of their circuit routes), so a site keeps its point from year to
    year and only its presence and ratings change.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per onshore substation site in any snapshot (pseudo and offshore sites
        dropped): :func:`place_sites` columns plus, per snapshot ``S``, ``in_network_S``,
        ``circuit_mva_S``, ``transformer_mva_S``; and ``{S: network_sites info}``.
    """
    per, infos = {}, {}
    for snap in snapshots:
        per[snap], infos[snap] = network_sites(tables, year=snap)
    first = per[snapshots[0]]
    sites = first.drop(columns=["in_network", "circuit_mva", "transformer_mva"])
    for snap in snapshots:
        for c in ("in_network", "circuit_mva", "transformer_mva"):
            sites[f"{c}_{snap}"] = per[snap][c].to_numpy()
    any_year = np.logical_or.reduce([sites[f"in_network_{s}"] for s in snapshots])
    sites = sites[any_year & ~sites["offshore"] & ~sites["pseudo"]].reset_index(drop=True)
    links = pd.concat([infos[s]["links"] for s in snapshots]).groupby(
        ["a", "b"], as_index=False)["length_km"].min()
    return place_sites(sites, placements, links), infos


def sites_in_year(by_year: pd.DataFrame, year: int) -> pd.DataFrame:
    """:func:`locate_sites_by_year` rows in the network of ``year``, with ``in_network``,
    ``circuit_mva`` and ``transformer_mva`` of its snapshot."""
    snap = snapshot_of(year)
    out = by_year[by_year[f"in_network_{snap}"]].copy()
    for c in ("in_network", "circuit_mva", "transformer_mva"):
        out[c] = out[f"{c}_{snap}"]
    return out.reset_index(drop=True)


def locate_sites(tables: dict, placements: list[tuple[str, pd.DataFrame]], *,
                 year: int = NETWORK_YEAR, by_year: tuple | None = None
                 ) -> tuple[pd.DataFrame, dict]:
    """ETYS sites of the ``year`` network, placed, with MVA (see :func:`network_sites`).

    Pure: ``tables`` is :func:`read_etys` output and ``placements`` is
    :func:`placement_tables` output (``by_year``: a :func:`locate_sites_by_year` result to
    reuse). Returns every onshore substation site (pseudo and offshore sites dropped),
    placed or not, and a dict of counts.
    """
    allyears, infos = by_year if by_year is not None else locate_sites_by_year(tables,
                                                                              placements)
    placed = sites_in_year(allyears, year)
    info = dict(infos[snapshot_of(year)])
    info.update({"sites": len(placed), "placed": int(placed["x"].notna().sum()),
                 "tx_sites": int((placed["max_kv"] >= 275).sum()),
                 "tx_placed": int(((placed["max_kv"] >= 275) & placed["x"].notna()).sum()),
                 "by_source": placed["coord_source"].value_counts().to_dict(),
                 "refused": int((placed["refused"] != "").sum())})
    return placed, info


def locate_network_sites(sources: SourceFiles, *, year: int = NETWORK_YEAR
                         ) -> tuple[pd.DataFrame, dict]:
    """Read ETYS and the coordinate sources and return :func:`locate_sites` of them."""
    return locate_sites(read_etys(sources.path(_ETYS)), read_placements(sources), year=year)
