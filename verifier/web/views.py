"""What the teller reads: template choices, verified claims under their display labels, the
reason for a refusal and what to do about it, times in the desk's time zone.

Labels come from the credential type's SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc-25
§9.2 claim ``display``; §8 type ``display``) when the issuer publishes it, else from the claim
name ("place_of_birth" → "Place of birth"). Pure functions over the service's result view.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from credentials.type_metadata import TypeMetadata
from verifier.request_templates import Template
from verifier.settings import DEFAULT_TIMEZONE
from verifier.trust import TrustRegistry, type_id_of

__all__ = [
    "Choice",
    "OfflineRow",
    "Refusal",
    "Shown",
    "choices",
    "claim_rows",
    "display_zone",
    "format_time",
    "offline_results",
    "refusal",
    "shown_credentials",
]

MetadataFor = Callable[[str], TypeMetadata | None]
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MAX_VALUE = 300

_STATUS_WORDS = {
    "valid": "Valid: not revoked or suspended by its issuer",
    "unknown": "Could not be checked (the issuer's list was out of reach); accepted by this "
    "service's rules",
    "none": "This credential has no revocation list",
}

# What the teller does next, by refusal code (the reason itself is verifier.errors.explain).
_CONTACT_ISSUER = "Ask the customer to contact the office that issued the credential."
_TRY_LATER = "Try again in a few minutes. If it keeps happening, tell your IT staff."
_SCAN_AGAIN = "Start a new check and ask the customer to scan the new code."
_WHAT_TO_DO = {
    "status_revoked": _CONTACT_ISSUER,
    "status_suspended": _CONTACT_ISSUER,
    "status_not_valid": _CONTACT_ISSUER,
    "status_missing": _CONTACT_ISSUER,
    "status_index_out_of_range": _CONTACT_ISSUER,
    "expired": "Ask the customer to renew the credential at the office that issued it.",
    "not_yet_valid": "Ask the customer to try again once the credential is valid.",
    "access_denied": (
        "The customer chose not to share. Ask whether they want to try again, or identify them "
        "another way."
    ),
    "dcql_value_mismatch": (
        "The customer does not meet the requirement. Do not continue with this service."
    ),
    "untrusted_issuer": "Ask for a credential from an issuer this service accepts.",
    "vct_not_trusted": "Ask for a credential from an issuer this service accepts.",
    "vct_not_accepted": "Ask for the kind of credential that was asked for.",
    "vct_mismatch": "Ask for the kind of credential that was asked for.",
    "dcql_vct_mismatch": "Ask for the kind of credential that was asked for.",
    "missing_claim": "Ask the customer to share everything that was asked for.",
    "dcql_claim_missing": "Ask the customer to share everything that was asked for.",
    "dcql_unsatisfied": "Ask the customer to share everything that was asked for.",
    "status_unavailable": _TRY_LATER,
    "issuer_key_unresolved": _TRY_LATER,
    "issuer_metadata_unavailable": _TRY_LATER,
    "trust_bundle_expired": "Tell your IT staff: the list of trusted issuers must be renewed.",
    "trust_bundle_invalid": "Tell your IT staff: the list of trusted issuers must be replaced.",
    "encryption_required": "Ask the customer to update the wallet app, then start a new check.",
}
_DEFAULT_WHAT_TO_DO = (
    f"{_SCAN_AGAIN} If it is refused again, ask the customer to contact the office that "
    "issued the credential."
)


@dataclass(frozen=True, slots=True)
class Choice:
    """A template as a button: what the teller asks for and what the customer shares."""

    id: str
    title: str
    shares: str
    available: bool


@dataclass(frozen=True, slots=True)
class Shown:
    """One verified credential as the teller sees it."""

    type_name: str
    issuer_name: str
    status: str
    rows: tuple[tuple[str, str], ...]
    trust_as_of: str
    status_as_of: str | None


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    reason: str
    what_to_do: str


def display_zone(name: str) -> tzinfo:
    """The desk's time zone; Bhutan's fixed UTC+06:00 where the tz database is missing."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_TIMEZONE:
            return timezone(timedelta(hours=6), "+06")
        raise


def format_time(seconds: int | None, zone: tzinfo) -> str:
    """``27 November 2026, 14:05`` (24-hour clock, the desk's zone); "no date given"."""
    if seconds is None:
        return "no date given"
    moment = datetime.fromtimestamp(seconds, UTC).astimezone(zone)
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"


def _humanise(name: str) -> str:
    words = " ".join(name.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else name


def _label(metadata: TypeMetadata | None, path: Sequence[str]) -> str:
    if metadata is not None:
        return metadata.label(tuple(path))
    return _humanise(path[-1])


def _value(value: Any) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{_humanise(str(k))}: {_value(v)}" for k, v in value.items())
    text = str(value)
    if text.startswith("data:image/"):
        return "A photo (not shown here)"
    date = _ISO_DATE.fullmatch(text)
    if date and 1 <= int(date[2]) <= 12:
        return f"{int(date[3])} {_MONTHS[int(date[2]) - 1]} {date[1]}"
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "…"


def claim_rows(
    claims: Mapping[str, Any], metadata: TypeMetadata | None
) -> tuple[tuple[str, str], ...]:
    """(label, value) rows; an object's members get their own rows under its label."""
    rows: list[tuple[str, str]] = []
    for name, value in claims.items():
        label = _label(metadata, (name,))
        if isinstance(value, Mapping) and value:
            for inner, inner_value in value.items():
                inner_label = _label(metadata, (name, str(inner)))
                rows.append((f"{label} — {inner_label}", _value(inner_value)))
        else:
            rows.append((label, _value(value)))
    return tuple(rows)


def _type_name(item: Mapping[str, Any], metadata: TypeMetadata | None) -> str:
    if metadata is not None:
        return metadata.display_name()
    type_id = item.get("type_id") or type_id_of(str(item.get("vct", "")))
    return _humanise(str(type_id))


def shown_credentials(
    view: Mapping[str, Any], metadata_for: MetadataFor, zone: tzinfo
) -> list[Shown]:
    """Every verified credential in a ``verified`` result view, ready to display."""
    shown: list[Shown] = []
    credentials = view.get("credentials")
    if not isinstance(credentials, Mapping):
        return shown
    for found in credentials.values():
        for item in found:
            metadata = metadata_for(str(item.get("vct", "")))
            checked = item.get("status_checked_at")
            shown.append(
                Shown(
                    type_name=_type_name(item, metadata),
                    issuer_name=str(item.get("issuer_name") or item.get("issuer")),
                    status=_STATUS_WORDS.get(str(item.get("status")), str(item.get("status"))),
                    rows=claim_rows(item.get("claims") or {}, metadata),
                    trust_as_of=format_time(item.get("trust_valid_as_of"), zone),
                    status_as_of=format_time(checked, zone) if checked else None,
                )
            )
    return shown


def refusal(view: Mapping[str, Any]) -> Refusal:
    """The reason for a ``rejected`` result in plain words, and what to do next."""
    found = view.get("error")
    error: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    code = str(error.get("code") or "rejected")
    reason = str(error.get("explanation") or "The credential could not be accepted.")
    cause = str(error.get("cause") or "")
    what = _WHAT_TO_DO.get(code) or _WHAT_TO_DO.get(cause)
    if what is None and (code.startswith(("fetch_", "status_list_"))):
        what = _TRY_LATER
    return Refusal(code, reason, what or _DEFAULT_WHAT_TO_DO)


def _shares(template: Template, metadata_for: MetadataFor, trust: TrustRegistry) -> str:
    parts: list[str] = []
    for item in template.credentials:
        vcts = trust.vcts_for_type(str(item["type"]))
        metadata = metadata_for(vcts[0]) if vcts else None
        for claim in item["claims"]:
            path = [str(part) for part in claim["path"]]
            label = _label(metadata, path)
            values = claim.get("values")
            if values and all(isinstance(v, bool) for v in values):
                label += " (yes or no)"
            parts.append(label)
    return ", ".join(parts)


def choices(
    templates: Mapping[str, Template], trust: TrustRegistry, metadata_for: MetadataFor
) -> list[Choice]:
    """The templates as buttons; one whose credential no trusted issuer gives is unavailable."""
    return [
        Choice(
            id=template.id,
            title=template.title,
            shares=_shares(template, metadata_for, trust),
            available=all(trust.vcts_for_type(str(i["type"])) for i in template.credentials),
        )
        for template in templates.values()
    ]


@dataclass(frozen=True, slots=True)
class OfflineRow:
    accepted: str
    issuer: str
    state: str
    flagged: bool


_RECHECK_WORDS = {
    "to_recheck": "to re-check when online",
    "valid": "still valid",
    "revoked": "REVOKED since it was accepted",
    "suspended": "SUSPENDED since it was accepted",
    "no_status": "cannot be revoked (no status list)",
}


def offline_results(rows: Sequence[Any], zone: tzinfo) -> list[OfflineRow]:
    """The desk's latest results accepted offline, with their re-check marks in words."""
    return [
        OfflineRow(
            accepted=format_time(row.accepted_at, zone),
            issuer=row.issuer_name,
            state=_RECHECK_WORDS.get(row.recheck, row.recheck),
            flagged=row.recheck in ("revoked", "suspended"),
        )
        for row in rows
    ]
