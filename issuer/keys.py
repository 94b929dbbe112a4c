"""The issuer's signing keys as stored state: the one active key that signs, adding and
rotating keys (each in the caller's unit of work), and the published JWKS, recomputed at most
every :data:`JWKS_CACHE_SECONDS` (which keys stay published is :func:`issuer.signing.
published_keys`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from did.keys import PrivateKey
from issuer.context import IssuerContext
from issuer.errors import ConfigurationError
from issuer.signing import jwk_entry, published_keys
from issuer.storage.models import SigningKeyRow
from issuer.storage.repos import Credentials, Keys

__all__ = ["JWKS_CACHE_SECONDS", "SigningKeys"]

log = logging.getLogger(__name__)

JWKS_CACHE_SECONDS = 30


class SigningKeys:
    """The active signing key, key rotation, and the published keys."""

    def __init__(self, context: IssuerContext) -> None:
        self.context = context
        self._jwks_cache: tuple[int, list[dict[str, Any]]] | None = None

    def ensure_active(self) -> None:
        """Create a first signing key when there is none (start-up)."""
        with self.context.session(write=True) as s:
            if Keys(s).active() is None:
                key = self.context.keys.create(self.context.settings.signing_alg)
                self.add(s, key, now=self.context.clock())
                s.commit()

    def add(self, s: Session, key: PrivateKey, *, now: int) -> str:
        kid = key.public_key.thumbprint()
        Keys(s).add(
            SigningKeyRow(
                kid=kid,
                alg=key.alg,
                public_jwk=json.dumps(jwk_entry(key.public_key)),
                created_at=now,
            )
        )
        return kid

    def active(self, s: Session) -> tuple[str, PrivateKey]:
        """The ``kid`` and private key that sign everything from now on."""
        row = Keys(s).active()
        if row is None:
            raise ConfigurationError("the issuer has no signing key", code="no_signing_key")
        return row.kid, self.context.keys.load(row.kid)

    def rotate(self, s: Session, alg: str, *, now: int) -> tuple[str, list[str]]:
        """A new active key (in ``s``); returns its ``kid`` and the ``kid`` of each key it
        retired. Call :meth:`rotated` once ``s`` has committed."""
        kid = self.add(s, self.context.keys.create(alg), now=now)
        s.flush()
        return kid, Keys(s).retire_all_except(kid, now=now)

    def rotated(self, retired: Sequence[str]) -> None:
        """After a committed rotation: publish the new key at once, and delete the retired
        keys' private files (they never sign again, so they need not exist to be stolen)."""
        self._jwks_cache = None
        for kid in retired:
            self.context.keys.destroy(kid)

    def rows(self) -> Sequence[SigningKeyRow]:
        with self.context.session() as s:
            return Keys(s).all()

    def jwks(self) -> list[dict[str, Any]]:
        """The published keys, recomputed at most every :data:`JWKS_CACHE_SECONDS` (the
        retired-key check scans credential expiries) and at once when the active key changed,
        also when another worker process rotated it."""
        now = self.context.clock()
        with self.context.session() as s:
            active = Keys(s).active()
            cached = self._jwks_cache
            if (
                cached is not None
                and cached[0] > now
                and active is not None
                and cached[1][:1] == [json.loads(active.public_jwk)]
            ):
                return cached[1]
            rows = Keys(s).all()
            latest = Credentials(s).latest_expiry_by_kid()
        kids = set(
            published_keys(
                [(r.kid, r.public_jwk, r.retired_at) for r in rows],
                latest,
                now=now,
                token_lifetime=self.context.settings.status_list_lifetime,
            )
        )
        # Newest first: a verifier that tries keys in order hits the active one first.
        keys = [json.loads(r.public_jwk) for r in reversed(rows) if r.kid in kids]
        self._jwks_cache = (now + JWKS_CACHE_SECONDS, keys)
        return keys
