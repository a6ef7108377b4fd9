"""The code stays lint-clean (ruff, with the rules chosen in pyproject.toml)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    if shutil.which("ruff") is None:
        msg = "ruff is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                           "growthzones", "tests", "benchmarks"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
