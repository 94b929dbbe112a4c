"""Operator administration (role ``admin``): API keys (created with a role, stored hashed, shown
once, revoked at once), signing key rotation and listing, and the append-only audit log.
"""

from __future__ import annotations

import json
import logging

from credentials.x509 import CertificateName, parse_x5c
from did.keys import ALGORITHMS
from issuer.certificates import parse_chain_text
from issuer.context import IssuerContext
from issuer.errors import InvalidRequestError, NotFoundError
from issuer.keys import SigningKeys
from issuer.operator.actors import ROLES, Actor
from issuer.operator.audit import AuditTrail
from issuer.operator.results import (
    ApiKeyInfo,
    AuditEntry,
    CreatedApiKey,
    KeyCertificate,
    KeyRotation,
    Page,
    PreparedKey,
    SigningKeyInfo,
)
from issuer.storage.models import ApiKeyRow
from issuer.storage.repos import ApiKeys, Audit, Keys
from servicekit.apikeys import create_api_key

__all__ = ["Administration"]

log = logging.getLogger(__name__)


class Administration:
    """API keys, signing keys and the audit log."""

    def __init__(self, context: IssuerContext, *, audit: AuditTrail, signing: SigningKeys) -> None:
        self.context = context
        self.audit_trail = audit
        self.signing = signing

    # --- API keys ------------------------------------------------------------------------

    def create_api_key(self, actor: Actor, *, role: str, label: str = "") -> CreatedApiKey:
        actor.require("apikeys:manage")
        if role not in ROLES:
            raise InvalidRequestError(f"role must be one of {', '.join(ROLES)}", code="bad_role")
        new = create_api_key()
        with self.context.session() as s:
            ApiKeys(s).add(
                ApiKeyRow(
                    key_id=new.key_id,
                    secret_hash=new.secret_hash,
                    role=role,
                    label=label[:200],
                    created_at=self.context.clock(),
                )
            )
            self.audit_trail.record(
                s, actor, "apikey.create", new.key_id, role=role, label=label[:200]
            )
            s.commit()
        log.info("API key %s created with role %s", new.key_id, role)
        return CreatedApiKey(new.key_id, role, new.token)

    def list_api_keys(self, actor: Actor) -> list[ApiKeyInfo]:
        actor.require("apikeys:manage")
        with self.context.session() as s:
            rows = ApiKeys(s).all()
        return [ApiKeyInfo(r.key_id, r.role, r.label, r.created_at, r.revoked_at) for r in rows]

    def revoke_api_key(self, actor: Actor, key_id: str) -> None:
        actor.require("apikeys:manage")
        with self.context.session() as s:
            if not ApiKeys(s).revoke(key_id, now=self.context.clock()):
                raise NotFoundError(f"no active API key {key_id!r}", code="unknown_api_key")
            self.audit_trail.record(s, actor, "apikey.revoke", key_id)
            s.commit()

    # --- signing keys --------------------------------------------------------------------

    def _alg(self, alg: str | None) -> str:
        alg = alg or self.context.settings.signing_alg
        if alg not in ALGORITHMS:
            raise InvalidRequestError(f"alg must be one of {', '.join(ALGORITHMS)}", code="bad_alg")
        return alg

    def rotate_key(
        self, actor: Actor, *, alg: str | None = None, certificate_chain: str | None = None
    ) -> KeyRotation:
        """A new signing key from now on. ``certificate_chain`` (PEM: the new key's
        certificate, then its intermediates) activates a key made with :meth:`prepare_key`;
        once the issuer signs with certificates a rotation needs it."""
        actor.require("keys:manage")
        alg = self._alg(alg)
        certificates = parse_chain_text(certificate_chain) if certificate_chain else None
        now = self.context.clock()
        with self.context.session(write=True) as s:
            kid, retired = self.signing.rotate(s, alg, now=now, certificates=certificates)
            row = next(r for r in Keys(s).all() if r.kid == kid)
            self.audit_trail.record(
                s,
                actor,
                "key.rotate",
                kid,
                alg=row.alg,
                retired=retired,
                certified=certificates is not None,
            )
            s.commit()
        self.signing.rotated(retired)
        log.info("signing key rotated to %s (%s); retired %s", kid, row.alg, ", ".join(retired))
        return KeyRotation(kid, row.alg, tuple(retired))

    def prepare_key(self, actor: Actor, *, alg: str | None = None) -> PreparedKey:
        """A new key that signs nothing until a rotation activates it with its certificate."""
        actor.require("keys:manage")
        alg = self._alg(alg)
        public = self.signing.prepare(alg)
        kid = public.thumbprint()
        with self.context.session(write=True) as s:
            self.audit_trail.record(s, actor, "key.prepare", kid, alg=alg)
            s.commit()
        return PreparedKey(kid, alg, {**public.to_jwk(), "kid": kid})

    def certify_key(self, actor: Actor, *, certificate_chain: str) -> KeyCertificate:
        """Attach a (renewed) certificate chain to the key it certifies (the active key)."""
        actor.require("keys:manage")
        certificates = parse_chain_text(certificate_chain)
        now = self.context.clock()
        with self.context.session(write=True) as s:
            kid = self.signing.certify(s, certificates, now=now)
            self.audit_trail.record(s, actor, "key.certify", kid)
            s.commit()
        self.signing.changed(())
        chain = self.signing.certificates()[kid]
        subject = CertificateName.from_x509(certificates[0].subject).words
        log.info("certificate for %s attached to signing key %s", subject, kid)
        return KeyCertificate(kid, subject, chain.not_after)

    def list_keys(self, actor: Actor) -> list[SigningKeyInfo]:
        actor.require("keys:manage")
        published = {jwk["kid"] for jwk in self.signing.jwks()}
        chains = self.signing.certificates()
        return [
            SigningKeyInfo(
                r.kid,
                r.alg,
                r.created_at,
                r.retired_at,
                active=r.retired_at is None,
                published=r.kid in published,
                certificate=_subject(chains[r.kid].x5c) if r.kid in chains else None,
                certificate_expires_at=chains[r.kid].not_after if r.kid in chains else None,
            )
            for r in self.signing.rows()
        ]

    # --- the audit log -------------------------------------------------------------------

    def audit(
        self, actor: Actor, *, offset: int = 0, limit: int = 50, action: str | None = None
    ) -> Page[AuditEntry]:
        """The audit log, newest first, optionally of one ``action``."""
        actor.require("audit:read")
        with self.context.session() as s:
            rows = Audit(s).page(offset=offset, limit=limit, action=action)
            total = Audit(s).count(action=action)
        entries = tuple(
            # A stored row always has its id; 0 only satisfies the type of an unsaved one.
            AuditEntry(r.id or 0, r.at, r.actor, r.action, r.target, json.loads(r.detail))
            for r in rows
        )
        return Page(entries, offset, limit, total)


def _subject(x5c: str) -> str:
    """Who a stored chain's signing certificate is for, in words."""
    return CertificateName.from_x509(parse_x5c(json.loads(x5c))[0].subject).words
