"""Time checks for JWTs (RFC 7519 §4.1.4-4.1.6), with bounded leeway.

Spec modules never read the clock: the current time is an argument (UNIX seconds), so every
check is reproducible in a test. :func:`system_time` is for the edges (CLIs, services).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from credentials.errors import MalformedError, ValidityError

__all__ = [
    "DEFAULT_LEEWAY",
    "MAX_LEEWAY",
    "MIN_LEEWAY",
    "check_leeway",
    "numeric_date",
    "system_time",
    "time_value",
    "verify_time_claims",
]

DEFAULT_LEEWAY = 60
MIN_LEEWAY = 0
MAX_LEEWAY = 300


def system_time() -> int:
    return int(time.time())


def check_leeway(leeway: int) -> int:
    """Leeway is clock skew tolerance, not a validity extension: bounded to [0, 300] seconds."""
    # bool is an int in Python; True as "1 second" is a caller bug, not a leeway.
    if isinstance(leeway, bool) or not isinstance(leeway, int):
        raise ValueError(f"leeway must be whole seconds, not {leeway!r}")
    if not MIN_LEEWAY <= leeway <= MAX_LEEWAY:
        raise ValueError(f"leeway must be between {MIN_LEEWAY} and {MAX_LEEWAY} seconds")
    return leeway


def time_value(claims: Mapping[str, Any], name: str) -> int | float | None:
    """A NumericDate claim exactly as given (RFC 7519 §2: seconds, non-integer values allowed),
    ``None`` when absent. Strings, booleans, arrays, objects and infinities are malformed
    (``invalid_claim``)."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedError(f"claim {name!r} must be a number of seconds", code="invalid_claim")
    if isinstance(value, float) and not math.isfinite(value):
        # int(inf) raises OverflowError; claims built in Python can carry one.
        raise MalformedError(f"claim {name!r} is not a finite number", code="invalid_claim")
    return value


def numeric_date(claims: Mapping[str, Any], name: str) -> int | None:
    """A NumericDate claim as whole seconds (fractions dropped), ``None`` when absent;
    non-numbers are malformed. Comparisons use :func:`time_value`, which keeps fractions."""
    value = time_value(claims, name)
    return None if value is None else int(value)


def verify_time_claims(
    claims: Mapping[str, Any],
    *,
    now: int,
    leeway: int = DEFAULT_LEEWAY,
    require_iat: bool = False,
    require_exp: bool = False,
) -> None:
    """Raise :class:`ValidityError` (``expired``, ``not_yet_valid``, ``issued_in_future``,
    ``missing_claim``) unless ``exp``/``nbf``/``iat`` admit ``now``."""
    check_leeway(leeway)
    # Exact values: truncating nbf 100.5 to 100 would admit the token half a second early.
    exp = time_value(claims, "exp")
    nbf = time_value(claims, "nbf")
    iat = time_value(claims, "iat")
    if require_exp and exp is None:
        raise ValidityError("the token has no expiry time ('exp')", code="missing_claim")
    if require_iat and iat is None:
        raise ValidityError("the token has no issuance time ('iat')", code="missing_claim")
    if exp is not None and now >= exp + leeway:
        raise ValidityError(f"expired at {exp}", code="expired")
    if nbf is not None and now + leeway < nbf:
        raise ValidityError(f"not valid before {nbf}", code="not_yet_valid")
    if iat is not None and now + leeway < iat:
        raise ValidityError(f"issued in the future ({iat})", code="issued_in_future")
