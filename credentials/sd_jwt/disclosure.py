"""SD-JWT disclosures and digests (RFC 9901 §4.2).

A disclosure is base64url(UTF-8 JSON) of ``[salt, name, value]`` for an object property or
``[salt, value]`` for an array element. Its digest is base64url(H(ASCII of the encoded
disclosure)); ``H`` is named by ``_sd_alg`` from the IANA "Named Information Hash Algorithm"
registry (RFC 9901 §4.1.1), ``sha-256`` by default.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.encoding import EncodingError, b64url_decode, b64url_encode, dumps_compact
from core.encoding import parse_json as _parse_json
from credentials.errors import MalformedError, SDJWTError

__all__ = [
    "DEFAULT_HASH_ALG",
    "FORBIDDEN_CLAIM_NAMES",
    "HASH_ALGORITHMS",
    "MIN_SALT_BYTES",
    "Disclosure",
    "create_disclosure",
    "digest_of",
    "hash_function",
    "new_salt",
    "parse_disclosure",
]

DEFAULT_HASH_ALG = "sha-256"
# RFC 9901 §4.1.1: names from the IANA Named Information Hash Algorithm registry.
HASH_ALGORITHMS: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
    "sha3-256": hashlib.sha3_256,
    "sha3-384": hashlib.sha3_384,
    "sha3-512": hashlib.sha3_512,
}
# RFC 9901 §4.2.1: claim names a disclosure may never carry.
FORBIDDEN_CLAIM_NAMES = frozenset({"_sd", "..."})
# RFC 9901 §9.3: at least 128 bits of entropy per salt.
MIN_SALT_BYTES = 16


def hash_function(alg: str) -> Callable[[bytes], Any]:
    try:
        return HASH_ALGORITHMS[alg]
    except (KeyError, TypeError):
        raise SDJWTError(
            f"hash algorithm {alg!r} is not supported", code="unsupported_sd_alg"
        ) from None


def digest_of(encoded: str, alg: str = DEFAULT_HASH_ALG) -> str:
    """base64url(H(ASCII(encoded))) — RFC 9901 §4.2.3."""
    return b64url_encode(hash_function(alg)(encoded.encode("ascii")).digest())


def new_salt(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    return b64url_encode(random_bytes(MIN_SALT_BYTES))


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One disclosure. ``name`` is ``None`` for an array element disclosure."""

    salt: str
    name: str | None
    value: Any
    encoded: str

    @property
    def is_array_element(self) -> bool:
        return self.name is None

    def digest(self, alg: str = DEFAULT_HASH_ALG) -> str:
        return digest_of(self.encoded, alg)


def create_disclosure(
    name: str | None,
    value: Any,
    *,
    salt: str | None = None,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> Disclosure:
    """Encode a disclosure; ``name=None`` makes an array-element disclosure."""
    if name is not None and (not isinstance(name, str) or name in FORBIDDEN_CLAIM_NAMES):
        raise SDJWTError(f"{name!r} cannot be a disclosed claim name", code="invalid_claim_name")
    salt = salt if salt is not None else new_salt(random_bytes)
    array = [salt, value] if name is None else [salt, name, value]
    try:
        encoded = b64url_encode(dumps_compact(array).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise MalformedError(f"claim value is not JSON: {exc}") from exc
    return Disclosure(salt, name, value, encoded)


def parse_disclosure(encoded: str) -> Disclosure:
    """Decode one disclosure string strictly (RFC 9901 §7.1 step 3.2.2)."""
    try:
        array = _parse_json(b64url_decode(encoded))
    except EncodingError as exc:
        raise MalformedError(
            f"a disclosure is not base64url JSON: {exc.message}", code="invalid_disclosure"
        ) from exc
    if not isinstance(array, list) or len(array) not in (2, 3):
        raise SDJWTError(
            "a disclosure must be a JSON array of 2 or 3 elements", code="invalid_disclosure"
        )
    if not isinstance(array[0], str):
        raise SDJWTError("a disclosure salt must be a string", code="invalid_disclosure")
    if len(array) == 2:
        return Disclosure(array[0], None, array[1], encoded)
    name = array[1]
    if not isinstance(name, str):
        raise SDJWTError("a disclosed claim name must be a string", code="invalid_disclosure")
    if name in FORBIDDEN_CLAIM_NAMES:
        raise SDJWTError(f"{name!r} cannot be a disclosed claim name", code="invalid_claim_name")
    return Disclosure(array[0], name, array[2], encoded)
