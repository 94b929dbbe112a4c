"""OpenID4VCI 1.0 §6 Token Endpoint: the pre-authorized code request, the authorization code and
refresh token requests (RFC 6749 §4.1.3, §6, RFC 7636 §4.5), and the response the wallet
accepts (RFC 6749 §5.1 with OpenID4VCI's ``authorization_details``; ``token_type`` ``DPoP``
when the wallet sent a DPoP proof, RFC 9449 §5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wallet.errors import ReceiveError
from wallet.network import service_error
from wallet.oid4vci.offer import PRE_AUTHORIZED_GRANT, CredentialOffer

__all__ = [
    "TokenResponse",
    "code_token_request",
    "credential_identifier",
    "parse_token_response",
    "refresh_token_request",
    "token_request",
]


def token_request(offer: CredentialOffer, tx_code: str | None) -> dict[str, str]:
    """§6.1 form parameters: the grant, its code, and the transaction code when there is one."""
    form = {
        "grant_type": PRE_AUTHORIZED_GRANT,
        "pre-authorized_code": offer.pre_authorized_code,
    }
    if tx_code is not None:
        form["tx_code"] = tx_code
    return form


def code_token_request(code: str, *, verifier: str, redirect_uri: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }


def refresh_token_request(refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token}


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """§6.2: the access token (a bearer secret), any ``authorization_details`` and, for an
    authorization code grant, the refresh token (also a secret)."""

    access_token: str = field(repr=False)
    authorization_details: Sequence[Any] = ()
    refresh_token: str | None = field(default=None, repr=False)


def parse_token_response(
    status: int, body: object, *, with_tx_code: bool, dpop: bool = False
) -> TokenResponse:
    """The token response for an HTTP ``status`` and parsed ``body`` (``None`` when empty); a
    refusal (§6.3) is the issuer's own code and words (a wrong PIN: ``tx_code_invalid``).
    ``with_tx_code``: the offer asked for a PIN, so a refusal without a code may be a mistyped
    one; ``dpop``: the request carried a DPoP proof, so the token must be bound (``DPoP``)."""
    if status != 200:
        raise service_error(
            body,
            status=status,
            said_by="the issuer",
            kind=ReceiveError,
            fallback="issuer_rejected",
            unexplained="the issuer did not accept the offer; it may have expired or been used "
            "already",
            fallback_hint="Check the PIN and try again; if it still fails, ask for a new offer."
            if with_tx_code
            else None,
        )
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
        raise ReceiveError("the token response has no access token", code="issuer_metadata_invalid")
    token_type = body.get("token_type")
    if dpop:
        if not isinstance(token_type, str) or token_type.lower() != "dpop":
            # RFC 9449 §5: a client that asked for a bound token MUST discard an unbound one.
            raise ReceiveError(
                "the issuer gave a token that is not bound to this wallet's key",
                code="token_not_sender_constrained",
            )
    elif not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ReceiveError(
            f"the issuer uses token type {token_type!r}; only Bearer is supported",
            code="offer_unsupported",
        )
    details = body.get("authorization_details")
    refresh = body.get("refresh_token")
    return TokenResponse(
        body["access_token"],
        details if isinstance(details, list) else [],
        refresh if isinstance(refresh, str) else None,
    )


def credential_identifier(details: Sequence[Any], configuration_id: str) -> str | None:
    """§6.2: when the token response carries ``authorization_details``, credential requests
    name a ``credential_identifier`` from it instead of the configuration id."""
    for item in details:
        if (
            isinstance(item, Mapping)
            and item.get("credential_configuration_id") == configuration_id
        ):
            ids = item.get("credential_identifiers")
            if isinstance(ids, list) and ids and isinstance(ids[0], str):
                return ids[0]
    return None
