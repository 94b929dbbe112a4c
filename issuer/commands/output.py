"""What every ``drukid issuer`` command prints: tables and JSON on standard output, and errors
as a plain sentence with their code on standard error, ending the command with exit status 1
(2 for bad usage).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from issuer.operator.results import to_json

__all__ = ["JsonOption", "err", "fail", "out", "print_json", "table"]

out = Console()
err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def fail(message: str, code: str, *, status: int = 1) -> typer.Exit:
    err.print(f"[bold red]error[/]: {message} [dim]({code})[/]", highlight=False)
    return typer.Exit(status)


def print_json(value: Any) -> None:
    """An operation's result (:mod:`issuer.operator.results`) as JSON, for scripts."""
    sys.stdout.write(json.dumps(to_json(value), indent=2, ensure_ascii=False) + "\n")


def table(rows: Sequence[Any], columns: list[str], title: str) -> None:
    """Results as a table of their JSON fields ``columns``."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        fields = to_json(row)
        table.add_row(*("" if fields.get(c) is None else str(fields.get(c)) for c in columns))
    out.print(table)
