"""The OpenID4VCI 1.0 pre-authorized code flow, one object per part, each given the
:class:`~issuer.context.IssuerContext` and whatever else it needs (built together by
:func:`issuer.runtime.build_runtime`):

* :class:`PreAuthorizedFlow` — Credential Offer by reference (§4.1.3), token endpoint (§6),
  nonce endpoint (§7);
* :class:`CredentialIssuance` — credential endpoint (§8), with the signing keys and the status
  lists;
* :class:`DeferredIssuance` — deferred credential endpoint (§9), for types an operator
  approves;
* :class:`Notifications` — notification endpoint (§11).

Each public method is one operation: it reads what it needs, calls the pure spec modules
(:mod:`issuer.oid4vci`, :mod:`issuer.claims`, :mod:`issuer.status.rules`), writes in one
transaction and commits. Single-use state (codes, tx_code attempts, nonces, access token uses)
changes only through conditional updates (see :mod:`issuer.storage.repos`), so concurrent
requests cannot both win. Nothing here logs a secret: offers are logged by their public
reference, credentials by id, keys by thumbprint.
"""

from issuer.flows.deferred import DeferredIssuance
from issuer.flows.issuance import CredentialAnswer, CredentialIssuance
from issuer.flows.notification import Notifications
from issuer.flows.preauthorized import PreAuthorizedFlow

__all__ = [
    "CredentialAnswer",
    "CredentialIssuance",
    "DeferredIssuance",
    "Notifications",
    "PreAuthorizedFlow",
]
