"""``drukid wallet receive``: accept a credential from an issuer's offer (link or QR photo), or
ask an issuer for one (``--issuer URL --type ID``: the authorization code flow, the citizen
signs in on the agency's page in their browser); ``drukid wallet refresh``: fresh copies of a
credential received that way, without signing in again; ``drukid wallet pending``: the
credentials the wallet is waiting for (deferred issuance), and asking the agencies again."""

from __future__ import annotations

import sys
import webbrowser
from typing import Annotated

import typer
from rich.table import Table

from wallet.commands.common import WalletOption, fail, friendly, open_wallet, out
from wallet.errors import ReceiveError
from wallet.holder import Wallet
from wallet.loopback import CallbackListener
from wallet.views import CredentialView

__all__ = ["open_browser", "pending", "receive", "refresh"]

SIGN_IN_TIMEOUT = 600.0


def open_browser(url: str) -> None:
    """Open the agency's page (tests replace this with a scripted browser)."""
    webbrowser.open(url)


def _table(received: list[CredentialView]) -> None:
    table = Table(title="Received and checked")
    for column in ("ID", "Credential", "Issuer", "Copies"):
        table.add_column(column)
    for view in received:
        table.add_row(view.id[:8], view.title, view.issuer, str(view.copies))
    out.print(table)
    out.print("The issuer's signature and every detail were checked before saving.")


def _from_issuer(opened: Wallet, issuer: str, type_id: str) -> CredentialView:
    with CallbackListener() as listener:
        out.print("Contacting the issuer...")
        url, pending = opened.begin_authorization(
            issuer, type_id, redirect_uri=listener.redirect_uri
        )
        out.print("Sign in on the agency's page. If no browser opens, open this address:")
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        open_browser(url)
        redirect = listener.wait(SIGN_IN_TIMEOUT)
    return opened.complete_authorization(pending, redirect)


@friendly
def receive(
    offer: Annotated[
        str | None, typer.Argument(help="The offer link, or a photo/PNG of its QR code.")
    ] = None,
    tx_code: Annotated[
        str | None, typer.Option("--tx-code", help="The code the issuer sent you.")
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option("--issuer", help="Ask this issuer (its address) instead of using an offer."),
    ] = None,
    type_id: Annotated[
        str | None, typer.Option("--type", help="With --issuer: the credential to ask for.")
    ] = None,
    wallet: WalletOption = None,
) -> None:
    """Receive a credential from an issuer's offer, or ask an issuer for one (--issuer)."""
    if (offer is None) == (issuer is None) or (issuer is not None and not type_id):
        raise fail(
            "give an offer, or --issuer and --type",
            "Use 'drukid wallet receive LINK' or 'drukid wallet receive --issuer URL --type ID'.",
        )
    with open_wallet(wallet) as opened:
        if issuer is not None and type_id is not None:
            _table([_from_issuer(opened, issuer, type_id)])
            return
        assert offer is not None
        out.print("Contacting the issuer...")
        loaded = opened.load_offer(offer)
        if loaded.tx_code is not None and tx_code is None:
            if not sys.stdin.isatty():
                raise ReceiveError(
                    "the issuer requires the PIN it gave you", code="tx_code_required"
                )
            description = loaded.tx_code.description or "the code the issuer sent you"
            tx_code = typer.prompt(f"Enter {description}", hide_input=True)
        received, waiting = opened.receive_offer(loaded, tx_code=tx_code)
        if received:
            _table(received)
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


@friendly
def refresh(
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="From 'wallet list'.")],
    wallet: WalletOption = None,
) -> None:
    """Get fresh copies of a credential you asked an issuer for (no new sign-in)."""
    with open_wallet(wallet) as opened:
        view = opened.credential(credential_id)
        count = opened.refresh(view.id)
        out.print(f"Your {view.title} has {count} fresh copies from {view.issuer}.")
