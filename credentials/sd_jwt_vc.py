"""SD-JWT VC profile (draft-ietf-oauth-sd-jwt-vc-25) on top of RFC 9901.

§3.2.1: ``typ`` is ``dc+sd-jwt`` (the older ``vc+sd-jwt`` only behind ``allow_legacy_typ``).
§3.2.2: ``vct`` (required), ``iss``, ``nbf``, ``exp``, ``cnf``, ``status`` and ``vct#integrity``
are never selectively disclosable; ``iat`` and ``sub`` may be. A verifier must see them in plain
text before it can decide anything, so a disclosure that carries one is rejected.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from credentials.clock import DEFAULT_LEEWAY
from credentials.errors import SDJWTError, StatusListError
from credentials.jose import SIGNING_ALGORITHMS
from credentials.sd_jwt import (
    DEFAULT_KB_MAX_AGE,
    SDJWT,
    ClaimPath,
    IssuerKeyResolver,
    VerifiedSDJWT,
    issue_sd_jwt,
    resolve_sd_paths,
    verify_sd_jwt,
)
from credentials.sd_jwt.process import ARRAY_KEY, SD_KEY
from credentials.status_list import StatusReference
from did.keys import PrivateKey, PublicKey

__all__ = [
    "LEGACY_SD_JWT_VC_TYP",
    "NEVER_DISCLOSABLE",
    "RESERVED_CLAIMS",
    "SD_JWT_VC_TYP",
    "VerifiedCredential",
    "issue_sd_jwt_vc",
    "verify_sd_jwt_vc",
]

SD_JWT_VC_TYP = "dc+sd-jwt"
LEGACY_SD_JWT_VC_TYP = "vc+sd-jwt"
NEVER_DISCLOSABLE = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})
# Set from parameters by issue_sd_jwt_vc, never taken from the caller's claims.
RESERVED_CLAIMS = frozenset({"iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})


def _has_sd_digests(value: Any) -> bool:
    """True when ``value`` holds an ``_sd`` array or a ``{"...": digest}`` element anywhere."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if SD_KEY in item or (len(item) == 1 and ARRAY_KEY in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def issue_sd_jwt_vc(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    iss: str,
    vct: str,
    iat: int,
    exp: int | None = None,
    nbf: int | None = None,
    sd_paths: Iterable[str | ClaimPath] = (),
    holder_key: PublicKey | None = None,
    status: Mapping[str, Any] | None = None,
    vct_integrity: str | None = None,
    kid: str | None = None,
    decoys: int = 0,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> SDJWT:
    """Issue an SD-JWT VC; the registered claims come from parameters, the rest from ``claims``."""
    reserved = RESERVED_CLAIMS.intersection(claims)
    if reserved:
        raise SDJWTError(
            f"claims {sorted(reserved)} are set by the issuer, not passed as claims",
            code="invalid_claim_name",
        )
    if not isinstance(vct, str) or not vct:
        raise SDJWTError("an SD-JWT VC needs a credential type ('vct')", code="missing_vct")
    payload: dict[str, Any] = {"iss": iss, "vct": vct, "iat": iat}
    if vct_integrity is not None:
        payload["vct#integrity"] = vct_integrity
    if nbf is not None:
        payload["nbf"] = nbf
    if exp is not None:
        payload["exp"] = exp
    if status is not None:
        payload["status"] = dict(status)
    payload.update(claims)
    sd_paths = tuple(sd_paths)
    for path in resolve_sd_paths(payload, sd_paths):
        # Any depth: status.status_list.idx hidden is status hidden.
        if path[0] in NEVER_DISCLOSABLE:
            raise SDJWTError(
                f"claim {path[0]!r} is never selectively disclosable in an SD-JWT VC",
                code="forbidden_selective_disclosure",
            )
    return issue_sd_jwt(
        payload,
        key,
        sd_paths=sd_paths,
        typ=SD_JWT_VC_TYP,
        kid=kid,
        holder_key=holder_key,
        decoys=decoys,
        random_bytes=random_bytes,
    )


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """A verified SD-JWT VC: the SD-JWT result plus the profile's claims, read safely."""

    sd_jwt: VerifiedSDJWT
    vct: str
    iss: str

    @property
    def claims(self) -> dict[str, Any]:
        return self.sd_jwt.claims

    @property
    def status(self) -> Mapping[str, Any] | None:
        status = self.sd_jwt.payload.get("status")
        return status if isinstance(status, Mapping) else None

    @property
    def holder_key(self) -> PublicKey | None:
        return self.sd_jwt.holder_key


def verify_sd_jwt_vc(
    sd_jwt: SDJWT | str,
    *,
    issuer_key: PublicKey | IssuerKeyResolver,
    now: int,
    require_key_binding: bool,
    nonce: str | None = None,
    aud: str | None = None,
    vct_values: Collection[str] | None = None,
    allow_legacy_typ: bool = False,
    algorithms: Collection[str] = SIGNING_ALGORITHMS,
    leeway: int = DEFAULT_LEEWAY,
    kb_max_age: int = DEFAULT_KB_MAX_AGE,
) -> VerifiedCredential:
    """Verify an SD-JWT VC (RFC 9901 §7 plus the SD-JWT VC rules); raise on any failure."""
    typ = (SD_JWT_VC_TYP, LEGACY_SD_JWT_VC_TYP) if allow_legacy_typ else SD_JWT_VC_TYP
    verified = verify_sd_jwt(
        sd_jwt,
        issuer_key=issuer_key,
        now=now,
        require_key_binding=require_key_binding,
        nonce=nonce,
        aud=aud,
        typ=typ,
        algorithms=algorithms,
        leeway=leeway,
        kb_max_age=kb_max_age,
    )
    payload = verified.payload
    for path in verified.disclosed_paths:
        if path[0] in NEVER_DISCLOSABLE:
            raise SDJWTError(
                f"claim {path[0]!r} must not be selectively disclosable",
                code="forbidden_selective_disclosure",
            )
    # A member hidden *inside* one of them (status.status_list with an _sd digest) that the
    # holder did not disclose leaves no disclosed path; the signed payload still shows it.
    for name in NEVER_DISCLOSABLE.intersection(payload):
        if _has_sd_digests(payload[name]):
            raise SDJWTError(
                f"claim {name!r} must not contain selectively disclosable parts",
                code="forbidden_selective_disclosure",
            )
    vct = payload.get("vct")
    if not isinstance(vct, str) or not vct:
        raise SDJWTError("the credential has no type ('vct')", code="missing_vct")
    if vct_values is not None and vct not in vct_values:
        raise SDJWTError(f"credential type {vct!r} is not the one asked for", code="vct_mismatch")
    iss = payload.get("iss")
    if not isinstance(iss, str) or not iss:
        raise SDJWTError("the credential names no issuer ('iss')", code="missing_iss")
    try:  # a status list reference must be usable, or revocation could never be checked
        StatusReference.from_claims(payload)
    except StatusListError as exc:
        raise SDJWTError(exc.message, code="invalid_status_reference") from exc
    return VerifiedCredential(verified, vct, iss)
