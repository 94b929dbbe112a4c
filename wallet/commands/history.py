"""``drukid wallet history``: what was shared, with whom and when; exported as JSON or CSV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wallet.commands.common import WalletOption, fail, friendly, open_wallet, out
from wallet.history import export_csv, export_json, format_time

__all__ = ["history"]


@friendly
def history(
    export: Annotated[
        Path | None, typer.Option("--export", help="Write the history to this file.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    wallet: WalletOption = None,
) -> None:
    """What you shared, with whom, and when."""
    with open_wallet(wallet) as opened:
        entries = opened.history()
        if export is not None:
            if fmt not in ("json", "csv"):
                raise fail("the format must be json or csv", "Use --format json or --format csv.")
            text = export_json(entries) if fmt == "json" else export_csv(entries)
            fd = os.open(export, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            out.print(f"Wrote {len(entries)} entries to {export}. This file is NOT encrypted.")
            return
        if not entries:
            out.print("Nothing shared yet.")
            return
        table = Table(title="What you shared")
        for column in ("When", "Verifier", "Purpose", "Outcome", "Shared"):
            table.add_column(column)
        for entry in entries:
            shared = "; ".join(f"{c.type_name}: {', '.join(c.claims)}" for c in entry.credentials)
            name = entry.verifier_name or entry.verifier_id
            table.add_row(
                format_time(entry.time), name, entry.purpose, entry.outcome, shared or "-"
            )
        out.print(table)
