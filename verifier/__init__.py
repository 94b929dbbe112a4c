"""drukid verifier: check SD-JWT VC presentations (OpenID4VP 1.0 with DCQL) against a policy and
a trust registry, online or fully offline from a signed trust bundle.

The library is one call, :func:`verify_presentation`; the service (``verifier.api.app``) adds
presentation requests, QR codes, results and webhooks for relying parties.
"""

from credentials.status_check import StatusChecker, StatusOutcome
from verifier.bundle import TRUST_BUNDLE_TYP, create_trust_bundle, verify_trust_bundle
from verifier.errors import (
    PresentationError,
    RequestError,
    ServiceError,
    TrustError,
    VerificationError,
    explain,
)
from verifier.keys import IssuerKeys
from verifier.onboarding import discover_issuer
from verifier.policy import Policy
from verifier.trust import TrustedIssuer, TrustRegistry
from verifier.trust_sources import TrustSources, load_authority_key
from verifier.verify import Check, VerificationResult, verify_presentation
from verifier.webhook_signature import SIGNATURE_HEADER, sign_webhook, verify_webhook_signature

__all__ = [
    "SIGNATURE_HEADER",
    "TRUST_BUNDLE_TYP",
    "Check",
    "IssuerKeys",
    "Policy",
    "PresentationError",
    "RequestError",
    "ServiceError",
    "StatusChecker",
    "StatusOutcome",
    "TrustError",
    "TrustRegistry",
    "TrustSources",
    "TrustedIssuer",
    "VerificationError",
    "VerificationResult",
    "create_trust_bundle",
    "discover_issuer",
    "explain",
    "load_authority_key",
    "sign_webhook",
    "verify_presentation",
    "verify_trust_bundle",
    "verify_webhook_signature",
]
