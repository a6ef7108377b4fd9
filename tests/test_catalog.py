"""The source catalogue and the downloader (tested against a server on 127.0.0.1 only)."""

import hashlib
import http.server
import threading
from functools import partial

import pytest

import growthzones as gz
from growthzones.catalog import SourceFiles, catalog, download, gaps
from growthzones.layers import REGISTRY


@pytest.fixture()
def local_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_criterion_names_catalogued_sources_with_licences():
    cat = catalog()
    for crit in REGISTRY.values():
        assert crit.sources, crit.name
        for sid in crit.sources:
            assert sid in cat, f"{crit.name}: source {sid!r} missing from catalog.toml"
            assert cat[sid].licence and cat[sid].attribution and cat[sid].url
    assert {"green_belt", "flood_zones", "aonb_england", "sssi"} <= set(gaps())


def test_missing_source_file_names_the_fix(tmp_path):
    with pytest.raises(gz.SourceDataError, match="point --source at the folder"):
        SourceFiles(tmp_path).path("national_parks")


def test_download_verifies_checksum(local_server, tmp_path):
    root, base = local_server
    payload = b"real bytes from an official server" * 1000
    (root / "layer.csv").write_bytes(payload)
    good = hashlib.sha256(payload).hexdigest()
    dest = download(f"{base}/layer.csv", tmp_path / "got" / "layer.csv", sha256=good,
                    progress=None)
    assert dest.read_bytes() == payload


def test_download_failure_leaves_earlier_file(local_server, tmp_path):
    root, base = local_server
    (root / "layer.csv").write_bytes(b"new content")
    dest = tmp_path / "layer.csv"
    dest.write_bytes(b"earlier good copy")
    with pytest.raises(gz.SourceDataError, match="checksum mismatch"):
        download(f"{base}/layer.csv", dest, sha256="0" * 64, progress=None)
    with pytest.raises(gz.SourceDataError, match="could not download"):
        download(f"{base}/missing.csv", dest, progress=None)
    assert dest.read_bytes() == b"earlier good copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer.csv", "www"]  # no temp left


def test_cli_download(local_server, tmp_path):
    from growthzones.cli import main

    root, base = local_server
    (root / "flood.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    assert main(["data", "download", f"{base}/flood.geojson", "--to", str(tmp_path / "src")]) == 0
    assert (tmp_path / "src" / "flood.geojson").exists()
    assert main(["data", "download", f"{base}/nope", "--to", str(tmp_path / "src")]) == 2
