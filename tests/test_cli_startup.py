"""The command line's start-up: rasterio without its boto3 hook, folium imported ahead."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _child(code: str) -> str:
    """Run ``code`` in a fresh interpreter from the repository root; its stdout."""
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=True)
    return proc.stdout.strip()


def test_rasterio_is_imported_without_boto3_and_boto3_stays_importable():
    out = _child(
        "import sys, importlib.util\n"
        "from growthzones.cli import _import_rasterio\n"
        "_import_rasterio()\n"
        "import rasterio.session\n"
        "print('botocore' in sys.modules, rasterio.session.boto3 is None, 'boto3' in sys.modules)\n"
        "if importlib.util.find_spec('boto3') is not None:\n"
        "    import boto3\n"
        "    print(hasattr(boto3, 'Session'))\n"
        "else:\n"
        "    print(True)\n")
    assert out.split() == ["False", "True", "False", "True"]


def test_rasterio_already_imported_is_left_alone():
    out = _child(
        "import rasterio, rasterio.session\n"
        "before = rasterio.session.boto3\n"
        "from growthzones.cli import _import_rasterio\n"
        "_import_rasterio()\n"
        "print(rasterio.session.boto3 is before)\n")
    assert out == "True"


def test_folium_is_imported_in_a_background_thread():
    out = _child(
        "import sys\n"
        "from growthzones.cli import _import_folium_ahead\n"
        "t = _import_folium_ahead()\n"
        "print(t.daemon)\n"
        "t.join(120)\n"
        "print('folium' in sys.modules and hasattr(sys.modules['folium'], 'Map'))\n")
    assert out.split() == ["True", "True"]
