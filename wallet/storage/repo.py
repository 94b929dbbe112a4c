"""The wallet file: SQLite through SQLModel, every write one ``BEGIN IMMEDIATE`` transaction.

* WAL + ``synchronous=FULL`` (from :mod:`servicekit.database`): a write reported saved
  survives a crash or power loss; a write interrupted before commit leaves no trace.
* ``secure_delete`` overwrites deleted rows, so deleting a credential removes its (encrypted)
  keys from the file, not just from the index; a WAL checkpoint after deletes clears the log.
* Optimistic concurrency: every write names the generation it started from, checked inside the
  immediate (write-locked) transaction, so two drukid windows cannot silently lose each
  other's changes.
* The file is created under a temporary name and linked into place only when complete, mode
  0600 in a 0700 folder: no half-created wallet, nothing readable by other users.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from servicekit.database import create_db_engine, sqlite_url
from wallet.errors import StorageError, VaultError
from wallet.storage.models import WalletMeta, WalletRecord

__all__ = ["SCHEMA_VERSION", "RecordRepository"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = b"1"
_HEADER, _GENERATION, _SCHEMA = "header", "generation", "schema"
_TABLES = ("wallet_meta", "wallet_record")


def _wallet_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's deferred BEGIN.
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _engine(path: Path) -> Engine:
    engine = create_db_engine(sqlite_url(path))
    event.listen(engine, "connect", _wallet_pragmas)
    event.listen(engine, "begin", _begin_immediate)
    return engine


@contextlib.contextmanager
def _database_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:
        original = exc.orig
        detail = str(original).lower()
        if isinstance(original, sqlite3.DatabaseError) and (
            "malformed" in detail or "not a database" in detail or "no such table" in detail
        ):
            raise VaultError(
                f"{path.name} is damaged or is not a drukid wallet", code="vault_corrupted"
            ) from exc
        log.warning("wallet storage error: %s", type(original).__name__)
        raise StorageError(f"the wallet file could not be used: {original}") from exc
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"the wallet file could not be used: {exc}") from exc


class RecordRepository:
    """Sealed records and the vault header in one SQLite file."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self._engine = engine

    @classmethod
    def create(cls, path: Path, header: bytes, records: Sequence[tuple[str, str, bytes]]) -> None:
        """Create the file with its header and first records, all or nothing."""
        path = Path(path)
        if path.exists():
            raise StorageError(f"{path} already exists", code="wallet_exists")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
        temporary = path.with_name(f".{path.name}.{os.getpid()}.creating")
        for leftover in _sqlite_files(temporary):
            leftover.unlink(missing_ok=True)
        try:
            with _database_errors(path):
                os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                engine = _engine(temporary)
                try:
                    # Only our tables: other roles' models share SQLModel's global metadata.
                    tables = [SQLModel.metadata.tables[name] for name in _TABLES]
                    SQLModel.metadata.create_all(engine, tables=tables)
                    with Session(engine) as session:
                        session.add(WalletMeta(name=_SCHEMA, value=SCHEMA_VERSION))
                        session.add(WalletMeta(name=_HEADER, value=header))
                        session.add(WalletMeta(name=_GENERATION, value=b"0"))
                        for kind, ident, blob in records:
                            session.add(WalletRecord(kind=kind, id=ident, blob=blob))
                        session.commit()
                finally:
                    engine.dispose()  # the last connection checkpoints and removes the WAL
            try:
                os.link(temporary, path)  # fails if a wallet appeared there meanwhile
            except FileExistsError:
                raise StorageError(f"{path} already exists", code="wallet_exists") from None
            except OSError as exc:
                raise StorageError(f"cannot create {path}: {exc.strerror}") from exc
        finally:
            for leftover in _sqlite_files(temporary):
                leftover.unlink(missing_ok=True)

    @classmethod
    def open(cls, path: Path) -> RecordRepository:
        path = Path(path)
        if not path.is_file():
            raise StorageError(f"there is no wallet at {path}", code="wallet_not_found")
        repo = cls(path, _engine(path))
        schema = repo._meta(_SCHEMA)
        if schema != SCHEMA_VERSION:
            repo.close()
            if schema is None:
                raise VaultError(f"{path.name} is not a complete wallet", code="vault_corrupted")
            raise VaultError(
                "this wallet was made by a newer drukid", code="vault_version_unsupported"
            )
        return repo

    def close(self) -> None:
        self._engine.dispose()

    def _meta(self, name: str) -> bytes | None:
        with _database_errors(self.path), Session(self._engine) as session:
            row = session.get(WalletMeta, name)
            return None if row is None else bytes(row.value)

    def header(self) -> bytes:
        value = self._meta(_HEADER)
        if value is None:
            raise VaultError("the wallet has no key record", code="vault_header_invalid")
        return value

    def generation(self) -> int:
        value = self._meta(_GENERATION)
        if value is None or not value.isdigit():
            raise VaultError("the wallet's change counter is damaged", code="vault_corrupted")
        return int(value)

    def keys(self) -> set[tuple[str, str]]:
        """Every (kind, id) stored: compared with the catalog to detect removed rows."""
        with _database_errors(self.path), Session(self._engine) as session:
            rows = session.exec(select(WalletRecord.kind, WalletRecord.id)).all()
            return {(kind, ident) for kind, ident in rows}

    def get(self, kind: str, ident: str) -> bytes | None:
        with _database_errors(self.path), Session(self._engine) as session:
            row = session.get(WalletRecord, (kind, ident))
            return None if row is None else bytes(row.blob)

    def get_all(self, kind: str) -> dict[str, bytes]:
        with _database_errors(self.path), Session(self._engine) as session:
            rows = session.exec(select(WalletRecord).where(WalletRecord.kind == kind)).all()
            return {row.id: bytes(row.blob) for row in rows}

    def commit(
        self,
        *,
        expected_generation: int,
        puts: Iterable[tuple[str, str, bytes]] = (),
        deletes: Iterable[tuple[str, str]] = (),
        header: bytes | None = None,
    ) -> int:
        """Apply one change atomically; return the new generation.

        ``wallet_changed_elsewhere`` when another process committed since
        ``expected_generation`` was read (nothing is written then).
        """
        deletes = list(deletes)
        rows = [{"kind": kind, "id": ident, "blob": blob} for kind, ident, blob in puts]
        with _database_errors(self.path), Session(self._engine) as session:
            row = session.get(WalletMeta, _GENERATION)
            if row is None or int(row.value) != expected_generation:
                raise StorageError(
                    "the wallet was changed by another program", code="wallet_changed_elsewhere"
                )
            connection = session.connection()
            for kind, ident in deletes:
                connection.execute(
                    delete(WalletRecord).where(
                        col(WalletRecord.kind) == kind, col(WalletRecord.id) == ident
                    )
                )
            if rows:
                # One executemany upsert: 10,000 records in one statement, not 10,000 ORM merges.
                upsert = sqlite_insert(WalletRecord)
                upsert = upsert.on_conflict_do_update(
                    index_elements=["kind", "id"], set_={"blob": upsert.excluded.blob}
                )
                connection.execute(upsert, rows)
            if header is not None:
                session.merge(WalletMeta(name=_HEADER, value=header))
            new_generation = expected_generation + 1
            row.value = str(new_generation).encode("ascii")
            session.add(row)
            session.commit()
        if deletes:
            self._checkpoint()
        return new_generation

    def _checkpoint(self) -> None:
        # Deleted pages are zeroed by secure_delete; the WAL may still hold the old page
        # images until a checkpoint copies and truncates it.
        # Outside any transaction (isolation_level None = autocommit), or it cannot run.
        with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
            raw = self._engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.close()
            finally:
                raw.close()


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
