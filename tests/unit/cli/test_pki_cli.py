"""``drukid pki``: files and modes, words on screen, and one error shape for every refusal."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

import credentials.x509.cli as pki_cli
from credentials.x509 import parse_certificates, parse_crl, x509_hash_client_id
from did.keys import PrivateKey
from drukid.cli import app as drukid_app

runner = CliRunner()
NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
ISSUER_ID = "https://health.gov.bt/issuer"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    now = [NOW]
    monkeypatch.setattr(pki_cli, "system_time", lambda: int(now[0].timestamp()))
    return now


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(pki_cli.app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str | Path) -> str:
    code, out, err = run(*args)
    assert code == 0, err
    return out


def refused(code: str, *args: str | Path) -> str:
    exit_code, out, err = run(*args)
    assert exit_code == 1, out
    lines = err.strip().splitlines()
    assert len(lines) == 3, err
    assert lines[0].startswith("error: ")
    assert lines[1].startswith("what to do: ")
    assert lines[2] == f"code: {code}"
    assert "Traceback" not in err + out
    return lines[0]


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    root, ca = tmp_path / "root", tmp_path / "ca"
    ok(
        "create-root",
        "--name",
        "Druk Trust Root 2026",
        "--organization",
        "Druk Digital Identity Agency",
        "--country",
        "BT",
        "--cert",
        f"{root}.pem",
        "--key",
        f"{root}.key.json",
    )
    ok(
        "create-intermediate",
        "--ca-cert",
        f"{root}.pem",
        "--ca-key",
        f"{root}.key.json",
        "--name",
        "Credential Issuing CA 1",
        "--organization",
        "Druk Digital Identity Agency",
        "--country",
        "bt",
        "--cert",
        f"{ca}.pem",
        "--key",
        f"{ca}.key.json",
    )
    ok(
        "issue",
        "--purpose",
        "issuer",
        "--ca-cert",
        f"{ca}.pem",
        "--ca-key",
        f"{ca}.key.json",
        "--name",
        "Health Credentials",
        "--organization",
        "Ministry of Health",
        "--country",
        "BT",
        "--san-uri",
        ISSUER_ID,
        "--san-dns",
        "health.gov.bt",
        "--cert",
        tmp_path / "issuer.pem",
        "--key",
        tmp_path / "issuer.key.json",
        "--chain",
        tmp_path / "issuer-chain.pem",
    )
    ok(
        "issue",
        "--purpose",
        "verifier",
        "--ca-cert",
        f"{ca}.pem",
        "--ca-key",
        f"{ca}.key.json",
        "--name",
        "Account Opening",
        "--organization",
        "Bank of Bhutan",
        "--san-dns",
        "verify.bob.bt",
        "--cert",
        tmp_path / "verifier.pem",
        "--key",
        tmp_path / "verifier.key.json",
        "--chain",
        tmp_path / "verifier-chain.pem",
    )
    return tmp_path


def test_the_pki_group_is_mounted_on_drukid() -> None:
    result = runner.invoke(drukid_app, ["pki", "--help"])
    assert result.exit_code == 0
    for command in ("create-root", "create-intermediate", "issue", "revoke", "inspect", "verify"):
        assert command in result.stdout


def test_private_keys_are_0600_and_never_printed(tmp_path: Path) -> None:
    out = ok(
        "create-root",
        "--name",
        "Root",
        "--cert",
        tmp_path / "r.pem",
        "--key",
        tmp_path / "r.key.json",
    )
    key_file = tmp_path / "r.key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "r.pem").stat().st_mode) == 0o644
    secret = json.loads(key_file.read_text())["d"]
    assert secret not in out
    assert "readable only by you" in out
    assert PrivateKey.load(key_file).public_key == PrivateKey.load(key_file).public_key


def test_files_are_never_overwritten_without_force(tmp_path: Path) -> None:
    args = (
        "create-root",
        "--name",
        "Root",
        "--cert",
        tmp_path / "r.pem",
        "--key",
        tmp_path / "r.key.json",
    )
    ok(*args)
    before = (tmp_path / "r.key.json").read_bytes()
    assert "already exists" in refused("file_exists", *args)
    assert (tmp_path / "r.key.json").read_bytes() == before
    ok(*args, "--force")
    assert (tmp_path / "r.key.json").read_bytes() != before


def test_issued_files_and_chain(pki: Path) -> None:
    leaf = parse_certificates((pki / "issuer.pem").read_bytes())
    chain = parse_certificates((pki / "issuer-chain.pem").read_bytes())
    ca = parse_certificates((pki / "ca.pem").read_bytes())
    assert len(leaf) == 1
    assert chain == (*leaf, *ca)  # leaf then intermediates, never the root
    assert stat.S_IMODE((pki / "issuer.key.json").stat().st_mode) == 0o600


def test_inspect_in_words(pki: Path) -> None:
    out = ok("inspect", pki / "issuer.pem")
    assert "For:" in out
    assert "Ministry of Health — Health Credentials (BT)" in out
    assert "Vouched for by:" in out
    assert "Druk Digital Identity Agency — Credential Issuing CA 1 (BT)" in out
    assert "Valid from:" in out
    assert "1 June 2026 at 09:25 UTC (today)" in out
    assert "Valid until:" in out
    assert "1 June 2027 at 09:30 UTC (in 365 days) — valid now" in out
    assert "sign credentials, requests and attestations" in out
    assert f"Speaks for (URI):       {ISSUER_ID}" in out
    assert "health.gov.bt" in out
    leaf = parse_certificates((pki / "issuer.pem").read_bytes())[0]
    assert x509_hash_client_id(leaf) in out
    assert "x509_san_dns:health.gov.bt" in out


def test_inspect_a_root_and_a_chain(pki: Path, clock: list[dt.datetime]) -> None:
    out = ok("inspect", pki / "root.pem")
    assert "itself (a root" in out
    assert "vouch for other certificates (a certificate authority; one level" in out
    assert "x509_hash client id" not in out
    clock[0] = NOW + dt.timedelta(days=400)
    out = ok("inspect", pki / "issuer-chain.pem")
    assert "Certificate 1 of 2" in out
    assert "Certificate 2 of 2" in out
    assert "EXPIRED" in out
    assert "35 days ago" in out


def test_verify_the_worked_example(pki: Path) -> None:
    out = ok("verify", pki / "issuer-chain.pem", "--anchor", pki / "root.pem", "--iss", ISSUER_ID)
    assert out.startswith("trusted: Ministry of Health — Health Credentials (BT)\n")
    assert (
        "Credential Issuing CA 1 (BT) → Druk Digital Identity Agency — Druk Trust Root 2026" in out
    )
    assert f"{ISSUER_ID} matches" in out
    assert "not checked (no --crl)" in out


def test_verify_client_ids(pki: Path) -> None:
    chain, root = pki / "verifier-chain.pem", pki / "root.pem"
    leaf = parse_certificates((pki / "verifier.pem").read_bytes())[0]
    ok("verify", chain, "--anchor", root, "--client-id", x509_hash_client_id(leaf))
    ok("verify", chain, "--anchor", root, "--client-id", "x509_san_dns:verify.bob.bt")
    refused(
        "x5c_san_mismatch", "verify", chain, "--anchor", root, "--client-id", "x509_san_dns:evil.bt"
    )
    other = parse_certificates((pki / "issuer.pem").read_bytes())[0]
    refused(
        "x509_hash_mismatch",
        "verify",
        chain,
        "--anchor",
        root,
        "--client-id",
        x509_hash_client_id(other),
    )


def test_verify_refusals(pki: Path, tmp_path: Path) -> None:
    chain, root = pki / "issuer-chain.pem", pki / "root.pem"
    refused("x5c_san_mismatch", "verify", chain, "--anchor", root, "--iss", "https://evil.example")
    assert "expired" in refused(
        "x5c_expired", "verify", chain, "--anchor", root, "--at", "2030-01-01"
    )
    refused(
        "x5c_not_yet_valid", "verify", chain, "--anchor", root, "--at", "2026-05-01T00:00:00+00:00"
    )
    refused("x5c_chain_untrusted", "verify", pki / "issuer.pem", "--anchor", root)
    refused("x5c_leaf_is_ca", "verify", pki / "ca.pem", "--anchor", root)
    refused("invalid_option", "verify", chain, "--anchor", root, "--at", "next tuesday")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    refused("x509_certificate_malformed", "verify", garbage, "--anchor", root)
    refused("file_unreadable", "verify", tmp_path / "missing.pem", "--anchor", root)


def test_revoke_and_verify_with_crls(pki: Path, clock: list[dt.datetime]) -> None:
    ca = ("--ca-cert", pki / "ca.pem", "--ca-key", pki / "ca.key.json")
    root = ("--ca-cert", pki / "root.pem", "--ca-key", pki / "root.key.json")
    ca_crl, root_crl = pki / "ca.crl.pem", pki / "root.crl.pem"
    assert "0 revoked certificates" in ok("revoke", *ca, "--crl", ca_crl)
    ok("revoke", *root, "--crl", root_crl)
    verify = (
        "verify",
        pki / "issuer-chain.pem",
        "--anchor",
        pki / "root.pem",
        "--crl",
        ca_crl,
        "--crl",
        root_crl,
    )
    assert "checked against 2 list(s)" in ok(*verify, "--crl-required")
    out = ok(
        "revoke", *ca, "--crl", ca_crl, "--cert", pki / "issuer.pem", "--reason", "key-compromise"
    )
    assert "1 revoked certificate," in out
    assert "next update due 8 June 2026" in out
    assert "was revoked by" in refused("x5c_revoked", *verify)
    # The verifier's certificate is still fine.
    ok(
        "verify",
        pki / "verifier-chain.pem",
        "--anchor",
        pki / "root.pem",
        "--crl",
        ca_crl,
        "--crl",
        root_crl,
    )
    crl = parse_crl(ca_crl.read_bytes())
    leaf = parse_certificates((pki / "issuer.pem").read_bytes())[0]
    assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None


def test_stale_crl(pki: Path, clock: list[dt.datetime]) -> None:
    ca = ("--ca-cert", pki / "ca.pem", "--ca-key", pki / "ca.key.json")
    ok("revoke", *ca, "--crl", pki / "ca.crl.pem", "--days", "2")
    clock[0] = NOW + dt.timedelta(days=3)
    verify = (
        "verify",
        pki / "issuer-chain.pem",
        "--anchor",
        pki / "root.pem",
        "--crl",
        pki / "ca.crl.pem",
    )
    refused("x5c_crl_stale", *verify)
    out = ok(*verify, "--accept-stale-crl")
    assert "Warning:" in out
    assert "out of date" in out
    ok("revoke", *ca, "--crl", pki / "ca.crl.pem")  # re-sign with fresh dates
    ok(*verify)


def test_revoke_by_serial_and_the_wrong_list(pki: Path) -> None:
    ca = ("--ca-cert", pki / "ca.pem", "--ca-key", pki / "ca.key.json")
    root = ("--ca-cert", pki / "root.pem", "--ca-key", pki / "root.key.json")
    assert "Revoked serial 1F." in ok("revoke", *ca, "--crl", pki / "ca.crl.pem", "--serial", "1f")
    before = (pki / "ca.crl.pem").read_bytes()
    refused("crl_not_this_ca", "revoke", *root, "--crl", pki / "ca.crl.pem", "--serial", "5")
    assert (pki / "ca.crl.pem").read_bytes() == before
    ok("revoke", *root, "--crl", pki / "ca.crl.pem", "--serial", "5", "--force")
    assert parse_crl((pki / "ca.crl.pem").read_bytes()).issuer != parse_crl(before).issuer
    refused("invalid_option", "revoke", *ca, "--crl", pki / "x.pem", "--serial", "xyz")
    refused(
        "invalid_option",
        "revoke",
        *ca,
        "--crl",
        pki / "x.pem",
        "--serial",
        "1",
        "--cert",
        pki / "issuer.pem",
    )
    refused("invalid_option", "revoke", *root, "--crl", pki / "x.pem", "--cert", pki / "issuer.pem")


def test_issue_with_an_existing_key(pki: Path, tmp_path: Path) -> None:
    holder = PrivateKey.generate("EdDSA")
    holder.save(tmp_path / "wallet.jwk")
    out = ok(
        "issue",
        "--purpose",
        "wallet-provider",
        "--ca-cert",
        pki / "ca.pem",
        "--ca-key",
        pki / "ca.key.json",
        "--name",
        "Druk Wallet",
        "--use-key",
        tmp_path / "wallet.jwk",
        "--cert",
        tmp_path / "wallet.pem",
    )
    assert "private key:" not in out
    assert not (tmp_path / "wallet-provider.key.json").exists()
    cert = parse_certificates((tmp_path / "wallet.pem").read_bytes())[0]
    assert cert.public_key() == holder.key.public_key()


def test_issue_refusals(pki: Path, tmp_path: Path) -> None:
    ca = ("--ca-cert", pki / "ca.pem", "--ca-key", pki / "ca.key.json")
    out = tmp_path / "x.pem"
    refused(
        "x509_build_invalid", "issue", "--purpose", "verifier", *ca, "--name", "V", "--cert", out
    )
    refused(
        "x509_build_invalid",
        "issue",
        "--purpose",
        "issuer",
        *ca,
        "--name",
        "I",
        "--san-uri",
        "http://a.bt",
        "--cert",
        out,
    )
    assert "--days" in refused(
        "x509_build_invalid",
        "issue",
        "--purpose",
        "wallet-provider",
        *ca,
        "--name",
        "W",
        "--days",
        "4000",
        "--cert",
        out,
    )
    refused(
        "invalid_option",
        "issue",
        "--purpose",
        "wallet-provider",
        *ca,
        "--name",
        "W",
        "--days",
        "0",
        "--cert",
        out,
    )
    refused(
        "x509_build_invalid",
        "issue",
        "--purpose",
        "wallet-provider",
        *ca,
        "--name",
        "W",
        "--country",
        "Bhutan",
        "--cert",
        out,
    )
    refused(
        "invalid_key",
        "issue",
        "--purpose",
        "wallet-provider",
        "--ca-cert",
        pki / "ca.pem",
        "--ca-key",
        pki / "ca.pem",
        "--name",
        "W",
        "--cert",
        out,
    )
    refused(
        "x509_build_invalid",
        "issue",
        "--purpose",
        "wallet-provider",
        "--ca-cert",
        pki / "ca.pem",
        "--ca-key",
        pki / "root.key.json",
        "--name",
        "W",
        "--cert",
        out,
    )
    refused(
        "x509_build_invalid",
        "issue",
        "--purpose",
        "wallet-provider",
        "--ca-cert",
        pki / "issuer.pem",
        "--ca-key",
        pki / "issuer.key.json",
        "--name",
        "W",
        "--cert",
        out,
    )
    assert not out.exists()
