"""Credential Endpoint messages (OpenID4VCI 1.0 §8).

Request (§8.2): ``credential_configuration_id`` (this issuer returns no
``authorization_details``, so ``credential_identifier`` MUST NOT be used) and ``proofs`` with
exactly one proof type: ``jwt`` holding 1..batch_size proofs (§8.2, batch issuance §12.2.4), or
``attestation`` holding exactly one key attestation (Appendix F.3: "an array that contains
exactly one JWT"); optionally ``credential_response_encryption`` (§10, see
:mod:`issuer.oid4vci.encryption`). Unknown parameters are ignored as §8.2 requires; the pre-1.0
singular ``proof`` is refused with a message saying what to send instead. Response (§8.3):
``credentials`` (one per proof key) and ``notification_id``; or 202 with ``transaction_id`` and
``interval`` when an operator must approve first (deferred issuance, §9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from issuer.errors import (
    InvalidCredentialRequestError,
    InvalidProofError,
)
from issuer.oid4vci.encryption import (
    EncryptionPolicy,
    ResponseEncryption,
    parse_response_encryption,
)

__all__ = [
    "PROOF_TYPES",
    "CredentialRequest",
    "credential_response",
    "deferred_response",
    "parse_credential_request",
]

PROOF_TYPES = ("jwt", "attestation")


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    configuration_id: str
    proofs: tuple[str, ...]
    proof_type: str = "jwt"
    encryption: ResponseEncryption | None = None


def parse_credential_request(
    body: Any, *, batch_size: int, encryption: EncryptionPolicy = "off"
) -> CredentialRequest:
    if not isinstance(body, dict):
        raise InvalidCredentialRequestError("the credential request must be a JSON object")
    if "credential_identifier" in body:
        raise InvalidCredentialRequestError(
            "credential_identifier is not used by this issuer; send credential_configuration_id",
            code="unknown_credential_identifier",
        )
    response_encryption = parse_response_encryption(
        body.get("credential_response_encryption"), policy=encryption
    )
    configuration_id = body.get("credential_configuration_id")
    if not isinstance(configuration_id, str) or not configuration_id:
        raise InvalidCredentialRequestError("credential_configuration_id is missing")
    if "proof" in body:
        raise InvalidProofError(
            "'proof' was replaced by 'proofs' in OpenID4VCI 1.0; send proofs: {jwt: [...]}",
            code="proof_legacy_parameter",
        )
    proofs = body.get("proofs")
    if proofs is None:
        raise InvalidProofError(
            "proofs is missing; send a key proof so the credential is bound to your wallet"
        )
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise InvalidProofError("proofs must be an object with exactly one proof type")
    proof_type = next(iter(proofs))
    if proof_type not in PROOF_TYPES:
        raise InvalidProofError(
            f"proof type {proof_type!r} is not supported; use jwt or attestation",
            code="proof_type_unsupported",
        )
    items = proofs[proof_type]
    if not isinstance(items, list) or not items:
        raise InvalidProofError(f"proofs.{proof_type} must be a non-empty list of JWTs")
    if proof_type == "attestation" and len(items) != 1:
        raise InvalidProofError(
            "proofs.attestation must hold exactly one key attestation (Appendix F.3)",
            code="attestation_proof_count",
        )
    if len(items) > batch_size:
        raise InvalidCredentialRequestError(
            f"at most {batch_size} proofs per request (batch_credential_issuance.batch_size)",
            code="batch_too_large",
        )
    if not all(isinstance(item, str) for item in items):
        raise InvalidProofError("each jwt proof must be a string")
    return CredentialRequest(configuration_id, tuple(items), proof_type, response_encryption)


def credential_response(credentials: Sequence[str], *, notification_id: str) -> dict[str, Any]:
    return {
        "credentials": [{"credential": credential} for credential in credentials],
        "notification_id": notification_id,
    }


def deferred_response(transaction_id: str, *, interval: int) -> dict[str, Any]:
    """§8.3: 202 Accepted, no credentials yet; ask the deferred endpoint after ``interval``."""
    return {"transaction_id": transaction_id, "interval": interval}
