"""``growthzones dossier``: one A4 page per site, as HTML and one PDF, in a run folder.

Which sites: the ``--top N`` best places (10 by default; ``--within`` an area), a user's
file (``--sites FILE`` read as ``run --sites``, with ``--name-column``/``--id-column``), or
one point (``--point``). The scenario flags (``--scenario``, ``--weight``, ``--theme``,
``--commercial``, ``--store``, ``--out``) are those of ``run``; ``--stability N`` adds the
Monte-Carlo rank stability of N weight draws to each page; ``--flow`` lets a long page run
onto more A4 pages instead of being fitted on one.

``--point`` takes ``lat,lon`` in WGS84 degrees or ``easting,northing`` in British National
Grid metres, told apart by their size (decided here): two numbers that fit GB's latitudes
(49 to 61.5) and longitudes (-9 to 2.5) in that order are degrees; a pair the other way
round is refused as swapped; anything else is read as metres and must lie inside the GB
grid. Degrees and metres cannot be confused: no GB point is within 1 km of the grid's
origin.

The command line module (:mod:`growthzones.cli`) passes in its shared helpers
(``_start``, ``_provenance``, ...), so this module never imports it (no import cycle).
"""

from __future__ import annotations

import math
import sys
from types import SimpleNamespace

from .._errors import InputError
from .._validate import whole_number
from .write import DEFAULT_TOP

#: GB in WGS84 degrees (lat, lon ranges) for telling ``--point`` degrees from metres.
GB_LAT, GB_LON = (49.0, 61.5), (-9.0, 2.5)
_POINT_EXAMPLE = "--point 52.865,-1.255 (lat,lon) or --point 450500,330500 (easting,northing)"


def parse_point(text: str, flag: str = "--point") -> tuple[float, float]:
    """``lat,lon`` or ``easting,northing`` as a BNG point (x, y); see the module docstring.

    Raises
    ------
    InputError
        Not two numbers, swapped degrees, or outside GB.

    Examples
    --------
    >>> [round(v, -2) for v in parse_point("51.5072,-0.1276")]
    [530000.0, 180400.0]
    >>> parse_point("450500, 330500")
    (450500.0, 330500.0)
    """
    from ..grid import GB_BOUNDS, to_bng

    parts = str(text).split(",")
    try:
        a, b = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        a = b = math.nan
    if not (math.isfinite(a) and math.isfinite(b)):
        raise InputError(f"{flag} {text!r} is not two numbers; give {_POINT_EXAMPLE}")

    def degrees(lat, lon):
        return GB_LAT[0] <= lat <= GB_LAT[1] and GB_LON[0] <= lon <= GB_LON[1]

    if degrees(a, b):
        x, y = to_bng([b], [a])[0]
        return float(x), float(y)
    if degrees(b, a):
        raise InputError(f"{flag} {text!r} looks like lon,lat; give lat,lon: "
                         f"{flag} {b:g},{a:g}")
    x0, y0, x1, y1 = GB_BOUNDS
    if x0 <= a <= x1 and y0 <= b <= y1 and max(a, b) >= 1000:
        return a, b
    raise InputError(f"{flag} {text!r} is outside Great Britain as lat,lon degrees and as "
                     f"easting,northing metres; give {_POINT_EXAMPLE}")


def point_sites(x: float, y: float, label: str):
    """One point as a site table :func:`growthzones.score_sites` takes."""
    import geopandas as gpd

    from ..grid import BNG

    return gpd.GeoDataFrame({"site_id": [""], "name": [label], "input_row": [1],
                             "problem": [""]}, geometry=gpd.points_from_xy([x], [y]), crs=BNG)


def check_dossier_args(args) -> None:
    """The dossier's own flags, checked before any work (InputError naming each)."""
    from .._validate import Problems
    from ..stability import MAX_DRAWS

    problems = Problems()
    given = [f for f, v in (("--sites", args.sites), ("--point", args.point)) if v is not None]
    if len(given) > 1:
        problems.add("--sites and --point both name the sites; give one of them")
    if args.point is not None:
        args.point_xy = problems.check(lambda: parse_point(args.point))
        if args.within is not None:
            problems.add("--within picks sites inside an area; with --point the dossier is "
                         "of that point: give one or the other")
    if given and args.top is not None:
        problems.add(f"--top picks the best places; with {given[0]} the dossier is of your "
                     f"sites: give one or the other")
    if args.stability is not None:
        args.stability = problems.check(lambda: whole_number(
            args.stability, "--stability", min=1, max=MAX_DRAWS, example="--stability 500"))
    problems.raise_if_any()


def run_dossier(args, cli: SimpleNamespace) -> int:
    """Run ``growthzones dossier``; ``cli`` holds :mod:`growthzones.cli`'s helpers
    (``start``, ``provenance``, ``with_area``, ``published``, ``say``, ``say_user_sites``,
    ``timings``)."""
    import growthzones as gz

    from ..outputs import check_result
    from ..provenance import Timings, exclusion_layers
    from .write import write_dossiers

    check_dossier_args(args)
    say = cli.say
    timings = Timings()
    scenario, full_store, store, dropped, out, new, area = cli.start(args, timings)
    with timings.step("score"):
        result = gz.score(store, scenario)
    with timings.step("sites"):
        if args.sites is not None:
            sites = gz.score_sites(result, gz.read_sites(
                args.sites, name_column=args.name_column, id_column=args.id_column))
            cli.say_user_sites(sites, args.sites)
        elif args.point is not None:
            x, y = args.point_xy
            sites = gz.score_sites(result, point_sites(x, y, f"Point {args.point.strip()}"))
        else:
            check_result(result)
            top = args.top if args.top is not None else DEFAULT_TOP
            sites = gz.rank_sites(result, top=top, within=area)
            say(f"picked {len(sites)} sites" + (f" inside {area.label}" if area else ""))
    table = None
    if args.stability is not None:
        with timings.step("stability"):
            table = _stability(gz, result, sites, args, area, say)
    record = cli.with_area(cli.provenance(args, "dossier", [scenario], full_store, timings,
                                          dropped, extra_layers=exclusion_layers(store)), area)
    if not args.no_pdf:
        say(f"printing {len(sites)} page(s) to PDF with headless Chromium ...")
    with timings.step("write"):
        written = write_dossiers(result, sites, out, stability=table, one_page=not args.flow,
                                 pdf=not args.no_pdf, provenance=record, log=sys.stderr)
    cli.published(out, new)
    say(f"wrote the dossier of {len(sites)} site(s): {out / 'dossier.html'}"
        + ("" if args.no_pdf else f", {out / 'dossier.pdf'}")
        + f", {len(sites)} page(s) in {out / 'sites'} and {out / 'run.json'} "
        f"({len(written)} files)")
    return 0


def _stability(gz, result, sites, args, area, say):
    """Rank stability of the dossier's ranked sites (picked: among a pool of 5x; yours:
    among your sites, "top N" being half of them, at most 10).

    :func:`growthzones.rank_stability` scores each site at its cell, so a polygon's
    stability is that of the cell under its representative point, not of its zonal mean.
    """
    import pandas as pd

    ranked = sites[pd.to_numeric(sites["rank"], errors="coerce").notna()]
    if len(ranked) == 0:
        say("--stability: no site has a rank; stability not computed")
        return None
    if args.sites is None and args.point is None:
        top = len(ranked)
        pool = gz.rank_sites(result, top=max(5 * top, 50), within=area)
    else:
        top = min(DEFAULT_TOP, max(1, len(ranked) // 2))
        pool = ranked.sort_values("rank")
    say(f"--stability: {args.stability} Dirichlet weight draws (concentration 50, seed 0), "
        f"top {top} of {len(pool)} ...")
    return gz.rank_stability(result, pool, top=top, draws=args.stability, seed=0,
                             check_outside=False, progress=True)
