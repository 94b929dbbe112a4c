"""Verifier side: RFC 9901 §7.1 (the SD-JWT) and §7.3 (key binding).

Verification raises on failure and returns only what was verified. Whether key binding is
required is the caller's policy, never inferred from whether a KB-JWT happens to be present
(§7.3 step 1): an attacker would simply strip it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from credentials.claim_path import ClaimPath
from credentials.clock import DEFAULT_LEEWAY, check_leeway, verify_time_claims
from credentials.errors import CredentialError, JOSEError, KeyBindingError, SDJWTError
from credentials.jose import JWS, SIGNING_ALGORITHMS, parse_jws, verify_jws
from credentials.sd_jwt.disclosure import Disclosure, digest_of
from credentials.sd_jwt.model import SDJWT, parse_sd_jwt
from credentials.sd_jwt.present import KB_JWT_TYP
from credentials.sd_jwt.process import process_payload
from did.errors import KeyFormatError
from did.keys import PublicKey

__all__ = [
    "DEFAULT_KB_MAX_AGE",
    "IssuerKeyResolver",
    "KeyBinding",
    "VerifiedSDJWT",
    "check_cnf",
    "holder_key_of",
    "verify_sd_jwt",
]

DEFAULT_KB_MAX_AGE = 300


class IssuerKeyResolver(Protocol):
    """Finds the issuer's public key for an (as yet unverified) issuer-signed JWT."""

    def __call__(self, jws: JWS, /) -> PublicKey: ...


@dataclass(frozen=True, slots=True)
class KeyBinding:
    header: dict[str, Any]
    payload: dict[str, Any]

    @property
    def nonce(self) -> str:
        return str(self.payload["nonce"])

    @property
    def aud(self) -> str:
        return str(self.payload["aud"])

    @property
    def iat(self) -> int:
        return int(self.payload["iat"])


@dataclass(frozen=True, slots=True)
class VerifiedSDJWT:
    """The outcome of a successful verification.

    ``claims`` is the processed payload of §7.1: plaintext claims plus disclosed ones, with
    ``_sd``/``_sd_alg`` removed — never a claim that was not disclosed.
    """

    claims: dict[str, Any]
    header: dict[str, Any]
    payload: dict[str, Any]
    disclosures: tuple[Disclosure, ...]
    disclosed_paths: tuple[ClaimPath, ...]
    issuer_key: PublicKey
    holder_key: PublicKey | None
    key_binding: KeyBinding | None


# RFC 7517/7518 §6: members that only a private (or symmetric) key has.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# RFC 7800 §3.1: "at most one of the jwk, jwe, and jku confirmation method members".
_CONFIRMATION_METHODS = ("jwk", "jwe", "jku")


def check_cnf(cnf: object) -> None:
    """The RFC 7800 §3.1 shape of a ``cnf`` value, whatever the method: a JSON object naming
    one proof-of-possession key, and a ``jwk`` without private members (RFC 7518 §6)."""
    if not isinstance(cnf, Mapping):
        raise KeyBindingError("'cnf' must be a JSON object", code="invalid_cnf")
    if sum(method in cnf for method in _CONFIRMATION_METHODS) > 1:
        raise KeyBindingError(
            "'cnf' names more than one proof-of-possession key", code="invalid_cnf"
        )
    jwk = cnf.get("jwk")
    if isinstance(jwk, Mapping) and _PRIVATE_JWK_MEMBERS.intersection(jwk):
        raise KeyBindingError("'cnf' carries a private key", code="invalid_cnf")


def holder_key_of(payload: Mapping[str, Any]) -> PublicKey | None:
    """The holder's key from ``cnf`` (RFC 7800 §3.2 ``jwk``), or None when unbound.

    drukid binds with ``jwk`` only (HAIP requires it); another confirmation method is refused
    rather than silently leaving the credential unbound.
    """
    cnf = payload.get("cnf")
    if cnf is None:
        return None
    check_cnf(cnf)
    assert isinstance(cnf, Mapping)
    if not isinstance(cnf.get("jwk"), Mapping):
        raise KeyBindingError("'cnf' must carry the holder's key as 'jwk'", code="invalid_cnf")
    try:
        return PublicKey.from_jwk(cnf["jwk"])
    except KeyFormatError as exc:
        raise KeyBindingError(f"'cnf.jwk' is unusable: {exc.message}", code="invalid_cnf") from exc


def _verify_key_binding(
    presentation: SDJWT,
    holder_key: PublicKey | None,
    *,
    hash_alg: str,
    now: int,
    leeway: int,
    max_age: int,
    nonce: str | None,
    aud: str | None,
    algorithms: Collection[str],
) -> KeyBinding:
    if holder_key is None:
        raise KeyBindingError("the credential names no holder key ('cnf')", code="missing_cnf")
    assert presentation.kb_jwt is not None
    try:
        kb = verify_jws(presentation.kb_jwt, holder_key, typ=KB_JWT_TYP, algorithms=algorithms)
    except JOSEError as exc:
        code = "kb_invalid_typ" if exc.code == "invalid_typ" else "kb_invalid_signature"
        raise KeyBindingError(f"key binding JWT: {exc.message}", code=code) from exc
    claims = kb.payload
    # §4.3: aud "MUST be a single string", nonce a string; iat a NumericDate (RFC 7519 §2:
    # non-integer seconds allowed, so 1.8e9 and 1800000000.5 are both valid).
    for name, kind in (("iat", int | float), ("aud", str), ("nonce", str), ("sd_hash", str)):
        value = claims.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise KeyBindingError(
                f"key binding JWT lacks a valid {name!r}", code="kb_missing_claim"
            )
    iat = claims["iat"]  # finite: the strict JSON parser refuses NaN, Infinity and 1e400
    if iat > now + leeway or iat < now - max_age - leeway:
        raise KeyBindingError(
            "the key binding JWT is too old or from the future", code="kb_iat_invalid"
        )
    # The KB-JWT may carry exp/nbf too; honour them.
    try:
        verify_time_claims(claims, now=now, leeway=leeway)
    except CredentialError as exc:
        raise KeyBindingError(f"key binding JWT: {exc.message}", code="kb_expired") from exc
    if nonce is not None and claims["nonce"] != nonce:
        raise KeyBindingError("the nonce does not match this request", code="nonce_mismatch")
    if aud is not None and claims["aud"] != aud:
        raise KeyBindingError("the presentation was made for another audience", code="aud_mismatch")
    if claims["sd_hash"] != digest_of(presentation.without_key_binding, hash_alg):
        raise KeyBindingError(
            "sd_hash does not match the presented SD-JWT", code="sd_hash_mismatch"
        )
    return KeyBinding(kb.header, claims)


def verify_sd_jwt(
    sd_jwt: SDJWT | str,
    *,
    issuer_key: PublicKey | IssuerKeyResolver,
    now: int,
    require_key_binding: bool,
    nonce: str | None = None,
    aud: str | None = None,
    typ: str | Collection[str] | None = None,
    algorithms: Collection[str] = SIGNING_ALGORITHMS,
    leeway: int = DEFAULT_LEEWAY,
    kb_max_age: int = DEFAULT_KB_MAX_AGE,
    required_claims: Sequence[str] = (),
    never_disclosable: Collection[str] = (),
) -> VerifiedSDJWT:
    """Verify an SD-JWT or SD-JWT+KB; raise a :class:`CredentialError` subclass on failure.

    With ``require_key_binding`` a KB-JWT must be present and ``nonce`` and ``aud`` must be
    given; a KB-JWT present without the requirement is still checked in full.
    ``never_disclosable`` names top-level claims a profile forbids to be selectively
    disclosable (rejected with ``forbidden_selective_disclosure`` before any other claim check).
    """
    check_leeway(leeway)
    if require_key_binding and (not nonce or not aud):
        raise ValueError("require_key_binding needs the expected nonce and aud")
    presentation = sd_jwt if isinstance(sd_jwt, SDJWT) else parse_sd_jwt(sd_jwt)
    jws = parse_jws(presentation.jwt)
    key = issuer_key if isinstance(issuer_key, PublicKey) else issuer_key(jws)
    verify_jws(jws, key, typ=typ, algorithms=algorithms)
    processed = process_payload(
        jws.payload, presentation.disclosures, never_disclosable=never_disclosable
    )
    # §7.1 step 5: validity is judged on the *processed* payload, so an exp/nbf/iat that an
    # issuer made selectively disclosable is still enforced when the holder discloses it.
    verify_time_claims(processed.claims, now=now, leeway=leeway)
    for name in required_claims:
        if name not in processed.claims:
            raise SDJWTError(f"required claim {name!r} is missing", code="missing_claim")
    # §9.7: verifiers "operate as though security-critical claims might be selectively
    # disclosable", so the holder key is read from the processed payload: a disclosed cnf is
    # still the issuer's (its digest is signed), and a withheld one binds nothing.
    holder_key = holder_key_of(processed.claims)
    key_binding = None
    if presentation.kb_jwt is not None:
        key_binding = _verify_key_binding(
            presentation,
            holder_key,
            hash_alg=processed.hash_alg,
            now=now,
            leeway=leeway,
            max_age=kb_max_age,
            nonce=nonce,
            aud=aud,
            algorithms=algorithms,
        )
    elif require_key_binding:
        raise KeyBindingError("key binding is required but missing", code="key_binding_required")
    return VerifiedSDJWT(
        claims=processed.claims,
        header=jws.header,
        payload=jws.payload,
        disclosures=presentation.disclosures,
        disclosed_paths=tuple(processed.disclosure_paths),
        issuer_key=key,
        holder_key=holder_key,
        key_binding=key_binding,
    )
