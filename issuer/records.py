"""The registry records one credential is made from, and how long that credential may live.

Both the credential endpoint and the operator's offers use these: an offer is refused at the
counter when its record could not make a credential, rather than on the citizen's phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from issuer.claims import build_claims
from issuer.context import DAY
from issuer.errors import CredentialRequestDeniedError, NotFoundError
from issuer.registry import Business, Person
from issuer.storage.repos import Registry
from issuer.types import CredentialType

__all__ = ["Records", "expiry_for", "records_for"]


@dataclass(frozen=True, slots=True)
class Records:
    """The registry records one credential is made from."""

    person: Person | None = None
    business: Business | None = None
    owner: Person | None = None

    def claims(self, ctype: CredentialType, *, now: int) -> dict[str, Any]:
        """The claims of a credential of ``ctype`` made from these records at ``now``."""
        return build_claims(
            ctype,
            today=datetime.fromtimestamp(now, UTC).date(),
            person=self.person,
            business=self.business,
            owner=self.owner,
        )


def records_for(s: Session, subject_kind: str, subject_id: str) -> Records:
    """The records of a person (by CID) or of a business and its owner (by licence number)."""
    registry = Registry(s)
    if subject_kind == "person":
        person = registry.person(subject_id)
        if person is None:
            raise NotFoundError(
                f"no person with CID {subject_id} is in the registry", code="unknown_person"
            )
        return Records(person=person)
    business = registry.business(subject_id)
    if business is None:
        raise NotFoundError(
            f"no business with licence {subject_id} is in the registry", code="unknown_business"
        )
    owner = registry.person(business.owner_cid)
    if owner is None:
        raise NotFoundError(
            f"the owner {business.owner_cid} of {subject_id} is not in the registry",
            code="unknown_person",
        )
    return Records(business=business, owner=owner)


def expiry_for(ctype: CredentialType, claims: dict[str, Any], now: int) -> int:
    """When a credential issued ``now`` expires, rounded down to a UTC day boundary."""
    expires_at = now + ctype.validity_days * DAY
    valid_until = claims.get("valid_until")
    if isinstance(valid_until, str):
        # A licence credential must not outlive the licence it describes.
        end = datetime.combine(date.fromisoformat(valid_until), datetime.max.time(), UTC)
        expires_at = min(expires_at, int(end.timestamp()))
    expires_at -= expires_at % DAY
    if expires_at <= now:
        raise CredentialRequestDeniedError(
            "the registry record has already expired; renew it before issuing",
            code="record_expired",
        )
    return expires_at
