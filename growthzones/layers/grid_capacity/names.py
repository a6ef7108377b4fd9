"""Site and station names reduced to their place words, so that sources join by name.

Also the shared point filters: :func:`_in_gb` (inside the GB grid box) and the patterns
of ETYS pseudo-nodes and offshore sites.
"""

from __future__ import annotations

import re

import numpy as np

from ...grid import GB_BOUNDS

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


_PSEUDO = re.compile(r"\b(?:TEE|BORDER|BOUNDARY)\b")
_OFFSHORE = re.compile(r"OFFSHORE|OFFHORE|PLATFORM")


def _in_gb(x, y) -> np.ndarray:
    x, y = np.asarray(x, float), np.asarray(y, float)
    return ((x > GB_BOUNDS[0]) & (x < GB_BOUNDS[2]) & (y > GB_BOUNDS[1]) & (y < GB_BOUNDS[3]))


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
