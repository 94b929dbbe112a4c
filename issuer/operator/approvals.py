"""The approval queue (deferred issuance, OpenID4VCI 1.0 §9): credential requests for types
with ``"approval": "operator"`` wait here until an operator approves or denies them. Approval
lets the wallet fetch the credentials (signed then, from the registry record as it is then);
denial makes the wallet's next fetch ``invalid_transaction_id`` / ``issuance_denied``. Each
decision is one conditional update with its audit entry in the same transaction, so two
operators deciding at once cannot both win (the loser gets ``approval_decided``)."""

from __future__ import annotations

import json
import re

from issuer.context import IssuerContext
from issuer.errors import ConflictError, InvalidRequestError, NotFoundError
from issuer.operator.actors import Actor
from issuer.operator.audit import AuditTrail
from issuer.operator.credentials import clean_reason
from issuer.operator.results import ApprovalRequest, Page
from issuer.storage.models import DeferredTransactionRow
from issuer.storage.repos import DeferredTransactions

__all__ = ["APPROVAL_STATUSES", "Approvals"]

APPROVAL_STATUSES = ("pending", "approved", "denied", "issued", "expired")
_REF = re.compile(r"dtx_[0-9a-f]{16}")


def _request(row: DeferredTransactionRow, now: int) -> ApprovalRequest:
    keys = json.loads(row.holder_keys)
    storage = sorted({level for key in keys for level in key.get("key_storage", ())})
    status = row.status
    if status in ("pending", "approved") and row.expires_at <= now:
        status = "expired"
    return ApprovalRequest(
        ref=row.ref,
        credential_configuration_id=row.type_id,
        subject=row.subject_id,
        offer_ref=row.offer_ref,
        keys=len(keys),
        key_storage=tuple(storage),
        status=status,
        requested_at=row.created_at,
        expires_at=row.expires_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reason=row.reason,
    )


class Approvals:
    """Listing the queue and deciding requests."""

    def __init__(self, context: IssuerContext, *, audit: AuditTrail) -> None:
        self.context = context
        self.audit = audit

    def page(
        self, actor: Actor, *, status: str | None = "pending", offset: int = 0, limit: int = 50
    ) -> Page[ApprovalRequest]:
        """Oldest first (the longest waiting on top); ``status`` ``None`` lists all."""
        actor.require("approvals:decide")
        if status is not None and status not in APPROVAL_STATUSES:
            raise InvalidRequestError(
                f"status must be one of {', '.join(APPROVAL_STATUSES)}", code="invalid_status"
            )
        now = self.context.clock()
        stored = None if status == "expired" else status
        with self.context.session() as s:
            repo = DeferredTransactions(s)
            rows = repo.page(status=stored, offset=offset, limit=limit)
            total = repo.count(status=stored)
        items = tuple(_request(r, now) for r in rows)
        if status is not None:
            # A pending request past its lifetime is shown as expired, never as waiting.
            kept = tuple(i for i in items if i.status == status)
            total -= len(items) - len(kept)
            items = kept
        return Page(items, offset, limit, total)

    def approve(self, actor: Actor, ref: str) -> ApprovalRequest:
        return self._decide(actor, ref, "approved", None)

    def deny(self, actor: Actor, ref: str, *, reason: str | None = None) -> ApprovalRequest:
        return self._decide(actor, ref, "denied", clean_reason(reason))

    def _decide(self, actor: Actor, ref: str, status: str, reason: str | None) -> ApprovalRequest:
        actor.require("approvals:decide")
        now = self.context.clock()
        with self.context.session(write=True) as s:
            repo = DeferredTransactions(s)
            row = repo.by_ref(ref) if _REF.fullmatch(ref) else None
            if row is None:
                raise NotFoundError(
                    f"no credential request {ref!r} awaits approval", code="unknown_approval"
                )
            if not repo.decide(ref, status=status, now=now, by=actor.id, reason=reason):
                current = _request(row, now)
                raise ConflictError(
                    f"request {ref} is already {current.status}; nothing was changed",
                    code="approval_decided",
                )
            extra = {"reason": reason} if reason else {}
            self.audit.record(
                s,
                actor,
                f"approval.{'approve' if status == 'approved' else 'deny'}",
                ref,
                type=row.type_id,
                subject=row.subject_id,
                **extra,
            )
            s.commit()
            s.refresh(row)
        return _request(row, now)
