"""Named features that sites are named after: former power stations, works, airfields and
transmission substations, written to the store as ``features.csv``.

A site is named after what makes it (:func:`growthzones.ranking.name_sites`): the
first tier with a feature within :data:`FEATURE_RADIUS_KM` of the site, nearest first,
else the nearest town as before. The tiers, in order:

1. **power stations** of the industrial register (:mod:`growthzones.layers.industry`:
   DUKES closures since 2010, GEM coal and nuclear), e.g. "Ratcliffe-on-Soar (former power
   station)"; "former" when closed, "(power station, partly closed)" otherwise;
2. **works** of the register: GEM steel plants and the Hotmaps (EU ETS / E-PRTR 2014)
   energy-intensive works, e.g. "Humber Oil Refinery (refinery)". A Hotmaps name is
   "operator, site"; the site part is kept, and a name that is only a company ("... Ltd",
   "... Limited", "... plc") is left out: it names an owner, not a place;
3. **closed airfields** (OurAirports), e.g. "RAF Upper Heyford (former airfield)";
4. **transmission substations**: ETYS sites at 275/400 kV of the 2030 network, placed as
   for ``dist_transmission_km`` (:mod:`growthzones.layers.grid_capacity`), except
   positions geocoded from the site name (PyPSA-GB's Nominatim rows: a village centre,
   often kilometres from the compound), e.g. "Drax (400 kV substation)".

Pure: :func:`named_features`; edge: :func:`read_named_features`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..catalog import SourceFiles

#: A feature names a site when it lies within this distance (km) of the site's cell centre:
#: a 500 MW campus spans 1-2 km, and a former station this close is the site itself.
FEATURE_RADIUS_KM = 2.0
#: Columns of ``features.csv``, in order.
FEATURE_COLUMNS = ("label", "name", "kind", "tier", "easting", "northing", "source")
_CLOSED = {"closed", "retired", "mothballed"}
_COMPANY = re.compile(r"\b(ltd|limited|plc|llp|inc|group|company)\.?$", re.IGNORECASE)
_SMALL = {"on", "upon", "of", "the", "and", "in", "le", "by", "under", "super"}
_UPPER = {"gsp", "bsp", "ccgt", "cgt", "ii", "iii"}


def title_name(name: str) -> str:
    """An ETYS upper-case site name in title case.

    >>> title_name("RATCLIFFE ON SOAR")
    'Ratcliffe on Soar'
    >>> title_name("ALNESS GSP")
    'Alness GSP'
    """
    words = str(name).split()
    out = []
    for i, w in enumerate(words):
        lw = w.lower()
        if lw in _UPPER:
            out.append(w.upper())
        elif i and lw in _SMALL:
            out.append(lw)
        else:
            out.append("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")))
    return " ".join(out)


def site_part(name: str) -> str | None:
    """The site of a Hotmaps "operator, site" name; None for a bare company name.

    >>> site_part("Conocophillips Ltd, Humber Oil Refinery")
    'Humber Oil Refinery'
    >>> site_part("Cheshire Brickmakers Ltd") is None
    True
    """
    part = str(name).rsplit(",", 1)[-1].strip()
    return None if not part or _COMPANY.search(part) else part


def named_features(register: pd.DataFrame, substations: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """The named-features table (pure).

    Parameters
    ----------
    register
        :func:`growthzones.layers.industry.read_register` output (``name``, ``kind``,
        ``status``, ``x``, ``y``, ``source``; EPSG:27700 m).
    substations
        ETYS sites as :func:`~growthzones.layers.grid_capacity.placement.locate_sites`
        returns them (``site_name``, ``max_kv``, ``x``, ``y``, ``coord_source``).

    Returns
    -------
    pandas.DataFrame
        :data:`FEATURE_COLUMNS`: ``label`` (what a site is called), ``name``, ``kind``,
        ``tier`` (1 power station, 2 works, 3 airfield, 4 substation), ``easting``,
        ``northing``, ``source``; placed features only, by tier then name.
    """
    reg = register[register["x"].notna() & register["y"].notna()]
    rows = []
    for r in reg.itertuples():
        status = str(r.status)
        closed = status in _CLOSED
        if str(r.kind).endswith("power station"):
            tier, what = 1, ("former power station" if closed else f"power station, {status}")
            # GEM names end in "power station", which the label already says
            name = re.sub(r"\s+power station$", "", str(r.name), flags=re.IGNORECASE)
        elif r.kind == "airfield":
            tier, what, name = 3, "former airfield", str(r.name)
        else:
            name = site_part(r.name) if str(r.source).startswith("hotmaps") else str(r.name)
            if name is None:
                continue
            tier, what = 2, (f"former {r.kind}" if closed else str(r.kind))
        rows.append((f"{name} ({what})", name, str(r.kind), tier, float(r.x), float(r.y),
                     str(r.source).split(" ")[0]))
    if substations is not None and len(substations):
        s = substations[(substations["max_kv"] >= 275) & substations["x"].notna()
                        & (substations["coord_source"] != "pypsagb_geocoded")]
        for r in s.itertuples():
            name = title_name(r.site_name)
            rows.append((f"{name} ({r.max_kv:g} kV substation)", name, "substation", 4,
                         float(r.x), float(r.y), f"etys_2024 ({r.coord_source})"))
    df = pd.DataFrame(rows, columns=list(FEATURE_COLUMNS))
    df["easting"], df["northing"] = np.round(df["easting"], 1), np.round(df["northing"], 1)
    return df.sort_values(["tier", "name"], kind="stable").reset_index(drop=True)


def read_named_features(sources: SourceFiles) -> pd.DataFrame:
    """Read the register and the ETYS sites and return :func:`named_features` of them."""
    from . import industry
    from .grid_capacity.placement import locate_network_sites

    register, _ = industry.read_register(sources)
    sites, _ = locate_network_sites(sources)
    return named_features(register, sites)
