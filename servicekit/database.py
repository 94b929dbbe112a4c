"""Database engines: SQLite by default (a file under the data directory), PostgreSQL or any
SQLAlchemy URL for scale. SQLite runs in WAL mode with foreign keys on and a busy timeout so
concurrent requests queue instead of failing with "database is locked".

Durability is not traded for speed: SQLite syncs every commit (``synchronous=FULL``; with WAL,
NORMAL could lose the last commits on power loss, and a lost commit could hand a status index
out twice or drop an issued credential's record), and :func:`durability_problem` says when a
PostgreSQL server would acknowledge a commit it could still lose (``fsync`` or
``synchronous_commit`` off), which production refuses."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

__all__ = [
    "StorageFault",
    "create_db_engine",
    "durability_problem",
    "redact_url",
    "sqlite_url",
    "storage_fault",
]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs and error messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by create_db_engine
        return "<unparsable database URL>"


@dataclass(frozen=True, slots=True)
class StorageFault:
    """Why the database refused: ``code`` (the roles' 503 code), ``cause`` (for the log line:
    ``disk full``, ``read-only``, ``locked``, ``unreachable``) and what the operator does."""

    code: str
    cause: str
    what_to_do: str


_FAULTS = (
    # SQLite's SQLITE_FULL, the OS's ENOSPC, PostgreSQL's disk_full (SQLSTATE 53100).
    (
        ("database or disk is full", "no space left", "disk full", "could not extend file"),
        StorageFault(
            "storage_full", "disk full", "free space on the disk that holds the data directory"
        ),
    ),
    (
        ("readonly database", "read-only", "read only", "permission denied", "unable to open"),
        StorageFault(
            "storage_read_only",
            "read-only",
            "make the data directory (and the database file in it) writable by the service",
        ),
    ),
    (
        ("database is locked",),
        StorageFault("database_unavailable", "locked", "another process holds the database"),
    ),
)
_UNREACHABLE = StorageFault(
    "database_unavailable", "unreachable", "check that the database server is running"
)


def storage_fault(exc: BaseException) -> StorageFault:
    """Classify a database or file-system error (sqlalchemy's ``OperationalError``, an
    ``OSError``) by its message: a few substring tests, so the 503 and its log line can name
    the cause without showing the statement or its parameters."""
    original = getattr(exc, "orig", None) or exc
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate == "53100" or getattr(original, "errno", None) == errno.ENOSPC:
        return _FAULTS[0][1]
    if getattr(original, "errno", None) in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _FAULTS[1][1]
    text_of = str(original).lower()
    for needles, fault in _FAULTS:
        if any(needle in text_of for needle in needles):
            return fault
    return _UNREACHABLE


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # nothing reported saved is lost on power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def durability_problem(engine: Engine) -> str | None:
    """Why a commit this database acknowledges could be lost in a crash or power cut, or
    ``None`` when it cannot be."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            synchronous = conn.execute(text("PRAGMA synchronous")).scalar()
            if synchronous is not None and int(synchronous) < 2:  # 2 = FULL, 3 = EXTRA
                return "SQLite is not set to synchronous=FULL"
            return None
        if engine.dialect.name == "postgresql":
            for setting in ("fsync", "synchronous_commit"):
                value = str(conn.execute(text(f"SHOW {setting}")).scalar())
                if value == "off":
                    return (
                        f"the PostgreSQL server runs with {setting}=off: a commit it "
                        "acknowledges can be lost in a crash; set it on"
                    )
    return None
