"""The one URI check the credential formats need: is a string an absolute URI (RFC 3986 §3)?

``scheme ":" ...`` with an RFC 3986 §3.1 scheme and no whitespace or control characters. This is
deliberately a syntax check only; dereferencing is the SSRF-guarded fetcher's business.
"""

from __future__ import annotations

import re

__all__ = ["is_absolute_uri"]

_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20\x7f]*")


def is_absolute_uri(value: object) -> bool:
    return isinstance(value, str) and _ABSOLUTE_URI.fullmatch(value) is not None
