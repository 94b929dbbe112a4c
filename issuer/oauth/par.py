"""Pushed Authorization Requests (RFC 9126) as HAIP 1.0 §4.3 and FAPI 2.0 want them.

The rules of the pushed request, in the order they are checked: form parameters each at most
once (RFC 6749 §3.1); no ``request_uri`` inside (RFC 9126 §2.1); ``response_type=code``;
``client_id`` and ``redirect_uri`` present (FAPI 2.0 wants the redirect URI in the PAR); PKCE
with S256 only (RFC 7636, a missing method meaning ``plain``, §4.3); ``state`` at most 512
characters; ``resource``, when sent, this issuer (RFC 8707); what is asked for, by ``scope``
(OpenID4VCI §5.1.2: unknown values ignored) or ``authorization_details`` of type
``openid_credential`` (§5.1.1, RFC 9396; they win when both name a type): exactly one credential
configuration per request. Whether the client and its redirect URI are registered is the flow's
check (it holds the registry).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from core.encoding import EncodingError, dumps_compact, parse_json
from credentials.errors import PKCEError
from credentials.oauth import check_challenge
from issuer.errors import (
    InvalidAuthorizationDetailsError,
    InvalidRequestError,
    InvalidScopeError,
    InvalidTargetError,
    UnsupportedResponseTypeError,
)

__all__ = [
    "REQUEST_URI_PREFIX",
    "PushedRequest",
    "form_params",
    "par_response",
    "parse_par_request",
]

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
OPENID_CREDENTIAL = "openid_credential"
_MAX_PARAM = 2048
_MAX_STATE = 512


@dataclass(frozen=True, slots=True)
class PushedRequest:
    client_id: str
    redirect_uri: str
    code_challenge: str
    type_id: str
    state: str | None
    authorization_details: str | None  # compact JSON of the accepted details, when used
    issuer_state: str | None
    dpop_jkt: str | None

    def __repr__(self) -> str:  # state and issuer_state are the wallet's secrets
        return f"PushedRequest(client_id={self.client_id!r}, type_id={self.type_id!r})"


def form_params(pairs: Sequence[tuple[str, Any]], *, what: str = "request") -> dict[str, str]:
    """RFC 6749 §3.1/§3.2: each parameter at most once, as text, of bounded length."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise InvalidRequestError(f"parameter {name!r} appears more than once in the {what}")
        if not isinstance(value, str):
            raise InvalidRequestError(f"parameter {name!r} must be text")
        if len(value) > _MAX_PARAM:
            raise InvalidRequestError(f"parameter {name!r} is too long", code="too_large")
        params[name] = value
    return params


def _details(text: str, issuer: str, types: Collection[str]) -> list[dict[str, Any]]:
    try:
        value = parse_json(text)
    except EncodingError as exc:
        raise InvalidAuthorizationDetailsError(
            f"authorization_details is not valid JSON: {exc.message}"
        ) from exc
    if not isinstance(value, list) or not value:
        raise InvalidAuthorizationDetailsError("authorization_details must be a non-empty array")
    accepted = []
    for entry in value:
        if not isinstance(entry, dict) or entry.get("type") != OPENID_CREDENTIAL:
            raise InvalidAuthorizationDetailsError(
                f"each authorization_details entry must have type {OPENID_CREDENTIAL}"
            )
        configuration = entry.get("credential_configuration_id")
        if not isinstance(configuration, str) or configuration not in types:
            raise InvalidAuthorizationDetailsError(
                f"this issuer has no credential configuration {configuration!r}"
            )
        locations = entry.get("locations")
        if locations is not None and locations != [issuer]:
            raise InvalidAuthorizationDetailsError(
                f"locations must be [{issuer!r}]: this issuer is its own authorization server",
                code="authorization_details_location",
            )
        accepted.append({"type": OPENID_CREDENTIAL, "credential_configuration_id": configuration})
    return accepted


def _pkce(challenge: str | None, method: str | None) -> str:
    try:
        return check_challenge(challenge, method)
    except PKCEError as exc:
        raise InvalidRequestError(exc.message, code=exc.code) from exc


def parse_par_request(
    pairs: Sequence[tuple[str, Any]], *, issuer: str, types: Collection[str]
) -> PushedRequest:
    """The pushed request's own rules (see the module docstring)."""
    params = form_params(pairs, what="pushed authorization request")
    if "request_uri" in params:
        raise InvalidRequestError(
            "a pushed authorization request cannot carry request_uri", code="request_uri_in_par"
        )
    if params.get("response_type") != "code":
        raise UnsupportedResponseTypeError("response_type must be code")
    client_id = params.get("client_id")
    if not client_id:
        raise InvalidRequestError("client_id is missing", code="client_id_missing")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise InvalidRequestError("redirect_uri is missing", code="redirect_uri_missing")
    challenge = _pkce(params.get("code_challenge"), params.get("code_challenge_method"))
    state = params.get("state")
    if state is not None and len(state) > _MAX_STATE:
        raise InvalidRequestError(
            f"state is longer than {_MAX_STATE} characters", code="state_too_long"
        )
    resource = params.get("resource")
    if resource is not None and resource.rstrip("/") != issuer.rstrip("/"):
        raise InvalidTargetError(
            f"resource must be this issuer ({issuer})", code="resource_unknown"
        )
    details: list[dict[str, Any]] | None = None
    if "authorization_details" in params:
        details = _details(params["authorization_details"], issuer, types)
        wanted = sorted({entry["credential_configuration_id"] for entry in details})
    else:
        wanted = sorted({v for v in params.get("scope", "").split(" ") if v in types})
    if not wanted:
        raise InvalidScopeError(
            "ask for a credential this issuer offers (scope = its credential configuration id)",
            code="scope_unknown",
        )
    if len(wanted) > 1:
        raise InvalidScopeError("ask for one credential at a time", code="scope_multiple")
    return PushedRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=challenge,
        type_id=wanted[0],
        state=state,
        authorization_details=dumps_compact(details) if details is not None else None,
        issuer_state=params.get("issuer_state"),
        dpop_jkt=params.get("dpop_jkt"),
    )


def par_response(request_uri: str, *, expires_in: int) -> dict[str, Any]:
    """RFC 9126 §2.2 (201, ``Cache-Control: no-store``)."""
    return {"request_uri": request_uri, "expires_in": expires_in}
