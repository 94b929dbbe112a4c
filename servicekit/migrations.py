"""Schema migrations (Alembic), the same machinery for every role that keeps a database.

Each role has a folder of revisions (``<role>/storage/migrations/versions/``, one file each,
numbered ``0001``, ``0002``, …) and its own version table (``<role>_alembic_version``), so the
issuer and the verifier can even share one PostgreSQL database. Revision ``0001`` is the schema
as ``create_schema`` made it before migrations existed, written so that it also completes a
database made by that code (it creates only what is missing): a database from before
migrations is upgraded like any other.

* :meth:`Migrations.upgrade` brings a database to the newest revision (``drukid <role> db
  upgrade``; on every start in development).
* :meth:`Migrations.prepare` is what a service does on start: in development it upgrades; in
  production it creates the schema of a new, empty database and otherwise refuses to start on
  an out-of-date schema (:class:`SchemaError` ``schema_out_of_date``, naming the command), or
  on one newer than this code (``schema_too_new``).
* :meth:`Migrations.lock` serialises whatever processes start at once (a PostgreSQL advisory
  lock; a lock file next to a SQLite database): the first worker migrates and creates the
  first keys, the others wait and find them.
* :meth:`Migrations.new_revision` writes the next revision file from the difference between
  the models and the newest revision (for developers; see docs/dev/where-things-go.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine

from core.errors import CodedError

__all__ = ["Migrations", "SchemaError", "SchemaState", "run_env"]


class SchemaError(CodedError):
    """The database's schema does not fit this version of drukid (``schema_out_of_date``,
    ``schema_too_new``)."""

    code = "schema_out_of_date"
    status = 503


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database stands: its revision (``None``: no version table), the newest this code
    knows, and whether it has any of the role's tables at all."""

    current: str | None
    head: str
    has_tables: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def to_json(self) -> dict[str, object]:
        return {
            "revision": self.current,
            "newest": self.head,
            "up_to_date": self.up_to_date,
            "empty": self.current is None and not self.has_tables,
        }

    @property
    def where(self) -> str:
        """Where it stands, in a few words: ``at revision 0002``, ``empty``, ``from before
        migrations``."""
        if self.current is not None:
            return f"at revision {self.current}"
        return "from before migrations" if self.has_tables else "empty"

    def describe(self) -> str:
        """One line for people: where the database stands and what this version needs."""
        if self.up_to_date:
            return f"{self.where}, the newest this version knows"
        return f"{self.where}; this version needs revision {self.head}"


@dataclass(frozen=True, slots=True)
class Migrations:
    """One role's migrations: where its revisions are, its version table, its tables (the
    models' metadata) and the command that upgrades it."""

    role: str
    script_location: Path
    metadata: MetaData

    @property
    def version_table(self) -> str:
        return f"{self.role}_alembic_version"

    @property
    def command(self) -> str:
        return f"drukid {self.role} db upgrade"

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.script_location))
        config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
        config.attributes.update(
            connection=connection, metadata=self.metadata, version_table=self.version_table
        )
        return config

    def head(self) -> str:
        heads = ScriptDirectory.from_config(self.config()).get_heads()
        if len(heads) != 1:  # two revisions with the same parent: a merge is missing
            raise SchemaError(
                f"the {self.role} migrations have {len(heads)} newest revisions; "
                "they must form one line",
                code="schema_branches",
            )
        return str(heads[0])

    def state(self, engine: Engine) -> SchemaState:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": self.version_table})
            heads = context.get_current_heads()
            names = set(inspect(conn).get_table_names())
        if len(heads) > 1:
            raise SchemaError(
                f"the {self.role} database records {len(heads)} schema revisions at once",
                code="schema_branches",
            )
        ours = {table.name for table in self.metadata.sorted_tables}
        return SchemaState(
            current=str(heads[0]) if heads else None,
            head=self.head(),
            has_tables=bool(names & ours),
        )

    @contextmanager
    def lock(self, engine: Engine) -> Iterator[None]:
        """Hold the role's start-up lock: one process at a time migrates and prepares."""
        digest = hashlib.sha256(f"drukid:{self.role}:schema".encode()).digest()
        key = int.from_bytes(digest[:8], signed=True)  # PostgreSQL's bigint is signed
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
            return
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        if not database or database == ":memory:" or database.startswith("file:"):
            yield
            return
        fd = os.open(f"{database}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def upgrade(self, engine: Engine, revision: str = "head") -> SchemaState:
        """Bring the database to ``revision`` (the newest by default), in one transaction
        where the database allows it; return where it stands now."""
        try:
            with engine.begin() as conn:
                command.upgrade(self.config(conn), revision)
        except CommandError as exc:  # the database names a revision this code does not have
            raise self._too_new(str(exc)) from exc
        return self.state(engine)

    def prepare(self, engine: Engine, *, upgrade: bool) -> SchemaState:
        """What a service does on start (hold :meth:`lock` around it): ``upgrade`` (in
        development) migrates; otherwise only a new, empty database is created, and an older
        or newer schema stops the start with what to do."""
        state = self.state(engine)
        if state.up_to_date:
            return state
        if upgrade or (state.current is None and not state.has_tables):
            return self.upgrade(engine)
        if state.current is not None and not self._known(state.current):
            raise self._too_new(state.current)
        was = state.current or "from before migrations"
        raise SchemaError(
            f"the {self.role} database schema is out of date (revision {was}; this version "
            f"needs {state.head}). Back up the database, run `{self.command}` once with the "
            "same settings, then start again",
        )

    def differences(self, engine: Engine) -> list[Any]:
        """What the models have that the database lacks, and the other way round (empty when
        the migrations and the models agree)."""
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": self.version_table, "compare_type": True}
            )
            return list(compare_metadata(context, self.metadata))

    def new_revision(self, message: str) -> Path:
        """Write the next revision (``v<NNNN>_<slug>.py``) from what the models have that the
        newest revision lacks, found on a scratch SQLite database; return its path. Read and
        complete it before committing (data moves, PostgreSQL-only details, ``downgrade``)."""
        number = int(self.head()) + 1
        with tempfile.TemporaryDirectory() as scratch:
            engine = create_engine(f"sqlite:///{scratch}/head.db")
            try:
                self.upgrade(engine)
                with engine.begin() as conn:
                    script = command.revision(
                        self.config(conn),
                        message=message,
                        autogenerate=True,
                        rev_id=f"{number:04d}",
                    )
            finally:
                engine.dispose()
        if script is None or isinstance(script, list):
            raise SchemaError("alembic wrote no revision", code="schema_branches")
        return Path(script.path)

    def _known(self, revision: str) -> bool:
        try:
            return ScriptDirectory.from_config(self.config()).get_revision(revision) is not None
        except CommandError:
            return False

    def _too_new(self, detail: str) -> SchemaError:
        return SchemaError(
            f"the {self.role} database schema is newer than this version of drukid knows "
            f"({detail}); run the drukid version that upgraded it, or restore the database "
            "from the backup taken before the upgrade",
            code="schema_too_new",
        )


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render SQLModel's string type as SQLAlchemy's, so revisions need only ``sqlalchemy``."""
    if type_ == "type" and type(obj).__name__ == "AutoString":
        length = getattr(obj, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def run_env() -> None:
    """The body of every role's ``migrations/env.py``: run the revisions on the connection the
    caller opened (:meth:`Migrations.config`), with the role's version table and models."""
    from alembic import context

    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise SchemaError(
            "run migrations with `drukid <role> db upgrade`, not the alembic command",
            code="schema_branches",
        )
    context.configure(
        connection=connection,
        target_metadata=config.attributes["metadata"],
        version_table=config.attributes["version_table"],
        render_as_batch=True,  # SQLite changes columns by copying the table
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
