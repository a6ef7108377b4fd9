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
import shlex
import sys
import time
from pathlib import Path

from ._errors import GrowthZonesError
from ._validate import Problems, number, whole_number

#: Largest --width/--height of a screenshot (px): Chromium's largest texture.
MAX_SCREENSHOT_PX = 16_384


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _parse_weights(items: list[str] | None, flag: str = "--weight",
                   example: str = "dist_ixp_km=2", what: str = "criterion") -> dict[str, float]:
    """``--weight NAME=VALUE`` (or ``--theme``) flags as {name: number >= 0}; InputError
    listing every bad one."""
    weights: dict[str, float] = {}
    problems = Problems()
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.add(f"{flag} {item!r} is not NAME=NUMBER (e.g. {flag} {example})")
            continue
        w = problems.check(lambda: number(value.strip(), f"{flag} {name}", min=0.0,
                                          example=f"{flag} {name}=2"))
        if w is None:
            continue
        if name in weights:
            problems.add(f"{flag} {name} is given twice ({weights[name]:g} and {w:g}); "
                         f"give each {what} once")
        weights[name] = w
    problems.raise_if_any()
    return weights


def _parse_themes(items: list[str] | None) -> dict[str, float]:
    """``--theme THEME=FACTOR`` flags as {theme: factor}, themes checked against THEMES."""
    from .scenario import check_theme_scales

    scales = _parse_weights(items, "--theme", "grid_capacity=2", "theme")
    return check_theme_scales(scales, "--theme") if scales else {}


def _area(args, store):
    """The ``--within`` area of ``store`` (None without the flag), said on stderr."""
    if getattr(args, "within", None) is None:
        return None
    from .areas import select_area

    area = select_area(store, args.within)
    _say(f"--within {area.label}: {area.cells:,} land cells")
    return area


def _with_area(record, area):
    """A run.json record callable that also records the ``--within`` area."""
    if area is None:
        return record
    return lambda files: {**record(files), "within": area.to_dict()}


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
        if problems.check(lambda: grid_size(args.resolution, "--resolution", bounds=GB_BOUNDS)):
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


def _prepare(args, scenarios, store, timings):
    """The scored store and scenarios (``--commercial``: commercial only) and what was dropped.

    Says on stderr which criteria, exclusions and constraints ``--commercial`` left out.
    """
    from .provenance import commercial_scenario, commercial_store

    if not getattr(args, "commercial", False):
        return store, scenarios, []
    with timings.step("commercial"):
        kept, dropped = [], []
        for sc in scenarios:
            sc2, gone = commercial_scenario(sc, store)
            kept.append(sc2)
            dropped += [n for n in gone if n not in dropped]
        view = commercial_store(store)
    if dropped:
        _say(f"--commercial: left out {len(dropped)} non-commercial layer(s): "
             f"{', '.join(dropped)}")
    else:
        _say("--commercial: every layer of the scenario is for commercial use")
    return view, kept, dropped


def _out(args, scenario_name: str):
    """The folder to write (``--out``, else a new run folder) and whether it is new.

    Checked before the slow part; ``write_set`` checks again before writing.
    """
    from .fileset import check_out_folder
    from .provenance import DEFAULT_PARENT, out_folder

    out, new = out_folder(args.out, scenario_name)
    check_out_folder(out if args.out is not None else DEFAULT_PARENT,
                     what="--out" if args.out is not None else "the outputs folder")
    return out, new


def _provenance(args, command, scenarios, store, timings, dropped, *, extra_layers=()):
    from .provenance import run_record

    def record(files):
        return run_record(command=command, argv=["growthzones", *args.argv],
                          scenarios=scenarios, store=store, timings=timings,
                          commercial=getattr(args, "commercial", False), dropped=dropped,
                          files=files, extra_layers=extra_layers)
    return record


def _published(out, new: bool) -> None:
    """After a new run folder is written: point ``outputs/latest`` at it."""
    if new:
        from .provenance import point_latest

        _say(f"{point_latest(out)} -> {out.name}")


def _start(args, timings, *, adjust=None):
    """The common start of a one-scenario command: check ``--out`` before the slow part,
    load the scenario (``--theme`` then ``--weight`` applied, then ``adjust``) and the
    store, select the ``--within`` area, apply ``--commercial``, and choose the output
    folder.

    Returns
    -------
    scenario, full_store, store, dropped, out, new, area
    """
    import growthzones as gz

    if args.out is not None:
        _out(args, "")  # a bad --out fails before the slow part
    with timings.step("load"):
        scenario = gz.load_scenario(args.scenario, weights=_parse_weights(args.weight),
                                    themes=_parse_themes(getattr(args, "theme", None)))
        if adjust is not None:
            scenario = adjust(scenario)
        scenario = _with_year(scenario, getattr(args, "network_year", None))
        full_store = gz.load_layers(args.store)
        area = _area(args, full_store)
        full_store.at_network_year(scenario.network_year)  # a year it lacks: say so now
    store, (scenario,), dropped = _prepare(args, [scenario], full_store, timings)
    out, new = _out(args, scenario.name)
    return scenario, full_store, store, dropped, out, new, area


def _with_year(scenario, year):
    """``--network-year`` applied to a scenario (None: the scenario's own)."""
    from .scenario import with_network_year

    return with_network_year(scenario, year)


def _year_note(store, scenario) -> str:
    """`` on the 2029/30 grid (network year 2030)`` for the progress lines."""
    snap = store.at_network_year(scenario.network_year).network_snapshot
    if snap is None:
        return ""
    from .layers.grid_capacity.network import snapshot_label

    year = scenario.network_year if scenario.network_year is not None else snap
    return f" on the ETYS {snapshot_label(snap)} grid (network year {year})"


def cmd_run(args) -> int:
    import pandas as pd

    import growthzones as gz

    from .outputs import check_result, write_outputs
    from .provenance import Timings, map_layers
    from .scenario import with_sites

    t0 = time.perf_counter()
    timings = Timings()
    scenario, full_store, store, dropped, out, new, area = _start(
        args, timings, adjust=lambda sc: with_sites(sc, top=args.top,
                                                    min_separation_km=args.min_separation_km))
    _say(f"scenario {scenario.name!r}: " + ", ".join(
        f"{n} {w:.2f}" for n, w in scenario.weights.items())
        + (f"; excluding {', '.join(scenario.exclusions)}" if scenario.exclusions else "")
        + (f" (not on previously developed land: "
           f"{', '.join(scenario.except_previously_developed)})"
           if scenario.except_previously_developed else "")
        + _year_note(store, scenario))
    _say(f"loaded layer store {store.path} ({store.grid.resolution:g} m grid, "
         f"{len(store.land_index):,} land cells, built {store.manifest['built'][:10]})")
    with timings.step("score"):
        result = gz.score(store, scenario)
    if not args.sites:  # user sites in excluded cells are still listed, with the reason
        check_result(result)  # nothing to pick: say why before trying
    n_ex = int(result.excluded.sum())
    _say(f"scored {len(result.score):,} cells; {n_ex:,} excluded "
         f"({100 * n_ex / len(result.score):.1f} % of land)")
    with timings.step("sites"):
        if args.sites:
            sites = gz.score_sites(result, gz.read_sites(
                args.sites, name_column=args.name_column, id_column=args.id_column))
            _say_user_sites(sites, args.sites)
        else:
            sites = gz.rank_sites(result, within=area)
            _say(f"picked {len(sites)} sites at least {scenario.min_separation_km:g} km apart"
                 + (f" inside {area.label}" if area is not None else ""))

    timeline = None
    if result.store.network_years():  # each site's grid criteria in every network year
        from .timeline import site_timeline

        with timings.step("timeline"):
            timeline = site_timeline(result, sites)
    record = _with_area(_provenance(args, "run", [scenario], full_store, timings, dropped,
                                    extra_layers=map_layers(store)), area)
    written = write_outputs(result, sites, out, offline=not args.online_map, log=sys.stderr,
                            provenance=record, user_sites=bool(args.sites),
                            timeline=timeline)
    _published(out, new)
    for f in written:
        _say(f"wrote {f}")
    _say(f"top sites ({time.perf_counter() - t0:.1f}s):")
    for row in sites.drop(columns="geometry").head(10).itertuples():
        rank = "--" if row.rank is pd.NA else f"{row.rank:>2}"
        why = f"{row.score:.3f}" if rank != "--" else \
            (f"excluded: {row.excluded_by}" if row.excluded_by else "not scored")
        _say(f"  {rank}. {why}  {row.name}, {row.local_authority}")
    return 0


def _say_user_sites(sites, source) -> None:
    """How many of the user's rows were scored, and each one that was not, with why."""
    from .sites import NAMED_ROWS

    bad = sites[sites["problem"] != ""].sort_values("input_row") if "input_row" in sites \
        else sites[sites["problem"] != ""]
    n_ex = int(((sites["excluded_by"] != "") & (sites["problem"] == "")).sum())
    _say(f"scored {len(sites) - len(bad)} of {len(sites)} sites from {source}"
         + (f" ({n_ex} in excluded land, listed with the reason)" if n_ex else "")
         + (f"; {len(bad)} not scored (kept in the outputs with the reason):" if len(bad)
            else ""))
    limit = 4 * NAMED_ROWS
    for row in bad.head(limit).itertuples():
        where = f"row {row.input_row}" if hasattr(row, "input_row") else "row"
        _say(f"  {where} ({row.name!r}) {row.problem}")
    if len(bad) > limit:
        _say(f"  ... and {len(bad) - limit} more (see the problem column of ranking.csv)")


def cmd_stability(args) -> int:
    import growthzones as gz

    from .outputs import check_result, write_stability
    from .provenance import Timings

    timings = Timings()
    scenario, full_store, store, dropped, out, new, area = _start(args, timings)
    with timings.step("score"):
        result = gz.score(store, scenario)
    check_result(result)
    _say(f"scenario {scenario.name!r}: {args.draws} Dirichlet weight draws "
         f"(concentration {args.concentration:g}, seed {args.seed}) ...")
    with timings.step("stability"):
        # --within: the candidate pool is the area's best places (rank_stability's default
        # pool size); the outside-share check looks beyond the pool, nationally
        sites = None
        if area is not None:
            top = args.top if args.top is not None else scenario.top
            sites = gz.rank_sites(result, top=max(5 * top, 50), within=area)
        table = gz.rank_stability(result, sites, top=args.top, draws=args.draws,
                                  concentration=args.concentration, seed=args.seed,
                                  check_outside=not args.no_outside_share and area is None,
                                  progress=True)
    record = _with_area(_provenance(args, "stability", [scenario], full_store, timings,
                                    dropped), area)
    written = write_stability(table, out, log=sys.stderr, provenance=record)
    _published(out, new)
    top = table.attrs["top"]
    _say(f"wrote {', '.join(map(str, written))}; P(in top {top}) and {100 * 0.9:.0f} % rank "
         f"interval:")
    for row in table.head(top).itertuples():
        _say(f"  {int(row.rank):>2}. p={row.p_top:.2f}  ranks {row.rank_lo:.0f}-{row.rank_hi:.0f}  "
             f"{getattr(row, 'name', row.site_id)}")
    return 0


def cmd_compare(args) -> int:
    import growthzones as gz

    from .compare import add_network_reasons, network_year_summary
    from .outputs import check_result, write_comparison
    from .provenance import Timings

    timings = Timings()
    if args.out is not None:
        _out(args, "")
    weights, themes = _parse_weights(args.weight), _parse_themes(args.theme)
    years = args.network_year or []  # once: both scenarios; twice: A's year, then B's
    with timings.step("load"):
        # the overrides make B: on B's file, or on A's when B is not given
        a = gz.load_scenario(args.a)
        b = gz.load_scenario(args.b if args.b is not None else args.a, weights=weights,
                             themes=themes)
        if years:
            a, b = _with_year(a, years[0]), _with_year(b, years[-1])
        full_store = gz.load_layers(args.store)
        for sc in (a, b):
            full_store.at_network_year(sc.network_year)  # a year it lacks: say so now
        area = _area(args, full_store)
    store, (a, b), dropped = _prepare(args, [a, b], full_store, timings)
    label = (f"{a.name} {a.network_year} vs {b.network_year}"
             if args.b is None and a.name == b.name else f"{a.name} vs {b.name}")
    out, new = _out(args, label)
    _say(f"comparing {b.name!r}{_year_note(store, b)} with {a.name!r}{_year_note(store, a)} "
         f"...")
    with timings.step("score"):
        ra, rb = gz.score(store, a), gz.score(store, b)
    check_result(ra)
    check_result(rb)
    with timings.step("compare"):
        cmp = gz.compare_scenarios(store, ra, rb, top=args.top, within=area)
        add_network_reasons(cmp)  # different network years: score change and why
    record = _with_area(_provenance(args, "compare", [a, b], full_store, timings, dropped),
                        area)
    written = write_comparison(cmp, out, log=sys.stderr, provenance=record)
    _published(out, new)
    _say(cmp.summary())
    if network_year_summary(cmp):
        _say(network_year_summary(cmp))
    _say(f"wrote {', '.join(map(str, written))}")
    return 0


def cmd_explore(args) -> int:

    from .explorer import render_explorer
    from .fileset import write_set
    from .provenance import Timings, exclusion_layers, write_record

    timings = Timings()
    scenario, full_store, store, dropped, out, new, _ = _start(args, timings)
    _say("writing the explorer page (every land cell's criteria, quantised) ...")
    with timings.step("render"):
        text = render_explorer(store, scenario)
    record = _provenance(args, "explore", [scenario], full_store, timings, dropped,
                         extra_layers=exclusion_layers(store))
    with write_set(out, log=sys.stderr) as staged:  # the page and its run.json, as one set
        staged.write_text("explorer.html", text)
        write_record(staged, record(["explorer.html"]))
    _published(out, new)
    page = out / "explorer.html"
    _say(f"wrote {page} ({page.stat().st_size / 1e6:.1f} MB) and {out / 'run.json'}; open it "
         f"in any browser, no network needed")
    return 0


def cmd_dossier(args) -> int:
    """``growthzones dossier`` (its code: :mod:`growthzones.dossier.command`)."""
    from types import SimpleNamespace

    from .dossier.command import run_dossier

    return run_dossier(args, SimpleNamespace(
        start=_start, provenance=_provenance, with_area=_with_area, published=_published,
        say=_say, say_user_sites=_say_user_sites))


def cmd_criteria(args) -> int:
    from .criteria import REGISTRY

    meta = {}
    try:
        from .store import load_layers

        meta = load_layers(args.store).meta
    except GrowthZonesError:
        if args.store is not None:
            raise  # a store the user named must load; only the default may be absent
        # the list still comes from the registry; coverage shares need a store

    def coverage(c):  # the store's text carries its build's figures
        return meta.get(c.name, {}).get("coverage") or c.coverage_text()
    if args.markdown:
        print("| criterion | theme | unit | better | coverage | sources |\n|---|---|---|---|---|---|")
        for c in REGISTRY.values():
            share = meta.get(c.name, {}).get("coverage_fraction")
            share = f" ({100 * share:.0f} % of GB land)" if share is not None else ""
            better = "exclusion" if c.kind == "exclusion" else c.direction
            print(f"| `{c.name}` | {c.layer} | {c.unit} | {better} | {coverage(c)}{share} | "
                  f"{', '.join(c.sources)} |")
        return 0
    from .criteria import THEMES

    for layer in THEMES:
        print(f"\n{layer}")
        for c in (c for c in REGISTRY.values() if c.layer == layer):
            share = meta.get(c.name, {}).get("coverage_fraction")
            share = f"{100 * share:.1f} % of GB land" if share is not None else "not built"
            kind = "exclusion" if c.kind == "exclusion" else f"{c.direction} is better"
            print(f"  {c.name}  [{c.unit}; {kind}]\n    {c.title}. {c.description}\n"
                  f"    sources: {', '.join(c.sources)}\n    coverage: {coverage(c)} "
                  f"(data on {share})")
    return 0


def cmd_build(args) -> int:
    from .build import build_store

    command = "growthzones data build " + " ".join(shlex.quote(a) for a in args.argv)
    build_store(args.out, source=args.source, resolution=args.resolution, command=command.strip())
    return 0


def cmd_download(args) -> int:
    from .fetch import download_file

    dest = download_file(args.url, args.to, name=args.name, sha256=args.sha256)
    _say(f"wrote {dest}")
    return 0


def cmd_data_list(args) -> int:
    from ._errors import InputError
    from .catalog import default_source_dir
    from .fetch import source_status, status_table

    root = args.source if args.source is not None else default_source_dir()
    if not Path(root).is_dir():
        raise InputError(f"--source {str(root)[:120]!r} is not a folder; give the folder "
                         f"holding the raw data (or a fetch cache)")
    print(f"source folder: {root}")
    print("\n".join(status_table(source_status(root, verify=not args.no_verify))))
    return 0


def cmd_data_fetch(args) -> int:
    from .fetch import default_cache_dir, fetch_sources

    cache = args.cache if args.cache is not None else default_cache_dir()
    results = fetch_sources(args.names, cache=cache, mirror=args.mirror, retries=args.retries)
    for r in results:
        if r.status == "skipped":
            _say(f"skipped {r.source}: {r.note}")
    done = sum(r.status != "skipped" for r in results)
    _say(f"{done} sources in {cache}; build with: growthzones data build --source {cache}")
    return 0


def cmd_screenshot(args) -> int:
    from .maps import screenshot

    screenshot(args.html, args.png, width=args.width, height=args.height)
    _say(f"wrote {args.png}")
    return 0


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


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog="growthzones",
                       description="Rank places in Great Britain for AI Growth Zones.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="score, rank and write ranking.csv, sites.geojson, "
                                   "score.tif and map.html")
    r.add_argument("--scenario", type=Path, default=None,
                   help="scenario TOML file, or a built-in by name: default, grid_only, "
                        "post_industrial_only, with_latency (default: default)")
    r.add_argument("--weight", action="append", metavar="NAME=VALUE",
                   help="override one criterion's weight; repeatable")
    r.add_argument("--theme", action="append", metavar="THEME=FACTOR",
                   help=_THEME_HELP)
    r.add_argument("--within", default=None, metavar="AREA", help=_WITHIN_HELP)
    r.add_argument("--top", default=None, metavar="N",
                   help="number of sites, 1 to 10000 (default: the scenario's, 20)")
    r.add_argument("--min-separation-km", default=None, metavar="KM",
                   help="minimum distance between sites, > 0 and <= 1500 km")
    r.add_argument("--sites", type=Path, default=None,
                   help="rank your own candidate sites instead of picking them: GeoPackage, "
                        "GeoJSON or Shapefile (points or polygons), or CSV/XLSX with "
                        "easting,northing, latitude,longitude or a UK postcode column")
    r.add_argument("--name-column", default=None, metavar="COLUMN",
                   help="column of --sites holding the site names (default: name, site "
                        "name or site)")
    r.add_argument("--id-column", default=None, metavar="COLUMN",
                   help="column of --sites holding your site ids (default: id, site id, ref "
                        "or reference, if present)")
    r.add_argument("--out", type=Path, default=None,
                   help=_OUT_HELP)
    r.add_argument("--store", type=Path, default=None,
                   help="layer store folder (default: $GROWTHZONES_STORE, else the "
                        "embedded 1 km store shipped in the package)")
    r.add_argument("--commercial", action="store_true", help=_COMMERCIAL_HELP)
    r.add_argument("--network-year", default=None, metavar="YEAR", help=_YEAR_HELP)
    r.add_argument("--online-map", action="store_true",
                   help="load Leaflet from its CDN and add OpenStreetMap tiles instead of the "
                        "self-contained offline map")
    r.set_defaults(func=cmd_run)

    st = sub.add_parser("stability", help="how stable the top sites are under uncertain "
                                           "weights (Monte-Carlo), to stability.csv")
    st.add_argument("--scenario", type=Path, default=None)
    st.add_argument("--weight", action="append", metavar="NAME=VALUE")
    st.add_argument("--theme", action="append", metavar="THEME=FACTOR", help=_THEME_HELP)
    st.add_argument("--within", default=None, metavar="AREA",
                    help="rank the stability of the best places inside this area "
                         "(as run --within)")
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
    st.add_argument("--out", type=Path, default=None, help=_OUT_HELP)
    st.add_argument("--commercial", action="store_true", help=_COMMERCIAL_HELP)
    st.add_argument("--store", type=Path, default=None)
    st.set_defaults(func=cmd_stability)

    cp = sub.add_parser("compare", help="compare two scenarios: rank changes, entering and "
                                        "leaving sites, difference surface")
    cp.add_argument("a", type=Path, help="reference scenario")
    cp.add_argument("b", type=Path, nargs="?", default=None,
                    help="scenario to compare with it (default: A, with the overrides or a second --network-year)")
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
    cp.add_argument("--out", type=Path, default=None, help=_OUT_HELP)
    cp.add_argument("--commercial", action="store_true", help=_COMMERCIAL_HELP)
    cp.add_argument("--store", type=Path, default=None)
    cp.set_defaults(func=cmd_compare)

    ex = sub.add_parser("explore", help="write explorer.html: a self-contained page that "
                                        "re-scores GB in the browser as you move the weights")
    ex.add_argument("--scenario", type=Path, default=None,
                    help="scenario TOML file or built-in name (default: default)")
    ex.add_argument("--weight", action="append", metavar="NAME=VALUE",
                    help="override one criterion's starting weight; repeatable")
    ex.add_argument("--theme", action="append", metavar="THEME=FACTOR", help=_THEME_HELP)
    ex.add_argument("--network-year", default=None, metavar="YEAR", help=_YEAR_HELP)
    ex.add_argument("--out", type=Path, default=None, help=_OUT_HELP)
    ex.add_argument("--commercial", action="store_true", help=_COMMERCIAL_HELP)
    ex.add_argument("--store", type=Path, default=None)
    ex.set_defaults(func=cmd_explore)

    from .dossier.command import add_dossier_parser

    dz = add_dossier_parser(sub, out_help=_OUT_HELP, theme_help=_THEME_HELP,
                            within_help=_WITHIN_HELP, commercial_help=_COMMERCIAL_HELP,
                            year_help=_YEAR_HELP)
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
                        "in memory (default 1000)")
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


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 user error, 130 interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            args = parse_args(argv)
        except SystemExit as exc:  # --help (0) or a usage error, already printed (2)
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        return args.func(args)
    except GrowthZonesError as exc:
        _say(f"error: {exc.one_line()}")
        return 2
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
