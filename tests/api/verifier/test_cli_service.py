"""``drukid verifier request`` and ``result`` against the service API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.api.verifier.conftest import respond
from tests.support.fake_wallet import parse_openid4vp_uri
from verifier import cli
from verifier.commands import common

runner = CliRunner()


class _Borrowed:
    """The test client, without re-running its lifespan on ``with``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *args: object) -> None:
        return None


@pytest.fixture
def key(client, rp, monkeypatch) -> str:
    monkeypatch.setattr(common, "http_client", lambda url: _Borrowed(client))
    return rp["Authorization"].removeprefix("Bearer ")


def test_request_no_wait_then_result(client, key, wallet):
    created = runner.invoke(
        cli.app, ["request", "--template", "kyc-basic", "--no-wait", "--json", "--api-key", key]
    )
    assert created.exit_code == 0, created.output
    data = json.loads(created.output)
    assert parse_openid4vp_uri(data["uri"])["request_uri"].endswith(data["id"])
    # "--": a random request id may start with "-" (base64url), which is not an option.
    pending = runner.invoke(cli.app, ["result", "--api-key", key, "--", data["id"]])
    assert "PENDING" in pending.output
    respond(client, wallet, {"uri": data["uri"]})
    shown = runner.invoke(cli.app, ["result", "--json", "--api-key", key, "--", data["id"]])
    assert json.loads(shown.output)["claims"]["cid"] == "11512003456"
    human = runner.invoke(cli.app, ["result", "--api-key", key, "--", data["id"]])
    assert "VERIFIED" in human.output
    assert 'full_name: "Karma Wangmo"' in human.output


def test_request_waits_and_prints_the_qr(client, key, wallet, monkeypatch):
    answered: list[bool] = []

    def sleep(_seconds: float) -> None:  # the citizen scans while the desk waits
        if not answered:
            respond(client, wallet, {"uri": pending_uri[0]})
            answered.append(True)

    pending_uri: list[str] = []
    original = common.call

    def spy(c: Any, method: str, path: str, k: str, **kw: Any) -> Any:
        body = original(c, method, path, k, **kw)
        if method == "POST":
            pending_uri.append(body["uri"])
        return body

    monkeypatch.setattr(common, "call", spy)
    monkeypatch.setattr(time, "sleep", sleep)
    waited = runner.invoke(cli.app, ["request", "--template", "age-over-18", "--api-key", key])
    assert waited.exit_code == 0, waited.output
    assert "█" in waited.output  # the QR code, drawn in the terminal
    assert "VERIFIED" in waited.output
    assert "age_over_18: true" in waited.output


def test_cli_reports_service_errors(client, key):
    bad = runner.invoke(cli.app, ["request", "--template", "nope", "--api-key", key])
    assert bad.exit_code == 1
    assert "unknown_template" in bad.output
    unauthorized = runner.invoke(cli.app, ["result", "x", "--api-key", "drk_bad"])
    assert unauthorized.exit_code == 1
    assert "unauthorized" in unauthorized.output


@pytest.mark.parametrize(
    ("content", "code"),
    [(b'{"credentials": [], "credentials": []}', "invalid_json"), (b"[NaN]", "invalid_json")],
)
def test_a_dcql_file_is_read_strictly(tmp_path: Any, content: bytes, code: str) -> None:
    """Issue 15, finding 4's class: the CLI read the query file with Python's lenient json."""
    query = tmp_path / "query.json"
    query.write_bytes(content)
    result = runner.invoke(
        cli.app,
        [
            "request",
            "--dcql",
            str(query),
            "--no-wait",
            "--url",
            "http://127.0.0.1:9",
            "--api-key",
            "k",
        ],
    )
    assert result.exit_code == 2, result.output
    assert f"code: {code}" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(
        cli.app, ["request", "--dcql", str(tmp_path / "none.json"), "--no-wait"]
    )
    assert "code: dcql_file_unreadable" in missing.output
