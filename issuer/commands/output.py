"""What every ``drukid issuer`` command prints: tables and JSON on standard output, and errors
in the one error shape (:mod:`core.terminal`: what happened, what to do from
``issuer.errors.NEXT_STEPS``, the code) on standard error, ending the command with exit status
1 (2 for bad usage). Outside text (names, search text, audit targets) prints as text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from core import terminal
from core.terminal import err, out
from issuer.errors import next_step
from issuer.operator.results import to_json

__all__ = ["JsonOption", "err", "fail", "out", "print_json", "read_text", "table"]

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def fail(message: str, code: str, *, status: int = 1) -> typer.Exit:
    return terminal.fail(message, next_step(code), code, status=status)


def read_text(path: Path, *, code: str, encoding: str = "utf-8-sig") -> str:
    """A text file the operator named; a missing one is ``file_not_found`` (status 2), text
    that is not ``encoding`` is ``code`` with how to save it as such."""
    try:
        return path.read_text(encoding=encoding)
    except (FileNotFoundError, IsADirectoryError) as exc:
        what = "is a folder, not a file" if isinstance(exc, IsADirectoryError) else "does not exist"
        raise fail(f"there is no file {path} ({what})", "file_not_found", status=2) from exc
    except PermissionError as exc:
        raise fail(f"you may not read {path}", code, status=2) from exc
    except UnicodeDecodeError as exc:
        words = "UTF-8 text (in a spreadsheet: save as 'CSV UTF-8')"
        kind = words if encoding.startswith("utf-8") else f"{encoding} text"
        raise fail(f"{path} is not {kind}", code, status=2) from exc
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}", code, status=2) from exc


def print_json(value: Any) -> None:
    """An operation's result (:mod:`issuer.operator.results`) as JSON, for scripts."""
    sys.stdout.write(json.dumps(to_json(value), indent=2, ensure_ascii=False) + "\n")


def table(rows: Sequence[Any], columns: list[str], title: str) -> None:
    """Results as a table of their JSON fields ``columns``."""
    fields = [to_json(row) for row in rows]
    out.print(terminal.table(title, columns, ([f.get(c) for c in columns] for f in fields)))
