"""Presentation for the operator pages: words for statuses, roles and audit actions, times in
the agency's time zone, credential type names in the chosen language, page numbers.

Plain functions of values; no request, no storage. Everything a clerk reads is said in words
("Valid", "Created an offer"), never as a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from issuer.types import CredentialType

__all__ = [
    "LANGUAGES",
    "Pager",
    "action_words",
    "audit_details",
    "format_time",
    "offset_label",
    "role_words",
    "status_words",
    "type_name",
]

# Credential type names come from the type files in these languages (the switch on the pages).
LANGUAGES = {"en": "English", "dz": "རྫོང་ཁ"}

_STATUS = {"valid": "Valid", "suspended": "Suspended", "revoked": "Revoked"}
_ROLES = {
    "issue": "Issues offers",
    "revoke": "Revokes and suspends",
    "admin": "Administrator",
}
_ACTIONS = {
    "offer.create": "Created an offer",
    "credential.revoke": "Revoked a credential",
    "credential.suspend": "Suspended a credential",
    "credential.reinstate": "Reinstated a credential",
    "apikey.create": "Created an API key",
    "apikey.revoke": "Revoked an API key",
    "key.rotate": "Changed the signing key",
    "registry.people.put": "Added or updated people in the registry",
    "registry.businesses.put": "Added or updated businesses in the registry",
    "registry.read": "Looked up a person in the registry",
    "registry.search": "Searched the registry",
    "registry.list": "Listed registry records",
}
_DETAIL_LABELS = {
    "type": "Credential",
    "subject": "Person or business",
    "tx_code": "PIN required",
    "reason": "Reason",
    "role": "Role",
    "label": "Label",
    "alg": "Algorithm",
    "retired": "Retired keys",
    "created": "Added",
    "updated": "Updated",
    "found": "Found",
    "shown": "Records shown",
    "offset": "Starting at",
}


def status_words(
    status: str, *, expires_at: int | str | None = None, now: int | None = None
) -> str:
    """ "Valid", "Suspended", "Revoked" — and "Expired" for a valid credential past its end."""
    if status == "valid" and expires_at and now is not None and _parse(expires_at) <= now:
        return "Expired"
    return _STATUS.get(status, status.capitalize())


def role_words(role: str) -> str:
    return _ROLES.get(role, role)


def action_words(action: str) -> str:
    return _ACTIONS.get(action, action)


def type_name(ctype: CredentialType | None, lang: str, *, fallback: str = "") -> str:
    """The type's display name in ``lang``, else English, else its first name."""
    if ctype is None:
        return fallback
    for entry in ctype.display:
        if entry.get("lang") == lang:
            return entry["name"]
    return ctype.name


def audit_details(
    detail: Mapping[str, Any], types: Mapping[str, CredentialType], lang: str
) -> list[tuple[str, str]]:
    """An audit entry's details as (label, value) pairs in words."""
    rows = []
    order = list(_DETAIL_LABELS)
    for key, value in sorted(detail.items(), key=lambda kv: _rank(order, kv[0])):
        if key == "type" and isinstance(value, str):
            text = type_name(types.get(value), lang, fallback=value)
        elif isinstance(value, bool):
            text = "Yes" if value else "No"
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value) or "none"
        else:
            text = str(value)
        rows.append((_DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()), text))
    return rows


def _rank(order: list[str], key: str) -> tuple[int, str]:
    return (order.index(key) if key in order else len(order), key)


def _zone(offset_minutes: int) -> timezone:
    return timezone(timedelta(minutes=offset_minutes))


def offset_label(offset_minutes: int) -> str:
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _parse(value: int | str) -> int:
    if isinstance(value, int):
        return value
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def format_time(value: int | str | None, offset_minutes: int, *, seconds: bool = False) -> str:
    """``12 May 2025, 14:05`` in the agency's zone (UNIX seconds or an ISO time from the
    operator API); an empty string for no time."""
    if value is None or value == "":
        return ""
    moment = datetime.fromtimestamp(_parse(value), UTC).astimezone(_zone(offset_minutes))
    return f"{moment.day} " + moment.strftime("%b %Y, %H:%M:%S" if seconds else "%b %Y, %H:%M")


@dataclass(frozen=True, slots=True)
class Pager:
    """Page ``number`` (from 1) of ``size`` rows; ``total`` when known, else ``has_next``."""

    number: int
    size: int
    total: int | None = None
    has_next_hint: bool = False

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        pages = self.pages
        return self.has_next_hint if pages is None else self.number < pages
