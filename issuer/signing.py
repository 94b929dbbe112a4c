"""The issuer's signing keys: private keys on disk, public keys published.

* Each private key is a JWK file ``<kid>.jwk`` under the data directory's ``keys/`` folder,
  written atomically with mode 0600 (:meth:`did.keys.PrivateKey.save`); ``kid`` is the RFC 7638
  thumbprint, as the contracts require. ES256 by default, EdDSA on request.
* Rotation: a new key signs every new credential and status list from then on; the old key's
  private file is deleted (it will never sign again, so it need not exist to be stolen) while
  its public key stays published until the last credential it signed expires and the last
  status list token it signed has run out (:func:`published_keys`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from did.errors import KeyFormatError
from did.keys import PrivateKey, PublicKey
from issuer.errors import ConfigurationError

__all__ = ["KeyStore", "jwk_entry", "published_keys"]

log = logging.getLogger(__name__)


def jwk_entry(public_key: PublicKey) -> dict[str, str]:
    """A JWKS member: the public JWK with ``kid``, ``alg`` and ``use``."""
    return {
        **public_key.to_jwk(),
        "kid": public_key.thumbprint(),
        "alg": public_key.alg,
        "use": "sig",
    }


def published_keys(
    keys: Sequence[tuple[str, str, int | None]],
    latest_expiry: Mapping[str, int],
    *,
    now: int,
    token_lifetime: int,
) -> list[str]:
    """Which kids to publish, from ``(kid, public_jwk, retired_at)`` rows: the active key, and
    each retired key while a credential or status list token it signed can still be valid."""
    out = []
    for kid, _jwk, retired_at in keys:
        if retired_at is None:
            out.append(kid)
            continue
        if latest_expiry.get(kid, 0) > now or retired_at + token_lifetime > now:
            out.append(kid)
    return out


class KeyStore:
    """Private signing keys in ``directory``, cached in memory. Thread-safe."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    def _path(self, kid: str) -> Path:
        if not kid or any(
            c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in kid
        ):
            raise ConfigurationError(f"invalid key id {kid!r}", code="invalid_key_id")
        return self.directory / f"{kid}.jwk"

    def create(self, alg: str) -> PrivateKey:
        key = self.store(PrivateKey.generate(alg))
        log.info("created signing key %s (%s)", key.public_key.thumbprint(), alg)
        return key

    def store(self, key: PrivateKey) -> PrivateKey:
        """Keep ``key`` (a new one, or one imported from a ``drukid pki issue`` key file)."""
        kid = key.public_key.thumbprint()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        key.save(self._path(kid))
        with self._lock:
            self._cache[kid] = key
        return key

    def has(self, kid: str) -> bool:
        """Whether the private key ``kid`` is in the store (a prepared or imported key)."""
        return self._path(kid).exists()

    def load(self, kid: str) -> PrivateKey:
        with self._lock:
            cached = self._cache.get(kid)
        if cached is not None:
            return cached
        path = self._path(kid)
        try:
            key = PrivateKey.load(path)
        except KeyFormatError as exc:
            raise ConfigurationError(
                f"the signing key {kid} cannot be loaded from {path}: {exc.message}; restore it "
                "from backup or rotate keys",
                code="signing_key_unavailable",
            ) from exc
        if key.public_key.thumbprint() != kid:
            raise ConfigurationError(
                f"the key file {path} does not hold key {kid}", code="signing_key_mismatch"
            )
        if path.stat().st_mode & 0o077:
            raise ConfigurationError(
                f"the key file {path} is readable by other users; run chmod 600 on it",
                code="signing_key_exposed",
            )
        with self._lock:
            self._cache[kid] = key
        return key

    def destroy(self, kid: str) -> None:
        """Delete a retired key's private file (its public key stays in the database)."""
        with self._lock:
            self._cache.pop(kid, None)
        self._path(kid).unlink(missing_ok=True)
        log.info("deleted private signing key %s after rotation", kid)

    @staticmethod
    def public_jwk(key: PrivateKey) -> dict[str, Any]:
        return jwk_entry(key.public_key)
