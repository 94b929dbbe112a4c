"""Issued credentials as the operator sees them (metadata only: the credentials themselves are
never stored) and their status: revoke, suspend, reinstate one credential, or every copy issued
from one offer (batch issuance gives a wallet several one-time copies, each with its own status
entry). A change is written to the credentials' status lists, whose signed tokens are re-issued
on their next fetch (draft-ietf-oauth-status-list-21 §7.1).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence

from sqlmodel import Session

from issuer.context import IssuerContext
from issuer.errors import ConflictError, InvalidRequestError, NotFoundError
from issuer.operator.actors import Actor
from issuer.operator.audit import AuditTrail
from issuer.operator.results import IssuedCredential, OfferCredentials, OfferStatusChange, Page
from issuer.status.rules import STATUS_NAMES, explain_refused, explain_refused_all, transition
from issuer.storage.models import CredentialRow
from issuer.storage.repos import Credentials, Offers, StatusLists

__all__ = ["MAX_REASON_LENGTH", "CredentialStatus", "clean_reason"]

log = logging.getLogger(__name__)

MAX_REASON_LENGTH = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_OFFER_REF = re.compile(r"off_[0-9a-f]{16}")


def clean_reason(reason: str | None) -> str | None:
    """The operator's reason as the audit log keeps it: control characters and runs of spaces
    become one space; ``None`` when nothing is left; refused above :data:`MAX_REASON_LENGTH`."""
    text = " ".join(_CONTROL.sub(" ", reason or "").split())
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidRequestError(
            f"the reason is longer than {MAX_REASON_LENGTH} characters; shorten it",
            code="reason_too_long",
        )
    return text or None


def _issued(row: CredentialRow, copies: Mapping[str, Sequence[str]]) -> IssuedCredential:
    """``copies`` lists the credential ids issued from each offer, in copy order."""
    siblings = copies.get(row.offer_ref, ())
    return IssuedCredential(
        id=row.id,
        credential_configuration_id=row.type_id,
        subject=row.subject_id,
        offer_ref=row.offer_ref,
        copy=siblings.index(row.id) + 1 if row.id in siblings else None,
        copies=len(siblings),
        status=STATUS_NAMES.get(row.status, str(row.status)),
        status_list=row.status_list_id,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        signing_key=row.kid,
        holder_key_thumbprint=row.holder_thumbprint,
        wallet_event=row.notification_event,
        key_storage=_levels(row.key_storage),
        user_authentication=_levels(row.user_authentication),
        key_attestation_issuer=row.key_attestation_issuer,
    )


def _levels(stored: str | None) -> tuple[str, ...]:
    """A JSON array column written by the issuance flow (null: no key attestation)."""
    if not stored:
        return ()
    value = json.loads(stored)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _copies(s: Session, rows: Sequence[CredentialRow]) -> dict[str, list[str]]:
    """Credential ids per offer, in copy order, for the offers ``rows`` came from."""
    copies: dict[str, list[str]] = {}
    for offer_ref, credential_id, _status in Credentials(s).copies_of([r.offer_ref for r in rows]):
        copies.setdefault(offer_ref, []).append(credential_id)
    return copies


class CredentialStatus:
    """Listing issued credentials and changing their status."""

    def __init__(self, context: IssuerContext, *, audit: AuditTrail) -> None:
        self.context = context
        self.audit = audit

    def page(
        self,
        actor: Actor,
        *,
        offset: int = 0,
        limit: int = 50,
        subject: str | None = None,
        type_id: str | None = None,
    ) -> Page[IssuedCredential]:
        """Newest first, optionally of one subject (CID or licence) or type."""
        actor.require("credentials:read")
        with self.context.session() as s:
            repo = Credentials(s)
            rows = repo.page(offset=offset, limit=limit, subject_id=subject, type_id=type_id)
            total = repo.count(subject_id=subject, type_id=type_id)
            copies = _copies(s, rows)
        return Page(tuple(_issued(r, copies) for r in rows), offset, limit, total)

    def get(self, actor: Actor, credential_id: str) -> IssuedCredential:
        actor.require("credentials:read")
        with self.context.session() as s:
            row = Credentials(s).get(credential_id)
            if row is None:
                raise NotFoundError(f"no credential {credential_id!r}", code="unknown_credential")
            return _issued(row, _copies(s, [row]))

    def of_offer(self, actor: Actor, offer_ref: str) -> OfferCredentials:
        """The offer's type and subject, and every credential issued from it (in copy order;
        none while no wallet has collected it)."""
        actor.require("credentials:read")
        with self.context.session() as s:
            offer = Offers(s).get(offer_ref) if _OFFER_REF.fullmatch(offer_ref) else None
            if offer is None:
                raise _unknown_offer(offer_ref)
            rows = Credentials(s).from_offer(offer_ref)
            copies = {offer_ref: [r.id for r in rows]}
            return OfferCredentials(
                offer.ref, offer.type_id, offer.subject_id, tuple(_issued(r, copies) for r in rows)
            )

    def change_status(
        self, actor: Actor, credential_id: str, action: str, *, reason: str | None = None
    ) -> IssuedCredential:
        """Revoke, suspend or reinstate; the status list token is re-signed on its next fetch.
        A ``reason`` (the operator's own words) is kept in the audit entry."""
        actor.require("credentials:status")
        step = transition(action)
        reason = clean_reason(reason)
        with self.context.session(write=True) as s:
            repo = Credentials(s)
            row = repo.get(credential_id)
            if row is None:
                raise NotFoundError(f"no credential {credential_id!r}", code="unknown_credential")
            if not repo.set_status(credential_id, to=step.to, allowed_from=step.allowed_from):
                s.rollback()
                current = Credentials(s).get(credential_id)
                raise explain_refused(action, current.status if current else row.status)
            StatusLists(s).bump(row.status_list_id)
            self._audit_change(s, actor, action, row, reason)
            s.commit()
            updated = Credentials(s).get(credential_id)
            assert updated is not None
            result = _issued(updated, _copies(s, [updated]))
        log.info("credential %s: %s by %s", credential_id, action, actor.id)
        return result

    def change_offer_status(
        self, actor: Actor, offer_ref: str, action: str, *, reason: str | None = None
    ) -> OfferStatusChange:
        """Revoke, suspend or reinstate every credential issued from one offer, in one
        transaction: each copy the action applies to changes (the others stay as they are)
        and gets its own audit entry, as if changed alone. ``changed`` counts them; when none
        can change, nothing is written and the refusal says why."""
        actor.require("credentials:status")
        step = transition(action)
        reason = clean_reason(reason)
        with self.context.session(write=True) as s:
            offer = Offers(s).get(offer_ref) if _OFFER_REF.fullmatch(offer_ref) else None
            if offer is None:
                raise _unknown_offer(offer_ref)
            repo = Credentials(s)
            rows = repo.from_offer(offer_ref)
            if not rows:
                raise ConflictError(
                    f"no credential has been issued from offer {offer_ref} yet (no wallet "
                    "collected it); nothing was changed",
                    code="offer_not_collected",
                )
            # One conditional UPDATE per copy: a copy changed meanwhile by someone else is
            # skipped, never forced from a status the action does not allow.
            changed = [
                row
                for row in rows
                if row.status in step.allowed_from
                and repo.set_status(row.id, to=step.to, allowed_from=step.allowed_from)
            ]
            if not changed:
                s.rollback()
                raise explain_refused_all(action, [r.status for r in repo.from_offer(offer_ref)])
            lists = StatusLists(s)
            for list_id in sorted({row.status_list_id for row in changed}):
                lists.bump(list_id)
            for row in changed:
                self._audit_change(s, actor, action, row, reason)
            s.commit()
            rows = Credentials(s).from_offer(offer_ref)
            copies = {offer_ref: [r.id for r in rows]}
            result = OfferStatusChange(
                offer_ref, action, len(changed), tuple(_issued(r, copies) for r in rows)
            )
        log.info(
            "offer %s: %s of %d credentials by %s (%d changed)",
            offer_ref,
            action,
            len(rows),
            actor.id,
            len(changed),
        )
        return result

    def _audit_change(
        self, s: Session, actor: Actor, action: str, row: CredentialRow, reason: str | None
    ) -> None:
        extra = {"reason": reason} if reason else {}
        self.audit.record(
            s,
            actor,
            f"credential.{action}",
            row.id,
            subject=row.subject_id,
            type=row.type_id,
            **extra,
        )


def _unknown_offer(offer_ref: str) -> NotFoundError:
    return NotFoundError(f"no offer {offer_ref[:40]!r}", code="unknown_offer")
