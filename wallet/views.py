"""What the wallet shows about a stored credential, independent of any user interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wallet.consent import TECHNICAL_CLAIMS, ClaimItem, claim_label, claim_order, value_text
from wallet.history import format_time
from wallet.status import StatusRecord, StatusText, describe_status
from wallet.storage.catalog import Catalog, CredentialEntry, PendingEntry, pick_language

__all__ = [
    "CredentialView",
    "PendingView",
    "describe_credential",
    "describe_pending",
    "pending_outcome_words",
]


@dataclass(frozen=True, slots=True)
class CredentialView:
    id: str
    title: str
    type_id: str
    issuer: str
    iss: str
    vct: str
    received_at: int
    expires_at: int | None
    copies: int
    fresh_copies: int
    claims: tuple[ClaimItem, ...]
    hidden_by_default: frozenset[tuple[str | int, ...]]
    status: StatusRecord | None = None  # the last status check; None: not checked yet

    @property
    def status_text(self) -> StatusText:
        return describe_status(self.status, format_time)

    def expired(self, now: int) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def _leaves(value: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], Any]]:
    if isinstance(value, Mapping) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    return [(path, value)]


def describe_credential(catalog: Catalog, entry: CredentialEntry, language: str) -> CredentialView:
    metadata = catalog.type_metadata(entry.vct)
    leaves = [
        leaf
        for name, top in entry.claims.items()
        if name not in TECHNICAL_CLAIMS
        for leaf in _leaves(top, (name,))
    ]
    order = claim_order(metadata)
    leaves.sort(key=lambda leaf: order(leaf[0]))
    claims = tuple(
        ClaimItem(path, claim_label(metadata, path, language), value_text(value, path))
        for path, value in leaves
    )
    return CredentialView(
        id=entry.id,
        title=catalog.title(entry, language),
        type_id=entry.type_id(),
        issuer=entry.issuer_title(language),
        iss=entry.iss,
        vct=entry.vct,
        received_at=entry.received_at,
        expires_at=entry.expires_at,
        copies=len(entry.copies),
        fresh_copies=sum(1 for c in entry.copies if not c.shown_to),
        claims=claims,
        hidden_by_default=frozenset(entry.disclosable),
        status=entry.status,
    )


# --- pending issuances (deferred issuance) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingView:
    """A credential the wallet is waiting for, in plain words (``words``)."""

    id: str
    title: str
    issuer: str
    state: str  # waiting, or interrupted (sent, but the wallet never learned the answer)
    created_at: int
    next_poll_at: int | None
    words: str


def _names(type_names: Mapping[str, str], issuer_names: Mapping[str, str], fallback: str,
           language: str) -> tuple[str, str]:  # fmt: skip
    title = pick_language(type_names, language) or fallback
    issuer = pick_language(issuer_names, language) or "the agency"
    return title, issuer


def describe_pending(entry: PendingEntry, language: str) -> PendingView:
    title, issuer = _names(entry.type_names, entry.issuer_names, entry.configuration_id, language)
    if entry.state == "waiting":
        words = (
            f"Waiting for the agency to approve your {title}. "
            f"We will look again at {format_time(entry.next_poll_at)}."
        )
        return PendingView(
            entry.id, title, issuer, "waiting", entry.created_at, entry.next_poll_at, words
        )
    words = (
        f"Your request for {title} was being sent to {issuer}. If the wallet was closed before "
        "the answer came, ask the agency for a new offer."
    )
    return PendingView(entry.id, title, issuer, "interrupted", entry.created_at, None, words)


_OUTCOME_WORDS = {
    "received": "The agency approved your {title}. It is now in your wallet.",
    "waiting": "Waiting for the agency to approve your {title}. Nothing needs doing.",
    "denied": "{issuer} decided not to issue your {title}. Contact them to ask why.",
    "expired": "{issuer} did not decide on your {title} in time. Ask them for a new offer.",
    "interrupted": "Your request for {title} was cut off before the answer came. Ask {issuer} "
    "for a new offer.",
    "offline": "Could not reach {issuer} to ask about your {title}. The wallet will try again.",
    "failed": "Your {title} could not be received. Ask {issuer} for a new offer.",
}


def pending_outcome_words(
    outcome: str,
    *,
    type_names: Mapping[str, str],
    issuer_names: Mapping[str, str],
    configuration_id: str,
    language: str,
) -> str:
    """What happened when the wallet asked again, in words for the citizen."""
    title, issuer = _names(type_names, issuer_names, configuration_id, language)
    text = _OUTCOME_WORDS.get(outcome, _OUTCOME_WORDS["failed"]).format(title=title, issuer=issuer)
    return text[0].upper() + text[1:]
