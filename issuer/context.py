"""What every issuer operation is given: the settings, the database, the key store, the
credential types, and the clock and randomness (injected, so tests fix them). Built once by
:func:`issuer.runtime.build_runtime`; the flows (:mod:`issuer.flows`), the status lists
(:mod:`issuer.status`), the signing keys (:mod:`issuer.keys`) and the operator services
(:mod:`issuer.operator`) each hold the same one.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from issuer.settings import IssuerSettings
from issuer.signing import KeyStore
from issuer.types import CredentialType

__all__ = ["DAY", "IssuerContext", "system_clock"]

DAY = 86400


def system_clock() -> int:
    return int(datetime.now(UTC).timestamp())


@dataclass
class IssuerContext:
    """The issuer's dependencies and its unit of work (:meth:`session`)."""

    settings: IssuerSettings
    engine: Engine
    keys: KeyStore
    types: Mapping[str, CredentialType]
    clock: Callable[[], int] = system_clock
    random_bytes: Callable[[int], bytes] = secrets.token_bytes
    randbelow: Callable[[int], int] = secrets.randbelow
    _write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def issuer_url(self) -> str:
        return self.settings.public_url

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One unit of work. ``write=True`` on SQLite also takes a process-wide lock: SQLite has
        one writer at a time anyway, and queueing here avoids its busy-wait back-off (sleeps of
        up to 100 ms) when many requests write at once. PostgreSQL needs no such lock."""
        lock = self._write_lock if write and self.engine.dialect.name == "sqlite" else nullcontext()
        with lock, Session(self.engine, expire_on_commit=False) as session:
            yield session
