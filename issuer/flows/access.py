"""The access token a wallet sends to the credential (OpenID4VCI §8) and notification (§11)
endpoints: present, known and unexpired, or refused with RFC 6750 §3.1's ``invalid_token``."""

from __future__ import annotations

from sqlmodel import Session

from issuer.errors import InvalidTokenError
from issuer.oid4vci.offer import lookup_hash
from issuer.storage.models import AccessTokenRow
from issuer.storage.repos import Tokens

__all__ = ["live_access_token"]


def live_access_token(s: Session, access_token: str | None, now: int) -> AccessTokenRow:
    if not access_token:
        raise InvalidTokenError(
            "send the access token from the token endpoint as 'Authorization: Bearer ...'",
            code="missing_token",
        )
    row = Tokens(s).get(lookup_hash(access_token))
    if row is None:
        raise InvalidTokenError("the access token is not valid", code="unknown_token")
    if row.expires_at <= now:
        raise InvalidTokenError(
            "the access token has expired; start again from the offer", code="token_expired"
        )
    return row
