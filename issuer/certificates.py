"""The issuer's signing certificates (HAIP 1.0 §6.1.1: every SD-JWT VC, §6.1: every status list
token carries ``x5c``): reading a chain from PEM, and the checks a chain passes before the
issuer signs with it.

A chain is accepted for a key when :func:`credentials.x509.check_signing_chain` passes (the key's
own certificate first, then its intermediates, never the root, each valid now, not a CA, not
self-signed) and the certificate names this issuer (drukid's rule,
:func:`credentials.x509.verify_leaf_issuer_name`: SAN URI = the credential issuer identifier, or a
dNSName SAN = its host). With configured anchors (``DRUKID_ISSUER_X509_ANCHOR_FILES``) the
whole path is also validated as a wallet would, so a chain that wallets will refuse never
signs a credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from credentials.errors import X509Error
from credentials.x509 import (
    SigningChain,
    TrustAnchor,
    check_signing_chain,
    parse_certificates,
    verify_leaf_issuer_name,
)
from did.keys import PublicKey
from issuer.errors import ConfigurationError, InvalidRequestError

__all__ = ["check_issuer_chain", "parse_chain_text", "read_anchors", "read_chain"]


def parse_chain_text(text: str | bytes) -> tuple[x509.Certificate, ...]:
    """Certificates from PEM text (an operator's upload): ``InvalidRequestError`` otherwise."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        return parse_certificates(data)
    except X509Error as exc:
        raise InvalidRequestError(
            f"the certificate chain cannot be read: {exc.message}", code=exc.code
        ) from exc


def read_chain(path: Path) -> tuple[x509.Certificate, ...]:
    """Certificates from a PEM file (settings): ``ConfigurationError`` otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the signing certificate chain {path}: {exc.strerror}",
            code="signing_certificate_invalid",
        ) from exc
    try:
        return parse_certificates(data)
    except X509Error as exc:
        raise ConfigurationError(
            f"{path} is not a PEM certificate chain: {exc.message}",
            code="signing_certificate_invalid",
        ) from exc


def read_anchors(paths: Sequence[Path]) -> tuple[TrustAnchor, ...]:
    """The roots (or intermediates) the issuer checks its own chain against."""
    anchors: list[TrustAnchor] = []
    for path in paths:
        anchors.extend(TrustAnchor(cert, label=path.name) for cert in read_chain(path))
    return tuple(anchors)


def check_issuer_chain(
    certificates: Sequence[x509.Certificate],
    public_key: PublicKey,
    *,
    issuer_url: str,
    now: int,
    anchors: Sequence[TrustAnchor] = (),
    development: bool = False,
) -> SigningChain:
    """The checked chain for signing as ``issuer_url`` with ``public_key``, or
    :class:`InvalidRequestError` with the certificate rule's own code (``x5c_key_mismatch``,
    ``x5c_san_mismatch``, ``x5c_expired``, ``x5c_contains_anchor``, ...)."""
    try:
        chain = check_signing_chain(certificates, public_key, time=now, anchors=anchors)
        verify_leaf_issuer_name(chain.leaf, issuer_url, allow_insecure_http=development)
    except X509Error as exc:
        raise InvalidRequestError(
            f"this certificate chain cannot sign for {issuer_url}: {exc.message}", code=exc.code
        ) from exc
    return chain
