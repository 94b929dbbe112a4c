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

from did.errors import FetchError
from wallet.errors import NetworkError

__all__ = ["CONTROL_CHARACTERS", "NOT_SENT_CODES", "describe_error", "network_errors"]

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
