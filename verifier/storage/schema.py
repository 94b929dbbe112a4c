"""The verifier's schema: the tables of :mod:`verifier.storage.models`, made and changed by the
revisions in ``migrations/versions/`` (Alembic, through :mod:`servicekit.migrations`).

The verifier's tables share SQLModel's metadata with other roles' models, so the migrations
compare against :data:`METADATA`, a copy holding the verifier's tables alone.
:func:`prepare_schema` is what every start does (the server's and the command line's): upgrade
in development; in production create a new, empty database and refuse an out-of-date one
(``schema_out_of_date``: run ``drukid verifier db upgrade``). :func:`create_schema` upgrades to
the newest revision (tests and tools).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from servicekit.database import durability_problem
from servicekit.migrations import Migrations, SchemaError, SchemaState
from verifier.errors import ServiceError
from verifier.storage.models import tables

__all__ = ["METADATA", "MIGRATIONS", "create_schema", "prepare_schema"]

METADATA = MetaData()
for _table in tables():
    _table.to_metadata(METADATA)

log = logging.getLogger(__name__)

MIGRATIONS = Migrations("verifier", Path(__file__).parent / "migrations", METADATA)


def create_schema(engine: Engine) -> SchemaState:
    """Bring the database to the newest revision (a new one gets every table)."""
    with MIGRATIONS.lock(engine):
        return _checked(lambda: MIGRATIONS.upgrade(engine))


def prepare_schema(engine: Engine, *, development: bool) -> SchemaState:
    """The start-up check (call it holding ``MIGRATIONS.lock(engine)``): the schema, and that
    the database keeps what it acknowledges (production refuses one that may not)."""
    problem = durability_problem(engine)
    if problem and development:
        log.warning("%s (development only; production refuses this)", problem)
    elif problem:
        raise ServiceError(problem, code="database_not_durable", status=503)
    return _checked(lambda: MIGRATIONS.prepare(engine, upgrade=development))


def _checked(step: Callable[[], SchemaState]) -> SchemaState:
    try:
        return step()
    except SchemaError as exc:
        raise ServiceError(exc.message, code=exc.code, status=503) from exc
