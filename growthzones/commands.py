"""What each command of :mod:`growthzones.cli` does: load, score, write, and say so.

:mod:`growthzones.cli` parses and checks every flag (one line and exit 2 for bad input,
before any work); the functions here take the checked ``argparse.Namespace`` and do the
work through the public API, printing progress on stderr (:func:`_say`). Each command
stages its files and publishes them as one set (:mod:`growthzones.fileset`).
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from ._errors import GrowthZonesError
from ._validate import Problems, number


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
    from concurrent.futures import ThreadPoolExecutor

    # one background thread: the rasters read after scoring are read while it scores,
    # then the network years are scored while the sites are picked
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gz-run")
    from .grid import to_wgs84

    # PROJ's first transformer takes ~0.2 s to set up; the sites and the map need it
    background.submit(to_wgs84, [0.0], [0.0])
    _read_ahead(background, store, scenario)
    from .maps import prepare_map

    prepare_map(store, scenario)  # the map's score-independent parts, while it scores
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
        # the identify data, while it picks the sites (many user sites may leave them out)
        prepare_map(store, scenario, result=result)
    n_ex = int(result.excluded.sum())
    _say(f"scored {len(result.score):,} cells; {n_ex:,} excluded "
         f"({100 * n_ex / len(result.score):.1f} % of land)")
    years = None
    if result.store.network_years():  # each site's grid criteria in every network year
        from .timeline import network_year_results

        # for the timeline and the map's network-year surfaces
        years = background.submit(network_year_results, result, draw_ahead=True)
    background.shutdown(wait=False)
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
    if years is not None:
        from .timeline import site_timeline

        with timings.step("timeline"):
            years = years.result()
            timeline = site_timeline(result, sites, results=years)
    record = _with_area(_provenance(args, "run", [scenario], full_store, timings, dropped,
                                    extra_layers=map_layers(store)), area)
    written = write_outputs(result, sites, out, offline=not args.online_map, log=sys.stderr,
                            provenance=record, user_sites=bool(args.sites),
                            timeline=timeline, network_years=years)
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


def _read_ahead(pool, store, scenario) -> None:
    """Read, in ``pool``, the rasters ``run`` reads after scoring ``scenario``: the
    network-year variants of its criteria in the other years, then the criteria it
    leaves out (the map shows them). Only where the store keeps what it reads (1 km):
    at 100 m each would be read twice. A failed read is left for the real one to report.
    """
    from .store import RESIDENT_CELLS

    if len(store.land_index) > RESIDENT_CELLS:
        return
    own = store.at_network_year(scenario.network_year)
    names = [c.name for c in scenario.criteria]
    # the views are made here, once each (see LayerStore.at_network_year)
    views = [v for v in (store.at_network_year(snap) for snap in sorted(store.network_years()))
             if v is not own and getattr(v.layers, "varies", None) is not None]
    left_out = [n for n, info in store.meta.items()
                if info.get("kind", "criterion") == "criterion" and n not in names]

    def read() -> None:
        for view in views:
            for name in names:
                if view.layers.varies(name):
                    view.read_vector(name)
        for name in left_out:
            store.read_vector(name)

    pool.submit(read)


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
    from ._validate import whole_number
    from .build import build_store

    command = "growthzones data build " + " ".join(shlex.quote(a) for a in args.argv)
    workers = (None if args.workers is None else
               whole_number(args.workers, "--workers", min=1, example="--workers 2"))
    build_store(args.out, source=args.source, resolution=args.resolution, within=args.within,
                chunk=args.chunk, scheduler=args.scheduler, workers=workers,
                command=command.strip())
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
