"""The issuer's unit of work for every OpenID4VCI operation (pre-authorized code flow).

Each public method is one operation: it reads what it needs, calls the pure spec modules
(:mod:`issuer.oid4vci`, :mod:`issuer.claims`, :mod:`issuer.status`), writes in one transaction
and commits. Single-use state (codes, tx_code attempts, nonces, access token uses) changes only
through conditional updates (see :mod:`issuer.storage.repos`), so concurrent requests cannot
both win. Time and randomness are injected; nothing here logs a secret — offers are logged by
their public reference, credentials by id, keys by thumbprint.

:class:`IssuerService` is assembled from one class per part of the flow, each over
:class:`~issuer.service.base.ServiceBase` (dependencies, sessions, signing keys, discovery,
registry records):

* :mod:`issuer.service.preauthorized` — Credential Offer by reference (OpenID4VCI §4.1.3),
  token endpoint (§6), nonce endpoint (§7);
* :mod:`issuer.service.issuance` — credential endpoint (§8), notification endpoint (§11);
* :mod:`issuer.service.status_lists` — status list entries and their signed tokens.
"""

from __future__ import annotations

from issuer.service.base import Records, system_clock
from issuer.service.issuance import CredentialIssuance
from issuer.service.preauthorized import PreAuthorizedFlow

__all__ = ["IssuerService", "Records", "system_clock"]


class IssuerService(PreAuthorizedFlow, CredentialIssuance):
    """Everything an operation needs, built once by the app's lifespan (or the local CLI)."""
