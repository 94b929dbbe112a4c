"""``drukid wallet list``, ``show``, ``status`` and ``delete``: the credentials in the wallet,
what one says, whether each is still valid, and removing one for good."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from wallet.commands.common import EMPTY, WalletOption, friendly, open_wallet, out
from wallet.history import format_time
from wallet.views import CredentialView

__all__ = ["delete", "list_", "show", "status"]

_STATUS_STYLE = {"valid": "green", "suspended": "yellow", "revoked": "bold red"}


def _status_word(view: CredentialView) -> Text:
    text = view.status_text
    return Text(text.word, style=_STATUS_STYLE.get(text.kind, ""))


def _status_cell(view: CredentialView) -> Text:
    record = view.status
    if record is None or record.as_of is None or record.current in ("none", "unknown"):
        return _status_word(view)
    return Text.assemble(_status_word(view), f" ({format_time(record.as_of)[:10]})")


@friendly
def list_(wallet: WalletOption = None) -> None:
    """List the credentials in your wallet."""
    with open_wallet(wallet) as opened:
        views = opened.credentials()
        if not views:
            out.print(EMPTY)
            return
        now = opened.now()
        table = Table(title="Your credentials")
        table.add_column("ID", no_wrap=True)
        table.add_column("Credential", no_wrap=True)
        for column in ("Issuer", "Valid until", "Fresh copies", "Status (last check)"):
            table.add_column(column)
        for view in views:
            until = "-" if view.expires_at is None else format_time(view.expires_at)[:10]
            if view.expired(now):
                until += " (EXPIRED)"
            table.add_row(
                view.id[:8],
                view.title,
                view.issuer,
                until,
                f"{view.fresh_copies} of {view.copies}",
                _status_cell(view),
            )
        out.print(table)
        if any(view.status is None for view in views):
            out.print("Is each still valid? Ask the issuers with 'drukid wallet status'.")


@friendly
def status(
    credential_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="One credential (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")] = False,
    wallet: WalletOption = None,
) -> None:
    """Ask the issuers now whether your credentials are still valid (revoked? suspended?)."""
    with open_wallet(wallet) as opened:
        if credential_id is None and not opened.catalog.credentials:
            if as_json:
                out.print("[]")
            else:
                out.print(EMPTY)
            return
        if not as_json:
            out.print("Asking the issuers...")
        views = opened.check_status(credential_id)
    if as_json:
        out.print(json.dumps([_status_json(view) for view in views], indent=2))
        return
    table = Table(title="Status of your credentials")
    for column in ("ID", "Credential", "Status", "As of", "What it means"):
        table.add_column(column)
    for view in views:
        text = view.status_text
        table.add_row(view.id[:8], view.title, _status_word(view), text.as_of, text.note)
    out.print(table)
    if any(view.status is not None and view.status.problem for view in views):
        out.print(
            "Some issuers could not give an answer now: the last known status is shown. "
            "Check again when you are online."
        )


def _status_json(view: CredentialView) -> dict[str, Any]:
    record, text = view.status, view.status_text
    return {
        "id": view.id,
        "credential": view.title,
        "issuer": view.iss,
        "status": record.current if record is not None else "not_checked",
        "last_known": record.known if record is not None else None,
        "as_of": record.as_of if record is not None else None,
        "checked_at": record.checked_at if record is not None else None,
        "problem": record.problem if record is not None else None,
        "words": text.word,
        "note": text.note,
    }


@friendly
def show(
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="From 'wallet list'.")],
    wallet: WalletOption = None,
) -> None:
    """Show what one credential says."""
    with open_wallet(wallet) as opened:
        view = opened.credential(credential_id)
        table = Table(title=f"{view.title} — issued by {view.issuer}")
        table.add_column("Detail")
        table.add_column("Value")
        table.add_column("When you share")
        for claim in view.claims:
            hideable = any(claim.path[: len(p)] == p for p in view.hidden_by_default)
            table.add_row(claim.label, claim.value, "you choose" if hideable else "always shown")
        out.print(table)
        text = view.status_text
        out.print(f"Received {format_time(view.received_at)}. Type: {view.vct}   ID: {view.id}")
        out.print(f"Status: {text.word} {text.as_of}".rstrip() + f". {text.note}")


@friendly
def delete(
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="From 'wallet list'.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask again.")] = False,
    wallet: WalletOption = None,
) -> None:
    """Delete a credential and its keys for good."""
    with open_wallet(wallet) as opened:
        view = opened.credential(credential_id)
        if not yes and not typer.confirm(f"Delete your {view.title} for good?", default=False):
            out.print("Kept.")
            return
        opened.delete(view.id)
        out.print(f"Deleted your {view.title} and its keys.")
