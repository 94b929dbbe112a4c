"""Validating an ``x5c`` chain to configured trust anchors (HAIP 1.0 §4.5.1, §5, §6.1.1).

HAIP 1.0 finds issuer keys through ``x5c``: the issuer-signed JWT of an SD-JWT VC, a signed
OpenID4VP request, wallet and key attestations and status list tokens carry the signing
certificate first, then intermediates, never the trust anchor, and "the X.509 certificate
signing the request MUST NOT be self-signed".

Path validation is ``cryptography.x509.verification`` (RFC 5280 chain building, signatures,
validity, basic constraints, path length, name constraints). Its policy is written for TLS, so
the extension policies are adjusted for signing certificates that are not TLS certificates:

* end-entity: the WebPKI defaults, except that extended key usage is not required to name
  TLS client authentication (credential signing has no registered EKU; HAIP leaves certificate
  profiles to the ecosystem), a Subject Alternative Name is optional (a wallet provider's
  certificate may have none; the name rules in :mod:`credentials.x509.names` require one where
  it matters), and key usage must be present with ``digitalSignature``;
* CA: the WebPKI defaults, except that an EKU on a CA is not required to include TLS client
  authentication (it is not interpreted at all).

Unknown critical extensions are refused by cryptography on every certificate. The checks with
their own refusal code (validity, CA leaf, self-signed leaf, key usage) are made here before
path building so each refusal names its reason; cryptography repeats them.

Anchors are certificates trusted as given (a root or an intermediate). An anchor may be
limited to the credential types (``vct`` values) it may vouch for; :func:`verify_vct_allowed`
enforces that on the result. When several anchors lie on the validated path, the narrowest
limit applies.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from credentials.errors import X509Error
from credentials.x509.certificates import (
    MAX_X5C_CERTIFICATES,
    CertificateName,
    encode_x5c,
    parse_x5c,
    san_dns_names,
    san_uris,
    x509_hash,
)
from credentials.x509.revocation import check_revocation
from did.errors import KeyFormatError
from did.keys import PublicKey

__all__ = [
    "TrustAnchor",
    "ValidatedChain",
    "leaf_public_key",
    "validate_x5c",
    "verify_vct_allowed",
]


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """A certificate trusted as given, optionally limited to some credential types.

    ``vct_values`` ``None`` means any type; a set means only those exact ``vct`` values.
    ``label`` is for screens and logs ("National Digital Identity Agency root 2026").
    """

    certificate: x509.Certificate
    vct_values: frozenset[str] | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.certificate, x509.Certificate):
            raise X509Error("a trust anchor must be a certificate", code="x509_anchor_invalid")
        if self.vct_values is not None and (
            isinstance(self.vct_values, str)
            or not all(isinstance(v, str) and v for v in self.vct_values)
        ):
            raise X509Error(
                "vct_values must be a set of credential type strings", code="x509_anchor_invalid"
            )
        if self.vct_values is not None:
            object.__setattr__(self, "vct_values", frozenset(self.vct_values))

    @property
    def name(self) -> CertificateName:
        return CertificateName.from_x509(self.certificate.subject)

    @property
    def words(self) -> str:
        return self.label or self.name.words


@dataclass(frozen=True, slots=True)
class ValidatedChain:
    """What :func:`validate_x5c` established. Everything in it has been checked."""

    public_key: PublicKey
    """The leaf's key, bound to its JWS algorithm: pass it to ``credentials.jose.verify_jws``."""
    path: tuple[x509.Certificate, ...]
    """The validated path, leaf first, ending with the anchor's certificate."""
    subject: CertificateName
    san_uris: tuple[str, ...]
    san_dns_names: tuple[str, ...]
    anchor: TrustAnchor
    allowed_vcts: frozenset[str] | None
    """The credential types the anchors on the path allow (``None``: any)."""
    warnings: tuple[str, ...] = field(default=())
    """Accepted weaknesses (only a stale CRL, when the caller accepted stale CRLs)."""

    @property
    def leaf(self) -> x509.Certificate:
        return self.path[0]

    @property
    def x509_hash(self) -> str:
        return x509_hash(self.path[0])


def _utc(time: dt.datetime | int) -> dt.datetime:
    if isinstance(time, bool):
        raise TypeError("time must be a datetime or UNIX seconds")
    if isinstance(time, int):
        return dt.datetime.fromtimestamp(time, dt.UTC)
    if not isinstance(time, dt.datetime) or time.tzinfo is None:
        raise TypeError("time must be a timezone-aware datetime or UNIX seconds")
    return time.astimezone(dt.UTC)


def _day(value: dt.datetime) -> str:
    return value.strftime("%d %B %Y, %H:%M UTC").lstrip("0")


def _check_window(cert: x509.Certificate, time: dt.datetime, whose: str) -> None:
    if time < cert.not_valid_before_utc:
        raise X509Error(
            f"{whose} is not valid yet: it starts on {_day(cert.not_valid_before_utc)}",
            code="x5c_not_yet_valid",
        )
    if time > cert.not_valid_after_utc:
        raise X509Error(f"{whose} expired on {_day(cert.not_valid_after_utc)}", code="x5c_expired")


def _who(cert: x509.Certificate) -> str:
    return f"the certificate of {CertificateName.from_x509(cert.subject).words}"


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _basic_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _leaf_key(cert: x509.Certificate) -> PublicKey:
    key = cert.public_key()
    if isinstance(key, ed25519.Ed25519PublicKey) or (
        isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    ):
        try:
            return PublicKey.from_crypto(key)
        except KeyFormatError as exc:
            raise X509Error(exc.message, code="x5c_key_unsupported") from exc
    raise X509Error(
        "the signing certificate's key is not P-256 (ES256) or Ed25519 (EdDSA)",
        code="x5c_key_unsupported",
    )


def leaf_public_key(cert: x509.Certificate) -> PublicKey:
    """A signing certificate's key, bound to its JWS algorithm (``x5c_key_unsupported`` for a
    key that is not P-256 or Ed25519). Trust is not decided here: validate the chain first."""
    return _leaf_key(cert)


def _check_leaf(leaf: x509.Certificate, anchors: Collection[bytes]) -> None:
    """HAIP's "MUST NOT be self-signed" and the leaf rules, each with its own code."""
    if leaf.public_bytes(Encoding.DER) in anchors:
        raise X509Error(
            "the signing certificate is itself a trust anchor; anchors vouch for signing "
            "certificates and are never sent in x5c",
            code="x5c_leaf_is_anchor",
        )
    if _self_signed(leaf):
        raise X509Error(
            "the signing certificate is self-signed, so nobody vouches for it",
            code="x5c_self_signed_leaf",
        )
    if _basic_ca(leaf):
        raise X509Error(
            "the signing certificate is a certificate authority (CA:TRUE); a CA's key signs "
            "certificates, not credentials or requests",
            code="x5c_leaf_is_ca",
        )
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not usage.digital_signature:
        raise X509Error(
            "the signing certificate does not allow digital signatures (key usage "
            "digitalSignature)",
            code="x5c_key_usage",
        )


def _require_digital_signature(
    _policy: Policy, _cert: x509.Certificate, usage: x509.KeyUsage
) -> None:
    if not usage.digital_signature:
        raise ValueError("key usage does not include digitalSignature")


def _ee_policy() -> ExtensionPolicy:
    return (
        ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
        .require_present(x509.KeyUsage, Criticality.AGNOSTIC, _require_digital_signature)
    )


def _ca_policy() -> ExtensionPolicy:
    return ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None
    )


def _anchor_table(anchors: Sequence[TrustAnchor]) -> dict[bytes, TrustAnchor]:
    if isinstance(anchors, TrustAnchor) or not anchors:
        raise X509Error("no trust anchors are configured", code="x509_anchor_invalid")
    table: dict[bytes, TrustAnchor] = {}
    for anchor in anchors:
        if not isinstance(anchor, TrustAnchor):
            raise X509Error("trust anchors must be TrustAnchor values", code="x509_anchor_invalid")
        der = anchor.certificate.public_bytes(Encoding.DER)
        if der in table and table[der] != anchor:
            raise X509Error(
                f"the anchor {anchor.words} is configured twice with different limits",
                code="x509_anchor_invalid",
            )
        table[der] = anchor
    return table


# cryptography appends which certificate it was looking at, as a Python repr: not for people.
_ENCOUNTERED = re.compile(r" \(encountered processing <Certificate\(.*\)>\)$")


def _explain_failure(
    path_error: Exception,
    certificates: Sequence[x509.Certificate],
    anchors: Sequence[TrustAnchor],
    time: dt.datetime,
) -> X509Error:
    """Name the reason when it is an anchor's own validity; otherwise the chain is untrusted."""
    issuers = {cert.issuer for cert in certificates}
    for anchor in anchors:
        if anchor.certificate.subject in issuers:
            try:
                _check_window(anchor.certificate, time, f"the trusted authority {anchor.words}")
            except X509Error as exc:
                return exc
    detail = str(path_error).removeprefix("validation failed: ")
    detail = _ENCOUNTERED.sub("", detail).removeprefix("candidates exhausted: ")
    return X509Error(
        f"the certificate chain does not lead to a trusted authority (technical detail: {detail})",
        code="x5c_chain_untrusted",
    )


def validate_x5c(
    x5c: object,
    anchors: Sequence[TrustAnchor],
    *,
    time: dt.datetime | int,
    crls: Sequence[x509.CertificateRevocationList] = (),
    accept_stale_crl: bool = False,
    crl_required: bool = False,
) -> ValidatedChain:
    """Validate an ``x5c`` header value (or parsed certificates, leaf first) at ``time``.

    ``time`` is the moment the signature must have been valid: the presentation's time for a
    presentation or request, the credential's issuance time when checking it historically.
    Raises :class:`~credentials.errors.X509Error`; returns only a chain that passed every check.
    """
    at = _utc(time)
    table = _anchor_table(anchors)
    if isinstance(x5c, list | tuple) and x5c and all(isinstance(c, x509.Certificate) for c in x5c):
        # Parsed elsewhere: re-read from DER so the same caps and damage checks apply.
        x5c = encode_x5c(x5c)
    certificates = parse_x5c(x5c)
    leaf, intermediates = certificates[0], list(certificates[1:])
    _check_leaf(leaf, table)
    public_key = _leaf_key(leaf)
    _check_window(leaf, at, "the signing certificate")
    for cert in intermediates:
        _check_window(cert, at, _who(cert))
    verifier = (
        PolicyBuilder()
        .store(Store([anchor.certificate for anchor in table.values()]))
        .time(at)
        .max_chain_depth(MAX_X5C_CERTIFICATES)
        .extension_policies(ca_policy=_ca_policy(), ee_policy=_ee_policy())
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, intermediates)
    except (VerificationError, x509.UnsupportedGeneralNameType, ValueError) as exc:
        raise _explain_failure(exc, certificates, list(table.values()), at) from exc
    path = tuple(verified.chain)
    on_path = [table[der] for der in (c.public_bytes(Encoding.DER) for c in path) if der in table]
    allowed: frozenset[str] | None = None
    for anchor in on_path:
        if anchor.vct_values is not None:
            allowed = anchor.vct_values if allowed is None else allowed & anchor.vct_values
    warnings = check_revocation(
        path, crls, time=at, accept_stale_crl=accept_stale_crl, crl_required=crl_required
    )
    return ValidatedChain(
        public_key=public_key,
        path=path,
        subject=CertificateName.from_x509(leaf.subject),
        san_uris=san_uris(leaf),
        san_dns_names=san_dns_names(leaf),
        anchor=table[path[-1].public_bytes(Encoding.DER)],
        allowed_vcts=allowed,
        warnings=warnings,
    )


def verify_vct_allowed(chain: ValidatedChain, vct: str) -> None:
    """Refuse ``vct`` unless the anchors that vouch for this chain allow that credential type."""
    if chain.allowed_vcts is None:
        return
    if not isinstance(vct, str) or vct not in chain.allowed_vcts:
        raise X509Error(
            f"{chain.anchor.words} does not vouch for credentials of type {vct!r}",
            code="x5c_vct_not_allowed",
        )
