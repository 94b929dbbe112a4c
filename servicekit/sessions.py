"""Browser sessions for the operator, teller and web-wallet pages.

A session is a random 256-bit id in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` in
production) pointing at server-side data; the data (which API key signed in, an unlocked wallet)
never travels to the browser. Sessions expire after idle time and absolutely. Every form carries
a per-session CSRF token compared in constant time.

Two stores with one interface (:class:`PageSessions`):

* :class:`SessionStore` keeps sessions in this process's memory: a restart signs everyone out,
  which is the safe failure. The web wallet uses it (its sessions hold open wallets, objects
  that cannot leave the process), and so can a single-process service.
* :class:`servicekit.page_state.DatabaseSessionStore` keeps them in the service's database, so
  that every worker process (and every host behind the proxy) sees the same sessions: signed in
  at one worker, served by any other; a rolling restart signs nobody out.

Whoever changes ``session.data`` during a request hands the session back with
:meth:`PageSessions.save` before the response leaves (the staff-pages kit does this for every
session a request loaded); the memory store's sessions are live objects, so saving is free.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["PageSessions", "Session", "SessionStore", "cookie_options"]


@dataclass
class Session:
    """One browser session. ``data`` holds what the pages keep for it (JSON values in the
    database store). ``saved`` is the store's copy of ``data`` as last read or written (for
    :meth:`PageSessions.save` to send only what changed); the memory store leaves it ``None``."""

    id: str
    csrf_token: str
    created: float
    last_seen: float
    data: dict[str, Any] = field(default_factory=dict)
    saved: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def csrf_ok(self, token: str | None) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf_token)


class PageSessions(Protocol):
    """What the pages need from a session store. ``shared`` says whether other processes see
    the same sessions (then a process that stops must not end them)."""

    @property
    def shared(self) -> bool: ...

    def create(self, **data: Any) -> Session: ...

    def get(self, session_id: str | None) -> Session | None: ...

    def save(self, session: Session) -> None: ...

    def drop(self, session_id: str | None) -> None: ...

    def sweep(self) -> int: ...

    def snapshot(self) -> list[Session]: ...

    def drop_all(self) -> None: ...


class SessionStore:
    """Thread-safe in-memory sessions with idle and absolute expiry."""

    shared = False

    def __init__(
        self,
        *,
        idle_seconds: float = 15 * 60,
        absolute_seconds: float = 8 * 3600,
        clock: Callable[[], float] = time.monotonic,
        on_expire: Callable[[Session], None] | None = None,
    ) -> None:
        self._idle = idle_seconds
        self._absolute = absolute_seconds
        self._clock = clock
        self._on_expire = on_expire
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, **data: Any) -> Session:
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now, data)
        with self._lock:
            self._prune(now)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > self._idle or now - session.created > self._absolute:
                self._drop(session)
                return None
            session.last_seen = now
            return session

    def save(self, session: Session) -> None:
        """Nothing to do: the stored session is the object the caller changed."""

    def drop(self, session_id: str | None) -> None:
        with self._lock:
            session = self._sessions.get(session_id or "")
            if session is not None:
                self._drop(session)

    def sweep(self) -> int:
        """End every idle or too old session now (``on_expire`` runs for each); return how
        many. Services call this periodically so that expiry happens even with no traffic."""
        now = self._clock()
        with self._lock:
            before = len(self._sessions)
            self._prune(now)
            return before - len(self._sessions)

    def snapshot(self) -> list[Session]:
        """The live sessions at this moment (for counting; never for authentication)."""
        with self._lock:
            return list(self._sessions.values())

    def drop_all(self) -> None:
        with self._lock:
            for session in list(self._sessions.values()):
                self._drop(session)

    def _drop(self, session: Session) -> None:
        self._sessions.pop(session.id, None)
        if self._on_expire is not None:
            self._on_expire(session)

    def _prune(self, now: float) -> None:
        for session in list(self._sessions.values()):
            if now - session.last_seen > self._idle or now - session.created > self._absolute:
                self._drop(session)


def cookie_options(*, secure: bool, max_age: int | None = None, path: str = "/") -> dict[str, Any]:
    """Keyword arguments for ``Response.set_cookie`` for a session cookie."""
    options: dict[str, Any] = {
        "httponly": True,
        "samesite": "strict",
        "secure": secure,
        "path": path,
    }
    if max_age is not None:
        options["max_age"] = max_age
    return options
