"""Presentation for the operator pages: words for statuses, roles and audit actions, times in
the agency's time zone, credential type names in the chosen language, rows of the credentials
list, the offer to hand over, page numbers.

Plain functions of values; no request, no storage. Everything a clerk reads is said in words
("Valid", "Created an offer"), never as a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from issuer.operator import NewOffer
from issuer.status import STATUS_NAMES, transition
from issuer.types import CredentialType

__all__ = [
    "ACTIONS",
    "LANGUAGES",
    "Pager",
    "action_words",
    "allowed_actions",
    "audit_details",
    "credential_row",
    "format_time",
    "language_links",
    "offer_view",
    "offset_label",
    "role_words",
    "short_ref",
    "status_words",
    "type_choices",
    "type_name",
    "who",
]

# Credential type names come from the type files in these languages (the switch on the pages).
LANGUAGES = {"en": "English", "dz": "རྫོང་ཁ"}

# A status change → (button text, past tense, what happens), in the order the buttons appear.
ACTIONS = {
    "suspend": (
        "Suspend",
        "suspended",
        "The credential stops working until someone reinstates it. Use this while a lost "
        "phone may still be found.",
    ),
    "reinstate": ("Reinstate", "reinstated", "The credential works again."),
    "revoke": (
        "Revoke",
        "revoked",
        "The credential stops working for good. This cannot be undone: the person will need "
        "a new credential.",
    ),
}
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
    "key.prepare": "Prepared the next signing key (waiting for its certificate)",
    "key.certify": "Attached a certificate to the signing key",
    "registry.people.put": "Added or updated people in the registry",
    "registry.businesses.put": "Added or updated businesses in the registry",
    "registry.read": "Looked up a person in the registry",
    "registry.search": "Searched the registry",
    "registry.list": "Listed registry records",
    "approval.request": "A wallet asked for a credential that needs approval",
    "approval.approve": "Approved a credential request",
    "approval.deny": "Declined a credential request",
    "approval.deliver": "The wallet collected an approved credential",
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
    "certified": "With its certificate",
    "created": "Added",
    "updated": "Updated",
    "found": "Found",
    "shown": "Records shown",
    "offset": "Starting at",
    "keys": "Copies",
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


def language_links(query: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(code, name, link) for the language switch: this page's address in each language."""
    return [
        (code, label, f"?{urlencode({**query, 'lang': code})}") for code, label in LANGUAGES.items()
    ]


def who(actor: str, labels: Mapping[str, str]) -> tuple[str, str]:
    """(name, detail) of an audit entry's actor: an API key by its label and id, a server user
    by name."""
    kind, _, name = actor.partition(":")
    if kind == "key":
        return (labels.get(name) or "API key", f"key {name}")
    if kind == "local":
        return (name, "command line on the server")
    return (actor, "")


def allowed_actions(status: str) -> list[str]:
    """The status changes the issuer allows from ``status`` (its own transition rules)."""
    return [
        action
        for action in ACTIONS
        if status in {STATUS_NAMES[s] for s in transition(action).allowed_from}
    ]


def short_ref(offer_ref: str) -> str:
    """``off_`` and the first 8 hex digits: enough to tell a person's offers apart."""
    return offer_ref[:12]


def credential_row(
    item: Mapping[str, Any],
    types: Mapping[str, CredentialType],
    lang: str,
    *,
    now: int,
    can_change: bool,
) -> dict[str, Any]:
    """An issued credential as a row of the list, with the status changes the viewer may make."""
    status = item["status"]
    words = status_words(status, expires_at=item["expires_at"], now=now)
    actions = allowed_actions(status) if can_change else []
    type_id = item["credential_configuration_id"]
    return {
        **item,
        "type_name": type_name(types.get(type_id), lang, fallback=type_id),
        "status_words": words,
        "status_class": words.lower(),
        "offer_short": short_ref(item["offer_ref"]),
        "actions": actions,
        # What this copy allows, for all copies: each such link changes at least this one.
        "offer_actions": actions if item["copies"] > 1 else [],
    }


def type_choices(
    types: Mapping[str, CredentialType], subject: str, lang: str
) -> list[tuple[str, str]]:
    """(type id, display name) for the credentials a person or a business can be offered."""
    found = [t for t in types.values() if t.subject == subject]
    found.sort(key=lambda t: (t.id != "foundational-id", t.id))
    return [(t.id, type_name(t, lang)) for t in found]


def offer_view(
    offer: NewOffer, ctype: CredentialType, lang: str, *, base: str, now: int
) -> dict[str, Any]:
    """The offer to hand over: the QR code, the PIN (also spelled out for screen readers)."""
    offer_id = offer.credential_offer_uri.rsplit("/", 1)[-1]
    return {
        "type_name": type_name(ctype, lang),
        "subject_label": "CID" if ctype.subject == "person" else "Licence",
        "subject": offer.subject_id,
        "qr_src": f"{base}/offers/{offer_id}/qr.png",
        "offer_uri": offer.offer_uri,
        "tx_code": offer.tx_code,
        "tx_code_spoken": " ".join(offer.tx_code or ""),
        "expires_at": offer.expires_at,
        "minutes_left": max(0, (offer.expires_at - now) // 60),
        "ref": offer.ref,
    }


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
