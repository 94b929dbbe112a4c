"""``drukid serve``: a port another program holds stops the start at once, saying which port,
that another program holds it, and the ``--port`` flag; nothing is built first."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drukid.cli import app as drukid_app
from servicekit.runner import port_problem


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def test_a_held_port_is_named_with_what_to_do(held_port: int) -> None:
    problem = port_problem("127.0.0.1", held_port)
    assert problem is not None
    what, hint = problem
    assert f"port {held_port}" in what
    assert "another program" in what
    assert "--port" in hint


def test_a_free_port_is_no_problem() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    assert port_problem("127.0.0.1", port) is None


@pytest.mark.parametrize("role", ["issuer", "verifier", "wallet"])
def test_serve_refuses_a_held_port_before_starting(
    role: str, held_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"DRUKID_{role.upper()}_"
    monkeypatch.setenv(prefix + "MODE", "development")
    monkeypatch.setenv(prefix + "DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DRUKID_WALLET_PATH", str(tmp_path / "data" / "wallet.db"))
    result = CliRunner().invoke(drukid_app, ["serve", role, "--port", str(held_port)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: port {held_port} on 127.0.0.1 is already in use")
    assert lines[1].startswith("what to do: ")
    assert "--port" in lines[1]
    assert lines[-1] == "code: port_unavailable"
    assert "Errno" not in result.output
    assert "open http" not in result.output  # the wallet did not send anyone to that URL
    assert not (tmp_path / "data").exists()  # refused before anything was made
