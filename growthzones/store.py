"""The layer store: one GeoTIFF per criterion on the national grid, plus a manifest.

Layout of a store folder (``growthzones/data/gb_1000m``, package data, is the embedded
default)::

    manifest.json          grid, build date and command, metadata for every layer
    land.tif               uint8, 1 on GB land
    la_index.tif           int16, 1-based row of local_authorities.csv
    local_authorities.csv  la_code, la_name, nation
    places.csv             GeoNames places for naming sites
    basemap.geojson        simplified council outlines (offline map background)
    motorways.geojson      simplified motorways, for the map (OS Open Roads)
    substations.geojson    400/275 kV substations, for the map (manifest "reference")
    layers/<name>.tif      float32, NaN where the layer has no data

Building is slow and reads raw files; loading is fast and reads only the store.

Where stores are: :func:`load_layers` reads ``$GROWTHZONES_STORE`` if set, else the
embedded 1 km store shipped inside the package (found through ``importlib.resources``, so a
wheel installed anywhere works). :func:`build_store` writes to ``$GROWTHZONES_DATA`` if set,
else ``./growthzones-store`` in the current folder; it writes into the package only when
``out`` names the package's data folder explicitly, which is how the embedded store is
rebuilt (``growthzones data build --out growthzones/data`` from a source checkout; the
manifest and ``SOURCES.md`` record that command).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import LayerStoreError
from ._validate import grid_size
from ._version import __version__
from .catalog import EMBEDDED_STORE_NAME, SourceFiles, catalog, embedded_store_dir, gaps
from .criteria import REGISTRY
from .fileset import check_out_folder, remove_tmp_files, write_set
from .grid import GB_BOUNDS, GridSpec
from .io import read_raster, write_json, write_raster, write_text

STORE_FORMAT = 1
#: Raw land vectors up to this size stay in memory once read (1 km GB: 229k cells, ~1 MB
#: each); larger ones (100 m: 23M cells, ~92 MB each) are read when needed and not kept.
RESIDENT_CELLS = 2_000_000


def default_store_path() -> Path:
    """``$GROWTHZONES_STORE`` if set, else the embedded 1 km store (package data)."""
    env = os.environ.get("GROWTHZONES_STORE")
    return Path(env) if env else embedded_store_dir() / EMBEDDED_STORE_NAME


#: Folder ``data build`` writes to without ``--out`` (and without ``$GROWTHZONES_DATA``).
DEFAULT_BUILD_DIR = "growthzones-store"


def default_build_dir() -> Path:
    """Where :func:`build_store` writes without ``out``: never into the package.

    ``$GROWTHZONES_DATA`` if set, else ``./growthzones-store`` in the current folder. Point
    ``--store`` (or ``$GROWTHZONES_STORE``) at ``<it>/gb_<resolution>m`` to use the result.
    """
    env = os.environ.get("GROWTHZONES_DATA")
    return Path(env) if env else Path.cwd() / DEFAULT_BUILD_DIR


@dataclass
class LayerStore:
    """Layers loaded from a store folder, with lookups for naming places.

    Scoring works on 1-D vectors over land cells (``land_index``), so re-scoring the
    whole country touches ~230k values at 1 km rather than 875k.
    """

    path: Path
    grid: GridSpec
    land: np.ndarray
    la_index: np.ndarray
    las: pd.DataFrame
    places: pd.DataFrame
    manifest: dict
    layers: Mapping[str, np.ndarray]
    basemap: dict | None = None
    #: Optional ``name -> land vector`` source used instead of ``layers`` (e.g. a derived grid).
    reader: Callable[[str], np.ndarray] | None = field(default=None, repr=False)
    _vectors: dict = field(default_factory=dict, repr=False)

    @property
    def meta(self) -> dict[str, dict]:
        return self.manifest["layers"]

    @property
    def land_index(self) -> np.ndarray:
        if "_land" not in self._vectors:
            self._vectors["_land"] = np.flatnonzero(self.land.ravel())
        return self._vectors["_land"]

    def layer(self, name: str) -> np.ndarray:
        """The 2-D raster of one layer (raw values)."""
        try:
            return self.layers[name]
        except KeyError:
            raise LayerStoreError(
                f"layer {name!r} is not in the store at {self.path}; rebuild it with "
                f"'growthzones data build' (the store has: {', '.join(sorted(self.layers))})"
            ) from None

    def vector(self, name: str) -> np.ndarray:
        """Raw values of one layer on land cells, as a 1-D float32 array."""
        if name not in self._vectors:
            self._vectors[name] = self.layer(name).ravel()[self.land_index]
        return self._vectors[name]

    def read_vector(self, name: str) -> np.ndarray:
        """Raw values of one layer on land cells, without keeping them in memory.

        Scoring caches what it derives (transformed values, masks; see
        :func:`growthzones.scoring.cache_for`), so the raw layers need
        not stay resident: at 100 m each is ~92 MB as a vector and ~350 MB as a raster.
        """
        if name in self._vectors:
            return self._vectors[name]
        if self.reader is not None:
            vec = self.reader(name)
        elif isinstance(self.layers, _LazyRasters) and not self.layers.loaded(name):
            if name not in self.layers:
                self.layer(name)  # raises the clear error
            vec = self.layers.read(name).ravel()[self.land_index]
        else:
            vec = self.layer(name).ravel()[self.land_index]
        if vec.size <= RESIDENT_CELLS:  # small grids: keeping it is cheaper than re-reading
            self._vectors[name] = vec
        return vec

    def values_at(self, name: str, positions) -> np.ndarray:
        """Raw values of one layer at a few land-vector positions (e.g. ranked sites).

        A file-backed layer not in memory is read cell by cell, not whole.
        """
        pos = np.asarray(positions, dtype=np.int64)
        if (name not in self._vectors and self.reader is None
                and self.land_index.size > RESIDENT_CELLS
                and isinstance(self.layers, _LazyRasters) and not self.layers.loaded(name)
                and name in self.layers):
            rows, cols = np.divmod(self.land_index[pos], self.grid.width)
            return self.layers.read_cells(name, rows, cols)
        return self.read_vector(name)[pos]

    def unflatten(self, values: np.ndarray, fill=np.nan) -> np.ndarray:
        """Put a land-cell vector back on the 2-D grid."""
        out = np.full(self.grid.shape[0] * self.grid.shape[1], fill,
                      dtype=np.result_type(values.dtype, type(fill)))
        out[self.land_index] = values
        return out.reshape(self.grid.shape)

    def attributions(self) -> list[str]:
        """One line per source used: title, licence and required attribution."""
        return [f"{s['title']}: {s['attribution']} ({s['licence']})"
                for s in self.manifest["sources"].values()]


def load_layers(path: str | os.PathLike | None = None) -> LayerStore:
    """Load a layer store (default: the embedded 1 km store).

    The manifest, the base rasters (``land.tif``, ``la_index.tif``), the two lookup tables
    and the basemap are read and checked here; each layer raster is read when first used
    (a corrupt one raises then).

    Raises
    ------
    LayerStoreError
        If the folder, its manifest or any listed layer file is missing, or any of the
        store's files is corrupt, empty or of the wrong shape; one line naming the file,
        what is wrong and the fix (rebuild the store).
    """
    path = Path(path) if path is not None else default_store_path()
    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise LayerStoreError(
            f"no layer store at {path} (manifest.json missing); build one with "
            f"'growthzones data build --out {path.parent}' or pass --store DIR")
    manifest = _read_json(manifest_path)
    if manifest.get("format") != STORE_FORMAT:
        raise LayerStoreError(f"layer store at {path} has format {manifest.get('format')!r}, "
                              f"this version reads {STORE_FORMAT}; {_REBUILD}")
    grid = _manifest_grid(manifest, manifest_path)
    layer_meta = _manifest_table(manifest, "layers", manifest_path)
    for name, meta in layer_meta.items():
        if not isinstance(meta, dict):
            raise LayerStoreError(f"{manifest_path}: layer {name!r} is a {type(meta).__name__}, "
                                  f"not a JSON object; {_REBUILD}")
    if "sources" in manifest:
        _manifest_table(manifest, "sources", manifest_path)

    def _read(rel):
        f = path / rel
        if not f.exists():
            raise LayerStoreError(f"layer file {f} is missing; {_REBUILD}")
        try:
            arr, g = read_raster(f)
        except Exception as exc:  # rasterio raises its own error types
            raise LayerStoreError(f"cannot read {f}: {_one_line(exc)}; {_REBUILD}") from None
        if g.shape != grid.shape or g.resolution != grid.resolution:
            raise LayerStoreError(f"{f} is on a {g.shape} grid at {g.resolution:g} m, the store "
                                  f"is {grid.shape} at {grid.resolution:g} m; {_REBUILD}")
        return arr

    for name in layer_meta:
        if not (path / "layers" / f"{name}.tif").exists():
            raise LayerStoreError(f"layer file {path / 'layers' / f'{name}.tif'} is missing; "
                                  f"rebuild the store with 'growthzones data build'")
    layers = _LazyRasters(path / "layers", list(layer_meta), grid)
    basemap_path = path / "basemap.geojson"
    basemap = None
    if basemap_path.exists():
        basemap = _read_json(basemap_path, "a GeoJSON FeatureCollection")
        if basemap.get("type") != "FeatureCollection" or \
                not isinstance(basemap.get("features"), list):
            raise LayerStoreError(f"{basemap_path} is not a GeoJSON FeatureCollection; "
                                  f"{_REBUILD}")
    return LayerStore(
        path=path, grid=grid, land=_read("land.tif").astype(bool), la_index=_read("la_index.tif"),
        las=_read_table(path / "local_authorities.csv", {"la_code": str, "la_name": str,
                                                         "nation": str}),
        places=_read_table(path / "places.csv", {"name": str, "population": float,
                                                 "easting": float, "northing": float}),
        manifest=manifest, layers=layers, basemap=basemap)


_REBUILD = "rebuild the store with 'growthzones data build' (or pass --store DIR)"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _read_json(f: Path, what: str = "a JSON object") -> dict:
    """A JSON object from a store file, or a LayerStoreError naming what is wrong."""
    try:
        text = f.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise LayerStoreError(f"{f} is not UTF-8 text (corrupt?); {_REBUILD}") from None
    except OSError as exc:
        raise LayerStoreError(f"cannot read {f}: {_one_line(exc)}; {_REBUILD}") from None
    if not text.strip():
        raise LayerStoreError(f"{f} is empty; {_REBUILD}")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayerStoreError(f"{f} is not valid JSON (line {exc.lineno} column {exc.colno}: "
                              f"{exc.msg}); {_REBUILD}") from None
    if not isinstance(obj, dict):
        raise LayerStoreError(f"{f} is a {type(obj).__name__}, not {what}; {_REBUILD}")
    return obj


def _manifest_table(manifest: dict, key: str, f: Path) -> dict:
    if key not in manifest:
        raise LayerStoreError(f"{f} has no {key!r} table; {_REBUILD}")
    value = manifest[key]
    if not isinstance(value, dict):
        raise LayerStoreError(f"{f}: {key!r} is a {type(value).__name__}, not a JSON object; "
                              f"{_REBUILD}")
    return value


def _manifest_grid(manifest: dict, f: Path) -> GridSpec:
    g = _manifest_table(manifest, "grid", f)
    res, bounds, crs = g.get("resolution"), g.get("bounds"), g.get("crs")

    def real(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)

    problem = None
    if not real(res) or res <= 0:
        problem = f"resolution is {res!r}, not a number of metres > 0"
    elif not isinstance(bounds, list) or len(bounds) != 4 or not all(map(real, bounds)):
        problem = f"bounds is {bounds!r}, not [xmin, ymin, xmax, ymax] in metres"
    elif not isinstance(crs, str):
        problem = f"crs is {crs!r}, not a string such as 'EPSG:27700'"
    if problem is None:
        try:
            return GridSpec(resolution=float(res), bounds=tuple(float(b) for b in bounds),
                            crs=crs)
        except ValueError as exc:
            problem = _one_line(exc)
    raise LayerStoreError(f"{f}: 'grid' {problem}; {_REBUILD}")


def _read_table(f: Path, columns: dict[str, type]) -> pd.DataFrame:
    """A store CSV with ``columns`` (numeric ones checked), or a LayerStoreError."""
    if not f.exists():
        raise LayerStoreError(f"{f} is missing; {_REBUILD}")
    try:
        df = pd.read_csv(f)
    except pd.errors.EmptyDataError:
        raise LayerStoreError(f"{f} is empty; {_REBUILD}") from None
    except Exception as exc:  # pandas parser errors, bad encodings
        raise LayerStoreError(f"cannot read {f}: {_one_line(exc)}; {_REBUILD}") from None
    lacking = [c for c in columns if c not in df.columns]
    if lacking:
        raise LayerStoreError(f"{f} lacks columns {', '.join(lacking)} (it has "
                              f"{', '.join(map(str, df.columns))}); {_REBUILD}")
    for c, kind in columns.items():
        if kind is float and not pd.api.types.is_numeric_dtype(df[c]):
            raise LayerStoreError(f"{f}: column {c!r} holds {df[c].iloc[0]!r}..., not numbers; "
                                  f"{_REBUILD}")
    return df


class _LazyRasters(Mapping):
    """Layer rasters of a store folder, read from disk on first access.

    A scenario touches a few of the store's layers; at 100 m each raster is ~350 MB, so
    none is read until asked for.
    """

    def __init__(self, folder: Path, names: list[str], grid: GridSpec):
        self._folder, self._names, self._grid = folder, names, grid
        self._arrays: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            if name not in self._names:
                raise KeyError(name)
            self._arrays[name] = self.read(name)
        return self._arrays[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name) -> bool:
        return name in self._names

    def loaded(self, name: str) -> bool:
        return name in self._arrays

    def read(self, name: str) -> np.ndarray:
        """The raster as float32, not cached."""
        f = self._folder / f"{name}.tif"
        try:
            arr, g = read_raster(f)
        except Exception as exc:  # rasterio raises its own error types
            raise self._unreadable(f, exc) from None
        if g.shape != self._grid.shape or g.resolution != self._grid.resolution:
            raise LayerStoreError(f"{f} is on a {g.shape} grid at {g.resolution:g} m, the store "
                                  f"is {self._grid.shape} at {self._grid.resolution:g} m; "
                                  f"{_REBUILD}")
        return arr.astype(np.float32, copy=False)

    def read_cells(self, name: str, rows, cols) -> np.ndarray:
        """Values at (row, col) cells, read through one-pixel windows."""
        import rasterio
        from rasterio.windows import Window

        f = self._folder / f"{name}.tif"
        try:
            with rasterio.open(f) as src:
                if (src.height, src.width) != self._grid.shape:
                    raise LayerStoreError(
                        f"{f} is on a {(src.height, src.width)} grid, the store is "
                        f"{self._grid.shape}; {_REBUILD}")
                return np.array([src.read(1, window=Window(int(c), int(r), 1, 1))[0, 0]
                                 for r, c in zip(rows, cols)], dtype=np.float32)
        except LayerStoreError:
            raise
        except Exception as exc:  # rasterio raises its own error types
            raise self._unreadable(f, exc) from None

    @staticmethod
    def _unreadable(f: Path, exc: BaseException) -> LayerStoreError:
        return LayerStoreError(f"cannot read layer file {f} (truncated or corrupt? "
                               f"{_one_line(exc)}); {_REBUILD}")


def _log(msg: str, log) -> None:
    if log is not None:
        print(msg, file=log, flush=True)


def build_store(out: str | os.PathLike | None = None, *, source: str | os.PathLike | None = None,
                resolution: float = 1000.0, command: str | None = None,
                log=sys.stderr) -> Path:
    """Build every layer from the raw sources and write a store folder atomically.

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
    from .layers import LAYER_MODULES
    from .layers.base import basemap_geojson, build_base, read_places, read_small_areas

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
        write_json(tmp / "basemap.geojson", basemap_geojson(areas), compact=True)

        land_cells = int(base.land.sum())
        metas, used = {}, {}
        for mod in LAYER_MODULES:
            t = time.perf_counter()
            arrays = mod.build(sources, grid, base)
            for name, arr in arrays.items():
                crit = REGISTRY[name]
                arr = np.where(base.land, arr, np.nan).astype(np.float32)
                write_raster(tmp / "layers" / f"{name}.tif", arr, grid)
                have = np.isfinite(arr) & base.land
                meta = crit.to_dict()
                meta["coverage_fraction"] = round(float(have.sum()) / land_cells, 4)
                vals = arr[have]
                meta["stats"] = ({"min": float(vals.min()), "max": float(vals.max()),
                                  "mean": float(vals.mean())} if vals.size else {})
                srcs = [catalog()[sid] for sid in crit.sources]
                meta["licence"] = "; ".join(dict.fromkeys(s.licence for s in srcs))
                meta["data_date"] = "; ".join(dict.fromkeys(s.data_date for s in srcs))
                meta["commercial_use"] = all(s.commercial for s in srcs)
                metas[name] = meta
                used.update((s.id, s) for s in srcs)
            _log(f"  {mod.__name__.rsplit('.', 1)[-1]}: {', '.join(arrays)} "
                 f"({time.perf_counter() - t:.1f}s)", log)
        # Small vector files for the map (motorways, substations), from the modules that
        # read their sources; their licences travel in the manifest like a layer's.
        reference = {}
        for mod in LAYER_MODULES:
            if not hasattr(mod, "reference"):
                continue
            t = time.perf_counter()
            made = mod.reference(sources)
            for name, (data, sids) in made.items():
                write_json(tmp / f"{name}.geojson", data, compact=True)
                srcs = [catalog()[sid] for sid in sids]
                reference[name] = {"file": f"{name}.geojson", "sources": list(sids),
                                   "features": len(data.get("features", [])),
                                   "licence": "; ".join(dict.fromkeys(s.licence for s in srcs))}
                used.update((s.id, s) for s in srcs)
            _log(f"  map vectors: {', '.join(made)} ({time.perf_counter() - t:.1f}s)", log)
        for sid in ("lsoa_ew", "datazones_scotland", "lookup_lsoa_lad", "lookup_dz_council",
                    "geonames_places"):
            used[sid] = catalog()[sid]
        manifest = {
            "format": STORE_FORMAT, "growthzones_version": __version__,
            "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": command or f"growthzones data build --resolution {resolution:g}",
            "grid": grid.to_dict(), "land_cells": land_cells,
            "layers": metas,
            "reference": reference,
            "sources": {sid: {k: v for k, v in vars(s).items() if k != "id"}
                        for sid, s in sorted(used.items())},
        }
        write_json(tmp / "manifest.json", manifest)
    write_text(out / "SOURCES.md", sources_markdown(manifest))
    _log(f"wrote {final} in {time.perf_counter() - t0:.1f}s", log)
    return final


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
    lines += ["", "## Official downloads", "", "To refresh a source:", ""]
    lines += [f"- {s['title']}: {s['url']}" for s in manifest["sources"].values()]
    lines += ["", "## Not covered here", "",
              "No layer claims these; where a criterion needs them its coverage says so. "
              "A user with internet can fetch them from:", ""]
    lines += [f"- **{g['what']}**: {g['url']} ({g['licence']})" for g in gaps().values()]
    return "\n".join(lines) + "\n"
