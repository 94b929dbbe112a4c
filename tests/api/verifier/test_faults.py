"""Issue 15, finding 9: a verifier whose database cannot be written answered 500; it answers
503 with a code naming the cause, and its log line says it (disk full, read-only)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from tests.api.verifier.conftest import auth


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
