"""Headless Chromium, privately: :func:`screenshot` of a map page and the runner it uses,
and :class:`Chromium`, a DevTools-protocol session for tests and benchmarks of pages.

:func:`_run_chromium` starts Chromium with a throwaway profile and no network chatter;
:func:`_find_chromium` says how to install it when it is missing.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
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


class Chromium:
    """Headless Chromium driven through the DevTools protocol over a pipe (stdlib only).

    For tests and benchmarks of the page: ``--remote-debugging-pipe`` needs no port, no
    websocket client and no chromedriver. The network is switched off (the page must be
    self-contained) and console messages and uncaught exceptions are collected in
    :attr:`console` and :attr:`errors`.

    Examples
    --------
    >>> with Chromium() as browser:                       # doctest: +SKIP
    ...     browser.open(path)
    ...     browser.eval("gzExplorer.topSites(3)")
    """

    def __init__(self, *, width: int = 1400, height: int = 900, timeout: float = 60.0):
        self.width, self.height, self.timeout = width, height, timeout
        self.console: list[dict] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self._id = 0
        self._proc = None

    def __enter__(self) -> Chromium:
        try:
            exe = _find_chromium()
        except RuntimeError as err:
            raise BrowserError(str(err)) from None
        self._profile = tempfile.TemporaryDirectory(prefix="gz-explorer-")
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        # The child expects fds 3 (commands in) and 4 (responses out); move ours out of
        # the way first so dup2 cannot clobber one with the other.
        hi = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (cmd_r, res_w)]

        def child_fds():
            os.dup2(hi[0], 3)
            os.dup2(hi[1], 4)

        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                "--remote-debugging-pipe", f"--window-size={self.width},{self.height}",
                f"--user-data-dir={self._profile.name}", "about:blank"]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      preexec_fn=child_fds, pass_fds=(3, 4, *hi))
        for fd in (cmd_r, res_w, *hi):
            os.close(fd)
        self._out = os.fdopen(cmd_w, "wb", buffering=0)
        self._in = os.fdopen(res_r, "rb", buffering=0)
        self._responses: dict[int, dict] = {}
        self._events: queue.Queue[dict] = queue.Queue()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                  flatten=True)["sessionId"]
        for method in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            self.send(method)
        self.send("Network.emulateNetworkConditions", offline=True, latency=0,
                  downloadThroughput=-1, uploadThroughput=-1)
        self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        return self

    def _read(self):
        buf = b""
        while True:
            chunk = self._in.read(1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                data = json.loads(msg)
                if "id" in data:
                    with self._cond:
                        self._responses[data["id"]] = data
                        self._cond.notify_all()
                else:
                    self._on_event(data)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _on_event(self, data):
        method, params = data.get("method"), data.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.console.append({"level": params["type"], "text": text})
            if params["type"] == "error":
                self.errors.append(text)
        elif method == "Runtime.exceptionThrown":
            d = params["exceptionDetails"]
            self.errors.append(d.get("exception", {}).get("description") or d.get("text"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"][:120])
        self._events.put(data)

    def call(self, method: str, *, session: bool = False, **params) -> dict:
        """Send one DevTools command and wait for its result."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self._session
        self._out.write(json.dumps(msg).encode() + b"\0")

        deadline = time.monotonic() + self.timeout
        with self._cond:
            while self._id not in self._responses:
                if getattr(self, "_closed", False) or time.monotonic() > deadline:
                    raise BrowserError(f"chromium did not answer {method} within "
                                       f"{self.timeout:g} s")
                self._cond.wait(0.5)
            data = self._responses.pop(self._id)
        if "error" in data:
            raise BrowserError(f"chromium refused {method}: {data['error'].get('message')}")
        return data.get("result", {})

    def send(self, method: str, **params) -> dict:
        """A command to the page's session."""
        return self.call(method, session=True, **params)

    def open(self, path: str | os.PathLike, *, ready: str | None = "gzExplorer.ready"
             ) -> float:
        """Load a local file and wait for ``ready`` (a promise); returns seconds taken."""
        t0 = time.perf_counter()
        self.send("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        if ready:
            self.eval(f"{ready}.then(() => true)")
        return time.perf_counter() - t0

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                ev = self._events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise BrowserError(f"chromium sent no {method} within {self.timeout:g} s"
                                   ) from None
            if ev.get("method") == method:
                return ev

    def eval(self, expression: str):
        """Evaluate JavaScript in the page (promises awaited); returns the value as JSON."""
        res = self.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                        returnByValue=True)
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise BrowserError("page script failed: "
                               + (d.get("exception", {}).get("description") or d.get("text")))
        return res["result"].get("value")

    def key(self, key: str = "ArrowRight", code: int = 39):
        """A real key press (keyDown/keyUp) to the focused element."""
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=code)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])

    def __exit__(self, *exc):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for f in (self._out, self._in):
            try:
                f.close()
            except OSError:
                pass
        self._profile.cleanup()
        return False
