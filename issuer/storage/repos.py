"""Repositories: every query the issuer runs, one small class per table, each over the one
:class:`~sqlmodel.Session` of the caller's unit of work (the caller commits). The registry's
repository speaks the registry's own records (:class:`~issuer.registry.Person`,
:class:`~issuer.registry.Business`); the others their table rows.

State changes that must happen at most once (redeeming a code, consuming a nonce, spending a
tx_code attempt, using an access token) are single conditional ``UPDATE ... WHERE`` statements
whose row count says whether this caller won: atomic on SQLite and PostgreSQL alike, with no
read-then-write race. The audit repository can only append and read.

The statements of the issuance hot path (the token, nonce and credential endpoints) are fixed
Core statements (:mod:`servicekit.statements`, :class:`_Hot`) that read into detached,
read-only rows; everything else (the operator's lists and pages) stays on the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, text, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from issuer.registry import Business, Person
from issuer.storage.models import (
    AccessTokenRow,
    ApiKeyRow,
    AuditRow,
    BusinessRow,
    CredentialRow,
    DeferredTransactionRow,
    NonceRow,
    OfferRow,
    PersonRow,
    SigningCertificateRow,
    SigningKeyRow,
    StatusListRow,
)
from servicekit.statements import first_row, rowcount, run, table, values

__all__ = [
    "ApiKeys",
    "Audit",
    "Certificates",
    "Credentials",
    "DeferredTransactions",
    "Keys",
    "Nonces",
    "Offers",
    "Registry",
    "Repository",
    "StatusLists",
    "Tokens",
]


# The old private name, for modules written against it (issuer.storage.authorization had it).
_rowcount = rowcount

_OFFER, _TOKEN, _NONCE = table(OfferRow), table(AccessTokenRow), table(NonceRow)
_LIST, _CREDENTIAL, _PERSON = table(StatusListRow), table(CredentialRow), table(PersonRow)
_KEY, _CERTIFICATE = table(SigningKeyRow), table(SigningCertificateRow)


class _Hot:
    """The hot path's fixed statements (bound parameters, compiled once per dialect)."""

    offer_by_code = core_select(_OFFER).where(_OFFER.c.code_hash == bindparam("h"))
    offer_by_id = core_select(_OFFER).where(_OFFER.c.id_hash == bindparam("h"))
    offer_live = and_(
        _OFFER.c.ref == bindparam("offer"),
        _OFFER.c.redeemed_at.is_(None),
        _OFFER.c.burned_at.is_(None),
        _OFFER.c.expires_at > bindparam("now"),
    )
    redeem = update(_OFFER).where(offer_live).values(redeemed_at=bindparam("now"))
    spend_tx = (
        update(_OFFER)
        .where(and_(offer_live, _OFFER.c.tx_attempts < bindparam("max_attempts")))
        .values(tx_attempts=_OFFER.c.tx_attempts + 1)
    )
    token_insert = insert(_TOKEN)
    token_get = core_select(_TOKEN).where(_TOKEN.c.token_hash == bindparam("h"))
    token_use = (
        update(_TOKEN)
        .where(
            and_(
                _TOKEN.c.token_hash == bindparam("h"),
                _TOKEN.c.requests < bindparam("max_requests"),
                _TOKEN.c.expires_at > bindparam("now"),
            )
        )
        .values(requests=_TOKEN.c.requests + 1)
    )
    nonce_insert = insert(_NONCE)
    nonce_consume = (
        update(_NONCE)
        .where(
            and_(
                _NONCE.c.nonce_hash == bindparam("h"),
                _NONCE.c.used_at.is_(None),
                _NONCE.c.expires_at > bindparam("now"),
            )
        )
        .values(used_at=bindparam("now"))
    )
    newest_open_list = (
        core_select(_LIST)
        .where(_LIST.c.open.is_(True))
        .order_by(_LIST.c.created_at.desc())
        .limit(1)
    )
    taken_among = core_select(_CREDENTIAL.c.status_idx).where(
        and_(
            _CREDENTIAL.c.status_list_id == bindparam("list_id"),
            _CREDENTIAL.c.status_idx.in_(bindparam("idxs", expanding=True)),
        )
    )
    credential_insert = insert(_CREDENTIAL)
    person_data = core_select(_PERSON.c.data).where(_PERSON.c.cid == bindparam("cid"))
    active_key = (
        core_select(_KEY)
        .where(_KEY.c.retired_at.is_(None))
        .order_by(_KEY.c.created_at.desc())
        .limit(1)
    )
    certificate = core_select(_CERTIFICATE).where(_CERTIFICATE.c.kid == bindparam("kid"))


class Repository:
    """Queries over the caller's session; nothing here commits."""

    def __init__(self, session: Session) -> None:
        self.s = session


def _people(rows: Sequence[PersonRow]) -> list[Person]:
    return [Person.model_validate_json(row.data) for row in rows]


def _businesses(rows: Sequence[BusinessRow]) -> list[Business]:
    return [Business.model_validate_json(row.data) for row in rows]


class Registry(Repository):
    def person(self, cid: str) -> Person | None:
        data = run(self.s, _Hot.person_data, {"cid": cid}).scalar()
        return None if data is None else Person.model_validate_json(data)

    def has_person(self, cid: str) -> bool:
        return self.s.get(PersonRow, cid) is not None

    def business(self, licence_number: str) -> Business | None:
        row = self.s.get(BusinessRow, licence_number)
        return None if row is None else Business.model_validate_json(row.data)

    def owner_names(self, businesses: Sequence[Business]) -> dict[str, str]:
        """The registry's name of each business owner that is in the registry, by CID."""
        cids = sorted({b.owner_cid for b in businesses})
        if not cids:
            return {}
        query = select(PersonRow.cid, PersonRow.full_name).where(col(PersonRow.cid).in_(cids))
        return {str(cid): str(name) for cid, name in self.s.exec(query).all()}

    def businesses_of(self, owner_cid: str) -> list[Business]:
        query = select(BusinessRow).where(BusinessRow.owner_cid == owner_cid)
        return _businesses(self.s.exec(query.order_by(col(BusinessRow.licence_number))).all())

    def people(self, *, offset: int, limit: int) -> list[Person]:
        query = select(PersonRow).order_by(col(PersonRow.cid)).offset(offset).limit(limit)
        return _people(self.s.exec(query).all())

    def businesses(self, *, offset: int, limit: int) -> list[Business]:
        query = select(BusinessRow).order_by(col(BusinessRow.licence_number))
        return _businesses(self.s.exec(query.offset(offset).limit(limit)).all())

    @staticmethod
    def _people_matching(text: str) -> Any:
        """People whose CID is ``text`` (11 digits) or starts with it, or whose name contains it
        (case-insensitive; ``%`` and ``_`` match themselves)."""
        if text.isdigit():
            return col(PersonRow.cid).startswith(text, autoescape=True)
        return func.lower(col(PersonRow.full_name)).contains(text.lower(), autoescape=True)

    @staticmethod
    def _businesses_matching(text: str) -> Any:
        """Businesses owned by the CID ``text``, or whose licence number starts with ``text``, or
        whose name contains it (case-insensitive)."""
        if text.isdigit() and len(text) == 11:
            return col(BusinessRow.owner_cid) == text
        return or_(
            col(BusinessRow.licence_number).startswith(text.upper(), autoescape=True),
            func.lower(col(BusinessRow.business_name)).contains(text.lower(), autoescape=True),
        )

    def search_people(self, text: str, *, limit: int, offset: int = 0) -> list[Person]:
        query = select(PersonRow).where(self._people_matching(text))
        query = query.order_by(col(PersonRow.full_name), col(PersonRow.cid))
        return _people(self.s.exec(query.offset(offset).limit(limit)).all())

    def search_businesses(self, text: str, *, limit: int, offset: int = 0) -> list[Business]:
        query = select(BusinessRow).where(self._businesses_matching(text))
        query = query.order_by(col(BusinessRow.business_name), col(BusinessRow.licence_number))
        return _businesses(self.s.exec(query.offset(offset).limit(limit)).all())

    def count_people_matching(self, text: str) -> int:
        query = select(func.count()).select_from(PersonRow).where(self._people_matching(text))
        return int(self.s.exec(query).one())

    def count_businesses_matching(self, text: str) -> int:
        query = select(func.count()).select_from(BusinessRow)
        return int(self.s.exec(query.where(self._businesses_matching(text))).one())

    def count_people(self) -> int:
        return int(self.s.exec(select(func.count()).select_from(PersonRow)).one())

    def count_businesses(self) -> int:
        return int(self.s.exec(select(func.count()).select_from(BusinessRow)).one())

    def put_person(self, person: Person, *, now: int) -> bool:
        """Insert or update; True when the record is new."""
        cid, full_name, data = person.cid, person.full_name, person.model_dump_json()
        row = self.s.get(PersonRow, cid)
        if row is None:
            self.s.add(
                PersonRow(cid=cid, full_name=full_name, data=data, created_at=now, updated_at=now)
            )
            return True
        row.full_name, row.data, row.updated_at = full_name, data, now
        self.s.add(row)
        return False

    def put_business(self, business: Business, *, now: int) -> bool:
        """Insert or update; True when the record is new."""
        licence, owner = business.licence_number, business.owner_cid
        name, data = business.business_name, business.model_dump_json()
        row = self.s.get(BusinessRow, licence)
        if row is None:
            self.s.add(
                BusinessRow(
                    licence_number=licence,
                    owner_cid=owner,
                    business_name=name,
                    data=data,
                    created_at=now,
                    updated_at=now,
                )
            )
            return True
        row.owner_cid, row.business_name, row.data, row.updated_at = owner, name, data, now
        self.s.add(row)
        return False


class Offers(Repository):
    def add(self, row: OfferRow) -> None:
        self.s.add(row)

    def by_id_hash(self, id_hash: str) -> OfferRow | None:
        return first_row(self.s, OfferRow, _Hot.offer_by_id, {"h": id_hash})

    def get(self, ref: str, *, fresh: bool = False) -> OfferRow | None:
        """The offer; ``fresh`` reads it again from the database (after a conditional update)."""
        return self.s.get(OfferRow, ref, populate_existing=fresh)

    def by_code_hash(self, code_hash: str) -> OfferRow | None:
        return first_row(self.s, OfferRow, _Hot.offer_by_code, {"h": code_hash})

    def spend_tx_attempt(self, ref: str, *, max_attempts: int, now: int) -> bool:
        """Reserve one tx_code attempt before checking it: at most ``max_attempts`` guesses
        can ever be checked, even when they arrive at the same instant."""
        params = {"offer": ref, "max_attempts": max_attempts, "now": now}
        return rowcount(run(self.s, _Hot.spend_tx, params)) == 1

    def burn_if_exhausted(self, ref: str, *, max_attempts: int, now: int) -> bool:
        result = self.s.execute(
            update(OfferRow)
            .where(
                and_(
                    col(OfferRow.ref) == ref,
                    col(OfferRow.tx_attempts) >= max_attempts,
                    col(OfferRow.burned_at).is_(None),
                )
            )
            .values(burned_at=now)
        )
        return rowcount(result) == 1

    def redeem(self, ref: str, *, now: int) -> bool:
        """Mark the offer used; True only for the one caller that redeemed it."""
        return rowcount(run(self.s, _Hot.redeem, {"offer": ref, "now": now})) == 1


class Tokens(Repository):
    def add(self, row: AccessTokenRow) -> None:
        run(self.s, _Hot.token_insert, values(row))

    def get(self, token_hash: str) -> AccessTokenRow | None:
        return first_row(self.s, AccessTokenRow, _Hot.token_get, {"h": token_hash})

    def use(self, token_hash: str, *, max_requests: int, now: int) -> bool:
        params = {"h": token_hash, "max_requests": max_requests, "now": now}
        return rowcount(run(self.s, _Hot.token_use, params)) == 1


class Nonces(Repository):
    def add(self, nonce_hash: str, *, expires_at: int) -> None:
        run(self.s, _Hot.nonce_insert, {"nonce_hash": nonce_hash, "expires_at": expires_at})

    def consume(self, nonce_hash: str, *, now: int) -> bool:
        return rowcount(run(self.s, _Hot.nonce_consume, {"h": nonce_hash, "now": now})) == 1

    def purge(self, *, before: int) -> int:
        return rowcount(self.s.execute(delete(NonceRow).where(col(NonceRow.expires_at) < before)))


class StatusLists(Repository):
    def get(self, list_id: str) -> StatusListRow | None:
        return self.s.get(StatusListRow, list_id)

    def newest_open(self) -> StatusListRow | None:
        return first_row(self.s, StatusListRow, _Hot.newest_open_list, None)

    def add(self, row: StatusListRow) -> None:
        self.s.add(row)

    def ids(self) -> list[str]:
        """Every list, oldest first (closed lists still carry live credentials)."""
        query = select(StatusListRow.id).order_by(col(StatusListRow.created_at))
        return list(self.s.exec(query).all())

    def close(self, list_id: str) -> None:
        self.s.execute(
            update(StatusListRow).where(col(StatusListRow.id) == list_id).values(open=False)
        )

    def taken_among(self, list_id: str, idxs: Sequence[int]) -> set[int]:
        """Which of these indexes of the list a credential already has."""
        params = {"list_id": list_id, "idxs": list(idxs)}
        return {int(idx) for idx in run(self.s, _Hot.taken_among, params).scalars()}

    def entries(self, list_id: str) -> Sequence[tuple[int, int]]:
        """``(idx, status)`` of every credential in the list that is not valid."""
        query = select(CredentialRow.status_idx, CredentialRow.status).where(
            and_(col(CredentialRow.status_list_id) == list_id, col(CredentialRow.status) != 0)
        )
        return [(int(i), int(s)) for i, s in self.s.exec(query).all()]

    def bump(self, list_id: str) -> None:
        self.s.execute(
            update(StatusListRow)
            .where(col(StatusListRow.id) == list_id)
            .values(version=col(StatusListRow.version) + 1)
        )

    def forget_tokens(self) -> None:
        """Make every list re-sign at its next fetch (its signing certificate changed)."""
        self.s.execute(update(StatusListRow).values(token=None, token_version=-1))

    def store_token(self, list_id: str, *, token: str, version: int, kid: str, exp: int) -> None:
        self.s.execute(
            update(StatusListRow)
            .where(col(StatusListRow.id) == list_id)
            .values(token=token, token_version=version, token_kid=kid, token_exp=exp)
        )


# Copies of one offer are numbered by when they were issued, then by id: stable across calls.
_COPY_ORDER = (col(CredentialRow.issued_at), col(CredentialRow.id))


class Credentials(Repository):
    def add(self, row: CredentialRow) -> None:
        """Insert now (a clash on the unique status entry raises ``IntegrityError`` here)."""
        self.add_many([row])

    def add_many(self, rows: Sequence[CredentialRow]) -> None:
        """One statement for a batch's rows."""
        if rows:
            run(self.s, _Hot.credential_insert, [values(row) for row in rows])

    def get(self, credential_id: str) -> CredentialRow | None:
        return self.s.get(CredentialRow, credential_id)

    @staticmethod
    def _filters(subject_id: str | None, type_id: str | None) -> list[Any]:
        where = []
        if subject_id is not None:
            where.append(col(CredentialRow.subject_id) == subject_id)
        if type_id is not None:
            where.append(col(CredentialRow.type_id) == type_id)
        return where

    def page(
        self,
        *,
        offset: int,
        limit: int,
        subject_id: str | None = None,
        type_id: str | None = None,
    ) -> Sequence[CredentialRow]:
        query = select(CredentialRow).where(*self._filters(subject_id, type_id))
        query = query.order_by(col(CredentialRow.issued_at).desc(), col(CredentialRow.id))
        return self.s.exec(query.offset(offset).limit(limit)).all()

    def count(self, *, subject_id: str | None = None, type_id: str | None = None) -> int:
        query = select(func.count()).select_from(CredentialRow)
        return int(self.s.exec(query.where(*self._filters(subject_id, type_id))).one())

    def set_status(self, credential_id: str, *, to: int, allowed_from: Sequence[int]) -> bool:
        result = self.s.execute(
            update(CredentialRow)
            .where(
                and_(
                    col(CredentialRow.id) == credential_id,
                    col(CredentialRow.status).in_(list(allowed_from)),
                )
            )
            .values(status=to)
        )
        return rowcount(result) == 1

    def from_offer(self, offer_ref: str) -> Sequence[CredentialRow]:
        """Every credential issued from one offer (its batch copies), in copy order."""
        query = select(CredentialRow).where(col(CredentialRow.offer_ref) == offer_ref)
        return self.s.exec(query.order_by(*_COPY_ORDER)).all()

    def copies_of(self, offer_refs: Sequence[str]) -> Sequence[tuple[str, str, int]]:
        """``(offer_ref, credential id, status)`` of every credential issued from these offers,
        in copy order within each offer."""
        if not offer_refs:
            return []
        query = select(CredentialRow.offer_ref, CredentialRow.id, CredentialRow.status).where(
            col(CredentialRow.offer_ref).in_(sorted(set(offer_refs)))
        )
        rows = self.s.exec(query.order_by(col(CredentialRow.offer_ref), *_COPY_ORDER)).all()
        return [(str(ref), str(cid), int(status)) for ref, cid, status in rows]

    def by_notification(self, notification_id: str) -> Sequence[CredentialRow]:
        query = select(CredentialRow).where(CredentialRow.notification_id == notification_id)
        return self.s.exec(query).all()

    def notify(self, notification_id: str, *, event: str, now: int) -> None:
        self.s.execute(
            update(CredentialRow)
            .where(col(CredentialRow.notification_id) == notification_id)
            .values(notification_event=event, notified_at=now)
        )

    def latest_expiry_by_kid(self) -> dict[str, int]:
        query = select(CredentialRow.kid, func.max(CredentialRow.expires_at)).group_by(
            col(CredentialRow.kid)
        )
        return {str(kid): int(exp) for kid, exp in self.s.exec(query).all()}


# pg_advisory_xact_lock key for changes of the signing keys (any 64-bit number; "drukkeys").
_KEY_CHANGE_LOCK = 0x6472756B6B657973


class Keys(Repository):
    def lock_for_change(self) -> None:
        """Serialise changes of the active key across workers until this transaction ends: a
        rotation reads the active key and then writes, and two such transactions interleaved
        under READ COMMITTED each retire only what they saw and leave two active keys. On
        PostgreSQL a transaction-scoped advisory lock; SQLite has one writer at a time (and
        the issuer's write lock) already. The first statement of the transaction."""
        if self.s.get_bind().dialect.name == "postgresql":
            self.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _KEY_CHANGE_LOCK})

    def active(self) -> SigningKeyRow | None:
        """The active key's row, read-only (read on every credential: rotation at another
        worker is seen at once)."""
        return first_row(self.s, SigningKeyRow, _Hot.active_key, None)

    def all(self) -> Sequence[SigningKeyRow]:
        query = select(SigningKeyRow).order_by(col(SigningKeyRow.created_at))
        return self.s.exec(query).all()

    def add(self, row: SigningKeyRow) -> None:
        self.s.add(row)

    def retire_all_except(self, kid: str, *, now: int) -> list[str]:
        query = select(SigningKeyRow).where(
            and_(col(SigningKeyRow.retired_at).is_(None), col(SigningKeyRow.kid) != kid)
        )
        retired = []
        for row in self.s.exec(query).all():
            row.retired_at = now
            self.s.add(row)
            retired.append(row.kid)
        return retired


class Certificates(Repository):
    """Signing certificate chains by key id (:class:`SigningCertificateRow`)."""

    def get(self, kid: str) -> SigningCertificateRow | None:
        """Read-only; :meth:`put` changes a chain."""
        return first_row(self.s, SigningCertificateRow, _Hot.certificate, {"kid": kid})

    def all(self) -> Sequence[SigningCertificateRow]:
        return self.s.exec(select(SigningCertificateRow)).all()

    def put(self, kid: str, *, x5c: str, not_after: int, now: int) -> None:
        """Attach (or replace, for a renewed certificate of the same key) a key's chain."""
        row = self.s.get(SigningCertificateRow, kid)
        if row is None:
            row = SigningCertificateRow(kid=kid, x5c=x5c, not_after=not_after, added_at=now)
        else:
            row.x5c, row.not_after, row.added_at = x5c, not_after, now
        self.s.add(row)


class ApiKeys(Repository):
    def add(self, row: ApiKeyRow) -> None:
        self.s.add(row)

    def get(self, key_id: str) -> ApiKeyRow | None:
        return self.s.get(ApiKeyRow, key_id)

    def all(self) -> Sequence[ApiKeyRow]:
        return self.s.exec(select(ApiKeyRow).order_by(col(ApiKeyRow.created_at))).all()

    def revoke(self, key_id: str, *, now: int) -> bool:
        result = self.s.execute(
            update(ApiKeyRow)
            .where(and_(col(ApiKeyRow.key_id) == key_id, col(ApiKeyRow.revoked_at).is_(None)))
            .values(revoked_at=now)
        )
        return rowcount(result) == 1


class Audit(Repository):
    """Append and read only: there is deliberately no update or delete here."""

    def append(
        self, *, at: int, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> None:
        self.s.add(
            AuditRow(
                at=at,
                actor=actor,
                action=action,
                target=target[:200],
                detail=json.dumps(detail, sort_keys=True, ensure_ascii=False),
            )
        )

    def page(self, *, offset: int, limit: int, action: str | None = None) -> Sequence[AuditRow]:
        query = select(AuditRow)
        if action is not None:
            query = query.where(col(AuditRow.action) == action)
        query = query.order_by(col(AuditRow.id).desc()).offset(offset).limit(limit)
        return self.s.exec(query).all()

    def count(self, *, action: str | None = None) -> int:
        query = select(func.count()).select_from(AuditRow)
        if action is not None:
            query = query.where(col(AuditRow.action) == action)
        return int(self.s.exec(query).one())


class DeferredTransactions(Repository):
    """Deferred issuance (OpenID4VCI §9): each decision and the one fetch are conditional
    updates, so two operators (or two wallet retries) cannot both win."""

    def add(self, row: DeferredTransactionRow) -> None:
        self.s.add(row)

    def get(self, transaction_hash: str) -> DeferredTransactionRow | None:
        return self.s.get(DeferredTransactionRow, transaction_hash)

    def by_ref(self, ref: str) -> DeferredTransactionRow | None:
        query = select(DeferredTransactionRow).where(col(DeferredTransactionRow.ref) == ref)
        return self.s.exec(query).first()

    def page(
        self, *, status: str | None, offset: int, limit: int
    ) -> Sequence[DeferredTransactionRow]:
        query = select(DeferredTransactionRow)
        if status is not None:
            query = query.where(col(DeferredTransactionRow.status) == status)
        query = query.order_by(
            col(DeferredTransactionRow.created_at), col(DeferredTransactionRow.ref)
        )
        return self.s.exec(query.offset(offset).limit(limit)).all()

    def count(self, *, status: str | None) -> int:
        query = select(func.count()).select_from(DeferredTransactionRow)
        if status is not None:
            query = query.where(col(DeferredTransactionRow.status) == status)
        return int(self.s.exec(query).one())

    def decide(self, ref: str, *, status: str, now: int, by: str, reason: str | None) -> bool:
        """pending → approved or denied, unless expired or already decided."""
        result = self.s.execute(
            update(DeferredTransactionRow)
            .where(
                and_(
                    col(DeferredTransactionRow.ref) == ref,
                    col(DeferredTransactionRow.status) == "pending",
                    col(DeferredTransactionRow.expires_at) > now,
                )
            )
            .values(status=status, decided_at=now, decided_by=by, reason=reason)
        )
        return rowcount(result) == 1

    def mark_issued(self, transaction_hash: str, *, now: int) -> bool:
        """approved → issued: the one fetch that gets the credentials (§9.1: "MUST invalidate
        the transaction_id after the Credential ... has been obtained")."""
        result = self.s.execute(
            update(DeferredTransactionRow)
            .where(
                and_(
                    col(DeferredTransactionRow.transaction_hash) == transaction_hash,
                    col(DeferredTransactionRow.status) == "approved",
                    col(DeferredTransactionRow.expires_at) > now,
                )
            )
            .values(status="issued", issued_at=now)
        )
        return rowcount(result) == 1
