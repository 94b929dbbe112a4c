"""Repositories: every query the wallet runs, one small class per table, each over the session
of one unit of work (:meth:`wallet.storage.database.WalletFile.session`).

Nothing here sees plaintext: the rows hold the vault header and sealed records, and what they
mean is :mod:`wallet.storage.store`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from wallet.errors import StorageError, VaultError
from wallet.storage.models import WalletMeta, WalletRecord

__all__ = ["SCHEMA_VERSION", "Meta", "Records"]

SCHEMA_VERSION = b"1"
_HEADER, _GENERATION, _SCHEMA = "header", "generation", "schema"


class Meta:
    """``wallet_meta``: the vault header, the change counter (``generation``, for concurrent
    writers) and the table layout version (``schema``)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _get(self, name: str) -> bytes | None:
        row = self.s.get(WalletMeta, name)
        return None if row is None else bytes(row.value)

    def initialise(self, header: bytes) -> None:
        """The values of a new wallet: this layout, its header, generation 0."""
        self.s.add(WalletMeta(name=_SCHEMA, value=SCHEMA_VERSION))
        self.s.add(WalletMeta(name=_HEADER, value=header))
        self.s.add(WalletMeta(name=_GENERATION, value=b"0"))

    def schema(self) -> bytes | None:
        return self._get(_SCHEMA)

    def header(self) -> bytes:
        value = self._get(_HEADER)
        if value is None:
            raise VaultError("the wallet has no key record", code="vault_header_invalid")
        return value

    def set_header(self, header: bytes) -> None:
        self.s.merge(WalletMeta(name=_HEADER, value=header))

    def generation(self) -> int:
        value = self._get(_GENERATION)
        if value is None or not value.isdigit():
            raise VaultError("the wallet's change counter is damaged", code="vault_corrupted")
        return int(value)

    def advance(self, expected: int) -> int:
        """Move the change counter from ``expected`` to the next value and return it;
        ``wallet_changed_elsewhere`` when another process committed since ``expected`` was
        read. Inside the immediate transaction, so the check and the write are one step."""
        row = self.s.get(WalletMeta, _GENERATION)
        if row is None or int(row.value) != expected:
            raise StorageError(
                "the wallet was changed by another program", code="wallet_changed_elsewhere"
            )
        row.value = str(expected + 1).encode("ascii")
        self.s.add(row)
        return expected + 1


class Records:
    """``wallet_record``: sealed records by (kind, id)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def keys(self) -> set[tuple[str, str]]:
        """Every (kind, id) stored: compared with the catalog to detect removed rows."""
        rows = self.s.exec(select(WalletRecord.kind, WalletRecord.id)).all()
        return {(kind, ident) for kind, ident in rows}

    def get(self, kind: str, ident: str) -> bytes | None:
        row = self.s.get(WalletRecord, (kind, ident))
        return None if row is None else bytes(row.blob)

    def get_all(self, kind: str) -> dict[str, bytes]:
        rows = self.s.exec(select(WalletRecord).where(WalletRecord.kind == kind)).all()
        return {row.id: bytes(row.blob) for row in rows}

    def add_all(self, records: Iterable[tuple[str, str, bytes]]) -> None:
        """Add new records (a new wallet's first ones)."""
        for kind, ident, blob in records:
            self.s.add(WalletRecord(kind=kind, id=ident, blob=blob))

    def put_all(self, records: Iterable[tuple[str, str, bytes]]) -> None:
        """Insert or replace records."""
        rows = [{"kind": kind, "id": ident, "blob": blob} for kind, ident, blob in records]
        if rows:
            # One executemany upsert: 10,000 records in one statement, not 10,000 ORM merges.
            upsert = sqlite_insert(WalletRecord)
            upsert = upsert.on_conflict_do_update(
                index_elements=["kind", "id"], set_={"blob": upsert.excluded.blob}
            )
            self.s.connection().execute(upsert, rows)

    def delete(self, kind: str, ident: str) -> None:
        self.s.connection().execute(
            delete(WalletRecord).where(
                col(WalletRecord.kind) == kind, col(WalletRecord.id) == ident
            )
        )
