"""Who is using the operator pages: sign-in throttling, the browser session, CSRF checks.

* Signing in verifies the operator API key exactly as the API does (the stored SHA-256 hash,
  compared in constant time) and opens a server-side :class:`~drukid.common.sessions.Session`
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

import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from drukid.common.sessions import Session
from issuer.errors import ForbiddenError
from issuer.operator import PERMISSIONS, Actor
from issuer.web.forms import Form

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
_TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)
_MAX_TRACKED_CLIENTS = 10_000


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
    current = request.cookies.get(SIGN_IN_COOKIE, "")
    if len(current) == _TOKEN_LENGTH and current.replace("-", "").replace("_", "").isalnum():
        return current
    return secrets.token_urlsafe(32)


def check_sign_in_token(request: Request, form: Form) -> None:
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    sent = form.get("csrf_token")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise _stale_form()


def _stale_form() -> ForbiddenError:
    return ForbiddenError(
        "this form is out of date or did not come from this page; reload the page and try again",
        code="csrf_failed",
    )


class SignInThrottle:
    """At most ``limit`` failed sign-ins per client within ``window`` seconds."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        limit: int = MAX_FAILED_SIGN_INS,
        window: float = SIGN_IN_WINDOW,
    ) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        now = self._clock()
        with self._lock:
            recent = self._recent(client, now)
            if len(recent) < self._limit:
                return 0
            return max(1, int(recent[-self._limit] + self._window - now) + 1)

    def failed(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            if client not in self._failures and len(self._failures) >= _MAX_TRACKED_CLIENTS:
                self._forget_stale(now)
                if len(self._failures) >= _MAX_TRACKED_CLIENTS:  # a flood: drop the oldest
                    self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(client, []).append(now)
            self._failures[client] = self._recent(client, now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> list[float]:
        return [t for t in self._failures.get(client, ()) if now - t < self._window]

    def _forget_stale(self, now: float) -> None:
        for client in [c for c in self._failures if not self._recent(c, now)]:
            del self._failures[client]
