"""Who a validated certificate speaks for: the SD-JWT VC issuer and OpenID4VP client id rules.

**SD-JWT VC issuer** (draft-ietf-oauth-sd-jwt-vc-09 §3.5, "Issuer-signed JWT Verification Key
Validation", X.509 option): "ensure that the ``iss`` value matches a
``uniformResourceIdentifier`` SAN entry of the end-entity certificate or that the domain name
in the ``iss`` value matches the ``dNSName`` SAN entry of the end-entity certificate". Later
drafts (-10 onwards, "Issuer Verification Key Discovery and Validation") say only that the
issuer is the certificate's subject and leave the binding to ecosystem rules; HAIP 1.0 §6.1.1
likewise. drukid keeps the -09 rule as its ecosystem rule, read strictly:

* ``iss`` must be an ``https`` URL (the rule is conditioned on an HTTPS ``iss``);
* URI match: ``iss`` equals a URI SAN character for character (JWT ``StringOrURI`` values
  compare as case-sensitive strings, RFC 7519 §2; no normalisation, no trailing-slash games);
* DNS match: the host of ``iss`` (without port) equals a dNSName SAN, compared
  case-insensitively as DNS names are; wildcard entries (``*.gov.bt``) never match: a
  credential issuer is one host, not a family of them.

**OpenID4VP 1.0 §5.9.3** client identifier prefixes for a request signed with ``x5c``:

* ``x509_san_dns:<name>``: "MUST be a DNS name and match a ``dNSName`` SAN entry in the leaf
  certificate" (case-insensitive, no wildcards);
* ``x509_hash:<value>``: "the base64url-encoded value of the SHA-256 hash of the DER-encoded
  X.509 certificate" (compared in constant time).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from cryptography import x509

from credentials.errors import X509Error
from credentials.x509.certificates import san_dns_names, san_uris, x509_hash
from credentials.x509.chain import ValidatedChain

__all__ = [
    "X509_HASH_PREFIX",
    "X509_SAN_DNS_PREFIX",
    "verify_client_id",
    "verify_issuer_name",
    "verify_leaf_client_id",
    "verify_leaf_issuer_name",
    "x509_hash_client_id",
    "x509_san_dns_client_ids",
]

X509_SAN_DNS_PREFIX = "x509_san_dns:"
X509_HASH_PREFIX = "x509_hash:"


def _dns_equal(name: str, san: str) -> bool:
    return "*" not in san and name.lower() == san.lower()


def verify_issuer_name(
    chain: ValidatedChain, iss: object, *, allow_insecure_http: bool = False
) -> None:
    """Refuse unless the SD-JWT VC ``iss`` is a URI SAN of the leaf, or its host a dNSName SAN.

    ``chain`` is the result of :func:`~credentials.x509.validate_x5c`, so a name is never
    checked on a certificate nobody validated. ``allow_insecure_http`` lets an ``http://``
    issuer match: only in development mode on one machine.
    """
    if not isinstance(chain, ValidatedChain):
        raise TypeError("verify_issuer_name takes the result of validate_x5c")
    _issuer_name(chain.san_uris, chain.san_dns_names, iss, allow_insecure_http)


def verify_leaf_issuer_name(
    leaf: x509.Certificate, iss: object, *, allow_insecure_http: bool = False
) -> None:
    """:func:`verify_issuer_name` on a leaf the caller checks otherwise: an issuer's own
    certificate before it signs with it (:func:`~credentials.x509.check_signing_chain`)."""
    if not isinstance(leaf, x509.Certificate):
        raise TypeError("verify_leaf_issuer_name takes a certificate")
    _issuer_name(san_uris(leaf), san_dns_names(leaf), iss, allow_insecure_http)


def _issuer_name(
    uris: tuple[str, ...], dns: tuple[str, ...], iss: object, allow_insecure_http: bool
) -> None:
    if not isinstance(iss, str) or not iss:
        raise X509Error("the credential names no issuer (iss)", code="x5c_san_mismatch")
    try:
        parts = urlsplit(iss)
        host = parts.hostname
    except ValueError as exc:
        raise X509Error(f"the issuer {iss!r} is not a URL", code="x5c_san_mismatch") from exc
    schemes = ("https", "http") if allow_insecure_http else ("https",)
    if parts.scheme not in schemes or not host or parts.username is not None:
        raise X509Error(
            f"the issuer {iss!r} is not an https URL, so a certificate cannot vouch for it",
            code="x5c_san_mismatch",
        )
    if iss in uris or any(_dns_equal(host, san) for san in dns):
        return
    shown = ", ".join((*uris, *dns)) or "no names at all"
    raise X509Error(
        f"the certificate is for {shown}, not for the issuer {iss}",
        code="x5c_san_mismatch",
    )


def verify_client_id(chain: ValidatedChain, client_id: object) -> None:
    """Refuse unless an ``x509_san_dns:`` or ``x509_hash:`` client id names this leaf."""
    if not isinstance(chain, ValidatedChain):
        raise TypeError("verify_client_id takes the result of validate_x5c")
    _client_id(chain.san_dns_names, chain.x509_hash, client_id)


def verify_leaf_client_id(leaf: x509.Certificate, client_id: object) -> None:
    """:func:`verify_client_id` on a leaf the caller checks otherwise: a wallet that found no
    trusted authority for a request's chain but still binds the signature to the client id
    (:func:`~credentials.x509.check_signing_chain` checks the leaf rules), so it can say
    "not vouched for" instead of refusing outright."""
    if not isinstance(leaf, x509.Certificate):
        raise TypeError("verify_leaf_client_id takes a certificate")
    _client_id(san_dns_names(leaf), x509_hash(leaf), client_id)


def _client_id(dns: tuple[str, ...], leaf_hash: str, client_id: object) -> None:
    if not isinstance(client_id, str):
        raise X509Error("the client id is missing", code="x509_client_id_unsupported")
    if client_id.startswith(X509_SAN_DNS_PREFIX):
        name = client_id.removeprefix(X509_SAN_DNS_PREFIX)
        if name and any(_dns_equal(name, san) for san in dns):
            return
        shown = ", ".join(dns) or "no host names"
        raise X509Error(
            f"the verifier calls itself {name!r} but its certificate is for {shown}",
            code="x5c_san_mismatch",
        )
    if client_id.startswith(X509_HASH_PREFIX):
        value = client_id.removeprefix(X509_HASH_PREFIX)
        if hmac.compare_digest(value.encode("utf-8"), leaf_hash.encode("ascii")):
            return
        raise X509Error(
            "the client id's certificate hash does not match the certificate that signed "
            "the request",
            code="x509_hash_mismatch",
        )
    raise X509Error(
        "the client id does not start with x509_san_dns: or x509_hash:",
        code="x509_client_id_unsupported",
    )


def x509_hash_client_id(cert: x509.Certificate) -> str:
    """``x509_hash:<base64url(sha-256(DER))>`` for a verifier's own request-signing leaf."""
    return X509_HASH_PREFIX + x509_hash(cert)


def x509_san_dns_client_ids(cert: x509.Certificate) -> tuple[str, ...]:
    """One ``x509_san_dns:<name>`` per usable dNSName SAN of the leaf (wildcards left out)."""
    return tuple(X509_SAN_DNS_PREFIX + name for name in san_dns_names(cert) if "*" not in name)
