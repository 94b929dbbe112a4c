"""Token Endpoint for the pre-authorized code grant (OpenID4VCI 1.0 §6, RFC 6749 §5).

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

__all__ = ["TokenRequest", "parse_token_request", "token_response"]

_MAX_PARAM = 512


@dataclass(frozen=True, slots=True)
class TokenRequest:
    pre_authorized_code: str
    tx_code: str | None

    def __repr__(self) -> str:  # never print bearer secrets
        return f"TokenRequest(tx_code={'set' if self.tx_code is not None else 'absent'})"


def parse_token_request(pairs: Sequence[tuple[str, Any]]) -> TokenRequest:
    """Parse the form parameters (as ordered pairs, so repeats are visible)."""
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
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise UnsupportedGrantTypeError(
            f"this issuer supports only the grant type {PRE_AUTHORIZED_GRANT}"
        )
    code = params.get("pre-authorized_code")
    if not code:
        raise InvalidRequestError("pre-authorized_code is missing")
    if len(code) > _MAX_PARAM:
        raise InvalidRequestError("pre-authorized_code is too long")
    tx_code = params.get("tx_code")
    if tx_code is not None and len(tx_code) > 64:
        raise InvalidRequestError("tx_code is too long")
    return TokenRequest(code, tx_code)


def token_response(access_token: str, *, expires_in: int) -> dict[str, Any]:
    """RFC 6749 §5.1 successful response (served with ``Cache-Control: no-store``)."""
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}
