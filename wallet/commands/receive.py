"""``drukid wallet receive``: accept a credential from an issuer's offer (link or QR photo);
``drukid wallet pending``: the credentials the wallet is waiting for (deferred issuance), and
asking the agencies again."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from wallet.commands.common import WalletOption, friendly, open_wallet, out
from wallet.errors import ReceiveError

__all__ = ["pending", "receive"]


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
                    "the issuer requires the code it sent you", code="tx_code_required"
                )
            description = loaded.tx_code.description or "the code the issuer sent you"
            tx_code = typer.prompt(f"Enter {description}", hide_input=True)
        received, waiting = opened.receive_offer(loaded, tx_code=tx_code)
        if received:
            table = Table(title="Received and checked")
            for column in ("ID", "Credential", "Issuer", "Copies"):
                table.add_column(column)
            for view in received:
                table.add_row(view.id[:8], view.title, view.issuer, str(view.copies))
            out.print(table)
            out.print("The issuer's signature and every detail were checked before saving.")
        for item in waiting:
            out.print(item.words, markup=False)
        if waiting:
            out.print("Run 'drukid wallet pending --check' later to collect it.")


@friendly
def pending(
    check: Annotated[
        bool,
        typer.Option("--check", help="Ask the agencies again about those whose time has come."),
    ] = False,
    now: Annotated[
        bool, typer.Option("--now", help="With --check: ask about all of them, now.")
    ] = False,
    wallet: WalletOption = None,
) -> None:
    """Credentials you asked for that an agency must approve first."""
    with open_wallet(wallet) as opened:
        if check:
            for _check, words in opened.check_pending(force=now):
                out.print(words, markup=False)
        waiting = opened.pending()
        if not waiting:
            if not check:
                out.print("You are not waiting for any credential.")
            return
        for item in waiting:
            out.print(item.words, markup=False)
