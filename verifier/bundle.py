"""Signed trust bundles: everything a verifier needs to work with no network at all.

A trust authority (for Bhutan, e.g. the agency that runs the national trust list) signs a JWS
(``typ`` ``trust-bundle+jwt``, ES256 or EdDSA) whose payload is::

    {"version": 2, "iss": "<authority>", "iat": T, "exp": T + lifetime,
     "issuers": [<trusted issuer entries, with their public keys>],
     "anchors": [{"name": ..., "certificate": "<PEM>", "types": {type id: vct}}],
     "crls": ["<PEM CRL>", ...],
     "status_lists": {"<status list URI>": "<the issuer-signed statuslist+jwt>", ...}}

Versions: 1 (no ``version`` member) has issuers and status lists; 2 adds ``anchors`` (the
certificate authorities that vouch for issuers' ``x5c`` chains, per credential type, HAIP 1.0)
and ``crls``. A version-2 reader reads version 1 unchanged; a bundle from a newer version is
refused in words ("update drukid"), never half-read.

Verifiers pin the authority's public key. Loading refuses a wrong signature, a wrong ``typ``,
a bundle from the future and an expired one (never "trust stale data silently"). Status list
tokens are the issuers' own signed tokens, so each is still verified with its issuer's key at
use (:mod:`credentials.status_check`); the authority vouches for issuers and keys, not for status.
Results carry the bundle's ``iat`` as "trust data valid as of".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credentials.clock import DEFAULT_LEEWAY, check_leeway, numeric_date
from credentials.errors import CredentialError
from credentials.jose import parse_jws, sign_jws, verify_jws
from did.keys import PrivateKey, PublicKey
from verifier.errors import TrustError, from_lower_error
from verifier.trust import TrustedIssuer, TrustRegistry

__all__ = [
    "BUNDLE_VERSION",
    "MAX_BUNDLE_BYTES",
    "MAX_BUNDLE_LIFETIME",
    "TRUST_BUNDLE_TYP",
    "create_trust_bundle",
    "verify_trust_bundle",
]

TRUST_BUNDLE_TYP = "trust-bundle+jwt"
BUNDLE_VERSION = 2
# Status lists are compressed; a national bundle with a few issuers stays well below this.
MAX_BUNDLE_BYTES = 8 * 1024 * 1024
# A bundle that lives longer than this hides revoked issuers for too long.
MAX_BUNDLE_LIFETIME = 90 * 24 * 3600


def create_trust_bundle(
    registry: TrustRegistry,
    *,
    key: PrivateKey,
    iss: str,
    iat: int,
    exp: int,
    status_tokens: Mapping[str, str] | None = None,
    kid: str | None = None,
) -> str:
    """Sign ``registry`` (plus issuer-signed status list tokens by URI) as a trust bundle."""
    if not 0 < exp - iat <= MAX_BUNDLE_LIFETIME:
        raise TrustError(
            f"a bundle must expire after its issue time and within {MAX_BUNDLE_LIFETIME} s",
            code="trust_bundle_invalid",
        )
    tokens = dict(registry.status_tokens if status_tokens is None else status_tokens)
    issuers = []
    for issuer in registry.issuers:
        entry = issuer.to_json()
        entry.pop("valid_as_of", None)
        issuers.append(entry)
    payload: dict[str, Any] = {
        "version": BUNDLE_VERSION,
        "iss": iss,
        "iat": iat,
        "exp": exp,
        "issuers": issuers,
        "status_lists": tokens,
    }
    extra = registry.to_json()
    for name in ("anchors", "crls"):
        if name in extra:
            payload[name] = extra[name]
    token = sign_jws(payload, key, typ=TRUST_BUNDLE_TYP, kid=kid or key.public_key.thumbprint())
    if len(token) > MAX_BUNDLE_BYTES:
        raise TrustError("the bundle is larger than 8 MiB", code="trust_bundle_invalid")
    return token


def _invalid(message: str) -> TrustError:
    return TrustError(message, code="trust_bundle_invalid")


def verify_trust_bundle(
    token: str,
    authority_key: PublicKey,
    *,
    now: int,
    leeway: int = DEFAULT_LEEWAY,
) -> TrustRegistry:
    """Check a bundle against the pinned authority key; return its registry or raise
    :class:`TrustError` (``trust_bundle_invalid``, ``trust_bundle_expired``,
    ``trust_bundle_not_yet_valid``)."""
    check_leeway(leeway)
    try:
        jws = verify_jws(
            parse_jws(token.strip(), max_bytes=MAX_BUNDLE_BYTES),
            authority_key,
            typ=TRUST_BUNDLE_TYP,
        )
        iat = numeric_date(jws.payload, "iat")
        exp = numeric_date(jws.payload, "exp")
    except CredentialError as exc:
        error = from_lower_error(exc, TrustError)
        error.cause, error.code = exc.code, "trust_bundle_invalid"
        error.message = f"the trust bundle is not genuine: {exc.message}"
        raise error from exc
    if iat is None or exp is None or exp <= iat:
        raise _invalid("the trust bundle must carry 'iat' and a later 'exp'")
    if now + leeway < iat:
        raise TrustError(
            "the trust bundle is from the future; check this device's clock",
            code="trust_bundle_not_yet_valid",
        )
    if now >= exp + leeway:
        raise TrustError(
            f"the trust bundle expired at {exp}; load a current one", code="trust_bundle_expired"
        )
    payload = jws.payload
    version = payload.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _invalid("the trust bundle's version is not a number")
    if version > BUNDLE_VERSION:
        raise _invalid(
            f"the trust bundle uses format version {version}, newer than this drukid reads "
            f"({BUNDLE_VERSION}); update drukid"
        )
    items, lists = payload.get("issuers"), payload.get("status_lists", {})
    if not isinstance(items, list):
        raise _invalid("the trust bundle has no 'issuers' array")
    if not isinstance(lists, Mapping) or not all(
        isinstance(uri, str) and isinstance(value, str) for uri, value in lists.items()
    ):
        raise _invalid("'status_lists' must map URIs to status list tokens")
    try:
        issuers = tuple(
            TrustedIssuer.from_json({**item, "valid_as_of": iat}, source="bundle")
            if isinstance(item, Mapping)
            else TrustedIssuer.from_json(item, source="bundle")
            for item in items
        )
        certificates = TrustRegistry.from_json(
            {"issuers": [], "anchors": payload.get("anchors", []), "crls": payload.get("crls", [])},
            source="bundle",
        )
        return TrustRegistry(
            issuers,
            valid_as_of=iat,
            expires_at=exp,
            status_tokens=dict(lists),
            source="bundle",
            authorities=certificates.authorities,
            crls=certificates.crls,
        )
    except TrustError as exc:
        raise _invalid(f"the trust bundle has a bad entry: {exc.message}") from exc
