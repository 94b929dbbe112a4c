"""Notification Endpoint messages (OpenID4VCI 1.0 §11).

The wallet tells the issuer whether it kept the credentials: ``notification_id`` + ``event``
(``credential_accepted``, ``credential_failure``, ``credential_deleted``) and an optional ASCII
``event_description``. Identical repeats succeed (§11: notifications are idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from issuer.errors import NotificationError

__all__ = ["EVENTS", "NotificationRequest", "parse_notification_request"]

EVENTS = ("credential_accepted", "credential_failure", "credential_deleted")
_DESCRIPTION = frozenset(
    chr(c) for c in (*range(0x20, 0x22), *range(0x23, 0x5C), *range(0x5D, 0x7F))
)


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    notification_id: str
    event: str
    description: str | None


def parse_notification_request(body: Any) -> NotificationRequest:
    if not isinstance(body, dict):
        raise NotificationError("the notification must be a JSON object")
    notification_id = body.get("notification_id")
    if not isinstance(notification_id, str) or not notification_id or len(notification_id) > 128:
        raise NotificationError("notification_id is missing or not a string")
    event = body.get("event")
    if event not in EVENTS:
        raise NotificationError(f"event must be one of {', '.join(EVENTS)}")
    description = body.get("event_description")
    if description is not None and (
        not isinstance(description, str)
        or len(description) > 1000
        or not set(description) <= _DESCRIPTION
    ):
        raise NotificationError("event_description must be short printable ASCII text")
    return NotificationRequest(notification_id, str(event), description)
