"""Areas to search within: a council, a county, a region, a nation, a bounding box or a polygon.

:func:`select_area` turns what a planner types (``--within "North Yorkshire"``,
``--within E06000065``, ``--within "South East"``, ``--within bbox:-1.6,53.7,-0.9,54.1``,
``--within plots.gpkg``) into an :class:`Area`: a boolean mask over the store's land
cells. Ranking then picks and ranks sites only where the mask is true
(:func:`growthzones.rank_sites` ``within=``); scores, exclusions and the national
percentile stay national, so the map can still show the whole surface.

**Councils** are the councils of April 2023 (after the Cumberland, Westmorland and
Furness, North Yorkshire and Somerset reorganisations) and are taken from mySociety's
register of UK local authorities (CC BY 4.0, ``post_industrial/geography/
uk_local_authorities_current_mysociety.csv``): the 350 district-level councils (the City of London included) of GB
(unitary, metropolitan, London borough, non-metropolitan district, Welsh and Scottish
councils) and the 21 English county councils, each the union of its districts. The store's
council raster is of an older vintage (LAD 2021 for England and Wales, 2020 for Scotland;
``local_authorities.csv``); every store code is mapped to its April 2023 council by the
register's ``replaced-by`` chain (Craven -> North Yorkshire), which is exact because the
2023 councils are unions of whole 2021 districts. The derived table ships as
``growthzones/councils.csv`` (:func:`council_table` writes it; a test checks it against the
register). A council is found by its ONS (GSS) code or by name, case-insensitively, with
``&``/``and``, punctuation and a leading "the" ignored; the register's official name
("Leeds City Council"), its other spellings ("Edinburgh", "Hull") and the store's name
("Bristol, City of") work too. A council
abolished in 2023 is an error naming its successor.

**Regions** are the ITL1 regions of GB: the nine English regions, Wales and Scotland (the
register's ``region`` column), by name, ONS code (``E12000001`` .. ``E12000009``,
``W92000004``, ``S92000003``) or ITL1 code (``TLC`` .. ``TLM``). **Nations**: England
(``E92000001``), Wales, Scotland.

**Bounding boxes**: ``bbox:xmin,ymin,xmax,ymax``. If all four numbers lie within
longitude/latitude range (``|x| <= 180``, ``|y| <= 90``) they are WGS84 degrees (lon, lat);
otherwise British National Grid metres (EPSG:27700). A BNG box that small would be a few
hundred metres off the Scilly Isles, at sea, so the rule never misreads a real box.

**Polygon files**: GeoPackage, GeoJSON or Shapefile (any polygon layer with a CRS); all
polygons are merged. A cell is inside an area when its centre is (the rule of the land
mask), so a polygon smaller than a cell may hold none: that, a box at sea and an area
whose cells are all excluded are errors that say so (see :func:`check_candidates`).
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import InputError

#: The packaged April 2023 council table (see :func:`council_table`).
COUNCILS_CSV = Path(__file__).with_name("councils.csv")
#: ITL1 regions of GB: name -> (ONS region code, ITL1 code). ONS codes from the ONS
#: Register of Geographic Codes (E12 regions, W92/S92 countries); ITL1 codes from ITL 2021.
REGIONS = {
    "North East": ("E12000001", "TLC"), "North West": ("E12000002", "TLD"),
    "Yorkshire and The Humber": ("E12000003", "TLE"), "East Midlands": ("E12000004", "TLF"),
    "West Midlands": ("E12000005", "TLG"), "East of England": ("E12000006", "TLH"),
    "London": ("E12000007", "TLI"), "South East": ("E12000008", "TLJ"),
    "South West": ("E12000009", "TLK"), "Wales": ("W92000004", "TLL"),
    "Scotland": ("S92000003", "TLM"),
}
#: Nations of GB: name -> (ONS code, nation letter of ``local_authorities.csv``).
NATIONS = {"England": ("E92000001", "E"), "Wales": ("W92000004", "W"),
           "Scotland": ("S92000003", "S")}
#: File types read as polygons by ``--within``.
POLYGON_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
_FIX = ("give a council (name or ONS code, e.g. 'North Yorkshire' or E06000065), a region "
        "('South East'), a nation, bbox:xmin,ymin,xmax,ymax or a polygon file (.gpkg, "
        ".geojson, .shp)")


@dataclass(frozen=True)
class Area:
    """Where sites may be picked: a mask over one store's land cells.

    Attributes
    ----------
    label
        How outputs name it, e.g. ``North Yorkshire (E06000065)``.
    kind
        ``council``, ``county``, ``region``, ``nation``, ``bbox`` or ``polygon``.
    mask
        Boolean vector over the store's land cells (``store.land_index``): True inside.
    code
        ONS code of a council, county, region or nation; "" otherwise.
    geometry
        The box or polygon in EPSG:27700 (None for council-based areas).
    """

    label: str
    kind: str
    mask: np.ndarray = field(repr=False)
    code: str = ""
    geometry: object = field(default=None, repr=False)

    @property
    def cells(self) -> int:
        """Land cells inside."""
        return int(self.mask.sum())

    def to_dict(self) -> dict:
        """For ``run.json``: label, kind, code and land cells."""
        return {"label": self.label, "kind": self.kind, "code": self.code,
                "land_cells": self.cells}


# --- the council table ---------------------------------------------------------------------

def council_table(register: pd.DataFrame) -> pd.DataFrame:
    """The April 2023 councils of GB, one row per district-level council, from the register.

    Pure. ``register`` is mySociety's ``uk_local_authorities_current.csv`` as read.

    Returns
    -------
    pandas.DataFrame
        ``council_code`` (GSS), ``council_name`` (the register's short name),
        ``official_name``, ``nation`` (E/W/S), ``region`` (ITL1 name), ``county_code``,
        ``county_name`` (English two-tier areas, else ""), ``former_codes`` (GSS codes of the
        councils it replaced, ``;``-joined), ``alt_names`` (the register's other spellings,
        ``;``-joined: "Edinburgh", "Hull city council"), sorted by code.
    """
    reg = register[register["nation"].isin(["England", "Wales", "Scotland"])].copy()
    by_code = reg.set_index("local-authority-code")
    current = reg[reg["current-authority"].astype(bool)]
    # district level: everything but county councils, combined and strategic authorities
    district = current[~current["local-authority-type"].isin(["CTY", "COMB", "SRA"])]

    def successor(code: str) -> str:
        seen = set()
        while not bool(by_code.at[code, "current-authority"]):
            if code in seen:  # a loop in the register would be a data error
                raise ValueError(f"replaced-by loop at {code}")
            seen.add(code)
            code = by_code.at[code, "replaced-by"]
        return code

    former: dict[str, list[str]] = {}
    for code, row in by_code.iterrows():
        if not bool(row["current-authority"]) and isinstance(row["replaced-by"], str):
            # a county replaced by a unitary (North Yorkshire) is not a district's predecessor
            if row["local-authority-type"] in ("CTY", "COMB", "SRA"):
                continue
            former.setdefault(successor(code), []).append(row["gss-code"])
    nation = {"England": "E", "Wales": "W", "Scotland": "S"}
    county = district["county-la"].where(district["county-la"].notna(), "")
    out = pd.DataFrame({
        "council_code": district["gss-code"].to_numpy(),
        "council_name": district["nice-name"].to_numpy(),
        "official_name": district["official-name"].to_numpy(),
        "nation": district["nation"].map(nation).to_numpy(),
        "region": district["region"].to_numpy(),
        "county_code": [by_code.at[c, "gss-code"] if c else "" for c in county],
        "county_name": [by_code.at[c, "nice-name"] if c else "" for c in county],
        "former_codes": [";".join(sorted(former.get(c, [])))
                         for c in district["local-authority-code"]],
        "alt_names": [";".join(_alt_names(a)) for a in district["alt-names"]],
    })
    return out.sort_values("council_code").reset_index(drop=True)


def _alt_names(text) -> list[str]:
    """The register's ``alt-names`` (comma-joined, some names holding a comma themselves:
    "Bristol, City of"), as distinct fragments of 3+ characters; :func:`_names` drops any
    that two councils share."""
    if not isinstance(text, str):
        return []
    return list(dict.fromkeys(p.strip() for p in text.split(",") if len(p.strip()) >= 3))


_HEADER = """\
# The councils of Great Britain as of April 2023, one row per district-level council, with
# their ITL1 region, English county council and the codes of the councils they replaced.
# Derived by growthzones.areas.council_table from mySociety's register of UK local
# authorities (mysociety/uk_local_authority_names_and_codes,
# data/packages/uk_la_past_current/uk_local_authorities_current.csv, commit
# 67ef8b118938678401a452f4f19f669a7221cc73, 2025-07-10), CC BY 4.0: contains data from
# mySociety. Regenerate: python -c "import growthzones.areas as a; a.write_council_table()"
"""


def write_council_table(source: str | os.PathLike | None = None,
                        out: str | os.PathLike = COUNCILS_CSV) -> Path:
    """Write :func:`council_table` of the register in ``source`` (default: the shared data)."""
    from .catalog import default_source_dir
    from .io import atomic_path

    src = Path(source) if source is not None else (
        default_source_dir() / "post_industrial" / "geography"
        / "uk_local_authorities_current_mysociety.csv")
    table = council_table(pd.read_csv(src))
    with atomic_path(out) as tmp:
        tmp.write_text(_HEADER + table.to_csv(index=False), encoding="utf-8")
    return Path(out)


@functools.lru_cache(maxsize=1)
def councils() -> pd.DataFrame:
    """The packaged April 2023 council table (:func:`council_table`), read once."""
    return pd.read_csv(COUNCILS_CSV, comment="#", dtype=str, keep_default_na=False)


def current_codes(la_codes) -> np.ndarray:
    """The April 2023 council code of each store council code ("" where unknown).

    >>> current_codes(["E07000163", "E08000035", "X00000001"]).tolist()
    ['E06000065', 'E08000035', '']
    """
    c = councils()
    lut = dict(zip(c["council_code"], c["council_code"]))
    for code, former in zip(c["council_code"], c["former_codes"]):
        lut.update({f: code for f in former.split(";") if f})
    return np.array([lut.get(str(x), "") for x in la_codes], dtype=object)


def store_councils(store) -> pd.DataFrame:
    """Per row of ``store.las``: its April 2023 council, region and county.

    A store code the table does not know (a fixture, a future vintage) keeps the store's
    own name and nation, with no region or county.
    """
    las = store.las.reset_index(drop=True)
    code = current_codes(las["la_code"])
    c = councils().set_index("council_code")
    known = pd.Series(code).isin(c.index).to_numpy()
    look = c.reindex(np.where(known, code, None))
    return pd.DataFrame({
        "council_code": np.where(known, code, las["la_code"].to_numpy()),
        "council_name": np.where(known, look["council_name"].to_numpy(),
                                 las["la_name"].to_numpy()),
        "region": np.where(known, look["region"].to_numpy(), ""),
        "county_code": np.where(known, look["county_code"].to_numpy(), ""),
        "nation": las["nation"].to_numpy(),
    })


def council_of_cells(store, rows, cols) -> pd.DataFrame:
    """April 2023 council, region, county and nation of grid cells (``store_councils`` rows)."""
    la = np.asarray(store.la_index[np.asarray(rows), np.asarray(cols)], dtype=np.int64)
    table = store_councils(store)
    out = table.reindex(la - 1).reset_index(drop=True)  # la 0 (sea) -> NaN row
    return out


# --- names ---------------------------------------------------------------------------------

def _norm(text: str) -> str:
    t = str(text).casefold().replace("&", " and ")
    t = re.sub(r"[.,'’()]", " ", t)
    t = " ".join(t.split())
    return t[4:] if t.startswith("the ") else t


@functools.lru_cache(maxsize=1)
def _names() -> tuple[dict[str, tuple[str, str, str]], dict[str, tuple[str, str]]]:
    """Lookups: normalised name or code -> (kind, code, display name); and former council
    name/code -> (its name, successor code)."""
    c = councils()
    names: dict[str, tuple[str, str, str]] = {}

    def add(key, value):
        names.setdefault(_norm(key), value)

    for n, (code, _) in NATIONS.items():
        add(n, ("nation", code, n))
        add(code, ("nation", code, n))
    for n, (code, itl) in REGIONS.items():
        for k in (n, code, itl):
            add(k, ("region", code, n))
    add("Yorkshire and the Humber", ("region", REGIONS["Yorkshire and The Humber"][0],
                                     "Yorkshire and The Humber"))
    add("East", ("region", REGIONS["East of England"][0], "East of England"))
    for r in c.itertuples():
        v = ("council", r.council_code, r.council_name)
        for k in (r.council_code, r.council_name, r.official_name):
            add(k, v)
    for r in c[c["county_code"] != ""].drop_duplicates("county_code").itertuples():
        v = ("county", r.county_code, r.county_name)
        for k in (r.county_code, r.county_name, f"{r.county_name} County Council"):
            add(k, v)
    # the register's other spellings last, and only those that name one council
    alt: dict[str, set] = {}
    for r in c.itertuples():
        for a in filter(None, r.alt_names.split(";")):
            alt.setdefault(_norm(a), set()).add((r.council_code, r.council_name))
    for key, hits in alt.items():
        if len(hits) == 1:
            code, name = next(iter(hits))
            names.setdefault(key, ("council", code, name))
    former: dict[str, tuple[str, str]] = {}
    for r in c[c["former_codes"] != ""].itertuples():
        for f in r.former_codes.split(";"):
            former[_norm(f)] = (f, r.council_code)
    return names, former


def _store_names(store) -> dict[str, tuple[str, str, str]]:
    """The store's own (older) council names, for councils that still exist."""
    las = store.las
    cur = current_codes(las["la_code"])
    c = councils().set_index("council_code")
    out = {}
    for name, code, new in zip(las["la_name"], las["la_code"], cur):
        if new and new == code:
            out[_norm(name)] = ("council", code, c.at[code, "council_name"])
        elif new:  # abolished in 2023: remember the successor for the message
            out.setdefault(_norm(name), ("former", code, str(name)))
    return out


def _lookup(store, text: str) -> tuple[str, str, str]:
    names, former = _names()
    key = _norm(text)
    if key in names:
        return names[key]
    local = _store_names(store)
    if key in local and local[key][0] != "former":
        return local[key]
    c = councils().set_index("council_code")
    old = local.get(key)
    old_code = old[1] if old else (former[key][0] if key in former else None)
    if old_code is not None:
        new = current_codes([old_code])[0]
        named = store.las.loc[store.las["la_code"] == old_code, "la_name"]
        label = old[2] if old else (named.iloc[0] if len(named) else "this council")
        raise InputError(f"--within {text!r}: {label} ({old_code}) was abolished on "
                         f"1 April 2023 and is now part of {c.at[new, 'council_name']} "
                         f"({new}); use --within {c.at[new, 'council_name']!r}")
    options = sorted({v[2] for v in names.values()})
    # names holding the text as a word first ("Newcastle", "Hull"), then close spellings
    words = [o for o in options if re.search(rf"\b{re.escape(key)}\b", _norm(o))]
    by_norm = {_norm(o): o for o in options}
    close = list(dict.fromkeys(words + difflib.get_close_matches(str(text), options, n=3,
                                                                 cutoff=0.7)
                               + [by_norm[k] for k in difflib.get_close_matches(
                                   key, list(by_norm), n=3, cutoff=0.7)]))[:3]
    hint = (f"; did you mean {', '.join(repr(x) for x in close)}?" if close
            else f"; {_FIX}")
    raise InputError(f"--within {text!r} is not a GB council, county, region or nation"
                     f"{hint}")


# --- geometry ------------------------------------------------------------------------------

def parse_bbox(text: str):
    """``"xmin,ymin,xmax,ymax"`` -> (the box as a polygon in EPSG:27700, how it was read).

    A lon/lat box becomes its outline projected to BNG (edges densified every 0.01°), so
    the cells inside are those whose centre's lon/lat lies in the box.

    >>> geom, how = parse_bbox("400000,300000,500000,400000")
    >>> geom.bounds, how
    ((400000.0, 300000.0, 500000.0, 400000.0), 'EPSG:27700 m')
    """
    import shapely
    from shapely.geometry import Polygon, box

    parts = [p.strip() for p in str(text).split(",")]
    fix = "e.g. bbox:400000,300000,500000,400000 (BNG m) or bbox:-1.6,53.7,-0.9,54.1 (lon/lat)"
    if len(parts) != 4:
        raise InputError(f"--within bbox:{text} has {len(parts)} numbers; give four, "
                         f"xmin,ymin,xmax,ymax ({fix})")
    try:
        v = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"--within bbox:{text} is not four numbers ({fix})") from None
    if not all(np.isfinite(v)):
        raise InputError(f"--within bbox:{text} holds a non-finite number ({fix})")
    xmin, ymin, xmax, ymax = v
    if not (xmin < xmax and ymin < ymax):
        raise InputError(f"--within bbox:{text}: xmin must be < xmax and ymin < ymax ({fix})")
    if all(abs(x) <= 180 for x in (xmin, xmax)) and all(abs(y) <= 90 for y in (ymin, ymax)):
        from .grid import to_bng

        # the box's outline, densified, so its projected shape keeps the curved edges
        ring = shapely.segmentize(box(xmin, ymin, xmax, ymax), 0.01).exterior.coords
        lon, lat = np.asarray(ring).T
        return Polygon(to_bng(lon, lat)), "WGS84 lon/lat"
    return box(xmin, ymin, xmax, ymax), "EPSG:27700 m"


def read_polygons(path: str | os.PathLike):
    """All polygons of a GeoPackage, GeoJSON or Shapefile merged into one, in EPSG:27700.

    Raises
    ------
    InputError
        The file is missing or unreadable, has no CRS, or holds no polygon.
    """
    import geopandas as gpd
    import shapely

    from .grid import BNG

    path = Path(path)
    if not path.is_file():
        raise InputError(f"--within {str(path)!r}: no such file; give an existing polygon "
                         f"file (.gpkg, .geojson, .shp) or {_FIX}")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own types
        raise InputError(f"--within {str(path)!r}: cannot read it as a polygon file "
                         f"({' '.join(str(exc).split())[:120]})") from None
    if gdf.crs is None:
        raise InputError(f"--within {str(path)!r} has no coordinate reference system; save "
                         f"it with one (e.g. EPSG:27700 or EPSG:4326)")
    geoms = gdf.geometry.to_crs(BNG).values
    geoms = geoms[~shapely.is_empty(geoms) & ~geoms.isna()] if len(geoms) else geoms
    polys = [g for g in geoms if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        kinds = sorted({g.geom_type for g in geoms if g is not None}) or ["nothing"]
        raise InputError(f"--within {str(path)!r} holds no polygon (it has "
                         f"{', '.join(kinds)}); give a file of areas, or use --sites for "
                         f"points")
    return shapely.make_valid(shapely.union_all(polys))


def _geometry_mask(store, geom) -> np.ndarray:
    """Land cells whose centre lies inside ``geom`` (EPSG:27700), as a land-vector mask.

    Only the window of the grid under the geometry's bounds is tested, so a council-sized
    polygon costs milliseconds at 100 m too.
    """
    import shapely

    grid = store.grid
    mask = np.zeros(len(store.land_index), dtype=bool)
    xmin, ymin, xmax, ymax = geom.bounds
    r0 = int(np.clip(np.floor((grid.bounds[3] - ymax) / grid.resolution), 0, grid.height))
    r1 = int(np.clip(np.ceil((grid.bounds[3] - ymin) / grid.resolution), 0, grid.height))
    c0 = int(np.clip(np.floor((xmin - grid.bounds[0]) / grid.resolution), 0, grid.width))
    c1 = int(np.clip(np.ceil((xmax - grid.bounds[0]) / grid.resolution), 0, grid.width))
    if r1 <= r0 or c1 <= c0:
        return mask
    wr, wc = np.nonzero(store.land[r0:r1, c0:c1])
    if wr.size == 0:
        return mask
    rows, cols = wr + r0, wc + c0
    x, y = grid.xy(rows, cols)
    shapely.prepare(geom)
    inside = shapely.contains_xy(geom, x, y)
    # land_index is sorted (flatnonzero), so a cell's vector position is a binary search
    mask[np.searchsorted(store.land_index, rows[inside] * grid.width + cols[inside])] = True
    return mask


def _table_mask(store, kind: str, code: str) -> np.ndarray:
    la = np.asarray(store.la_index.ravel()[store.land_index], dtype=np.int64)
    t = store_councils(store)
    if kind == "council":
        hit = t["council_code"] == code
    elif kind == "county":
        hit = t["county_code"] == code
    elif kind == "region":
        name = next(n for n, (c, _) in REGIONS.items() if c == code)
        hit = t["region"] == name
    else:
        letter = next(v for n, (c, v) in NATIONS.items() if c == code)
        hit = t["nation"] == letter
    lut = np.concatenate([[False], hit.to_numpy(bool)])
    return lut[la]


def select_area(store, within) -> Area:
    """The :class:`Area` that ``within`` names, as a mask over ``store``'s land cells.

    Parameters
    ----------
    store
        The :class:`~growthzones.store.LayerStore` (any resolution).
    within
        A council, county, region or nation (name or ONS code; case-insensitive), a
        ``"bbox:xmin,ymin,xmax,ymax"`` string (see the module doc for the CRS rule), a
        path to a polygon file, a shapely geometry in EPSG:27700, a GeoDataFrame or
        GeoSeries with a CRS, or an :class:`Area` of this store (returned as is).

    Raises
    ------
    InputError
        An unknown name (with close matches), a council abolished in 2023 (naming its
        successor), a bad box, an unreadable or polygon-less file, or an area with no
        land cell centre inside.
    """
    if isinstance(within, Area):
        if within.mask.shape != store.land_index.shape:
            raise InputError(f"the area {within.label!r} was made for another store; "
                             f"select it again with select_area(store, ...)")
        return within
    area = _select(store, within)
    if area.cells == 0:
        raise InputError(f"--within {area.label}: no land cell of the "
                         f"{store.grid.resolution:g} m grid has its centre inside (at sea, "
                         f"outside GB, or smaller than a cell); give a larger area")
    return area


def _select(store, within) -> Area:
    import shapely

    if hasattr(within, "geometry") and hasattr(within, "crs"):  # GeoDataFrame / GeoSeries
        from .grid import BNG

        if within.crs is None:
            raise InputError("within has no CRS; set one (e.g. gdf.set_crs('EPSG:27700'))")
        geoms = [g for g in within.to_crs(BNG).geometry.values
                 if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
        if not geoms:
            raise InputError("within holds no polygon; give areas, not points or lines")
        geom = shapely.make_valid(shapely.union_all(geoms))
        return Area("polygon (given)", "polygon", _geometry_mask(store, geom), geometry=geom)
    if isinstance(within, shapely.Geometry):
        return Area("polygon (given)", "polygon", _geometry_mask(store, within),
                    geometry=within)
    if isinstance(within, os.PathLike):
        within = os.fspath(within)
    if not isinstance(within, str) or not within.strip():
        raise InputError(f"within is {within!r}; {_FIX}")
    text = within.strip()
    if text.lower().startswith("bbox:"):
        geom, how = parse_bbox(text[5:])
        label = f"bbox:{text[5:].strip()} ({how})"
        return Area(label, "bbox", _geometry_mask(store, geom), geometry=geom)
    if text.lower().endswith(POLYGON_SUFFIXES) or os.sep in text or Path(text).is_file():
        geom = read_polygons(text)
        return Area(f"polygon file {Path(text).name}", "polygon", _geometry_mask(store, geom),
                    geometry=geom)
    kind, code, name = _lookup(store, text)
    label = f"{name} ({code})" if kind in ("council", "county") else f"{name} ({kind})"
    return Area(label, kind, _table_mask(store, kind, code), code=code)


def check_candidates(result, area: Area) -> None:
    """Refuse an area where nothing can be picked: every land cell inside is excluded.

    Raises
    ------
    InputError
        Naming the area, its land cells, and the exclusions that rule them out.
    """
    ok = area.mask & ~np.isnan(result.ranked)
    if ok.any():
        return
    why = [n for n, e in result.excluded_by.items() if (e & area.mask).any()]
    reason = f" (excluded by {', '.join(why)})" if why else " (no criterion has data there)"
    raise InputError(f"--within {area.label}: none of its {area.cells:,} land cells can be "
                     f"ranked{reason}; choose a larger area or relax the scenario's "
                     f"exclusions")
