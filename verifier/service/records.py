"""A stored presentation request as callers see it: found by id (and only by its own relying
party), its visible status, and its result view (the JSON the relying-party API returns and
the webhook carries).

Lifecycle of a request: ``pending`` (QR shown) → the wallet fetches the signed request object
→ the wallet POSTs its response → the request is *claimed* atomically (``processing``; a second
response loses: the nonce is single-use) → every presentation is verified and DCQL re-checked →
``verified`` or ``rejected``; the ephemeral decryption key is deleted; only the verified
disclosed claims are kept, until ``result_expires_at``; then the row is deleted. Unanswered
requests become ``expired`` at ``expires_at``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.encoding import parse_json
from credentials.jose import public_encryption_jwk
from verifier.errors import RequestError, explain
from verifier.oid4vp.request import (
    REDIRECT_URI_PREFIX,
    RequestParameters,
    create_openid4vp_uri_by_value,
    request_parameters,
)
from verifier.service.context import ServiceContext
from verifier.storage.models import RequestRecord
from verifier.storage.repos import Requests

__all__ = ["open_request", "request_link", "request_params", "result_view", "visible_status"]


def open_request(session: Session, request_id: str, rp_key_id: str | None = None) -> RequestRecord:
    """The request ``request_id`` (of relying party ``rp_key_id``, when given); another
    party's request is as unknown as a removed one."""
    record = Requests(session).get(request_id)
    if record is None or (rp_key_id is not None and record.rp_key_id != rp_key_id):
        raise RequestError(
            "no such request (it may have been removed after its retention period)",
            code="request_not_found",
            error="invalid_request",
            status=404,
        )
    return record


def visible_status(record: RequestRecord, now: int) -> str:
    """What a caller sees: ``processing`` is still ``pending``; past ``expires_at`` an
    unanswered request is ``expired`` whether or not pruning has run yet."""
    if record.status in ("pending", "processing") and record.expires_at <= now:
        return "expired" if record.status == "pending" else "pending"
    return "pending" if record.status == "processing" else record.status


def request_params(record: RequestRecord, context: ServiceContext) -> RequestParameters:
    """What the stored request asks, as OpenID4VP request parameters (§5)."""
    encryption = None
    if record.ephemeral_jwk:
        encryption = public_encryption_jwk(parse_json(record.ephemeral_jwk))
    config = context.config
    return RequestParameters(
        client_id=record.client_id,
        response_uri=context.response_uri(record.id),
        nonce=record.nonce,
        state=record.state,
        dcql_query=parse_json(record.dcql_query),
        response_mode=record.response_mode,
        client_name=config.name,
        purpose=record.purpose,
        algorithms=config.policy.algorithms,
        encryption_jwk=encryption,
        logo_uri=config.logo_uri,
    )


def request_link(record: RequestRecord, context: ServiceContext) -> str:
    """The ``openid4vp://`` link (what the QR code holds): by reference for a signed request;
    every parameter by value for an unsigned ``redirect_uri:`` one (a wallet fetching a request
    object expects a JWT, RFC 9101 §5.2, and an unsigned one cannot be trusted)."""
    if record.client_id.startswith(REDIRECT_URI_PREFIX):
        return create_openid4vp_uri_by_value(request_parameters(request_params(record, context)))
    return context.link(record.client_id, record.id)


def result_view(record: RequestRecord, *, now: int, context: ServiceContext) -> dict[str, Any]:
    """The request and, once there is one, its result: the verified disclosed claims, or the
    refusal with its code, its cause, its plain words and the checks made. While pending, the
    request's ``openid4vp://`` link (:func:`request_link`) is shown again."""
    view: dict[str, Any] = {
        "id": record.id,
        "status": visible_status(record, now),
        "template": record.template,
        "purpose": record.purpose,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "completed_at": record.completed_at,
        "result_expires_at": record.result_expires_at,
    }
    if record.status == "pending":  # what the QR code holds, for showing it again
        view["uri"] = request_link(record, context)
    stored = parse_json(record.result) if record.result else None
    if record.status == "verified" and isinstance(stored, dict):
        view["credentials"] = stored
        presentations = [item for found in stored.values() for item in found]
        if len(presentations) == 1:
            view["claims"] = presentations[0]["claims"]
            view["dropped_claims"] = presentations[0].get("dropped_claims", [])
    elif record.error_code is not None:
        view["error"] = {
            "code": record.error_code,
            "cause": stored.get("cause") if isinstance(stored, dict) else None,
            "message": record.error_message,
            "explanation": explain(record.error_code),
            "checks": [
                {"name": c[0], "outcome": c[1], "detail": c[2]}
                for c in (stored.get("checks", []) if isinstance(stored, dict) else [])
            ],
        }
    return view
