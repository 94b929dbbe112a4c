"""One's own signing certificate: the chain an issuer puts in ``x5c`` of its credentials and
status list tokens, or a verifier in ``x5c`` of its request objects (HAIP 1.0 §5, §6.1, §6.1.1).

:func:`check_signing_chain` is what an issuer or verifier runs before its first signature with a
chain (at start-up, on key rotation, when a certificate is renewed), so a mistake shows up as
one clear refusal for the operator rather than as every wallet's refusal later:

* the chain is the signing certificate first, then its intermediates, **never the trust
  anchor** (HAIP: "the X.509 certificate of the trust anchor MUST NOT be included in the x5c
  JOSE header"); a self-signed certificate in it is refused (``x5c_contains_anchor``);
* the signing certificate certifies *this* key (``x5c_key_mismatch``), is not self-signed
  (``x5c_self_signed_leaf``: "MUST NOT be self-signed"), not a CA (``x5c_leaf_is_ca``) and
  allows ``digitalSignature`` (``x5c_key_usage``);
* every certificate is inside its validity period at ``time`` (``x5c_expired``,
  ``x5c_not_yet_valid``): a credential signed with an expired certificate is refused by every
  wallet and verifier;
* each certificate is signed by the next one (``x5c_chain_broken``);
* with ``anchors``, the whole path is validated as a wallet would
  (:func:`~credentials.x509.chain.validate_x5c`).

Pure: the certificates, the key and the time are passed in.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from credentials.errors import X509Error
from credentials.x509.certificates import MAX_X5C_CERTIFICATES, CertificateName, encode_x5c
from credentials.x509.chain import (
    TrustAnchor,
    ValidatedChain,
    _basic_ca,
    _check_leaf,
    _check_window,
    _leaf_key,
    _self_signed,
    _utc,
    _who,
    validate_x5c,
)
from did.keys import PublicKey

__all__ = ["SigningChain", "check_signing_chain"]


@dataclass(frozen=True, slots=True)
class SigningChain:
    """A checked chain for one's own key: ``x5c`` is what goes into the JOSE header."""

    certificates: tuple[x509.Certificate, ...]
    validated: ValidatedChain | None = None

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[0]

    @property
    def x5c(self) -> list[str]:
        return encode_x5c(self.certificates)

    @property
    def subject(self) -> CertificateName:
        return CertificateName.from_x509(self.leaf.subject)

    @property
    def not_after(self) -> int:
        """When the shortest-lived certificate of the chain expires (UNIX seconds)."""
        return min(int(c.not_valid_after_utc.timestamp()) for c in self.certificates)


def check_signing_chain(
    certificates: Sequence[x509.Certificate],
    public_key: PublicKey,
    *,
    time: dt.datetime | int,
    anchors: Sequence[TrustAnchor] = (),
) -> SigningChain:
    """Check that ``certificates`` (leaf first) may go into ``x5c`` for ``public_key`` at
    ``time``; raise :class:`~credentials.errors.X509Error` with the reason's own code."""
    chain = tuple(certificates)
    if not chain or not all(isinstance(c, x509.Certificate) for c in chain):
        raise X509Error("the certificate chain is empty", code="x5c_malformed")
    if len(chain) > MAX_X5C_CERTIFICATES:
        raise X509Error(
            f"the chain has more than {MAX_X5C_CERTIFICATES} certificates", code="x5c_too_large"
        )
    at = _utc(time)
    leaf = chain[0]
    _check_leaf(leaf, ())
    if _leaf_key(leaf).thumbprint() != public_key.thumbprint():
        raise X509Error(
            f"the signing certificate is for another key than {public_key.thumbprint()}; issue "
            "one for this key (drukid pki issue --use-key)",
            code="x5c_key_mismatch",
        )
    for cert in chain[1:]:
        if _self_signed(cert):
            raise X509Error(
                f"the chain includes {_who(cert)}, a root (self-signed); leave the trust anchor "
                "out of the chain: wallets and verifiers have it already",
                code="x5c_contains_anchor",
            )
        if not _basic_ca(cert):
            raise X509Error(
                f"{_who(cert)} in the chain is not a certificate authority",
                code="x5c_chain_broken",
            )
    _check_window(leaf, at, "the signing certificate")
    for cert in chain[1:]:
        _check_window(cert, at, _who(cert))
    for child, parent in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm) as exc:
            raise X509Error(
                f"{_who(child)} is not issued by the next certificate in the chain; put the "
                "signing certificate first, then each intermediate in order",
                code="x5c_chain_broken",
            ) from exc
    validated = validate_x5c(list(chain), anchors, time=at) if anchors else None
    return SigningChain(chain, validated)
