"""Checking a credential's status with Token Status List (draft-ietf-oauth-status-list-21).

§8.3 validation: the credential is verified first (by the caller), then the list token is
fetched from the referenced ``uri`` (``Accept: application/statuslist+jwt``, through the
SSRF-guarded fetcher), verified with the credential issuer's own key (contracts.md), its
``sub`` must equal the ``uri``, ``exp`` must not have passed, the list is decompressed with a
hard cap (zlib bombs, §11.4), and the entry at ``idx`` is read (out of range rejects).

Caching (§13.7 and §5.1 ``ttl``): a verified token is reused until ``iat``-relative ``ttl``
(default 5 minutes, at most one day) or its ``exp``, whichever is first. When a refresh fails,
a cached token that has not reached ``exp`` is still used, and failing that the issuer-signed
token carried by a trust bundle: both say "status as of T" (the token's ``iat``). Only when no
signed, unexpired list is available is the status ``unknown``; the policy then decides.

Role-neutral and free of network code: the verifier checks presented credentials with it, the
wallet the credentials it holds (:mod:`wallet.status`). Each brings its own ``fetch`` (the
SSRF-guarded fetcher's GET with ``Accept: application/statuslist+jwt``, see
:func:`status_list_fetch`'s contract) and its own way to find the issuer's key (``key_for``),
as :mod:`credentials.issuer_keys` does.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from credentials.errors import CredentialError
from credentials.jose import JWS, parse_jws
from credentials.status_list import (
    DEFAULT_MAX_SIZE_BYTES,
    DEFAULT_MAX_TOKEN_BYTES,
    StatusListToken,
    StatusReference,
    status_name,
    status_of,
    verify_status_list_token,
)
from did.errors import DIDError
from did.keys import PublicKey

__all__ = [
    "DEFAULT_STATUS_TTL",
    "MAX_STATUS_CACHE_TTL",
    "StatusChecker",
    "StatusOutcome",
    "StatusTokenFetch",
]

log = logging.getLogger(__name__)

DEFAULT_STATUS_TTL = 300
MAX_STATUS_CACHE_TTL = 24 * 3600
_MAX_ENTRIES = 512

KeyLookup = Callable[[JWS], PublicKey]
# GET the list token at a URI (``Accept: application/statuslist+jwt``) and return its bytes;
# raises a CredentialError or DIDError (a ``fetch_*`` code) when it cannot.
StatusTokenFetch = Callable[[str], bytes]


@dataclass(frozen=True, slots=True)
class StatusOutcome:
    """``status``: ``valid``, ``invalid``, ``suspended``, another §7.1 name, or ``unknown``
    (no usable list; ``cause`` says why: a ``fetch_*`` code or ``status_list_offline`` when
    the list could not be obtained, another code when one was obtained and refused).
    ``checked_at``: the list's ``iat`` ("as of T").
    ``source``: ``network``, ``cache``, ``stale-cache`` or ``bundle``."""

    status: str
    checked_at: int | None
    source: str
    detail: str
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class _Entry:
    token: StatusListToken
    text: str
    fresh_until: int


class StatusChecker:
    """Fetches, verifies and caches status list tokens. ``fetch`` ``None``: offline (cache and
    bundle tokens only). ``max_list_bytes`` caps the decompressed list (the one cap of
    :mod:`credentials.status_list`, §11.4). Thread-safe."""

    def __init__(
        self,
        *,
        fetch: StatusTokenFetch | None = None,
        default_ttl: int = DEFAULT_STATUS_TTL,
        max_cache_ttl: int = MAX_STATUS_CACHE_TTL,
        max_list_bytes: int = DEFAULT_MAX_SIZE_BYTES,
    ) -> None:
        if not 0 < default_ttl <= max_cache_ttl:
            raise ValueError("default_ttl must be positive and at most max_cache_ttl")
        self._fetch_token = fetch
        self._default_ttl = default_ttl
        self._max_ttl = max_cache_ttl
        self._max_list_bytes = max_list_bytes
        # Keyed by (credential issuer, list URI): a list verified with one issuer's key is never
        # read for another issuer's credential that happens to point at the same URI.
        self._cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def check(
        self,
        reference: StatusReference,
        *,
        iss: str,
        key_for: KeyLookup,
        now: int,
        leeway: int,
        bundle_tokens: Mapping[str, str] | None = None,
        max_age: int | None = None,
    ) -> StatusOutcome:
        """The status of the credential entry ``reference`` points at. Never raises for an
        unavailable list (that is ``unknown``); raises :class:`StatusListError` only when the
        list is available and the index is outside it (a broken credential). ``max_age``: a
        cached list issued longer ago than this is fetched again even within its ``ttl`` (a
        high-assurance check never shows "valid" from a list older than its policy)."""
        uri = reference.uri
        with self._lock:
            entry = self._cache.get((iss, uri))
        too_old = entry is not None and max_age is not None and now - entry.token.iat > max_age
        if entry is not None and now < entry.fresh_until and not too_old:
            return self._read(entry.token, reference, "cache", "status list from cache")
        cause = "status_list_offline"
        detail = "offline, so the list was not fetched"
        if self._fetch_token is not None:
            try:
                token, text = self._fetch(uri, iss=iss, key_for=key_for, now=now, leeway=leeway)
            except (CredentialError, DIDError) as exc:
                cause, detail = exc.code, exc.message
                log.info("status list refresh failed: code=%s", exc.code)
            else:
                self._store((iss, uri), token, text, now)
                return self._read(token, reference, "network", "status list fetched from issuer")
        if entry is not None and (entry.token.exp is None or now < entry.token.exp + leeway):
            return self._read(
                entry.token, reference, "stale-cache", f"refresh failed ({cause}); cached list"
            )
        bundled = (bundle_tokens or {}).get(uri)
        if bundled is not None:
            try:
                token = self._verify(bundled, uri, iss=iss, key_for=key_for, now=now, leeway=leeway)
            except (CredentialError, DIDError) as exc:
                log.info("bundled status list unusable: code=%s", exc.code)
                cause, detail = exc.code, exc.message
            else:
                return self._read(token, reference, "bundle", "status list from the trust bundle")
        return StatusOutcome("unknown", None, "none", detail, cause)

    def _read(
        self, token: StatusListToken, reference: StatusReference, source: str, detail: str
    ) -> StatusOutcome:
        value = status_of(token, reference)
        return StatusOutcome(status_name(value), token.iat, source, detail)

    def _fetch(
        self, uri: str, *, iss: str, key_for: KeyLookup, now: int, leeway: int
    ) -> tuple[StatusListToken, str]:
        assert self._fetch_token is not None
        try:
            text = self._fetch_token(uri).decode("ascii").strip()
        except UnicodeDecodeError:
            text = ""
        return self._verify(text, uri, iss=iss, key_for=key_for, now=now, leeway=leeway), text

    def _verify(
        self, text: str, uri: str, *, iss: str, key_for: KeyLookup, now: int, leeway: int
    ) -> StatusListToken:
        jws = parse_jws(text, max_bytes=DEFAULT_MAX_TOKEN_BYTES)
        token_iss = jws.payload.get("iss")
        return verify_status_list_token(
            text,
            key_for(jws),
            uri=uri,
            now=now,
            leeway=leeway,
            max_size_bytes=self._max_list_bytes,
            # §5.1: when the token names its issuer it must be the credential's issuer.
            iss=iss if token_iss is not None else None,
        )

    def _store(self, key: tuple[str, str], token: StatusListToken, text: str, now: int) -> None:
        ttl = min(token.ttl or self._default_ttl, self._max_ttl)
        fresh_until = now + ttl
        if token.exp is not None:
            fresh_until = min(fresh_until, token.exp)
        with self._lock:
            self._cache[key] = _Entry(token, text, fresh_until)
            self._cache.move_to_end(key)
            while len(self._cache) > _MAX_ENTRIES:
                self._cache.popitem(last=False)

    def latest_tokens(self) -> dict[str, str]:
        """The issuer-signed tokens last verified, by URI (for exporting into a bundle)."""
        with self._lock:
            return {uri: entry.text for (_iss, uri), entry in self._cache.items()}

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
