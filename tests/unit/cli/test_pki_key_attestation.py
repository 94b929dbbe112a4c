"""``drukid pki key-attestation``: a development key attestation that the issuer's verifier
(:func:`credentials.oauth.key_attestation.verify_key_attestation`) accepts, and refusals in the
one error shape."""

from __future__ import annotations

from pathlib import Path

from credentials.oauth.key_attestation import SOFTWARE_KEY_STORAGE, verify_key_attestation
from credentials.x509 import TrustAnchor, parse_certificates
from did.keys import PrivateKey
from tests.unit.cli.test_pki_cli import NOW, clock, ok, pki, refused  # noqa: F401

T = int(NOW.timestamp())


def _provider(pki: Path) -> tuple[Path, Path]:  # noqa: F811
    tmp = pki
    ok(
        "issue",
        "--purpose",
        "wallet-provider",
        "--ca-cert",
        tmp / "ca.pem",
        "--ca-key",
        tmp / "ca.key.json",
        "--name",
        "Druk Wallet keys",
        "--cert",
        tmp / "wp.pem",
        "--key",
        tmp / "wp.key.json",
        "--chain",
        tmp / "wp-chain.pem",
    )
    return tmp / "wp-chain.pem", tmp / "wp.key.json"


def _holder(path: Path) -> tuple[PrivateKey, Path]:
    key = PrivateKey.generate()
    path.write_text(__import__("json").dumps(key.public_key.to_jwk()))
    return key, path


def test_key_attestation_verifies(pki: Path) -> None:  # noqa: F811
    chain, key = _provider(pki)
    holder, holder_file = _holder(pki / "holder.json")
    token = ok(
        "key-attestation",
        "--cert",
        chain,
        "--key",
        key,
        "--attest",
        holder_file,
        "--nonce",
        "c-nonce-1",
    ).strip()
    anchors = [TrustAnchor(c) for c in parse_certificates((pki / "root.pem").read_bytes())]
    verified = verify_key_attestation(
        token,
        anchors=anchors,
        now=T,
        leeway=60,
        algorithms=["ES256"],
        expected_nonce="c-nonce-1",
        exp_required=True,
    )
    assert verified.keys == (holder.public_key,)
    assert verified.key_storage == (SOFTWARE_KEY_STORAGE,)
    assert verified.exp == T + 3600


def test_key_attestation_to_a_file_with_levels(pki: Path) -> None:  # noqa: F811
    chain, key = _provider(pki)
    _, holder_file = _holder(pki / "holder.json")
    out = pki / "ka.jwt"
    said = ok(
        "key-attestation",
        "--cert",
        chain,
        "--key",
        key,
        "--attest",
        holder_file,
        "--key-storage",
        "iso_18045_high",
        "--user-authentication",
        "iso_18045_moderate",
        "--out",
        out,
    )
    assert "written to" in said
    assert out.read_text().count(".") == 2
    refused("file_exists", "key-attestation", "--cert", chain, "--key", key, "--attest",
            holder_file, "--out", out)  # fmt: skip


def test_key_attestation_refusals(pki: Path) -> None:  # noqa: F811
    chain, key = _provider(pki)
    bad = pki / "bad.json"
    bad.write_text('{"kty": "EC"}')
    refused("invalid_key", "key-attestation", "--cert", chain, "--key", key, "--attest", bad)
    refused("invalid_option", "key-attestation", "--cert", pki / "root.pem", "--key", key,
            "--attest", bad)  # fmt: skip
    refused("invalid_option", "key-attestation", "--cert", chain, "--key", key, "--attest", bad,
            "--minutes", "0")  # fmt: skip
