"""``drukid verifier db upgrade | status | revision``: the verifier database's schema.

* ``upgrade`` brings the database named by the ``DRUKID_VERIFIER_*`` settings to the newest
  revision (a database made before migrations included). Back it up first; run it once per
  release, before starting the new version (production refuses to start on an old schema).
* ``status`` says where the database stands; exit status 1 when it needs ``upgrade`` (for
  deployment scripts).
* ``revision -m TEXT`` (developers, in a source checkout) writes the next revision file from
  the models; read and complete it before committing.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from servicekit.database import create_db_engine, redact_url
from servicekit.migrations import SchemaError
from verifier.commands import common
from verifier.errors import VerificationError
from verifier.runtime import private_data_dir
from verifier.storage.schema import MIGRATIONS, create_schema

__all__ = ["db_revision", "db_status", "db_upgrade"]


def db_upgrade() -> None:
    """Bring the database to the newest schema revision (back it up first)."""
    settings = common.settings()
    private_data_dir(settings)
    url = settings.effective_database_url
    engine = create_db_engine(url)
    try:
        before = MIGRATIONS.state(engine)
        after = create_schema(engine)
    except (VerificationError, SchemaError) as exc:
        common.fail(exc.code, exc.message, 1)
    finally:
        engine.dispose()
    where = redact_url(url)
    if before.current == after.current:
        typer.echo(f"the verifier database ({where}) is {after.describe()}; nothing to do")
    else:
        typer.echo(
            f"the verifier database ({where}) was {before.where}, "
            f"is now at revision {after.current}"
        )


def db_status(as_json: common.JsonOption = False) -> None:
    """Where the database's schema stands; exit status 1 when it needs ``db upgrade``."""
    url = common.settings().effective_database_url
    engine = create_db_engine(url)
    try:
        state = MIGRATIONS.state(engine)
    except SchemaError as exc:
        common.fail(exc.code, exc.message, 1)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({"database": redact_url(url), **state.to_json()}))
    else:
        typer.echo(f"the verifier database ({redact_url(url)}) is {state.describe()}")
        if not state.up_to_date:
            typer.echo(f"what to do: back it up, then run `{MIGRATIONS.command}`")
    if not state.up_to_date:
        raise typer.Exit(1)


def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="what the change does")],
) -> None:
    """For developers: write the next revision from the models (read it before committing)."""
    try:
        path = MIGRATIONS.new_revision(message)
    except SchemaError as exc:
        common.fail(exc.code, exc.message, 1)
    typer.echo(f"wrote {path}")
