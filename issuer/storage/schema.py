"""The issuer's schema: the tables of :mod:`issuer.storage.models`, made and changed by the
revisions in ``migrations/versions/`` (Alembic, through :mod:`servicekit.migrations`).

:func:`prepare_schema` is what every start does (the server's and the local command line's):
upgrade in development; in production create a new, empty database and refuse an out-of-date
one (``schema_out_of_date``: run ``drukid issuer db upgrade``). :func:`create_schema` upgrades
to the newest revision (tests and tools).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from issuer.errors import ConfigurationError
from issuer.storage.models import IssuerTable
from servicekit.database import durability_problem
from servicekit.migrations import Migrations, SchemaError, SchemaState

__all__ = ["MIGRATIONS", "create_schema", "prepare_schema"]

log = logging.getLogger(__name__)

MIGRATIONS = Migrations("issuer", Path(__file__).parent / "migrations", IssuerTable.metadata)


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
        raise ConfigurationError(problem, code="database_not_durable")
    return _checked(lambda: MIGRATIONS.prepare(engine, upgrade=development))


def _checked(step: Callable[[], SchemaState]) -> SchemaState:
    try:
        return step()
    except SchemaError as exc:
        raise ConfigurationError(exc.message, code=exc.code) from exc
