"""``drukid serve <role>`` as real operating-system processes, for the several-workers tests:
start (and wait until it answers), stop, kill -9, and the worker processes of a ``--workers N``
server."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

__all__ = ["ServiceProcess", "worker_pids"]

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pids(pid: int) -> list[int]:
    """The uvicorn worker processes of the server process ``pid`` (spawned children, not the
    multiprocessing resource tracker)."""
    return sorted(
        child
        for child in _children(pid)
        if "spawn_main" in _cmdline(child) and "resource_tracker" not in _cmdline(child)
    )


class ServiceProcess:
    """One ``drukid serve <role> --port <port> [--workers N]`` process, with the settings in
    ``env`` (``DRUKID_*``; nothing else of this process's ``DRUKID_*`` leaks in), its output in
    ``log``."""

    def __init__(
        self,
        role: str,
        env: Mapping[str, str],
        *,
        port: int,
        log: Path,
        workers: int = 1,
        ready_path: str = "/",
    ) -> None:
        self.role, self.port, self.log, self.workers = role, port, log, workers
        self.url = f"http://127.0.0.1:{port}"
        self.ready_path = ready_path
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DRUKID_")},
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        command = [sys.executable, "-c", "from drukid.cli import main; main()", "serve"]
        command += [self.role, "--port", str(self.port), "--workers", str(self.workers)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends the workers too
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def wait_ready(self, timeout: float = 120) -> ServiceProcess:
        """Return once the service answers (all of its ``--workers`` have started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.role} exited early:\n{self.output()}")
            try:
                answered = httpx.get(self.url + self.ready_path, timeout=5).status_code < 500
            except httpx.HTTPError:
                answered = False
            if answered and (self.workers == 1 or len(worker_pids(self.pid)) == self.workers):
                return self
            time.sleep(0.1)
        raise AssertionError(f"{self.role} did not start in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # workers a killed parent left behind
            os.killpg(self.process.pid, signal.SIGKILL)
