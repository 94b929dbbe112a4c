"""``drukid verifier`` commands that need no running service: verify, trust, apikey."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from did.fetch import Fetcher
from drukid.devpki import DevelopmentPKI
from tests.support.fake_issuer import FakeIssuer
from tests.support.fake_wallet import FakeWallet
from verifier import cli
from verifier.commands import common

runner = CliRunner()
AUD = "decentralized_identifier:did:web:bank.example.bt"


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def env(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DRUKID_VERIFIER_MODE", "development")
    monkeypatch.setenv("DRUKID_VERIFIER_PUBLIC_URL", "http://127.0.0.1:8102")
    monkeypatch.setenv("DRUKID_VERIFIER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def _presentation(issuer: FakeIssuer, tmp_path: Path, *, nonce: str = "n1", **issue) -> Path:
    wallet = FakeWallet()
    credential, _ = issuer.issue(holder_key=wallet.public_key, iat=int(time.time()) - 60, **issue)
    text = wallet.present(
        credential, ["/full_name", "/cid"], nonce=nonce, aud=AUD, iat=int(time.time())
    )
    path = tmp_path / "presentation.txt"
    path.write_text(text)
    return path


def _trust_file(issuer: FakeIssuer, tmp_path: Path) -> Path:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps({"issuers": [issuer.trusted_entry(pin_keys=True)]}))
    return path


def test_verify_offline(issuer, tmp_path):
    presentation = _presentation(issuer, tmp_path, with_status=False, exp=None)
    trust = _trust_file(issuer, tmp_path)
    ok = runner.invoke(
        cli.app, ["verify", str(presentation), "--nonce", "n1", "--aud", AUD, "--trust", str(trust)]
    )
    assert ok.exit_code == 0, ok.output
    assert "VERIFIED: Department of Civil Registration" in ok.output
    assert '"Karma Wangmo"' in ok.output
    as_json = runner.invoke(
        cli.app,
        [
            "verify",
            str(presentation),
            "--nonce",
            "n1",
            "--aud",
            AUD,
            "--trust",
            str(trust),
            "--json",
        ],
    )
    assert json.loads(as_json.output)["claims"] == {
        "full_name": "Karma Wangmo",
        "cid": "11512003456",
    }
    wrong = runner.invoke(
        cli.app,
        ["verify", str(presentation), "--nonce", "other", "--aud", AUD, "--trust", str(trust)],
    )
    assert wrong.exit_code == 1
    assert "REJECTED: This answer was made for a different request" in wrong.output
    assert "[nonce_mismatch]" in wrong.output


def test_verify_offline_without_status_source_fails_closed(issuer, tmp_path):
    presentation = _presentation(issuer, tmp_path, exp=None)
    trust = _trust_file(issuer, tmp_path)
    args = [
        "verify",
        str(presentation),
        "--nonce",
        "n1",
        "--aud",
        AUD,
        "--trust",
        str(trust),
        "--json",
    ]
    refused = runner.invoke(cli.app, args)
    assert refused.exit_code == 1
    assert json.loads(refused.output)["code"] == "status_unavailable"
    accepted = runner.invoke(cli.app, [*args, "--accept-unknown-status"])
    assert json.loads(accepted.output)["status"] == "unknown"


def test_verify_usage_errors(tmp_path):
    missing = runner.invoke(
        cli.app, ["verify", str(tmp_path / "none"), "--nonce", "n", "--aud", "a", "--trust", "t"]
    )
    assert missing.exit_code == 2
    no_trust = tmp_path / "p.txt"
    no_trust.write_text("x~")
    result = runner.invoke(cli.app, ["verify", str(no_trust), "--nonce", "n", "--aud", "a"])
    assert result.exit_code == 2


def test_bundle_round_trip_through_the_cli(issuer, tmp_path, monkeypatch):
    trust = _trust_file(issuer, tmp_path)
    key_path = tmp_path / "authority.jwk"
    created = runner.invoke(cli.app, ["trust", "keygen", "--out", str(key_path)])
    assert created.exit_code == 0
    public_jwk = created.output.strip()
    assert key_path.stat().st_mode & 0o077 == 0
    monkeypatch.setattr(
        common,
        "fetcher",
        lambda dev: Fetcher(transport=issuer.transport(now=lambda: int(time.time()))),
    )
    bundle = tmp_path / "bundle.jwt"
    exported = runner.invoke(
        cli.app,
        [
            "trust",
            "export-bundle",
            "--authority-key",
            str(key_path),
            "--out",
            str(bundle),
            "--file",
            str(trust),
        ],
    )
    assert exported.exit_code == 0, exported.output
    assert "1 issuer(s), 1 status list(s)" in exported.output
    installed = tmp_path / "installed" / "bundle.jwt"
    imported = runner.invoke(
        cli.app,
        [
            "trust",
            "import-bundle",
            str(bundle),
            "--authority-key",
            public_jwk,
            "--to",
            str(installed),
        ],
    )
    assert imported.exit_code == 0, imported.output
    presentation = _presentation(issuer, tmp_path, exp=None)
    ok = runner.invoke(
        cli.app,
        [
            "verify",
            str(presentation),
            "--nonce",
            "n1",
            "--aud",
            AUD,
            "--bundle",
            str(installed),
            "--authority-key",
            public_jwk,
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "(bundle)" in ok.output
    stranger = runner.invoke(
        cli.app,
        [
            "trust",
            "import-bundle",
            str(bundle),
            "--authority-key",
            json.dumps(FakeIssuer().public_key.to_jwk()),
            "--to",
            str(installed),
        ],
    )
    assert stranger.exit_code == 2
    assert "trust_bundle_invalid" in stranger.output


def test_trust_add_list_remove_with_a_file(issuer, tmp_path, monkeypatch):
    monkeypatch.setattr(
        common,
        "fetcher",
        lambda dev: Fetcher(transport=issuer.transport(now=lambda: int(time.time()))),
    )
    trust = tmp_path / "trust.json"
    added = runner.invoke(
        cli.app, ["trust", "add", "--issuer", issuer.url, "--pin-keys", "--file", str(trust)]
    )
    assert added.exit_code == 0, added.output
    assert "1 key(s) pinned" in added.output
    listed = runner.invoke(cli.app, ["trust", "list", "--file", str(trust)])
    assert "foundational-id" in listed.output
    removed = runner.invoke(
        cli.app, ["trust", "remove", "--issuer", issuer.url, "--file", str(trust)]
    )
    assert removed.exit_code == 0
    assert json.loads(trust.read_text())["issuers"] == []


def test_apikeys_and_database_trust(env, issuer, monkeypatch):
    created = runner.invoke(cli.app, ["apikey", "create", "--name", "KYC desk", "--admin"])
    assert created.exit_code == 0, created.output
    key_id = created.output.split("drk_")[1].split("_")[0]
    listed = runner.invoke(cli.app, ["apikey", "list"])
    assert f"{key_id}  KYC desk admin" in listed.output
    assert runner.invoke(cli.app, ["apikey", "revoke", key_id]).exit_code == 0
    assert "REVOKED" in runner.invoke(cli.app, ["apikey", "list"]).output
    assert runner.invoke(cli.app, ["apikey", "revoke", "nope"]).exit_code == 2
    empty = runner.invoke(cli.app, ["trust", "list"])
    assert "no trusted issuers yet" in empty.output
    assert runner.invoke(cli.app, ["trust", "remove", "--issuer", issuer.url]).exit_code == 2


def test_server_refuses_to_start_with_a_missing_trust_file(tmp_path, capsys):
    from verifier.server import run
    from verifier.settings import VerifierSettings

    settings = VerifierSettings(
        public_url="https://verifier.example.bt",
        data_dir=tmp_path,
        trust_file=tmp_path / "absent.json",
    )
    with pytest.raises(SystemExit) as stopped:
        run(settings)
    assert stopped.value.code == 2
    assert "trust_file_unreadable" in capsys.readouterr().err


def test_settings_rules(tmp_path):
    from verifier.settings import VerifierSettings

    with pytest.raises(ValueError, match="https"):
        VerifierSettings(public_url="http://verifier.example.bt", data_dir=tmp_path)
    with pytest.raises(ValueError, match="TRUST_AUTHORITY_KEY"):
        VerifierSettings(public_url="https://v.example.bt", trust_bundle=tmp_path / "b.jwt")
    dev = VerifierSettings(
        mode="development", public_url="http://127.0.0.1:8102/", data_dir=tmp_path
    )
    assert dev.public_url == "http://127.0.0.1:8102"
    assert dev.effective_database_url.endswith("verifier.db")


def test_trust_add_anchor_writes_the_trust_file(tmp_path: Path) -> None:
    pki = DevelopmentPKI.create()
    root = pki.write_root(tmp_path / "root.pem")
    target = tmp_path / "trust.json"
    vct = "https://id.gov.bt/types/foundational-id"
    added = runner.invoke(
        cli.app,
        [
            "trust",
            "add-anchor",
            str(root),
            "--type",
            f"foundational-id={vct}",
            "--name",
            "Druk",
            "--file",
            str(target),
        ],
    )
    assert added.exit_code == 0, added.output
    assert "vouches for issuers of foundational-id" in added.output
    [anchor] = json.loads(target.read_text())["anchors"]
    assert anchor["types"] == {"foundational-id": vct}
    listed = runner.invoke(cli.app, ["trust", "list", "--file", str(target)])
    assert "Druk — certificate authority" in listed.output
    bad = runner.invoke(
        cli.app,
        [
            "trust",
            "add-anchor",
            str(root),
            "--type",
            "nonsense",
            "--name",
            "x",
            "--file",
            str(target),
        ],
    )
    assert bad.exit_code == 2
    assert "TYPE_ID=VCT" in bad.output


def test_request_help_names_every_template_and_readme_lists_them() -> None:
    from verifier.request_templates import load_templates

    shown = runner.invoke(cli.app, ["request", "--help"], terminal_width=400).stdout
    readme = (Path(__file__).resolve().parents[3] / "docs/readme/verifier.md").read_text()
    table = readme.split("### Templates", 1)[1].split("###", 1)[0]
    for template_id in load_templates():
        assert template_id in shown
        assert f"| `{template_id}` |" in table


def test_a_verifier_that_does_not_answer_is_said_in_words() -> None:
    from servicekit.runner import free_port

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = runner.invoke(cli.app, ["request", "--url", url, "--api-key", "drk_x", "--no-wait"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: the verifier at {url} did not answer"
    assert "running" in lines[1]
    assert lines[1].startswith("what to do: ")
    assert lines[-1] == "code: service_unreachable"
    assert "Errno" not in result.output
    assert "ConnectError" not in result.output
