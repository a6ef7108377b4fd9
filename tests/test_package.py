"""The package's public API: plain imports, visible to dir(), no heavy imports."""

import subprocess
import sys
from pathlib import Path

import growthzones as gz

ROOT = Path(gz.__file__).resolve().parent.parent


def test_every_public_name_is_a_plain_attribute_that_dir_shows():
    assert "__getattr__" not in vars(gz), "a lazy table hides names from dir(gz)"
    assert set(gz.__all__) <= set(dir(gz))
    for name in ("score", "ScoreResult", "rank_sites", "read_sites", "rank_stability",
                 "InputError", "write_outputs", "render_map", "__version__"):
        assert name in gz.__all__ and getattr(gz, name) is not None


def test_the_api_names_point_at_the_modules_that_hold_them():
    from growthzones import ranking, scoring, sites, stability

    assert gz.score is scoring.score and gz.explain is scoring.explain
    assert gz.rank_sites is ranking.rank_sites and gz.top_sites is ranking.top_sites
    assert gz.read_sites is sites.read_sites and gz.score_sites is sites.score_sites
    assert gz.rank_stability is stability.rank_stability and gz.tornado is stability.tornado


def test_importing_the_package_loads_no_map_raster_or_geo_library():
    code = ("import sys, growthzones; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'folium', 'rasterio', 'geopandas', 'xarray', 'dask', 'pyproj'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout
