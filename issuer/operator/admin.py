"""Operator administration: API keys (created with a role, stored hashed, shown once, revoked at
once), signing key rotation and listing, and the append-only audit log.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from did.keys import ALGORITHMS
from issuer.errors import InvalidRequestError, NotFoundError
from issuer.operator.base import ROLES, Actor, OperatorBase, iso_time
from issuer.storage.models import ApiKeyRow
from issuer.storage.repos import ApiKeys, Audit, Keys
from servicekit.apikeys import NewAPIKey, create_api_key

__all__ = ["AdminOperations"]

log = logging.getLogger(__name__)


class AdminOperations(OperatorBase):
    """API keys, signing keys and the audit log (role ``admin``)."""

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
                "created_at": iso_time(r.created_at),
                "revoked_at": iso_time(r.revoked_at),
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
                "created_at": iso_time(r.created_at),
                "retired_at": iso_time(r.retired_at),
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
            total = Audit(s).count(action=action)
        return {
            "items": [
                {
                    "id": r.id,
                    "at": iso_time(r.at),
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "detail": json.loads(r.detail),
                }
                for r in rows
            ],
            "offset": offset,
            "limit": limit,
            "total": total,
        }
