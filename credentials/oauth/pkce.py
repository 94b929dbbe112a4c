"""Proof Key for Code Exchange (RFC 7636), S256 only.

The client makes a high-entropy ``code_verifier`` (§4.1: 43-128 characters of
``[A-Z a-z 0-9 - . _ ~]``; §7.1: at least 256 bits) and sends
``code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))`` (§4.2) with
``code_challenge_method=S256``. ``plain`` is refused, and so is a missing method, because §4.3
says a missing method "defaults to ``plain``". The server compares at the token endpoint (§4.6):
a mismatch is ``invalid_grant``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

from core.encoding import b64url_encode
from credentials.errors import PKCEError

__all__ = [
    "S256",
    "check_challenge",
    "check_verifier_syntax",
    "new_verifier",
    "s256",
    "verify_pkce",
]

S256 = "S256"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def s256(verifier: str) -> str:
    """§4.2: the S256 challenge of ``verifier``."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def new_verifier(random_bytes: Callable[[int], bytes]) -> str:
    """A fresh verifier from 32 random bytes (256 bits, §7.1): 43 base64url characters."""
    return b64url_encode(random_bytes(32))


def check_verifier_syntax(verifier: object) -> str:
    """§4.1: 43-128 unreserved characters."""
    if not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier):
        raise PKCEError(
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
            code="pkce_verifier_malformed",
        )
    return verifier


def check_challenge(challenge: str | None, method: str | None) -> str:
    """What a server requires of the authorization request: a challenge, method S256 (a
    missing method means ``plain``, §4.3), and the 43-character shape of an S256 value."""
    if not challenge:
        raise PKCEError(
            "code_challenge is missing; this server requires PKCE (RFC 7636) with S256",
            code="pkce_required",
        )
    if method != S256:
        raise PKCEError(
            f"code_challenge_method {method or 'missing (plain)'} is not supported; use S256",
            code="pkce_method_unsupported",
        )
    if not _CHALLENGE.fullmatch(challenge):
        raise PKCEError(
            "code_challenge must be 43 base64url characters (S256)",
            code="pkce_challenge_malformed",
        )
    return challenge


def verify_pkce(verifier: str, challenge: str) -> None:
    """§4.6: the verifier's S256 must equal the stored challenge; raises ``pkce_mismatch``."""
    check_verifier_syntax(verifier)
    if not hmac.compare_digest(s256(verifier), challenge):
        error = PKCEError(
            "the code_verifier does not match the code_challenge of the authorization request",
            code="pkce_mismatch",
        )
        error.error = "invalid_grant"
        raise error
