"""What every issuer operation shares: its dependencies (settings, database, key store,
credential types, clock and randomness), one session per unit of work, the signing keys and
what is published about them (JWKS, did:web document, SD-JWT VC Type Metadata), and the registry
records a credential is made from.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from did.keys import ALGORITHMS, PrivateKey, PublicKey
from did.methods.web import create_did_web_document, did_web_from_url
from issuer.claims import build_claims
from issuer.errors import ConfigurationError, CredentialRequestDeniedError, NotFoundError
from issuer.oid4vci.proof import KidResolver
from issuer.registry import Business, Person
from issuer.settings import IssuerSettings
from issuer.signing import KeyStore, jwk_entry, published_keys
from issuer.storage.models import SigningKeyRow, create_schema
from issuer.storage.repos import Credentials, Keys, Registry
from issuer.types import CredentialType

__all__ = ["DAY", "Records", "ServiceBase", "system_clock"]

log = logging.getLogger(__name__)

DAY = 86400
_JWKS_CACHE = 30


def system_clock() -> int:
    return int(datetime.now(UTC).timestamp())


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


@dataclass
class ServiceBase:
    """The dependencies and shared steps of :class:`issuer.service.IssuerService`."""

    settings: IssuerSettings
    engine: Engine
    keys: KeyStore
    types: dict[str, CredentialType]
    clock: Callable[[], int] = system_clock
    random_bytes: Callable[[int], bytes] = secrets.token_bytes
    randbelow: Callable[[int], int] = secrets.randbelow
    resolve_kid: KidResolver | None = None
    proof_algorithms: tuple[str, ...] = ALGORITHMS
    _ready: bool = field(default=False, repr=False)
    _write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _jwks_cache: tuple[int, list[dict[str, Any]]] | None = field(default=None, repr=False)

    @property
    def issuer_url(self) -> str:
        return self.settings.public_url

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One unit of work. ``write=True`` on SQLite also takes a process-wide lock: SQLite has
        one writer at a time anyway, and queueing here avoids its busy-wait back-off (sleeps of
        up to 100 ms) when many requests write at once. PostgreSQL needs no such lock."""
        lock = self._write_lock if write and self.engine.dialect.name == "sqlite" else nullcontext()
        with lock, Session(self.engine, expire_on_commit=False) as session:
            yield session

    # --- start-up -----------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the schema, make sure a signing key exists, seed demo data when asked."""
        # Keys, the SQLite database and its journal hold secrets and personal data.
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.data_dir.chmod(0o700)
        create_schema(self.engine)
        now = self.clock()
        with self.session() as s:
            if Keys(s).active() is None:
                key = self.keys.create(self.settings.signing_alg)
                self._add_key(s, key, now)
                s.commit()
        if self.settings.seed_demo:
            from issuer.registry import demo_businesses, demo_people

            with self.session() as s:
                registry = Registry(s)
                if registry.count_people() == 0:
                    for person in demo_people():
                        registry.put_person(person.cid, person.full_name, _dump(person), now)
                    for business in demo_businesses():
                        registry.put_business(
                            business.licence_number,
                            business.owner_cid,
                            business.business_name,
                            _dump(business),
                            now,
                        )
                    s.commit()
                    log.info("seeded the registry with demo people and businesses")
        self._ready = True

    @staticmethod
    def _add_key(s: Session, key: PrivateKey, now: int) -> str:
        kid = key.public_key.thumbprint()
        Keys(s).add(
            SigningKeyRow(
                kid=kid,
                alg=key.alg,
                public_jwk=json.dumps(jwk_entry(key.public_key)),
                created_at=now,
            )
        )
        return kid

    def active_key(self, s: Session) -> tuple[str, PrivateKey]:
        row = Keys(s).active()
        if row is None:
            raise ConfigurationError("the issuer has no signing key", code="no_signing_key")
        return row.kid, self.keys.load(row.kid)

    # --- discovery ----------------------------------------------------------------------

    def jwks(self) -> list[dict[str, Any]]:
        """The published keys, recomputed at most every :data:`_JWKS_CACHE` seconds (the
        retired-key check scans credential expiries) and at once when the active key changed,
        also when another worker process rotated it."""
        now = self.clock()
        with self.session() as s:
            active = Keys(s).active()
            cached = self._jwks_cache
            if (
                cached is not None
                and cached[0] > now
                and active is not None
                and cached[1][:1] == [json.loads(active.public_jwk)]
            ):
                return cached[1]
            rows = Keys(s).all()
            latest = Credentials(s).latest_expiry_by_kid()
        kids = set(
            published_keys(
                [(r.kid, r.public_jwk, r.retired_at) for r in rows],
                latest,
                now=now,
                token_lifetime=self.settings.status_list_lifetime,
            )
        )
        # Newest first: a verifier that tries keys in order hits the active one first.
        keys = [json.loads(r.public_jwk) for r in reversed(rows) if r.kid in kids]
        self._jwks_cache = (now + _JWKS_CACHE, keys)
        return keys

    def forget_jwks(self) -> None:
        self._jwks_cache = None

    def did_document(self) -> dict[str, object]:
        did = did_web_from_url(self.issuer_url)
        keys = [(jwk["kid"], PublicKey.from_jwk(jwk)) for jwk in self.jwks()]
        return create_did_web_document(did, keys)

    def type_metadata(self, type_id: str) -> dict[str, Any]:
        ctype = self.types.get(type_id)
        if ctype is None:
            raise NotFoundError(f"there is no credential type {type_id!r}", code="unknown_type")
        return ctype.type_metadata(self.issuer_url)

    # --- registry records -----------------------------------------------------------------

    def records_for(self, s: Session, subject_kind: str, subject_id: str) -> Records:
        registry = Registry(s)
        if subject_kind == "person":
            row = registry.person(subject_id)
            if row is None:
                raise NotFoundError(
                    f"no person with CID {subject_id} is in the registry", code="unknown_person"
                )
            return Records(person=Person.model_validate_json(row.data))
        business_row = registry.business(subject_id)
        if business_row is None:
            raise NotFoundError(
                f"no business with licence {subject_id} is in the registry",
                code="unknown_business",
            )
        business = Business.model_validate_json(business_row.data)
        owner_row = registry.person(business.owner_cid)
        if owner_row is None:
            raise NotFoundError(
                f"the owner {business.owner_cid} of {subject_id} is not in the registry",
                code="unknown_person",
            )
        return Records(business=business, owner=Person.model_validate_json(owner_row.data))

    def expiry_for(self, ctype: CredentialType, claims: dict[str, Any], now: int) -> int:
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


def _dump(record: Person | Business) -> str:
    return record.model_dump_json()
