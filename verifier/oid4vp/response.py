"""OpenID4VP 1.0 authorization responses, as the verifier checks them.

* §8.2 ``direct_post``: form fields ``vp_token`` (a JSON object, §8.1: credential query id →
  non-empty array of presentations) and ``state``; or ``error`` (e.g. ``access_denied``).
* §8.3 ``direct_post.jwt``: one form field ``response``, a JWE (ECDH-ES with the request's
  ephemeral key; A128GCM/A256GCM; never ``zip``) whose payload is a JSON object with the same
  parameters. A request made for ``direct_post.jwt`` refuses a plain response: the encryption
  is what keeps personal data out of proxies and logs.
* ``state`` must equal the request's (§5.2), checked before anything is consumed.
* §6.5 the verifier re-checks DCQL itself (:func:`credentials.dcql.verify_dcql_response`),
  after every presentation was verified (:func:`verifier.verify.verify_presentation`).

Pure: values in, values out; decryption keys and the per-presentation verifier are arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from credentials.dcql import (
    Candidate,
    CredentialQuery,
    DCQLQuery,
    requested_claims,
    verify_dcql_response,
)
from credentials.errors import CredentialError
from credentials.jose import decrypt_jwe, parse_json
from verifier.errors import PresentationError, RequestError, from_lower_error
from verifier.verify import VerificationResult, freeze, thaw

__all__ = [
    "MAX_PRESENTATIONS",
    "AuthorizationResponse",
    "UnrequestedClaims",
    "check_state",
    "minimal_result",
    "parse_response",
    "verify_response",
]

MAX_PRESENTATIONS = 16
MAX_FIELD_BYTES = 1024 * 1024
_WALLET_ERRORS = frozenset(
    {
        "access_denied",
        "invalid_request",
        "invalid_scope",
        "vp_formats_not_supported",
        "invalid_request_uri_method",
        "invalid_transaction_data",
        "wallet_unavailable",
    }
)

VerifyOne = Callable[[str, CredentialQuery], VerificationResult]


@dataclass(frozen=True, slots=True)
class AuthorizationResponse:
    """A parsed response: either ``vp_token`` or a wallet ``error``."""

    state: str | None
    vp_token: Mapping[str, tuple[str, ...]] | None = None
    error: str | None = None
    error_description: str | None = None
    encrypted: bool = False


def _bad(message: str, code: str = "invalid_response") -> RequestError:
    return RequestError(message, code=code, error="invalid_request")


def _vp_token(value: object) -> dict[str, tuple[str, ...]]:
    if isinstance(value, str):
        if len(value) > MAX_FIELD_BYTES:
            raise _bad("vp_token is too large", "too_large")
        try:
            value = parse_json(value)
        except CredentialError as exc:
            raise _bad(f"vp_token is not a JSON object: {exc.message}") from exc
    if not isinstance(value, Mapping) or not value:
        raise _bad("vp_token must be a non-empty JSON object (§8.1)")
    token: dict[str, tuple[str, ...]] = {}
    total = 0
    for query_id, presentations in value.items():
        if not isinstance(presentations, list) or not presentations:
            raise _bad(f"vp_token[{query_id!r}] must be a non-empty array of presentations")
        if not all(isinstance(item, str) and item for item in presentations):
            raise _bad(f"vp_token[{query_id!r}] must hold presentation strings")
        total += len(presentations)
        token[query_id] = tuple(presentations)
    if total > MAX_PRESENTATIONS:
        raise _bad(f"more than {MAX_PRESENTATIONS} presentations", "too_large")
    return token


def _from_fields(fields: Mapping[str, Any], *, encrypted: bool) -> AuthorizationResponse:
    state = fields.get("state")
    if state is not None and not isinstance(state, str):
        raise _bad("state must be a string")
    error = fields.get("error")
    if error is not None:
        if not isinstance(error, str) or error not in _WALLET_ERRORS:
            raise _bad("unknown error value from the wallet")
        description = fields.get("error_description")
        return AuthorizationResponse(
            state,
            error=error,
            error_description=description[:500] if isinstance(description, str) else None,
            encrypted=encrypted,
        )
    if "vp_token" not in fields:
        raise _bad("the response has neither vp_token nor error")
    return AuthorizationResponse(state, _vp_token(fields["vp_token"]), encrypted=encrypted)


def parse_response(
    form: Mapping[str, str],
    *,
    response_mode: str,
    decryption_jwk: Mapping[str, Any] | None,
) -> AuthorizationResponse:
    """Parse the form POSTed to the response URI for a request of ``response_mode``."""
    if "response" in form:
        if response_mode != "direct_post.jwt" or decryption_jwk is None:
            raise _bad("this request expects an unencrypted direct_post response")
        try:
            _, plaintext = decrypt_jwe(form["response"], decryption_jwk)
            payload = parse_json(plaintext)
        except CredentialError as exc:
            raise _bad(
                f"the encrypted response cannot be read: {exc.message}",
                "invalid_encrypted_response",
            ) from exc
        if not isinstance(payload, Mapping):
            raise _bad("the encrypted response is not a JSON object", "invalid_encrypted_response")
        return _from_fields(payload, encrypted=True)
    if response_mode == "direct_post.jwt" and "error" not in form:
        raise _bad(
            "this request requires an encrypted response (direct_post.jwt)", "encryption_required"
        )
    return _from_fields(form, encrypted=False)


def check_state(response: AuthorizationResponse, expected: str) -> None:
    if response.state != expected:
        raise _bad("state does not match the request", "state_mismatch")


def _candidate(result: VerificationResult) -> Candidate:
    bound = any(c.name == "key_binding" and c.outcome == "passed" for c in result.checks)
    return Candidate(result, "dc+sd-jwt", result.vct, thaw(result.claims), holder_binding=bound)


UnrequestedClaims = Literal["drop", "refuse"]


def minimal_result(
    result: VerificationResult, query: CredentialQuery, unrequested: UnrequestedClaims
) -> VerificationResult:
    """Data minimisation: only the claims ``query`` asked for reach the relying party. Others
    that the wallet disclosed anyway are dropped (named in ``dropped_claims``) or, with
    ``unrequested="refuse"``, make the presentation fail (``unrequested_claims``)."""
    kept, dropped = requested_claims(query, thaw(result.claims))
    if not dropped:
        return result
    if unrequested == "refuse":
        raise PresentationError(
            f"the wallet disclosed claims the request did not ask for: {', '.join(dropped)}",
            code="unrequested_claims",
        )
    return replace(result, claims=freeze(kept), dropped_claims=dropped)


def verify_response(
    response: AuthorizationResponse,
    *,
    query: DCQLQuery,
    verify_one: VerifyOne,
    unrequested: UnrequestedClaims = "drop",
) -> dict[str, tuple[VerificationResult, ...]]:
    """Verify every presentation (``verify_one`` raises on a bad one), re-check DCQL, and keep
    only the requested claims (:func:`minimal_result`)."""
    if response.vp_token is None:
        raise _bad("the response carries no vp_token")
    results: dict[str, tuple[VerificationResult, ...]] = {}
    asked: dict[str, CredentialQuery] = {}
    for query_id, presentations in response.vp_token.items():
        credential_query = query.query(query_id)
        if credential_query is None:
            raise PresentationError(
                f"the response answers {query_id!r}, which the request did not ask for",
                code="dcql_unknown_credential_id",
            )
        asked[query_id] = credential_query
        results[query_id] = tuple(verify_one(item, credential_query) for item in presentations)
    try:
        verify_dcql_response(
            query, {qid: [_candidate(r) for r in found] for qid, found in results.items()}
        )
    except CredentialError as exc:
        raise from_lower_error(exc, PresentationError) from exc
    return {
        qid: tuple(minimal_result(r, asked[qid], unrequested) for r in found)
        for qid, found in results.items()
    }
