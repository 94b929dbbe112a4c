"""Signing in to the staff pages: the throttle and the sign-in form's token.

* :class:`SignInThrottle` — at most ``limit`` failed sign-ins per client address within
  ``window`` seconds, in this process's memory. Keys hold 256 random bits, so this is about
  noise and guessing tools, not the key's strength. It remembers at most 10 000 clients (a
  flood forgets the oldest first). :class:`servicekit.page_state.DatabaseSignInThrottle` counts
  the same in the database, over every worker; both are a :class:`SignInLimiter`.
* A double-submit token for the sign-in form (a random cookie echoed in a hidden field): before
  sign-in there is no session to hold a CSRF token, and login CSRF would otherwise sign a
  person in as somebody else.
* :func:`client_address`: whom the throttle counts.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from fastapi import Request

__all__ = ["SignInLimiter", "SignInThrottle", "client_address", "form_token", "form_token_ok"]

_TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)
_MAX_TRACKED_CLIENTS = 10_000


def form_token(cookies: Mapping[str, str], cookie_name: str) -> str:
    """The sign-in form's token: the browser's existing cookie value when well formed, else new."""
    current = cookies.get(cookie_name, "")
    if len(current) == _TOKEN_LENGTH and current.replace("-", "").replace("_", "").isalnum():
        return current
    return secrets.token_urlsafe(32)


def form_token_ok(cookies: Mapping[str, str], cookie_name: str, sent: object) -> bool:
    """True when the form echoed the cookie's token (compared in constant time)."""
    cookie = cookies.get(cookie_name, "")
    if not cookie or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(cookie.encode("utf-8"), sent.encode("utf-8"))


def client_address(request: Request) -> str:
    """The address the failed sign-ins of this request count against."""
    return request.client.host if request.client else "unknown"


class SignInLimiter(Protocol):
    """What the sign-in routes ask: may this client try now, and what came of its try."""

    def retry_after(self, client: str) -> int: ...

    def failed(self, client: str) -> None: ...

    def succeeded(self, client: str) -> None: ...

    def sweep(self) -> int: ...


class SignInThrottle:
    """Failed sign-ins per client within a sliding window, in memory. Thread-safe."""

    def __init__(self, *, clock: Callable[[], float], limit: int = 5, window: float = 60.0) -> None:
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
                for stale in [c for c in self._failures if not self._recent(c, now)]:
                    del self._failures[stale]
                if len(self._failures) >= _MAX_TRACKED_CLIENTS:
                    self._failures.pop(next(iter(self._failures)))
            self._failures[client] = [*self._recent(client, now), now]

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def sweep(self) -> int:
        """Forget clients with no failure inside the window; return how many."""
        now = self._clock()
        with self._lock:
            stale = [c for c in self._failures if not self._recent(c, now)]
            for client in stale:
                del self._failures[client]
            return len(stale)

    def _recent(self, client: str, now: float) -> list[float]:
        return [t for t in self._failures.get(client, ()) if now - t < self._window]
