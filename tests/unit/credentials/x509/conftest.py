"""A small national PKI for the X.509 tests, made with drukid's own builder, plus ``craft`` for
certificates the builder refuses to make (the only way to test what validation refuses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    TrustAnchor,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
)
from did.keys import EDDSA, PrivateKey

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
ISSUER_ID = "https://health.gov.bt/issuer"


@dataclass(frozen=True)
class Pki:
    root_key: PrivateKey
    root: x509.Certificate
    ca_key: PrivateKey
    ca: x509.Certificate
    issuer_key: PrivateKey
    issuer: x509.Certificate
    verifier_key: PrivateKey
    verifier: x509.Certificate
    wallet_key: PrivateKey
    wallet: x509.Certificate

    @property
    def anchors(self) -> list[TrustAnchor]:
        return [TrustAnchor(self.root)]


def make_pki() -> Pki:
    root_key, ca_key = PrivateKey.generate(), PrivateKey.generate()
    root = create_root_ca(
        root_key,
        CertificateName("Druk Trust Root 2026", "Druk Digital Identity Agency", "BT"),
        not_before=NOW - 365 * DAY,
        not_after=NOW + 3650 * DAY,
    )
    ca = create_intermediate_ca(
        ca_key.public_key,
        CertificateName("Credential Issuing CA 1", "Druk Digital Identity Agency", "BT"),
        issuer_cert=root,
        issuer_key=root_key,
        not_before=NOW - 300 * DAY,
        not_after=NOW + 1800 * DAY,
    )
    issuer_key, verifier_key = PrivateKey.generate(), PrivateKey.generate()
    wallet_key = PrivateKey.generate(EDDSA)
    common = {"issuer_cert": ca, "issuer_key": ca_key}
    window = {"not_before": NOW - 30 * DAY, "not_after": NOW + 335 * DAY}
    issuer = create_leaf(
        LeafPurpose.ISSUER,
        issuer_key.public_key,
        CertificateName("Health Credentials", "Ministry of Health", "BT"),
        san_uris=[ISSUER_ID],
        san_dns=["health.gov.bt"],
        **common,
        **window,
    )
    verifier = create_leaf(
        LeafPurpose.VERIFIER,
        verifier_key.public_key,
        CertificateName("Account Opening", "Bank of Bhutan", "BT"),
        san_dns=["verify.bob.bt"],
        **common,
        **window,
    )
    wallet = create_leaf(
        LeafPurpose.WALLET_PROVIDER,
        wallet_key.public_key,
        CertificateName("Druk Wallet", "Druk Digital Identity Agency", "BT"),
        **common,
        **window,
    )
    return Pki(
        root_key, root, ca_key, ca, issuer_key, issuer, verifier_key, verifier, wallet_key, wallet
    )


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki()


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


SIGN_ONLY = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
CA_USAGE = x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def craft(
    *,
    subject: str = "Crafted Leaf",
    key: PrivateKey | None = None,
    issuer: x509.Certificate | None = None,
    issuer_key: PrivateKey | None = None,
    ca: bool = False,
    key_usage: x509.KeyUsage | None = SIGN_ONLY,
    san: Sequence[x509.GeneralName] = (x509.DNSName("crafted.gov.bt"),),
    not_before: dt.datetime = NOW - 10 * DAY,
    not_after: dt.datetime = NOW + 10 * DAY,
    extra: Sequence[x509.Extension[x509.ExtensionType]] = (),
    raw_key: ec.EllipticCurvePrivateKey | None = None,
) -> x509.Certificate:
    """A certificate with exactly the given properties; self-signed when no issuer is given."""
    public = (
        raw_key.public_key()
        if raw_key is not None
        else (key or PrivateKey.generate()).key.public_key()
    )
    signer = issuer_key.key if issuer_key is not None else (raw_key or (key.key if key else None))
    if signer is None:
        raise ValueError("a self-signed crafted certificate needs key= or raw_key=")
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer is not None else _name(subject))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(san)), critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),
            critical=False,
        )
    for extension in extra:
        builder = builder.add_extension(extension.value, critical=extension.critical)
    return builder.sign(signer, hashes.SHA256())
