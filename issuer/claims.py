"""Building a credential's claims from a registry record and its type definition.

Derived claims (``age_over:N``) are computed here, at issuance, from the birth date and the
issuance date, so a verifier asking "over 18?" never needs the birth date itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from issuer.errors import RegistryError
from issuer.registry import Business, Person
from issuer.types import CredentialType

__all__ = ["age_on", "build_claims", "present_sd_paths"]


def age_on(birthdate: date, today: date) -> int:
    """Completed years; someone born on 29 February turns a year older on 1 March."""
    before_birthday = (today.month, today.day) < (birthdate.month, birthdate.day)
    return today.year - birthdate.year - int(before_birthday)


def _value(
    source: str,
    *,
    person: Person | None,
    business: Business | None,
    owner: Person | None,
    today: date,
) -> Any:
    if source.startswith("age_over:"):
        if person is None:
            raise RegistryError("an age claim needs a person record", code="record_mismatch")
        return age_on(person.birthdate, today) >= int(source.split(":", 1)[1])
    kind, _, field = source.partition(".")
    record = {"person": person, "business": business, "owner": owner}[kind]
    if record is None:
        raise RegistryError(f"this credential type needs a {kind} record", code="record_mismatch")
    value = getattr(record, field, None)
    if isinstance(value, date):
        return value.isoformat()  # SD-JWT VC / OIDC "full-date" YYYY-MM-DD
    return value


def build_claims(
    ctype: CredentialType,
    *,
    today: date,
    person: Person | None = None,
    business: Business | None = None,
    owner: Person | None = None,
) -> dict[str, Any]:
    """The claims of a ``ctype`` credential for the given record(s)."""
    claims: dict[str, Any] = {}
    for spec in ctype.claims:
        if spec.source is None:
            continue
        value = _value(spec.source, person=person, business=business, owner=owner, today=today)
        if value is None or value == "":
            if spec.mandatory:
                raise RegistryError(
                    f"the registry record has no {'/'.join(spec.path)}, which a {ctype.name} "
                    "requires; complete the record first",
                    code="record_incomplete",
                )
            continue
        node = claims
        for name in spec.path[:-1]:
            node = node.setdefault(name, {})
        node[spec.path[-1]] = value
    return claims


def present_sd_paths(ctype: CredentialType, claims: dict[str, Any]) -> list[tuple[str, ...]]:
    """The type's selectively disclosable paths that exist in ``claims`` (optional ones may not)."""
    out = []
    for path in ctype.sd_paths:
        node: Any = claims
        for name in path:
            if not isinstance(node, dict) or name not in node:
                break
            node = node[name]
        else:
            out.append(path)
    return out
