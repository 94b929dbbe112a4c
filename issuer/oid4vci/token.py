"""Token Endpoint (OpenID4VCI 1.0 §6, RFC 6749 §4.1.3, §5, §6): the pre-authorized code grant,
the authorization code grant (with the PKCE ``code_verifier``, RFC 7636 §4.5) and the refresh
token grant.

Request (§6.1, form-encoded): ``grant_type`` =
``urn:ietf:params:oauth:grant-type:pre-authorized_code``, ``pre-authorized_code``, optional
``tx_code``. Errors (§6.3): a wrong, expired or used code, or a wrong ``tx_code`` →
``invalid_grant``; a missing ``tx_code`` the offer requires, or one it does not expect →
``invalid_request``. RFC 6749 §3.2: no parameter may appear twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from issuer.errors import InvalidRequestError, UnsupportedGrantTypeError
from issuer.oid4vci.offer import PRE_AUTHORIZED_GRANT

__all__ = [
    "AUTHORIZATION_CODE_GRANT",
    "GRANT_TYPES",
    "REFRESH_TOKEN_GRANT",
    "CodeRequest",
    "RefreshRequest",
    "TokenRequest",
    "grant_type_of",
    "parse_code_request",
    "parse_refresh_request",
    "parse_token_request",
    "token_response",
]

AUTHORIZATION_CODE_GRANT = "authorization_code"
REFRESH_TOKEN_GRANT = "refresh_token"  # noqa: S105 - a grant type name
GRANT_TYPES = (AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT, PRE_AUTHORIZED_GRANT)

_MAX_PARAM = 512


@dataclass(frozen=True, slots=True)
class TokenRequest:
    pre_authorized_code: str
    tx_code: str | None

    def __repr__(self) -> str:  # never print bearer secrets
        return f"TokenRequest(tx_code={'set' if self.tx_code is not None else 'absent'})"


@dataclass(frozen=True, slots=True)
class CodeRequest:
    code: str
    code_verifier: str | None
    redirect_uri: str | None
    client_id: str | None

    def __repr__(self) -> str:
        return f"CodeRequest(client_id={self.client_id!r})"


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    refresh_token: str

    def __repr__(self) -> str:
        return "RefreshRequest()"


def grant_type_of(pairs: Sequence[tuple[str, Any]]) -> tuple[str, dict[str, str]]:
    """The form parameters (as ordered pairs, so repeats are visible) and their grant type."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise InvalidRequestError(f"parameter {name!r} appears more than once")
        if not isinstance(value, str):
            raise InvalidRequestError(f"parameter {name!r} must be text")
        params[name] = value
    grant_type = params.get("grant_type")
    if not grant_type:
        raise InvalidRequestError("grant_type is missing")
    if grant_type not in GRANT_TYPES:
        raise UnsupportedGrantTypeError(
            f"this issuer supports the grant types {', '.join(GRANT_TYPES)}"
        )
    return grant_type, params


def _bounded(params: dict[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > _MAX_PARAM:
        raise InvalidRequestError(f"{name} is too long")
    return value


def parse_code_request(params: dict[str, str]) -> CodeRequest:
    """RFC 6749 §4.1.3 plus RFC 7636 §4.5's ``code_verifier``."""
    code = _bounded(params, "code")
    if not code:
        raise InvalidRequestError("code is missing")
    return CodeRequest(
        code,
        _bounded(params, "code_verifier"),
        _bounded(params, "redirect_uri"),
        _bounded(params, "client_id"),
    )


def parse_refresh_request(params: dict[str, str]) -> RefreshRequest:
    """RFC 6749 §6."""
    token = _bounded(params, "refresh_token")
    if not token:
        raise InvalidRequestError("refresh_token is missing")
    return RefreshRequest(token)


def parse_token_request(pairs: Sequence[tuple[str, Any]]) -> TokenRequest:
    """Parse a pre-authorized code token request (OpenID4VCI §6.1)."""
    grant_type, params = grant_type_of(pairs)
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise UnsupportedGrantTypeError(f"expected the grant type {PRE_AUTHORIZED_GRANT}")
    code = params.get("pre-authorized_code")
    if not code:
        raise InvalidRequestError("pre-authorized_code is missing")
    if len(code) > _MAX_PARAM:
        raise InvalidRequestError("pre-authorized_code is too long")
    tx_code = params.get("tx_code")
    if tx_code is not None and len(tx_code) > 64:
        raise InvalidRequestError("tx_code is too long")
    return TokenRequest(code, tx_code)


def token_response(
    access_token: str,
    *,
    expires_in: int,
    token_type: str = "Bearer",  # noqa: S107 - a token type name
    refresh_token: str | None = None,
    authorization_details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """RFC 6749 §5.1 successful response (served with ``Cache-Control: no-store``);
    ``token_type`` ``DPoP`` for a bound token (RFC 9449 §5)."""
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": token_type,
        "expires_in": expires_in,
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    if authorization_details is not None:
        body["authorization_details"] = authorization_details
    return body
