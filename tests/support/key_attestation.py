"""A development wallet-provider PKI for key attestation tests: a root, a wallet-provider CA
(the anchor issuers configure, surprise 10 of docs/dev/haip-issuance.md) and a signing leaf."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.oauth.key_attestation import make_key_attestation
from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
    encode_x5c,
)
from did.keys import PrivateKey, PublicKey

__all__ = ["WalletProvider", "make_wallet_provider"]


@dataclass(frozen=True)
class WalletProvider:
    root: x509.Certificate
    ca: x509.Certificate
    leaf: x509.Certificate
    key: PrivateKey

    @property
    def x5c(self) -> list[str]:
        return encode_x5c([self.leaf, self.ca])

    def write_anchor(self, path: Path) -> Path:
        path.write_bytes(self.ca.public_bytes(Encoding.PEM))
        return path

    def write_chain(self, path: Path) -> Path:
        path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in (self.leaf, self.ca)))
        return path

    def attest(
        self,
        keys: list[PublicKey],
        *,
        nonce: str | None,
        now: int,
        key_storage: tuple[str, ...] = ("iso_18045_high",),
        exp: int | None = 0,
        **extra: object,
    ) -> str:
        return make_key_attestation(
            self.key,
            self.x5c,
            keys,
            iat=now - 5,
            exp=now + 600 if exp == 0 else exp,
            key_storage=key_storage,
            nonce=nonce,
            **extra,  # type: ignore[arg-type]
        )


def make_wallet_provider(name: str = "Druk Wallet") -> WalletProvider:
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    root_key, ca_key, leaf_key = (PrivateKey.generate() for _ in range(3))
    root = create_root_ca(
        root_key,
        CertificateName(f"{name} Root", "Wallet Provider", "BT"),
        not_before=now - day,
        not_after=now + 365 * day,
    )
    ca = create_intermediate_ca(
        ca_key.public_key,
        CertificateName(f"{name} Provider CA", "Wallet Provider", "BT"),
        issuer_cert=root,
        issuer_key=root_key,
        not_before=now - day,
        not_after=now + 300 * day,
    )
    leaf = create_leaf(
        LeafPurpose.WALLET_PROVIDER,
        leaf_key.public_key,
        CertificateName(f"{name} key attestations", "Wallet Provider", "BT"),
        issuer_cert=ca,
        issuer_key=ca_key,
        not_before=now - day,
        not_after=now + 200 * day,
    )
    return WalletProvider(root, ca, leaf, leaf_key)
