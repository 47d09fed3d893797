"""A loopback Simple API server over recorded index responses (tests/data/index/), with scripted failures.

Layout served: /simple/PROJECT/ -> simple/PROJECT/index.json (PEP 691 JSON); /files/NAME -> files/NAME (PEP 658
.metadata files). Tests add bodies (`extra`), hide paths (`hidden`), and script status codes (`failures`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "index"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class IndexServer:
    root: Path = DATA
    url: str = ""
    failures: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer first, in order
    extra: dict[str, bytes] = field(default_factory=dict)  # path -> body served as is (ranges honoured)
    hidden: set[str] = field(default_factory=set)  # paths answered 404
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Range header) in arrival order
    accepts: list[str] = field(default_factory=list)  # the Accept header of each request
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def simple_url(self) -> str:
        return self.url + "/simple/"

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests]

    def body_for(self, path: str) -> tuple[bytes, str] | None:
        if path in self.hidden:
            return None
        if path in self.extra:
            return self.extra[path], "application/octet-stream"
        parts = [part for part in path.split("/") if part]
        if len(parts) == 2 and parts[0] == "simple":
            target = self.root / "simple" / parts[1] / "index.json"
            return (target.read_bytes(), SIMPLE_JSON) if target.is_file() else None
        if len(parts) == 2 and parts[0] == "files":
            target = self.root / "files" / parts[1]
            return (target.read_bytes(), "application/octet-stream") if target.is_file() else None
        return None


def _handler(server: IndexServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with server.lock:
                server.requests.append((path, self.headers.get("Range", "")))
                server.accepts.append(self.headers.get("Accept", ""))
                scripted = server.failures.get(path)
                status = scripted.pop(0) if scripted else None
            if status is not None:
                self._send(status, f"scripted {status}".encode(), "text/plain")
                return
            found = server.body_for(path)
            if found is None:
                self._send(404, b"not found", "text/plain")
                return
            body, content_type = found
            byte_range = self.headers.get("Range", "")
            if byte_range.startswith("bytes=") and path in server.extra:
                start_text, _, end_text = byte_range[len("bytes=") :].partition("-")
                if start_text:
                    start, end = int(start_text), min(len(body) - 1, int(end_text) if end_text else len(body) - 1)
                else:
                    start, end = max(0, len(body) - int(end_text)), len(body) - 1
                headers = {"Content-Range": f"bytes {start}-{end}/{len(body)}"}
                self._send(206, body[start : end + 1], content_type, headers)
                return
            self._send(200, body, content_type)

    return Handler


@contextmanager
def serve(root: Path = DATA) -> Iterator[IndexServer]:
    state = IndexServer(root=root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
