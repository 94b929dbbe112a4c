"""Issue 15, finding 9: a verifier whose database cannot be written answered 500; it answers
503 with a code naming the cause, and its log line says it (disk full, read-only)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from tests.api.verifier.conftest import PUBLIC_URL, auth, make_settings


def _failing(message: str) -> Any:
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("INSERT INTO ...", {}, sqlite3.OperationalError(message))

    return fail


@pytest.mark.parametrize(
    ("message", "code", "cause"),
    [
        ("database or disk is full", "storage_full", "disk full"),
        ("attempt to write a readonly database", "storage_read_only", "read-only"),
        ("unable to connect", "database_unavailable", "unreachable"),
    ],
)
def test_a_database_that_cannot_be_written_is_503_with_its_cause(
    client, rp, monkeypatch, caplog, message: str, code: str, cause: str
) -> None:
    requests = client.app.state.runtime.service.requests
    monkeypatch.setattr(requests, "create", _failing(message))
    caplog.set_level(logging.ERROR)
    answer = client.post("/api/v1/requests", json={"template": "kyc-basic"}, headers=auth(rp))
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == code
    assert answer.headers["retry-after"] == "30"
    assert "INSERT" not in answer.text
    [line] = [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
    assert f"({cause})" in line


def test_the_teller_page_says_503_in_plain_words(
    tmp_path, issuer, clock, monkeypatch, caplog
) -> None:
    from tests.api.verifier.test_teller_pages import signed_in, start_client, with_type_metadata

    settings = make_settings(tmp_path, issuer)
    for teller in start_client(settings, clock, with_type_metadata(issuer, clock), PUBLIC_URL):
        key, _ = teller.app.state.service.create_api_key("Counter 1")
        token = signed_in(teller, key)
        monkeypatch.setattr(
            teller.app.state.runtime.service.requests,
            "create",
            _failing("database or disk is full"),
        )
        caplog.set_level(logging.ERROR)
        page = teller.post("/teller/start", data={"csrf_token": token, "template": "kyc-basic"})
        assert page.status_code == 503, page.text
        assert "cannot save or read checks just now" in page.text
        assert "INSERT" not in page.text
        assert any("(disk full)" in r.getMessage() for r in caplog.records)


def test_a_data_dir_that_cannot_be_made_stops_serve_verifier_plainly(
    tmp_path, issuer, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from drukid.cli import app as drukid_app

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    trust = make_settings(tmp_path, issuer).trust_file
    monkeypatch.setenv("DRUKID_VERIFIER_MODE", "development")
    monkeypatch.setenv("DRUKID_VERIFIER_DATA_DIR", str(blocker / "verifier"))
    monkeypatch.setenv("DRUKID_VERIFIER_TRUST_FILE", str(trust))
    monkeypatch.setattr("verifier.server.uvicorn.run", lambda *a, **k: pytest.fail("it started"))
    result = CliRunner().invoke(drukid_app, ["serve", "verifier"])
    assert result.exit_code == 2, result.output
    assert "code: data_dir_unwritable" in result.output
    assert "Traceback" not in result.output
