"""Small helpers every route module uses."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from drukid.common.sessions import Session

__all__ = ["TICKET", "flash", "redirect"]

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
