"""What every ``drukid`` command prints, from one place.

* **Outside text is text.** Names, claim values, URLs and messages come from issuers,
  verifiers, registries and people; printed through rich with markup on, ``Bank [/x] of
  Bhutan`` raises ``MarkupError`` (after the data was shared) and ``[bold]`` restyles the
  screen. :data:`out` and :data:`err` are consoles with markup, emoji codes and highlighting
  off, so every string they print (table cells and titles too) appears exactly as given; our
  own emphasis is built with :class:`rich.text.Text` styles (:func:`styled`), never markup.
* **One error shape** for all roles::

      error: <what went wrong>
      what to do: <the next step>
      code: <the stable code>

  :func:`fail` prints it and returns the ``typer.Exit`` to raise; :func:`fail_with` takes a
  :class:`core.errors.CodedError` (its plain words, hint and code).
* **Flags take no value.** typer 0.2x prints ``<bool>`` after every flag in ``--help`` as if
  it took one; :func:`_flags_show_no_type` makes flags show no type (done on import, so every
  command's help is the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from core.errors import CodedError

__all__ = [
    "err",
    "fail",
    "fail_with",
    "out",
    "refuse_start",
    "report",
    "styled",
    "table",
]

out = Console(markup=False, emoji=False, highlight=False, soft_wrap=True)
err = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line of text with our own styles: ``styled(("Shared", "bold green"), " with ", name)``;
    every plain part (outside text) stays exactly as given."""
    return Text.assemble(*parts)


def report(message: str, hint: str | None = None, code: str | None = None) -> None:
    """Print the one error shape on standard error."""
    err.print(styled(("error:", "bold red"), " ", message))
    if hint:
        err.print(styled(("what to do:", "bold"), " ", hint))
    if code is not None:
        err.print(f"code: {code}")


def fail(
    message: str, hint: str | None = None, code: str | None = None, *, status: int = 1
) -> typer.Exit:
    """:func:`report`; the exit (``status``) for a command to raise."""
    report(message, hint, code)
    return typer.Exit(status)


def refuse_start(message: str, hint: str | None = None, code: str | None = None) -> SystemExit:
    """:func:`report`; the exit (status 2) for a service that cannot start to raise."""
    report(message, hint, code)
    return SystemExit(2)


def fail_with(exc: CodedError, *, hint: str | None = None, status: int = 1) -> typer.Exit:
    """:func:`fail` with an error's message, what to do (``hint``, else the error's own, else
    its plain words when they say more than the message) and its code."""
    plain = exc.plain if exc.plain != exc.message else None
    return fail(exc.message, hint or exc.hint or plain, exc.code, status=status)


def table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], **options: Any
) -> Table:
    """A table whose cells (outside text) print as text; ``None`` prints as empty."""
    shown = Table(title=title, **options)
    for column in columns:
        shown.add_column(column)
    for row in rows:
        shown.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    return shown


def _flags_show_no_type() -> None:
    try:
        from typer.core import TyperOption
    except ImportError:  # pragma: no cover - an older typer prints no type for flags
        return
    original = TyperOption.display_type_rich
    if getattr(original, "_drukid", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and getattr(self, "metavar", None) is None:
            return None
        result: str | None = original(self, ctx)
        return result

    display_type_rich._drukid = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_show_no_type()
