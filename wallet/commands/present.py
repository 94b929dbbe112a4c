"""``drukid wallet present``: answer a verifier's request after the consent summary."""

from __future__ import annotations

from typing import Annotated

import typer

from core.terminal import styled
from wallet.commands.common import WalletOption, fail, friendly, open_wallet, out
from wallet.consent import ConsentSummary

__all__ = ["present"]


def _print_consent(summary: ConsentSummary) -> None:
    out.rule("A verifier asks for information")
    for line in summary.lines():
        if line.startswith("Warning:"):
            out.print(styled((line, "bold yellow")))
        else:
            out.print(line)
    out.rule()


@friendly
def present(
    request: Annotated[str, typer.Argument(help="The request link, or a photo/PNG of its QR.")],
    yes: Annotated[bool, typer.Option("--yes", help="Share without asking (scripts).")] = False,
    wallet: WalletOption = None,
) -> None:
    """Answer a verifier's request: see exactly what would be shared, then agree or refuse."""
    with open_wallet(wallet) as opened:
        out.print("Checking the request...")
        session = opened.prepare_presentation(request)
        _print_consent(session.consent)
        if not session.consent.can_share:
            if yes or typer.confirm("Tell the verifier you cannot answer?", default=True):
                opened.refuse(session)
            raise fail(
                "your wallet does not hold what this verifier asks for",
                "Receive the credential from its issuer first, then scan the request again.",
            )
        name = session.consent.verifier.known_as or session.consent.verifier.name or "them"
        if not yes and not typer.confirm(f"Share this with {name}?", default=False):
            outcome = opened.refuse(session)
            note = "" if outcome.verifier_notified else " (the verifier could not be told)"
            out.print(f"You refused. Nothing was shared{note}.")
            return
        result = opened.approve(session)
        out.print(
            styled(("Shared", "bold green"), f" with {name}. It is recorded in your history.")
        )
        if result.redirect_uri:
            out.print("The verifier offers to continue at this address (open it yourself if")
            out.print(f"you started this on their website): {result.redirect_uri}")
