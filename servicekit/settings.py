"""Rules every service's settings share.

Production is the default mode. In production the public URL must be ``https://`` and secrets
must be real; ``development`` (explicit) allows ``http://127.0.0.1:PORT`` / ``localhost`` so the
whole system runs on one laptop, and loosens the SSRF fetcher for loopback peers.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

__all__ = ["LOOPBACK_HOSTS", "Mode", "check_public_url", "check_secret"]

Mode = Literal["production", "development"]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "password", "test", "dev"})


def check_public_url(url: str, mode: Mode) -> str:
    """Return the URL without a trailing slash, or raise ValueError saying what to fix."""
    parts = urlsplit(url)
    if parts.query or parts.fragment or not parts.hostname:
        raise ValueError(f"public URL {url!r} must be like https://id.example.gov.bt[/path]")
    if parts.scheme == "https":
        return url.rstrip("/")
    if parts.scheme == "http" and mode == "development" and parts.hostname in LOOPBACK_HOSTS:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        raise ValueError(
            f"public URL {url!r} uses http: allowed only with mode=development (local testing)"
        )
    raise ValueError(f"public URL {url!r} must use https")


def check_secret(value: str, *, name: str, mode: Mode, min_length: int = 16) -> str:
    if mode == "production" and (value.lower() in _PLACEHOLDERS or len(value) < min_length):
        raise ValueError(f"{name} must be a real secret of at least {min_length} characters")
    return value
