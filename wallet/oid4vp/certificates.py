"""Verifiers identified by a certificate: ``x509_san_dns:`` and ``x509_hash:`` requests
(OpenID4VP 1.0 §5.9.3; HAIP 1.0 §5 "the Wallet MUST accept the Client Identifier Prefix
``x509_hash``"), and what a trusted verifier's registration certificate says about why it asks.

A signed request with ``x5c`` is checked in this order:

1. the chain is read (``x5c`` standard base64 DER, the signing certificate first);
2. it is validated to the wallet's trust store at the request's time
   (:func:`credentials.x509.validate_x5c`: path, validity, key usage, CRLs, not self-signed, not
   a CA). A chain that leads to **no** trusted authority (or a wallet that trusts none yet) is
   not a refusal: the leaf rules are still checked (:func:`credentials.x509.check_signing_chain`)
   and the request goes on as *not vouched for*, with a plain warning on the consent screen and
   no name shown as verified, the way an unsigned ``redirect_uri:`` request is treated. Every
   other failure (expired, revoked, a CA or self-signed leaf, a broken chain) refuses
   (``verifier_certificate_invalid``);
3. the client id names the leaf: ``x509_san_dns:<name>`` is a dNSName SAN, ``x509_hash:<h>`` the
   base64url SHA-256 of its DER (``verifier_certificate_invalid`` otherwise), and for
   ``x509_san_dns`` the answer goes to that host (§5.9.3 "the FQDN of the redirect_uri value
   MUST match the Client Identifier");
4. the request's signature verifies with the leaf's key (``request_signature_invalid``).

**Why they ask** (OpenID4VP 1.0 has no ``purpose`` parameter): a ``verifier_info`` entry
``{"format": "jwt", "data": <JWT>}`` whose JWT has ``typ`` ``rc-rp+jwt`` is a registration
certificate (the relying-party registration of the EUDI architecture, as Credo-based wallets
read it). Its purpose is used only when the request's own chain is trusted, the registration
certificate's ``x5c`` chain leads to an authority the wallet trusts (the registrar), its
signature verifies, it is current (``iat``, ``exp``), and its ``sub`` is the distinguished name
of the certificate that signed the request (claim-bound, OpenID4VP §5.11.1). Its ``purpose`` is
``[{"lang" | "locale": tag, "name": text}]``; the wallet's language is picked. Anything else in
``verifier_info`` is ignored, as §5.11 says wallets should.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from credentials.errors import CredentialError, X509Error
from credentials.jose import JWS, check_header, parse_jws, verify_jws
from credentials.x509 import (
    X509_SAN_DNS_PREFIX,
    CertificateName,
    check_signing_chain,
    leaf_public_key,
    parse_x5c,
    validate_x5c,
    verify_client_id,
    verify_leaf_client_id,
)
from wallet.errors import PresentError
from wallet.trust import UNTRUSTED_CODES, Trust, certificate_refusal

__all__ = [
    "REGISTRATION_TYP",
    "VerifierCertificate",
    "registered_purpose",
    "verify_x509_request",
]

REGISTRATION_TYP = "rc-rp+jwt"
_SIGNING_ALGORITHMS = ("ES256", "EdDSA")
_LEEWAY = 60


@dataclass(frozen=True, slots=True)
class VerifierCertificate:
    """Who a request's certificate says the verifier is. ``trusted``: the chain leads to an
    authority the wallet trusts (``authority``); only then is ``subject`` a verified name."""

    subject: CertificateName
    trusted: bool
    authority: str | None
    leaf: x509.Certificate

    @property
    def name(self) -> str:
        """The organisation the certificate was issued to, for screens."""
        return self.subject.organization or self.subject.common_name or self.subject.words


def verify_x509_request(
    jws: JWS, client_id: str, *, trust: Trust | None, now: int, typ: str
) -> VerifierCertificate:
    """Steps 1-4 of the module docstring for a parsed request object ``jws``."""
    try:
        check_header(jws.header, algorithms=_SIGNING_ALGORITHMS, typ=typ)
    except CredentialError as exc:
        raise PresentError(
            f"the request's signature is not valid ({exc.code})", code="request_signature_invalid"
        ) from exc
    anchors = trust.anchors if trust else ()
    try:
        certificates = parse_x5c(jws.header.get("x5c"))
        try:
            chain = validate_x5c(
                list(certificates), anchors, time=now, crls=trust.crls if trust else ()
            )
        except X509Error as exc:
            if exc.code not in UNTRUSTED_CODES:
                raise
            leaf = certificates[0]
            check_signing_chain(certificates, leaf_public_key(leaf), time=now)
            verify_leaf_client_id(leaf, client_id)
            found = VerifierCertificate(CertificateName.from_x509(leaf.subject), False, None, leaf)
        else:
            verify_client_id(chain, client_id)
            found = VerifierCertificate(chain.subject, True, chain.anchor.words, chain.leaf)
    except X509Error as exc:
        raise certificate_refusal(exc, "the verifier") from exc
    if client_id.startswith(X509_SAN_DNS_PREFIX):
        host = client_id.removeprefix(X509_SAN_DNS_PREFIX).lower()
        response_uri = jws.payload.get("response_uri")
        answer_host = urlsplit(response_uri).hostname if isinstance(response_uri, str) else None
        if (answer_host or "").lower() != host:
            raise PresentError(
                f"the verifier calls itself {host} but wants the answer sent to "
                f"{answer_host or 'no address'}",
                code="verifier_certificate_invalid",
            )
    try:
        verify_jws(jws, leaf_public_key(found.leaf), typ=typ)
    except CredentialError as exc:
        raise PresentError(
            f"the request's signature is not valid ({exc.code})", code="request_signature_invalid"
        ) from exc
    return found


def _pick(items: Sequence[Any], language: str) -> str | None:
    texts: dict[str, str] = {}
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            tag = item.get("lang", item.get("locale", ""))
            texts.setdefault(str(tag), item["name"])
    if not texts:
        return None
    primary = language.split("-")[0].lower()
    for tag, text in texts.items():
        if tag.split("-")[0].lower() == primary:
            return text
    for tag, text in texts.items():
        if tag.split("-")[0].lower() == "en":
            return text
    return next(iter(texts.values()))


def registered_purpose(
    request: Mapping[str, Any],
    certificate: VerifierCertificate | None,
    *,
    trust: Trust | None,
    now: int,
    language: str,
) -> str | None:
    """The purpose of a registration certificate in ``verifier_info`` that binds to the trusted
    ``certificate`` that signed the request (module docstring), or ``None``."""
    if certificate is None or not certificate.trusted or trust is None or not trust.anchors:
        return None
    entries = request.get("verifier_info")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or entry.get("format") != "jwt":
            continue
        data = entry.get("data")
        if not isinstance(data, str):
            continue
        try:
            jws = parse_jws(data)
            if jws.header.get("typ") != REGISTRATION_TYP:
                continue
            chain = validate_x5c(jws.header.get("x5c"), trust.anchors, time=now, crls=trust.crls)
            verify_jws(jws, chain.public_key, typ=REGISTRATION_TYP)
        except CredentialError:
            continue  # §5.11: an attestation that fails validation is ignored
        payload = jws.payload
        iat, exp = payload.get("iat"), payload.get("exp")
        if isinstance(iat, int | float) and iat > now + _LEEWAY:
            continue
        if isinstance(exp, int | float) and exp + _LEEWAY < now:
            continue
        sub = payload.get("sub")
        try:
            bound = isinstance(sub, str) and (
                x509.Name.from_rfc4514_string(sub) == certificate.leaf.subject
            )
        except ValueError:
            bound = False
        purpose = payload.get("purpose")
        if bound and isinstance(purpose, list):
            text = _pick(purpose, language)
            if text:
                return text
    return None
