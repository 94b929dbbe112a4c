"""Repositories: every query the verifier service runs, one small class per table, all on one
Session (the caller's unit of work; it commits).

State changes that must happen at most once (claiming a request for its one response, using a
same-device ``response_code``) are single conditional ``UPDATE ... WHERE`` statements whose row
count says whether this caller won: atomic on SQLite and PostgreSQL alike, with no
read-then-write race.

The response endpoint's statements (read the request, claim it, record its result and webhook
delivery) are fixed Core statements (:mod:`servicekit.statements`) that read into detached,
read-only rows; :meth:`Requests.complete` writes a finished request back.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, delete, insert, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from servicekit.statements import first_row, rowcount, run, table, values
from verifier.storage.models import (
    ApiKeyRecord,
    RequestRecord,
    TrustedIssuerRecord,
    WebhookDelivery,
)
from verifier.storage.schema import create_schema

__all__ = ["ApiKeys", "Requests", "TrustedIssuers", "WebhookDeliveries", "create_schema"]


_REQUEST, _DELIVERY = table(RequestRecord), table(WebhookDelivery)
# What a finished request changes (Requests.complete).
_RESULT_COLUMNS = (
    "status",
    "completed_at",
    "result_expires_at",
    "ephemeral_jwk",
    "result",
    "error_code",
    "error_message",
    "response_code_hash",
)


class _Hot:
    """The response endpoint's fixed statements."""

    get = core_select(_REQUEST).where(_REQUEST.c.id == bindparam("request_id"))
    claim = (
        update(_REQUEST)
        .where(
            _REQUEST.c.id == bindparam("request_id"),
            _REQUEST.c.status == "pending",
            _REQUEST.c.expires_at > bindparam("now"),
        )
        .values(status="processing")
    )
    complete = (
        update(_REQUEST)
        .where(_REQUEST.c.id == bindparam("request_id"))
        .values({name: bindparam(f"new_{name}") for name in _RESULT_COLUMNS})
    )
    delivery_insert = insert(_DELIVERY)


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
        return rowcount(result) == 1


class Requests:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, row: RequestRecord) -> None:
        self.s.add(row)

    def get(self, request_id: str) -> RequestRecord | None:
        """The request, read-only (:meth:`complete` writes a finished one back)."""
        return first_row(self.s, RequestRecord, _Hot.get, {"request_id": request_id})

    def claim(self, request_id: str, *, now: int) -> bool:
        """Atomically move a pending, unexpired request to ``processing``. Exactly one response
        can win: this is what makes the nonce single-use, across workers and databases."""
        return rowcount(run(self.s, _Hot.claim, {"request_id": request_id, "now": now})) == 1

    def complete(self, record: RequestRecord) -> None:
        """Write a finished request's outcome: status, times, result or error, response code
        digest, and the decryption key's removal."""
        params = {f"new_{name}": getattr(record, name) for name in _RESULT_COLUMNS}
        run(self.s, _Hot.complete, {"request_id": record.id, **params})

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
        return rowcount(result) == 1

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
        return rowcount(result) == 1

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
        return rowcount(result)

    def delete_past_retention(self, *, now: int) -> int:
        """Delete requests whose results are past retention (data minimisation)."""
        result = self.s.execute(
            delete(RequestRecord).where(
                col(RequestRecord.result_expires_at).is_not(None),
                col(RequestRecord.result_expires_at) <= now,
            )
        )
        return rowcount(result)


class WebhookDeliveries:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, row: WebhookDelivery) -> None:
        run(self.s, _Hot.delivery_insert, values(row, omit_none=("id",)))

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
        return rowcount(result) == 1

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
        return rowcount(result)


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
        return rowcount(result) == 1
