"""Queries of the verifier service, one small function per question. Callers own the
session (one per unit of work) and commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from verifier.storage.models import (
    ApiKeyRecord,
    RequestRecord,
    TrustedIssuerRecord,
    WebhookDelivery,
    tables,
)

__all__ = [
    "add",
    "claim_request",
    "create_schema",
    "due_deliveries",
    "expire_requests",
    "get_api_key",
    "get_request",
    "get_trusted_issuer",
    "list_api_keys",
    "list_trusted_issuers",
    "prune",
    "use_response_code",
]


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=tables())  # type: ignore[arg-type]


def add(session: Session, record: Any) -> None:
    session.add(record)


def get_api_key(session: Session, key_id: str) -> ApiKeyRecord | None:
    return session.get(ApiKeyRecord, key_id)


def list_api_keys(session: Session) -> Sequence[ApiKeyRecord]:
    return session.exec(select(ApiKeyRecord).order_by(col(ApiKeyRecord.created_at))).all()


def get_request(session: Session, request_id: str) -> RequestRecord | None:
    return session.get(RequestRecord, request_id)


def claim_request(session: Session, request_id: str, *, now: int) -> bool:
    """Atomically move a pending, unexpired request to ``processing``. Exactly one response
    can win: this is what makes the nonce single-use, across workers and databases."""
    result = session.execute(
        update(RequestRecord)
        .where(
            col(RequestRecord.id) == request_id,
            col(RequestRecord.status) == "pending",
            col(RequestRecord.expires_at) > now,
        )
        .values(status="processing")
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def use_response_code(session: Session, request_id: str, code_hash: str) -> bool:
    """Atomically consume a same-device ``response_code`` (single use)."""
    result = session.execute(
        update(RequestRecord)
        .where(
            col(RequestRecord.id) == request_id,
            col(RequestRecord.response_code_hash) == code_hash,
            col(RequestRecord.response_code_used) == False,  # noqa: E712
        )
        .values(response_code_used=True)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def expire_requests(session: Session, *, now: int, retention: int) -> int:
    """Pending (or stuck processing) requests past their lifetime become ``expired``: their
    ephemeral key is deleted and the row kept for ``retention`` so a poll can say so."""
    result = session.execute(
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
    return int(result.rowcount)  # type: ignore[attr-defined]


def prune(session: Session, *, now: int) -> int:
    """Delete requests whose results are past retention, and finished webhook deliveries of
    requests that no longer exist or whose body was sent."""
    gone = session.execute(
        delete(RequestRecord).where(
            col(RequestRecord.result_expires_at).is_not(None),
            col(RequestRecord.result_expires_at) <= now,
        )
    )
    session.execute(
        delete(WebhookDelivery).where(
            or_(
                col(WebhookDelivery.status).in_(("delivered", "failed")),
                col(WebhookDelivery.request_id).not_in(select(RequestRecord.id)),
            )
        )
    )
    return int(gone.rowcount)  # type: ignore[attr-defined]


def due_deliveries(session: Session, *, now: int, limit: int = 20) -> Sequence[WebhookDelivery]:
    return session.exec(
        select(WebhookDelivery)
        .where(
            col(WebhookDelivery.status) == "pending", col(WebhookDelivery.next_attempt_at) <= now
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
    ).all()


def get_trusted_issuer(session: Session, iss: str) -> TrustedIssuerRecord | None:
    return session.get(TrustedIssuerRecord, iss)


def list_trusted_issuers(session: Session) -> Sequence[TrustedIssuerRecord]:
    return session.exec(select(TrustedIssuerRecord).order_by(col(TrustedIssuerRecord.id))).all()
