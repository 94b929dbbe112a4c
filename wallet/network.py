"""The wallet's side of the network: fetcher errors turned into errors a citizen can act on,
and what the other side says made safe to show.

All requests go through :class:`did.fetch.Fetcher` (HTTPS only in production, SSRF checks on
every hop, time and size caps). Here a :class:`did.errors.FetchError` becomes a
:class:`wallet.errors.NetworkError` whose code says what kind of failure it was, because "move
to a better signal" and "do not use this QR code" are different advice.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping

from did.errors import DIDError, FetchError
from did.fetch import FetchResponse
from wallet.errors import NetworkError, WalletError, hint_for, known_code

__all__ = [
    "CODE_ALIASES",
    "CONTROL_CHARACTERS",
    "NOT_SENT_CODES",
    "describe_error",
    "error_body",
    "network_errors",
    "service_error",
]

_CODES = {
    "fetch_timeout": "network_timeout",
    "fetch_failed": "network_failed",
    "fetch_blocked_address": "network_refused",
    "fetch_insecure_scheme": "network_refused",
    "fetch_invalid_url": "network_refused",
    "fetch_too_large": "network_response_too_large",
    "fetch_redirect_refused": "network_redirect_refused",
    "fetch_too_many_redirects": "network_redirect_refused",
    "fetch_http_status": "network_bad_status",
    "fetch_invalid_json": "network_bad_response",
}
# Failures that happen before a single byte leaves the device.
NOT_SENT_CODES = frozenset({"network_refused"})
# Control and bidi-override characters: text from the other side loses them before it is shown
# (they could make a terminal or a page read as something else).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A code a service answers with, as drukid's services shape theirs; anything else is not shown.
_SERVICE_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Services' codes that name a failure the wallet has its own documented code for.
CODE_ALIASES = {"tx_code_wrong": "tx_code_invalid"}


@contextlib.contextmanager
def network_errors(what: str) -> Iterator[None]:
    """Run a request; a fetch failure becomes ``NetworkError`` saying what was being fetched."""
    try:
        yield
    except FetchError as exc:
        code = _CODES.get(exc.code, "network_failed")
        raise NetworkError(
            f"{what}: {exc.message}",
            code=code,
            upstream_status=exc.upstream_status,
            not_sent=exc.not_sent or code in NOT_SENT_CODES,
        ) from exc


def describe_error(body: object) -> str:
    """``error: description`` from an OAuth error body, cleaned for a terminal (no control or
    bidi characters, at most 200 characters): the text comes from the other side."""
    if not isinstance(body, Mapping):
        return "no explanation given"
    error = body.get("error")
    description = body.get("error_description")
    text = error if isinstance(error, str) else "error"
    if isinstance(description, str) and description:
        text = f"{text}: {description}"
    return CONTROL_CHARACTERS.sub("", text)[:200]


def error_body(response: FetchResponse) -> object:
    """The JSON of an error response, ``None`` when it has none (a refusal may be plain)."""
    if not response.content:
        return None
    try:
        return response.json()
    except DIDError:
        return None


def service_error(
    body: object,
    *,
    status: int,
    said_by: str,
    kind: type[WalletError],
    fallback: str,
    unexplained: str,
    fallback_hint: str | None = None,
) -> WalletError:
    """The error a service answered (RFC 6749 §5.2 JSON, as OpenID4VCI §6.3 and §8.3.1.2 and
    OpenID4VP §8.5 use, plus drukid's own ``code``), passed on in the service's own words and
    code: "this offer has expired; ask the agency for a new one" (``offer_expired``), never
    "HTTP 410". The next step is the wallet's own for the codes it knows, else what the service
    said. Without drukid's ``code`` (another implementation) the code is ``fallback``, with
    ``fallback_hint`` when given; without words the message is ``unexplained``."""
    code, words, registered = fallback, "", ""
    if isinstance(body, Mapping):
        # drukid's own ``code`` is passed on; a bare registered ``error`` (``invalid_grant``)
        # is protocol jargon, so the wallet's own code for the step stands.
        value = body.get("code")
        if isinstance(value, str) and _SERVICE_CODE.fullmatch(value):
            code = CODE_ALIASES.get(value, value)
        said = body.get("error_description")
        if isinstance(said, str):
            words = CONTROL_CHARACTERS.sub("", said).strip()[:300]
        error = body.get("error")
        if isinstance(error, str) and _SERVICE_CODE.fullmatch(error):
            registered = error
    if words:
        message = f"{said_by} says: {words}"
    else:
        message = f"{unexplained} ({registered or f'HTTP {status}'})"
    if code == fallback and fallback_hint is not None:
        hint = fallback_hint
    elif known_code(code):
        hint = hint_for(code)
    else:
        hint = f"That is {said_by}'s own answer: do what it says. If it is not clear, contact them."
    return kind(message, code=code, hint=hint)
