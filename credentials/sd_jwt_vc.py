"""SD-JWT VC profile (draft-ietf-oauth-sd-jwt-vc-25) on top of RFC 9901.

Sections by name (their numbers moved between drafts; docs/dev/conformance.md has the map):

* "JOSE Header": ``typ`` is ``dc+sd-jwt`` (the older ``vc+sd-jwt`` only behind
  ``allow_legacy_typ``).
* "vct Claim": a case-sensitive string, a Collision-Resistant Name; "aka_vcts Claim": a
  non-empty array of such strings, not repeating ``vct``.
* "Registered JWT Claims": ``iss``, ``nbf``, ``exp``, ``cnf``, ``vct``, ``vct#integrity``,
  ``aka_vcts`` and ``status`` "including any of their sub-claims ... MUST NOT be selectively
  disclosed"; ``iat`` and ``sub`` may be. A disclosure that carries one, or a digest inside one,
  is rejected: the verifier must see them in plain text before it can decide anything.
* "SD-JWT VC without Selectively Disclosable Claims": no ``_sd`` claim then.
* Token Status List §6.2: ``status`` names a mechanism; a ``status_list`` reference is usable.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credentials._uri import is_absolute_uri
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
    verify_sd_jwt,
)
from credentials.sd_jwt.process import SD_KEY, has_digests
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
NEVER_DISCLOSABLE = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)
# Set from parameters by issue_sd_jwt_vc, never taken from the caller's claims.
RESERVED_CLAIMS = NEVER_DISCLOSABLE | {"iat"}


def _check_vct(vct: object) -> str:
    if not isinstance(vct, str) or not vct:
        raise SDJWTError("an SD-JWT VC needs a credential type ('vct')", code="missing_vct")
    return vct


def _check_aka_vcts(aka_vcts: object, vct: str) -> None:
    """The "aka_vcts Claim" rules: a non-empty array of type strings, none the ``vct``."""
    if (
        not isinstance(aka_vcts, list)
        or not aka_vcts
        or not all(isinstance(item, str) and item for item in aka_vcts)
    ):
        raise SDJWTError(
            "'aka_vcts' must be a non-empty array of credential types", code="invalid_aka_vcts"
        )
    if vct in aka_vcts:
        raise SDJWTError("'aka_vcts' repeats the credential's own 'vct'", code="invalid_aka_vcts")


def _check_vc_payload(payload: Mapping[str, Any]) -> tuple[str, str]:
    """The profile's checks of the issuer-signed payload; returns ``(vct, iss)``."""
    vct = _check_vct(payload.get("vct"))
    iss = payload.get("iss")
    # iss is OPTIONAL in the draft when x5c names the issuer; drukid requires it: keys are
    # resolved by iss (JWT VC Issuer Metadata or DID), and an x5c chain must name it.
    if not isinstance(iss, str) or not iss:
        raise SDJWTError("the credential names no issuer ('iss')", code="missing_iss")
    if "aka_vcts" in payload:
        _check_aka_vcts(payload["aka_vcts"], vct)
    integrity = payload.get("vct#integrity")
    if integrity is not None and (not isinstance(integrity, str) or not integrity.strip()):
        # Document integrity: "The value MUST be an 'integrity metadata' string" (W3C SRI).
        raise SDJWTError("'vct#integrity' must be an integrity string", code="invalid_integrity")
    if SD_KEY in payload and not has_digests(
        {name: value for name, value in payload.items() if name != SD_KEY}
    ):
        sd = payload[SD_KEY]
        if isinstance(sd, list) and not sd:
            # "SD-JWT VC without Selectively Disclosable Claims": MUST NOT contain _sd.
            raise SDJWTError(
                "an SD-JWT VC with nothing selectively disclosable carries an empty '_sd'",
                code="invalid_sd_claim",
            )
    try:  # a status list reference must be usable, or revocation could never be checked
        StatusReference.from_claims(payload)
    except StatusListError as exc:
        raise SDJWTError(exc.message, code="invalid_status_reference") from exc
    return vct, iss


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
    aka_vcts: Sequence[str] | None = None,
    kid: str | None = None,
    x5c: Sequence[str] | None = None,
    decoys: int = 0,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> SDJWT:
    """Issue an SD-JWT VC; the registered claims come from parameters, the rest from ``claims``.

    ``x5c``: the signing certificate and its intermediates (standard base64 DER, leaf first,
    never the trust anchor) for the "Inline X.509 Certificates" key mechanism that HAIP 1.0
    §6.1.1 requires; check it first with :func:`credentials.x509.check_signing_chain`.

    Refuses what a verifier following the draft would refuse: a ``vct`` that is not a URI (the
    draft wants a Collision-Resistant Name; drukid's types are URLs, and a URI is the checkable
    form), a malformed ``aka_vcts`` or ``status``, and any registered claim made disclosable.
    """
    reserved = RESERVED_CLAIMS.intersection(claims)
    if reserved:
        raise SDJWTError(
            f"claims {sorted(reserved)} are set by the issuer, not passed as claims",
            code="invalid_claim_name",
        )
    _check_vct(vct)
    if not is_absolute_uri(vct):
        raise SDJWTError(
            f"credential type {vct!r} is not a URI (a collision-resistant name)",
            code="invalid_vct",
        )
    payload: dict[str, Any] = {"iss": iss, "vct": vct, "iat": iat}
    if vct_integrity is not None:
        payload["vct#integrity"] = vct_integrity
    if aka_vcts is not None:
        payload["aka_vcts"] = list(aka_vcts)
        if not all(is_absolute_uri(item) for item in aka_vcts):
            raise SDJWTError("every 'aka_vcts' entry must be a URI", code="invalid_aka_vcts")
    if nbf is not None:
        payload["nbf"] = nbf
    if exp is not None:
        payload["exp"] = exp
    if status is not None:
        payload["status"] = dict(status)
    payload.update(claims)
    _check_vc_payload(payload)
    # never_disclosable refuses any depth: status.status_list.idx hidden is status hidden.
    return issue_sd_jwt(
        payload,
        key,
        sd_paths=sd_paths,
        typ=SD_JWT_VC_TYP,
        kid=kid,
        headers={"x5c": list(x5c)} if x5c else None,
        holder_key=holder_key,
        decoys=decoys,
        random_bytes=random_bytes,
        never_disclosable=NEVER_DISCLOSABLE,
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
        # Disclosed at any depth, or a digest inside one (even one the holder withheld, which
        # leaves no disclosed path): process_payload rejects it before time or key binding.
        never_disclosable=NEVER_DISCLOSABLE,
    )
    vct, iss = _check_vc_payload(verified.payload)
    if vct_values is not None and vct not in vct_values:
        raise SDJWTError(f"credential type {vct!r} is not the one asked for", code="vct_mismatch")
    return VerifiedCredential(verified, vct, iss)
