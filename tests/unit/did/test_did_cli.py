"""``drukid did`` (did/cli.py) through typer's CliRunner."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from did.cli import app
from did.keys import PrivateKey
from did.methods.web import create_did_web_document
from did.resolver import Resolver

runner = CliRunner()


@pytest.mark.parametrize(
    ("method", "alg", "prefix"),
    [
        ("key", "ES256", "did:key:zDna"),
        ("key", "EdDSA", "did:key:z6Mk"),
        ("jwk", "ES256", "did:jwk:ey"),
        ("jwk", "EdDSA", "did:jwk:ey"),
    ],
)
def test_create_prints_did_and_saves_key(
    method: str, alg: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["create", "--method", method, "--alg", alg])
    assert result.exit_code == 0, result.output
    did = result.stdout.strip()
    assert did.startswith(prefix)
    (path,) = tmp_path.iterdir()
    key = PrivateKey.load(path)
    assert path.name == f"{method}-{key.public_key.thumbprint()[:8]}.jwk.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path.name) in result.stderr
    assert key.to_jwk()["d"] not in result.stdout + result.stderr
    fragment = "#0" if method == "jwk" else "#" + did.removeprefix("did:key:")
    assert Resolver().resolve_key(did + fragment) == key.public_key


def test_create_with_out_and_never_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "issuer.jwk.json"
    first = runner.invoke(app, ["create", "--out", str(out)])
    assert first.exit_code == 0
    before = out.read_bytes()
    second = runner.invoke(app, ["create", "--out", str(out)])
    assert second.exit_code == 1
    assert "code: file_exists" in second.stderr
    assert "what to do:" in second.stderr
    assert out.read_bytes() == before


def test_create_reports_unwritable_paths(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(app, ["create", "--out", str(blocker / "key.jwk.json")])
    assert result.exit_code == 1
    assert "code: cannot_write" in result.stderr
    assert "Traceback" not in result.output


def test_choices_ignore_case(tmp_path: Path) -> None:
    out = tmp_path / "k.jwk.json"
    result = runner.invoke(app, ["create", "--method", "JWK", "--alg", "eddsa", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert PrivateKey.load(out).alg == "EdDSA"


def test_create_rejects_unknown_choices() -> None:
    result = runner.invoke(app, ["create", "--method", "web"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_resolve_prints_the_document() -> None:
    did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    result = runner.invoke(app, ["resolve", did])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == Resolver().resolve(did).to_json()


@pytest.mark.parametrize(
    ("did", "code", "hint"),
    [
        ("did:example:123", "unsupported_did_method", "did:key, did:jwk and did:web"),
        ("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0", "invalid_multibase", "copy"),
        ("did:web:example.com:..", "invalid_did", "did:web:example.com"),
        ("did:web:127.0.0.1%3A8000", "fetch_blocked_address", "--allow-private"),
        ("did:web:localhost", "fetch_blocked_address", "--allow-private"),
    ],
)
def test_resolve_errors_have_codes_and_hints(did: str, code: str, hint: str) -> None:
    result = runner.invoke(app, ["resolve", did])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ")
    assert lines[1].startswith("what to do: ")
    assert lines[-1] == f"code: {code}"
    assert hint in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.network
def test_resolve_did_web_on_loopback_in_development_mode(loopback: Any) -> None:
    did = f"did:web:127.0.0.1%3A{loopback.port}:issuer"
    key = PrivateKey.generate().public_key
    loopback.route(
        "/issuer/did.json", json.dumps(create_did_web_document(did, [("k1", key)])).encode()
    )
    refused = runner.invoke(app, ["resolve", did])
    assert refused.exit_code == 1
    assert "fetch_blocked_address" in refused.stderr
    result = runner.invoke(app, ["resolve", did, "--allow-http", "--allow-private"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verificationMethod"][0]["publicKeyJwk"] == key.to_jwk()
