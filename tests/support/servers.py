"""Run an ASGI app on a real loopback socket for end-to-end tests (uvicorn in a thread), and a
tarpit: a loopback endpoint that accepts connections and never answers (a hung server)."""

from __future__ import annotations

import socket
import threading

from servicekit.runner import free_port
from servicekit.runner import serve_in_thread as serve_app

__all__ = ["Tarpit", "free_port", "serve_app"]


class Tarpit:
    """Listens on 127.0.0.1, accepts every connection and holds it open without a byte;
    ``held`` are the connections so far. ``close()`` stops it (then connections are refused)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()
