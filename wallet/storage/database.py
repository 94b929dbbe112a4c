"""The wallet file: SQLite through SQLModel, every unit of work one ``BEGIN IMMEDIATE``
transaction on one session (:meth:`WalletFile.session`), the queries in :mod:`.repos`.

* WAL + ``synchronous=FULL`` (from :mod:`servicekit.database`): a write reported saved
  survives a crash or power loss; a write interrupted before commit leaves no trace.
* ``secure_delete`` overwrites deleted rows, so deleting a credential removes its (encrypted)
  keys from the file, not just from the index; a WAL checkpoint after deletes clears the log.
* ``BEGIN IMMEDIATE`` takes the write lock when the session starts, so a unit of work that
  reads the change counter and then writes cannot interleave with another process's.
* The file is created under a temporary name and linked into place only when complete, mode
  0600 in a 0700 folder: no half-created wallet, nothing readable by other users.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, SQLAlchemyError
from sqlmodel import Session, SQLModel

from servicekit.database import create_db_engine, sqlite_url
from wallet.errors import StorageError, VaultError
from wallet.storage.repos import SCHEMA_VERSION, Meta, Records

__all__ = ["WalletFile"]

log = logging.getLogger(__name__)

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


class WalletFile:
    """One wallet file and its engine; the repositories work on its sessions."""

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
                        Meta(session).initialise(header)
                        Records(session).add_all(records)
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
    def open(cls, path: Path) -> WalletFile:
        """Open an existing wallet file of this table layout (``wallet_not_found``,
        ``vault_corrupted``, ``vault_version_unsupported``)."""
        path = Path(path)
        if not path.is_file():
            raise StorageError(f"there is no wallet at {path}", code="wallet_not_found")
        file = cls(path, _engine(path))
        try:
            with file.session() as session:
                schema = Meta(session).schema()
        except BaseException:
            file.close()
            raise
        if schema != SCHEMA_VERSION:
            file.close()
            if schema is None:
                raise VaultError(f"{path.name} is not a complete wallet", code="vault_corrupted")
            raise VaultError(
                "this wallet was made by a newer drukid", code="vault_version_unsupported"
            )
        return file

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: one session in one immediate transaction, committed when the block
        ends (nothing is written if it raises). Database failures become wallet errors."""
        with _database_errors(self.path), Session(self._engine) as session:
            yield session
            session.commit()

    def checkpoint(self) -> None:
        """Copy the WAL into the file and truncate it (after deletes: secure_delete zeroed the
        deleted pages, but the WAL may still hold their old images)."""
        # Outside any transaction (isolation_level None = autocommit), or it cannot run.
        with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
            raw = self._engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.close()
            finally:
                raw.close()

    def close(self) -> None:
        self._engine.dispose()


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
