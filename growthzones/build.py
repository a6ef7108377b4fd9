"""Building the layer store: every layer the sources allow, block by block.

:func:`build_store` checks every source first (:func:`growthzones.fetch.plan_build`),
reads each theme's features once, computes the criteria block by block
(:mod:`growthzones.blocks`: a dask graph on the local threaded scheduler, or on a
``dask.distributed`` cluster given ``--scheduler tcp://...`` or
``$GROWTHZONES_SCHEDULER``), and writes the store folder (its layout is in
:mod:`growthzones.store`, which reads it) atomically, with its manifest and a
``SOURCES.md`` beside it (:func:`sources_markdown`). ``within=`` builds one area (a
council, region, box or polygon file) on the national grid's cells around it. The layer
build code is imported inside :func:`build_store`, so importing this module (or
:mod:`growthzones.store`, which imports :func:`build_store` from it) stays cheap.

**The store stays tiled GeoTIFF, not Zarr** (issue #15 item 1), on the evidence: its
rasters already are internally tiled (256 px), compressed GeoTIFFs in EPSG:27700 (deflate,
or ZSTD for a big grid: :func:`growthzones.io.raster_profile`); QGIS and
every GIS open them as they are; rasterio reads any window of them, which is all a
chunked reader needs; internal overviews (written for grids over
:data:`growthzones.blocks.OVERVIEW_CELLS` cells) serve a map of a big store; and the block
writer (:class:`growthzones.blocks.StoreWriter`) writes them by window as blocks finish, so
no national array of a block-built criterion is held. Zarr v3 would add xarray and zarr
to the runtime and a second on-disk format for users, with a CRS convention GIS tools
read unevenly, for no gain in a store read by window from one disk. What would favour
Zarr, many machines writing chunks at once, is not needed: the client writes each block
as it arrives. The 1 km embedded store is written by the same code and comes out byte for
byte as the whole-array writer made it (bands of blocks are written top to bottom).

Where a build goes: ``out`` if given, else :func:`default_build_dir`
(``$GROWTHZONES_DATA`` if set, else ``./growthzones-store`` in the current folder); it
writes into the package only when ``out`` names the package's data folder explicitly,
which is how the embedded store is rebuilt (``growthzones data build --out
growthzones/data`` from a source checkout; the manifest and ``SOURCES.md`` record that
command).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import sys
import time
from pathlib import Path

from ._errors import InputError, MissingSourceError
from ._validate import grid_size, whole_number
from ._version import __version__
from .catalog import BASE_SOURCES, SourceFiles, catalog, gaps
from .criteria import REGISTRY
from .fileset import check_out_folder, remove_tmp_files, write_set
from .grid import GB_BOUNDS, GridSpec
from .io import write_json, write_text

#: The store format this version writes (and :func:`growthzones.store.load_layers` reads).
STORE_FORMAT = 1
#: The named-features table (:mod:`growthzones.layers.named_features` builds it; its
#: columns are :data:`growthzones.store.FEATURES_COLUMNS`).
FEATURES_FILE = "features.csv"

#: Folder ``data build`` writes to without ``--out`` (and without ``$GROWTHZONES_DATA``).
DEFAULT_BUILD_DIR = "growthzones-store"
#: Finest cell size built for the whole of GB (finer: a region, ``--within``).
GB_MIN_RESOLUTION = 100.0
#: Environment variable for the block size of a build (cells per side).
CHUNK_ENV = "GROWTHZONES_CHUNK"


def default_build_dir() -> Path:
    """Where :func:`build_store` writes without ``out``: never into the package.

    ``$GROWTHZONES_DATA`` if set, else ``./growthzones-store`` in the current folder. Point
    ``--store`` (or ``$GROWTHZONES_STORE``) at ``<it>/gb_<resolution>m`` to use the result.
    """
    env = os.environ.get("GROWTHZONES_DATA")
    return Path(env) if env else Path.cwd() / DEFAULT_BUILD_DIR


def _log(msg: str, log) -> None:
    if log is not None:
        print(msg, file=log, flush=True)


def store_name(resolution: float, within=None) -> str:
    """The store folder's name: ``gb_<res>m``, or ``<area>_<res>m`` for a region.

    >>> store_name(100), store_name(25, "Hartlepool (E06000001)")
    ('gb_100m', 'hartlepool_e06000001_25m')
    """
    if within is None:
        return f"gb_{int(resolution)}m"
    slug = re.sub(r"[^a-z0-9]+", "_", str(within).lower()).strip("_")[:60] or "region"
    return f"{slug}_{resolution:g}m".replace(".", "_")


def _check_resolution(resolution, within) -> float:
    """The resolution as a number, refused before any work when it cannot be built."""
    grid_size(resolution, "resolution", bounds=GB_BOUNDS, memory=None)  # whole cells
    res = float(resolution)
    if within is None and res < GB_MIN_RESOLUTION:
        cells = GB_BOUNDS[2] * GB_BOUNDS[3] / res ** 2
        raise InputError(f"--resolution {res:g} for the whole of GB is {cells / 1e9:.1f} G "
                         f"cells; build a region with --within (a council, region, "
                         f"bbox:... or polygon file), or use --resolution "
                         f"{GB_MIN_RESOLUTION:g} or coarser for GB")
    return res


def _chunk(chunk) -> int:
    from .blocks import DEFAULT_CHUNK

    value = chunk if chunk is not None else os.environ.get(CHUNK_ENV, DEFAULT_CHUNK)
    return whole_number(value, "--chunk", min=1, max=1 << 15, example="--chunk 512")


def build_store(out: str | os.PathLike | None = None, *, source: str | os.PathLike | None = None,
                resolution: float = 1000.0, within=None, chunk: int | None = None,
                scheduler=None, workers: int | None = None, command: str | None = None,
                log=sys.stderr) -> Path:
    """Build every layer the sources allow and write a store folder atomically.

    Every source is checked first (:func:`growthzones.fetch.plan_build`) and the plan is
    logged: which sources are present, which are missing, and which criteria will
    therefore be absent. Missing base sources (small areas, lookups, places) stop the build
    there with one error listing them; a theme whose sources are missing is skipped and
    its criteria are recorded under ``"absent"`` in the manifest (with the reason) instead
    of failing late. An absent criterion has no raster: it is not assessed, and a scenario
    that names it gets the store's "layer not in the store" error.

    A theme with ``read`` and ``on_block`` (:mod:`growthzones.layers`) has its features
    read once here and its criteria computed block by block
    (:func:`growthzones.blocks.compute_blocks`), each block written as it finishes; a theme
    with only ``build`` is built on the whole build grid (correct for a region too).

    The store is built in a hidden staging folder beside it and swapped in as a whole
    (:func:`growthzones.fileset.write_set`); leftovers of an interrupted build are removed
    first, and an ``out`` that cannot be written is an :class:`OutputError` before any
    work.

    Parameters
    ----------
    out
        Parent folder; the store goes to ``out/<store_name>`` (``gb_<resolution>m``, or
        :func:`store_name` of the area) and a ``SOURCES.md`` with attribution, licences and
        this command goes to ``out``. Default: :func:`default_build_dir`
        (``$GROWTHZONES_DATA`` or ``./growthzones-store``), never the embedded store; pass
        :func:`growthzones.catalog.embedded_store_dir` to rebuild that in place.
    source
        Folder with the raw files (default: ``../shared/data`` beside the repository). On
        a cluster it must be on a path every worker sees.
    resolution
        Cell size in metres (1000 for the embedded default; 100 for GB; 25 or finer for a
        region only).
    within
        Build only this area, as ``run --within`` takes it (:mod:`growthzones.areas`): a
        council, county, region or nation, ``"bbox:..."``, a polygon file or a shapely
        geometry in EPSG:27700. The grid is the national grid's block covering it; cells
        outside are not land. Features are national, so distances near its edge count
        what lies beyond.
    chunk
        Cells per side of a block (default ``$GROWTHZONES_CHUNK`` or
        :data:`growthzones.blocks.DEFAULT_CHUNK`).
    scheduler
        A ``dask.distributed`` scheduler address (``tcp://host:port``); default
        ``$GROWTHZONES_SCHEDULER``, else the local threaded scheduler.
    workers
        Threads of the local scheduler (default: the machine's cores).
    command
        The command line to record in the manifest and SOURCES.md.
    """
    from .blocks import (
        SmallAreas,
        StoreWriter,
        block_base,
        compute_blocks,
        plan_blocks,
        region_grid,
        resolve_within,
        scheduler_address,
    )
    from .fetch import plan_build
    from .layers import LAYER_MODULES
    from .layers.base import basemap_geojson, read_places, read_small_areas
    from .layers.named_features import read_named_features

    resolution = _check_resolution(resolution, within)  # refuse before allocating
    chunk = _chunk(chunk)
    address = scheduler_address(scheduler)
    t0 = time.perf_counter()
    sources = SourceFiles(source)
    national = GridSpec(resolution=resolution)
    out = Path(out) if out is not None else default_build_dir()
    # Built in a hidden staging folder beside the store and swapped in as a whole (see
    # growthzones.outputs): a failed or killed build leaves the earlier store intact, and
    # the next build removes what it left (.staging-*, and .building/.old of old versions).
    check_out_folder(out)  # before any work: a file, a read-only folder -> OutputError
    # Every source is checked first: missing base sources stop here; a missing theme
    # source makes that theme's criteria absent (recorded), not a failure late in the build.
    plan = plan_build(sources)
    for line in plan.lines():
        _log(line, log)
    remove_tmp_files(out, log=log)  # e.g. a half-written .SOURCES.md.XXXXXXXX.tmp
    areas = read_small_areas(sources)
    small = SmallAreas.from_frame(areas)
    area = resolve_within(within, small) if within is not None else None
    grid = region_grid(national, area.bounds) if area is not None else national
    # the memory check on what is built (a region's grid), before any grid is allocated
    grid_size(resolution, "--resolution", bounds=grid.bounds,
              place=area.label if area is not None else "GB")
    final = out / store_name(resolution, area.label if area is not None else None)
    blocks = plan_blocks(grid, chunk)
    with write_set(final, keep_existing=False, log=log) as staged:
        tmp = staged.root
        (tmp / "layers").mkdir()
        _log(f"building the {resolution:g} m grid {grid.shape[1]} x {grid.shape[0]} cells of "
             f"{area.label if area is not None else 'GB'} from {sources.root}, in "
             f"{len(blocks)} blocks of {chunk} x {chunk} on "
             f"{address or 'the local threaded scheduler'}", log)
        small.las.to_csv(tmp / "local_authorities.csv", index=False)
        read_places(sources).to_csv(tmp / "places.csv", index=False)
        read_named_features(sources).to_csv(tmp / FEATURES_FILE, index=False)
        write_json(tmp / "basemap.geojson", basemap_geojson(areas), compact=True)
        del areas

        writer = StoreWriter(tmp, grid, blocks, chunk)
        absent = dict(plan.absent)
        features, counts, tables_of, read_s, ran = {}, {}, {}, {}, []
        legacy = [m for m in LAYER_MODULES if not _by_block(m)]
        whole = None
        for mod in LAYER_MODULES:
            t = time.perf_counter()
            theme = mod.__name__.rsplit(".", 1)[-1]
            if theme in plan.skip_themes:
                _log(f"  {theme}: not built (missing {', '.join(plan.skip_themes[theme])})",
                     log)
                continue
            first = len(sources.requested)
            try:
                if _by_block(mod):
                    features[mod.__name__] = mod.read(sources)
                    read_s[mod.__name__] = time.perf_counter() - t
                    _log(f"  {theme}: features read ({read_s[mod.__name__]:.1f}s)", log)
                    if address is None and hasattr(mod, "prepare"):
                        # what the blocks share, computed ahead on every core (flood:
                        # the HAND tiles; on a cluster the workers compute them instead)
                        t = time.perf_counter()
                        mod.prepare(features[mod.__name__], grid, small.geoms,
                                    workers=workers or os.cpu_count() or 1, log=log)
                        _log(f"  {theme}: prepared for the blocks "
                             f"({time.perf_counter() - t:.1f}s)", log)
                    if hasattr(mod, "tables"):
                        tables_of[mod.__name__] = mod.tables(features[mod.__name__])
                else:
                    if whole is None:  # the whole build grid's base, for build-only themes
                        whole = block_base(small, grid, area)
                    # a module with network years also hands back the tables behind them
                    tables = {} if hasattr(mod, "network_manifest") else None
                    arrays = (mod.build(sources, grid, whole) if tables is None
                              else mod.build(sources, grid, whole, tables=tables))
                    if tables:
                        tables_of[mod.__name__] = tables
                    counts[mod.__name__] = dict(getattr(arrays, "counts", {}))
                    for b in blocks:
                        writer.add_theme(mod.__name__, b, whole.land[b.rows, b.cols],
                                         {n: a[b.rows, b.cols] for n, a in arrays.items()})
                    del arrays
                    _log(f"  {theme}: {_names_line(writer.names.get(mod.__name__, []))} "
                         f"(whole grid, {time.perf_counter() - t:.1f}s)", log)
            except MissingSourceError as exc:  # a source the theme's criteria do not name
                _log(f"  {theme}: not built ({exc.one_line()})", log)
                for c in REGISTRY.values():
                    if c.layer == theme:
                        absent.setdefault(c.name, {"missing_sources": [], "reason": (
                            f"built with the {theme} theme, which failed: {exc.one_line()}")})
                continue
            ran.append(mod)
            _note_unnamed(theme, sources.requested[first:], log)
        if legacy:
            whole = None  # the blocks make their own bases
        t = time.perf_counter()
        progress = _Progress(len(blocks), log)
        compute_blocks(blocks, grid, small, area, features,
                       lambda r: (writer.add(r), progress.step()), scheduler=address,
                       workers=workers)
        _log(f"  {len(blocks)} blocks in {time.perf_counter() - t:.1f}s", log)
        for name, feats in features.items():
            mod = sys.modules[name]
            if hasattr(mod, "counts"):
                counts[name] = mod.counts(feats, writer.tallies.get(name, {}))
            _log(f"  {name.rsplit('.', 1)[-1]}: {_names_line(writer.names.get(name, []))} "
                 f"(read {read_s[name]:.1f}s, blocks {writer.seconds.get(name, 0):.1f}s of "
                 f"task time)", log)
        writer.close()
        land_cells = writer.land_cells

        metas, used, variants, network = {}, {}, {}, None
        for mod in ran:
            names = writer.names.get(mod.__name__, [])
            for name in names:
                stats = writer.stats[name].to_dict()
                cover = round(writer.stats[name].count / land_cells, 4) if land_cells else 0.0
                base_name, _, snap = name.partition("@")
                if snap:  # a network-year variant: recorded under its criterion below
                    variants.setdefault(base_name, {})[snap] = {
                        "file": f"layers/{name}.tif", "coverage_fraction": cover,
                        "stats": stats}
                    continue
                crit = REGISTRY[name]
                meta = crit.to_dict()
                got = counts.get(mod.__name__, {}).get(name, {})
                meta["coverage"] = crit.coverage_text(got)
                if got:
                    meta["counts"] = got
                meta["coverage_fraction"] = cover
                meta["stats"] = stats
                srcs = [catalog()[sid] for sid in crit.sources]
                meta["licence"] = "; ".join(dict.fromkeys(s.licence for s in srcs))
                meta["data_date"] = "; ".join(dict.fromkeys(s.data_date for s in srcs))
                meta["commercial_use"] = all(s.commercial for s in srcs)
                metas[name] = meta
                used.update((s.id, s) for s in srcs if _present(plan, s.id))
                absent.pop(name, None)
            if mod.__name__ in tables_of:
                (tmp / "network").mkdir(exist_ok=True)
                for tname, df in tables_of[mod.__name__].items():
                    df.to_csv(tmp / "network" / f"{tname}.csv", index=False)
                network = mod.network_manifest(tables_of[mod.__name__])
        for name, per in variants.items():
            own = str(network["default_snapshot"]) if network else None
            metas[name]["network_years"] = dict(sorted({
                **per, **({own: {"file": f"layers/{name}.tif",
                                 "coverage_fraction": metas[name]["coverage_fraction"],
                                 "stats": metas[name]["stats"]}} if own else {})}.items()))
        for sid in dict.fromkeys(sources.requested):  # what any theme read travels with it
            used[sid] = catalog()[sid]
        # Small vector files for the map (motorways, substations), from the modules that
        # read their sources (a block-built theme from its features: nothing read twice);
        # their licences travel in the manifest like a layer's.
        reference = {}
        for mod in ran:
            theme = mod.__name__.rsplit(".", 1)[-1]
            if not hasattr(mod, "reference"):
                continue
            t = time.perf_counter()
            try:
                made = mod.reference(features[mod.__name__] if _by_block(mod) else sources)
            except MissingSourceError as exc:  # the map simply lacks that layer
                _log(f"  map vectors of {theme}: not built ({exc.one_line()})", log)
                continue
            for name, (data, sids) in made.items():
                write_json(tmp / f"{name}.geojson", data, compact=True)
                srcs = [catalog()[sid] for sid in sids]
                reference[name] = {"file": f"{name}.geojson", "sources": list(sids),
                                   "features": len(data.get("features", [])),
                                   "licence": "; ".join(dict.fromkeys(s.licence for s in srcs))}
                used.update((s.id, s) for s in srcs)
            _log(f"  map vectors: {', '.join(made)} ({time.perf_counter() - t:.1f}s)", log)
        for name in REGISTRY:  # anything else not built: say so rather than leave it out
            if name not in metas and name not in absent:
                absent[name] = {"missing_sources": [], "reason": "not built by its theme"}
                _log(f"  {name}: not built by its {REGISTRY[name].layer} theme", log)
        for sid in BASE_SOURCES:
            used[sid] = catalog()[sid]
        manifest = {
            "format": STORE_FORMAT, "growthzones_version": __version__,
            "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": command or f"growthzones data build --resolution {resolution:g}",
            "grid": grid.to_dict(), "land_cells": land_cells,
            **({"within": area.to_dict()} if area is not None else {}),
            "chunking": {"block_cells": chunk, "blocks": len(blocks), "tile_px": 256},
            "layers": metas,
            **({"network": network} if network else {}),
            "reference": reference,
            # criteria not in the store (not assessed), each with why: a missing source
            "absent": {name: absent[name] for name in REGISTRY if name in absent},
            "sources": {sid: {**{k: v for k, v in vars(s).items() if k != "id"},
                              "checksum": getattr(plan.status.get(sid), "checksum", "-")}
                        for sid, s in sorted(used.items())},
        }
        write_json(tmp / "manifest.json", manifest)
    write_text(out / "SOURCES.md", sources_markdown(manifest))
    _log(f"wrote {final} in {time.perf_counter() - t0:.1f}s", log)
    return final


def _by_block(mod) -> bool:
    """Whether a theme module follows the block contract (``read`` and ``on_block``)."""
    return hasattr(mod, "read") and hasattr(mod, "on_block")


def _names_line(names) -> str:
    plain = [n for n in names if "@" not in n]
    extra = len(names) - len(plain)
    return ", ".join(plain) + (f"; {extra} network-year variants" if extra else "")


def _note_unnamed(theme: str, requested, log) -> None:
    """Every source the theme read travels with the store's licences, including any its
    criteria do not name (said here, so the registry can be completed)."""
    named = {sid for c in REGISTRY.values() if c.layer == theme for sid in c.sources}
    unnamed = [sid for sid in dict.fromkeys(requested)
               if sid not in named and sid not in BASE_SOURCES]
    if unnamed:
        _log(f"    note: {theme} read {', '.join(unnamed)}, which none of its criteria "
             f"names in the registry", log)


class _Progress:
    """A log line every tenth of the blocks (and at most every 15 s of quiet)."""

    def __init__(self, total: int, log):
        self.total, self.log, self.done = total, log, 0
        self.t0 = self.last = time.perf_counter()

    def step(self) -> None:
        self.done += 1
        now = time.perf_counter()
        if (self.done == self.total or self.done % max(1, self.total // 10) == 0
                or now - self.last > 15):
            self.last = now
            _log(f"  blocks {self.done}/{self.total} ({now - self.t0:.1f}s)", self.log)


def _present(plan, source_id: str) -> bool:
    """Whether the plan found ``source_id`` (a source it did not check counts as present)."""
    status = plan.status.get(source_id)
    return status is None or status.present


def sources_markdown(manifest: dict) -> str:
    """``SOURCES.md`` for a built store: attribution and licence per source, and the command."""
    lines = [
        "# Data sources of the embedded layer store",
        "",
        "Everything in this folder is derived by growthzones from the raw open data below;",
        "no raw file is copied here. Rebuilt on "
        f"{manifest['built']} with:",
        "",
        "```",
        manifest["command"],
        "```",
        "",
        "Licences travel with the derived layers. **Some sources are non-commercial "
        "(CC BY-NC-SA)**: layers built from them may not be used commercially; the map's "
        "attribution line repeats these terms.",
        "",
        "| source | publisher | data date | licence | commercial use | attribution |",
        "|---|---|---|---|---|---|",
    ]
    for s in manifest["sources"].values():
        lines.append(f"| {s['title']} | {s['publisher']} | {s['data_date']} | {s['licence']} "
                     f"| {'yes' if s['commercial'] else '**no**'} | {s['attribution']} |")
    lines += ["", "## Layers", "",
              "| layer | kind | unit | direction | coverage (share of GB land with data) "
              "| sources |", "|---|---|---|---|---|---|"]
    for m in manifest["layers"].values():
        lines.append(f"| `{m['name']}` | {m['kind']} | {m['unit']} | {m['direction'] or '-'} | "
                     f"{m['coverage']} ({100 * m['coverage_fraction']:.1f} %) | "
                     f"{', '.join(m['sources'])} |")
    lines += ["", "## Official downloads", "",
              "To refresh a source (`growthzones data fetch NAME` downloads the file and "
              "checks its sha256):", ""]
    lines += [f"- {s['title']}: {s.get('url') or s.get('page', '')}"
              + (f" (derived: {s['derived']})" if s.get("derived") else "")
              for s in manifest["sources"].values()]
    if manifest.get("absent"):
        lines += ["", "## Absent from this store (not assessed)", ""]
        lines += [f"- `{name}`: {a['reason']}" for name, a in manifest["absent"].items()]
    lines += ["", "## Not covered here", "",
              "No layer claims these; where a criterion needs them its coverage says so. "
              "A user with internet can fetch them from:", ""]
    lines += [f"- **{g['what']}**: {g['url']} ({g['licence']})" for g in gaps().values()]
    return "\n".join(lines) + "\n"
