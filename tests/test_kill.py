"""SIGKILL during ``run`` and ``data build``: the folder holds the old or the new complete set.

Real subprocesses are killed at points found by watching the file system (the staging
folder appears; the score raster is staged while the map is drawn), not after blind
sleeps, so each kill lands where it is meant to. Steps too short to hit from outside
reliably are reached by a driver that replaces ``growthzones.fileset._hook`` to pause
there: the map (on a small grid the geodata are written beside it, so a fast map could
finish first and the kill come too late), between the atomic exchange and the removal
of the old copy, and between the two renames of the fallback swap.

To stay fast, ``run`` uses a FIXTURE store: the embedded 1 km store sampled every 10th
cell (10 km, ~2,300 land cells, the default scenario's layers, no basemap), so one run
takes seconds, not ~25 s; and
``data build`` is driven with its readers and layer modules replaced by stubs (a real
build takes 1-3 minutes), so what is tested is its staging, swap and clean-up.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # ~25-45 s in all, depending on the machine's load

REPO = Path(__file__).resolve().parent.parent


# --- helpers -----------------------------------------------------------------------------------

def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def spawn():
    """Start subprocesses in their own session; kill any still running at teardown."""
    procs = []

    def _spawn(args, log: Path, **kw):
        with open(log, "wb") as f:
            kw.setdefault("stdout", f)
            p = subprocess.Popen(args, cwd=REPO, stderr=subprocess.STDOUT if kw["stdout"] is f
                                 else f, start_new_session=True, **kw)
        procs.append(p)
        return p

    yield _spawn
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _kill_when(proc, condition, *, timeout: float = 90.0) -> None:
    """SIGKILL ``proc`` the moment ``condition()`` holds; fail if it ended first."""
    t0 = time.monotonic()
    while not condition():
        assert proc.poll() is None, f"process ended (rc {proc.returncode}) before the kill point"
        assert time.monotonic() - t0 < timeout, "kill point never reached"
        time.sleep(0.002)
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _staging(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob(f".{folder.name}.staging-*"))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir()
                  if p.name.startswith(f".{folder.name}.")) + sorted(
        p.name for p in folder.glob(".*.tmp"))


# --- run ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def coarse_store(tmp_path_factory):
    """FIXTURE store: the embedded 1 km store sampled at every 10th cell (see module doc)."""
    import growthzones as gz
    from growthzones.grid import GridSpec
    from growthzones.io import read_raster, write_raster

    src, k = REPO / "growthzones" / "data" / "gb_1000m", 10
    dst = tmp_path_factory.mktemp("coarse") / "gb_10000m"
    m = json.loads((src / "manifest.json").read_text())
    g = GridSpec(resolution=m["grid"]["resolution"], bounds=tuple(m["grid"]["bounds"]))
    h, w, res = -(-g.height // k), -(-g.width // k), g.resolution * k
    cg = GridSpec(resolution=res, bounds=(g.bounds[0], g.bounds[3] - h * res,
                                          g.bounds[0] + w * res, g.bounds[3]))
    (dst / "layers").mkdir(parents=True)

    def sample(rel, **kw):
        a = read_raster(src / rel)[0][k // 2::k, k // 2::k]
        write_raster(dst / rel, np.ascontiguousarray(a), cg, **kw)
        return a

    land = sample("land.tif", nodata=0)
    sample("la_index.tif", nodata=0)
    sc = gz.load_scenario()  # only the layers the default scenario reads, to save time
    m["layers"] = {n: {k: v for k, v in meta.items() if k != "network_years"}
                   for n, meta in m["layers"].items()
                   if n in sc.weights or n in sc.exclusions
                   or n in {c.name for c in sc.constraints}}
    m.pop("network", None)  # the default network year only (no per-year layers copied)
    for name in m["layers"]:
        sample(f"layers/{name}.tif")
    for f in ("local_authorities.csv", "places.csv"):
        shutil.copy(src / f, dst / f)
    m["grid"], m["land_cells"] = cg.to_dict(), int(land.sum())
    (dst / "manifest.json").write_text(json.dumps(m))
    return dst


#: ``python -m growthzones.cli ARGS`` with ``fileset._hook`` replaced: at the map it writes
#: the marker file (argv[1]) and sleeps until killed.
RUN_PAUSED_AT_MAP = r"""
import pathlib, sys, time
import growthzones.fileset as fileset
from growthzones.cli import main

marker, hook = pathlib.Path(sys.argv[1]), fileset._hook

def pause(point):
    if point == "map":
        marker.write_text(point)
        time.sleep(600)
    hook(point)

fileset._hook = pause
sys.exit(main(sys.argv[2:]))
"""


def _run_set(folder: Path) -> dict:
    """What a complete ``run`` set says: number of sites in each file, and the names."""
    import pandas as pd

    ranking = pd.read_csv(folder / "ranking.csv")
    features = json.loads((folder / "sites.geojson").read_text())["features"]
    html = (folder / "map.html").read_text()
    assert (folder / "score.tif").stat().st_size > 0
    assert all(n in html for n in ranking["name"]), "map and ranking disagree"
    assert len(features) == len(ranking), "GeoJSON and ranking disagree"
    return {"sites": len(ranking), "names": ranking["name"].tolist()}


def test_killed_run_leaves_the_old_or_the_new_complete_set(tmp_path, spawn, coarse_store):
    out = tmp_path / "parent" / "out"
    cmd = [sys.executable, "-m", "growthzones.cli", "run", "--store", str(coarse_store),
           "--out", str(out)]
    import growthzones as gz
    from growthzones.outputs import write_outputs

    result = gz.score(gz.load_layers(coarse_store), gz.load_scenario())  # the old set
    write_outputs(result, gz.rank_sites(result, top=2), out, log=None)
    (out / "notes.txt").write_text("the user's own file")
    old = _tree(out)
    assert _run_set(out)["sites"] == 2

    def staging_appears():
        return bool(_staging(out))

    def map_render_starts():  # score.tif is staged (a new file, no longer the old link)
        if not paused.exists():
            return False
        for s in _staging(out):
            try:
                if (s / "score.tif").stat().st_ino != (out / "score.tif").stat().st_ino:
                    return True
            except FileNotFoundError:
                pass
        return False

    # the second run pauses at the map (see module doc) and is killed once score.tif,
    # written beside it, is staged
    paused = tmp_path / "paused-at-map"
    pause_at_map = [sys.executable, "-c", RUN_PAUSED_AT_MAP, str(paused), *cmd[3:]]
    for i, (argv, point) in enumerate([(cmd, staging_appears),
                                       (pause_at_map, map_render_starts)]):
        proc = spawn([*argv, "--top", "4"], tmp_path / f"kill{i}.log")
        _kill_when(proc, point)
        assert _tree(out) == old, point.__name__  # the old set, untouched
        assert _leftovers(out), "the kill should have left a staging folder"

    proc = spawn([*cmd, "--top", "4"], tmp_path / "new.log")
    assert proc.wait(timeout=120) == 0
    log = (tmp_path / "new.log").read_text()
    assert "cleaned up after an interrupted earlier run" in log
    new = _run_set(out)
    assert new["sites"] == 4 and all(f"wrote {out / f}" in log for f in
                                     ("ranking.csv", "sites.geojson", "score.tif", "map.html"))
    assert (out / "notes.txt").read_text() == "the user's own file"
    assert _leftovers(out) == [] and os.listdir(out.parent) == ["out"]


# --- data build --------------------------------------------------------------------------------

#: A fork server: imports once, then per request line (JSON) forks a child that runs
#: build_store with stub readers and no layer modules (a real build takes minutes). With
#: "stop", the child pauses at that publishing step and the server SIGKILLs it there.
#: Replies one line: the child's exit status (negative: killed by that signal).
DRIVER = r"""
import json, os, signal, sys, time
import numpy as np, pandas as pd, geopandas as gpd, shapely
import growthzones.layers as layers, growthzones.layers.base as base, growthzones.fileset as fileset, growthzones.build as bd
import growthzones.layers.named_features as named_features

for line in sys.stdin:
    req = json.loads(line)
    tag, stop = req["tag"], req.get("stop")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        # one small area covering GB, in the tag's council: the block build burns it
        base.read_small_areas = lambda sources: gpd.GeoDataFrame(
            {"code": ["X"], "nation": ["E"], "la_code": ["X1"], "la_name": [tag]},
            geometry=[shapely.box(*bd.GB_BOUNDS)], crs="EPSG:27700")
        base.read_places = lambda sources: pd.DataFrame({"name": [tag], "population": [1]})
        base.basemap_geojson = lambda areas: {"type": "FeatureCollection", "features": []}
        named_features.read_named_features = lambda sources: pd.DataFrame(
            {"label": [tag], "tier": [1], "easting": [0.0], "northing": [0.0]})
        layers.LAYER_MODULES = []  # build_store reads it from growthzones.layers
        import growthzones.fetch as fetch  # no sources here: skip the check of every source
        fetch.plan_build = lambda sources: fetch.BuildPlan(status={}, missing=[])
        if req.get("fallback"):
            fileset._renameat2 = None
        def hook(point):
            if point == stop:
                os.write(w, b"x")
                time.sleep(600)
        fileset._hook = hook
        code = 0
        try:
            bd.build_store(req["out"], source=req["out"], resolution=50000, command=tag)
        except BaseException as exc:
            print(repr(exc), file=sys.stderr, flush=True)
            code = 1
        os._exit(code)
    os.close(w)
    if stop:
        reached = os.read(r, 1)  # b"" if the child ended without reaching the point
        if reached:
            os.kill(pid, signal.SIGKILL)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    print(rc, flush=True)
"""


def _fork_server(spawn, log):
    proc = spawn([sys.executable, "-c", DRIVER], log, stdin=subprocess.PIPE,
                 stdout=subprocess.PIPE)

    def build(out, tag, stop=None, fallback=False) -> int:
        proc.stdin.write((json.dumps({"out": str(out), "tag": tag, "stop": stop,
                                      "fallback": fallback}) + "\n").encode())
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, f"fork server died: {log.read_text()}"
        return int(line)

    return build


STORE_FILES = {"manifest.json", "land.tif", "la_index.tif", "local_authorities.csv",
               "places.csv", "features.csv", "basemap.geojson"}


def _store_tag(folder: Path) -> str | None:
    """The build that wrote this complete store, or None if it is missing or incomplete."""
    if not folder.is_dir() or {p.name for p in folder.iterdir() if p.is_file()} != STORE_FILES:
        return None
    tag = json.loads((folder / "manifest.json").read_text())["command"]
    assert (folder / "places.csv").read_text().splitlines()[1].startswith(tag + ",")
    return tag


def test_killed_build_leaves_the_old_or_the_new_complete_store(tmp_path, spawn):
    data = tmp_path / "data"
    store = data / "gb_50000m"
    build = _fork_server(spawn, tmp_path / "server.log")
    assert build(data, "b0") == 0
    assert _store_tag(store) == "b0" and _leftovers(store) == []

    # the real command, killed as soon as it starts staging: the old store stays
    real = spawn([sys.executable, "-m", "growthzones.cli", "data", "build", "--out", str(data),
                  "--resolution", "50000"], tmp_path / "real.log")
    _kill_when(real, lambda: bool(_staging(store)))
    assert _store_tag(store) == "b0" and _staging(store)

    # Each build first cleans up after the one killed before it. Per publishing step:
    # is the store, right after the kill, the old one (else the new one)?
    cases = [("staging", False, "old"), ("staged", False, "old"), ("exchanged", False, "new"),
             ("moved-away", True, None),  # cut between the fallback's two renames
             ("published", True, "new")]
    old = "b0"
    for i, (point, fallback, after) in enumerate(cases, start=1):
        new = f"b{i}"
        assert build(data, new, stop=point, fallback=fallback) == -signal.SIGKILL, point
        if after is None:  # the live store is gone; the complete old one waits beside it
            assert not store.exists() and _store_tag(data / ".gb_50000m.previous") == old
        else:
            assert _store_tag(store) == {"old": old, "new": new}[after], point
            assert _leftovers(store), point
            old = _store_tag(store)
    assert "restored" in (tmp_path / "server.log").read_text()  # by the build after the cut

    # leftovers of the old implementation are removed by the next build too
    (data / ".gb_50000m.building" / "layers").mkdir(parents=True)
    (data / ".gb_50000m.old").mkdir()
    (data / ".SOURCES.md.abcd1234.tmp").write_text("half")
    proc_log = tmp_path / "server.log"
    assert build(data, "final") == 0
    assert "cleaned up after an interrupted earlier run" in proc_log.read_text()
    assert _store_tag(store) == "final" and _leftovers(store) == []
    assert sorted(os.listdir(data)) == ["SOURCES.md", "gb_50000m"]
