"""Stateless server nonces (RFC 9449 §8/§9 ``DPoP-Nonce``).

A nonce is ``base64url("v1" || mint time (8 bytes) || HMAC-SHA256(key, "v1" || time)[:16])``:
any worker holding the key checks it without a table, and its mint time bounds how old a proof
carrying it can be (RFC 9449 §11.1 lets "a server managed timestamp via the nonce claim" replace
the client's ``iat``, which matters for phones with wrong clocks). Keys rotate: checking accepts
any of the keys given (the newest first), so the previous key stays valid for one lifetime.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from core.encoding import EncodingError, b64url_decode, b64url_encode
from credentials.errors import DPoPError

__all__ = ["check_nonce", "mint_nonce"]

_VERSION = b"v1"
_MAC_BYTES = 16
_LENGTH = len(_VERSION) + 8 + _MAC_BYTES


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def mint_nonce(key: bytes, now: int) -> str:
    """A nonce minted at ``now`` under ``key``."""
    body = _VERSION + now.to_bytes(8, "big")
    return b64url_encode(body + _mac(key, body))


def check_nonce(nonce: object, keys: Sequence[bytes], *, now: int, lifetime: int) -> int:
    """Return the nonce's mint time, or raise ``dpop_nonce_invalid`` (``use_dpop_nonce``):
    not ours, damaged, from the future, or older than ``lifetime`` seconds."""
    try:
        raw = b64url_decode(nonce) if isinstance(nonce, str) and len(nonce) < 64 else b""
    except EncodingError:
        raw = b""
    if len(raw) == _LENGTH and raw.startswith(_VERSION):
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if any(hmac.compare_digest(_mac(key, body), mac) for key in keys):
            minted = int.from_bytes(body[len(_VERSION) :], "big")
            if minted <= now + 5 and now - minted <= lifetime:
                return minted
    error = DPoPError(
        "the DPoP nonce is missing, stale or not from this server; use the one in DPoP-Nonce",
        code="dpop_nonce_invalid",
    )
    error.error = "use_dpop_nonce"
    raise error
