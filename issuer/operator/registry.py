"""The agency's registry of people and businesses as operators use it: pages, one record, search
by CID, licence number or name (a short list for the pages, or page by page for agency systems),
and adding or importing records (validated by :mod:`issuer.registry`, written and audited in one
transaction).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from issuer.errors import InvalidRequestError, NotFoundError, RegistryError
from issuer.operator.base import Actor, OperatorBase
from issuer.registry import (
    Business,
    Person,
    parse_businesses_csv,
    parse_people_csv,
    validate_business,
    validate_person,
)
from issuer.storage.models import BusinessRow
from issuer.storage.repos import Registry

__all__ = ["MAX_SEARCH_RESULTS", "RegistryOperations"]

MAX_SEARCH_RESULTS = 20


def _search_text(text: str) -> str:
    text = " ".join(text.split())
    if not 2 <= len(text) <= 100:
        raise InvalidRequestError(
            "type at least 2 letters of a name, a CID number or a licence number",
            code="bad_search",
        )
    return text


def _with_owners(registry: Registry, rows: Sequence[BusinessRow]) -> list[dict[str, Any]]:
    """Business records with their owner's name from the registry (None if not there)."""
    owners = {r.owner_cid: registry.person(r.owner_cid) for r in rows}
    return [
        {
            **json.loads(r.data),
            "owner_name": owner.full_name if (owner := owners.get(r.owner_cid)) else None,
        }
        for r in rows
    ]


class RegistryOperations(OperatorBase):
    """Reading (``registry:read``) and writing (``registry:write``) registry records."""

    def people(self, actor: Actor, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        actor.require("registry:read")
        with self.service.session() as s:
            registry = Registry(s)
            rows, total = registry.people(offset=offset, limit=limit), registry.count_people()
        self._audit_read(actor, "registry.list", "people", offset=offset, shown=len(rows))
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
        self._audit_read(actor, "registry.list", "businesses", offset=offset, shown=len(rows))
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
        self._audit_read(actor, "registry.read", cid[:20], found=row is not None)
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
        text = _search_text(text)
        limit = max(1, min(limit, MAX_SEARCH_RESULTS))
        with self.service.session() as s:
            registry = Registry(s)
            people = registry.search_people(text, limit=limit + 1)
            businesses = registry.search_businesses(text, limit=limit + 1)
            more = len(people) > limit or len(businesses) > limit
            people_found = [json.loads(r.data) for r in people[:limit]]
            businesses_found = _with_owners(registry, businesses[:limit])
        shown = len(people_found) + len(businesses_found)
        self._audit_read(actor, "registry.search", text, shown=shown)
        return {"people": people_found, "businesses": businesses_found, "more": more}

    def search_registry_page(
        self, actor: Actor, text: str, *, offset: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        """The same search, one page at a time like the other lists: the people who match
        (by name, then CID), then the businesses (by name, then licence number), each item
        with its ``kind``; ``total`` counts both."""
        actor.require("registry:read")
        text = _search_text(text)
        with self.service.session() as s:
            registry = Registry(s)
            people_total = registry.count_people_matching(text)
            total = people_total + registry.count_businesses_matching(text)
            people = registry.search_people(text, offset=offset, limit=limit)
            items = [{"kind": "person", **json.loads(r.data)} for r in people]
            if len(items) < limit:
                businesses = registry.search_businesses(
                    text, offset=max(0, offset - people_total), limit=limit - len(items)
                )
                items += [{"kind": "business", **b} for b in _with_owners(registry, businesses)]
        self._audit_read(actor, "registry.search", text, offset=offset, shown=len(items))
        return {"items": items, "offset": offset, "limit": limit, "total": total}

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
