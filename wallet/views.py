"""What the wallet shows about a stored credential, independent of any user interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wallet.consent import TECHNICAL_CLAIMS, ClaimItem, claim_label, claim_order, value_text
from wallet.history import format_time
from wallet.status import StatusRecord, StatusText, describe_status
from wallet.storage.catalog import Catalog, CredentialEntry

__all__ = ["CredentialView", "describe_credential"]


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
