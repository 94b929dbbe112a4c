"""Trust data that lives in files: a trust file and a signed trust bundle.

Files are re-read when they change (an operator dropping in a new bundle needs no restart),
and an expired bundle stops counting at its ``exp``: stale trust fails closed, with a log line
saying what to do, while the database and trust-file entries keep working.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from core.encoding import EncodingError, parse_json
from did.errors import DIDError
from did.keys import PublicKey
from verifier.bundle import verify_trust_bundle
from verifier.errors import TrustError
from verifier.trust import TrustRegistry

__all__ = ["TrustSources", "load_authority_key"]

log = logging.getLogger(__name__)


def load_authority_key(value: str) -> PublicKey:
    """The trust authority's public key from JWK JSON text or a file holding it."""
    text = value.strip()
    if not text.startswith("{"):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise TrustError(
                f"cannot read the trust authority key {value}: {exc.strerror}",
                code="trust_authority_key_invalid",
            ) from exc
    try:
        jwk = parse_json(text)
        if not isinstance(jwk, dict) or "d" in jwk:
            raise TrustError(
                "the pinned trust authority key must be a public JWK",
                code="trust_authority_key_invalid",
            )
        return PublicKey.from_jwk(jwk)
    except (EncodingError, DIDError) as exc:
        raise TrustError(
            f"the trust authority key is not a usable JWK: {exc.message}",
            code="trust_authority_key_invalid",
        ) from exc


class TrustSources:
    """A trust file and/or a bundle, each optional, re-read when its modification time
    changes. :meth:`registry` merges them (file first)."""

    def __init__(
        self,
        *,
        trust_file: Path | None = None,
        bundle_file: Path | None = None,
        authority_key: PublicKey | None = None,
        leeway: int = 60,
    ) -> None:
        if bundle_file is not None and authority_key is None:
            raise TrustError(
                "a trust bundle needs the pinned trust authority key",
                code="trust_authority_key_invalid",
            )
        self._file = trust_file
        self._bundle = bundle_file
        self._authority = authority_key
        self._leeway = leeway
        self._cache: dict[Path, tuple[int, TrustRegistry]] = {}
        self._merged: tuple[tuple[int, ...], TrustRegistry] | None = None
        self._empty = TrustRegistry(source="empty")
        self._lock = threading.Lock()

    def _read(self, path: Path, now: int) -> TrustRegistry:
        try:
            stamp = path.stat().st_mtime_ns
        except OSError as exc:
            raise TrustError(
                f"cannot read {path}: {exc.strerror}", code="trust_file_unreadable"
            ) from exc
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        if path == self._bundle:
            assert self._authority is not None
            token = path.read_text(encoding="utf-8")
            registry = verify_trust_bundle(token, self._authority, now=now, leeway=self._leeway)
        else:
            registry = TrustRegistry.load(path)
        with self._lock:
            self._cache[path] = (stamp, registry)
        return registry

    @property
    def authority(self) -> PublicKey | None:
        """The pinned trust authority key (the one a bundle must be signed with)."""
        return self._authority

    def bundle(self, now: int) -> TrustRegistry | None:
        """The signed bundle alone (offline checks trust nothing else), ``None`` when there is
        none or it has expired. Raises :class:`TrustError` for a bundle that is not genuine."""
        if self._bundle is None or not self._bundle.exists():
            return None
        bundle = self._read(self._bundle, now)
        if bundle.expires_at is not None and now >= bundle.expires_at + self._leeway:
            return None
        return bundle

    def registry(self, now: int) -> TrustRegistry:
        """The current file-based trust. Raises :class:`TrustError` for a broken trust file; a
        bundle that has expired since it was loaded is left out (and logged)."""
        parts: list[TrustRegistry] = []
        if self._file is not None:
            parts.append(self._read(self._file, now))
        if self._bundle is not None:
            bundle = self._read(self._bundle, now)
            if bundle.expires_at is not None and now >= bundle.expires_at + self._leeway:
                log.warning("trust bundle expired at %s; load a current one", bundle.expires_at)
            else:
                parts.append(bundle)
        if not parts:
            return self._empty
        key = tuple(id(part) for part in parts)
        with self._lock:
            if self._merged is not None and self._merged[0] == key:
                return self._merged[1]  # the same object while nothing changed (cacheable)
            merged = TrustRegistry.merged(parts)
            self._merged = (key, merged)
        return merged
