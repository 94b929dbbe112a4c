"""Certificate revocation from CRLs the caller already has (RFC 5280 §5, §6.3), for offline use.

What is checked, for every certificate on a validated path except the trust anchor (an anchor is
trusted as given):

* every CRL given whose issuer name is the certificate's issuer applies to it, unless its
  Authority Key Identifier names another key of a CA with the same name (a CA after a key
  rollover); an applicable CRL must verify with the issuer's public key, and an issuer that
  carries a key usage extension must allow ``cRLSign``. A CRL that claims the issuer but does
  not verify is refused (``x5c_crl_invalid``): fail closed, never skip it;
* a serial listed on any applicable CRL is refused (``x5c_revoked``), whatever the revocation
  date: a key that was compromised may have signed back-dated credentials;
* freshness: a CRL whose ``nextUpdate`` is before the validation time (or that has none) is
  stale. Stale refuses (``x5c_crl_stale``) unless the caller accepts stale lists, which turns it
  into a warning; the revocations a stale list holds are enforced either way;
* with ``crl_required`` every issuer on the path must have an applicable CRL
  (``x5c_crl_missing``); without it, a CA that has no CRL given is not revocation-checked.

Not checked: OCSP (no network here, and HAIP does not need it); CRLs are never fetched (no CRL
distribution point is followed); delta CRLs, indirect CRLs and CRLs partitioned by reason are
refused as unsupported rather than half-understood.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509.oid import ExtensionOID

from credentials.errors import X509Error
from credentials.x509.certificates import (
    MAX_CERTIFICATE_BYTES,
    PARSE_ERRORS,
    CertificateName,
    strict_parsing,
)

__all__ = ["MAX_CRL_BYTES", "check_revocation", "parse_crl"]

# A national issuing CA revoking a few thousand leaves stays far below this.
MAX_CRL_BYTES = 4 * 1024 * 1024 + MAX_CERTIFICATE_BYTES

_UNDERSTOOD = {
    ExtensionOID.CRL_NUMBER,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.ISSUING_DISTRIBUTION_POINT,
}


def parse_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL from a file's bytes, PEM or DER (``x509_crl_malformed`` otherwise)."""
    if len(data) > MAX_CRL_BYTES:
        raise X509Error(f"CRL larger than {MAX_CRL_BYTES} bytes", code="x509_crl_malformed")
    try:
        with strict_parsing():
            if b"-----BEGIN" in data:
                crl = x509.load_pem_x509_crl(data)
            else:
                crl = x509.load_der_x509_crl(data)
        _ = crl.issuer, crl.next_update_utc, crl.last_update_utc
        _ = crl.signature_algorithm_oid, crl.tbs_certlist_bytes
        for extension in crl.extensions:
            _ = extension.value
        for entry in crl:
            _ = entry.serial_number, entry.extensions
    except PARSE_ERRORS as exc:
        raise X509Error("not a readable CRL (PEM or DER)", code="x509_crl_malformed") from exc
    return crl


def _scope_applies(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> bool:
    """Refuse CRL features we do not implement; say whether the CRL covers ``cert``."""
    for extension in crl.extensions:
        if extension.oid == ExtensionOID.DELTA_CRL_INDICATOR:
            raise X509Error("delta CRLs are not supported", code="x5c_crl_invalid")
        if extension.critical and extension.oid not in _UNDERSTOOD:
            raise X509Error(
                f"the CRL has a critical extension {extension.oid.dotted_string} that drukid "
                "does not understand",
                code="x5c_crl_invalid",
            )
    try:
        idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        return True
    if idp.indirect_crl or idp.only_some_reasons or idp.only_contains_attribute_certs:
        raise X509Error("indirect or partial CRLs are not supported", code="x5c_crl_invalid")
    is_ca = _is_ca(cert)
    return not (idp.only_contains_user_certs and is_ca) and not (
        idp.only_contains_ca_certs and not is_ca
    )


def _words(name: x509.Name) -> str:
    return CertificateName.from_x509(name).words


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _other_key(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """True when the CRL's AKI and the issuer's SKI both exist and differ (same name, other key)."""
    try:
        aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return False
    return aki.key_identifier is not None and aki.key_identifier != ski.digest


def _check_signer(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> None:
    try:
        valid = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm) as exc:
        raise X509Error("the CRL signature cannot be checked", code="x5c_crl_invalid") from exc
    if not valid:
        raise X509Error(
            f"a CRL names {_words(issuer.subject)} but is not signed by it",
            code="x5c_crl_invalid",
        )
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.crl_sign:
        raise X509Error(
            f"{_words(issuer.subject)} may not sign CRLs (no cRLSign key usage)",
            code="x5c_crl_invalid",
        )


def check_revocation(
    path: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    *,
    time: dt.datetime,
    accept_stale_crl: bool = False,
    crl_required: bool = False,
) -> tuple[str, ...]:
    """Check ``path`` (leaf first, anchor last) against ``crls``; return warnings, or raise."""
    warnings: list[str] = []
    for cert, issuer in itertools.pairwise(path):
        applicable = []
        for crl in crls:
            if crl.issuer != issuer.subject or _other_key(crl, issuer):
                continue
            _check_signer(crl, issuer)
            if _scope_applies(crl, cert):
                applicable.append(crl)
        who = _words(issuer.subject)
        if not applicable:
            if crl_required:
                raise X509Error(f"no revocation list from {who} was given", code="x5c_crl_missing")
            continue
        for crl in applicable:
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None:
                when = entry.revocation_date_utc.strftime("%d %B %Y").lstrip("0")
                raise X509Error(
                    f"the certificate of {_words(cert.subject)} was revoked by {who} on {when}",
                    code="x5c_revoked",
                )
        fresh = [
            c for c in applicable if c.next_update_utc is not None and c.next_update_utc >= time
        ]
        if not fresh:
            message = f"the revocation list from {who} is out of date (past its next update)"
            if not accept_stale_crl:
                raise X509Error(message, code="x5c_crl_stale")
            warnings.append(message)
    return tuple(warnings)
