"""Relying parties' API keys: created, checked, listed and revoked.

A key is ``drk_<key_id>_<secret>`` (:mod:`servicekit.apikeys`); only the secret's hash is
stored. Each key has its own webhook secret (the HMAC key of :mod:`verifier.webhook_signature`),
which has to stay usable and so is stored as it is. Both are shown once, at creation. An
``admin`` key may also administer trust. The teller pages sign a desk in with its key and ask
for the key's name on every page, so revoking a key ends its desks' sessions at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from servicekit import apikeys
from verifier.errors import ServiceError
from verifier.service.context import ServiceContext
from verifier.storage.models import ApiKeyRecord
from verifier.storage.repos import ApiKeys

__all__ = ["ApiKeyAdmin", "ApiKeySummary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApiKeySummary:
    """A key as it is listed: never its secret or webhook secret."""

    key_id: str
    name: str
    admin: bool
    revoked: bool
    created_at: int


class ApiKeyAdmin:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def create(self, name: str, *, admin: bool = False) -> tuple[str, str]:
        """A new relying-party key: (bearer token, webhook secret), each shown once."""
        new = apikeys.create_api_key()
        webhook_secret = "whsec_" + self.context.token(32)
        with self.context.session() as session:
            ApiKeys(session).add(
                ApiKeyRecord(
                    key_id=new.key_id,
                    name=name[:200],
                    secret_hash=new.secret_hash,
                    webhook_secret=webhook_secret,
                    admin=admin,
                    created_at=self.context.clock(),
                ),
            )
            session.commit()
        log.info("api key created: key_id=%s admin=%s", new.key_id, admin)
        return new.token, webhook_secret

    def authenticate(self, token: str | None, *, admin: bool = False) -> str:
        """The key id of a valid bearer token (and an admin one, if asked)."""
        parsed = apikeys.parse_api_key(token) if token else None
        if parsed is not None:
            with self.context.session() as session:
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

    def all(self) -> list[ApiKeySummary]:
        with self.context.session() as session:
            rows = ApiKeys(session).all()
        return [ApiKeySummary(r.key_id, r.name, r.admin, r.revoked, r.created_at) for r in rows]

    def revoke(self, key_id: str) -> None:
        with self.context.session() as session:
            if not ApiKeys(session).revoke(key_id):
                raise ServiceError(f"no API key {key_id!r}", code="not_found", status=404)
            session.commit()
        log.info("api key revoked: key_id=%s", key_id)

    def webhook_secret(self, key_id: str) -> str | None:
        """The webhook secret of a valid key (``None`` once it is revoked: nothing is sent)."""
        with self.context.session() as session:
            record = ApiKeys(session).get(key_id)
        return None if record is None or record.revoked else record.webhook_secret

    def desk_name(self, key_id: str) -> str | None:
        """The name of the key ``key_id`` while it is valid, else ``None``."""
        with self.context.session() as session:
            record = ApiKeys(session).get(key_id)
        return None if record is None or record.revoked else record.name
