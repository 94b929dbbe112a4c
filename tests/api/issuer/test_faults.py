"""Issue 15, finding 9: faults the operator sees. A data directory the issuer cannot write
stops `drukid serve issuer` with one plain line (no traceback); a full disk or read-only
storage during a request is a 503 whose code and log line name the cause."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

import issuer.runtime
from drukid.cli import app as drukid_app
from tests.api.issuer.conftest import create_offer


def _serve(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Any:
    monkeypatch.setenv("DRUKID_ISSUER_MODE", "development")
    monkeypatch.setenv("DRUKID_ISSUER_DATA_DIR", str(data_dir))
    monkeypatch.setattr("issuer.server.uvicorn.run", lambda *a, **k: pytest.fail("it started"))
    return CliRunner().invoke(drukid_app, ["serve", "issuer"])


def test_a_data_dir_that_cannot_be_made_is_a_plain_start_up_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = _serve(monkeypatch, blocker / "issuer")
    assert result.exit_code == 2, result.output
    assert "code: data_dir_unwritable" in result.output
    assert str(blocker / "issuer") in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, OSError)


def test_a_read_only_database_is_a_plain_start_up_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("CREATE TABLE", {}, sqlite3.OperationalError(
            "attempt to write a readonly database"
        ))  # fmt: skip

    monkeypatch.setattr(issuer.runtime, "_prepare", read_only)
    result = _serve(monkeypatch, tmp_path / "issuer")
    assert result.exit_code == 2, result.output
    assert "code: data_dir_unwritable" in result.output
    assert "(read-only)" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("message", "code", "cause"),
    [
        ("database or disk is full", "storage_full", "disk full"),
        ("attempt to write a readonly database", "storage_read_only", "read-only"),
    ],
)
def test_full_or_read_only_storage_is_a_503_naming_the_cause(
    client: Any, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: Any,
    message: str, code: str, cause: str,
) -> None:  # fmt: skip
    offers = client.app.state.runtime.operator.offers

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("INSERT INTO issuer_offer", {}, sqlite3.OperationalError(message))

    monkeypatch.setattr(offers, "create", fail)
    monkeypatch.setattr(offers, "create_many", fail)
    caplog.set_level(logging.ERROR)
    answer = client.post(
        "/api/v1/offers",
        json={"credential_configuration_id": "foundational-id", "cid": "11512003456"},
        headers=admin,
    )
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == code
    assert "not reachable" not in answer.json()["error_description"]
    lines = [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
    assert lines
    assert f"({cause})" in lines[0]


def test_a_healthy_issuer_still_makes_offers(client: Any, admin: dict[str, str]) -> None:
    assert create_offer(client, admin)["offer_uri"]
