"""The issuer's and the verifier's migrations, on SQLite and on PostgreSQL.

* Revision 0001 makes exactly the schema ``create_schema`` made before migrations existed
  (replayed from tests/vectors/schema/), down to SQLite's stored ``CREATE`` statements.
* A database made by that code, with rows in every table, upgrades to the newest revision and
  keeps every row; the result is the schema a new database gets, and the models agree with it.
* Production refuses to start on an out-of-date schema and names the command; ``db upgrade``
  then upgrades it and the start succeeds. Development upgrades on start. A database newer
  than the code is refused everywhere. ``db revision`` writes the next revision from the models.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from drukid.cli import app as drukid_app
from issuer.errors import ConfigurationError
from issuer.runtime import build_runtime as build_issuer
from issuer.settings import IssuerSettings
from issuer.storage.schema import MIGRATIONS as ISSUER
from servicekit.database import create_db_engine
from servicekit.migrations import Migrations, SchemaError
from tests.support.schema import describe, fill_rows, legacy_database, read_rows
from verifier.errors import ServiceError
from verifier.runtime import build_runtime as build_verifier
from verifier.settings import VerifierSettings
from verifier.storage.schema import MIGRATIONS as VERIFIER

ROLES = {"issuer": ISSUER, "verifier": VERIFIER}
DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _two(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> tuple[Engine, Engine]:
    """Two empty databases of ``dialect`` (on PostgreSQL two schemas of one database)."""
    if dialect == "sqlite":
        return (
            create_db_engine(f"sqlite:///{tmp_path / 'a.db'}"),
            create_db_engine(f"sqlite:///{tmp_path / 'b.db'}"),
        )
    url: str = request.getfixturevalue("postgres_url")
    admin = create_db_engine(url)
    with admin.begin() as conn:
        conn.execute(text("CREATE SCHEMA second"))
    admin.dispose()
    first = create_db_engine(url)
    second = create_db_engine(url)

    @sa.event.listens_for(second, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET search_path TO second")
        cursor.close()
        dbapi_connection.commit()

    return first, second


def _without_schema_names(description: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL trigger definitions name the schema; compare them without it."""
    extra = [
        tuple(str(v).replace("second.", "").replace("public.", "") for v in row)
        for row in description["extra"]
    ]
    return {**description, "extra": extra}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("role", sorted(ROLES))
def test_revision_0001_is_the_schema_create_schema_made(
    request: pytest.FixtureRequest, tmp_path: Path, role: str, dialect: str
) -> None:
    legacy, fresh = _two(request, dialect, tmp_path)
    try:
        legacy_database(legacy, role)
        ROLES[role].upgrade(fresh, "0001")
        assert ROLES[role].state(fresh).current == "0001"
        assert _without_schema_names(describe(fresh)) == _without_schema_names(describe(legacy))
    finally:
        legacy.dispose()
        fresh.dispose()


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("role", sorted(ROLES))
def test_an_old_database_upgrades_and_keeps_every_row(
    request: pytest.FixtureRequest, tmp_path: Path, role: str, dialect: str
) -> None:
    migrations = ROLES[role]
    old, fresh = _two(request, dialect, tmp_path)
    try:
        legacy_database(old, role)
        written = fill_rows(old)
        assert len(written) >= 4
        assert all(len(rows) == 2 for rows in written.values())
        before = migrations.state(old)
        assert (before.current, before.has_tables, before.where) == (
            None,
            True,
            "from before migrations",
        )
        after = migrations.upgrade(old)
        assert after.up_to_date
        assert after.current == migrations.head()
        found = read_rows(old, sorted(written))
        for name, rows in written.items():
            kept = [{k: row[k] for k in rows[0]} for row in found[name]]
            assert kept == rows, name
        migrations.upgrade(fresh)
        assert _without_schema_names(describe(old)) == _without_schema_names(describe(fresh))
        assert migrations.differences(old) == []  # the models are what the migrations make
        assert migrations.upgrade(old).current == after.current  # a second run changes nothing
    finally:
        old.dispose()
        fresh.dispose()


def _issuer_settings(tmp_path: Path, **overrides: Any) -> IssuerSettings:
    values: dict[str, Any] = {
        "mode": "production",
        "public_url": "https://id.example.bt",
        "data_dir": tmp_path / "issuer",
        **overrides,
    }
    return IssuerSettings(**values)


def test_production_refuses_an_old_issuer_schema_until_db_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _issuer_settings(tmp_path)
    settings.data_dir.mkdir(mode=0o700)
    engine = create_db_engine(settings.resolved_database_url)
    legacy_database(engine, "issuer")
    with pytest.raises(ConfigurationError) as refused:
        build_issuer(settings)
    assert refused.value.code == "schema_out_of_date"
    assert "drukid issuer db upgrade" in refused.value.message
    assert "from before migrations" in refused.value.message
    for name, value in {
        "DRUKID_ISSUER_MODE": "production",
        "DRUKID_ISSUER_PUBLIC_URL": settings.public_url,
        "DRUKID_ISSUER_DATA_DIR": str(settings.data_dir),
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    status = runner.invoke(drukid_app, ["issuer", "db", "status"])
    assert status.exit_code == 1, status.output
    assert "from before migrations" in status.output
    assert "drukid issuer db upgrade" in status.output
    upgraded = runner.invoke(drukid_app, ["issuer", "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"is now at revision {ISSUER.head()}" in upgraded.output
    assert runner.invoke(drukid_app, ["issuer", "db", "status"]).exit_code == 0
    build_issuer(settings).close()  # starts now
    engine.dispose()


def test_production_creates_a_new_empty_database(tmp_path: Path) -> None:
    runtime = build_issuer(_issuer_settings(tmp_path))
    try:
        assert ISSUER.state(runtime.context.engine).up_to_date
    finally:
        runtime.close()


def test_development_upgrades_on_start(tmp_path: Path) -> None:
    settings = _issuer_settings(tmp_path, mode="development", public_url="")
    settings.data_dir.mkdir(mode=0o700)
    engine = create_db_engine(settings.resolved_database_url)
    legacy_database(engine, "issuer")
    runtime = build_issuer(settings)
    try:
        assert ISSUER.state(engine).up_to_date
    finally:
        runtime.close()
        engine.dispose()


def _verifier_settings(tmp_path: Path, **overrides: Any) -> VerifierSettings:
    values: dict[str, Any] = {
        "public_url": "https://verifier.example.bt",
        "data_dir": tmp_path / "verifier",
        **overrides,
    }
    return VerifierSettings(**values)


def test_production_refuses_an_old_verifier_schema_until_db_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _verifier_settings(tmp_path)
    settings.data_dir.mkdir(mode=0o700)
    engine = create_db_engine(settings.effective_database_url)
    legacy_database(engine, "verifier")
    with pytest.raises(ServiceError) as refused:
        build_verifier(settings)
    assert refused.value.code == "schema_out_of_date"
    assert "drukid verifier db upgrade" in refused.value.message
    monkeypatch.setenv("DRUKID_VERIFIER_PUBLIC_URL", settings.public_url)
    monkeypatch.setenv("DRUKID_VERIFIER_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    assert runner.invoke(drukid_app, ["verifier", "db", "status"]).exit_code == 1
    upgraded = runner.invoke(drukid_app, ["verifier", "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    status = runner.invoke(drukid_app, ["verifier", "db", "status", "--json"])
    assert status.exit_code == 0, status.output
    assert '"up_to_date": true' in status.output
    build_verifier(settings).close()
    engine.dispose()


@pytest.mark.parametrize("development", [True, False])
def test_a_database_newer_than_the_code_is_refused(tmp_path: Path, development: bool) -> None:
    settings = _issuer_settings(tmp_path, mode="development" if development else "production")
    build_issuer(settings).close()
    engine = create_db_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE issuer_alembic_version SET version_num = '9999'"))
    with pytest.raises(ConfigurationError) as refused:
        build_issuer(settings)
    assert refused.value.code == "schema_too_new"
    assert "newer than this version" in refused.value.message
    engine.dispose()


def test_db_revision_writes_the_next_revision_from_the_models(tmp_path: Path) -> None:
    """On a copy of the issuer's migrations: models equal to the newest revision give an empty
    revision; a new table in the models gives its ``create_table``."""
    folder = tmp_path / "migrations"
    shutil.copytree(ISSUER.script_location, folder)
    metadata = sa.MetaData()
    for table in ISSUER.metadata.sorted_tables:
        table.to_metadata(metadata)
    copy = Migrations("issuer", folder, metadata)
    number = int(ISSUER.head()) + 1
    empty = copy.new_revision("nothing changes")
    assert empty.name == f"v{number:04d}_nothing_changes.py"
    assert "op." not in empty.read_text()
    empty.unlink()
    sa.Table(
        "issuer_example",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("at", sa.Integer(), nullable=False),
    )
    written = copy.new_revision("an example table").read_text().replace("'", '"')
    assert f'revision = "{number:04d}"' in written
    assert f'down_revision = "{ISSUER.head()}"' in written
    assert 'op.create_table("issuer_example"' in written.replace("\n", "").replace("    ", "")
    assert "sqlmodel" not in written
    compile(written, "revision", "exec")


def test_two_lines_of_revisions_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(ISSUER.script_location, folder)
    newest = next(folder.glob(f"versions/v{ISSUER.head()}_*.py"))
    twin = newest.read_text().replace(f'revision = "{ISSUER.head()}"', 'revision = "0999"')
    (folder / "versions" / "v0999_twin.py").write_text(twin)
    with pytest.raises(SchemaError) as refused:
        Migrations("issuer", folder, ISSUER.metadata).head()
    assert refused.value.code == "schema_branches"
