"""What the access log may say about a request: its method, its path with every secret taken
out, its status. Never the query string, never a bearer secret in the path, never a CID.

uvicorn's ``uvicorn.access`` logger writes one line per request with the full path and query
(``GET /offers/<offer id>/qr.png``, ``/operator/search?q=<CID>``, ``?response_code=...``):
each of those lines would be a secret or personal data at rest in the operator's log files.
:class:`AccessLogRedactor` rewrites the path argument of every record before any handler
formats it. It is a few string operations per line (no regular expressions), so the log can
stay on at full load.

The path keeps its shape so an operator can still read it:

* the query is replaced by ``?…`` (its presence is kept, never its content);
* the segment after a known secret-bearing prefix (``/offers/``, ``/oid4vp/request/``, ...)
  becomes ``…``;
* any other segment that looks like a random token (16+ characters with an upper-case letter)
  or like a CID (11 digits) becomes ``…`` too, so a route added later is covered by default.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = [
    "ACCESS_LOGGER",
    "REDACTED",
    "AccessLogRedactor",
    "install_access_log_redaction",
    "redact_path",
]

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "…"
_CID_LENGTH = 11
_TOKEN_MIN_LENGTH = 16


def _looks_secret(segment: str) -> bool:
    if len(segment) == _CID_LENGTH and segment.isdigit():
        return True
    return len(segment) >= _TOKEN_MIN_LENGTH and not segment.islower() and not segment.isdigit()


def redact_path(path: str, secret_prefixes: Iterable[str] = ()) -> str:
    """``path`` (with its query, as the server received it) as the access log may show it.
    ``secret_prefixes`` end with ``/``: the segment after one is always a secret."""
    path, question, _query = path.partition("?")
    segments = path.split("/")
    for prefix in secret_prefixes:
        if path.startswith(prefix):
            index = prefix.count("/")
            if index < len(segments) and segments[index]:
                segments[index] = REDACTED
    cleaned = "/".join(REDACTED if _looks_secret(s) else s for s in segments)
    return cleaned + (f"?{REDACTED}" if question else "")


class AccessLogRedactor(logging.Filter):
    """A filter for uvicorn's access logger: its records' ``args`` are ``(client, method, path,
    http_version, status)``; the path is replaced by :func:`redact_path`'s."""

    def __init__(self, secret_prefixes: Iterable[str] = ()) -> None:
        super().__init__()
        self.secret_prefixes: tuple[str, ...] = tuple(secret_prefixes)

    def add(self, secret_prefixes: Iterable[str]) -> None:
        merged = dict.fromkeys((*self.secret_prefixes, *secret_prefixes))
        self.secret_prefixes = tuple(merged)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2], self.secret_prefixes), *args[3:])
        return True


def install_access_log_redaction(secret_prefixes: Iterable[str] = ()) -> AccessLogRedactor:
    """Put the redactor on uvicorn's access logger (once; later calls add their prefixes).
    Each role's ``create_app`` calls it, so every way of serving the app (``drukid serve``,
    ``uvicorn --factory``, several workers) logs redacted lines."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for existing in logger.filters:
        if isinstance(existing, AccessLogRedactor):
            existing.add(secret_prefixes)
            return existing
    redactor = AccessLogRedactor(secret_prefixes)
    logger.addFilter(redactor)
    return redactor
