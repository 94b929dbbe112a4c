"""Deferred Credential Endpoint messages (OpenID4VCI 1.0 §9).

Request (§9.1): ``transaction_id`` (from the credential endpoint's 202) and optionally a new
``credential_response_encryption``: "the Credential Issuer MUST use the newly provided one"
(§9.2), checked as at the credential endpoint. Answers: the credentials once an operator
approved (§9.2, same shape as §8.3); while the operator has not decided, ``400
issuance_pending`` with ``Retry-After`` = the interval; ``invalid_transaction_id`` (§9.3) for
an unknown, used, denied or expired transaction, its ``code`` saying which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from issuer.errors import InvalidCredentialRequestError
from issuer.oid4vci.encryption import (
    EncryptionPolicy,
    ResponseEncryption,
    parse_response_encryption,
)

__all__ = ["DeferredRequest", "parse_deferred_request"]

MAX_TRANSACTION_ID = 200


@dataclass(frozen=True, slots=True)
class DeferredRequest:
    transaction_id: str
    encryption: ResponseEncryption | None = None


def parse_deferred_request(body: Any, *, encryption: EncryptionPolicy) -> DeferredRequest:
    if not isinstance(body, dict):
        raise InvalidCredentialRequestError("the deferred credential request must be a JSON object")
    transaction_id = body.get("transaction_id")
    if (
        not isinstance(transaction_id, str)
        or not transaction_id
        or len(transaction_id) > MAX_TRANSACTION_ID
    ):
        raise InvalidCredentialRequestError(
            "transaction_id is missing; send the one the credential endpoint gave"
        )
    params = parse_response_encryption(
        body.get("credential_response_encryption"), policy=encryption
    )
    return DeferredRequest(transaction_id, params)
