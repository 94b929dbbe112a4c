"""Fixtures of the did tests: a tiny HTTP server on 127.0.0.1 for the real-socket tests of the
fetcher, the resolver and the CLI."""

from __future__ import annotations

import http.server
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Route:
    body: bytes = b"{}"
    status: int = 200
    delay: float = 0.0


@dataclass
class Loopback:
    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.port}"

    def route(self, path: str, body: bytes = b"{}", status: int = 200, delay: float = 0.0) -> None:
        """Serve ``body`` at ``path``; ``{host}`` in the body becomes the request's Host header."""
        self.routes[path] = Route(body, status, delay)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        loopback = self.server.loopback
        loopback.seen.append((self.path, self.headers.get("Host", "")))
        route = loopback.routes.get(self.path, Route(b"not found", 404))
        if route.delay:
            time.sleep(route.delay)
        body = route.body.replace(b"{host}", self.headers.get("Host", "").encode())
        self.send_response(route.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


class _Server(http.server.ThreadingHTTPServer):
    loopback: Loopback

    def handle_error(self, request: object, client_address: object) -> None:
        # Timeout tests hang up early and TLS probes send garbage: expected, not errors.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    """An HTTP server on 127.0.0.1 with an ephemeral port; add routes with ``route()``."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.loopback = Loopback(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.loopback
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
