"""A loopback HTTP server for the fetch tests: real shared files, recorded requests.

Stdlib ``http.server`` in a thread on 127.0.0.1 (never the internet). :func:`mirror_tree`
lays out a folder as a source-folder mirror (symlinks to the real files of
``../shared/data`` and of the installed packages), which :class:`Loopback` serves; it records
every request path and can answer a path with fewer bytes than its Content-Length says.
Used by tests/test_fetch.py and by the session build in tests/test_store.py.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

from growthzones.catalog import SourceFiles, catalog


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a, **k):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        rel = self.path.lstrip("/")
        if rel in self.server.truncate:
            body = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])  # then the connection closes
            self.close_connection = True
            return
        super().do_GET()


class Loopback:
    """An HTTP server on 127.0.0.1 serving ``root``; ``requests`` lists the paths asked."""

    def __init__(self, root: Path):
        self.root = root
        handler = lambda *a, **k: _Handler(*a, directory=str(root), **k)  # noqa: E731
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.requests = []
        self.server.truncate = set()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def requests(self) -> list[str]:
        return self.server.requests

    def truncate(self, rel: str) -> None:
        self.server.truncate.add(rel)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def mirror_tree(sources: SourceFiles, www: Path, ids=None) -> Path:
    """``www`` laid out as a mirror of the source folder: symlinks to the real files."""
    for sid, src in catalog().items():
        if src.origin == "official" or (ids is not None and sid not in ids):
            continue
        for rel in src.files():  # a package source has one file, its member
            (www / rel).parent.mkdir(parents=True, exist_ok=True)
            (www / rel).symlink_to(sources.locate(sid) if src.package else sources.root / rel)
    return www
