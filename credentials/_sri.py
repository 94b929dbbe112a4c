"""Subresource Integrity metadata (W3C SRI, §3) as SD-JWT VC uses it (draft-ietf-oauth-sd-jwt-vc-25
§6: ``vct#integrity``, ``extends#integrity``, ``uri#integrity``); import from
:mod:`credentials.type_metadata`.

Integrity metadata is a space-separated list of ``<alg>-<base64 digest>[?options]``. Unknown or
malformed entries are skipped and only the strongest algorithm present counts (SRI §3.3.5).
Unlike a browser, which treats "no usable hash" as a match, we fail closed: the caller asked
for integrity, so a value we cannot check is an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import NoReturn

from credentials.errors import TypeMetadataError

__all__ = ["integrity_of", "verify_integrity"]

_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_STRENGTH = ("sha256", "sha384", "sha512")
_B64_VALUE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")  # SRI/CSP base64-value: both alphabets


def _fail(message: str, code: str) -> NoReturn:
    raise TypeMetadataError(message, code=code)


def integrity_of(document: bytes, *, alg: str = "sha256") -> str:
    """SRI integrity metadata for ``document``: ``<alg>-<standard base64 digest>``."""
    if alg not in _HASHES:
        _fail(f"integrity algorithm {alg!r} is not sha256, sha384 or sha512", "invalid_integrity")
    return f"{alg}-{base64.b64encode(_HASHES[alg](document).digest()).decode('ascii')}"


def _parse_integrity(integrity: object) -> dict[str, list[bytes]]:
    if not isinstance(integrity, str):
        _fail("integrity metadata must be a string", "invalid_integrity")
    found: dict[str, list[bytes]] = {}
    for token in integrity.split():
        alg, _, value = token.split("?", 1)[0].partition("-")  # SRI: options after '?' unused
        alg = alg.lower()
        if alg not in _HASHES or not _B64_VALUE.fullmatch(value):
            continue  # SRI §3.3.3: unknown or malformed expressions are skipped
        normal = value.rstrip("=").replace("-", "+").replace("_", "/")
        try:
            digest = base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(digest) == _HASHES[alg]().digest_size:
            found.setdefault(alg, []).append(digest)
    return found


def verify_integrity(document: bytes, integrity: str) -> None:
    """Check ``document`` against SRI metadata (§6); raise ``integrity_mismatch`` if it fails.

    Several space-separated hashes may be given; only the strongest algorithm present counts
    (SRI §3.3.5), and any one of its values may match.
    """
    found = _parse_integrity(integrity)
    if not found:
        _fail("integrity metadata has no usable sha256/sha384/sha512 hash", "invalid_integrity")
    strongest = max(found, key=_STRENGTH.index)
    actual = _HASHES[strongest](document).digest()
    if not any(hmac.compare_digest(actual, expected) for expected in found[strongest]):
        _fail(
            f"the document does not match its {strongest} integrity hash; it may have been "
            "changed since the credential was issued",
            "integrity_mismatch",
        )
