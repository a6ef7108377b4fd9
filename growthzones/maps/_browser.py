"""Headless Chromium, privately: :func:`screenshot` of a map page and the runner it uses.

:func:`_run_chromium` starts Chromium with a throwaway profile and no network chatter;
:func:`_find_chromium` says how to install it when it is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import _validate
from .._errors import BrowserError, InputError
from ..io import atomic_path


def screenshot(html_path: str | os.PathLike, png_path: str | os.PathLike, *,
               width: int = 1400, height: int = 1000, wait_ms: int = 4000) -> Path:
    """Take a PNG screenshot of an HTML map with headless Chromium.

    Parameters
    ----------
    html_path
        The page to open, e.g. written by :func:`save_map`.
    png_path
        The PNG to write, atomically.
    width, height
        Window size in CSS pixels, whole numbers >= 1.
    wait_ms
        Virtual time in milliseconds that the page may run before the shot (>= 0).

    Returns
    -------
    pathlib.Path
        ``png_path``.

    Raises
    ------
    InputError
        The page is missing or a folder, ``png_path`` is a folder, or a size is not a
        whole number >= 1.
    BrowserError
        Chromium is not installed, fails, times out or writes no PNG.
    """
    width = _validate.positive_int(width, "screenshot width", example="width=1400")
    height = _validate.positive_int(height, "screenshot height", example="height=1000")
    wait_ms = _validate.whole_number(wait_ms, "screenshot wait_ms", min=0,
                                     example="wait_ms=4000")
    html_path = Path(html_path).resolve()
    if html_path.is_dir():
        raise InputError(f"the page to screenshot, {html_path}, is a folder; give the "
                         f"HTML file in it, e.g. {html_path / 'map.html'}")
    if not html_path.is_file():
        raise InputError(f"no HTML page to screenshot at {html_path}; write it first "
                         "with save_map(m, path) or `growthzones run`")
    if Path(png_path).is_dir():
        raise InputError(f"the screenshot path {png_path} is a folder; give a .png file, "
                         f"e.g. {Path(png_path) / 'map.png'}")
    # Chromium names the file itself (it wants a .png suffix), so shoot into a
    # scratch folder and then move the finished image into place atomically.
    with tempfile.TemporaryDirectory(prefix="gz-shot-") as work:
        shot = Path(work) / "shot.png"
        _run_chromium([f"--window-size={width},{height}",
                       f"--virtual-time-budget={wait_ms}",
                       f"--screenshot={shot}", html_path.as_uri()],
                      timeout=wait_ms / 1000.0 + 60.0)
        if not shot.is_file() or shot.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            raise BrowserError(f"chromium wrote no PNG screenshot of {html_path}; open "
                               "the page in a browser to check that it loads")
        with atomic_path(png_path) as tmp:
            shutil.copyfile(shot, tmp)
    return Path(png_path)



def _find_chromium() -> str:
    for candidate in (shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserError("screenshots need headless Chromium, which was not found on PATH; "
                       "install it with `apt-get install chromium` (Debian/Ubuntu).")


def _run_chromium(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throwaway profile and no network chatter."""
    exe = _find_chromium()
    with tempfile.TemporaryDirectory(prefix="gz-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"chromium ({exe}) did not finish within {timeout:.0f} s; "
                               "try a smaller wait_ms, or check that it runs: "
                               f"{exe} --headless --version") from None
        except OSError as err:
            raise BrowserError(f"chromium ({exe}) could not start: {err}; reinstall it "
                               "with `apt-get install chromium`") from None
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise BrowserError(f"chromium ({exe}) exited with code {proc.returncode}: {tail}; "
                           f"check that it runs: {exe} --headless --version")
    return proc
