"""``drukid serve issuer|verifier --workers N``: what several workers need is checked before
anything starts (PostgreSQL, sessions in the database), each refusal saying what to set; the
workers' app comes from the environment; the proxy allowed to name client addresses is a
setting, never "anyone" in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from drukid.cli import app as drukid_app
from issuer.settings import IssuerSettings
from servicekit.runner import workers_problem
from verifier.settings import VerifierSettings

PG = "postgresql://issuer:a-real-password-here@db.internal/issuer"


@pytest.mark.parametrize(
    ("workers", "url", "sessions", "says"),
    [
        (1, "sqlite:///x.db", "memory", None),
        (2, "sqlite:///x.db", "database", "needs PostgreSQL: set DRUKID_ISSUER_DATABASE_URL"),
        (2, PG, "memory", "set DRUKID_ISSUER_OPERATOR_SESSIONS=database"),
        (4, PG, "database", None),
        (0, PG, "database", "--workers must be 1 to 64"),
    ],
)
def test_what_several_workers_need(workers: int, url: str, sessions: str, says: str | None) -> None:
    problem = workers_problem(
        workers,
        env_prefix="DRUKID_ISSUER_",
        database_url=url,
        sessions=sessions,
        sessions_setting="operator_sessions",
    )
    if says is None:
        assert problem is None
    else:
        assert problem is not None
        assert says in problem


@pytest.mark.parametrize("role", ["issuer", "verifier"])
def test_serve_refuses_several_workers_on_sqlite(
    role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"DRUKID_{role.upper()}_"
    monkeypatch.setenv(prefix + "MODE", "development")
    monkeypatch.setenv(prefix + "DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(drukid_app, ["serve", role, "--workers", "2"])
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output
    assert not list(tmp_path.iterdir())  # refused before anything was made


def test_the_workers_app_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from issuer.server import app_from_environment as issuer_app
    from verifier.server import app_from_environment as verifier_app

    monkeypatch.setenv("DRUKID_ISSUER_MODE", "development")
    monkeypatch.setenv("DRUKID_ISSUER_PUBLIC_URL", "http://127.0.0.1:9101")
    monkeypatch.setenv("DRUKID_ISSUER_DATA_DIR", str(tmp_path / "issuer"))
    assert "drukid issuer" in issuer_app().title
    monkeypatch.setenv("DRUKID_VERIFIER_MODE", "development")
    monkeypatch.setenv("DRUKID_VERIFIER_DATA_DIR", str(tmp_path / "verifier"))
    assert "drukid verifier" in verifier_app().title


def test_only_named_proxies_may_say_who_the_client_is(tmp_path: Path) -> None:
    issuer: dict[str, Any] = {"public_url": "https://id.example.bt", "data_dir": tmp_path}
    assert IssuerSettings(**issuer).forwarded_allow_ips == "127.0.0.1"
    assert IssuerSettings(**issuer, forwarded_allow_ips="10.0.0.5,10.0.0.6")
    with pytest.raises(ValidationError, match="any client choose its own address"):
        IssuerSettings(**issuer, forwarded_allow_ips="*")
    verifier: dict[str, Any] = {"public_url": "https://v.example.bt", "data_dir": tmp_path}
    with pytest.raises(ValidationError, match="any client choose its own address"):
        VerifierSettings(**verifier, forwarded_allow_ips="*")
    assert VerifierSettings(**verifier, mode="development", forwarded_allow_ips="*")
