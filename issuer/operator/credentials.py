"""Issued credentials as the operator sees them (metadata only: the credentials themselves are
never stored) and their status: revoke, suspend, reinstate. A change is written to the
credential's status list, whose signed token is re-issued on its next fetch
(draft-ietf-oauth-status-list-21 §7.1).
"""

from __future__ import annotations

import logging
from typing import Any

from issuer.errors import NotFoundError
from issuer.operator.base import Actor, OperatorBase, iso_time
from issuer.status import STATUS_NAMES, explain_refused, transition
from issuer.storage.models import CredentialRow
from issuer.storage.repos import Credentials, StatusLists

__all__ = ["CredentialOperations"]

log = logging.getLogger(__name__)


def _credential_json(row: CredentialRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "credential_configuration_id": row.type_id,
        "subject": row.subject_id,
        "offer_ref": row.offer_ref,
        "status": STATUS_NAMES.get(row.status, str(row.status)),
        "status_list": row.status_list_id,
        "issued_at": iso_time(row.issued_at),
        "expires_at": iso_time(row.expires_at),
        "signing_key": row.kid,
        "holder_key_thumbprint": row.holder_thumbprint,
        "wallet_event": row.notification_event,
    }


class CredentialOperations(OperatorBase):
    """Listing credentials and changing their status."""

    def list_credentials(
        self,
        actor: Actor,
        *,
        offset: int = 0,
        limit: int = 50,
        subject: str | None = None,
        type_id: str | None = None,
    ) -> dict[str, Any]:
        actor.require("credentials:read")
        with self.service.session() as s:
            repo = Credentials(s)
            rows = repo.page(offset=offset, limit=limit, subject_id=subject, type_id=type_id)
            total = repo.count(subject_id=subject, type_id=type_id)
        return {
            "items": [_credential_json(r) for r in rows],
            "offset": offset,
            "limit": limit,
            "total": total,
        }

    def get_credential(self, actor: Actor, credential_id: str) -> dict[str, Any]:
        actor.require("credentials:read")
        with self.service.session() as s:
            row = Credentials(s).get(credential_id)
        if row is None:
            raise NotFoundError(f"no credential {credential_id!r}", code="unknown_credential")
        return _credential_json(row)

    def change_status(
        self, actor: Actor, credential_id: str, action: str, *, reason: str | None = None
    ) -> dict[str, Any]:
        """Revoke, suspend or reinstate; the status list token is re-signed on its next fetch.
        A ``reason`` (the operator's own words) is kept in the audit entry."""
        actor.require("credentials:status")
        step = transition(action)
        extra = {"reason": reason[:200]} if reason else {}
        with self.service.session(write=True) as s:
            repo = Credentials(s)
            row = repo.get(credential_id)
            if row is None:
                raise NotFoundError(f"no credential {credential_id!r}", code="unknown_credential")
            if not repo.set_status(credential_id, to=step.to, allowed_from=step.allowed_from):
                s.rollback()
                current = Credentials(s).get(credential_id)
                raise explain_refused(action, current.status if current else row.status)
            StatusLists(s).bump(row.status_list_id)
            self._audit(
                s,
                actor,
                f"credential.{action}",
                credential_id,
                subject=row.subject_id,
                type=row.type_id,
                **extra,
            )
            s.commit()
            updated = Credentials(s).get(credential_id)
        log.info("credential %s: %s by %s", credential_id, action, actor.id)
        assert updated is not None
        return _credential_json(updated)
