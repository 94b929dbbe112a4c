"""OAuth 2.0 Attestation-Based Client Authentication (draft-ietf-oauth-attestation-based-
client-auth; OpenID4VCI 1.0 pins -07, the current draft is -10) as HAIP 1.0 §4.4.1 uses it.

A wallet provider signs a *client attestation* (``typ`` ``oauth-client-attestation+jwt``:
``sub`` = the wallet's client_id, ``exp``, ``cnf.jwk`` = the wallet instance's key, ``iss`` in
-07, optional ``iat``, ``wallet_name``); the wallet proves it holds that key with a fresh *PoP*
per request (``typ`` ``oauth-client-attestation-pop+jwt``: ``aud`` = the authorization
server's issuer identifier as a string, ``jti``, ``iat``; -07 and older stacks add ``iss`` =
``sub`` and ``exp``). Both travel as the ``OAuth-Client-Attestation`` and
``OAuth-Client-Attestation-PoP`` headers.

The checker accepts the -07 and -10 shapes: ``aud``, ``jti`` and ``iat`` are required, ``iss``
and ``exp`` are checked when present (unknown claims are ignored, -10 §5.2). The maker sends the
union, which both shapes accept. The attestation is trusted through an ``x5c`` chain to a
configured wallet-provider anchor (HAIP §4.4.1; anchor the provider's CA, never the national
root, or every agency certificate would pass) or a configured key by ``kid``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credentials.errors import ClientAttestationError, CredentialError
from credentials.jose import JWS, parse_jws, sign_jws, verify_jws
from credentials.x509 import TrustAnchor, encode_x5c, validate_x5c
from did.errors import DIDError
from did.keys import ES256, PrivateKey, PublicKey

__all__ = [
    "ATTESTATION_TYP",
    "POP_TYP",
    "VerifiedClientAttestation",
    "make_client_attestation",
    "make_client_attestation_pop",
    "verify_client_attestation",
]

ATTESTATION_TYP = "oauth-client-attestation+jwt"
POP_TYP = "oauth-client-attestation-pop+jwt"
MAX_HEADER_BYTES = 8 * 1024  # ABCA §9.5: keep the headers small
MAX_JTI = 256


@dataclass(frozen=True, slots=True)
class VerifiedClientAttestation:
    """An attestation and its PoP that passed every check but PoP replay (the caller stores
    ``pop_jti``)."""

    sub: str
    iss: str | None
    instance_key: PublicKey
    instance_jkt: str
    wallet_name: str | None
    exp: int
    provider: str
    pop_jti: str
    pop_iat: int


def _fail(code: str, message: str, *, error: str | None = None) -> ClientAttestationError:
    exc = ClientAttestationError(message, code=code)
    if error is not None:
        exc.error = error
    return exc


def make_client_attestation(
    provider_key: PrivateKey,
    *,
    sub: str,
    instance_key: PublicKey,
    iat: int,
    exp: int,
    iss: str | None = None,
    x5c: Sequence[Any] | None = None,
    kid: str | None = None,
    wallet_name: str | None = None,
) -> str:
    """The wallet provider's attestation of one wallet instance key (``x5c``: the provider's
    certificate chain, leaf first, anchor excluded)."""
    claims: dict[str, Any] = {
        "sub": sub,
        "iat": iat,
        "exp": exp,
        "cnf": {"jwk": instance_key.to_jwk()},
    }
    if iss is not None:
        claims["iss"] = iss
    if wallet_name is not None:
        claims["wallet_name"] = wallet_name
    headers: dict[str, Any] = {}
    if x5c is not None:
        headers["x5c"] = encode_x5c(list(x5c)) if x5c and not isinstance(x5c[0], str) else list(x5c)
    return sign_jws(claims, provider_key, typ=ATTESTATION_TYP, kid=kid, headers=headers or None)


def make_client_attestation_pop(
    instance_key: PrivateKey, *, sub: str, aud: str, iat: int, jti: str, lifetime: int = 60
) -> str:
    """A PoP for one request to ``aud``: -10's claims plus -07's ``iss`` and ``exp``."""
    claims = {"iss": sub, "aud": aud, "jti": jti, "iat": iat, "exp": iat + lifetime}
    return sign_jws(claims, instance_key, typ=POP_TYP)


def _int(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail("client_attestation_malformed", f"claim {name!r} must be an integer")
    return value


def _parse(token: object, what: str) -> JWS:
    if not isinstance(token, str) or not token:
        raise _fail("client_attestation_malformed", f"the {what} is missing")
    try:
        return parse_jws(token, max_bytes=MAX_HEADER_BYTES)
    except CredentialError as exc:
        raise _fail("client_attestation_malformed", f"the {what} is not a JWT") from exc


def _provider_key(
    jws: JWS, anchors: Sequence[TrustAnchor], jwks: Mapping[str, PublicKey], now: int
) -> tuple[PublicKey, str]:
    x5c = jws.header.get("x5c")
    if x5c is not None and anchors:
        try:
            chain = validate_x5c(x5c, anchors, time=now)
        except CredentialError as exc:
            raise _fail(
                "client_attestation_untrusted",
                f"the wallet attestation's certificate is not from a trusted wallet provider "
                f"({exc.code})",
            ) from exc
        return chain.public_key, chain.subject.words
    kid = jws.kid
    if kid is not None and kid in jwks:
        return jwks[kid], f"key {kid}"
    raise _fail(
        "client_attestation_untrusted",
        "the wallet attestation is not signed by a trusted wallet provider",
    )


def verify_client_attestation(
    attestation: object,
    pop: object,
    *,
    audience: str,
    now: int,
    anchors: Sequence[TrustAnchor] = (),
    jwks: Mapping[str, PublicKey] | None = None,
    algorithms: Collection[str] = (ES256,),
    max_age: int = 86400,
    pop_max_age: int = 300,
    leeway: int = 60,
) -> VerifiedClientAttestation:
    """ABCA §7.1 (attestation) and §7.2 (PoP) checks; raises :class:`ClientAttestationError`
    with ``error`` ``invalid_client`` (or ``use_fresh_attestation``) and a specific code."""
    att = _parse(attestation, "client attestation")
    pjws = _parse(pop, "client attestation PoP")
    for jws, typ, what in ((att, ATTESTATION_TYP, "attestation"), (pjws, POP_TYP, "PoP")):
        if jws.header.get("typ") != typ:
            raise _fail("client_attestation_typ", f"the client {what}'s typ must be {typ}")
        if jws.alg not in algorithms:
            raise _fail("client_attestation_alg", f"the client {what}'s alg is not accepted")
    key, provider = _provider_key(att, anchors, jwks or {}, now)
    try:
        verify_jws(att, key, typ=ATTESTATION_TYP, algorithms=algorithms)
    except CredentialError as exc:
        raise _fail(
            "client_attestation_untrusted", "the wallet attestation's signature does not verify"
        ) from exc
    claims = att.payload
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _fail("client_attestation_malformed", "the client attestation has no sub")
    exp = _int(claims, "exp")
    if exp is None:
        raise _fail("client_attestation_malformed", "the client attestation has no exp")
    if exp <= now - leeway:
        raise _fail("client_attestation_expired", "the wallet attestation has expired")
    iat = _int(claims, "iat")
    if iat is not None and (iat > now + leeway):
        raise _fail("client_attestation_malformed", "the wallet attestation is from the future")
    if iat is not None and now - iat > max_age:
        raise _fail(
            "client_attestation_not_fresh",
            "the wallet attestation is too old; get a fresh one from the wallet provider",
            error="use_fresh_attestation",
        )
    cnf = claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict) or "d" in jwk:
        raise _fail("client_attestation_key_invalid", "cnf.jwk must be a public key")
    try:
        instance_key = PublicKey.from_jwk(jwk)
    except DIDError as exc:  # the JWK is not a usable key
        raise _fail("client_attestation_key_invalid", f"cnf.jwk is not usable: {exc}") from exc
    try:
        verify_jws(pjws, instance_key, typ=POP_TYP, algorithms=algorithms)
    except CredentialError as exc:
        raise _fail(
            "client_attestation_pop_signature",
            "the attestation PoP is not signed with the attested wallet key",
        ) from exc
    pop_claims = pjws.payload
    if not isinstance(pop_claims.get("aud"), str) or pop_claims["aud"] != audience:
        raise _fail(
            "client_attestation_pop_audience",
            f"the attestation PoP is for another audience; its aud must be {audience}",
        )
    jti = pop_claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
        raise _fail("client_attestation_malformed", "the attestation PoP needs a jti")
    pop_iat = _int(pop_claims, "iat")
    if pop_iat is None or pop_iat < now - pop_max_age - leeway or pop_iat > now + leeway:
        raise _fail("client_attestation_pop_stale", "the attestation PoP is not fresh (iat)")
    pop_exp = _int(pop_claims, "exp")
    if pop_exp is not None and pop_exp <= now - leeway:
        raise _fail("client_attestation_pop_expired", "the attestation PoP has expired")
    pop_iss = pop_claims.get("iss")
    if pop_iss is not None and pop_iss != sub:
        raise _fail(
            "client_attestation_pop_issuer", "the attestation PoP's iss is not the attested client"
        )
    iss = claims.get("iss")
    wallet_name = claims.get("wallet_name")
    return VerifiedClientAttestation(
        sub=sub,
        iss=iss if isinstance(iss, str) else None,
        instance_key=instance_key,
        instance_jkt=instance_key.thumbprint(),
        wallet_name=wallet_name if isinstance(wallet_name, str) else None,
        exp=exp,
        provider=provider,
        pop_jti=jti,
        pop_iat=pop_iat,
    )
