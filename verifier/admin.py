"""Relying parties and trust, the administrative half of the verifier service: API keys
(stored as SHA-256 hashes, each with its own webhook secret) and the trust registry kept in the
database (merged with the trust file and bundle; cached briefly so a response does not re-read
it). :class:`~verifier.service.VerifierService` builds on it."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.encoding import dumps_compact, parse_json
from servicekit import apikeys
from verifier.errors import ServiceError
from verifier.keys import IssuerKeys
from verifier.onboarding import discover_issuer
from verifier.storage.models import ApiKeyRecord
from verifier.storage.repos import ApiKeys, TrustedIssuers
from verifier.trust import TrustedIssuer, TrustRegistry

__all__ = ["TRUST_CACHE_SECONDS", "Administration"]

log = logging.getLogger(__name__)

TRUST_CACHE_SECONDS = 5.0


class Administration:
    """API keys and database trust entries over one engine."""

    def __init__(
        self,
        *,
        engine: Engine,
        keys: IssuerKeys,
        file_trust: Callable[[int], TrustRegistry],
        clock: Callable[[], int],
        token: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.file_trust = file_trust
        self.clock = clock
        self._token = token
        self._trust_lock = threading.Lock()
        self._trust_cache: tuple[float, TrustRegistry, TrustRegistry] | None = None

    # API keys -----------------------------------------------------------------------------
    def create_api_key(self, name: str, *, admin: bool = False) -> tuple[str, str]:
        """A new relying-party key: (bearer token, webhook secret), each shown once."""
        new = apikeys.create_api_key()
        webhook_secret = "whsec_" + self._token(32)
        with Session(self.engine, expire_on_commit=False) as session:
            ApiKeys(session).add(
                ApiKeyRecord(
                    key_id=new.key_id,
                    name=name[:200],
                    secret_hash=new.secret_hash,
                    webhook_secret=webhook_secret,
                    admin=admin,
                    created_at=self.clock(),
                ),
            )
            session.commit()
        log.info("api key created: key_id=%s admin=%s", new.key_id, admin)
        return new.token, webhook_secret

    def authenticate(self, token: str | None, *, admin: bool = False) -> str:
        """The key id of a valid bearer token (and an admin one, if asked)."""
        parsed = apikeys.parse_api_key(token) if token else None
        if parsed is not None:
            with Session(self.engine, expire_on_commit=False) as session:
                record = ApiKeys(session).get(parsed[0])
            if (
                record is not None
                and not record.revoked
                and apikeys.verify_secret(parsed[1], record.secret_hash)
            ):
                if admin and not record.admin:
                    raise ServiceError(
                        "this API key may not administer trust", code="forbidden", status=403
                    )
                return record.key_id
        raise ServiceError(
            "a valid API key is required (Authorization: Bearer drk_...)",
            code="unauthorized",
            status=401,
        )

    def list_api_keys(self) -> list[dict[str, Any]]:
        with Session(self.engine, expire_on_commit=False) as session:
            rows = ApiKeys(session).all()
        return [
            {
                "key_id": r.key_id,
                "name": r.name,
                "admin": r.admin,
                "revoked": r.revoked,
                "created_at": r.created_at,
            }
            for r in rows
        ]

    def revoke_api_key(self, key_id: str) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            if not ApiKeys(session).revoke(key_id):
                raise ServiceError(f"no API key {key_id!r}", code="not_found", status=404)
            session.commit()
        log.info("api key revoked: key_id=%s", key_id)

    def webhook_secret(self, key_id: str) -> str | None:
        with Session(self.engine, expire_on_commit=False) as session:
            record = ApiKeys(session).get(key_id)
        return None if record is None or record.revoked else record.webhook_secret

    # trust --------------------------------------------------------------------------------
    def trust_registry(self) -> TrustRegistry:
        """Database entries first (the operator's own decisions), then file and bundle.

        The database part is cached for :data:`TRUST_CACHE_SECONDS` (a response should not
        re-read and re-parse the registry); this service's own changes apply at once, changes
        made by another process (the command line) within that time."""
        files = self.file_trust(self.clock())
        with self._trust_lock:
            cached = self._trust_cache
            if cached is not None and cached[0] > time.monotonic() and cached[1] is files:
                return cached[2]
        with Session(self.engine, expire_on_commit=False) as session:
            rows = TrustedIssuers(session).all()
        issuers = tuple(
            TrustedIssuer.from_json(parse_json(row.entry), source="database") for row in rows
        )
        dates = [i.valid_as_of for i in issuers if i.valid_as_of is not None]
        database = TrustRegistry(
            issuers, valid_as_of=max(dates) if dates else None, source="database"
        )
        merged = TrustRegistry.merged([database, files])
        with self._trust_lock:
            self._trust_cache = (time.monotonic() + TRUST_CACHE_SECONDS, files, merged)
        return merged

    def _trust_changed(self) -> None:
        with self._trust_lock:
            self._trust_cache = None

    def save_trusted_issuer(self, issuer: TrustedIssuer) -> TrustedIssuer:
        entry = issuer.to_json()
        entry["valid_as_of"] = self.clock()
        with Session(self.engine, expire_on_commit=False) as session:
            TrustedIssuers(session).put(issuer.id, dumps_compact(entry), now=self.clock())
            session.commit()
        self._trust_changed()
        return TrustedIssuer.from_json(entry, source="database")

    def add_issuer_from_url(
        self, url: str, *, pin_keys: bool, name: str | None = None
    ) -> TrustedIssuer:
        issuer = discover_issuer(
            url, keys=self.keys, now=self.clock(), pin_keys=pin_keys, name=name
        )
        return self.save_trusted_issuer(issuer)

    def remove_trusted_issuer(self, iss: str) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            if not TrustedIssuers(session).remove(iss):
                raise ServiceError(
                    f"issuer {iss!r} is not in the database registry", code="not_found", status=404
                )
            session.commit()
        self._trust_changed()
