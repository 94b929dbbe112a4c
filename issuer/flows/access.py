"""The access token a wallet sends to the credential (OpenID4VCI §8) and notification (§11)
endpoints: present, known and unexpired, or refused with RFC 6750 §3.1's ``invalid_token``.

:class:`ResourceAccess` adds the sender constraint (RFC 9449 §7): a DPoP-bound token must come
as ``Authorization: DPoP`` with a proof for this request (``ath`` = the token's hash) made by
the key the token is bound to; it is refused as ``Bearer`` (§7.2). An unbound token is accepted
as ``Bearer`` only while the settings allow unbound tokens (the pre-authorized flow).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from issuer.context import IssuerContext
from issuer.errors import InvalidRequestError, InvalidTokenError
from issuer.flows.sender import SenderConstraint
from issuer.oid4vci.offer import lookup_hash, new_secret
from issuer.storage.models import AccessTokenRow
from issuer.storage.repos import Tokens

__all__ = ["ResourceAccess", "issue_access_token", "live_access_token"]


def issue_access_token(
    s: Session,
    context: IssuerContext,
    *,
    offer_ref: str,
    type_id: str,
    subject: tuple[str, str],
    now: int,
    dpop_jkt: str | None,
    grant_ref: str | None = None,
) -> str:
    """A new access token for one credential type and subject, stored by its hash (the one
    place both token grants make one); returns the token."""
    access_token = new_secret(context.random_bytes)
    Tokens(s).add(
        AccessTokenRow(
            token_hash=lookup_hash(access_token),
            offer_ref=offer_ref,
            type_id=type_id,
            subject_kind=subject[0],
            subject_id=subject[1],
            created_at=now,
            expires_at=now + context.settings.access_token_lifetime,
            dpop_jkt=dpop_jkt,
            grant_ref=grant_ref,
        )
    )
    return access_token


def live_access_token(
    s: Session, access_token: str | None, now: int, *, expired_ok: bool = False
) -> AccessTokenRow:
    if not access_token:
        raise InvalidTokenError(
            "send the access token from the token endpoint as 'Authorization: Bearer ...'",
            code="missing_token",
        )
    row = Tokens(s).get(lookup_hash(access_token))
    if row is None:
        raise InvalidTokenError("the access token is not valid", code="unknown_token")
    if row.expires_at <= now and not expired_ok:
        raise InvalidTokenError(
            "the access token has expired; start again from the offer", code="token_expired"
        )
    return row


class ResourceAccess:
    """Who may call the credential endpoints with which token."""

    def __init__(self, context: IssuerContext, *, sender: SenderConstraint) -> None:
        self.context = context
        self.sender = sender

    def authorize(
        self,
        authorization: Sequence[str],
        dpop: Sequence[str],
        *,
        htm: str,
        path: str,
        expired_ok: bool = False,
    ) -> str:
        """The access token of a request, after its scheme and sender checks. ``expired_ok``:
        only for the deferred endpoint, whose transaction is bound to the token and has its own
        lifetime (:mod:`issuer.flows.deferred`)."""
        sender = self.sender
        if len(authorization) > 1:
            raise InvalidRequestError(
                "send one Authorization header", code="authorization_ambiguous"
            )
        scheme, _, token = (authorization[0] if authorization else "").partition(" ")
        scheme, token = scheme.lower(), token.strip()
        if scheme not in ("bearer", "dpop") or not token:
            raise sender.invalid_token(
                "send the access token as 'Authorization: DPoP ...' (or Bearer where allowed)",
                code="missing_token",
            )
        with self.context.session() as s:
            row = live_access_token(s, token, self.context.clock(), expired_ok=expired_ok)
        if row.dpop_jkt is None:
            if scheme == "dpop":
                raise sender.invalid_token(
                    "this access token is not DPoP-bound; send it as Bearer", code="token_not_bound"
                )
            if not self.context.settings.unbound_bearer_allowed:
                raise sender.invalid_token(
                    "this issuer no longer accepts unbound Bearer tokens", code="bearer_not_allowed"
                )
            return token
        if scheme == "bearer":
            raise sender.invalid_token(
                "this access token is DPoP-bound: send it as 'Authorization: DPoP' with a proof",
                code="dpop_token_as_bearer",
            )
        proof = sender.dpop(dpop, htm=htm, path=path, access_token=token, resource=True)
        if proof is None:
            raise sender.refuse_dpop(
                "dpop_missing", "send a DPoP proof with this DPoP-bound token", resource=True
            )
        if proof.jkt != row.dpop_jkt:
            raise InvalidTokenError(
                "the DPoP proof is not made with the key this token is bound to",
                code="dpop_key_mismatch",
                challenge=f'DPoP error="invalid_token", algs="{" ".join(sender.algorithms)}"',
            )
        return token
