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


# --- a download never writes outside its folder (issue #9) ---------------------------------

UNSAFE_NAMES = ["../x", "..", ".", "", "  ", "a/b", "/etc/passwd", "..\\x", "a\x00b", "x\ny"]


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_unsafe_file_names_are_refused(tmp_path, name):
    from growthzones._errors import InputError
    from growthzones.catalog import download_destination

    with pytest.raises(InputError, match=r"--name is .*; give a plain file name"):
        download_destination(tmp_path, "http://127.0.0.1/f.csv", name=name)


@pytest.mark.parametrize("url", ["http://127.0.0.1/a/..", "http://127.0.0.1/",
                                 "http://127.0.0.1/%2e%2e%2fescape", "http://127.0.0.1/a%00b",
                                 "http://127.0.0.1"])
def test_unsafe_names_from_the_url_are_refused(tmp_path, url):
    from growthzones._errors import InputError
    from growthzones.catalog import download_destination

    with pytest.raises(InputError, match=r"the file name from the URL .*; pass --name"):
        download_destination(tmp_path, url)


def test_safe_names_are_kept(tmp_path):
    from growthzones.catalog import download_destination

    assert download_destination(tmp_path, "http://h/dir/Flood%20Zones.zip?x=1#y") == \
        tmp_path / "Flood Zones.zip"
    assert download_destination(tmp_path, "http://h/f.csv", name="mine.csv") == \
        tmp_path / "mine.csv"


@pytest.mark.parametrize("dest", ["{tmp}/got/../../x.csv", "{tmp}/..", "{tmp}/a\x00b", "",
                                  "{tmp}"])
def test_download_refuses_an_unsafe_dest_before_connecting(tmp_path, dest, monkeypatch):
    import urllib.request

    from growthzones._errors import InputError

    def no_network(*a, **k):
        raise AssertionError("must not connect")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(InputError, match=r"download destination .*; give"):
        download("http://127.0.0.1:9/f.csv", dest.format(tmp=tmp_path), progress=None)


def test_cli_download_refuses_a_name_that_leaves_the_folder(local_server, tmp_path, capsys):
    from growthzones.cli import main

    root, base = local_server
    (root / "f.csv").write_text("a,b\n1,2\n")
    dest = tmp_path / "src"
    assert main(["data", "download", f"{base}/f.csv", "--to", str(dest), "--name", "../x"]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not dest.exists()


def test_cli_download_refuses_an_absolute_name_before_connecting(tmp_path, capsys):
    from growthzones.cli import main

    # 127.0.0.1 port 9 (discard): never contacted, the name is refused first
    code = main(["data", "download", "http://127.0.0.1:9/f.zip", "--to", str(tmp_path),
                 "--name", str(tmp_path.parent / "escaped.zip")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--name" in err[0]
    assert not (tmp_path.parent / "escaped.zip").exists() and list(tmp_path.iterdir()) == []
