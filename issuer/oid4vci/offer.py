"""Credential Offers (OpenID4VCI 1.0 §4.1) for the pre-authorized code flow.

* The offer travels by reference (§4.1.3): the QR code holds
  ``openid-credential-offer://?credential_offer_uri=<issuer>/offers/<offer id>`` and stays small
  enough for cheap phone cameras. The offer id is a 256-bit random secret.
* The pre-authorized code (§4.1.1) is derived from the offer id with HMAC, so the database keeps
  only hashes of both and a stolen database redeems nothing.
* ``tx_code`` (§4.1.1): a numeric PIN sent to the citizen out of band (SMS, counter); stored as
  an HMAC keyed with the offer's reference and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from core.encoding import b64url_encode

__all__ = [
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "TX_CODE_DESCRIPTION",
    "create_credential_offer",
    "generate_tx_code",
    "hash_tx_code",
    "lookup_hash",
    "new_secret",
    "offer_uri",
    "offer_url",
    "pre_authorized_code_for",
    "tx_code_matches",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
TX_CODE_DESCRIPTION = "Enter the PIN the agency sent you by SMS or gave you at the counter."
_SECRET_BYTES = 32


def new_secret(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A 256-bit random bearer secret, base64url (offer ids, access tokens, nonces)."""
    return b64url_encode(random_bytes(_SECRET_BYTES))


def lookup_hash(secret: str) -> str:
    """How a bearer secret is stored and looked up: SHA-256, hex. A fast hash is right for
    256-bit random values (nothing to brute-force) and keeps lookups indexable."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def pre_authorized_code_for(offer_id: str) -> str:
    """The pre-authorized code of an offer: HMAC-SHA256(offer id, label), base64url."""
    mac = hmac.new(offer_id.encode("utf-8"), b"drukid pre-authorized_code v1", hashlib.sha256)
    return b64url_encode(mac.digest())


def generate_tx_code(length: int, randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    if not 4 <= length <= 10:
        raise ValueError("tx_code length must be 4 to 10 digits")
    return "".join(str(randbelow(10)) for _ in range(length))


def hash_tx_code(offer_ref: str, tx_code: str) -> str:
    return hmac.new(offer_ref.encode(), tx_code.encode("utf-8"), hashlib.sha256).hexdigest()


def tx_code_matches(offer_ref: str, candidate: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_tx_code(offer_ref, candidate), stored_hash)


def offer_url(issuer: str, offer_id: str) -> str:
    return f"{issuer}/offers/{offer_id}"


def offer_uri(credential_offer_uri: str) -> str:
    """§4.1.3: the wallet deep link carrying the offer by reference."""
    return f"{OFFER_SCHEME}?credential_offer_uri={quote(credential_offer_uri, safe='')}"


def create_credential_offer(
    *,
    issuer: str,
    configuration_ids: Sequence[str],
    pre_authorized_code: str,
    tx_code_length: int | None,
    tx_code_description: str = TX_CODE_DESCRIPTION,
) -> dict[str, Any]:
    """§4.1.1 Credential Offer object."""
    grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code}
    if tx_code_length is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": tx_code_length,
            "description": tx_code_description[:300],
        }
    return {
        "credential_issuer": issuer,
        "credential_configuration_ids": list(configuration_ids),
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }
