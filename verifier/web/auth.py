"""Who is at the desk: the browser session, CSRF tokens and sign-in throttling.

* Signing in checks the desk's relying-party API key exactly as the API does
  (:meth:`verifier.service.VerifierService.authenticate`) and opens a server-side
  :class:`~servicekit.sessions.Session` that holds the key's *id* only. The key itself is
  never stored, never put in a cookie and never sent back to the browser.
* Every page looks the key up again by id, so revoking a desk's key ends its sessions at once.
* The session cookie is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` when the public URL is
  ``https``, and scoped to ``/teller``; sessions end after idle time (settings) and absolutely.
* Every POST carries the session's CSRF token. The sign-in form, before any session exists,
  uses a double-submit token: a random cookie echoed in a hidden field (login CSRF would
  otherwise sign a teller in as someone else's desk).
* Failed sign-ins are counted per client address; after ``limit`` failures within ``window``
  seconds that address must wait. Keys hold 256 random bits, so this is about noise and
  guessing tools, not the key's strength.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servicekit.sessions import Session
from servicekit.signin import SignInThrottle, form_token, form_token_ok
from verifier.web.problems import PageProblem

__all__ = [
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "Desk",
    "SignInThrottle",
    "check_csrf",
    "check_sign_in_token",
    "sign_in_token",
]

SESSION_COOKIE = "drukid_teller"
SIGN_IN_COOKIE = "drukid_teller_sign_in"


@dataclass(frozen=True, slots=True)
class Desk:
    """One signed-in page view: the session, the API key id and the desk's name."""

    session: Session
    key_id: str
    name: str

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def check_id(self) -> str | None:
        """The presentation request this desk is running or showing, if any."""
        value = self.session.data.get("check")
        return value if isinstance(value, str) else None

    def start_check(self, request_id: str) -> None:
        self.session.data["check"] = request_id
        self.session.data.pop("shown_until", None)

    def forget_check(self) -> None:
        """Nothing about the last check stays in the session."""
        self.session.data.pop("check", None)
        self.session.data.pop("shown_until", None)

    def shown_until(self, deadline: int) -> int:
        """When the current result leaves the screen: fixed the first time it is shown."""
        value = self.session.data.setdefault("shown_until", deadline)
        return int(value)

    def flash(self, kind: str, text: str) -> None:
        """A one-line notice for the next page this desk sees."""
        self.session.data["flash"] = {"kind": kind, "text": text}

    def take_flash(self) -> dict[str, str] | None:
        flash = self.session.data.pop("flash", None)
        return flash if isinstance(flash, dict) else None


def _stale_form() -> PageProblem:
    return PageProblem(
        403,
        "This form is out of date or did not come from this page.",
        "Reload the page and try again.",
    )


def check_csrf(desk: Desk, form: Mapping[str, str]) -> None:
    if not desk.session.csrf_ok(form.get("csrf_token") or None):
        raise _stale_form()


def sign_in_token(cookies: Mapping[str, str]) -> str:
    """The double-submit token for the sign-in form: the browser's existing one, else new."""
    return form_token(cookies, SIGN_IN_COOKIE)


def check_sign_in_token(cookies: Mapping[str, str], form: Mapping[str, Any]) -> None:
    if not form_token_ok(cookies, SIGN_IN_COOKIE, form.get("csrf_token")):
        raise _stale_form()
