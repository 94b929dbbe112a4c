"""The wallet providers this issuer trusts, from files named in the settings: CA certificates
(PEM) that wallet attestations' ``x5c`` chains must reach, and a JWK set for providers that
sign with a ``kid``. A file that cannot be read stops the start with a plain message."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.encoding import EncodingError, parse_json
from credentials.errors import CredentialError
from credentials.x509 import TrustAnchor, parse_certificates
from did.errors import DIDError
from did.keys import PublicKey
from issuer.errors import ConfigurationError

__all__ = ["load_provider_anchors", "load_provider_keys"]


def load_provider_anchors(paths: Sequence[Path]) -> list[TrustAnchor]:
    anchors: list[TrustAnchor] = []
    for path in paths:
        try:
            certificates = parse_certificates(path.read_bytes())
        except (OSError, CredentialError) as exc:
            raise ConfigurationError(
                f"the wallet-provider certificate file {path} cannot be used: {exc}",
                code="wallet_provider_anchor_invalid",
            ) from exc
        anchors.extend(TrustAnchor(cert, label=path.name) for cert in certificates)
    return anchors


def load_provider_keys(path: Path | None) -> dict[str, PublicKey]:
    if path is None:
        return {}
    try:
        document = parse_json(path.read_bytes())
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise ValueError('the file must be a JWK set {"keys": [...]}')
        out: dict[str, PublicKey] = {}
        for jwk in keys:
            if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
                raise ValueError("every key needs a kid")
            out[jwk["kid"]] = PublicKey.from_jwk(jwk)
    except (OSError, EncodingError, ValueError, DIDError) as exc:
        raise ConfigurationError(
            f"the wallet-provider key file {path} cannot be used: {exc}",
            code="wallet_provider_keys_invalid",
        ) from exc
    return out
