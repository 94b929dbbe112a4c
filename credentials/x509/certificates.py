"""Reading certificates: the ``x5c`` JOSE header (RFC 7515 §4.1.6), PEM/DER files, names and
Subject Alternative Names (RFC 5280 §4.1.2.6, §4.2.1.6) in a form screens can show.

``x5c`` is a JSON array of **standard base64** (RFC 4648 §4, with padding; not base64url) DER
certificates, the signing certificate first. Every certificate is parsed by
``cryptography.x509`` here, once, with its extensions forced, so malformed input fails with
:class:`~credentials.errors.X509Error` at the door instead of somewhere deep in validation.
Nothing here decides trust: that is :mod:`credentials.x509.chain`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from core.encoding import b64url_encode
from credentials.errors import X509Error

__all__ = [
    "MAX_CERTIFICATE_BYTES",
    "MAX_X5C_CERTIFICATES",
    "CertificateName",
    "encode_x5c",
    "parse_certificate_der",
    "parse_certificates",
    "parse_x5c",
    "san_dns_names",
    "san_uris",
    "sha256_fingerprint",
    "strict_parsing",
    "x509_hash",
]

# A leaf and its intermediates: national PKIs use two or three levels; ten is generous. Each
# certificate is a few hundred bytes to ~2 KiB; 16 KiB leaves room for long policy extensions.
MAX_X5C_CERTIFICATES = 10
MAX_CERTIFICATE_BYTES = 16 * 1024
_MAX_B64_CHARS = (MAX_CERTIFICATE_BYTES + 2) // 3 * 4
# Upper bounds from RFC 5280 Appendix A (ub-common-name, ub-organization-name).
_UB_NAME = 64

# What cryptography raises on a certificate whose DER parses but whose contents do not
# (KeyError: an unknown string tag in a name, on cryptography 45).
PARSE_ERRORS = (
    CryptographyDeprecationWarning,
    KeyError,
    ValueError,
    TypeError,
    UnsupportedAlgorithm,
    x509.DuplicateExtension,
    x509.InvalidVersion,
    x509.UnsupportedGeneralNameType,
)


@dataclass(frozen=True, slots=True)
class CertificateName:
    """The parts of an X.509 name that people read: organisation, common name, country."""

    common_name: str | None = None
    organization: str | None = None
    country: str | None = None

    @classmethod
    def from_x509(cls, name: x509.Name) -> CertificateName:
        def first(oid: x509.ObjectIdentifier) -> str | None:
            values = name.get_attributes_for_oid(oid)
            value = values[0].value if values else None
            return value if isinstance(value, str) and value else None

        return cls(
            common_name=first(NameOID.COMMON_NAME),
            organization=first(NameOID.ORGANIZATION_NAME),
            country=first(NameOID.COUNTRY_NAME),
        )

    def to_x509(self) -> x509.Name:
        """The name for a new certificate; refuses values a CA must not put in one."""
        if not self.common_name or not self.common_name.strip():
            raise X509Error("a certificate needs a name (common name)", code="x509_build_invalid")
        attributes = []
        if self.country is not None:
            if len(self.country) != 2 or not self.country.isascii() or not self.country.isupper():
                raise X509Error(
                    f"country {self.country!r} must be a two-letter code such as BT",
                    code="x509_build_invalid",
                )
            attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, self.country))
        for oid, value, what in (
            (NameOID.ORGANIZATION_NAME, self.organization, "organisation"),
            (NameOID.COMMON_NAME, self.common_name, "name"),
        ):
            if value is None:
                continue
            if not value.strip() or len(value) > _UB_NAME:
                raise X509Error(
                    f"the {what} must be 1 to {_UB_NAME} characters", code="x509_build_invalid"
                )
            attributes.append(x509.NameAttribute(oid, value))
        return x509.Name(attributes)

    @property
    def words(self) -> str:
        """``Ministry of Health — Health Credentials (BT)``; parts that are absent are left out."""
        parts = [p for p in (self.organization, self.common_name) if p]
        if len(parts) == 2 and parts[0] == parts[1]:
            parts = parts[:1]
        text = " — ".join(parts) or "(no name)"
        return f"{text} ({self.country})" if self.country else text


@contextlib.contextmanager
def strict_parsing() -> Iterator[None]:
    """Turn cryptography's "this violates RFC 5280, a future release will refuse it" warnings
    (negative serial numbers and the like) into errors now: such a certificate is refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CryptographyDeprecationWarning)
        yield


def _check(cert: x509.Certificate) -> x509.Certificate:
    """Force the lazily parsed parts, so a damaged certificate fails here and only here."""
    try:
        _ = cert.extensions, cert.subject, cert.issuer, cert.serial_number
        cert.public_key()
        for extension in cert.extensions:
            _ = extension.value
    except PARSE_ERRORS as exc:
        raise X509Error(
            f"a certificate is damaged: {exc}", code="x509_certificate_malformed"
        ) from exc
    if cert.version is not x509.Version.v3:
        raise X509Error("only version 3 certificates are used", code="x509_certificate_malformed")
    return cert


def parse_certificate_der(der: bytes) -> x509.Certificate:
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise X509Error(
            f"a certificate is larger than {MAX_CERTIFICATE_BYTES} bytes", code="x5c_too_large"
        )
    try:
        with strict_parsing():
            cert = x509.load_der_x509_certificate(der)
    except PARSE_ERRORS as exc:
        raise X509Error("not a DER X.509 certificate", code="x509_certificate_malformed") from exc
    return _check(cert)


def parse_x5c(x5c: object) -> tuple[x509.Certificate, ...]:
    """Decode an ``x5c`` header value: a non-empty JSON array of base64 DER certificates.

    Raises ``x5c_malformed`` for anything that is not exactly that (including base64url, which
    RFC 7515 §4.1.6 does not allow) and ``x5c_too_large`` past the caps.
    """
    if not isinstance(x5c, list | tuple):
        raise X509Error("x5c must be a list of certificates", code="x5c_malformed")
    if not x5c:
        raise X509Error("x5c is empty: it must hold the signing certificate", code="x5c_malformed")
    if len(x5c) > MAX_X5C_CERTIFICATES:
        raise X509Error(
            f"x5c holds {len(x5c)} certificates; at most {MAX_X5C_CERTIFICATES} are accepted",
            code="x5c_too_large",
        )
    certificates = []
    for index, item in enumerate(x5c):
        if not isinstance(item, str):
            raise X509Error(f"x5c entry {index} is not a string", code="x5c_malformed")
        if len(item) > _MAX_B64_CHARS:
            raise X509Error(f"x5c entry {index} is too large", code="x5c_too_large")
        try:
            der = base64.b64decode(item.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
            raise X509Error(
                f"x5c entry {index} is not standard base64 (RFC 7515 §4.1.6)",
                code="x5c_malformed",
            ) from exc
        try:
            certificates.append(parse_certificate_der(der))
        except X509Error as exc:
            code = "x5c_too_large" if exc.code == "x5c_too_large" else "x5c_malformed"
            raise X509Error(f"x5c entry {index}: {exc.message}", code=code) from exc
    return tuple(certificates)


def encode_x5c(certificates: Sequence[x509.Certificate]) -> list[str]:
    """The ``x5c`` header value for a signing certificate and its intermediates, in that order.

    Pass the leaf first and never the trust anchor (HAIP 1.0 §4.5.1, §6.1.1).
    """
    return [
        base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii") for cert in certificates
    ]


def parse_certificates(data: bytes) -> tuple[x509.Certificate, ...]:
    """Certificates from a file's bytes: one or more PEM blocks, or a single DER certificate."""
    if b"-----BEGIN" in data:
        try:
            with strict_parsing():
                found = x509.load_pem_x509_certificates(data)
        except PARSE_ERRORS as exc:
            raise X509Error(
                "the file holds no readable PEM certificate", code="x509_certificate_malformed"
            ) from exc
        return tuple(_check(cert) for cert in found)
    return (parse_certificate_der(data),)


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def san_uris(cert: x509.Certificate) -> tuple[str, ...]:
    """The uniformResourceIdentifier SAN entries, as written in the certificate."""
    san = _san(cert)
    return tuple(san.get_values_for_type(x509.UniformResourceIdentifier)) if san else ()


def san_dns_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The dNSName SAN entries, as written in the certificate."""
    san = _san(cert)
    return tuple(san.get_values_for_type(x509.DNSName)) if san else ()


def x509_hash(cert: x509.Certificate) -> str:
    """base64url(SHA-256(DER)): the value of an ``x509_hash`` client id (OpenID4VP 1.0 §5.9.3)."""
    return b64url_encode(hashlib.sha256(cert.public_bytes(Encoding.DER)).digest())


def sha256_fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint as colon-separated hex, the way certificate tools print it."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).digest().hex(":").upper()
