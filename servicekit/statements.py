"""Fixed SQL statements on a unit of work's own connection: the hot paths' way to the
database (the issuer's token, nonce and credential endpoints, the verifier's response
endpoint), behind each role's repositories.

Through the ORM, every statement on those paths paid for an identity map, a unit-of-work flush
and a statement built per request: most of a request's CPU time, 10-40 times the driver's own
cost. Here a role builds its statements once at import (SQLAlchemy Core with bound parameters,
compiled once per dialect and cached), runs them on the session's connection (so in the
caller's transaction; the caller still commits) and reads rows into detached model objects. Such
an object is never ``add``-ed back to a session (it would be inserted again): the repositories
write with their own statements.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Table
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.sql import Executable
from sqlmodel import Session, SQLModel

__all__ = ["first_row", "rowcount", "run", "table", "values"]

M = TypeVar("M", bound=SQLModel)


def table(model: type[SQLModel]) -> Table:
    """The table of a SQLModel table class."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def run(s: Session, statement: Executable, params: Any = None) -> CursorResult[Any]:
    """A fixed statement on the session's connection, inside the caller's transaction. What
    the caller added or changed through the ORM is flushed first (the ORM's autoflush does not
    see statements on the connection): the statement sees it, and a row it refers to exists."""
    if s.new or s.dirty or s.deleted:
        s.flush()
    return s.connection().execute(statement, params)


def rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def first_row(s: Session, model: type[M], statement: Executable, params: Any = None) -> M | None:
    """The first row as a detached, read-only ``model`` (``None`` when there is none)."""
    row = run(s, statement, params).first()
    if row is None:
        return None
    # Its attributes go through the mapper, which a fresh worker process has not configured
    # yet when no ORM query ran before (cheap once configured); its own (transient) state lets
    # the caller change a copy it writes back with a statement of its own.
    configure_mappers()
    found = cast(M, model.model_construct(**row._mapping))
    manager_of_class(model).setup_instance(found)
    return found


def values(row: SQLModel, *, omit_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's columns as an insert's parameters; ``omit_none`` leaves out keys that are
    ``None`` (an autoincrement id the database assigns)."""
    data = row.model_dump()
    for key in omit_none:
        if data.get(key) is None:
            data.pop(key, None)
    return data
