"""``drukid issuer db upgrade | status | revision``: the issuer database's schema.

* ``upgrade`` brings the database named by the ``DRUKID_ISSUER_*`` settings to the newest
  revision (a database made before migrations included). Back it up first; run it once per
  release, before starting the new version (production refuses to start on an old schema).
* ``status`` says where the database stands; exit status 1 when it needs ``upgrade`` (for
  deployment scripts).
* ``revision -m TEXT`` (developers, in a source checkout) writes the next revision file from
  the models; read and complete it before committing.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from issuer.commands.output import JsonOption, fail
from issuer.errors import IssuerError
from issuer.settings import IssuerSettings
from issuer.storage.schema import MIGRATIONS, create_schema
from servicekit.database import create_db_engine, redact_url
from servicekit.migrations import SchemaError

__all__ = ["db_app"]

db_app = typer.Typer(help="The issuer database's schema (migrations).", no_args_is_help=True)


def _settings() -> IssuerSettings:
    try:
        return IssuerSettings()
    except ValueError as exc:
        raise fail(
            f"the issuer settings are not valid: {exc}; set the DRUKID_ISSUER_* variables as for "
            "the server (see the README)",
            "invalid_settings",
            status=2,
        ) from exc


@db_app.command("upgrade")
def upgrade() -> None:
    """Bring the database to the newest schema revision (back it up first)."""
    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    url = settings.resolved_database_url
    engine = create_db_engine(url)
    try:
        before = MIGRATIONS.state(engine)
        after = create_schema(engine)
    except (IssuerError, SchemaError) as exc:
        raise fail(exc.message, exc.code) from exc
    finally:
        engine.dispose()
    where = redact_url(url)
    if before.current == after.current:
        typer.echo(f"the issuer database ({where}) is {after.describe()}; nothing to do")
    else:
        typer.echo(
            f"the issuer database ({where}) was {before.where}, is now at revision {after.current}"
        )


@db_app.command("status")
def status(as_json: JsonOption = False) -> None:
    """Where the database's schema stands; exit status 1 when it needs ``db upgrade``."""
    settings = _settings()
    url = settings.resolved_database_url
    engine = create_db_engine(url)
    try:
        state = MIGRATIONS.state(engine)
    except SchemaError as exc:
        raise fail(exc.message, exc.code) from exc
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"database": redact_url(url), **state.to_json()}) + "\n")
    else:
        typer.echo(f"the issuer database ({redact_url(url)}) is {state.describe()}")
        if not state.up_to_date:
            typer.echo(f"what to do: back it up, then run `{MIGRATIONS.command}`")
    if not state.up_to_date:
        raise typer.Exit(1)


@db_app.command("revision")
def revision(
    message: Annotated[str, typer.Option("-m", "--message", help="what the change does")],
) -> None:
    """For developers: write the next revision from the models (read it before committing)."""
    try:
        path = MIGRATIONS.new_revision(message)
    except SchemaError as exc:
        raise fail(exc.message, exc.code) from exc
    typer.echo(f"wrote {path}")
