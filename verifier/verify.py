"""The one call: verify an SD-JWT VC presentation against a policy and a trust registry.

Order of checks (each recorded in :attr:`VerificationResult.checks`):

1. ``format``: size cap, SD-JWT compact form (RFC 9901 §4); ``issuer_jwt`` when the issuer's
   JWT itself cannot be parsed.
2. ``credential_type`` and ``issuer_trusted``: the (not yet verified) ``iss`` and ``vct`` only
   *select* the trust entry; an untrusted issuer is refused before any network access.
3. ``issuer_key``: the key, by a mechanism the policy permits (:mod:`verifier.keys`). Steps 2-3
   run as the core's key resolver, so the issuer JWT is parsed once.

   Which mechanism is decided by the trust data for the credential's type, never by the
   credential alone (SD-JWT VC: "an attacker cannot influence the type of verification
   process used"): when the trust data lists certificate authorities for the ``vct`` and the
   issuer JWT carries ``x5c``, the key is the chain's (``issuer_certificate``: path validation
   at the presentation time, CRLs, the leaf naming ``iss``, the authority vouching for the
   ``vct``; every refusal its own ``x5c_*`` code, and no fallback); the issuer need not be
   listed itself (its name then comes from its certificate). Otherwise the issuer must be
   listed for the ``vct`` (``issuer_trusted``) and its key is pinned, DID or metadata; an
   ``x5c`` the trust data gives no authority for is not used.
4. ``typ``, ``issuer_signature``, ``disclosures``, ``validity``, ``key_binding``: RFC 9901 §7.1
   and §7.3 and the SD-JWT VC profile (draft-25 §3), by :func:`credentials.sd_jwt_vc.
   verify_sd_jwt_vc`. Key binding is required by policy, never inferred from its presence.
5. ``required_claims``: every claim the request required was disclosed.
6. ``status``: Token Status List (:mod:`credentials.status_check`); revoked or suspended rejects; an
   unavailable list rejects or is flagged "unknown as of T", as the policy says.

Any failure raises :class:`~verifier.errors.VerificationError` (subclass) with the original
stable code and the checks done so far; success returns an immutable
:class:`VerificationResult` holding only disclosed claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from core.encoding import b64url_encode, dumps_compact
from credentials.clock import numeric_date, system_time
from credentials.dcql import select_claims
from credentials.errors import CredentialError
from credentials.issuer_keys import has_x5c
from credentials.jose import JWS
from credentials.sd_jwt import SDJWT, parse_claim_path, parse_sd_jwt
from credentials.sd_jwt_vc import VerifiedCredential, verify_sd_jwt_vc
from credentials.status_check import StatusChecker, StatusOutcome
from credentials.status_list import StatusReference
from credentials.x509 import TrustAnchor
from did.keys import PublicKey
from verifier.errors import PresentationError, TrustError, VerificationError, from_lower_error
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.trust import TrustedIssuer, TrustRegistry, type_id_of

__all__ = [
    "PASSED",
    "Check",
    "VerificationResult",
    "freeze",
    "jwk_thumbprint",
    "thaw",
    "verify_presentation",
]

PASSED, FAILED, SKIPPED, UNKNOWN = "passed", "failed", "skipped", "unknown"
# Registered claims are reported in their own fields, never among the person's claims.
_TECHNICAL = frozenset(
    {"iss", "vct", "vct#integrity", "iat", "exp", "nbf", "cnf", "status", "_sd_alg"}
)
_CHECK_OF_CODE = {
    "invalid_typ": "typ",
    "invalid_signature": "issuer_signature",
    "algorithm_not_allowed": "issuer_signature",
    "algorithm_key_mismatch": "issuer_signature",
    "unsupported_crit": "issuer_signature",
    "expired": "validity",
    "not_yet_valid": "validity",
    "issued_in_future": "validity",
    "invalid_claim": "validity",
    "vct_mismatch": "credential_type",
    "missing_vct": "credential_type",
    "missing_iss": "credential_type",
    "missing_claim": "required_claims",
    "nonce_mismatch": "key_binding",
    "aud_mismatch": "key_binding",
    "sd_hash_mismatch": "key_binding",
    "key_binding_required": "key_binding",
    "missing_cnf": "key_binding",
    "invalid_cnf": "key_binding",
}
# The certificate rules (credentials.x509), reported as the issuer_certificate check.
_CERTIFICATE_CHECK = "issuer_certificate"
_STATUS_CODES = {"invalid": "status_revoked", "suspended": "status_suspended"}


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome: ``passed``, ``failed``, ``skipped`` or ``unknown``."""

    name: str
    outcome: str
    detail: str

    def as_tuple(self) -> tuple[str, str, str]:
        return self.name, self.outcome, self.detail


def freeze(value: Any) -> Any:
    """A read-only deep copy of JSON data (objects become mapping proxies, arrays tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Plain JSON data again (for serialising)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """A verified presentation. ``claims`` holds the person's disclosed claims only (never an
    undisclosed one, never the raw presentation); registered claims have their own fields.

    ``status``: ``valid``, ``unknown`` (accepted by policy; see ``status_checked_at`` and the
    ``status`` check) or ``none`` (the credential carries no status reference).
    ``trust_valid_as_of``: when the trust data that vouched for the issuer was current.
    ``status_checked_at``: the ``iat`` of the status list used ("valid as of T")."""

    claims: Mapping[str, Any]
    issuer: str
    issuer_name: str
    vct: str
    type_id: str | None
    status: str
    checks: tuple[Check, ...]
    verified_at: int
    trust_valid_as_of: int | None
    status_checked_at: int | None
    issued_at: int | None
    expires_at: int | None
    key_mechanism: str
    holder_jwk: Mapping[str, Any] | None = None
    # Claim paths the wallet disclosed but the request did not ask for: left out of ``claims``
    # (verifier.oid4vp.response.minimal_results).
    dropped_claims: tuple[str, ...] = ()

    @property
    def holder_key_thumbprint(self) -> str | None:
        """RFC 7638 thumbprint of the holder's key (computed on demand, for audit logs)."""
        return None if self.holder_jwk is None else jwk_thumbprint(self.holder_jwk)

    def to_json(self) -> dict[str, Any]:
        return {
            "claims": thaw(self.claims),
            "issuer": self.issuer,
            "issuer_name": self.issuer_name,
            "vct": self.vct,
            "type_id": self.type_id,
            "status": self.status,
            "checks": [
                {"name": c.name, "outcome": c.outcome, "detail": c.detail} for c in self.checks
            ],
            "verified_at": self.verified_at,
            "trust_valid_as_of": self.trust_valid_as_of,
            "status_checked_at": self.status_checked_at,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "key_mechanism": self.key_mechanism,
            "holder_key_thumbprint": self.holder_key_thumbprint,
            "dropped_claims": list(self.dropped_claims),
        }


class _Run:
    """The checks of one verification, so a failure can report how far it got."""

    __slots__ = ("checks",)

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def passed(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, PASSED, detail))

    def fail(
        self, name: str, error: VerificationError, *, code: str | None = None
    ) -> VerificationError:
        self.checks.append(Check(name, FAILED, error.code))
        error.checks = tuple(c.as_tuple() for c in self.checks)
        if code is not None:
            error.code = code
        return error

    def lower(
        self,
        name: str,
        exc: CredentialError,
        kind: type[PresentationError] | type[TrustError] = PresentationError,
    ) -> VerificationError:
        return self.fail(_CHECK_OF_CODE.get(exc.code, name), from_lower_error(exc, kind))


def _parse(presentation: object, policy: Policy, run: _Run) -> SDJWT:
    if isinstance(presentation, SDJWT):
        presentation = presentation.serialize()
    if not isinstance(presentation, str):
        raise run.fail("format", PresentationError("a presentation must be text", code="malformed"))
    if len(presentation) > policy.max_presentation_bytes:
        raise run.fail(
            "format",
            PresentationError(
                f"presentation larger than {policy.max_presentation_bytes} bytes", code="too_large"
            ),
        )
    try:
        parsed = parse_sd_jwt(presentation, max_bytes=policy.max_presentation_bytes)
    except CredentialError as exc:
        raise run.lower("format", exc) from exc
    run.passed("format", f"SD-JWT with {len(parsed.disclosures)} disclosure(s)")
    return parsed


def _select_issuer(
    payload: Mapping[str, Any],
    trust: TrustRegistry,
    policy: Policy,
    vct_values: Collection[str] | None,
    run: _Run,
    *,
    by_certificate: bool = False,
) -> TrustedIssuer:
    iss, vct = payload.get("iss"), payload.get("vct")
    if not isinstance(vct, str) or not vct:
        raise run.fail(
            "credential_type", PresentationError("the credential has no type", code="missing_vct")
        )
    if not isinstance(iss, str) or not iss:
        raise run.fail(
            "credential_type",
            PresentationError("the credential names no issuer", code="missing_iss"),
        )
    if policy.accepted_vcts is not None and vct not in policy.accepted_vcts:
        raise run.fail(
            "credential_type",
            PresentationError(f"credential type {vct!r} is not accepted", code="vct_not_accepted"),
        )
    if vct_values is not None and vct not in vct_values:
        raise run.fail(
            "credential_type",
            PresentationError(f"credential type {vct!r} was not requested", code="vct_mismatch"),
        )
    run.passed("credential_type", vct)
    if by_certificate:
        # Trust comes from the chain (checked next); a listed issuer gives its own name.
        listed = trust.issuer(iss)
        return listed or TrustedIssuer(
            id=iss, name=iss, types=((type_id_of(vct), vct),), source="certificate"
        )
    try:
        entry = trust.check(iss, vct)
    except TrustError as exc:
        raise run.fail("issuer_trusted", exc) from exc
    run.passed("issuer_trusted", f"{entry.name} ({entry.source})")
    return entry


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an (already validated) public JWK, straight from its members."""
    required = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("crv", "kty", "x")
    canonical = dumps_compact({name: jwk[name] for name in required}, sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def _claim_present(claims: Mapping[str, Any], required: str | Sequence[str | int | None]) -> bool:
    if isinstance(required, str):
        if not required.startswith("/"):
            return required in claims
        required = parse_claim_path(required)
    return bool(select_claims(tuple(required), claims))


def _status(
    verified: VerifiedCredential,
    entry: TrustedIssuer,
    *,
    anchors: Sequence[TrustAnchor],
    policy: Policy,
    trust: TrustRegistry,
    keys: IssuerKeys,
    status: StatusChecker,
    now: int,
    run: _Run,
) -> StatusOutcome:
    try:
        reference = StatusReference.from_claims(verified.sd_jwt.payload)
    except CredentialError as exc:
        raise run.lower("status", exc) from exc
    if reference is None:
        if policy.require_status:
            raise run.fail(
                "status",
                PresentationError(
                    "the credential has no status list, so it cannot be revoked; the policy "
                    "requires one",
                    code="status_missing",
                ),
            )
        run.checks.append(Check("status", SKIPPED, "the credential carries no status reference"))
        return StatusOutcome("none", None, "none", "no status reference")
    try:
        outcome = status.check(
            reference,
            iss=entry.id,
            key_for=keys.for_issuer(entry, policy, now=now, anchors=anchors, crls=trust.crls),
            now=now,
            leeway=policy.leeway,
            bundle_tokens=trust.status_tokens,
        )
    except CredentialError as exc:  # the list is genuine but the index is outside it
        raise run.lower("status", exc) from exc
    if outcome.status == "valid":
        run.passed("status", f"valid as of {outcome.checked_at} ({outcome.source})")
        return outcome
    if outcome.status == "unknown":
        error = PresentationError(
            f"the status list could not be obtained: {outcome.detail}",
            code="status_unavailable",
            cause=outcome.cause,
        )
        if policy.status_policy == "reject":
            raise run.fail("status", error)
        run.checks.append(Check("status", UNKNOWN, f"status unknown as of {now}: {outcome.cause}"))
        return outcome
    code = _STATUS_CODES.get(outcome.status, "status_not_valid")
    raise run.fail(
        "status",
        PresentationError(f"the issuer's status list says {outcome.status!r}", code=code),
    )


def verify_presentation(
    presentation: str | SDJWT,
    *,
    policy: Policy,
    trust: TrustRegistry,
    nonce: str | None,
    aud: str | None,
    now: int | None = None,
    required_claims: Sequence[str | Sequence[str | int | None]] = (),
    vct_values: Collection[str] | None = None,
    keys: IssuerKeys | None = None,
    status: StatusChecker | None = None,
) -> VerificationResult:
    """Verify ``presentation`` (an SD-JWT+KB) for the request identified by ``nonce`` and
    ``aud`` (the verifier's full ``client_id``). Raises :class:`VerificationError`.

    ``required_claims``: claim names or claims path pointers (``"/address/dzongkhag"`` or
    ``("address", "dzongkhag")``) that must have been disclosed. ``vct_values``: the types the
    request asked for. ``keys``/``status``: network-capable resolvers; without them the call
    works offline from the trust registry (pinned keys, bundled status lists).
    """
    now = system_time() if now is None else now
    keys = keys or IssuerKeys()
    status = status or StatusChecker()
    run = _Run()
    parsed = _parse(presentation, policy, run)
    selected: list[tuple[TrustedIssuer, str, tuple[TrustAnchor, ...]]] = []

    def issuer_key(jws: JWS) -> PublicKey:
        # Called by the core with the issuer JWT it parsed (so it is parsed once): the still
        # unverified iss and vct only select the trust entry, before any network access.
        vct = jws.payload.get("vct")
        anchors = trust.anchors_for(vct) if isinstance(vct, str) else ()
        if anchors and has_x5c(jws) and "x5c" in policy.key_mechanisms:
            return by_certificate(jws, anchors)
        entry = _select_issuer(jws.payload, trust, policy, vct_values, run)
        try:
            key, mechanism = keys.resolve(jws, entry, policy, now=now)
        except CredentialError as exc:
            raise run.lower("issuer_key", exc) from exc
        run.passed("issuer_key", f"{mechanism} key {jws.kid or '(no kid)'}")
        selected.append((entry, mechanism, ()))
        return key

    def by_certificate(jws: JWS, anchors: tuple[TrustAnchor, ...]) -> PublicKey:
        entry = _select_issuer(jws.payload, trust, policy, vct_values, run, by_certificate=True)
        resolver = keys.certificate_resolver(anchors, now=now, extra_crls=trust.crls)
        try:
            key = resolver(jws)
        except CredentialError as exc:
            raise run.fail(_CERTIFICATE_CHECK, from_lower_error(exc, TrustError)) from exc
        chain = resolver.chain
        assert chain is not None
        if entry.source == "certificate":
            entry = replace(entry, name=chain.subject.words)
        run.passed(
            _CERTIFICATE_CHECK,
            f"{chain.subject.words}, vouched for by {chain.anchor.words}"
            + (f" (warning: {'; '.join(chain.warnings)})" if chain.warnings else ""),
        )
        run.passed("issuer_trusted", f"{entry.name} (certificate)")
        run.passed("issuer_key", f"x5c key of {chain.subject.words}")
        selected.append((entry, "x5c", (chain.anchor,)))
        return key

    try:
        verified = verify_sd_jwt_vc(
            parsed,
            issuer_key=issuer_key,
            now=now,
            require_key_binding=policy.require_key_binding,
            nonce=nonce,
            aud=aud,
            allow_legacy_typ=policy.allow_legacy_typ,
            algorithms=policy.algorithms,
            leeway=policy.leeway,
            kb_max_age=policy.kb_max_age,
        )
    except CredentialError as exc:
        raise run.lower("disclosures" if selected else "issuer_jwt", exc) from exc
    entry, mechanism, vouching = selected[0]
    sd = verified.sd_jwt
    run.passed("typ", str(sd.header.get("typ")))
    run.passed("issuer_signature", f"{sd.header.get('alg')} signature verified")
    run.passed("disclosures", f"{len(sd.disclosures)} disclosure(s), all referenced once")
    run.passed("validity", f"within validity times (leeway {policy.leeway} s)")
    if sd.key_binding is not None:
        run.passed("key_binding", "holder proof: nonce, audience, time and sd_hash match")
    else:
        run.checks.append(Check("key_binding", SKIPPED, "not required by the policy"))
    claims = {name: value for name, value in sd.claims.items() if name not in _TECHNICAL}
    for required in required_claims:
        if not _claim_present(claims, required):
            name = required if isinstance(required, str) else "/".join(map(str, required))
            raise run.fail(
                "required_claims",
                PresentationError(
                    f"required claim {name!r} was not disclosed", code="missing_claim"
                ),
            )
    if required_claims:
        run.passed("required_claims", f"{len(required_claims)} required claim(s) disclosed")
    outcome = _status(
        verified,
        entry,
        anchors=vouching,
        policy=policy,
        trust=trust,
        keys=keys,
        status=status,
        now=now,
        run=run,
    )
    return VerificationResult(
        claims=freeze(claims),
        issuer=entry.id,
        issuer_name=entry.name,
        vct=verified.vct,
        type_id=entry.type_id(verified.vct),
        status=outcome.status,
        checks=tuple(run.checks),
        verified_at=now,
        trust_valid_as_of=entry.valid_as_of if entry.valid_as_of is not None else trust.valid_as_of,
        status_checked_at=outcome.checked_at,
        issued_at=numeric_date(sd.payload, "iat"),
        expires_at=numeric_date(sd.payload, "exp"),
        key_mechanism=mechanism,
        holder_jwk=sd.payload["cnf"]["jwk"] if sd.holder_key else None,
    )
