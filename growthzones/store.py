"""The layer store: one GeoTIFF per criterion on the national grid, plus a manifest.

Layout of a store folder (``growthzones/data/gb_1000m``, package data, is the embedded
default)::

    manifest.json          grid, build date and command, metadata for every layer
    land.tif               uint8, 1 on GB land
    la_index.tif           int16, 1-based row of local_authorities.csv
    local_authorities.csv  la_code, la_name, nation
    places.csv             GeoNames places for naming sites
    features.csv           named features: the industrial register's placed sites and the
                           transmission substations (label, name, kind, tier, status,
                           closure year, easting, northing, source), which name sites,
                           contributions and previously developed land (optional: a store
                           without it names sites after towns and explains by distance)
    basemap.geojson        simplified council outlines (offline map background)
    layers/<name>.tif      float32, NaN where the layer has no data
    layers/<name>@<S>.tif  a network-year criterion in ETYS snapshot S (2025, 2027, 2032,
                           2035; the plain file is the default 2029/30 snapshot)
    network/*.csv          the tables behind the network years (nodes, change-table rows,
                           TEC projects; see growthzones.layers.grid_capacity.changes)

Building is slow and reads raw files; loading is fast and reads only the store.

**Network years.** The grid criteria that depend on the network year carry one raster
per ETYS snapshot; the manifest's ``network`` entry lists the snapshots with the years
each is in force, and each such layer's ``network_years`` gives its file and statistics
per snapshot. :meth:`LayerStore.at_network_year` returns a view of the store in another
year (the same object each time, rasters still read lazily), which is what scoring uses
for a scenario's ``network_year``.

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

from ._errors import LayerStoreError, MissingSourceError
from ._validate import grid_size
from ._version import __version__
from .catalog import (
    BASE_SOURCES,
    EMBEDDED_STORE_NAME,
    SourceFiles,
    catalog,
    embedded_store_dir,
    gaps,
)
from .criteria import REGISTRY
from .fileset import check_out_folder, remove_tmp_files, write_set
from .grid import GB_BOUNDS, GridSpec
from .io import read_raster, write_json, write_raster, write_text

STORE_FORMAT = 1
#: Raw land vectors up to this size stay in memory once read (1 km GB: 229k cells, ~1 MB
#: each); larger ones (100 m: 23M cells, ~92 MB each) are read when needed and not kept.
RESIDENT_CELLS = 2_000_000
#: The named-features table (:mod:`growthzones.layers.named_features` builds it) and the
#: columns its users read.
FEATURES_FILE = "features.csv"
FEATURES_COLUMNS = {"label": str, "name": str, "kind": str, "tier": int, "status": str,
                    "closure_year": float, "easting": float, "northing": float}


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
    #: Named features (``features.csv``; None in older stores): every placed register site
    #: and transmission substation; :func:`naming_features` gives the rows that name sites.
    features: pd.DataFrame | None = None
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
        root = self.__dict__.get("_network_root")  # a network-year view (network_years)
        varies = getattr(self.layers, "varies", None)
        if root is not None and varies is not None and not varies(name):
            return root.read_vector(name)  # the same raster: the store's copy, if kept
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

    # --- network years ----------------------------------------------------------------------

    @property
    def network(self) -> dict:
        """The manifest's ``network`` entry (empty for a store built without network years)."""
        return self.manifest.get("network") or {}

    @property
    def network_snapshot(self) -> int | None:
        """The ETYS snapshot this store (or view) holds the grid criteria of."""
        net = self.network
        return net.get("snapshot", net.get("default_snapshot")) if net else None

    def network_years(self) -> dict[int, tuple[int, int]]:
        """Snapshots this store carries -> (first, last) year each is in force."""
        return {int(k): tuple(v["years"]) for k, v in self.network.get("snapshots", {}).items()}

    def snapshot_for(self, year) -> int | None:
        """The snapshot in force in network ``year``, or an InputError listing the years
        (see :func:`growthzones.network_years.snapshot_for`)."""
        from .network_years import snapshot_for

        return snapshot_for(self, year)

    def at_network_year(self, year) -> LayerStore:
        """This store with the grid criteria of network ``year`` (its ETYS snapshot).

        The view shares the base rasters and reads only the network-year files it needs
        (lazily); asking twice gives the same object, so scoring's cache holds across
        calls. ``None`` gives this store as it is. See
        :func:`growthzones.network_years.at_network_year`.

        Raises
        ------
        InputError
            ``year`` is not a whole number, or no snapshot of the store covers it (the
            message lists those it has).
        """
        from .network_years import at_network_year

        return at_network_year(self, year)

    def network_table(self, name: str) -> pd.DataFrame:
        """One of the tables behind the network years (``network_nodes``,
        ``network_changes``, ``tec_projects``), read from the store."""
        rel = self.network.get("tables", {}).get(name)
        if rel is None:
            raise LayerStoreError(f"the store at {self.path} has no network table {name!r}; "
                                  f"{_REBUILD}")
        cache = self.__dict__.get("_network_root", self).__dict__.setdefault(
            "_network_tables", {})
        if name not in cache:
            cache[name] = _read_table(self.path / rel, {})
        return cache[name]

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

    for name, meta in layer_meta.items():
        files = [f"layers/{name}.tif"] + [
            v.get("file", "") if isinstance(v, dict) else ""
            for v in (meta.get("network_years") or {}).values()]
        for rel in files:
            if not rel or not (path / rel).exists():
                raise LayerStoreError(f"layer file {path / (rel or f'layers/{name}@?.tif')} "
                                      f"is missing; rebuild the store with 'growthzones data "
                                      f"build'")
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
        manifest=manifest, layers=layers, basemap=basemap,
        features=(_read_table(path / FEATURES_FILE, FEATURES_COLUMNS)
                  .fillna({"label": "", "status": ""})  # CSV "" reads as NaN
                  if (path / FEATURES_FILE).exists() else None))


def naming_features(features: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rows of a features table that name sites: those with a ``label`` (a works
    known only by its company has none; it still explains previously developed land)."""
    if features is None or "label" not in features:
        return features
    return features[features["label"].fillna("").astype(str) != ""]


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

    def __init__(self, folder: Path, names: list[str], grid: GridSpec, *,
                 files: dict[str, str] | None = None, parent: _LazyRasters | None = None):
        self._folder, self._names, self._grid = folder, names, grid
        self._arrays: dict[str, np.ndarray] = {}
        #: name -> file stem where it differs (a network-year variant, ``name@2035``)
        self._files = files or {}
        self._parent = parent

    def variant(self, files: dict[str, str]) -> _LazyRasters:
        """The same layers with some read from other files; the rest shared with the base
        (the store's own rasters, also when this is already a variant)."""
        base = self
        while base._parent is not None:
            base = base._parent
        return _LazyRasters(self._folder, self._names, self._grid, files=files, parent=base)

    def varies(self, name: str) -> bool:
        """Whether ``name`` is read from a file of its own here (a network-year variant)."""
        return name in self._files

    def _shared(self, name: str) -> bool:
        return self._parent is not None and name not in self._files

    def __getitem__(self, name: str) -> np.ndarray:
        if self._shared(name):
            return self._parent[name]
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
        return self._parent.loaded(name) if self._shared(name) else name in self._arrays

    def read(self, name: str) -> np.ndarray:
        """The raster as float32, not cached."""
        f = self._folder / f"{self._files.get(name, name)}.tif"
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

        f = self._folder / f"{self._files.get(name, name)}.tif"
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
