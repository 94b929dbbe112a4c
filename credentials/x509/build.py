"""Making certificates and CRLs for a national identity PKI (RFC 5280 profiles).

The hierarchy: a root CA (the national digital-identity agency) → intermediate CAs (one per
ministry or purpose) → leaves:

* ``ISSUER``: signs SD-JWT VCs; SAN URI = the credential issuer identifier (what ``iss`` holds)
  and/or a dNSName of its host (SD-JWT VC -09 §3.5, see :mod:`credentials.x509.names`);
* ``VERIFIER``: signs OpenID4VP request objects; SAN dNSName (``x509_san_dns``) — its
  ``x509_hash`` client id works with any leaf;
* ``WALLET_PROVIDER``: signs wallet attestations; a SAN is optional.

Every leaf has basicConstraints CA:FALSE (critical), keyUsage digitalSignature only (critical),
subject and authority key identifiers, and **no extended key usage**: no EKU is registered for
credential, request or attestation signing, and HAIP 1.0 leaves certificate profiles to the
ecosystem; the three kinds are kept apart by which CA issues them and by their names. CAs get
keyCertSign + cRLSign (critical) and a path length.

Pure: keys, times and (optionally) serial numbers are passed in. Serials default to 159 random
bits from ``cryptography`` (RFC 5280 §4.1.2.2 allows 20 octets; the CA/B Forum asks for at least
64 random bits). CA keys must be ES256: ``cryptography``'s path validation (the WebPKI algorithm
set) refuses Ed25519 CA signatures, so an EdDSA CA would make certificates nobody here can
validate. Leaf keys may be ES256 (what HAIP 1.0 §7 requires everyone to support) or EdDSA.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from credentials.errors import X509Error
from credentials.x509.certificates import CertificateName
from credentials.x509.revocation import parse_crl
from did.keys import ES256, PrivateKey, PublicKey

__all__ = [
    "LeafPurpose",
    "Revocation",
    "add_revocation",
    "create_crl",
    "create_intermediate_ca",
    "create_leaf",
    "create_root_ca",
]


class LeafPurpose(StrEnum):
    ISSUER = "issuer"
    VERIFIER = "verifier"
    WALLET_PROVIDER = "wallet-provider"


@dataclass(frozen=True, slots=True)
class Revocation:
    """One CRL entry: a serial number, when it was revoked and (optionally) why."""

    serial: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags | None = None


def _invalid(message: str) -> X509Error:
    return X509Error(message, code="x509_build_invalid")


def _aware(value: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise _invalid(f"{what} must be a timezone-aware date and time")
    return value.astimezone(dt.UTC)


def _window(
    not_before: dt.datetime, not_after: dt.datetime, issuer: x509.Certificate | None
) -> tuple[dt.datetime, dt.datetime]:
    start, end = _aware(not_before, "not_before"), _aware(not_after, "not_after")
    if end <= start:
        raise _invalid("the certificate must end after it starts")
    if issuer is not None and (
        start < issuer.not_valid_before_utc or end > issuer.not_valid_after_utc
    ):
        until = issuer.not_valid_after_utc.strftime("%d %B %Y").lstrip("0")
        raise _invalid(
            f"the certificate would be valid outside the CA's own validity (the CA is valid "
            f"until {until})"
        )
    return start, end


def _serial(serial: int | None) -> int:
    if serial is None:
        return x509.random_serial_number()
    if isinstance(serial, bool) or not isinstance(serial, int) or serial <= 0:
        raise _invalid("a serial number is a positive whole number")
    if serial.bit_length() > 159:
        raise _invalid("a serial number has at most 159 bits (20 octets)")
    return serial


def _ca_key(key: PrivateKey) -> PrivateKey:
    if not isinstance(key, PrivateKey) or key.alg != ES256:
        raise _invalid("a CA key must be an ES256 (P-256) key")
    return key


def _sign(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    assert isinstance(key.key, ec.EllipticCurvePrivateKey)  # _ca_key made sure
    return builder.sign(key.key, hashes.SHA256())


def _base(
    subject: CertificateName,
    public_key: PublicKey,
    issuer_name: x509.Name,
    window: tuple[dt.datetime, dt.datetime],
    serial: int | None,
) -> x509.CertificateBuilder:
    if not isinstance(subject, CertificateName):
        raise _invalid("the subject must be a CertificateName")
    return (
        x509.CertificateBuilder()
        .subject_name(subject.to_x509())
        .issuer_name(issuer_name)
        .public_key(public_key.key)
        .serial_number(_serial(serial))
        .not_valid_before(window[0])
        .not_valid_after(window[1])
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key.key), critical=False)
    )


def _ca_extensions(
    builder: x509.CertificateBuilder, path_length: int | None
) -> x509.CertificateBuilder:
    if path_length is not None and (isinstance(path_length, bool) or path_length < 0):
        raise _invalid("path_length is a whole number of intermediate levels, or None")
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    return builder.add_extension(
        x509.BasicConstraints(ca=True, path_length=path_length), critical=True
    ).add_extension(usage, critical=True)


def _check_owner(cert: x509.Certificate, key: PrivateKey) -> None:
    if not isinstance(cert, x509.Certificate) or cert.public_key() != key.key.public_key():
        raise _invalid("the CA key does not belong to the CA certificate")


def _issued_by(
    builder: x509.CertificateBuilder, issuer_cert: x509.Certificate, issuer_key: PrivateKey
) -> x509.CertificateBuilder:
    try:
        constraints = issuer_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise _invalid("the issuing certificate is not a CA certificate")
    return builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.key.public_key()),
        critical=False,
    )


def create_root_ca(
    key: PrivateKey,
    subject: CertificateName,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    path_length: int | None = 1,
    serial: int | None = None,
) -> x509.Certificate:
    """A self-signed root CA. ``path_length`` 1 allows one level of intermediates below it."""
    key = _ca_key(key)
    builder = _base(
        subject, key.public_key, subject.to_x509(), _window(not_before, not_after, None), serial
    )
    return _sign(_ca_extensions(builder, path_length), key)


def create_intermediate_ca(
    key: PublicKey,
    subject: CertificateName,
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    path_length: int | None = 0,
    serial: int | None = None,
) -> x509.Certificate:
    """An intermediate CA for ``key`` (ES256), signed by ``issuer_cert``/``issuer_key``."""
    issuer_key = _ca_key(issuer_key)
    _check_owner(issuer_cert, issuer_key)
    if not isinstance(key, PublicKey) or key.alg != ES256:
        raise _invalid("a CA key must be an ES256 (P-256) key")
    window = _window(not_before, not_after, issuer_cert)
    builder = _base(subject, key, issuer_cert.subject, window, serial)
    builder = _issued_by(_ca_extensions(builder, path_length), issuer_cert, issuer_key)
    return _sign(builder, issuer_key)


def _check_names(
    purpose: LeafPurpose, uris: Sequence[str], dns: Sequence[str], *, allow_http: bool = False
) -> None:
    schemes = ("https", "http") if allow_http else ("https",)
    for uri in uris:
        parts = urlsplit(uri) if isinstance(uri, str) else None
        if parts is None or parts.scheme not in schemes or not parts.hostname:
            raise _invalid(f"SAN URI {uri!r} must be an https URL (the credential issuer id)")
    for name in dns:
        labels = name.split(".") if isinstance(name, str) else []
        if (
            not isinstance(name, str)
            or not name.isascii()
            or len(name) > 253
            or not all(
                0 < len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
            )
        ):
            raise _invalid(f"SAN DNS name {name!r} is not a host name such as id.gov.bt")
    if purpose is LeafPurpose.ISSUER and not (uris or dns):
        raise _invalid("an issuer certificate needs a SAN URI (its issuer id) or a DNS name")
    if purpose is LeafPurpose.VERIFIER and not dns:
        raise _invalid("a verifier certificate needs a SAN DNS name (x509_san_dns)")


def create_leaf(
    purpose: LeafPurpose,
    key: PublicKey,
    subject: CertificateName,
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    san_uris: Sequence[str] = (),
    san_dns: Sequence[str] = (),
    serial: int | None = None,
    allow_insecure_http_san: bool = False,
) -> x509.Certificate:
    """A signing certificate for ``key`` (ES256 or EdDSA) of the given purpose.

    ``allow_insecure_http_san`` admits an ``http://`` SAN URI: only for a development PKI on
    one machine (``drukid demo``), where the issuer's identifier is ``http://127.0.0.1:PORT``.
    """
    purpose = LeafPurpose(purpose)
    issuer_key = _ca_key(issuer_key)
    _check_owner(issuer_cert, issuer_key)
    if not isinstance(key, PublicKey):
        raise _invalid("the leaf key must be a did.keys.PublicKey")
    uris, dns = tuple(san_uris), tuple(name.lower() for name in san_dns)
    _check_names(purpose, uris, dns, allow_http=allow_insecure_http_san)
    window = _window(not_before, not_after, issuer_cert)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        _base(subject, key, issuer_cert.subject, window, serial)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
    )
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in uris]
    names += [x509.DNSName(name) for name in dns]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return _sign(_issued_by(builder, issuer_cert, issuer_key), issuer_key)


def create_crl(
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    *,
    this_update: dt.datetime,
    next_update: dt.datetime,
    revoked: Sequence[Revocation] = (),
    number: int = 1,
) -> x509.CertificateRevocationList:
    """A CRL (RFC 5280 §5) from ``issuer_cert`` listing ``revoked``, with CRL number ``number``."""
    issuer_key = _ca_key(issuer_key)
    _check_owner(issuer_cert, issuer_key)
    start, end = _aware(this_update, "this_update"), _aware(next_update, "next_update")
    if end <= start:
        raise _invalid("the next update must come after this update")
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise _invalid("the CRL number is a whole number")
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(start)
        .next_update(end)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.key.public_key()),
        critical=False,
    )
    seen: set[int] = set()
    for entry in revoked:
        if entry.serial in seen:
            continue
        seen.add(entry.serial)
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(_serial(entry.serial))
            .revocation_date(_aware(entry.revoked_at, "revoked_at"))
        )
        if entry.reason is not None:
            item = item.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    assert isinstance(issuer_key.key, ec.EllipticCurvePrivateKey)
    return builder.sign(issuer_key.key, hashes.SHA256())


def _entries(crl: x509.CertificateRevocationList) -> list[Revocation]:
    entries = []
    for item in crl:
        try:
            reason: x509.ReasonFlags | None = item.extensions.get_extension_for_class(
                x509.CRLReason
            ).value.reason
        except x509.ExtensionNotFound:
            reason = None
        entries.append(Revocation(item.serial_number, item.revocation_date_utc, reason))
    return entries


def add_revocation(
    crl: x509.CertificateRevocationList | bytes | None,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    revocation: Revocation | None,
    *,
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> x509.CertificateRevocationList:
    """The next CRL: ``crl``'s entries plus ``revocation`` (``None`` re-signs with new dates).

    The old CRL must be this CA's (its signature is checked), so entries are never lost to a
    mix-up of files; its CRL number is increased by one.
    """
    entries: list[Revocation] = []
    number = 1
    if crl is not None:
        old = parse_crl(crl) if isinstance(crl, bytes) else crl
        if old.issuer != issuer_cert.subject or not old.is_signature_valid(
            issuer_cert.public_key()  # type: ignore[arg-type]
        ):
            raise X509Error(
                "the existing revocation list was not made by this CA", code="x5c_crl_invalid"
            )
        entries = _entries(old)
        try:
            number = old.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
        except x509.ExtensionNotFound:
            number = 1
    if revocation is not None and all(e.serial != revocation.serial for e in entries):
        entries.append(revocation)
    return create_crl(
        issuer_cert,
        issuer_key,
        this_update=this_update,
        next_update=next_update,
        revoked=entries,
        number=number,
    )
