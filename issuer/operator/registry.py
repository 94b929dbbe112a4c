"""The agency's registry of people and businesses as operators use it: pages, one record, search
by CID, licence number or name (a short list for the pages, or page by page for agency systems),
and adding or importing records (validated by :mod:`issuer.registry`, written and audited in one
transaction). Every read of personal data is audited before the data is handed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from issuer.context import IssuerContext
from issuer.errors import InvalidRequestError, NotFoundError, RegistryError
from issuer.operator.actors import Actor
from issuer.operator.audit import AuditTrail
from issuer.operator.results import OwnedBusiness, Page, RegistryChange, RegistryMatches, SearchHit
from issuer.registry import (
    Business,
    Person,
    parse_businesses_csv,
    parse_people_csv,
    validate_business,
    validate_person,
)
from issuer.storage.repos import Registry

__all__ = ["MAX_SEARCH_RESULTS", "RegistryAccess"]

MAX_SEARCH_RESULTS = 20


def _search_text(text: str) -> str:
    text = " ".join(text.split())
    if not 2 <= len(text) <= 100:
        raise InvalidRequestError(
            "type at least 2 letters of a name, a CID number or a licence number",
            code="bad_search",
        )
    return text


def _with_owners(registry: Registry, businesses: Sequence[Business]) -> list[OwnedBusiness]:
    """Business records with their owner's name from the registry (None if not there)."""
    names = registry.owner_names(businesses)
    return [OwnedBusiness(**b.model_dump(), owner_name=names.get(b.owner_cid)) for b in businesses]


class RegistryAccess:
    """Reading (``registry:read``) and writing (``registry:write``) registry records."""

    def __init__(self, context: IssuerContext, *, audit: AuditTrail) -> None:
        self.context = context
        self.audit = audit

    def people(self, actor: Actor, *, offset: int = 0, limit: int = 50) -> Page[Person]:
        actor.require("registry:read")
        with self.context.session() as s:
            registry = Registry(s)
            found, total = registry.people(offset=offset, limit=limit), registry.count_people()
        self.audit.record_read(actor, "registry.list", "people", offset=offset, shown=len(found))
        return Page(tuple(found), offset, limit, total)

    def businesses(self, actor: Actor, *, offset: int = 0, limit: int = 50) -> Page[Business]:
        actor.require("registry:read")
        with self.context.session() as s:
            registry = Registry(s)
            found = registry.businesses(offset=offset, limit=limit)
            total = registry.count_businesses()
        self.audit.record_read(
            actor, "registry.list", "businesses", offset=offset, shown=len(found)
        )
        return Page(tuple(found), offset, limit, total)

    def person(self, actor: Actor, cid: str) -> Person:
        actor.require("registry:read")
        with self.context.session() as s:
            person = Registry(s).person(cid)
        self.audit.record_read(actor, "registry.read", cid[:20], found=person is not None)
        if person is None:
            raise NotFoundError(
                f"no person with CID {cid} is in the registry", code="unknown_person"
            )
        return person

    def search(
        self, actor: Actor, text: str, *, limit: int = MAX_SEARCH_RESULTS
    ) -> RegistryMatches:
        """People and businesses for a CID (or its first digits), a licence number (or its
        start) or part of a name. ``more`` says the list was cut at ``limit``."""
        actor.require("registry:read")
        text = _search_text(text)
        limit = max(1, min(limit, MAX_SEARCH_RESULTS))
        with self.context.session() as s:
            registry = Registry(s)
            people = registry.search_people(text, limit=limit + 1)
            businesses = registry.search_businesses(text, limit=limit + 1)
            more = len(people) > limit or len(businesses) > limit
            found = RegistryMatches(
                tuple(people[:limit]), tuple(_with_owners(registry, businesses[:limit])), more
            )
        shown = len(found.people) + len(found.businesses)
        self.audit.record_read(actor, "registry.search", text, shown=shown)
        return found

    def search_page(
        self, actor: Actor, text: str, *, offset: int = 0, limit: int = 50
    ) -> Page[SearchHit]:
        """The same search, one page at a time like the other lists: the people who match
        (by name, then CID), then the businesses (by name, then licence number); ``total``
        counts both."""
        actor.require("registry:read")
        text = _search_text(text)
        with self.context.session() as s:
            registry = Registry(s)
            people_total = registry.count_people_matching(text)
            total = people_total + registry.count_businesses_matching(text)
            people = registry.search_people(text, offset=offset, limit=limit)
            hits = [SearchHit(person) for person in people]
            if len(hits) < limit:
                businesses = registry.search_businesses(
                    text, offset=max(0, offset - people_total), limit=limit - len(hits)
                )
                hits += [SearchHit(b) for b in _with_owners(registry, businesses)]
        self.audit.record_read(actor, "registry.search", text, offset=offset, shown=len(hits))
        return Page(tuple(hits), offset, limit, total)

    def put_people(self, actor: Actor, people: Iterable[Person], *, source: str) -> RegistryChange:
        actor.require("registry:write")
        created = updated = 0
        now = self.context.clock()
        with self.context.session() as s:
            registry = Registry(s)
            for person in people:
                if registry.put_person(person, now=now):
                    created += 1
                else:
                    updated += 1
            self.audit.record(
                s, actor, "registry.people.put", source, created=created, updated=updated
            )
            s.commit()
        return RegistryChange(created, updated)

    def put_businesses(
        self, actor: Actor, businesses: Iterable[Business], *, source: str
    ) -> RegistryChange:
        actor.require("registry:write")
        created = updated = 0
        now = self.context.clock()
        with self.context.session() as s:
            registry = Registry(s)
            for business in businesses:
                if not registry.has_person(business.owner_cid):
                    raise RegistryError(
                        f"licence {business.licence_number}: the owner {business.owner_cid} is "
                        "not in the registry; add the person first",
                        code="unknown_owner",
                    )
                if registry.put_business(business, now=now):
                    created += 1
                else:
                    updated += 1
            self.audit.record(
                s, actor, "registry.businesses.put", source, created=created, updated=updated
            )
            s.commit()
        return RegistryChange(created, updated)

    def add_person(self, actor: Actor, data: Any) -> RegistryChange:
        actor.require("registry:write")
        person = validate_person(data)
        return self.put_people(actor, [person], source=person.cid)

    def add_business(self, actor: Actor, data: Any) -> RegistryChange:
        actor.require("registry:write")
        business = validate_business(data)
        return self.put_businesses(actor, [business], source=business.licence_number)

    def import_csv(self, actor: Actor, text: str, *, kind: str, source: str) -> RegistryChange:
        actor.require("registry:write")
        if kind == "people":
            return self.put_people(actor, parse_people_csv(text), source=source)
        if kind == "businesses":
            return self.put_businesses(actor, parse_businesses_csv(text), source=source)
        raise InvalidRequestError("kind must be people or businesses")
