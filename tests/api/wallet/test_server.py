"""``drukid serve wallet``: loopback by default, any other address refused unless allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from typer.testing import CliRunner

import wallet.server
from drukid.serve import app as serve_app
from wallet.settings import WalletSettings, is_loopback

EVERYWHERE = "0.0.0.0"  # noqa: S104 (the address the wallet must refuse)


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **options: Any) -> None:
        calls.append({"app": app, **options})

    monkeypatch.setattr(wallet.server.uvicorn, "run", fake_run)
    return calls


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HOST", "PORT", "ALLOW_NON_LOOPBACK", "MODE", "PATH"):
        monkeypatch.delenv(f"DRUKID_WALLET_{name}", raising=False)
    monkeypatch.setenv("DRUKID_WALLET_DATA_DIR", str(tmp_path))


def test_loopback_names() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"):
        assert is_loopback(host), host
    for host in (EVERYWHERE, "192.168.1.5", "::", "wallet.example", ""):
        assert not is_loopback(host), host


def test_serves_on_loopback_port_8103_by_default(uvicorn_calls: list[dict[str, Any]]) -> None:
    wallet.server.run(WalletSettings())
    [call] = uvicorn_calls
    assert (call["host"], call["port"]) == ("127.0.0.1", 8103)
    assert isinstance(call["app"], FastAPI)
    assert call["proxy_headers"] is False


def test_refuses_another_address_with_what_to_do(
    uvicorn_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        wallet.server.run(WalletSettings(), host=EVERYWHERE, port=9000)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "will not listen on '0.0.0.0'" in err
    assert "what to do: Use --host 127.0.0.1" in err
    assert uvicorn_calls == []


def test_the_settings_refuse_another_address_too() -> None:
    with pytest.raises(ValueError, match="is not this machine"):
        WalletSettings(host="192.168.1.5")


def test_drukid_serve_wallet_refuses_a_public_host(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    result = runner.invoke(serve_app, ["wallet", "--host", EVERYWHERE])
    assert result.exit_code == 2
    monkeypatch.setenv("DRUKID_WALLET_HOST", EVERYWHERE)
    result = runner.invoke(serve_app, ["wallet"])
    assert result.exit_code == 2
    assert "what to do" in result.output
    assert uvicorn_calls == []
    monkeypatch.delenv("DRUKID_WALLET_HOST")
    assert runner.invoke(serve_app, ["wallet", "--port", "9123"]).exit_code == 0
    assert uvicorn_calls[0]["port"] == 9123


def test_explicitly_allowed_other_addresses_work(
    uvicorn_calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    settings = WalletSettings(allow_non_loopback=True, data_dir=tmp_path)
    wallet.server.run(settings, host=EVERYWHERE)
    assert uvicorn_calls[0]["host"] == EVERYWHERE
    with TestClient(uvicorn_calls[0]["app"], base_url="http://192.168.1.5:8103") as client:
        assert client.get("/create").status_code == 200  # no host check when allowed


def test_the_language_switch_takes_language_tags_only() -> None:
    assert WalletSettings(languages=("en", "dz", "en-GB")).languages == ("en", "dz", "en-GB")
    for bad in ((), ("en", '"><script>'), ("English",)):
        with pytest.raises(ValueError, match="languages must be tags"):
            WalletSettings(languages=bad)
