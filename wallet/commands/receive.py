"""``drukid wallet receive``: accept a credential from an issuer's offer (link or QR photo)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from wallet.commands.common import WalletOption, friendly, open_wallet, out
from wallet.errors import ReceiveError

__all__ = ["receive"]


@friendly
def receive(
    offer: Annotated[str, typer.Argument(help="The offer link, or a photo/PNG of its QR code.")],
    tx_code: Annotated[
        str | None, typer.Option("--tx-code", help="The code the issuer sent you.")
    ] = None,
    wallet: WalletOption = None,
) -> None:
    """Receive a credential from an issuer's offer."""
    with open_wallet(wallet) as opened:
        out.print("Contacting the issuer...")
        loaded = opened.load_offer(offer)
        if loaded.tx_code is not None and tx_code is None:
            if not sys.stdin.isatty():
                raise ReceiveError(
                    "the issuer requires the PIN it gave you", code="tx_code_required"
                )
            description = loaded.tx_code.description or "the code the issuer sent you"
            tx_code = typer.prompt(f"Enter {description}", hide_input=True)
        received = opened.receive(loaded, tx_code=tx_code)
        table = Table(title="Received and checked")
        for column in ("ID", "Credential", "Issuer", "Copies"):
            table.add_column(column)
        for view in received:
            table.add_row(view.id[:8], view.title, view.issuer, str(view.copies))
        out.print(table)
        out.print("The issuer's signature and every detail were checked before saving.")
