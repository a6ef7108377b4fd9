"""The store's named-features table, ``features.csv``: the placed sites of the industrial
register and the transmission substations, one row each, for every user that names or
describes a place by what is there.

Users: :func:`growthzones.ranking.name_sites` names a site after what makes it (the first
tier with a labelled feature within :data:`FEATURE_RADIUS_KM` of the site, nearest first,
else the nearest town); :func:`growthzones.context.contribution_table` names the feature
behind a contribution; :func:`growthzones.scoring.explain.previously_developed_detail`
names the register site that makes a cell previously developed. The tiers, in order:

1. **power stations** of the industrial register (:mod:`growthzones.layers.industry`:
   DUKES closures since 2010, GEM coal and nuclear), e.g. "Ratcliffe-on-Soar (former power
   station)"; "former" when closed, "(power station, partly closed)" otherwise; GEM's
   "... (nuclear) power plant/station" suffix is dropped, as the label says it;
2. **works** of the register: GEM steel plants and the Hotmaps (EU ETS / E-PRTR 2014)
   energy-intensive works, e.g. "Humber Oil Refinery (refinery)". A Hotmaps name is
   "operator, site"; the site part is kept. A name that is only a company ("... Ltd",
   "... Limited", "... plc") names an owner, not a place: the row is kept with an empty
   ``label`` (it names no site; :func:`growthzones.store.naming_features` leaves it out)
   and the company as ``name``, because it still makes its cells previously developed and
   an explanation should say which works that is;
3. **closed airfields** (OurAirports), e.g. "RAF Upper Heyford (former airfield)";
4. **transmission substations**: ETYS sites at 275/400 kV of the 2030 network, placed as
   for ``dist_transmission_km`` (:mod:`growthzones.layers.grid_capacity`), except
   positions geocoded from the site name (PyPSA-GB's Nominatim rows: a village centre,
   often kilometres from the compound), e.g. "Drax (400 kV substation)". Every other row
   is a register site (``kind`` is not ``"substation"``).

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
FEATURE_COLUMNS = ("label", "name", "kind", "tier", "status", "closure_year", "easting",
                   "northing", "source")
_CLOSED = {"closed", "retired", "mothballed"}
_STATION_SUFFIX = re.compile(r"\s+(nuclear\s+)?power\s+(station|plant)$", re.IGNORECASE)
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
        ``status``, ``closure_year``, ``x``, ``y``, ``source``; EPSG:27700 m).
    substations
        ETYS sites as :func:`~growthzones.layers.grid_capacity.placement.locate_sites`
        returns them (``site_name``, ``max_kv``, ``x``, ``y``, ``coord_source``).

    Returns
    -------
    pandas.DataFrame
        :data:`FEATURE_COLUMNS`: ``label`` (what a site is called; ``""`` for a works
        named only by its company), ``name``, ``kind``, ``tier`` (1 power station,
        2 works, 3 airfield, 4 substation), ``status`` and ``closure_year`` (the
        register's; ``""`` and NaN for substations), ``easting``, ``northing``,
        ``source``; placed features only, by tier then name.
    """
    reg = register[register["x"].notna() & register["y"].notna()]
    rows = []
    for r in reg.itertuples():
        status = str(r.status)
        closed = status in _CLOSED
        if str(r.kind).endswith("power station"):
            # GEM names end in "(nuclear) power plant/station", which the label says
            name = _STATION_SUFFIX.sub("", str(r.name))
            label = f"{name} (" + ("former power station" if closed else
                                   f"power station, {status}") + ")"
            tier = 1
        elif r.kind == "airfield":
            tier, name = 3, str(r.name)
            label = f"{name} (former airfield)"
        else:
            site = site_part(r.name) if str(r.source).startswith("hotmaps") else str(r.name)
            tier, name = 2, (site if site is not None else str(r.name))
            label = "" if site is None else \
                f"{name} ({f'former {r.kind}' if closed else r.kind})"
        rows.append((label, name, str(r.kind), tier, status, float(r.closure_year),
                     float(r.x), float(r.y), str(r.source).split(" ")[0]))
    if substations is not None and len(substations):
        s = substations[(substations["max_kv"] >= 275) & substations["x"].notna()
                        & (substations["coord_source"] != "pypsagb_geocoded")]
        for r in s.itertuples():
            name = title_name(r.site_name)
            rows.append((f"{name} ({r.max_kv:g} kV substation)", name, "substation", 4, "",
                         np.nan, float(r.x), float(r.y), f"etys_2024 ({r.coord_source})"))
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
