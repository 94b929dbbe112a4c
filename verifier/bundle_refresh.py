"""Refreshing the signed trust bundle from a configured address (docs/offline-qr.md §7).

A fetched bundle replaces the installed one only when it is genuine (signed by the pinned
trust authority: a differently signed bundle is refused, ``trust_bundle_invalid``), current
(not expired, not from the future) and **newer** (a later ``iat`` than the installed one:
``trust_bundle_not_newer`` otherwise, so a replayed old bundle never rolls trust back). The
file is replaced atomically (a temporary file renamed over it), so a reader sees the old
bundle or the new one, never half of one. The fetch is injected (``fetch``: url → bytes).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import CodedError
from credentials.errors import CredentialError
from credentials.jose import parse_jws
from did.keys import PublicKey
from verifier.bundle import MAX_BUNDLE_BYTES, verify_trust_bundle
from verifier.errors import TrustError

__all__ = ["RefreshOutcome", "refresh_bundle"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    replaced: bool
    valid_as_of: int
    previous_as_of: int | None
    issuers: int
    status_lists: int


def _installed_as_of(path: Path, key: PublicKey, now: int, leeway: int) -> int | None:
    try:
        token = path.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        # An installed bundle past its exp still says how new it was: compare against its iat.
        found = verify_trust_bundle(token, key, now=now, leeway=leeway)
    except TrustError as exc:
        if exc.code != "trust_bundle_expired":
            return None
        return _expired_iat(token)
    return found.valid_as_of


def _expired_iat(token: str) -> int | None:
    try:
        iat = parse_jws(token.strip(), max_bytes=MAX_BUNDLE_BYTES).payload.get("iat")
    except CredentialError:
        return None
    return iat if isinstance(iat, int) and not isinstance(iat, bool) else None


def refresh_bundle(
    *,
    url: str,
    path: Path,
    authority_key: PublicKey,
    fetch: Callable[[str], bytes],
    now: int,
    leeway: int = 60,
) -> RefreshOutcome:
    """Fetch the bundle at ``url`` and install it at ``path`` if genuine and newer."""
    try:
        raw = fetch(url)
    except CodedError as exc:
        raise TrustError(
            f"the trust bundle could not be fetched from {url}: {exc.message}",
            code="trust_bundle_fetch_failed",
            cause=exc.code,
        ) from exc
    if len(raw) > MAX_BUNDLE_BYTES:
        raise TrustError(
            "the fetched trust bundle is larger than 8 MiB", code="trust_bundle_invalid"
        )
    try:
        token = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise TrustError(
            "the fetched trust bundle is not text", code="trust_bundle_invalid"
        ) from exc
    found = verify_trust_bundle(token, authority_key, now=now, leeway=leeway)
    assert found.valid_as_of is not None
    previous = _installed_as_of(path, authority_key, now, leeway)
    if previous is not None and found.valid_as_of <= previous:
        raise TrustError(
            f"the fetched trust bundle (issued at {found.valid_as_of}) is not newer than the "
            f"installed one (issued at {previous}); the installed bundle is kept",
            code="trust_bundle_not_newer",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(token + "\n", encoding="utf-8")
    os.replace(temporary, path)
    log.info("trust bundle refreshed: iat=%s (was %s)", found.valid_as_of, previous)
    return RefreshOutcome(
        True, found.valid_as_of, previous, len(found.issuers), len(found.status_tokens)
    )
