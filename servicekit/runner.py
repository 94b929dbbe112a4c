"""Running services with uvicorn: on a background thread (the demo, examples and end-to-end
tests start several services in one process this way), and what ``drukid serve --workers N``
requires before it starts several worker processes (:func:`workers_problem`)."""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

__all__ = [
    "MAX_WORKERS",
    "ServerThread",
    "free_port",
    "port_is_free",
    "port_problem",
    "serve_in_thread",
    "workers_problem",
]

MAX_WORKERS = 64


def workers_problem(
    workers: int, *, env_prefix: str, database_url: str, sessions: str, sessions_setting: str
) -> str | None:
    """Why ``workers`` processes cannot serve with these settings (``None``: they can). Every
    worker is a full copy of the service whose shared state is in the database, so more than
    one needs PostgreSQL (SQLite takes one writer at a time, and its file is on one host) and
    the pages' sessions in the database (memory sessions are per process)."""
    if workers < 1 or workers > MAX_WORKERS:
        return f"--workers must be 1 to {MAX_WORKERS}"
    if workers == 1:
        return None
    if not database_url.startswith("postgresql"):
        return (
            f"--workers {workers} needs PostgreSQL: set {env_prefix}DATABASE_URL="
            "postgresql://user:password@host/database (SQLite takes one writer at a time)"
        )
    if sessions != "database":
        return (
            f"--workers {workers} needs the pages' sessions in the database: set "
            f"{env_prefix}{sessions_setting.upper()}=database (memory sessions are per process)"
        )
    return None


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


def port_problem(host: str, port: int) -> tuple[str, str] | None:
    """Why a service cannot listen on ``host``:``port`` (what happened, what to do), checked
    before it starts, so the person hears it at once and not after start-up, in uvicorn's
    words (``None``: it can). Bound as uvicorn binds (``SO_REUSEADDR``), so a port left in
    ``TIME_WAIT`` by a stopped service counts as free."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use: another program holds it "
                    "(perhaps this service is already running)",
                    f"Stop that program, or choose a free port with --port (for example "
                    f"--port {port + 10}).",
                )
            if exc.errno == errno.EACCES:
                return (
                    f"this user may not listen on port {port} (ports below 1024 need "
                    "administrator rights)",
                    "Choose a port of 1024 or more with --port, or put a proxy in front.",
                )
            return (
                f"cannot listen on {host} port {port}: {exc.strerror or exc}",
                "Check --host (an address of this machine) and --port.",
            )
    return None


class ServerThread:
    """One uvicorn server on a daemon thread; ``start()`` returns once it accepts connections."""

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int, access_log: bool = False
    ) -> None:
        level = "info" if access_log else "error"  # info: uvicorn's access lines, as served
        config = uvicorn.Config(app, host=host, port=port, log_level=level, lifespan="on")
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
def serve_in_thread(
    app: Any, *, port: int | None = None, host: str = "127.0.0.1", access_log: bool = False
) -> Iterator[str]:
    """Serve ``app`` on ``host`` and yield its base URL; stop it on exit. ``access_log``: write
    uvicorn's access lines (as ``drukid serve`` does) instead of errors only."""
    server = ServerThread(app, host=host, port=port or free_port(host), access_log=access_log)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
