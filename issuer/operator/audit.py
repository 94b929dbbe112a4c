"""The audit entry (who, when, what) every operator operation appends: in the operation's own
transaction, so an action and its record commit together or not at all."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from issuer.context import IssuerContext
from issuer.operator.actors import Actor
from issuer.storage.repos import Audit

__all__ = ["AuditTrail"]


class AuditTrail:
    """Appends audit entries; reading the log is :class:`~issuer.operator.admin.Administration`."""

    def __init__(self, context: IssuerContext) -> None:
        self.context = context

    def record(self, s: Session, actor: Actor, action: str, target: str, **detail: Any) -> None:
        """An entry in ``s``, the operation's unit of work."""
        Audit(s).append(
            at=self.context.clock(), actor=actor.id, action=action, target=target, detail=detail
        )

    def record_read(self, actor: Actor, action: str, target: str, **detail: Any) -> None:
        """Record that ``actor`` looked at personal data (a registry record or search), in its
        own transaction, before the data is handed out: when the entry cannot be written, the
        read fails too (an unrecorded look-up never happens)."""
        with self.context.session(write=True) as s:
            self.record(s, actor, action, target, **detail)
            s.commit()
