"""Issue #12's "done when": a wallet gets a credential through the authorization code flow with
PAR, PKCE, DPoP and a wallet attestation, over loopback sockets, from a fresh development PKI
(``drukid pki create-root``, a wallet-provider CA, ``pki issue --purpose wallet-provider``,
``pki wallet-attestation``), with ``drukid wallet receive --issuer URL --type ID`` (its loopback
listener catches the redirect; the citizen's browser is played with httpx), then
``drukid wallet refresh`` for fresh copies without signing in again."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

import wallet.commands.receive
from drukid.cli import app as drukid
from issuer.api.app import create_app
from issuer.operator import local_actor
from issuer.settings import IssuerSettings
from tests.support.servers import free_port, serve_app

KARMA = "11512003456"
PASS = "correct horse battery"

pytestmark = pytest.mark.network


def run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(drukid, list(args))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def development_pki(cli: CliRunner, where: Path) -> tuple[Path, Path, Path]:
    """Root → wallet-provider CA → wallet provider; then a wallet attestation."""
    p = {name: str(where / name) for name in ("root.pem", "root.key", "ca.pem", "ca.key")}
    run(
        cli,
        "pki",
        "create-root",
        "--name",
        "Dev Root",
        "--cert",
        p["root.pem"],
        "--key",
        p["root.key"],
    )
    run(
        cli, "pki", "create-intermediate", "--name", "Dev Wallet Provider CA",
        "--ca-cert", p["root.pem"], "--ca-key", p["root.key"],
        "--cert", p["ca.pem"], "--key", p["ca.key"],
    )  # fmt: skip
    chain, key = where / "provider-chain.pem", where / "provider.key.json"
    run(
        cli, "pki", "issue", "--purpose", "wallet-provider", "--name", "drukid wallet",
        "--ca-cert", p["ca.pem"], "--ca-key", p["ca.key"],
        "--cert", str(where / "provider.pem"), "--key", str(key), "--chain", str(chain),
    )  # fmt: skip
    attestation, instance = where / "attestation.jwt", where / "instance.key.json"
    out = run(
        cli, "pki", "wallet-attestation", "--provider-cert", str(chain),
        "--provider-key", str(key), "--out", str(attestation),
        "--instance-key-out", str(instance),
    )  # fmt: skip
    assert "https://wallet.drukid.bt" in out
    assert oct(instance.stat().st_mode & 0o777) == "0o600"
    return Path(p["ca.pem"]), attestation, instance


def test_wallet_receives_through_the_authorization_code_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = CliRunner()
    anchor, attestation, instance = development_pki(cli, tmp_path)
    port = free_port()
    issuer_url = f"http://127.0.0.1:{port}"
    issuer = create_app(
        IssuerSettings(
            mode="development",
            public_url=issuer_url,
            data_dir=tmp_path / "issuer",
            status_list_size=4096,
            seed_demo_data=True,
            wallet_attestation="required",
            wallet_provider_anchor_files=(anchor,),
        )
    )
    for name, value in {
        "DRUKID_WALLET_MODE": "development",
        "DRUKID_WALLET_PATH": str(tmp_path / "wallet" / "wallet.db"),
        "DRUKID_WALLET_PASSPHRASE": PASS,
        "DRUKID_WALLET_NEW_PASSPHRASE": PASS,
        "DRUKID_WALLET_ATTESTATION_FILE": str(attestation),
        "DRUKID_WALLET_ATTESTATION_KEY_FILE": str(instance),
        "DRUKID_WALLET_COPIES": "3",
        "COLUMNS": "200",
    }.items():
        monkeypatch.setenv(name, value)
    seen: list[str] = []

    def citizen(url: str) -> None:
        """The citizen's browser: the agency's page, the sign-in code, Add, back to the wallet."""
        seen.append(url)
        code = issuer.state.runtime.operator.signin_codes.create(local_actor(), KARMA).code
        with httpx.Client(base_url=issuer_url, timeout=30, follow_redirects=False) as browser:
            page = browser.get(url)
            assert page.status_code == 200, page.text
            assert "Add your Permanent address to your wallet" in page.text
            fields = {
                name: page.text.split(f'name="{name}" value="')[1].split('"')[0]
                for name in ("ref", "csrf")
            }
            signed = browser.post("/authorize/sign-in", data={**fields, "cid": KARMA, "code": code})
            assert signed.status_code == 303, signed.text
            consent = browser.get(signed.headers["location"])
            assert "Is this you?" in consent.text
            done = browser.post("/authorize/consent", data={**fields, "answer": "add"})
            assert done.status_code == 303
            back = httpx.get(done.headers["location"], timeout=30)  # the wallet's listener
            assert "go back to the wallet" in back.text

    monkeypatch.setattr(wallet.commands.receive, "open_browser", citizen)
    with serve_app(issuer, port=port):
        run(cli, "wallet", "init")
        out = run(cli, "wallet", "receive", "--issuer", issuer_url, "--type", "permanent-address")
        assert "Received and checked" in out
        [url] = seen
        query = urlsplit(url).query
        assert "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A" in query
        assert "code_challenge" not in query  # only client_id and request_uri (PAR)
        listed = run(cli, "wallet", "list")
        assert "Permanent address" in listed
        line = next(line for line in listed.splitlines() if "Permanent" in line)
        ident = re.search(r"\b[0-9a-f]{8}\b", line).group(0)  # type: ignore[union-attr]
        refreshed = run(cli, "wallet", "refresh", ident)
        assert "3 fresh copies" in refreshed
        grants = issuer.state.runtime.context
        from sqlmodel import select

        from issuer.storage.models import AccessTokenRow, GrantRow

        with grants.session() as s:
            [grant] = s.exec(select(GrantRow)).all()
            tokens = s.exec(select(AccessTokenRow)).all()
        assert grant.subject_id == KARMA
        assert grant.instance_jkt is not None  # bound to the attested wallet instance
        assert {t.dpop_jkt for t in tokens} == {grant.dpop_jkt}  # every token DPoP-bound
