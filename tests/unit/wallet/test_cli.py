"""``drukid wallet`` end to end through the command line (in-process test doubles)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import wallet.commands.common
import wallet.holder
import wallet.runtime
from credentials.status_list import STATUS_INVALID
from did.fetch import Fetcher, FetchPolicy
from drukid.devpki import DevelopmentPKI
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer
from wallet.cli import app

PASS = "correct horse battery"


@pytest.fixture
def cli(
    tmp_path: Path,
    transport: httpx.MockTransport,
    issuer: FakeIssuer,
    verifier: FakeVerifier,
    monkeypatch: pytest.MonkeyPatch,
) -> CliRunner:
    issuer.now = verifier.now = int(time.time())  # the CLI runs on the real clock

    def fetcher(policy: FetchPolicy | None = None) -> Fetcher:
        return Fetcher(policy or FetchPolicy(), transport=transport)

    monkeypatch.setattr(wallet.runtime, "Fetcher", fetcher)
    for name in ("DRUKID_WALLET_MODE", "DRUKID_WALLET_NEW_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DRUKID_WALLET_PATH", str(tmp_path / "w" / "wallet.db"))
    monkeypatch.setenv("DRUKID_WALLET_PASSPHRASE", PASS)
    monkeypatch.setenv("DRUKID_WALLET_BACKUP_PASSPHRASE", "backup passphrase!")
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0, stdin: str | None = None) -> str:
    result = cli.invoke(app, list(args), input=stdin)
    output = result.output
    assert result.exit_code == code, output
    assert "Traceback" not in output
    return output


def test_the_citizen_walkthrough(
    cli: CliRunner, issuer: FakeIssuer, verifier: FakeVerifier, tmp_path: Path
) -> None:
    assert "Your wallet is ready" in run(cli, "init")
    assert "Your wallet is empty" in run(cli, "list")
    out = run(cli, "receive", issuer.offer(tx_code="4321"), "--tx-code", "4321")
    assert "National ID" in out
    out = run(cli, "list")
    assert "National ID" in out
    assert "5 of 5" in out
    wallet_id = next(iter(_ids(tmp_path)))
    out = run(cli, "show", wallet_id[:8])
    assert "Karma Wangmo" in out
    assert "you choose" in out
    link, session_id = verifier.create_request(
        query(issuer.vct("foundational-id"), ["full_name"], ["age_over_18"])
    )
    out = run(cli, "present", link, stdin="n\n")
    assert "Who is asking: Bhutan National Bank" in out
    assert "Stays hidden:" in out
    assert "You refused. Nothing was shared." in out
    assert verifier.sessions[session_id].error == "access_denied"
    link, session_id = verifier.create_request(
        query(issuer.vct("foundational-id"), ["full_name"], ["age_over_18"])
    )
    out = run(cli, "present", link, "--yes")
    assert "Shared with Bhutan National Bank" in out
    assert "response_code=abc" in out
    assert verifier.sessions[session_id].result is not None
    out = run(cli, "history")
    assert "refused" in out
    assert "shared" in out
    export = tmp_path / "history.json"
    run(cli, "history", "--export", str(export))
    assert [e["outcome"] for e in json.loads(export.read_text())] == ["refused", "shared"]
    run(cli, "history", "--export", str(tmp_path / "h.csv"), "--format", "csv")
    run(cli, "trust", "add", verifier.client_id, "My bank")
    assert "My bank" in run(cli, "trust", "list")
    backup = tmp_path / "backup.drukid"
    assert "Backup written" in run(cli, "export", str(backup))
    other = tmp_path / "other" / "wallet.db"
    out = run(cli, "import", str(backup), "--wallet", str(other))
    assert "Restored 1 credential and your history" in out
    assert "National ID" in run(cli, "list", "--wallet", str(other))
    assert "Deleted" in run(cli, "delete", wallet_id[:8], "--yes")
    assert "Your wallet is empty" in run(cli, "list")


def _ids(tmp_path: Path) -> list[str]:
    with wallet.holder.Wallet.open(tmp_path / "w" / "wallet.db", PASS) as opened:
        return list(opened.catalog.credentials)


def test_passwd(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    run(cli, "init")
    monkeypatch.setenv("DRUKID_WALLET_NEW_PASSPHRASE", "the new passphrase")
    assert "Passphrase changed" in run(cli, "passwd")
    out = run(cli, "list", code=1)
    assert "error: the passphrase is not right" in out
    monkeypatch.setenv("DRUKID_WALLET_PASSPHRASE", "the new passphrase")
    run(cli, "list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("list",), "there is no wallet at"),
        (("receive", "openid-credential-offer://?x=1"), "there is no wallet at"),
    ],
)
def test_errors_say_what_to_do(cli: CliRunner, args: tuple[str, ...], message: str) -> None:
    out = run(cli, *args, code=1)
    assert f"error: {message}" in out
    assert "what to do: Create a wallet first" in out


def test_bad_input_is_explained(cli: CliRunner, issuer: FakeIssuer) -> None:
    run(cli, "init")
    out = run(cli, "init", code=1)
    assert "already exists" in out
    out = run(cli, "receive", "openid-credential-offer://?nothing=here", code=1)
    assert "what to do: The offer could not be read" in out
    out = run(cli, "receive", issuer.offer(tx_code="1234"), code=1)
    assert "--tx-code" in out
    issuer.faults.add("tampered")
    out = run(cli, "receive", issuer.offer(), code=1)
    assert "failed verification" in out
    out = run(cli, "show", "nope", code=1)
    assert "wallet list" in out
    out = run(cli, "present", "openid4vp://?client_id=x", code=1)
    assert "error:" in out


def test_bad_settings_are_explained(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUKID_WALLET_MODE", "yolo")
    out = run(cli, "list", code=1)
    assert "DRUKID_WALLET_ setting is not valid" in out


def test_status_checks_now_and_list_shows_the_last_check(
    cli: CliRunner, issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer.with_status = True
    # one line per row, to search the words
    monkeypatch.setattr(wallet.commands.common.out, "width", 160)
    run(cli, "init")
    assert "Your wallet is empty" in run(cli, "status")
    run(cli, "receive", issuer.offer())
    assert "Not checked yet" in run(cli, "list")
    out = run(cli, "status")
    assert "Valid" in out
    assert "as of" in out
    issuer.set_status(STATUS_INVALID)
    [item] = json.loads(run(cli, "status", "--json"))
    assert item["status"] == "revoked"
    assert item["as_of"] == issuer.now
    assert item["words"] == "Revoked"
    issuer.faults.add("status_down")
    out = run(cli, "status", item["id"][:8])
    assert "Revoked" in out
    assert "could not be reached" in out
    assert "last known status is shown" in out

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("'wallet list' must not use the network")

    monkeypatch.setattr(wallet.runtime, "Fetcher", no_network)
    assert "Revoked" in run(cli, "list")
    out = run(cli, "status", "0000", code=1)
    assert "error: there is no credential '0000'" in out
    assert "what to do: Run 'drukid wallet list'" in out
    assert "code: credential_not_found" in out


def test_trust_roots_from_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    pki = DevelopmentPKI.create()
    root = pki.write_root(tmp_path / "root.pem")
    run(cli, "init")
    assert "trusts no certificate authority yet" in run(cli, "trust", "roots")
    added = run(cli, "trust", "add-root", str(root), "--name", "Druk Trust Root")
    assert "Your wallet now trusts drukid development PKI" in added
    fingerprint = added.split("Fingerprint (SHA-256): ", 1)[1].split()[0]
    listed = run(cli, "trust", "roots")
    assert "added" in listed
    assert f"fingerprint: {fingerprint}" in listed
    refused = run(cli, "trust", "add-root", str(tmp_path / "missing.pem"), code=1)
    assert "trust_root_invalid" in refused
    assert "Removed." in run(cli, "trust", "remove-root", fingerprint)
    assert "trust_root_not_found" in run(cli, "trust", "remove-root", fingerprint, code=1)


def test_no_terminal_for_the_passphrase_is_a_plain_error(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUKID_WALLET_")}
    env["DRUKID_WALLET_PATH"] = str(tmp_path / "w" / "wallet.db")
    drukid = [sys.executable, "-c", "from drukid.cli import main; main()", "wallet"]
    made = subprocess.run(
        [*drukid, "init"],
        env={**env, "DRUKID_WALLET_PASSPHRASE": PASS},
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    # No controlling terminal and no stdin: getpass would warn and read the secret in the clear.
    done = subprocess.run(
        [*drukid, "list"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
    )
    assert done.returncode == 1
    assert "GetPassWarning" not in done.stderr
    assert "Warning" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: there is no terminal to type the secret in")
    assert "DRUKID_WALLET_PASSPHRASE" in lines[1]
    assert lines[-1] == "code: passphrase_needed"


def test_citizenship_reads_as_the_countrys_name(cli: CliRunner, issuer: FakeIssuer) -> None:
    run(cli, "init")
    run(cli, "receive", issuer.offer())
    [credential_id] = [line.split("│")[1].strip() for line in run(cli, "list").splitlines()
                       if "National ID" in line]  # fmt: skip
    shown = run(cli, "show", credential_id)
    assert "Bhutan (BT)" in shown
    assert "│ BT " not in shown


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", b"%!PS-Adobe-3.0 EPSF-3.0\n"],
    ids=["truncated png", "eps"],
)
def test_an_unreadable_photo_is_the_plain_error(
    cli: CliRunner, tmp_path: Path, content: bytes
) -> None:
    """Issue 15, finding 6: a truncated PNG was "unexpected (SyntaxError)"; EPS was opened."""
    run(cli, "init")
    photo = tmp_path / "offer.png"
    photo.write_bytes(content)
    for command in ("receive", "present"):
        out = run(cli, command, str(photo), code=1)
        assert "could not read the photo" in out
        assert "unexpected" not in out
