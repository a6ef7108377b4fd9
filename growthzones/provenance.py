"""Where a run's outputs came from: run folders, ``run.json`` and commercial-safe runs.

A ranking that leaves the building must say what produced it. Every command that writes
results (``run``, ``compare``, ``stability``, ``explore``) writes a ``run.json`` beside
them, built by :func:`run_record`:

- ``growthzones_version`` and ``command`` (the argv list, kept as JSON data);
- ``scenario``: the full resolved scenario (:meth:`Scenario.to_dict`: raw weights after
  ``--weight`` overrides, transforms, exclusions, constraints, aggregation, sites) plus
  the normalised ``weights``;
- ``store``: the layer store's path, build date and ``manifest_sha256`` (the sha256 of
  its ``manifest.json`` bytes, so two runs can be told to come from the same store);
- ``sources``: each source the scenario uses (the manifest's ``sources`` entries named by
  the layer entries of its criteria, exclusions and constraints, plus the place names
  that label sites) with publisher, data date, licence, attribution and commercial flag;
- ``terms``: whether the outputs as a whole may be used commercially, and if not, which
  sources forbid it;
- ``commercial`` (was ``--commercial`` given) and ``dropped`` (what it left out);
- ``timings``: seconds per step.

**Run folders** (:func:`run_folder`). Without ``--out`` a command writes into a new folder
``outputs/<scenario-slug>-<YYYYmmdd-HHMMSS>/`` (a ``-2``, ``-3`` ... suffix if that
exists), so no run overwrites another; then ``outputs/latest`` is pointed at it
(:func:`point_latest`: a relative symlink swapped in with one rename, or a ``latest.txt``
naming the folder where symlinks are not available). The slug (:func:`slugify`) is ASCII
letters, digits and ``-`` only, so a scenario name cannot make a path (``../``, ``/``,
NUL, a drive letter) and never leaves ``outputs/``. ``--out DIR`` writes exactly into
``DIR`` as before (files of other commands kept), one set at a time.

**Commercial-safe runs** (:func:`commercial_scenario`, :func:`commercial_store`).
``--commercial`` drops every criterion, exclusion and constraint whose manifest layer
entry is not for commercial use (``commercial_use`` false, or any of its sources
``commercial`` false), and scores against a view of the store whose manifest lists only
commercial layers and sources: the map's overlays and licence box, and the explorer's
layers, then come only from those.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ._errors import OutputError, ScenarioError
from ._version import __version__

#: Folder the run folders go into when no ``--out`` is given.
DEFAULT_PARENT = Path("outputs")
#: Name of the pointer to the newest run folder in :data:`DEFAULT_PARENT`.
LATEST = "latest"
#: Longest slug taken from a scenario name (the timestamp is added to it).
MAX_SLUG = 48
#: Sources used by every ranking, whatever the scenario: the place names of the sites.
ALWAYS_USED = ("geonames_places",)

_TERMS_OK = "commercial use allowed with attribution (see sources)"


# --- run folders --------------------------------------------------------------------------

def slugify(name: str, *, max_len: int = MAX_SLUG) -> str:
    """An ASCII-safe folder name from a scenario name: letters, digits and ``-``.

    Accents are dropped (``é`` -> ``e``), every other run of characters becomes one
    ``-``, so no path separator, ``..``, NUL or drive letter survives. An empty result is
    ``"run"``.

    Examples
    --------
    >>> slugify("Default + latency (non-commercial)")
    'default-latency-non-commercial'
    >>> slugify("../../etc/passwd")
    'etc-passwd'
    >>> slugify("Économie — Nord")
    'economie-nord'
    >>> slugify("..")
    'run'
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "run"


def run_folder(scenario_name: str, parent: str | os.PathLike = DEFAULT_PARENT, *,
               now: datetime | None = None) -> Path:
    """A new folder name ``parent/<slug>-<YYYYmmdd-HHMMSS>`` that does not exist yet.

    Nothing is created. A second run in the same second gets ``-2``, ``-3``, ...

    Examples
    --------
    >>> run_folder("Grid only", "/nonexistent", now=datetime(2026, 1, 2, 3, 4, 5)).name
    'grid-only-20260102-030405'
    """
    parent = Path(parent)
    stem = f"{slugify(scenario_name)}-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}"
    folder, n = parent / stem, 1
    while folder.exists() or folder.is_symlink():
        n += 1
        folder = parent / f"{stem}-{n}"
    return folder


def point_latest(folder: str | os.PathLike) -> Path:
    """Point ``<parent>/latest`` at ``folder``: a relative symlink, replaced atomically.

    The new link is made under a temporary name and renamed over the old one, so a reader
    always finds a ``latest`` (old or new). Where symlinks cannot be made (Windows without
    the privilege, some file systems) ``<parent>/latest.txt`` holds the folder's name.
    A real folder called ``latest`` (not a link) is left alone: the pointer is then
    ``latest.txt``.

    Returns
    -------
    pathlib.Path
        The link, or the ``latest.txt`` written.
    """
    from .io import write_text

    folder = Path(folder)
    link = folder.parent / LATEST
    if not (link.exists() and not link.is_symlink()):
        tmp = folder.parent / f".{LATEST}.{os.getpid()}.link"
        try:
            tmp.unlink(missing_ok=True)
            os.symlink(folder.name, tmp, target_is_directory=True)
            os.replace(tmp, link)
            return link
        except (OSError, NotImplementedError):
            tmp.unlink(missing_ok=True)
    return write_text(folder.parent / f"{LATEST}.txt", folder.name + "\n")


def out_folder(out: str | os.PathLike | None, scenario_name: str) -> tuple[Path, bool]:
    """The folder a command writes into, and whether it is a new run folder.

    ``out`` given: exactly that folder (``False``). None: :func:`run_folder` under
    :data:`DEFAULT_PARENT` (``True``: point ``latest`` at it once written).
    """
    if out is not None:
        return Path(out), False
    return run_folder(scenario_name), True


# --- the store and its sources --------------------------------------------------------------

def manifest_sha256(store) -> str | None:
    """sha256 (hex) of the store's ``manifest.json`` bytes; None if it has no file."""
    f = Path(store.path) / "manifest.json"
    try:
        return hashlib.sha256(f.read_bytes()).hexdigest()
    except OSError:
        return None


def layers_used(scenario) -> list[str]:
    """Names of the store layers a scenario reads: criteria, exclusions, constraints."""
    names = [c.name for c in scenario.criteria] + list(scenario.exclusions)
    names += [c.name for c in scenario.constraints]
    if getattr(scenario, "except_previously_developed", ()):
        names.append("previously_developed")  # the flag that lifts an excepted exclusion
    return list(dict.fromkeys(names))


def map_layers(store) -> list[str]:
    """The layers ``render_map`` embeds by default: every criterion and exclusion in ``store``."""
    return [n for n, m in store.meta.items() if m.get("kind", "criterion") in
            ("criterion", "exclusion")]


def exclusion_layers(store) -> list[str]:
    """The exclusion layers in ``store`` (the explorer embeds them all)."""
    return [n for n, m in store.meta.items() if m.get("kind") == "exclusion"]


def _layer_commercial(store, name: str) -> bool:
    meta = store.meta.get(name, {})
    sources = store.manifest.get("sources", {})
    if meta.get("commercial_use") is False:
        return False
    return all(sources.get(s, {}).get("commercial", True) is not False
               for s in meta.get("sources", ()))


def sources_used(store, names) -> list[dict]:
    """The manifest's source entries behind the layers ``names`` (plus :data:`ALWAYS_USED`).

    Each entry: ``id``, ``title``, ``publisher``, ``data_date``, ``licence``,
    ``attribution``, ``url``, ``commercial``, and ``layers`` (which of ``names`` use it).
    A source a layer names but the manifest does not describe is listed with
    ``commercial`` None (unknown).
    """
    table = store.manifest.get("sources", {}) or {}
    by_source: dict[str, list[str]] = {}
    for name in names:
        for s in store.meta.get(name, {}).get("sources", ()):
            by_source.setdefault(s, []).append(name)
    for s in ALWAYS_USED:
        if s in table:
            by_source.setdefault(s, []).append("site names")
    out = []
    for sid, layers in sorted(by_source.items()):
        src = table.get(sid, {})
        out.append({"id": sid, "title": src.get("title"), "publisher": src.get("publisher"),
                    "data_date": src.get("data_date"), "licence": src.get("licence"),
                    "attribution": src.get("attribution"), "url": src.get("url"),
                    "commercial": src.get("commercial"), "layers": layers})
    return out


def terms(sources: list[dict]) -> dict:
    """The terms that apply to outputs built from ``sources``, as a whole.

    Examples
    --------
    >>> terms([{"id": "a", "licence": "OGL-UK-3.0", "commercial": True}])["terms"]
    'commercial use allowed with attribution (see sources)'
    >>> t = terms([{"id": "ixp", "licence": "CC-BY-NC-SA-3.0", "commercial": False}])
    >>> t["commercial_use"], t["terms"]
    (False, 'non-commercial (CC-BY-NC-SA-3.0) because of: ixp')
    """
    nc = [s for s in sources if s.get("commercial") is False]
    unknown = [s["id"] for s in sources if s.get("commercial") is None]
    if nc:
        licences = ", ".join(dict.fromkeys(str(s.get("licence")) for s in nc))
        text = (f"non-commercial ({licences}) because of: "
                f"{', '.join(s['id'] for s in nc)}")
    elif unknown:
        text = f"unknown: no licence recorded for {', '.join(unknown)}"
    else:
        text = _TERMS_OK
    return {"commercial_use": not nc and not unknown, "terms": text,
            "non_commercial_sources": [s["id"] for s in nc]}


# --- commercial-safe runs ------------------------------------------------------------------

def commercial_scenario(scenario, store):
    """The scenario without any criterion, exclusion or constraint that is non-commercial.

    Returns
    -------
    (Scenario, list of str)
        The scenario (the same object if nothing was dropped) and the dropped names.

    Raises
    ------
    ScenarioError
        If no weighted criterion is left.
    """
    from .scenario import parse_scenario

    dropped = [n for n in layers_used(scenario) if not _layer_commercial(store, n)]
    if not dropped:
        return scenario, []
    data = scenario.to_dict(direct=True)
    data["criteria"] = {k: v for k, v in data["criteria"].items() if k not in dropped}
    data["exclusions"] = {k: v for k, v in data.get("exclusions", {}).items()
                          if k not in dropped}
    if "constraints" in data:
        data["constraints"] = {k: v for k, v in data["constraints"].items()
                               if k not in dropped}
    if not any(v.get("weight", 0) > 0 for v in data["criteria"].values()):
        raise ScenarioError(scenario.source, [
            (f"--commercial drops every weighted criterion ({', '.join(dropped)} are "
             f"non-commercial); weight a commercial criterion (see 'growthzones criteria') "
             f"or run without --commercial")])
    # keep the file's name as the source: run.json records the drop separately
    return parse_scenario(data, source=scenario.source), dropped


def commercial_store(store):
    """A view of ``store`` whose manifest lists only commercial layers and sources.

    The rasters are shared (nothing is copied or re-read); only ``meta`` and
    ``attributions()`` change, so a map or explorer built from it embeds, and credits,
    commercial data only.
    """
    sources = store.manifest.get("sources", {}) or {}
    manifest = dict(store.manifest)
    manifest["layers"] = {k: v for k, v in store.meta.items() if _layer_commercial(store, k)}
    manifest["sources"] = {k: v for k, v in sources.items() if v.get("commercial") is True}
    return replace(store, manifest=manifest)


# --- timings and the record ---------------------------------------------------------------

class Timings:
    """Seconds per named step: ``with timings.step("score"): ...``."""

    def __init__(self):
        self.steps: dict[str, float] = {}
        self._t0 = time.perf_counter()

    @contextmanager
    def step(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = round(self.steps.get(name, 0.0) + time.perf_counter() - t, 3)

    def to_dict(self) -> dict[str, float]:
        return {**self.steps, "total": round(time.perf_counter() - self._t0, 3)}


def scenario_record(scenario) -> dict:
    """The full resolved scenario as JSON data: the TOML mapping plus normalised weights."""
    return {**scenario.to_dict(), "source": scenario.source, "weighting": scenario.weighting,
            "weights": dict(scenario.weights)}


def run_record(*, command: str, argv: list[str] | None, scenarios, store, timings=None,
               commercial: bool = False, dropped=(), files=(), extra_layers=()) -> dict:
    """The ``run.json`` of one command, as a JSON-able dict (user strings stay data).

    Parameters
    ----------
    command
        ``"run"``, ``"compare"``, ``"stability"`` or ``"explore"``.
    argv
        The command line (default ``sys.argv``).
    scenarios
        The scenario, or a list of them (``compare``: A then B), as scored.
    store
        The layer store scored (its full manifest, not a commercial view).
    timings
        A :class:`Timings`.
    commercial
        Whether ``--commercial`` was given; ``dropped`` lists what it left out.
    files
        Names of the files written beside ``run.json``.
    extra_layers
        Layers the outputs embed beyond the scenario's (the map's overlays, see
        :func:`map_layers`); their sources count towards ``sources`` and ``terms``, because
        the outputs as a whole carry them.
    """
    if not isinstance(scenarios, (list, tuple)):
        scenarios = [scenarios]
    names = list(dict.fromkeys([n for sc in scenarios for n in layers_used(sc)]
                               + list(extra_layers)))
    sources = sources_used(store, names)
    manifest = store.manifest
    rec = {
        "growthzones_version": __version__,
        "command": command,
        "argv": list(sys.argv if argv is None else argv),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "scenario" if len(scenarios) == 1 else "scenarios":
            scenario_record(scenarios[0]) if len(scenarios) == 1
            else [scenario_record(s) for s in scenarios],
        "store": {"path": str(store.path), "built": manifest.get("built"),
                  "built_by": manifest.get("growthzones_version"),
                  "manifest_sha256": manifest_sha256(store),
                  "resolution_m": store.grid.resolution},
        "commercial": bool(commercial),
        "dropped": list(dropped),
        **terms(sources),
        "sources": sources,
        "files": sorted(files),
        "timings": timings.to_dict() if timings is not None else {},
    }
    return rec


def record_json(record: dict) -> str:
    """``record`` as indented JSON text (non-ASCII kept; anything odd as its str)."""
    return json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n"


def write_record(staged, record: dict) -> Path:
    """Write ``run.json`` into a :class:`~growthzones.fileset.StagedFolder`."""
    try:
        return staged.write_text("run.json", record_json(record))
    except OSError as exc:  # pragma: no cover - write_set turns most into OutputError
        raise OutputError(f"cannot write run.json: {exc}") from None
