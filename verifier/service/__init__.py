"""The verifier service for relying parties: presentation requests, wallet responses, results,
API keys and trust administration, as sibling parts over one shared
:class:`~verifier.service.context.ServiceContext` (database, configuration, identity, clock,
randomness). Each public method is one use case and one unit of work: it opens its own session
and commits. Routes and pages only parse, call one method and render.

* :mod:`~verifier.service.requests` — create a request, its request object, link and QR code;
* :mod:`~verifier.service.responses` — the wallet's response: check, claim, verify, record;
* :mod:`~verifier.service.results` — the result as the relying party polls it;
* :mod:`~verifier.service.api_keys` — relying parties' API keys;
* :mod:`~verifier.service.trust_admin` — the merged trust registry and the operator's changes;
* :mod:`~verifier.service.retention` — expiry and deletion (data minimisation);
* :mod:`~verifier.service.type_metadata` — display labels for the teller pages;
* :mod:`~verifier.service.records` — a stored request as callers see it;
* :mod:`~verifier.service.offline` — the offline QR exchange, freshness and re-checking;
* :mod:`~verifier.service.facade` — the teller pages' one handle on the parts.

The parts are assembled once, in :func:`verifier.runtime.build_runtime`.
"""

from verifier.service.api_keys import ApiKeyAdmin, ApiKeySummary
from verifier.service.context import Identity, ServiceConfig, ServiceContext
from verifier.service.facade import VerifierService
from verifier.service.offline import OfflineDesk, RecheckReport
from verifier.service.requests import MAX_PURPOSE, PresentationRequests
from verifier.service.responses import PresentationResponses
from verifier.service.results import PresentationResults
from verifier.service.retention import Retention
from verifier.service.trust_admin import TrustAdmin
from verifier.service.type_metadata import TypeMetadataCache

__all__ = [
    "MAX_PURPOSE",
    "ApiKeyAdmin",
    "ApiKeySummary",
    "Identity",
    "OfflineDesk",
    "PresentationRequests",
    "PresentationResponses",
    "PresentationResults",
    "RecheckReport",
    "Retention",
    "ServiceConfig",
    "ServiceContext",
    "TrustAdmin",
    "TypeMetadataCache",
    "VerifierService",
]
