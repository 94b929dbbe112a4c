"""Bearer API keys for operators and relying parties.

A key reads ``drk_<key id>_<secret>``. Only a SHA-256 hash of the 256-bit secret is stored
(a fast hash is right for high-entropy secrets; a slow KDF would only slow down every request),
and it is compared in constant time. The key id makes lookups indexable and appears in audit
logs; the secret never does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["NewAPIKey", "create_api_key", "hash_secret", "parse_api_key", "verify_secret"]

PREFIX = "drk"


@dataclass(frozen=True, slots=True)
class NewAPIKey:
    key_id: str
    secret_hash: str
    token: str  # shown once to its owner, never stored

    def __repr__(self) -> str:
        return f"NewAPIKey(key_id={self.key_id!r})"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key() -> NewAPIKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewAPIKey(key_id, hash_secret(secret), f"{PREFIX}_{key_id}_{secret}")


def parse_api_key(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` from a presented key, or None when it is not of our form."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 12 or len(parts[2]) < 32:
        return None
    if any(c not in "0123456789abcdef" for c in parts[1]):
        return None
    return parts[1], parts[2]


def verify_secret(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)
