"""Deferred issuance (OpenID4VCI 1.0 §9): the wallet's side of a credential request that waits
for an operator's approval (types with ``"approval": "operator"``; the request itself is
made by :class:`~issuer.flows.issuance.CredentialIssuance`, which answers 202).

The wallet presents the access token that made the request (the token's own 5-minute lifetime
applies to the credential endpoint; for its deferred transaction it stays good until the
transaction expires, ``deferred_lifetime``) and the ``transaction_id``. Once approved, the
credentials are signed at that moment from the registry record as it is then, recorded, and
the transaction is spent in the same unit of work: a second fetch is ``transaction_used``. The
operator's side is :class:`~issuer.operator.approvals.Approvals`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlmodel import Session

from issuer.context import IssuerContext
from issuer.errors import (
    CredentialRequestDeniedError,
    InvalidTokenError,
    InvalidTransactionIdError,
    IssuancePendingError,
    NotFoundError,
)
from issuer.flows.issuance import CredentialAnswer, CredentialIssuance
from issuer.oid4vci.credential import credential_response
from issuer.oid4vci.deferred import parse_deferred_request
from issuer.oid4vci.key_attestation import HolderKey
from issuer.oid4vci.offer import lookup_hash
from issuer.records import records_for
from issuer.storage.models import DeferredTransactionRow
from issuer.storage.repos import Audit, DeferredTransactions

__all__ = ["DeferredIssuance"]

log = logging.getLogger(__name__)


class DeferredIssuance:
    """The deferred credential endpoint."""

    def __init__(self, context: IssuerContext, *, issuance: CredentialIssuance) -> None:
        self.context = context
        self.issuance = issuance

    def fetch(self, access_token: str | None, body: Any) -> CredentialAnswer:
        context = self.context
        now = context.clock()
        if not access_token:
            raise InvalidTokenError(
                "send the access token of the credential request as 'Authorization: Bearer ...'",
                code="missing_token",
            )
        request = parse_deferred_request(
            body, encryption=context.settings.credential_response_encryption
        )
        transaction_hash = lookup_hash(request.transaction_id)
        with context.session() as s:
            row = DeferredTransactions(s).get(transaction_hash)
            _check(row, lookup_hash(access_token), now)
            assert row is not None
            try:
                records = records_for(s, row.subject_kind, row.subject_id)
            except NotFoundError as exc:
                raise CredentialRequestDeniedError(
                    f"the agency can no longer issue this credential: {exc.message}",
                    code="record_missing",
                ) from exc
        ctype = context.types.get(row.type_id)
        if ctype is None:
            raise CredentialRequestDeniedError(
                "the agency no longer issues this type of credential", code="type_withdrawn"
            )
        holder_keys = [HolderKey.from_json(item) for item in json.loads(row.holder_keys)]

        def spend(s: Session) -> None:
            if not DeferredTransactions(s).mark_issued(transaction_hash, now=now):
                raise InvalidTransactionIdError(
                    "this transaction was already used; the credentials were delivered",
                    code="transaction_used",
                )
            Audit(s).append(
                at=now,
                actor="wallet",
                action="approval.deliver",
                target=row.ref,
                detail={"type": row.type_id, "subject": row.subject_id, "keys": len(holder_keys)},
            )

        issued, notification_id = self.issuance.sign_credentials(
            ctype,
            subject=(row.subject_kind, row.subject_id),
            offer_ref=row.offer_ref,
            claims=records.claims(ctype, now=now),
            holder_keys=holder_keys,
            now=now,
            before=spend,
        )
        log.info("deferred %s %s delivered", row.type_id, row.ref)
        body = credential_response(issued, notification_id=notification_id)
        return CredentialAnswer.of(body, request.encryption)


def _check(row: DeferredTransactionRow | None, token_hash: str, now: int) -> None:
    """§9.3: unknown, used, denied or expired is ``invalid_transaction_id`` (its ``code`` says
    which); a token of another request is ``invalid_token``; undecided is
    ``issuance_pending``."""
    if row is None:
        raise InvalidTransactionIdError(
            "this issuer knows no such transaction", code="transaction_unknown"
        )
    if row.token_hash != token_hash:
        raise InvalidTokenError(
            "this access token did not make this credential request", code="token_other_grant"
        )
    if row.status == "issued":
        raise InvalidTransactionIdError(
            "this transaction was already used; the credentials were delivered",
            code="transaction_used",
        )
    if row.status == "denied":
        raise InvalidTransactionIdError(
            "the agency decided not to issue this credential", code="issuance_denied"
        )
    if row.expires_at <= now:
        raise InvalidTransactionIdError(
            "the agency did not decide in time; ask the agency for a new offer",
            code="transaction_expired",
        )
    if row.status == "pending":
        raise IssuancePendingError(
            f"the agency has not approved the credential yet; ask again in {row.interval} seconds",
            interval=row.interval,
        )
