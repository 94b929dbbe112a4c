"""Who is signed in to a staff page.

A visit is one signed-in request: the server-side :class:`~servicekit.sessions.Session` (which
holds the API key's *id*, never the key) and whatever the role's key stands for, looked up
again at every request so that revoking a key ends its sessions at once. Each role subclasses
:class:`SignedIn` (the operator's actor, the teller's desk).
"""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.sessions import Session

__all__ = ["SignInRequired", "SignedIn"]


class SignInRequired(Exception):
    """No usable session: the browser goes to the sign-in form, which says why (``reason``:
    ``ended`` after idle time, ``key_revoked``; none for a first visit)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "sign in")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignedIn:
    """One signed-in request: its session, with the CSRF token and a one-line notice."""

    session: Session

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    def flash(self, kind: str, text: str) -> None:
        """A one-line notice shown on the next page this session sees."""
        self.session.data["flash"] = {"kind": kind, "text": text}

    def take_flash(self) -> dict[str, str] | None:
        flash = self.session.data.pop("flash", None)
        return flash if isinstance(flash, dict) else None
