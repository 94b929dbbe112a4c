"""Run an ASGI app with uvicorn on a background thread (the demo, examples and end-to-end
tests start several services in one process this way)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

__all__ = ["ServerThread", "free_port", "port_is_free", "serve_in_thread"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class ServerThread:
    """One uvicorn server on a daemon thread; ``start()`` returns once it accepts connections."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="error", lifespan="on")
        self.server = uvicorn.Server(config)
        self.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{port}", daemon=True)

    def start(self, timeout: float = 20.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.server.should_exit = True
                raise RuntimeError(f"the server for {self.url} did not start")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 20.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


@contextlib.contextmanager
def serve_in_thread(app: Any, *, port: int | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on ``host`` and yield its base URL; stop it on exit."""
    server = ServerThread(app, host=host, port=port or free_port(host)).start()
    try:
        yield server.url
    finally:
        server.stop()
