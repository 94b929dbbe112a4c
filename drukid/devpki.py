"""A development PKI for ``drukid demo`` and the tests: a root CA that stands in for the national
digital-identity agency, one intermediate ("credential and request signing CA"), and leaf
certificates for an issuer's signing key and a verifier's request-signing key, made with
:mod:`credentials.x509` the way ``drukid pki`` makes them.

**Development only**: the root's private key is made on this machine and kept in the demo's data
folder, so anyone who can read that folder can mint certificates the demo trusts. A real
deployment uses the agency's root (``drukid pki create-root``, its key kept offline), never this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.errors import CredentialError
from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
    parse_certificates,
)
from did.errors import DIDError
from did.files import atomic_write
from did.keys import ES256, PrivateKey, PublicKey

__all__ = ["DevelopmentPKI", "pem"]

ORGANIZATION = "drukid development PKI"


def pem(certificates: Sequence[x509.Certificate]) -> bytes:
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certificates)


@dataclass(frozen=True, slots=True)
class DevelopmentPKI:
    """Root → intermediate, both ES256; :meth:`issue` makes leaves under the intermediate."""

    root: x509.Certificate
    root_key: PrivateKey
    intermediate: x509.Certificate
    intermediate_key: PrivateKey
    now: dt.datetime

    @classmethod
    def create(cls, *, now: dt.datetime | None = None, days: int = 30) -> DevelopmentPKI:
        # Certificates keep whole seconds: a start with microseconds would outlive its CA.
        start = ((now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)).replace(microsecond=0)
        end = start + dt.timedelta(days=days)
        root_key = PrivateKey.generate(ES256)
        root = create_root_ca(
            root_key,
            CertificateName("drukid development root (not for real use)", ORGANIZATION, "BT"),
            not_before=start,
            not_after=end,
        )
        intermediate_key = PrivateKey.generate(ES256)
        intermediate = create_intermediate_ca(
            intermediate_key.public_key,
            CertificateName("drukid development signing CA", ORGANIZATION, "BT"),
            issuer_cert=root,
            issuer_key=root_key,
            not_before=start,
            not_after=end,
        )
        return cls(root, root_key, intermediate, intermediate_key, start)

    def issue(
        self,
        purpose: LeafPurpose,
        key: PublicKey,
        *,
        name: str,
        organization: str,
        san_uris: Sequence[str] = (),
        san_dns: Sequence[str] = (),
        days: int = 7,
        not_before: dt.datetime | None = None,
    ) -> tuple[x509.Certificate, ...]:
        """A leaf for ``key``, and its chain for ``x5c``: ``(leaf, intermediate)``, no root.
        ``http://`` SAN URIs are allowed here (the demo's issuer is ``http://127.0.0.1``)."""
        start = not_before or self.now
        leaf = create_leaf(
            purpose,
            key,
            CertificateName(name, organization, "BT"),
            issuer_cert=self.intermediate,
            issuer_key=self.intermediate_key,
            not_before=start,
            not_after=min(start + dt.timedelta(days=days), self.intermediate.not_valid_after_utc),
            san_uris=san_uris,
            san_dns=san_dns,
            allow_insecure_http_san=True,
        )
        return leaf, self.intermediate

    @classmethod
    def open(cls, directory: Path, *, days: int = 365) -> DevelopmentPKI:
        """The development PKI kept in ``directory`` (made there on first use, and again when
        it is damaged or has less than a day left), so that a demo run with the same data
        folder keeps trusting what an earlier run issued."""
        files = {
            name: directory / name
            for name in ("root.pem", "root.key.jwk", "intermediate.pem", "intermediate.key.jwk")
        }
        if all(path.exists() for path in files.values()):
            try:
                [root] = parse_certificates(files["root.pem"].read_bytes())
                [intermediate] = parse_certificates(files["intermediate.pem"].read_bytes())
                pki = cls(
                    root,
                    PrivateKey.load(files["root.key.jwk"]),
                    intermediate,
                    PrivateKey.load(files["intermediate.key.jwk"]),
                    dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5),
                )
                left = intermediate.not_valid_after_utc - dt.datetime.now(dt.UTC)
                if left > dt.timedelta(days=1):
                    return pki
            except (CredentialError, DIDError, OSError, ValueError):
                pass  # made again below
        pki = cls.create(days=days)
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        pki.write_root(files["root.pem"])
        pki.write_chain(files["intermediate.pem"], [pki.intermediate])
        pki.root_key.save(files["root.key.jwk"])
        pki.intermediate_key.save(files["intermediate.key.jwk"])
        return pki

    def write_root(self, path: Path) -> Path:
        """The root certificate (public) as PEM: what wallets and verifiers trust."""
        return atomic_write(path, pem([self.root]), mode=0o644)

    @staticmethod
    def write_chain(path: Path, chain: Sequence[x509.Certificate]) -> Path:
        return atomic_write(path, pem(chain), mode=0o644)
