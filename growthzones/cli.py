"""Command line: a thin layer over the public API.

``growthzones run``          score the embedded store and write ranking, sites, surface, map
``growthzones stability``    Monte-Carlo rank stability of the top sites
``growthzones compare``      two scenarios side by side
``growthzones dossier``      one A4 page per site (HTML and PDF): map, scores, caveats
``growthzones explore``      explorer.html: re-weight and re-score GB in the browser, offline
``growthzones criteria``     list every criterion and exclusion with unit, source, coverage
``growthzones data build``   rebuild the layer store from the raw open data
``growthzones data list``   every source: present or missing, checksum, date, licence
``growthzones data fetch``  download catalogue sources (pooch, sha256-checked) into a cache
``growthzones data download`` fetch any official file (to fill a gap) into a source folder
``growthzones screenshot``   render a saved map to PNG with headless Chromium

This module parses and checks the flags; what each command then does is in
:mod:`growthzones.commands`.

User errors (bad scenario, missing files, a flag out of range, a usage error, an
unwritable ``--out``, a result with nothing to write) print one line ``error: ...`` and
exit 2; nothing already written is touched, because every flag is checked before any work
starts and each command's files are staged and published as one set after all checks pass
(see :mod:`growthzones.fileset`). Ctrl-C prints ``interrupted`` and exits 130. Any other
exception is a bug and keeps its traceback.

Number flags are read as text and checked by :func:`check_args` with the same checks as
the scenario file and the Python API (``--top`` as ``[sites] top``, ``--min-separation-km``
as ``[sites] min_separation_km``, ``--draws``/``--concentration``/``--seed`` as
:func:`growthzones.rank_stability`, ``--resolution`` by
:func:`growthzones._validate.grid_size`), so each error names the flag, the value and a
valid example.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ._errors import GrowthZonesError
from ._validate import Problems, number, whole_number
from .commands import (
    _parse_themes,
    _parse_weights,
    _say,
    cmd_build,
    cmd_compare,
    cmd_criteria,
    cmd_data_fetch,
    cmd_data_list,
    cmd_dossier,
    cmd_download,
    cmd_explore,
    cmd_run,
    cmd_screenshot,
    cmd_stability,
)

#: Largest --width/--height of a screenshot (px): Chromium's largest texture.
MAX_SCREENSHOT_PX = 16_384
#: Commands that read rasters (rasterio) and the ones that draw a folium map.
_RASTER_COMMANDS = {"run", "stability", "compare", "dossier", "explore"}
_MAP_COMMANDS = {"run"}


def check_args(args: argparse.Namespace) -> argparse.Namespace:
    """Check and convert the number flags in place, before any work starts.

    Raises
    ------
    InputError
        Naming the flag, its value and a valid example.
    """
    from ._validate import grid_size
    from .grid import GB_BOUNDS
    from .scenario import check_min_separation_km, check_top
    from .stability import MAX_CONCENTRATION, MAX_DRAWS

    checks = {
        "top": lambda v: check_top(v, "--top", text=True, example="--top 20"),
        "min_separation_km": lambda v: check_min_separation_km(
            v, "--min-separation-km", text=True, example="--min-separation-km 25"),
        "draws": lambda v: whole_number(v, "--draws", min=1, max=MAX_DRAWS,
                                        example="--draws 1000"),
        "concentration": lambda v: number(v, "--concentration", min=0.0, strict_min=True,
                                          max=MAX_CONCENTRATION, example="--concentration 50"),
        "seed": lambda v: whole_number(v, "--seed", min=0, example="--seed 0"),
        "retries": lambda v: whole_number(v, "--retries", min=0, max=10, example="--retries 2"),
        "width": lambda v: whole_number(v, "--width", min=1, max=MAX_SCREENSHOT_PX,
                                        example="--width 1400"),
        "height": lambda v: whole_number(v, "--height", min=1, max=MAX_SCREENSHOT_PX,
                                         example="--height 1000"),
    }
    problems = Problems()  # every bad flag at once
    for dest, check in checks.items():
        value = getattr(args, dest, None)
        if value is not None:
            setattr(args, dest, problems.check(lambda: check(value)))
    if getattr(args, "resolution", None) is not None:
        # before any allocation: the figure of an impossible grid, not a MemoryError
        # data build checks memory on what it builds (GB or the --within area) itself
        memory = getattr(args, "data_command", None) != "build"
        if problems.check(lambda: grid_size(args.resolution, "--resolution", bounds=GB_BOUNDS,
                                            memory=memory)):
            args.resolution = float(args.resolution)
    if getattr(args, "weight", None):
        problems.check(lambda: _parse_weights(args.weight))
    if getattr(args, "theme", None):
        problems.check(lambda: _parse_themes(args.theme))
    if getattr(args, "within", None) is not None and getattr(args, "sites", None):
        problems.add("--within picks sites inside an area; with --sites your own sites are "
                     "scored wherever they are: give one or the other")
    for flag in ("name_column", "id_column"):
        if getattr(args, flag, None) is not None and getattr(args, "sites", None) is None:
            problems.add(f"--{flag.replace('_', '-')} {getattr(args, flag)!r} names a column "
                         f"of --sites, which is not given; add --sites my_sites.csv")
    years = getattr(args, "network_year", None)
    if years is not None:
        from .scenario import check_network_year

        many = isinstance(years, list)
        checked = [problems.check(lambda: check_network_year(y, "--network-year", text=True))
                   for y in (years if many else [years])]
        if many and len(years) > 2:
            problems.add(f"--network-year is given {len(years)} times; give it once (both "
                         f"scenarios in that year) or twice (A's year, then B's)")
        args.network_year = checked if many else checked[0]
    if (getattr(args, "command", None) == "compare" and args.b is None
            and not (args.weight or args.theme)
            and len(getattr(args, "network_year", None) or []) != 2):
        problems.add("compare needs scenario B, --weight/--theme overrides that make B from A "
                     "(e.g. growthzones compare default --theme grid_capacity=2), or "
                     "--network-year twice (compare default --network-year 2025 "
                     "--network-year 2035)")
    problems.raise_if_any()
    return args


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: growthzones run: ... (see growthzones run
    --help)`` on stderr and exit 2, no usage block. Subcommand parsers inherit it."""

    def error(self, message: str):
        message = " ".join(message.split())  # a raw argument may hold a newline
        _say(f"error: {self.prog}: {message} (see {self.prog} --help)")
        self.exit(2)


_OUT_HELP = ("output folder, written exactly (default: a new run folder "
             "outputs/<scenario>-<YYYYmmdd-HHMMSS>/, with outputs/latest pointing at it)")
_COMMERCIAL_HELP = ("leave out every non-commercial layer (CC BY-NC-SA sources) from the "
                    "scores, map and explorer; run.json records what was left out")


_THEME_HELP = ("scale every criterion weight of one theme (grid_capacity, land, "
               "post_industrial, water, connectivity, flood, designations); repeatable; "
               "applied before --weight, which sets a weight exactly")
_WITHIN_HELP = ("pick and rank sites only inside AREA: an April 2023 council or county "
                "(name or ONS code, e.g. 'North Yorkshire', E06000065), an ITL1 region "
                "('South East', TLJ), England/Wales/Scotland, bbox:xmin,ymin,xmax,ymax "
                "(BNG metres, or lon/lat degrees when all four fit), or a polygon file "
                "(.gpkg, .geojson, .shp); the map still shows GB")
_YEAR_HELP = ("the grid of this year, 2025 to 2036: its ETYS 2024 snapshot (2025/26, "
              "2027/28, 2029/30, 2032/33, 2035/36); default: the scenario's network_year "
              "(2030)")


def _scenario_flags(p, *, within: bool = True, year: bool = True,
                    weight_help: str = "override one criterion's weight; repeatable") -> None:
    """The flags that make a command's scenario: --scenario, --weight, --theme, and
    --within and --network-year where the command takes them."""
    p.add_argument("--scenario", type=Path, default=None,
                   help="scenario TOML file, or a built-in by name: default, grid_only, "
                        "post_industrial_only, with_latency (default: default)")
    p.add_argument("--weight", action="append", metavar="NAME=VALUE", help=weight_help)
    p.add_argument("--theme", action="append", metavar="THEME=FACTOR", help=_THEME_HELP)
    if within:
        p.add_argument("--within", default=None, metavar="AREA", help=_WITHIN_HELP)
    if year:
        p.add_argument("--network-year", default=None, metavar="YEAR", help=_YEAR_HELP)


def _site_flags(p, sites_help: str) -> None:
    """--sites and the options that read it (as :func:`growthzones.read_sites`)."""
    p.add_argument("--sites", type=Path, default=None, help=sites_help)
    p.add_argument("--name-column", default=None, metavar="COLUMN",
                   help="column of --sites holding the site names (default: name, site "
                        "name or site)")
    p.add_argument("--id-column", default=None, metavar="COLUMN",
                   help="column of --sites holding your site ids (default: id, site id, ref "
                        "or reference, if present)")


def _output_flags(p) -> None:
    """--out, --commercial and --store, which every scoring command takes."""
    p.add_argument("--out", type=Path, default=None, help=_OUT_HELP)
    p.add_argument("--commercial", action="store_true", help=_COMMERCIAL_HELP)
    p.add_argument("--store", type=Path, default=None,
                   help="layer store folder (default: $GROWTHZONES_STORE, else the "
                        "embedded 1 km store shipped in the package)")


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog="growthzones",
                       description="Rank places in Great Britain for AI Growth Zones.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="score, rank and write ranking.csv, sites.geojson, "
                                   "score.tif and map.html")
    _scenario_flags(r)
    r.add_argument("--top", default=None, metavar="N",
                   help="number of sites, 1 to 10000 (default: the scenario's, 20)")
    r.add_argument("--min-separation-km", default=None, metavar="KM",
                   help="minimum distance between sites, > 0 and <= 1500 km")
    _site_flags(r, "rank your own candidate sites instead of picking them: GeoPackage, "
                   "GeoJSON or Shapefile (points or polygons), or CSV/XLSX with "
                   "easting,northing, latitude,longitude or a UK postcode column")
    _output_flags(r)
    r.add_argument("--online-map", action="store_true",
                   help="load Leaflet from its CDN and add OpenStreetMap tiles instead of the "
                        "self-contained offline map")
    r.set_defaults(func=cmd_run)

    st = sub.add_parser("stability", help="how stable the top sites are under uncertain "
                                           "weights (Monte-Carlo), to stability.csv")
    _scenario_flags(st)
    st.add_argument("--top", default=None, metavar="N", help="N of 'stays in the top N'")
    st.add_argument("--draws", default=1000, metavar="N",
                    help="Monte-Carlo weight draws, 1 to 100000 (default 1000)")
    st.add_argument("--concentration", default=50.0, metavar="C",
                    help="Dirichlet concentration, > 0 and <= 1e9: larger = weights closer "
                         "to the scenario's (default 50)")
    st.add_argument("--seed", default=0, metavar="N", help="random seed >= 0 (default 0)")
    st.add_argument("--no-outside-share", action="store_true",
                    help="skip the check of whether places outside the candidate pool beat "
                         "the N-th candidate under some draws (the outside_share diagnostic)")
    _output_flags(st)
    st.set_defaults(func=cmd_stability)

    cp = sub.add_parser("compare", help="compare two scenarios: rank changes, entering and "
                                        "leaving sites, difference surface")
    cp.add_argument("a", type=Path, help="reference scenario")
    cp.add_argument("b", type=Path, nargs="?", default=None,
                    help="scenario to compare with it (default: A, with the overrides or a "
                         "second --network-year)")
    cp.add_argument("--weight", action="append", metavar="NAME=VALUE",
                    help="override one of B's criterion weights; repeatable")
    cp.add_argument("--theme", action="append", metavar="THEME=FACTOR",
                    help="scale one of B's themes; repeatable (before --weight)")
    cp.add_argument("--within", default=None, metavar="AREA",
                    help="compare the sites inside this area (as run --within)")
    cp.add_argument("--top", default=None, metavar="N")
    cp.add_argument("--network-year", action="append", default=None, metavar="YEAR",
                    help="once: both scenarios on that year's grid; twice: A on the first, "
                         "B on the second (e.g. --network-year 2025 --network-year 2035), "
                         "listing the places that gain and lose most and why")
    _output_flags(cp)
    cp.set_defaults(func=cmd_compare)

    ex = sub.add_parser("explore", help="write explorer.html: a self-contained page that "
                                        "re-scores GB in the browser as you move the weights")
    _scenario_flags(ex, within=False,
                    weight_help="override one criterion's starting weight; repeatable")
    _output_flags(ex)
    ex.set_defaults(func=cmd_explore)

    from .dossier.write import DEFAULT_TOP

    dz = sub.add_parser("dossier", help="one A4 page per site (HTML and one PDF): map, "
                                        "scores, every criterion, exclusions, caveats")
    _scenario_flags(dz)
    dz.add_argument("--top", default=None, metavar="N",
                    help=f"dossiers of the N best places (default {DEFAULT_TOP})")
    _site_flags(dz, "dossiers of your own sites, read as run --sites (points, polygons, "
                    "postcodes); rows that cannot be scored get a page saying why")
    dz.add_argument("--point", default=None, metavar="LAT,LON|E,N",
                    help="the dossier of one point: lat,lon in degrees or easting,northing "
                         "in British National Grid metres (told apart by size)")
    dz.add_argument("--stability", default=None, metavar="N",
                    help="add the rank stability under N Monte-Carlo weight draws "
                         "(1 to 100000; Dirichlet, concentration 50, seed 0)")
    dz.add_argument("--flow", action="store_true",
                    help="let a long page run onto more A4 pages (default: each site "
                         "fitted on one page)")
    dz.add_argument("--no-pdf", action="store_true",
                    help="write the HTML pages only (no headless Chromium)")
    _output_flags(dz)
    dz.set_defaults(func=cmd_dossier)

    c = sub.add_parser("criteria", help="list criteria and exclusions")
    c.add_argument("--store", type=Path, default=None)
    c.add_argument("--markdown", action="store_true", help="print a Markdown table")
    c.set_defaults(func=cmd_criteria)

    d = sub.add_parser("data", help="layer store commands")
    dsub = d.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="build the layer store from the raw open data")
    b.add_argument("--source", type=Path, default=None,
                   help="folder with the raw files (default ../shared/data)")
    b.add_argument("--out", type=Path, default=None,
                   help="parent folder of the store (default: $GROWTHZONES_DATA, else "
                        "./growthzones-store; never the embedded store unless named: "
                        "--out growthzones/data rebuilds it in a source checkout)")
    b.add_argument("--resolution", default=1000.0, metavar="M",
                   help="cell size in metres: >= 10, divides 50 km, and the build must fit "
                        "in memory (default 1000; finer than 100 needs --within)")
    b.add_argument("--within", default=None, metavar="AREA",
                   help="build only this area, as run --within takes it: a council, county, "
                        "region or nation, bbox:xmin,ymin,xmax,ymax or a polygon file; the "
                        "store goes to OUT/<area>_<resolution>m")
    b.add_argument("--chunk", default=None, metavar="N",
                   help="cells per side of a block of the parallel build (default "
                        "$GROWTHZONES_CHUNK or 512)")
    b.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a dask.distributed scheduler, tcp://host:port (default "
                        "$GROWTHZONES_SCHEDULER, else the local threaded scheduler); the "
                        "workers must see --source on the same path")
    b.add_argument("--workers", default=None, metavar="N",
                   help="threads of the local scheduler (default: all cores)")
    b.set_defaults(func=cmd_build)

    ls = dsub.add_parser("list", help="every catalogue source: present or missing in the "
                                       "source folder, checksum, date, licence, criteria fed")
    ls.add_argument("--source", type=Path, default=None,
                    help="folder with the raw files (default ../shared/data)")
    ls.add_argument("--no-verify", action="store_true", help="do not hash the files")
    ls.set_defaults(func=cmd_data_list)

    fe = dsub.add_parser("fetch", help="download catalogue sources with pooch (progress, "
                                        "retries, sha256 check) into a cache folder")
    fe.add_argument("names", nargs="*", metavar="NAME",
                    help="source ids (default: every source that can be fetched)")
    fe.add_argument("--cache", type=Path, default=None,
                    help="folder to fetch into, laid out like a source folder (default: "
                         "$GROWTHZONES_DATA/sources, else ~/.cache/growthzones/sources)")
    fe.add_argument("--mirror", default=None, metavar="URL",
                    help="base URL of a copy of a whole source folder (default: "
                         "$GROWTHZONES_MIRROR); needed for derived sources")
    fe.add_argument("--retries", default=2, metavar="N",
                    help="further attempts after a failed download, 0 to 10 (default 2)")
    fe.set_defaults(func=cmd_data_fetch)

    dl = dsub.add_parser("download", help="download any official file into a folder "
                                           "(pooch; atomic, optional sha256 check)")
    dl.add_argument("url")
    dl.add_argument("--to", type=Path, required=True, help="destination folder")
    dl.add_argument("--name", default=None, help="file name (default: from the URL)")
    dl.add_argument("--sha256", default=None, help="expected checksum (64 hex digits)")
    dl.set_defaults(func=cmd_download)

    s = sub.add_parser("screenshot", help="render a saved map.html to PNG (headless Chromium)")
    s.add_argument("html", type=Path)
    s.add_argument("png", type=Path)
    s.add_argument("--width", default=1400, metavar="PX", help="1 to 16384 (default 1400)")
    s.add_argument("--height", default=1000, metavar="PX", help="1 to 16384 (default 1000)")
    s.set_defaults(func=cmd_screenshot)
    p.commands = {"run": r, "stability": st, "compare": cp, "dossier": dz, "criteria": c,
                  "data": d, "data build": b, "data download": dl, "data list": ls,
                  "data fetch": fe, "screenshot": s}
    return p


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse and check ``argv`` (no work done). A usage error prints one line and raises
    SystemExit(2); a bad flag value raises InputError."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # report it from the subcommand, whose --help lists the flags
        cmd = " ".join(x for x in (args.command, getattr(args, "data_command", None)) if x)
        parser.commands.get(cmd, parser).error(f"unrecognized arguments: {' '.join(extra)}")
    args.argv = argv[2:] if argv[:2] == ["data", "build"] else argv
    return check_args(args)


def _import_rasterio() -> None:
    """Import rasterio as if boto3 were not installed (a configuration rasterio supports).

    rasterio imports boto3 (about 60 % of its own import time) only to offer S3
    sessions, and the command line reads local files only. boto3 itself stays
    importable: only rasterio's optional hook to it is left out, in this process.
    """
    if "rasterio" in sys.modules:
        return
    missing = object()
    saved = sys.modules.get("boto3", missing)
    sys.modules["boto3"] = None  # `import boto3` raises ImportError: rasterio skips it
    try:
        import rasterio  # noqa: F401
    finally:
        if saved is missing:
            del sys.modules["boto3"]
        else:
            sys.modules["boto3"] = saved


def _import_folium_ahead():
    """Import folium in a background thread; returns the thread.

    ``run`` imports it only when the map is drawn, after scoring and picking the sites,
    which leave a core idle: importing it meanwhile takes it off the path. The modules
    it needs besides numpy (branca, jinja2, requests, xyzservices) are not the ones the
    scoring imports, so the two threads do not wait for each other's imports (a cycle
    of such waits would be an import deadlock).
    """
    # Shared with the scoring path's imports (pyproj, geopandas, GDAL's Python side):
    # imported here first, so that no module is ever imported by both threads at once.
    import email.message  # noqa: F401
    import http.client  # noqa: F401
    import importlib.metadata  # noqa: F401
    import threading
    import urllib.request  # noqa: F401

    def work() -> None:
        try:
            import folium  # noqa: F401
        except Exception:  # the map's own import reports it
            pass

    thread = threading.Thread(target=work, name="gz-import", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 user error, 130 interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _without_huge_pages()
    try:
        try:
            args = parse_args(argv)
        except SystemExit as exc:  # --help (0) or a usage error, already printed (2)
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        if args.command in _RASTER_COMMANDS:
            _import_rasterio()
        if args.command in _MAP_COMMANDS:
            _import_folium_ahead()
        return args.func(args)
    except GrowthZonesError as exc:
        _say(f"error: {exc.one_line()}")
        return 2
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


def _without_huge_pages() -> None:
    """Stop numpy asking the kernel for transparent huge pages for its big arrays, unless
    ``NUMPY_MADVISE_HUGEPAGE`` says otherwise (numpy reads it when imported, before this).

    Where the kernel compacts memory to find them when asked (THP ``defrag`` set to
    ``madvise``, as on this project's machines), the first write to each fresh array
    stalls: ``run --store`` at GB 100 m took 31 s with 11 s of system time, 26 s with
    6 s without them (``benchmarks/bench_everyday.py``). Only the command line and the
    processes it starts (the environment variable is set for them): a notebook's numpy
    is the user's to set.
    """
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"  # for its worker processes too
    import numpy as np

    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if setter is not None:  # a private switch: where a numpy lacks it, nothing changes
        setter(False)


def console() -> None:
    """The ``growthzones`` command (and ``python -m growthzones.cli``): :func:`main`, then
    :func:`_exit_now` with its code."""
    _exit_now(main())


def _exit_now(code: int) -> None:
    """Exit with ``code`` as the interpreter would, less its teardown.

    After a 1 km ``run`` the interpreter spends ~0.3 s (a tenth of the run) freeing each
    of its ~1,000 modules and their objects one by one; the operating system frees the
    process's memory at once. What the teardown does that matters is done here first, in
    its order: threading's shutdown (the worker pools finish their jobs and their threads
    are joined), the ``atexit`` handlers (logging, temporary folders, dask), and the
    streams flushed. Where those hooks are not there (another Python), it exits normally.
    """
    import atexit
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exitfuncs is None:
        sys.exit(code)
    shutdown()
    run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":
    console()
