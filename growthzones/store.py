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
    motorways.geojson      simplified motorways, for the map (OS Open Roads)
    substations.geojson    400/275 kV substations, for the map (manifest "reference")
    layers/<name>.tif      float32, NaN where the layer has no data
    layers/<name>@<S>.tif  a network-year criterion in ETYS snapshot S (2025, 2027, 2032,
                           2035; the plain file is the default 2029/30 snapshot)
    network/*.csv          the tables behind the network years (nodes, change-table rows,
                           TEC projects; see growthzones.layers.grid_capacity.changes)

Building is slow and reads raw files (:mod:`growthzones.build`); loading is fast and
reads only the store.

**Network years.** The grid criteria that depend on the network year carry one raster
per ETYS snapshot; the manifest's ``network`` entry lists the snapshots with the years
each is in force, and each such layer's ``network_years`` gives its file and statistics
per snapshot. :meth:`LayerStore.at_network_year` returns a view of the store in another
year (the same object each time, rasters still read lazily), which is what scoring uses
for a scenario's ``network_year``.

Where stores are: :func:`load_layers` reads ``$GROWTHZONES_STORE`` if set, else the
embedded 1 km store shipped inside the package (found through ``importlib.resources``, so a
wheel installed anywhere works). Where :func:`~growthzones.build.build_store` writes is
said in :mod:`growthzones.build`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import LayerStoreError, one_line

# The format and file names a build writes, which loading checks.
from .build import FEATURES_FILE, STORE_FORMAT
from .cache import cached_array, fingerprint
from .catalog import EMBEDDED_STORE_NAME, embedded_store_dir
from .grid import GridSpec, LandSurface
from .io import read_raster
from .layer_files import REBUILD, LayerFiles, block_mean

#: Raw land vectors up to this size stay in memory once read (1 km GB: 229k cells, ~1 MB
#: each); larger ones (100 m: 23M cells, ~92 MB each) are read when needed and not kept.
RESIDENT_CELLS = 2_000_000

#: Up to this many cells :meth:`LayerStore.values_at` reads a big grid's file cell by cell
#: (a one-pixel window each); more, from the window of rows they span.
FEW_CELLS = 1000

#: The columns of the named-features table (:data:`FEATURES_FILE`) its users read.
FEATURES_COLUMNS = {"label": str, "name": str, "kind": str, "tier": int, "status": str,
                    "closure_year": float, "easting": float, "northing": float}


def default_store_path() -> Path:
    """``$GROWTHZONES_STORE`` if set, else the embedded 1 km store (package data)."""
    env = os.environ.get("GROWTHZONES_STORE")
    return Path(env) if env else embedded_store_dir() / EMBEDDED_STORE_NAME


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
        root = self._root_for(name)
        if root is not None:
            return root.read_vector(name)
        if self.reader is not None:
            vec = self.reader(name)
        elif isinstance(self.layers, LayerFiles) and not self.layers.loaded(name):
            if name not in self.layers:
                self.layer(name)  # raises the clear error
            vec = self._read_land_vector(name)
        else:
            vec = self.layer(name).ravel()[self.land_index]
        if vec.size <= RESIDENT_CELLS:  # small grids: keeping it is cheaper than re-reading
            self._vectors[name] = vec
        return vec

    def cache_sources(self, name: str) -> list[str] | None:
        """The :func:`~growthzones.cache.fingerprint` of the files layer ``name``'s land
        vector is made from (its GeoTIFF and ``land.tif``), which key what is cached of it
        on disk (:mod:`growthzones.cache`); ``None`` where nothing of it is cached: a
        layer not read from a file, or a grid too big to keep in memory.

        Each file is fingerprinted once per loaded store: like the lazy reads, the cache
        takes a store's files to stay as they were when it was loaded.
        """
        if (self.path is None or not isinstance(self.layers, LayerFiles)
                or name not in self.layers or len(self.land_index) > RESIDENT_CELLS):
            return None
        root = self.__dict__.get("_network_root", self)  # a network-year view shares them
        known = root.__dict__.setdefault("_fingerprints", {})
        files = [self.layers.file(name), Path(self.path) / "land.tif"]
        try:
            for f in files:
                if f not in known:
                    known[f] = fingerprint(f)
        except OSError:  # a file gone: its read reports it
            return None
        return [known[f] for f in files]

    def _read_land_vector(self, name: str) -> np.ndarray:
        """A file-backed layer's land vector; on a small grid through the cache on disk
        (:func:`growthzones.cache.cached_array`: a run reads ~65 of them)."""
        def read() -> np.ndarray:
            return self.layers.read_land(name, self.land_index)

        sources = self.cache_sources(name)
        if sources is None:
            return read()
        return cached_array(sources, read, tag="land vector")

    def values_at(self, name: str, positions) -> np.ndarray:
        """Raw values of one layer at land-vector positions: a few (e.g. ranked sites), or
        a run of neighbouring ones (a chunk of cells scored at a time).

        A file-backed layer not in memory on a big grid is not read whole: a few cells
        are read one by one, more than :data:`FEW_CELLS` from the window of rows they
        span (see :meth:`~growthzones.layer_files.LayerFiles.read_rows`).
        """
        pos = np.asarray(positions, dtype=np.int64)
        root = self._root_for(name)
        if root is not None:
            return root.values_at(name, pos)
        if self.reads_in_parts(name):
            cells, w = self.land_index[pos], self.grid.width
            if pos.size <= FEW_CELLS:
                return self.layers.read_cells(name, *np.divmod(cells, w))
            r0 = int(cells.min()) // w
            block = self.layers.read_rows(name, r0, int(cells.max()) // w + 1)
            # by flat position in the block: ~3x faster than by (row, col)
            return np.take(block.reshape(-1), cells - r0 * w, mode="clip")
        return self.read_vector(name)[pos]

    def reads_in_parts(self, name: str) -> bool:
        """Whether :meth:`values_at` reads layer ``name`` from its file by parts, not
        whole: a file-backed layer not in memory, on a grid of more than
        :data:`RESIDENT_CELLS` land cells."""
        root = self._root_for(name)
        if root is not None:
            return root.reads_in_parts(name)
        return (name not in self._vectors and self.reader is None
                and self.land_index.size > RESIDENT_CELLS
                and isinstance(self.layers, LayerFiles) and not self.layers.loaded(name)
                and name in self.layers)

    def _root_for(self, name: str) -> LayerStore | None:
        """For a network-year view (:mod:`growthzones.network_years`) and a layer that does
        not vary by year, the store it views (the same raster: its copy, if kept)."""
        root = self.__dict__.get("_network_root")
        varies = getattr(self.layers, "varies", None)
        return root if root is not None and varies is not None and not varies(name) else None

    def overview(self, name: str, factor: int) -> np.ndarray:
        """One layer averaged over ``factor`` x ``factor`` blocks of cells (2-D float32,
        ``ceil(height / factor)`` x ``ceil(width / factor)``, NaN where a block has no
        data), from the file's internal overview when it has that factor: what a map of
        a big grid draws (:mod:`growthzones.maps._overview`), without the full raster."""
        if isinstance(self.layers, LayerFiles) and name in self.layers:
            return self.layers.read_overview(name, factor)
        return block_mean(self.layer(name), factor)

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
                                  f"{REBUILD}")
        cache = self.__dict__.get("_network_root", self).__dict__.setdefault(
            "_network_tables", {})
        if name not in cache:
            cache[name] = _read_table(self.path / rel, {})
        return cache[name]

    def unflatten(self, values: np.ndarray, fill=np.nan) -> np.ndarray:
        """Put a land-cell vector back on the 2-D grid (float32 stays float32 with a NaN
        fill: a GB 100 m grid is 350 MB so, 700 MB in float64)."""
        return self.land_surface(values, fill)[:]

    def land_surface(self, values: np.ndarray, fill=np.nan) -> LandSurface:
        """A land-cell vector as the 2-D grid whose rows are made when sliced (see
        :class:`LandSurface`)."""
        return LandSurface(self.grid.shape, self.land_index, values, fill)

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
                              f"this version reads {STORE_FORMAT}; {REBUILD}")
    grid = _manifest_grid(manifest, manifest_path)
    layer_meta = _manifest_table(manifest, "layers", manifest_path)
    for name, meta in layer_meta.items():
        if not isinstance(meta, dict):
            raise LayerStoreError(f"{manifest_path}: layer {name!r} is a {type(meta).__name__}, "
                                  f"not a JSON object; {REBUILD}")
    if "sources" in manifest:
        _manifest_table(manifest, "sources", manifest_path)

    def _read(rel):
        f = path / rel
        if not f.exists():
            raise LayerStoreError(f"layer file {f} is missing; {REBUILD}")
        try:
            arr, g = read_raster(f)
        except Exception as exc:  # rasterio raises its own error types
            raise LayerStoreError(f"cannot read {f}: {one_line(exc)}; {REBUILD}") from None
        if g.shape != grid.shape or g.resolution != grid.resolution:
            raise LayerStoreError(f"{f} is on a {g.shape} grid at {g.resolution:g} m, the store "
                                  f"is {grid.shape} at {grid.resolution:g} m; {REBUILD}")
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
    layers = LayerFiles(path / "layers", list(layer_meta), grid,
                        keep_cells=RESIDENT_CELLS)
    basemap_path = path / "basemap.geojson"
    basemap = None
    if basemap_path.exists():
        basemap = _read_json(basemap_path, "a GeoJSON FeatureCollection")
        if basemap.get("type") != "FeatureCollection" or \
                not isinstance(basemap.get("features"), list):
            raise LayerStoreError(f"{basemap_path} is not a GeoJSON FeatureCollection; "
                                  f"{REBUILD}")
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


def _read_json(f: Path, what: str = "a JSON object") -> dict:
    """A JSON object from a store file, or a LayerStoreError naming what is wrong."""
    try:
        text = f.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise LayerStoreError(f"{f} is not UTF-8 text (corrupt?); {REBUILD}") from None
    except OSError as exc:
        raise LayerStoreError(f"cannot read {f}: {one_line(exc)}; {REBUILD}") from None
    if not text.strip():
        raise LayerStoreError(f"{f} is empty; {REBUILD}")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayerStoreError(f"{f} is not valid JSON (line {exc.lineno} column {exc.colno}: "
                              f"{exc.msg}); {REBUILD}") from None
    if not isinstance(obj, dict):
        raise LayerStoreError(f"{f} is a {type(obj).__name__}, not {what}; {REBUILD}")
    return obj


def _manifest_table(manifest: dict, key: str, f: Path) -> dict:
    if key not in manifest:
        raise LayerStoreError(f"{f} has no {key!r} table; {REBUILD}")
    value = manifest[key]
    if not isinstance(value, dict):
        raise LayerStoreError(f"{f}: {key!r} is a {type(value).__name__}, not a JSON object; "
                              f"{REBUILD}")
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
            problem = one_line(exc)
    raise LayerStoreError(f"{f}: 'grid' {problem}; {REBUILD}")


def _read_table(f: Path, columns: dict[str, type]) -> pd.DataFrame:
    """A store CSV with ``columns`` (numeric ones checked), or a LayerStoreError."""
    if not f.exists():
        raise LayerStoreError(f"{f} is missing; {REBUILD}")
    try:
        df = pd.read_csv(f)
    except pd.errors.EmptyDataError:
        raise LayerStoreError(f"{f} is empty; {REBUILD}") from None
    except Exception as exc:  # pandas parser errors, bad encodings
        raise LayerStoreError(f"cannot read {f}: {one_line(exc)}; {REBUILD}") from None
    lacking = [c for c in columns if c not in df.columns]
    if lacking:
        raise LayerStoreError(f"{f} lacks columns {', '.join(lacking)} (it has "
                              f"{', '.join(map(str, df.columns))}); {REBUILD}")
    for c, kind in columns.items():
        if kind is float and not pd.api.types.is_numeric_dtype(df[c]):
            raise LayerStoreError(f"{f}: column {c!r} holds {df[c].iloc[0]!r}..., not numbers; "
                                  f"{REBUILD}")
    return df
