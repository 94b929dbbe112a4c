"""``drukid wallet present``: answer a verifier's request after the consent summary;
``drukid wallet offline-present``: the same for an offline request QR, the answer shown as QR
codes (terminal and PNG files) for the verifier's camera (docs/offline-qr.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.terminal import styled
from servicekit.qr import qr_png, qr_terminal
from wallet.commands.common import WalletOption, fail, friendly, open_wallet, out
from wallet.consent import ConsentSummary

__all__ = ["offline_present", "present"]


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


@friendly
def offline_present(
    request: Annotated[str, typer.Argument(help="A photo/PNG of the offline request QR.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the answer's QR code PNGs.")
    ] = Path("."),
    yes: Annotated[bool, typer.Option("--yes", help="Share without asking (scripts).")] = False,
    wallet: WalletOption = None,
) -> None:
    """Answer an offline request QR with no network: consent, then QR codes to show."""
    with open_wallet(wallet) as opened:
        session = opened.prepare_offline(request)
        _print_consent(session.consent)
        if not session.consent.can_share:
            opened.refuse_offline(session)
            raise fail(
                "your wallet does not hold what this verifier asks for",
                "Receive the credential from its issuer first, then scan the request again.",
            )
        name = session.consent.verifier.known_as or session.consent.verifier.name or "them"
        if not yes and not typer.confirm(f"Show this to {name} as QR codes?", default=False):
            opened.refuse_offline(session)
            out.print("You refused. Nothing was shown.")
            return
        answer = opened.approve_offline(session)
        out_dir.mkdir(parents=True, exist_ok=True)
        total = len(answer.parts)
        for index, text in enumerate(answer.parts, 1):
            path = out_dir / f"answer-{index}-of-{total}.png"
            path.write_bytes(qr_png(text))
            out.rule(f"Code {index} of {total}")
            out.print(qr_terminal(text))
            out.print(f"(also saved as {path})")
        out.print(
            f"Show {'these ' + str(total) + ' codes' if total > 1 else 'this code'} to {name}'s "
            "camera (any order). It is recorded in your history."
        )
