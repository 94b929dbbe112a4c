"""Who is using the operator pages: sign-in throttling, the browser session, CSRF checks.

* Signing in verifies the operator API key exactly as the API does (the stored SHA-256 hash,
  compared in constant time) and opens a server-side :class:`~servicekit.sessions.Session`
  that holds the key's *id* only; the key itself is never stored or put in a cookie.
* Every request looks the key up again by id, so revoking the key ends its sessions at once.
* The session cookie is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` when the public URL is
  ``https``, scoped to ``/operator``; sessions end after idle time (settings) and absolutely.
* Every POST carries the session's CSRF token. The sign-in form, before any session exists,
  uses a double-submit token (a random cookie echoed in the form).
* Failed sign-ins are counted per client address; after :data:`MAX_FAILED_SIGN_INS` in a minute
  that address must wait. Keys have 256 random bits, so this is about noise and lock-step
  guessing tools rather than the key's strength.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from issuer.errors import ForbiddenError
from issuer.operator import PERMISSIONS, Actor
from issuer.web.forms import Form
from servicekit.sessions import Session
from servicekit.signin import SignInThrottle, form_token, form_token_ok

__all__ = [
    "MAX_FAILED_SIGN_INS",
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "SIGN_IN_WINDOW",
    "SignInRequired",
    "SignInThrottle",
    "Visit",
    "check_csrf",
    "check_sign_in_token",
    "sign_in_token",
]

SESSION_COOKIE = "drukid_operator"
SIGN_IN_COOKIE = "drukid_operator_sign_in"
MAX_FAILED_SIGN_INS = 5
SIGN_IN_WINDOW = 60


class SignInRequired(Exception):
    """No usable session: the page redirects to the sign-in form with ``reason`` shown there."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "sign in")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Visit:
    """One signed-in request: the session and the actor its API key stands for."""

    session: Session
    actor: Actor

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def lang(self) -> str:
        return str(self.session.data.get("lang", "en"))

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.actor.role]

    def flash(self, kind: str, text: str) -> None:
        """A one-line message shown on the next page this session sees."""
        self.session.data["flash"] = {"kind": kind, "text": text}

    def take_flash(self) -> dict[str, str] | None:
        flash = self.session.data.pop("flash", None)
        return flash if isinstance(flash, dict) else None


def check_csrf(visit: Visit, form: Form) -> None:
    if not visit.session.csrf_ok(form.get("csrf_token") or None):
        raise _stale_form()


def sign_in_token(request: Request) -> str:
    """The double-submit token for the sign-in form: the browser's existing one, else new."""
    return form_token(request.cookies, SIGN_IN_COOKIE)


def check_sign_in_token(request: Request, form: Form) -> None:
    if not form_token_ok(request.cookies, SIGN_IN_COOKIE, form.get("csrf_token")):
        raise _stale_form()


def _stale_form() -> ForbiddenError:
    return ForbiddenError(
        "this form is out of date or did not come from this page; reload the page and try again",
        code="csrf_failed",
    )
