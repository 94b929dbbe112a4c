"""``drukid wallet trust add|remove|list``: the verifiers the citizen knows (shown as "known" on
consent screens); ``trust add-root|remove-root|roots``: the certificate authorities whose
certificates the wallet accepts for issuers and verifiers (:mod:`wallet.trust`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wallet.commands.common import WalletOption, friendly, open_wallet, out
from wallet.errors import WalletError
from wallet.history import format_time

__all__ = ["trust_app"]

trust_app = typer.Typer(
    help="Verifiers you know, and the certificate authorities your wallet trusts."
)


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


@trust_app.command("add-root")
@friendly
def trust_add_root(
    file: Annotated[Path, typer.Argument(help="The authority's certificate (PEM or DER).")],
    name: Annotated[str | None, typer.Option(help="A name for it (default: its own).")] = None,
    wallet: WalletOption = None,
) -> None:
    """Trust a certificate authority for issuers and verifiers (for example your country's
    digital-identity agency). Only add one whose certificate you got from the authority."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise WalletError(f"cannot read {file}: {exc.strerror}", code="trust_root_invalid") from exc
    with open_wallet(wallet) as opened:
        view = opened.trust_root(data, label=name)
    out.print(f"Your wallet now trusts {view.subject}.")
    out.print(f"Fingerprint (SHA-256): {view.fingerprint}")
    out.print("Compare it with the one the authority publishes.")


@trust_app.command("remove-root")
@friendly
def trust_remove_root(
    fingerprint: Annotated[str, typer.Argument(help="Its SHA-256 fingerprint (trust roots).")],
    wallet: WalletOption = None,
) -> None:
    """Stop trusting an authority you added."""
    with open_wallet(wallet) as opened:
        opened.forget_root(fingerprint)
    out.print("Removed.")


@trust_app.command("roots")
@friendly
def trust_roots(wallet: WalletOption = None) -> None:
    """Show the certificate authorities your wallet trusts."""
    with open_wallet(wallet) as opened:
        found = opened.trusted_roots()
    if not found:
        out.print(
            "Your wallet trusts no certificate authority yet: credentials and requests signed "
            "with certificates will be refused. Add one with 'drukid wallet trust add-root FILE'."
        )
        return
    out.print("Certificate authorities your wallet trusts:")
    for root in found:
        # One line each, never wrapped: the fingerprint is compared by eye with the published one.
        out.print(
            f"- {root.subject} ({root.source}; valid until {format_time(root.valid_until)})",
            soft_wrap=True,
        )
        out.print(f"  fingerprint: {root.fingerprint}", soft_wrap=True)
