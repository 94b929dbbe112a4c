"""One-time sign-in codes: the digits an agency gives a citizen (at the counter, by phone) so
they can sign in on the agency's authorization page with their CID.

Stored as HMAC-SHA256 keyed with the code's reference over ``CID || code`` (like the offer PIN),
compared in constant time; single use, short-lived, and a few wrong tries burn it (the flow
counts them with a conditional update). Eight digits and five tries give a guesser 5 in 10^8
per live code. Pure functions: randomness is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

__all__ = [
    "format_signin_code",
    "generate_signin_code",
    "hash_signin_code",
    "normalise_signin_code",
]


def generate_signin_code(length: int, randbelow: Callable[[int], int]) -> str:
    if not 6 <= length <= 12:
        raise ValueError("a sign-in code has 6 to 12 digits")
    return "".join(str(randbelow(10)) for _ in range(length))


def format_signin_code(code: str) -> str:
    """Grouped by four for reading aloud: ``4821 0937``."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_signin_code(text: str) -> str:
    """What a person typed, without the spaces and dashes they may add."""
    return "".join(c for c in text if c not in " -\t")[:32]


def hash_signin_code(ref: str, cid: str, code: str) -> str:
    return hmac.new(ref.encode(), f"{cid}|{code}".encode(), hashlib.sha256).hexdigest()
