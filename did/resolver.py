"""DID resolution (W3C DID Core 1.0 §7.1) for did:key, did:jwk and did:web, with a cache.

* did:key and did:jwk are derived from the identifier: no network, nothing to cache.
* did:web is fetched through :class:`did.fetch.Fetcher` (HTTPS, SSRF rules) and cached for
  ``cache_ttl`` seconds by the injected monotonic ``clock``; successes are, so a verifier keeps
  working through short outages. Failures are not cached by default, so a flaky link in the
  hills recovers on the next try; a server that resolves DIDs named by strangers (the issuer,
  for proof ``kid``s) sets ``failure_ttl`` so a slow or dead host costs one fetch timeout per
  few seconds, not one per request, and ``max_concurrent`` so at most that many fetches hold a
  thread at once; one more fails at once with ``did_web_busy`` instead of queueing.
* ``documents`` pins documents by DID (offline trust bundles, tests): a pinned document wins over
  the network and never expires.
* Without a fetcher, did:web fails with ``did_web_offline`` instead of reaching for the network.

Fetch refusals surface as :class:`did.errors.FetchError` (also a ``DIDError``) with their own
codes, because "blocked address" and "timeout" call for different fixes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from did.document import DIDDocument, parse_did, split_did_url
from did.errors import DIDError, FetchError, InvalidDIDError, ResolutionError
from did.fetch import Fetcher
from did.keys import PublicKey
from did.methods.jwk import resolve_did_jwk
from did.methods.key import resolve_did_key
from did.methods.web import did_web_to_url, parse_did_web_document

__all__ = ["DID_JSON_MEDIA_TYPES", "SUPPORTED_METHODS", "Resolver", "resolve"]

log = logging.getLogger(__name__)

SUPPORTED_METHODS = ("key", "jwk", "web")
DID_JSON_MEDIA_TYPES = "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8"
MAX_CACHE_ENTRIES = 1024  # a hostile stream of distinct DIDs cannot grow memory without bound

_OFFLINE: dict[str, Callable[[str], DIDDocument]] = {
    "key": resolve_did_key,
    "jwk": resolve_did_jwk,
}


class Resolver:
    """Resolves DIDs to documents and DID URLs to keys. Thread-safe."""

    def __init__(
        self,
        *,
        fetcher: Fetcher | None = None,
        cache_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        documents: Mapping[str, DIDDocument] | None = None,
        failure_ttl: float = 0.0,
        max_concurrent: int | None = None,
    ) -> None:
        if cache_ttl < 0 or failure_ttl < 0:
            raise ValueError("cache_ttl and failure_ttl must not be negative")
        if max_concurrent is not None and max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._failure_ttl = failure_ttl
        self._failures: OrderedDict[str, tuple[float, str, str]] = OrderedDict()
        self._slots = None if max_concurrent is None else threading.BoundedSemaphore(max_concurrent)
        self._fetcher = fetcher
        self._ttl = cache_ttl
        self._clock = clock
        self._pinned = dict(documents or {})
        for did, document in self._pinned.items():
            if document.id != did:
                raise ResolutionError(
                    f"pinned document for {did} has id {document.id}", code="did_id_mismatch"
                )
        self._cache: OrderedDict[str, tuple[float, DIDDocument]] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, did: str) -> DIDDocument:
        """The DID document of ``did``. Raises a :class:`did.errors.DIDError` subclass."""
        method, _ = parse_did(did)
        pinned = self._pinned.get(did)
        if pinned is not None:
            return pinned
        offline = _OFFLINE.get(method)
        if offline is not None:
            return offline(did)
        if method != "web":
            raise InvalidDIDError(
                f"did:{method} is not supported; use did:key, did:jwk or did:web",
                code="unsupported_did_method",
            )
        return self._resolve_web(did)

    def resolve_key(self, did_url: str, *, relationship: str | None = None) -> PublicKey:
        """The key a DID URL names: ``did:web:...#key-1``, ``did:jwk:...#0``, ``did:key:z..#z..``.

        ``relationship`` (``"assertionMethod"``/``"authentication"``) additionally requires the
        key to be authorised for that purpose in the document.
        """
        did, fragment = split_did_url(did_url)
        if fragment is None:
            raise ResolutionError(
                "a key reference needs a #fragment naming the verification method",
                code="key_not_found",
            )
        return self.resolve(did).find_key(did_url, relationship=relationship)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _resolve_web(self, did: str) -> DIDDocument:
        url = did_web_to_url(did)  # validates the identifier before anything else
        now = self._clock()
        with self._lock:
            entry = self._cache.get(did)
            if entry is not None and entry[0] > now:
                return entry[1]
            failed = self._failures.get(did)
        if self._fetcher is None:
            raise ResolutionError(
                f"{did} needs the network to resolve and this resolver is offline; "
                "add its document to the trust bundle or resolve with network access",
                code="did_web_offline",
            )
        if failed is not None and failed[0] > now:
            raise ResolutionError(
                f"{did} could not be resolved a moment ago ({failed[2]}); try again shortly",
                code=failed[1],
            )
        try:
            document = parse_did_web_document(did, self._bounded_fetch(did, url, self._fetcher))
        except DIDError as exc:
            if self._failure_ttl > 0 and exc.code != "did_web_busy":
                with self._lock:
                    self._failures[did] = (self._clock() + self._failure_ttl, exc.code, exc.message)
                    self._failures.move_to_end(did)
                    while len(self._failures) > MAX_CACHE_ENTRIES:
                        self._failures.popitem(last=False)
            raise
        if self._ttl > 0:
            with self._lock:
                self._cache[did] = (self._clock() + self._ttl, document)
                self._cache.move_to_end(did)
                while len(self._cache) > MAX_CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return document

    def _bounded_fetch(self, did: str, url: str, fetcher: Fetcher) -> bytes:
        if self._slots is None:
            return self._fetch(did, url, fetcher)
        if not self._slots.acquire(blocking=False):
            raise ResolutionError(
                f"too many DID documents are being fetched at once; {did} was not tried",
                code="did_web_busy",
            )
        try:
            return self._fetch(did, url, fetcher)
        finally:
            self._slots.release()

    @staticmethod
    def _fetch(did: str, url: str, fetcher: Fetcher) -> bytes:
        try:
            return fetcher.get(url, accept=DID_JSON_MEDIA_TYPES).content
        except FetchError as exc:
            # Development only: a local issuer on plain HTTP. A TLS or connection failure on
            # https:// then retries over http://; never when the policy forbids HTTP.
            if not fetcher.policy.allow_http or exc.code != "fetch_failed":
                raise
        log.warning("did:web over plain HTTP (development mode): %s", url.split("/")[2])
        return fetcher.get(did_web_to_url(did, scheme="http"), accept=DID_JSON_MEDIA_TYPES).content


def resolve(did: str) -> DIDDocument:
    """Resolve ``did`` once with default, HTTPS-only settings and no cache."""
    method, _ = parse_did(did)
    if method != "web":
        return Resolver().resolve(did)
    with Fetcher() as fetcher:
        return Resolver(fetcher=fetcher).resolve(did)
