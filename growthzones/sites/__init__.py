"""A user's own candidate sites: read them from a file and score them.

:func:`read_sites` (:mod:`.reading`) reads GeoPackage, GeoJSON, Shapefile, CSV or XLSX
with coordinates or UK postcodes (:mod:`.postcodes`, offline), judging every row and
keeping the bad ones with their reason; :func:`score_sites` (:mod:`.score`) scores points
at their cell and polygons by area-weighted zonal statistics (:mod:`.zonal`) and adds the
national context (:mod:`growthzones.context`). Picking the best places from the surface
is :mod:`growthzones.ranking`.
"""

from .reading import NAMED_ROWS, SITE_SUFFIXES, describe_bad_rows, read_sites, site_row_problems
from .score import cells_at, score_sites

__all__ = ["NAMED_ROWS", "SITE_SUFFIXES", "cells_at", "describe_bad_rows", "read_sites",
           "score_sites", "site_row_problems"]
