"""Small helpers every route module uses."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from servicekit.sessions import Session
from wallet.errors import VaultError
from wallet.holder import Wallet
from wallet.web.pages import Problem
from wallet.web.state import TooManyTries, UnlockGuard

__all__ = [
    "PASSPHRASES_DIFFER",
    "TICKET",
    "confirm_passphrase",
    "flash",
    "redirect",
    "too_many_tries",
]

# Tickets and credential ids in paths: random URL-safe text, nothing else reaches the wallet.
TICKET = r"^[A-Za-z0-9_-]{8,64}$"


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form, the browser loads the result with GET (reload-safe)."""
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def flash(session: Session, text: str, kind: str = "ok") -> None:
    """A one-line notice shown on the next page of this session."""
    session.data["flash"] = {"kind": kind, "text": text}


def language(request: Request) -> str:
    language: str = request.app.state.web.pages.language(request)
    return language


PASSPHRASES_DIFFER = Problem(
    "The two passphrases are not the same.",
    "Type the same passphrase in both boxes.",
    "passphrase_mismatch",
)
_NOT_YOUR_PASSPHRASE = Problem(
    "Your wallet passphrase is not right.",
    "Type the passphrase you unlock this wallet with; capital letters matter, so check Caps "
    "Lock. Nothing was changed.",
    "wrong_passphrase",
)


def too_many_tries(wait: int) -> Problem:
    return Problem(
        "Too many wrong passphrases in a row.",
        f"Wait {wait} seconds, then type your passphrase again.",
        "too_many_tries",
        429,
    )


def confirm_passphrase(guard: UnlockGuard, wallet: Wallet, passphrase: str) -> Problem | None:
    """Ask again for the wallet passphrase before a change that outlives the session (a backup
    carries the holder keys; a new passphrase locks the owner out). Wrong answers count
    towards the same pause as the unlock page, so an unlocked but unattended wallet is no
    faster way to guess the passphrase."""
    try:
        guard.attempt(lambda: wallet.verify_passphrase(passphrase))
    except TooManyTries as exc:
        return too_many_tries(exc.wait)
    except VaultError as exc:
        if exc.code != "wrong_passphrase":
            raise
        return _NOT_YOUR_PASSPHRASE
    return None
