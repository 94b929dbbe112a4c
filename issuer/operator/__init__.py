"""Operator operations for agency staff and agency systems: offers, credential status, keys,
the registry, API keys and the audit log.

Every operation checks the actor's role, runs as one unit of work and appends an audit entry
(who, when, what) in the same transaction, so an action and its record commit together or not
at all. Offers return their secrets (offer link, tx_code) exactly once, at creation; only hashes
are stored.

:class:`Operator` is assembled from one class per area, each over
:class:`~issuer.operator.base.OperatorBase` (roles, the actor, API key sign-in, the audit
entry): :mod:`~issuer.operator.offers`, :mod:`~issuer.operator.credentials` (listing and
status changes, of one credential or of every copy from one offer),
:mod:`~issuer.operator.registry` and :mod:`~issuer.operator.admin` (API keys, signing keys, the
audit log).
"""

from __future__ import annotations

from issuer.operator.admin import AdminOperations
from issuer.operator.base import PERMISSIONS, ROLES, Actor, local_actor
from issuer.operator.credentials import MAX_REASON_LENGTH, CredentialOperations
from issuer.operator.offers import MAX_BULK_OFFERS, NewOffer, OfferItem, OfferOperations
from issuer.operator.registry import MAX_SEARCH_RESULTS, RegistryOperations

__all__ = [
    "MAX_BULK_OFFERS",
    "MAX_REASON_LENGTH",
    "MAX_SEARCH_RESULTS",
    "PERMISSIONS",
    "ROLES",
    "Actor",
    "NewOffer",
    "OfferItem",
    "Operator",
    "local_actor",
]


class Operator(OfferOperations, CredentialOperations, RegistryOperations, AdminOperations):
    """Operator use cases on top of an :class:`~issuer.service.IssuerService`."""
