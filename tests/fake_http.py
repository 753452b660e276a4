"""A base for fake JSON services on 127.0.0.1: real HTTP, a request log, faults on demand.

Subclasses set `prefix` (the path the base URL ends with) and implement
`respond(endpoint, path, params) -> (status, body object)`.

Faults, `server.inject(endpoint, kind, times=1, **opts)` (endpoint as the subclass
names it, "*" for any): "429" (opts retry_after -> Retry-After header); "500",
"503", any status -> an HTML page; "reset": TCP reset, no answer; "slow": the
answer after opts delay (2 s); "truncate": Content-Length of the whole body, half
sent, then hang up; "truncate_json": a complete HTTP 200 whose JSON is cut in
half; "json": HTTP 200 carrying opts body (any JSON value) instead of the answer.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class LoggedRequest:
    time: float
    endpoint: str
    path: str
    params: dict  # the last value of each query parameter
    headers: dict
    status: int | None = None  # None: reset without an answer


class LocalHTTPServer:
    """A threaded HTTP server on 127.0.0.1 (port 0), a request log and a fault list.

    Subclasses name their request handler (``handler_class``) and their URLs.
    Used as a context manager, or with start() and stop().
    """

    def __init__(self):
        self._log: list = []
        self._faults: list[list] = []  # [endpoint, kind, remaining, opts]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def start(self):
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self._httpd.fake = self
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def requests(self) -> list:
        with self._lock:
            return list(self._log)

    def count(self, endpoint: str | None = None) -> int:
        return sum(1 for r in self.requests if endpoint is None or r.endpoint == endpoint)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()


class FakeJsonServer(LocalHTTPServer):
    prefix = "/"

    @property
    def base_url(self) -> str:
        return self.root_url + self.prefix

    def inject(self, endpoint: str, kind: str, times: int = 1, **opts) -> None:
        with self._lock:
            self._faults.append([endpoint, str(kind), times, opts])

    def endpoint_of(self, path: str) -> str:
        return path.rstrip("/").rsplit("/", 1)[-1]

    def respond(self, endpoint: str, path: str, params: dict) -> tuple[int, object]:
        """The service's answer: (status, JSON-able body). This base knows no endpoint."""
        return 404, {"error": f"{type(self).__name__} has no endpoint {endpoint!r}"}

    def _arrive(self, path: str, params: dict, headers: dict):
        with self._lock:
            entry = LoggedRequest(time.monotonic(), self.endpoint_of(path), path, params, headers)
            self._log.append(entry)
            for fault in self._faults:
                if fault[0] in ("*", entry.endpoint) and fault[2] > 0:
                    fault[2] -= 1
                    return entry, fault[1], fault[3]
            return entry, None, {}


class FaultyHandler(BaseHTTPRequestHandler):
    """What every fake service's handler shares: keep-alive, silence, exact
    Content-Length (or a lying one), and a TCP reset on demand."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real services; every answer carries Content-Length
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait 40 ms between

    def log_message(self, *args) -> None:
        pass

    def _reset(self) -> None:
        # SO_LINGER 0 turns close() into a TCP reset: the client gets no status line at all.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _send(self, entry, status, ctype, body, headers=None, declared=None) -> None:
        entry.status = status
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if declared is None else declared))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Handler(FaultyHandler):
    def do_GET(self) -> None:
        fake: FakeJsonServer = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        entry, kind, opts = fake._arrive(url.path, params, dict(self.headers))
        try:
            self._answer(fake, entry, kind, opts)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _answer(self, fake, entry, kind, opts) -> None:
        if kind == "reset":
            return self._reset()
        if kind == "429":
            extra = {"Retry-After": str(opts["retry_after"])} if "retry_after" in opts else {}
            return self._send(entry, 429, "application/json", b'{"error":"Too many requests"}', extra)
        if kind and kind.isdigit():
            page = f"<html><body><h1>{kind} Error</h1></body></html>".encode()
            return self._send(entry, int(kind), "text/html", page)
        if kind == "slow":
            fake._stopping.wait(opts.get("delay", 2.0))
        if kind == "json":
            status, document = 200, opts["body"]
        elif not entry.path.startswith(fake.prefix):
            status, document = 404, {"error": "not found"}
        else:
            status, document = fake.respond(entry.endpoint, entry.path[len(fake.prefix):], entry.params)
        body = json.dumps(document).encode()
        if kind == "truncate":
            self._send(entry, status, "application/json", body[: len(body) // 2], declared=len(body))
            self.close_connection = True
            return
        if kind == "truncate_json":
            body = body[: len(body) // 2]
        self._send(entry, status, "application/json", body)
