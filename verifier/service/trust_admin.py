"""The trust registry the service works with, and the operator's changes to it.

Entries kept in the database (added over the trust API or ``drukid verifier trust add``: the
operator's own decisions) come first, then the trust file and the signed trust bundle
(:mod:`verifier.trust_sources`). The merged registry is cached for
:data:`TRUST_CACHE_SECONDS`, so a response does not re-read and re-parse it; this service's own
changes apply at once, changes made by another process (the command line) within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.encoding import dumps_compact, parse_json
from verifier.errors import ServiceError
from verifier.keys import IssuerKeys
from verifier.onboarding import discover_issuer
from verifier.service.context import ServiceContext
from verifier.storage.repos import TrustedIssuers
from verifier.trust import TrustedIssuer, TrustRegistry

__all__ = ["TRUST_CACHE_SECONDS", "TrustAdmin"]

TRUST_CACHE_SECONDS = 5.0


class TrustAdmin:
    """``file_trust(now)`` is the registry of the trust file and bundle at ``now``."""

    def __init__(
        self,
        context: ServiceContext,
        *,
        keys: IssuerKeys,
        file_trust: Callable[[int], TrustRegistry],
    ) -> None:
        self.context = context
        self.keys = keys
        self.file_trust = file_trust
        self._lock = threading.Lock()
        self._cache: tuple[float, TrustRegistry, TrustRegistry] | None = None

    def registry(self) -> TrustRegistry:
        """Database entries first, then file and bundle (cached; see the module docstring)."""
        files = self.file_trust(self.context.clock())
        with self._lock:
            cached = self._cache
            if cached is not None and cached[0] > time.monotonic() and cached[1] is files:
                return cached[2]
        with self.context.session() as session:
            rows = TrustedIssuers(session).all()
        issuers = tuple(
            TrustedIssuer.from_json(parse_json(row.entry), source="database") for row in rows
        )
        dates = [i.valid_as_of for i in issuers if i.valid_as_of is not None]
        database = TrustRegistry(
            issuers, valid_as_of=max(dates) if dates else None, source="database"
        )
        merged = TrustRegistry.merged([database, files])
        with self._lock:
            self._cache = (time.monotonic() + TRUST_CACHE_SECONDS, files, merged)
        return merged

    def _changed(self) -> None:
        with self._lock:
            self._cache = None

    def save(self, issuer: TrustedIssuer) -> TrustedIssuer:
        """Trust ``issuer`` (a new entry, or a replacement for its old one) as of now."""
        now = self.context.clock()
        entry = issuer.to_json()
        entry["valid_as_of"] = now
        with self.context.session() as session:
            TrustedIssuers(session).put(issuer.id, dumps_compact(entry), now=now)
            session.commit()
        self._changed()
        return TrustedIssuer.from_json(entry, source="database")

    def add_from_url(self, url: str, *, pin_keys: bool, name: str | None = None) -> TrustedIssuer:
        """Trust the issuer at ``url`` for the types its metadata lists
        (:func:`verifier.onboarding.discover_issuer`)."""
        issuer = discover_issuer(
            url, keys=self.keys, now=self.context.clock(), pin_keys=pin_keys, name=name
        )
        return self.save(issuer)

    def remove(self, iss: str) -> None:
        with self.context.session() as session:
            if not TrustedIssuers(session).remove(iss):
                raise ServiceError(
                    f"issuer {iss!r} is not in the database registry", code="not_found", status=404
                )
            session.commit()
        self._changed()
