"""Databases as the code before migrations made them, rows in every table, and a schema
description that two databases can be compared by (tests/vectors/schema/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.types import Boolean, Float, Integer, String

__all__ = ["describe", "fill_rows", "legacy_database", "read_rows"]

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "schema"


def legacy_database(engine: Engine, role: str) -> None:
    """Run the DDL that ``create_schema`` ran before migrations existed (commit 144dc0c)."""
    statements = json.loads((VECTORS / f"{role}-v0.{engine.dialect.name}.json").read_text())
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def _ours(engine: Engine) -> list[str]:
    return sorted(n for n in inspect(engine).get_table_names() if not n.endswith("alembic_version"))


def describe(engine: Engine) -> dict[str, Any]:
    """Everything that makes a schema: per table its columns (type, nullability, default), its
    primary key, foreign keys, unique constraints and indexes; the triggers; on SQLite the very
    ``CREATE`` statements the database keeps."""
    inspector = inspect(engine)
    tables: dict[str, Any] = {}
    for name in _ours(engine):
        tables[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(name)
            ],
            "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(name)
            ),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(name)
            ),
            "indexes": sorted(
                (i["name"] or "", tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
            ),
        }
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE name NOT LIKE '%alembic_version%' ORDER BY type, name"
                )
            ).all()
            extra: list[Any] = [tuple(row) for row in rows]
        else:
            rows = conn.execute(
                text(
                    "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                    "WHERE NOT tgisinternal ORDER BY tgname"
                )
            ).all()
            functions = conn.execute(
                text(
                    "SELECT proname, prosrc FROM pg_proc JOIN pg_namespace n "
                    "ON n.oid = pronamespace WHERE nspname = 'public' ORDER BY proname"
                )
            ).all()
            extra = [tuple(row) for row in rows] + [tuple(row) for row in functions]
    return {"tables": tables, "extra": extra}


def _value(column: Any, n: int) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return n % 2 == 1
    if isinstance(kind, Integer):
        return n
    if isinstance(kind, Float):
        return n + 0.5
    if isinstance(kind, String):
        return f"k{n}"  # the same in every table, so foreign keys find their row
    raise AssertionError(f"no test value for {column.table.name}.{column.name}: {kind!r}")


def fill_rows(engine: Engine, rows_per_table: int = 2) -> dict[str, list[dict[str, Any]]]:
    """Put ``rows_per_table`` rows in every table (referenced tables first); return them."""
    metadata = MetaData()
    metadata.reflect(engine, only=_ours(engine))
    written: dict[str, list[dict[str, Any]]] = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            rows = [
                {column.name: _value(column, n) for column in table.columns}
                for n in range(1, rows_per_table + 1)
            ]
            conn.execute(table.insert(), rows)
            written[table.name] = rows
    return written


def read_rows(engine: Engine, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables ``names``, in primary-key order, as dictionaries."""
    metadata = MetaData()
    metadata.reflect(engine, only=names)
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for name in names:
            table = metadata.tables[name]
            order = list(table.primary_key.columns)
            found[name] = [dict(r._mapping) for r in conn.execute(select(table).order_by(*order))]
    return found
