"""Repositories: every query the verifier service runs, one small class per table, all on one
Session (the caller's unit of work; it commits).

State changes that must happen at most once (claiming a request for its one response, using a
same-device ``response_code``) are single conditional ``UPDATE ... WHERE`` statements whose row
count says whether this caller won: atomic on SQLite and PostgreSQL alike, with no
read-then-write race.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, update
from sqlmodel import Session, col, select

from verifier.storage.models import (
    ApiKeyRecord,
    RequestRecord,
    TrustedIssuerRecord,
    WebhookDelivery,
)
from verifier.storage.schema import create_schema

__all__ = ["ApiKeys", "Requests", "TrustedIssuers", "WebhookDeliveries", "create_schema"]


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class ApiKeys:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, row: ApiKeyRecord) -> None:
        self.s.add(row)

    def get(self, key_id: str) -> ApiKeyRecord | None:
        return self.s.get(ApiKeyRecord, key_id)

    def all(self) -> Sequence[ApiKeyRecord]:
        return self.s.exec(select(ApiKeyRecord).order_by(col(ApiKeyRecord.created_at))).all()

    def revoke(self, key_id: str) -> bool:
        """Mark the key revoked; False when there is no such key."""
        result = self.s.execute(
            update(ApiKeyRecord).where(col(ApiKeyRecord.key_id) == key_id).values(revoked=True)
        )
        return _rowcount(result) == 1


class Requests:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, row: RequestRecord) -> None:
        self.s.add(row)

    def get(self, request_id: str) -> RequestRecord | None:
        return self.s.get(RequestRecord, request_id)

    def claim(self, request_id: str, *, now: int) -> bool:
        """Atomically move a pending, unexpired request to ``processing``. Exactly one response
        can win: this is what makes the nonce single-use, across workers and databases."""
        result = self.s.execute(
            update(RequestRecord)
            .where(
                col(RequestRecord.id) == request_id,
                col(RequestRecord.status) == "pending",
                col(RequestRecord.expires_at) > now,
            )
            .values(status="processing")
        )
        return _rowcount(result) == 1

    def use_response_code(self, request_id: str, code_hash: str, *, now: int) -> bool:
        """Atomically consume a same-device ``response_code``: single use, and only while the
        result it opens is kept."""
        result = self.s.execute(
            update(RequestRecord)
            .where(
                col(RequestRecord.id) == request_id,
                col(RequestRecord.response_code_hash) == code_hash,
                col(RequestRecord.response_code_used) == False,  # noqa: E712
                col(RequestRecord.result_expires_at) > now,
            )
            .values(response_code_used=True)
        )
        return _rowcount(result) == 1

    def discard(self, request_id: str, rp_key_id: str) -> bool:
        """Delete the relying party's request now, unless a response is being checked at this
        very moment (``processing``); True when a row went."""
        result = self.s.execute(
            delete(RequestRecord).where(
                col(RequestRecord.id) == request_id,
                col(RequestRecord.rp_key_id) == rp_key_id,
                col(RequestRecord.status) != "processing",
            )
        )
        return _rowcount(result) == 1

    def expire(self, *, now: int, retention: int) -> int:
        """Pending (or stuck processing) requests past their lifetime become ``expired``: their
        ephemeral key is deleted and the row kept for ``retention`` so a poll can say so."""
        result = self.s.execute(
            update(RequestRecord)
            .where(
                col(RequestRecord.status).in_(("pending", "processing")),
                col(RequestRecord.expires_at) <= now,
            )
            .values(
                status="expired",
                ephemeral_jwk=None,
                completed_at=now,
                result_expires_at=now + retention,
                error_code="request_expired",
                error_message="nobody answered the request in time",
            )
        )
        return _rowcount(result)

    def delete_past_retention(self, *, now: int) -> int:
        """Delete requests whose results are past retention (data minimisation)."""
        result = self.s.execute(
            delete(RequestRecord).where(
                col(RequestRecord.result_expires_at).is_not(None),
                col(RequestRecord.result_expires_at) <= now,
            )
        )
        return _rowcount(result)


class WebhookDeliveries:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, row: WebhookDelivery) -> None:
        self.s.add(row)

    def due(self, *, now: int, limit: int = 20) -> Sequence[WebhookDelivery]:
        """Pending deliveries whose time has come and that no worker holds a lease on."""
        return self.s.exec(
            select(WebhookDelivery)
            .where(
                col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.next_attempt_at) <= now,
                or_(
                    col(WebhookDelivery.lease_until).is_(None),
                    col(WebhookDelivery.lease_until) <= now,
                ),
            )
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(limit)
        ).all()

    def lease(self, delivery_id: int, *, now: int, until: int) -> bool:
        """Take a delivery for sending (one conditional UPDATE): ``True`` for exactly one of
        several workers trying at once."""
        result = self.s.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery_id,
                col(WebhookDelivery.status) == "pending",
                or_(
                    col(WebhookDelivery.lease_until).is_(None),
                    col(WebhookDelivery.lease_until) <= now,
                ),
            )
            .values(lease_until=until)
        )
        return _rowcount(result) == 1

    def postpone(self, delivery_id: int, *, until: int) -> None:
        self.s.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id)
            .values(next_attempt_at=until)
        )

    def retry(self, delivery_id: int, *, attempts: int, error: str, at: int) -> None:
        self.s.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id)
            .values(attempts=attempts, last_error=error, next_attempt_at=at, lease_until=None)
        )

    def finish(self, delivery_id: int, *, status: str, attempts: int, error: str | None) -> None:
        """Delivered or given up: the body (personal data) goes at once."""
        self.s.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id)
            .values(status=status, attempts=attempts, last_error=error, body=None, lease_until=None)
        )

    def delete_finished(self) -> int:
        """Delete deliveries that are done (sent or given up) or whose request is gone."""
        result = self.s.execute(
            delete(WebhookDelivery).where(
                or_(
                    col(WebhookDelivery.status).in_(("delivered", "failed")),
                    col(WebhookDelivery.request_id).not_in(select(RequestRecord.id)),
                )
            )
        )
        return _rowcount(result)


class TrustedIssuers:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, iss: str) -> TrustedIssuerRecord | None:
        return self.s.get(TrustedIssuerRecord, iss)

    def all(self) -> Sequence[TrustedIssuerRecord]:
        return self.s.exec(select(TrustedIssuerRecord).order_by(col(TrustedIssuerRecord.id))).all()

    def put(self, iss: str, entry: str, *, now: int) -> None:
        """Insert or replace the entry of ``iss``."""
        row = self.s.get(TrustedIssuerRecord, iss)
        if row is None:
            row = TrustedIssuerRecord(id=iss, entry=entry, updated_at=now)
        row.entry, row.updated_at = entry, now
        self.s.add(row)

    def remove(self, iss: str) -> bool:
        """Delete the entry of ``iss``; False when there is none."""
        result = self.s.execute(
            delete(TrustedIssuerRecord).where(col(TrustedIssuerRecord.id) == iss)
        )
        return _rowcount(result) == 1
