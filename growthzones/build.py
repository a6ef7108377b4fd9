"""Building the layer store: every layer the sources allow, written as a whole.

:func:`build_store` checks every source first (:func:`growthzones.fetch.plan_build`),
builds the base rasters and tables and then each theme of :mod:`growthzones.layers`,
and writes the store folder (its layout is in :mod:`growthzones.store`, which reads it)
atomically, with its manifest and a ``SOURCES.md`` beside it (:func:`sources_markdown`).
The layer build code is imported inside :func:`build_store`, so importing this module
(or :mod:`growthzones.store`, which imports :func:`build_store` from it) stays cheap.

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
import sys
import time
from pathlib import Path

import numpy as np

from ._errors import MissingSourceError
from ._validate import grid_size
from ._version import __version__
from .catalog import BASE_SOURCES, SourceFiles, catalog, gaps
from .criteria import REGISTRY
from .fileset import check_out_folder, remove_tmp_files, write_set
from .grid import GB_BOUNDS, GridSpec
from .io import write_json, write_raster, write_text

#: The store format this version writes (and :func:`growthzones.store.load_layers` reads).
STORE_FORMAT = 1
#: The named-features table (:mod:`growthzones.layers.named_features` builds it; its
#: columns are :data:`growthzones.store.FEATURES_COLUMNS`).
FEATURES_FILE = "features.csv"

#: Folder ``data build`` writes to without ``--out`` (and without ``$GROWTHZONES_DATA``).
DEFAULT_BUILD_DIR = "growthzones-store"


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


def build_store(out: str | os.PathLike | None = None, *, source: str | os.PathLike | None = None,
                resolution: float = 1000.0, command: str | None = None,
                log=sys.stderr) -> Path:
    """Build every layer the sources allow and write a store folder atomically.

    Every source is checked first (:func:`growthzones.fetch.plan_build`) and the plan is
    logged: which sources are present, which are missing, and which criteria will
    therefore be absent. Missing base sources (small areas, lookups, places) stop the build
    there with one error listing them; a theme whose sources are missing is skipped and
    its criteria are recorded under ``"absent"`` in the manifest (with the reason) instead
    of failing late. An absent criterion has no raster: it is not assessed, and a scenario
    that names it gets the store's "layer not in the store" error.

    The store is built in a hidden staging folder beside it and swapped in as a whole
    (:func:`growthzones.fileset.write_set`); leftovers of an interrupted build are removed
    first, and an ``out`` that cannot be written is an :class:`OutputError` before any
    work.

    Parameters
    ----------
    out
        Parent folder; the store goes to ``out/gb_<resolution>m`` and a ``SOURCES.md``
        with attribution, licences and this command goes to ``out``. Default:
        :func:`default_build_dir` (``$GROWTHZONES_DATA`` or ``./growthzones-store``), never
        the embedded store; pass :func:`growthzones.catalog.embedded_store_dir` to rebuild
        that in place.
    source
        Folder with the raw files (default: ``../shared/data`` beside the repository).
    resolution
        Cell size in metres (1000 for the embedded default; 100 works too).
    command
        The command line to record in the manifest and SOURCES.md.
    """
    from .fetch import plan_build
    from .layers import LAYER_MODULES
    from .layers.base import basemap_geojson, build_base, read_places, read_small_areas
    from .layers.named_features import read_named_features

    grid_size(resolution, "resolution", bounds=GB_BOUNDS)  # refuse before allocating
    t0 = time.perf_counter()
    sources = SourceFiles(source)
    grid = GridSpec(resolution=resolution)
    out = Path(out) if out is not None else default_build_dir()
    final = out / f"gb_{int(resolution)}m"
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
    with write_set(final, keep_existing=False, log=log) as staged:
        tmp = staged.root
        (tmp / "layers").mkdir()
        _log(f"building the {resolution:g} m GB grid {grid.shape[1]} x {grid.shape[0]} "
             f"cells from {sources.root}", log)
        areas = read_small_areas(sources)
        base = build_base(areas, grid)
        _log(f"  land mask: {base.land.sum():,} land cells, {len(base.las)} local authorities "
             f"({time.perf_counter() - t0:.1f}s)", log)
        write_raster(tmp / "land.tif", base.land.astype(np.uint8), grid, nodata=0)
        write_raster(tmp / "la_index.tif", base.la_index, grid, nodata=0)
        base.las.to_csv(tmp / "local_authorities.csv", index=False)
        read_places(sources).to_csv(tmp / "places.csv", index=False)
        read_named_features(sources).to_csv(tmp / FEATURES_FILE, index=False)
        write_json(tmp / "basemap.geojson", basemap_geojson(areas), compact=True)

        land_cells = int(base.land.sum())
        metas, used, absent = {}, {}, dict(plan.absent)
        variants, network = {}, None
        features = {}  # theme -> its read() features, for the map vectors below
        for mod in LAYER_MODULES:
            t = time.perf_counter()
            theme = mod.__name__.rsplit(".", 1)[-1]
            if theme in plan.skip_themes:
                _log(f"  {theme}: not built (missing {', '.join(plan.skip_themes[theme])})",
                     log)
                continue
            first = len(sources.requested)
            # a module with network years also hands back the tables behind them
            tables = {} if hasattr(mod, "network_manifest") else None
            try:
                arrays = (mod.build(sources, grid, base) if tables is None
                          else mod.build(sources, grid, base, tables=tables))
                features[theme] = getattr(arrays, "features", None)
            except MissingSourceError as exc:  # a source the theme's criteria do not name
                _log(f"  {theme}: not built ({exc.one_line()})", log)
                for c in REGISTRY.values():
                    if c.layer == theme:
                        absent.setdefault(c.name, {"missing_sources": [], "reason": (
                            f"built with the {theme} theme, which failed: {exc.one_line()}")})
                continue
            for name, arr in arrays.items():
                arr = np.where(base.land, arr, np.nan).astype(np.float32)
                write_raster(tmp / "layers" / f"{name}.tif", arr, grid)
                have = np.isfinite(arr) & base.land
                vals = arr[have]
                stats = ({"min": float(vals.min()), "max": float(vals.max()),
                          "mean": float(vals.mean())} if vals.size else {})
                cover = round(float(have.sum()) / land_cells, 4)
                base_name, _, snap = name.partition("@")
                if snap:  # a network-year variant: recorded under its criterion below
                    variants.setdefault(base_name, {})[snap] = {
                        "file": f"layers/{name}.tif", "coverage_fraction": cover,
                        "stats": stats}
                    continue
                crit = REGISTRY[name]
                meta = crit.to_dict()
                counts = getattr(arrays, "counts", {}).get(name, {})
                meta["coverage"] = crit.coverage_text(counts)
                if counts:
                    meta["counts"] = counts
                meta["coverage_fraction"] = cover
                meta["stats"] = stats
                srcs = [catalog()[sid] for sid in crit.sources]
                meta["licence"] = "; ".join(dict.fromkeys(s.licence for s in srcs))
                meta["data_date"] = "; ".join(dict.fromkeys(s.data_date for s in srcs))
                meta["commercial_use"] = all(s.commercial for s in srcs)
                metas[name] = meta
                used.update((s.id, s) for s in srcs if _present(plan, s.id))
                absent.pop(name, None)
            if tables:
                (tmp / "network").mkdir(exist_ok=True)
                for tname, df in tables.items():
                    df.to_csv(tmp / "network" / f"{tname}.csv", index=False)
                network = mod.network_manifest(tables)
            _log(f"  {theme}: {', '.join(n for n in arrays if '@' not in n)}"
                 + (f"; {len(arrays) - sum('@' not in n for n in arrays)} network-year "
                    f"variants" if any('@' in n for n in arrays) else "")
                 + f" ({time.perf_counter() - t:.1f}s)", log)
            # Every source the theme read travels with the store's licences, including any
            # its criteria do not name (said here, so the registry can be completed).
            read = dict.fromkeys(sources.requested[first:])
            used.update((sid, catalog()[sid]) for sid in read)
            named = {sid for c in REGISTRY.values() if c.layer == theme for sid in c.sources}
            unnamed = [sid for sid in read if sid not in named and sid not in BASE_SOURCES]
            if unnamed:
                _log(f"    note: {theme} read {', '.join(unnamed)}, which none of its "
                     f"criteria names in the registry", log)
        for name, per in variants.items():
            own = str(network["default_snapshot"]) if network else None
            metas[name]["network_years"] = dict(sorted({
                **per, **({own: {"file": f"layers/{name}.tif",
                                 "coverage_fraction": metas[name]["coverage_fraction"],
                                 "stats": metas[name]["stats"]}} if own else {})}.items()))
        # Small vector files for the map (motorways, substations), from the modules that
        # read their sources; their licences travel in the manifest like a layer's.
        reference = {}
        for mod in LAYER_MODULES:
            theme = mod.__name__.rsplit(".", 1)[-1]
            if not hasattr(mod, "reference") or theme in plan.skip_themes:
                continue
            t = time.perf_counter()
            try:
                # from the features the theme's build read (read again only if it
                # did not hand them back)
                f = features.get(theme)
                made = mod.reference(f if f is not None else mod.read(sources))
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
        for sid in BASE_SOURCES:
            used[sid] = catalog()[sid]
        manifest = {
            "format": STORE_FORMAT, "growthzones_version": __version__,
            "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": command or f"growthzones data build --resolution {resolution:g}",
            "grid": grid.to_dict(), "land_cells": land_cells,
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
