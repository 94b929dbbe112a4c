"""Sign-in codes for citizens (permission ``offers:create``, like an offer): the one-time code a
person types with their CID on the agency's authorization page when their wallet asks for a
credential. Returned once; stored as an HMAC; a new code burns the person's older one; audited
(who gave one to which CID, never the code)."""

from __future__ import annotations

import logging

from issuer.context import IssuerContext
from issuer.errors import NotFoundError
from issuer.operator.actors import Actor
from issuer.operator.audit import AuditTrail
from issuer.operator.results import NewSignInCode
from issuer.signin.codes import generate_signin_code, hash_signin_code
from issuer.storage.authorization import SignInCodes
from issuer.storage.models import SignInCodeRow
from issuer.storage.repos import Registry

__all__ = ["SignInCodeService"]

log = logging.getLogger(__name__)


class SignInCodeService:
    def __init__(self, context: IssuerContext, *, audit: AuditTrail) -> None:
        self.context = context
        self.audit = audit

    def create(self, actor: Actor, cid: str) -> NewSignInCode:
        actor.require("offers:create")
        context = self.context
        settings = context.settings
        now = context.clock()
        cid = cid.strip()
        with context.session(write=True) as s:
            if not Registry(s).has_person(cid):
                raise NotFoundError(
                    f"there is no person with CID {cid} in the registry", code="person_not_found"
                )
            code = generate_signin_code(settings.signin_code_length, context.randbelow)
            ref = "sic_" + context.random_bytes(8).hex()
            expires_at = now + settings.signin_code_lifetime
            SignInCodes(s).add(
                SignInCodeRow(
                    ref=ref,
                    cid=cid,
                    code_hmac=hash_signin_code(ref, cid, code),
                    created_by=actor.id,
                    created_at=now,
                    expires_at=expires_at,
                ),
                now=now,
            )
            self.audit.record(s, actor, "signin_code.create", ref, cid=cid)
            s.commit()
        log.info("sign-in code %s given for %s", ref, cid)
        return NewSignInCode(ref, cid, code, expires_at)
