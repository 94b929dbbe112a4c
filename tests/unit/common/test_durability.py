"""Nothing acknowledged is lost on power loss: SQLite runs WAL with synchronous=FULL, and a
database that could drop acknowledged commits (SQLite below FULL, PostgreSQL with fsync or
synchronous_commit off) is named, and refused by a production start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from issuer.errors import ConfigurationError
from issuer.storage.schema import prepare_schema
from servicekit.database import create_db_engine, durability_problem


def _weakened(engine: Engine, statement: str) -> Engine:
    @event.listens_for(engine, "connect")
    def _weaken(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    return engine


def test_sqlite_is_wal_with_full_sync(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    assert durability_problem(engine) is None
    engine.dispose()


def test_a_database_that_may_lose_commits_is_refused_in_production(tmp_path: Path) -> None:
    engine = _weakened(
        create_db_engine(f"sqlite:///{tmp_path / 'x.db'}"), "PRAGMA synchronous=NORMAL"
    )
    assert durability_problem(engine) == "SQLite is not set to synchronous=FULL"
    with pytest.raises(ConfigurationError) as refused:
        prepare_schema(engine, development=False)
    assert refused.value.code == "database_not_durable"
    prepare_schema(engine, development=True)  # a warning on a laptop, not a refusal
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_with_synchronous_commit_off_is_named(postgres_url: str) -> None:
    engine = create_db_engine(postgres_url)
    assert durability_problem(engine) is None
    engine.dispose()
    weak = _weakened(create_db_engine(postgres_url), "SET synchronous_commit = off")
    problem = durability_problem(weak)
    assert problem is not None
    assert "synchronous_commit=off" in problem
    weak.dispose()
