"""Operator operations for agency staff and agency systems: offers, credential status, the
registry, API keys, signing keys and the audit log.

Every operation checks the actor's role, runs as one unit of work and appends an audit entry
(who, when, what) in the same transaction, so an action and its record commit together or not
at all. Offers return their secrets (offer link, tx_code) exactly once, at creation; only hashes
are stored. Operations return the frozen values of :mod:`issuer.operator.results`.

:class:`Operator` holds one service per area, siblings over the same
:class:`~issuer.context.IssuerContext` and :class:`~issuer.operator.audit.AuditTrail`:
:class:`~issuer.operator.offers.Offers`, :class:`~issuer.operator.credentials.CredentialStatus`
(listing and status changes, of one credential or of every copy from one offer),
:class:`~issuer.operator.registry.RegistryAccess` and
:class:`~issuer.operator.admin.Administration`,
:class:`~issuer.operator.approvals.Approvals` (the deferred issuance queue), plus
:class:`~issuer.operator.actors.SignIn`.
:class:`~issuer.operator.api.OperatorAPI` is the same operations for one actor, as the command
line uses them (in-process or over HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass

from issuer.context import IssuerContext
from issuer.keys import SigningKeys
from issuer.operator.actors import PERMISSIONS, ROLES, Actor, SignIn, local_actor
from issuer.operator.admin import Administration
from issuer.operator.approvals import Approvals
from issuer.operator.audit import AuditTrail
from issuer.operator.credentials import MAX_REASON_LENGTH, CredentialStatus
from issuer.operator.offers import MAX_BULK_OFFERS, Offers
from issuer.operator.registry import MAX_SEARCH_RESULTS, RegistryAccess
from issuer.operator.results import NewOffer, NewSignInCode, OfferItem
from issuer.operator.signin_codes import SignInCodeService

__all__ = [
    "MAX_BULK_OFFERS",
    "MAX_REASON_LENGTH",
    "MAX_SEARCH_RESULTS",
    "PERMISSIONS",
    "ROLES",
    "Actor",
    "NewOffer",
    "NewSignInCode",
    "OfferItem",
    "Operator",
    "local_actor",
]


@dataclass(frozen=True, slots=True)
class Operator:
    """The operator services, one per area."""

    sign_in: SignIn
    offers: Offers
    credentials: CredentialStatus
    registry: RegistryAccess
    admin: Administration
    approvals: Approvals
    signin_codes: SignInCodeService

    @classmethod
    def build(cls, context: IssuerContext, *, signing: SigningKeys) -> Operator:
        audit = AuditTrail(context)
        return cls(
            sign_in=SignIn(context),
            offers=Offers(context, audit=audit),
            credentials=CredentialStatus(context, audit=audit),
            registry=RegistryAccess(context, audit=audit),
            admin=Administration(context, audit=audit, signing=signing),
            approvals=Approvals(context, audit=audit),
            signin_codes=SignInCodeService(context, audit=audit),
        )
