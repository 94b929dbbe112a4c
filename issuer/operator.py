"""Operator operations for agency staff and agency systems: offers, credential status, keys,
the registry, API keys and the audit log.

Every operation checks the actor's role, runs as one unit of work and appends an audit entry
(who, when, what) in the same transaction, so an action and its record commit together or not
at all. Offers return their secrets (offer link, tx_code) exactly once, at creation; only hashes
are stored.
"""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session

from did.keys import ALGORITHMS
from drukid.common.apikeys import NewAPIKey, create_api_key, parse_api_key, verify_secret
from issuer.claims import build_claims
from issuer.errors import (
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    RegistryError,
    UnauthorizedError,
)
from issuer.oid4vci.offer import (
    generate_tx_code,
    hash_tx_code,
    lookup_hash,
    new_secret,
    offer_uri,
    offer_url,
    pre_authorized_code_for,
)
from issuer.registry import (
    Business,
    Person,
    parse_businesses_csv,
    parse_people_csv,
    validate_business,
    validate_person,
)
from issuer.service import IssuerService, Records
from issuer.status import STATUS_NAMES, explain_refused, transition
from issuer.storage.models import ApiKeyRow, CredentialRow, OfferRow
from issuer.storage.repos import ApiKeys, Audit, Credentials, Keys, Offers, Registry, StatusLists

__all__ = [
    "MAX_BULK_OFFERS",
    "MAX_SEARCH_RESULTS",
    "PERMISSIONS",
    "ROLES",
    "Actor",
    "NewOffer",
    "OfferItem",
    "Operator",
    "local_actor",
]

log = logging.getLogger(__name__)

Role = Literal["issue", "revoke", "admin"]
ROLES: tuple[Role, ...] = ("issue", "revoke", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "issue": frozenset({"offers:create", "registry:read", "credentials:read"}),
    "revoke": frozenset({"credentials:read", "credentials:status"}),
    "admin": frozenset(
        {
            "offers:create",
            "registry:read",
            "registry:write",
            "credentials:read",
            "credentials:status",
            "keys:manage",
            "apikeys:manage",
            "audit:read",
        }
    ),
}
MAX_BULK_OFFERS = 1000
MAX_SEARCH_RESULTS = 20


@dataclass(frozen=True, slots=True)
class Actor:
    id: str  # "key:<key id>" or "local:<os user>"
    role: Role
    label: str = field(default="", compare=False)  # the API key's label, for screens only

    def require(self, permission: str) -> None:
        if permission not in PERMISSIONS[self.role]:
            raise ForbiddenError(
                f"an API key with role {self.role!r} may not do this ({permission}); ask an "
                "administrator for a key with the right role",
                code="role_forbidden",
            )


def local_actor() -> Actor:
    """Whoever runs the CLI on the issuer's own data directory has full control of it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return Actor(f"local:{user}"[:64], "admin")


@dataclass(frozen=True, slots=True)
class OfferItem:
    type_id: str
    cid: str | None = None
    licence_number: str | None = None
    tx_code: bool = False


@dataclass(frozen=True, slots=True)
class NewOffer:
    ref: str
    type_id: str
    subject_id: str
    offer_uri: str
    credential_offer_uri: str
    tx_code: str | None
    expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "offer_ref": self.ref,
            "credential_configuration_id": self.type_id,
            "subject": self.subject_id,
            "offer_uri": self.offer_uri,
            "credential_offer_uri": self.credential_offer_uri,
            "tx_code": self.tx_code,
            "expires_at": self.expires_at,
        }

    def __repr__(self) -> str:  # the link and PIN are bearer secrets
        return f"NewOffer(ref={self.ref!r}, type_id={self.type_id!r})"


def _iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _credential_json(row: CredentialRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "credential_configuration_id": row.type_id,
        "subject": row.subject_id,
        "offer_ref": row.offer_ref,
        "status": STATUS_NAMES.get(row.status, str(row.status)),
        "status_list": row.status_list_id,
        "issued_at": _iso(row.issued_at),
        "expires_at": _iso(row.expires_at),
        "signing_key": row.kid,
        "holder_key_thumbprint": row.holder_thumbprint,
        "wallet_event": row.notification_event,
    }


class Operator:
    """Operator use cases on top of an :class:`IssuerService`."""

    def __init__(self, service: IssuerService) -> None:
        self.service = service

    def _audit(self, s: Session, actor: Actor, action: str, target: str, **detail: Any) -> None:
        Audit(s).append(
            at=self.service.clock(), actor=actor.id, action=action, target=target, detail=detail
        )

    # --- authentication ---------------------------------------------------------------

    def authenticate(self, token: str | None) -> Actor:
        if not token:
            raise UnauthorizedError(
                "this endpoint needs an operator API key: 'Authorization: Bearer drk_...'",
                code="missing_api_key",
            )
        parsed = parse_api_key(token)
        if parsed is None:
            raise UnauthorizedError("the API key is malformed", code="invalid_api_key")
        key_id, secret = parsed
        with self.service.session() as s:
            row = ApiKeys(s).get(key_id)
        if row is None or not verify_secret(secret, row.secret_hash):
            raise UnauthorizedError("the API key is not valid", code="invalid_api_key")
        return self._key_actor(row)

    def actor_for_key(self, key_id: str) -> Actor:
        """The actor of an API key that already signed in (a browser session keeps the key id,
        never the key): looked up again on every request, so revoking the key or changing its
        role takes effect at once."""
        with self.service.session() as s:
            row = ApiKeys(s).get(key_id)
        if row is None:
            raise UnauthorizedError("the API key is not valid", code="invalid_api_key")
        return self._key_actor(row)

    @staticmethod
    def _key_actor(row: ApiKeyRow) -> Actor:
        if row.revoked_at is not None:
            raise UnauthorizedError("the API key was revoked", code="api_key_revoked")
        role = next((r for r in ROLES if r == row.role), None)
        if role is None:
            raise UnauthorizedError("the API key has an unknown role", code="invalid_api_key")
        return Actor(f"key:{row.key_id}", role, row.label)

    # --- API keys ------------------------------------------------------------------------

    def create_api_key(self, actor: Actor, *, role: str, label: str = "") -> NewAPIKey:
        actor.require("apikeys:manage")
        if role not in ROLES:
            raise InvalidRequestError(f"role must be one of {', '.join(ROLES)}", code="bad_role")
        new = create_api_key()
        with self.service.session() as s:
            ApiKeys(s).add(
                ApiKeyRow(
                    key_id=new.key_id,
                    secret_hash=new.secret_hash,
                    role=role,
                    label=label[:200],
                    created_at=self.service.clock(),
                )
            )
            self._audit(s, actor, "apikey.create", new.key_id, role=role, label=label[:200])
            s.commit()
        log.info("API key %s created with role %s", new.key_id, role)
        return new

    def list_api_keys(self, actor: Actor) -> list[dict[str, Any]]:
        actor.require("apikeys:manage")
        with self.service.session() as s:
            rows = ApiKeys(s).all()
        return [
            {
                "key_id": r.key_id,
                "role": r.role,
                "label": r.label,
                "created_at": _iso(r.created_at),
                "revoked_at": _iso(r.revoked_at),
            }
            for r in rows
        ]

    def revoke_api_key(self, actor: Actor, key_id: str) -> None:
        actor.require("apikeys:manage")
        with self.service.session() as s:
            if not ApiKeys(s).revoke(key_id, now=self.service.clock()):
                raise NotFoundError(f"no active API key {key_id!r}", code="unknown_api_key")
            self._audit(s, actor, "apikey.revoke", key_id)
            s.commit()

    # --- offers --------------------------------------------------------------------------

    def _subject(self, s: Session, item: OfferItem) -> tuple[str, str, Records]:
        ctype = self.service.types.get(item.type_id)
        if ctype is None:
            known = ", ".join(sorted(self.service.types))
            raise InvalidRequestError(
                f"unknown credential type {item.type_id!r}; use one of {known}", code="unknown_type"
            )
        if ctype.subject == "person":
            if not item.cid:
                raise InvalidRequestError(f"a {ctype.name} offer needs a person's CID number")
            return "person", item.cid, self.service.records_for(s, "person", item.cid)
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
        records = self.service.records_for(s, "business", licence.upper())
        if item.cid and records.business and records.business.owner_cid != item.cid:
            raise RegistryError(
                f"licence {licence} belongs to {records.business.owner_cid}, not {item.cid}",
                code="record_mismatch",
            )
        return "business", licence.upper(), records

    def _new_offer(self, s: Session, actor: Actor, item: OfferItem) -> NewOffer:
        svc = self.service
        now = svc.clock()
        kind, subject_id, records = self._subject(s, item)
        ctype = svc.types[item.type_id]
        # Fail at the counter, not on the citizen's phone: the record must make a credential.
        claims = build_claims(
            ctype,
            today=datetime.fromtimestamp(now, UTC).date(),
            person=records.person,
            business=records.business,
            owner=records.owner,
        )
        svc.expiry_for(ctype, claims, now)
        offer_id = new_secret(svc.random_bytes)
        ref = "off_" + svc.random_bytes(8).hex()
        tx_code = (
            generate_tx_code(svc.settings.tx_code_length, svc.randbelow) if item.tx_code else None
        )
        expires_at = now + svc.settings.offer_lifetime
        Offers(s).add(
            OfferRow(
                ref=ref,
                id_hash=lookup_hash(offer_id),
                code_hash=lookup_hash(pre_authorized_code_for(offer_id)),
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
        self._audit(
            s,
            actor,
            "offer.create",
            ref,
            type=ctype.id,
            subject=subject_id,
            tx_code=tx_code is not None,
        )
        location = offer_url(svc.issuer_url, offer_id)
        return NewOffer(
            ref, ctype.id, subject_id, offer_uri(location), location, tx_code, expires_at
        )

    def create_offer(self, actor: Actor, item: OfferItem) -> NewOffer:
        actor.require("offers:create")
        with self.service.session(write=True) as s:
            offer = self._new_offer(s, actor, item)
            s.commit()
        log.info("offer %s created for %s (%s)", offer.ref, offer.subject_id, offer.type_id)
        return offer

    def create_offers(self, actor: Actor, items: Sequence[OfferItem]) -> list[NewOffer]:
        """Bulk offers in one transaction: all are created, or none (the error names the row)."""
        actor.require("offers:create")
        if len(items) > MAX_BULK_OFFERS:
            raise InvalidRequestError(
                f"at most {MAX_BULK_OFFERS} offers per request; split the list", code="too_many"
            )
        created = []
        with self.service.session(write=True) as s:
            for number, item in enumerate(items, start=1):
                try:
                    created.append(self._new_offer(s, actor, item))
                except (InvalidRequestError, RegistryError, NotFoundError) as exc:
                    exc.message = f"offer {number}: {exc.message}"
                    raise
            s.commit()
        log.info("%d offers created in bulk", len(created))
        return created

    # --- credentials ----------------------------------------------------------------------

    def list_credentials(
        self,
        actor: Actor,
        *,
        offset: int = 0,
        limit: int = 50,
        subject: str | None = None,
        type_id: str | None = None,
    ) -> dict[str, Any]:
        actor.require("credentials:read")
        with self.service.session() as s:
            repo = Credentials(s)
            rows = repo.page(offset=offset, limit=limit, subject_id=subject, type_id=type_id)
            total = repo.count(subject_id=subject, type_id=type_id)
        return {
            "items": [_credential_json(r) for r in rows],
            "offset": offset,
            "limit": limit,
            "total": total,
        }

    def get_credential(self, actor: Actor, credential_id: str) -> dict[str, Any]:
        actor.require("credentials:read")
        with self.service.session() as s:
            row = Credentials(s).get(credential_id)
        if row is None:
            raise NotFoundError(f"no credential {credential_id!r}", code="unknown_credential")
        return _credential_json(row)

    def change_status(
        self, actor: Actor, credential_id: str, action: str, *, reason: str | None = None
    ) -> dict[str, Any]:
        """Revoke, suspend or reinstate; the status list token is re-signed on its next fetch.
        A ``reason`` (the operator's own words) is kept in the audit entry."""
        actor.require("credentials:status")
        step = transition(action)
        extra = {"reason": reason[:200]} if reason else {}
        with self.service.session(write=True) as s:
            repo = Credentials(s)
            row = repo.get(credential_id)
            if row is None:
                raise NotFoundError(f"no credential {credential_id!r}", code="unknown_credential")
            if not repo.set_status(credential_id, to=step.to, allowed_from=step.allowed_from):
                s.rollback()
                current = Credentials(s).get(credential_id)
                raise explain_refused(action, current.status if current else row.status)
            StatusLists(s).bump(row.status_list_id)
            self._audit(
                s,
                actor,
                f"credential.{action}",
                credential_id,
                subject=row.subject_id,
                type=row.type_id,
                **extra,
            )
            s.commit()
            updated = Credentials(s).get(credential_id)
        log.info("credential %s: %s by %s", credential_id, action, actor.id)
        assert updated is not None
        return _credential_json(updated)

    # --- keys --------------------------------------------------------------------------

    def rotate_key(self, actor: Actor, *, alg: str | None = None) -> dict[str, Any]:
        actor.require("keys:manage")
        svc = self.service
        alg = alg or svc.settings.signing_alg
        if alg not in ALGORITHMS:
            raise InvalidRequestError(f"alg must be one of {', '.join(ALGORITHMS)}", code="bad_alg")
        key = svc.keys.create(alg)
        now = svc.clock()
        with svc.session() as s:
            kid = svc._add_key(s, key, now)
            s.flush()
            retired = Keys(s).retire_all_except(kid, now=now)
            self._audit(s, actor, "key.rotate", kid, alg=alg, retired=retired)
            s.commit()
        svc.forget_jwks()
        for old in retired:
            svc.keys.destroy(old)
        log.info("signing key rotated to %s (%s); retired %s", kid, alg, ", ".join(retired))
        return {"kid": kid, "alg": alg, "retired": retired}

    def list_keys(self, actor: Actor) -> list[dict[str, Any]]:
        actor.require("keys:manage")
        published = {jwk["kid"] for jwk in self.service.jwks()}
        with self.service.session() as s:
            rows = Keys(s).all()
        return [
            {
                "kid": r.kid,
                "alg": r.alg,
                "created_at": _iso(r.created_at),
                "retired_at": _iso(r.retired_at),
                "active": r.retired_at is None,
                "published": r.kid in published,
            }
            for r in rows
        ]

    # --- audit -------------------------------------------------------------------------

    def audit(
        self, actor: Actor, *, offset: int = 0, limit: int = 50, action: str | None = None
    ) -> dict[str, Any]:
        actor.require("audit:read")
        with self.service.session() as s:
            rows = Audit(s).page(offset=offset, limit=limit, action=action)
        return {
            "items": [
                {
                    "id": r.id,
                    "at": _iso(r.at),
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "detail": json.loads(r.detail),
                }
                for r in rows
            ],
            "offset": offset,
            "limit": limit,
        }

    # --- registry ------------------------------------------------------------------------

    def people(self, actor: Actor, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        actor.require("registry:read")
        with self.service.session() as s:
            registry = Registry(s)
            rows, total = registry.people(offset=offset, limit=limit), registry.count_people()
        return {
            "items": [json.loads(r.data) for r in rows],
            "offset": offset,
            "limit": limit,
            "total": total,
        }

    def businesses(self, actor: Actor, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        actor.require("registry:read")
        with self.service.session() as s:
            registry = Registry(s)
            rows = registry.businesses(offset=offset, limit=limit)
            total = registry.count_businesses()
        return {
            "items": [json.loads(r.data) for r in rows],
            "offset": offset,
            "limit": limit,
            "total": total,
        }

    def person(self, actor: Actor, cid: str) -> dict[str, Any]:
        actor.require("registry:read")
        with self.service.session() as s:
            row = Registry(s).person(cid)
        if row is None:
            raise NotFoundError(
                f"no person with CID {cid} is in the registry", code="unknown_person"
            )
        return dict(json.loads(row.data))

    def search_registry(
        self, actor: Actor, text: str, *, limit: int = MAX_SEARCH_RESULTS
    ) -> dict[str, Any]:
        """People and businesses for a CID (or its first digits), a licence number (or its
        start) or part of a name. ``more`` says the list was cut at ``limit``."""
        actor.require("registry:read")
        text = " ".join(text.split())
        if not 2 <= len(text) <= 100:
            raise InvalidRequestError(
                "type at least 2 letters of a name, a CID number or a licence number",
                code="bad_search",
            )
        limit = max(1, min(limit, MAX_SEARCH_RESULTS))
        with self.service.session() as s:
            registry = Registry(s)
            people = registry.search_people(text, limit=limit + 1)
            businesses = registry.search_businesses(text, limit=limit + 1)
            owners = {b.owner_cid: registry.person(b.owner_cid) for b in businesses[:limit]}
        return {
            "people": [json.loads(r.data) for r in people[:limit]],
            "businesses": [
                {
                    **json.loads(r.data),
                    "owner_name": owner.full_name if (owner := owners.get(r.owner_cid)) else None,
                }
                for r in businesses[:limit]
            ],
            "more": len(people) > limit or len(businesses) > limit,
        }

    def put_people(self, actor: Actor, people: Iterable[Person], *, source: str) -> dict[str, int]:
        actor.require("registry:write")
        created = updated = 0
        now = self.service.clock()
        with self.service.session() as s:
            registry = Registry(s)
            for person in people:
                if registry.put_person(person.cid, person.full_name, person.model_dump_json(), now):
                    created += 1
                else:
                    updated += 1
            self._audit(s, actor, "registry.people.put", source, created=created, updated=updated)
            s.commit()
        return {"created": created, "updated": updated}

    def put_businesses(
        self, actor: Actor, businesses: Iterable[Business], *, source: str
    ) -> dict[str, int]:
        actor.require("registry:write")
        created = updated = 0
        now = self.service.clock()
        with self.service.session() as s:
            registry = Registry(s)
            for business in businesses:
                if registry.person(business.owner_cid) is None:
                    raise RegistryError(
                        f"licence {business.licence_number}: the owner {business.owner_cid} is "
                        "not in the registry; add the person first",
                        code="unknown_owner",
                    )
                if registry.put_business(
                    business.licence_number,
                    business.owner_cid,
                    business.business_name,
                    business.model_dump_json(),
                    now,
                ):
                    created += 1
                else:
                    updated += 1
            self._audit(
                s, actor, "registry.businesses.put", source, created=created, updated=updated
            )
            s.commit()
        return {"created": created, "updated": updated}

    def add_person(self, actor: Actor, data: Any) -> dict[str, int]:
        actor.require("registry:write")
        person = validate_person(data)
        return self.put_people(actor, [person], source=person.cid)

    def add_business(self, actor: Actor, data: Any) -> dict[str, int]:
        actor.require("registry:write")
        business = validate_business(data)
        return self.put_businesses(actor, [business], source=business.licence_number)

    def import_csv(self, actor: Actor, text: str, *, kind: str, source: str) -> dict[str, int]:
        actor.require("registry:write")
        if kind == "people":
            return self.put_people(actor, parse_people_csv(text), source=source)
        if kind == "businesses":
            return self.put_businesses(actor, parse_businesses_csv(text), source=source)
        raise InvalidRequestError("kind must be people or businesses")
