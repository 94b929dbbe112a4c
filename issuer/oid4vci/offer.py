"""Credential Offers (OpenID4VCI 1.0 §4.1) for the pre-authorized code flow.

* The offer travels by reference (§4.1.3): the QR code holds
  ``openid-credential-offer://?credential_offer_uri=<issuer>/offers/<offer id>`` and stays small
  enough for cheap phone cameras. The offer id is a 256-bit random secret.
* The pre-authorized code (§4.1.1) is a second 256-bit random secret, not derived from the
  offer id: the offer id travels in URLs (the QR code, the operator's QR page), and a URL that
  reaches a log must not be enough to redeem an offer. The offer row keeps the code's hash (the
  token endpoint's lookup) and the code sealed with AES-256-GCM under a key derived from the
  offer id (what the offer endpoint returns), so neither a stolen database nor a URL alone
  yields a code.
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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.encoding import EncodingError, b64url_decode, b64url_encode

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
    "seal_pre_authorized_code",
    "tx_code_matches",
    "unseal_pre_authorized_code",
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
    """The code of an offer made before revision 0007 (HMAC-SHA256(offer id, label)): such an
    offer has no sealed code and lives at most ``offer_lifetime`` after the upgrade. New offers
    get a random code (:func:`seal_pre_authorized_code`)."""
    mac = hmac.new(offer_id.encode("utf-8"), b"drukid pre-authorized_code v1", hashlib.sha256)
    return b64url_encode(mac.digest())


def _seal_key(offer_id: str) -> bytes:
    return hmac.new(offer_id.encode("utf-8"), b"drukid offer seal v1", hashlib.sha256).digest()


def seal_pre_authorized_code(
    offer_id: str, ref: str, code: str, random_bytes: Callable[[int], bytes]
) -> str:
    """``code`` encrypted for the offer row: AES-256-GCM, key from the offer id, the offer's
    reference as associated data (a sealed code copied to another row does not open)."""
    nonce = random_bytes(12)
    sealed = AESGCM(_seal_key(offer_id)).encrypt(nonce, code.encode("utf-8"), ref.encode())
    return b64url_encode(nonce + sealed)


def unseal_pre_authorized_code(offer_id: str, ref: str, sealed: str) -> str:
    """The code :func:`seal_pre_authorized_code` sealed; ``ValueError`` if it does not open."""
    try:
        raw = b64url_decode(sealed)
        opened = AESGCM(_seal_key(offer_id)).decrypt(raw[:12], raw[12:], ref.encode())
    except (EncodingError, InvalidTag, ValueError) as exc:
        raise ValueError("the offer's sealed code does not open") from exc
    return opened.decode("utf-8")


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
