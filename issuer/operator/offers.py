"""Credential offers made by agency staff: one at the counter or many in one transaction. The
registry record is checked to make a credential before the offer exists (fail at the counter,
not on the citizen's phone); the offer link and PIN (tx_code) are returned exactly once, and
only their hashes are stored (OpenID4VCI §4.1, pre-authorized code grant).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlmodel import Session

from issuer.context import IssuerContext
from issuer.errors import InvalidRequestError, NotFoundError, RegistryError
from issuer.oid4vci.offer import (
    generate_tx_code,
    hash_tx_code,
    lookup_hash,
    new_secret,
    offer_uri,
    offer_url,
    seal_pre_authorized_code,
)
from issuer.operator.actors import Actor
from issuer.operator.audit import AuditTrail
from issuer.operator.results import NewOffer, OfferItem
from issuer.records import Records, expiry_for, records_for
from issuer.storage.models import OfferRow
from issuer.storage.repos import Offers as OfferRepo
from issuer.storage.repos import Registry

__all__ = ["MAX_BULK_OFFERS", "Offers"]

log = logging.getLogger(__name__)

MAX_BULK_OFFERS = 1000


class Offers:
    """Offers for registry records (permission ``offers:create``)."""

    def __init__(self, context: IssuerContext, *, audit: AuditTrail) -> None:
        self.context = context
        self.audit = audit

    def _subject(self, s: Session, item: OfferItem) -> tuple[str, str, Records]:
        types = self.context.types
        ctype = types.get(item.type_id)
        if ctype is None:
            known = ", ".join(sorted(types))
            raise InvalidRequestError(
                f"unknown credential type {item.type_id!r}; use one of {known}", code="unknown_type"
            )
        if ctype.subject == "person":
            if not item.cid:
                raise InvalidRequestError(f"a {ctype.name} offer needs a person's CID number")
            return "person", item.cid, records_for(s, "person", item.cid)
        licence = item.licence_number
        if not licence:
            if not item.cid:
                raise InvalidRequestError(
                    f"a {ctype.name} offer needs the licence number or the owner's CID"
                )
            owned = Registry(s).businesses_of(item.cid)
            if len(owned) != 1:
                raise RegistryError(
                    f"the person {item.cid} owns {len(owned)} registered businesses; name the "
                    "licence number to offer",
                    code="business_ambiguous",
                )
            licence = owned[0].licence_number
        records = records_for(s, "business", licence.upper())
        if item.cid and records.business and records.business.owner_cid != item.cid:
            raise RegistryError(
                f"licence {licence} belongs to {records.business.owner_cid}, not {item.cid}",
                code="record_mismatch",
            )
        return "business", licence.upper(), records

    def _new_offer(self, s: Session, actor: Actor, item: OfferItem) -> NewOffer:
        context = self.context
        now = context.clock()
        kind, subject_id, records = self._subject(s, item)
        ctype = context.types[item.type_id]
        # Fail at the counter, not on the citizen's phone: the record must make a credential.
        claims = records.claims(ctype, now=now)
        expiry_for(ctype, claims, now)
        offer_id = new_secret(context.random_bytes)
        code = new_secret(context.random_bytes)  # not derivable from the offer id (its URL)
        ref = "off_" + context.random_bytes(8).hex()
        tx_code = (
            generate_tx_code(context.settings.tx_code_length, context.randbelow)
            if item.tx_code
            else None
        )
        expires_at = now + context.settings.offer_lifetime
        OfferRepo(s).add(
            OfferRow(
                ref=ref,
                id_hash=lookup_hash(offer_id),
                code_hash=lookup_hash(code),
                code_sealed=seal_pre_authorized_code(offer_id, ref, code, context.random_bytes),
                type_id=ctype.id,
                subject_kind=kind,
                subject_id=subject_id,
                tx_code_hash=hash_tx_code(ref, tx_code) if tx_code else None,
                tx_code_length=len(tx_code) if tx_code else None,
                created_at=now,
                expires_at=expires_at,
                created_by=actor.id,
            )
        )
        self.audit.record(
            s,
            actor,
            "offer.create",
            ref,
            type=ctype.id,
            subject=subject_id,
            tx_code=tx_code is not None,
        )
        location = offer_url(context.issuer_url, offer_id)
        return NewOffer(
            ref, ctype.id, subject_id, offer_uri(location), location, tx_code, expires_at
        )

    def create(self, actor: Actor, item: OfferItem) -> NewOffer:
        actor.require("offers:create")
        with self.context.session(write=True) as s:
            offer = self._new_offer(s, actor, item)
            s.commit()
        log.info("offer %s created (%s)", offer.ref, offer.type_id)  # never the CID
        return offer

    def create_many(self, actor: Actor, items: Sequence[OfferItem]) -> list[NewOffer]:
        """Bulk offers in one transaction: all are created, or none (the error names the row)."""
        actor.require("offers:create")
        if len(items) > MAX_BULK_OFFERS:
            raise InvalidRequestError(
                f"at most {MAX_BULK_OFFERS} offers per request; split the list", code="too_many"
            )
        created = []
        with self.context.session(write=True) as s:
            for number, item in enumerate(items, start=1):
                try:
                    created.append(self._new_offer(s, actor, item))
                except (InvalidRequestError, RegistryError, NotFoundError) as exc:
                    exc.message = f"offer {number}: {exc.message}"
                    raise
            s.commit()
        log.info("%d offers created in bulk", len(created))
        return created
