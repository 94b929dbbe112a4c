"""Display names and claim labels for the teller pages: SD-JWT VC Type Metadata
(draft-ietf-oauth-sd-jwt-vc-25 §6) of the credential types trusted issuers issue, fetched
through the SSRF-guarded fetcher and kept for :data:`TYPE_METADATA_TTL` seconds, found or not,
so a page never waits on an unreachable issuer more than once in that time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from core.encoding import dumps_compact
from credentials.errors import CredentialError
from credentials.type_metadata import TypeMetadata, resolve_type_metadata
from verifier.errors import VerificationError
from verifier.keys import IssuerKeys
from verifier.trust import TrustRegistry

__all__ = ["TYPE_METADATA_TTL", "TypeMetadataCache"]

log = logging.getLogger(__name__)

# Seconds a Type Metadata document (or the failure to get one: labels then fall back to claim
# names) is reused; pages must not wait for an unreachable issuer on every view.
TYPE_METADATA_TTL = 300
_MAX_ENTRIES = 64


class TypeMetadataCache:
    """``trust()`` is the current trust registry: only types it trusts are looked up."""

    def __init__(
        self, *, keys: IssuerKeys, trust: Callable[[], TrustRegistry], clock: Callable[[], int]
    ) -> None:
        self.keys = keys
        self.trust = trust
        self.clock = clock
        self._entries: dict[str, tuple[int, TypeMetadata | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, vct: str) -> TypeMetadata | None:
        """The Type Metadata of ``vct``; ``None`` when no trusted issuer issues ``vct``
        (nothing is fetched for untrusted types) or the document cannot be had (callers fall
        back to the claim names)."""
        now = self.clock()
        with self._lock:
            cached = self._entries.get(vct)
        if cached is not None and cached[0] > now:
            return cached[1]
        found: TypeMetadata | None = None
        try:
            if any(vct in issuer.vcts for issuer in self.trust().issuers):

                def fetch(url: str) -> bytes:
                    return dumps_compact(self.keys.fetch_json(url, now=now)).encode("utf-8")

                found = resolve_type_metadata(vct, fetch)
        except (CredentialError, VerificationError) as exc:
            log.info("type metadata unavailable: vct=%s code=%s", vct, exc.code)
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[vct] = (now + TYPE_METADATA_TTL, found)
        return found
