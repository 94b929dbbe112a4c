"""OpenID4VP 1.0 response codes: the fresh secret that gives a same-device result only to the
device that completed the flow.

* §8.2: the response URI may answer the wallet with a ``redirect_uri``, which MUST hold a fresh,
  cryptographically random value (128 bits or more RECOMMENDED). drukid puts it in the fragment,
  ``<redirect_uri>#response_code=<code>``, which browsers never send to a server or its logs.
* §13.3 (``direct_post`` reference design): the code is linked to the stored response; the
  relying party's frontend passes it back when it fetches the result, and the verifier checks
  that it belongs to that response.
* §14.3 session fixation: whoever relays a same-device request to someone else's phone cannot
  collect that person's result without the code, which only their browser was sent.

The rules are pure functions: :func:`create_response_code` (randomness passed in; only the
SHA-256 digest is ever stored) and :func:`check_response_code` (it opens its result once, and
only while the result is kept). The service stores the digest and consumes the code with one
conditional update, so two fetches racing with the same code cannot both win.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from verifier.errors import ServiceError

__all__ = [
    "RESPONSE_CODE_BYTES",
    "ResponseCode",
    "check_response_code",
    "create_response_code",
    "invalid_response_code",
    "redirect_with_response_code",
    "response_code_digest",
]

RESPONSE_CODE_BYTES = 24  # 192 bits, over the 128 that §8.2 recommends


@dataclass(frozen=True, slots=True)
class ResponseCode:
    """A new code: ``value`` goes to the wallet once, ``digest`` is what is stored."""

    value: str
    digest: str


def response_code_digest(value: str) -> str:
    """The stored form of a code (hex SHA-256): a database leak does not reveal usable codes."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def create_response_code(token: Callable[[int], str] = secrets.token_urlsafe) -> ResponseCode:
    """A fresh code from ``token`` (``secrets.token_urlsafe`` unless a test passes its own)."""
    value = token(RESPONSE_CODE_BYTES)
    return ResponseCode(value, response_code_digest(value))


def redirect_with_response_code(
    redirect_uri: str, code: ResponseCode, *, in_query: bool = False
) -> str:
    """The ``redirect_uri`` the response URI answers the wallet with (§8.2): the code in the
    fragment, or, for a relying party whose return page is served without script (it asked
    with ``response_code_in: query``), in the query."""
    if in_query:
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}response_code={code.value}"
    return f"{redirect_uri}#response_code={code.value}"


def check_response_code(
    presented: str, *, digest: str | None, used: bool, expires_at: int | None, now: int
) -> str:
    """The digest of ``presented`` when it may open the result: it is the code issued for it
    (``digest``), not ``used`` yet, and the result is still kept (``now`` before
    ``expires_at``). Raises ``invalid_response_code`` (403) otherwise; the caller then consumes
    the digest atomically."""
    found = response_code_digest(presented)
    if (
        digest is None
        or not hmac.compare_digest(found, digest)
        or used
        or expires_at is None
        or now >= expires_at
    ):
        raise invalid_response_code()
    return found


def invalid_response_code() -> ServiceError:
    """The one refusal for a wrong, used or expired code: which one it was is not said."""
    return ServiceError(
        "the response_code is wrong, was already used or has expired",
        code="invalid_response_code",
        status=403,
    )
