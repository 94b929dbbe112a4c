"""``drukid wallet trust add|remove|list``: the verifiers the citizen knows (shown as "known" on
consent screens)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from wallet.commands.common import WalletOption, friendly, open_wallet, out

__all__ = ["trust_app"]

trust_app = typer.Typer(help="Verifiers you know (shown as 'known' on consent screens).")


@trust_app.command("add")
@friendly
def trust_add(
    client_id: Annotated[str, typer.Argument(help="The verifier's identifier.")],
    name: Annotated[str, typer.Argument(help="The name you know it by.")],
    wallet: WalletOption = None,
) -> None:
    """Mark a verifier as known to you."""
    with open_wallet(wallet) as opened:
        opened.trust_verifier(client_id, name)
        out.print(f"{name} is now a known verifier.")


@trust_app.command("remove")
@friendly
def trust_remove(
    client_id: Annotated[str, typer.Argument(help="The verifier's identifier.")],
    wallet: WalletOption = None,
) -> None:
    """Forget a verifier."""
    with open_wallet(wallet) as opened:
        opened.forget_verifier(client_id)
        out.print("Removed.")


@trust_app.command("list")
@friendly
def trust_list(wallet: WalletOption = None) -> None:
    """Show the verifiers you know."""
    with open_wallet(wallet) as opened:
        table = Table(title="Known verifiers")
        table.add_column("Name")
        table.add_column("Identifier")
        for client_id, name in sorted(opened.catalog.trusted_verifiers.items()):
            table.add_row(name, client_id)
        out.print(table)
