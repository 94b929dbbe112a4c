"""The staff pages' shared state in the service's database: browser sessions (with their CSRF
tokens) and failed sign-ins, so that every worker process, on one host or many, sees the same.

Signed in at one worker, served by the next; five wrong keys are five wherever they were typed;
a session one worker ends is ended everywhere. The tables (:func:`page_state_tables`) belong to
each role's schema (``issuer_page_session``/``issuer_sign_in_failure``,
``verifier_page_sessions``/``verifier_sign_in_failures``) and arrive by its migrations.

* A session row is keyed by the SHA-256 of the session id: whoever reads the database cannot
  sign in with what they read. The CSRF token is stored as it is (it is worthless without the
  cookie). ``data`` is JSON. ``last_seen`` is written at most every ``touch`` seconds (a thirtieth
  of the idle time, at most 30 s), so a page that polls does not write on every poll; a session
  may therefore end up to that much before its idle time is up, never after.
* Expiry is checked on every read, and :meth:`DatabaseSessionStore.sweep` deletes what expired
  with nobody looking; each row is deleted by one conditional ``DELETE``, so when several
  workers sweep at once exactly one of them runs ``on_expire`` for it.
* Saving merges: only the keys a request changed are written, into the row as it is now (held
  by a row lock for the moment), so two requests of one session (a poll and a form) never undo
  each other's changes.
* Failed sign-ins are one row each (the SHA-256 of the client address and the time), counted
  over the sliding window; rows older than the window are deleted as failures come in and by
  :meth:`DatabaseSignInThrottle.sweep`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Column,
    CursorResult,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, Row

from servicekit.sessions import Session

__all__ = [
    "DatabaseSessionStore",
    "DatabaseSignInThrottle",
    "PageStateTables",
    "failure_table",
    "page_state_tables",
]

EngineSource = Callable[[], Engine]


class PageStateTables(NamedTuple):
    sessions: Table
    failures: Table


def page_state_tables(metadata: MetaData, *, sessions: str, failures: str) -> PageStateTables:
    """The two tables, named ``sessions`` and ``failures``, in a role's ``metadata``."""
    session_table = Table(
        sessions,
        metadata,
        Column("id_hash", String(64), primary_key=True),
        Column("csrf_token", String(64), nullable=False),
        Column("created_at", Float, nullable=False),
        Column("last_seen", Float, nullable=False, index=True),
        Column("data", Text, nullable=False),
    )
    return PageStateTables(session_table, failure_table(metadata, failures))


def failure_table(metadata: MetaData, name: str) -> Table:
    """A table of failed attempts for a :class:`DatabaseSignInThrottle` of its own (each
    throttle sweeps by its own window, so two throttles with different windows never share
    one)."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_hash", String(64), nullable=False),
        Column("at", Float, nullable=False, index=True),
        Index(f"ix_{name}_client_at", "client_hash", "at"),
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _load(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class DatabaseSessionStore:
    """Sessions in a table of the service's database, with idle and absolute expiry.
    ``engine`` is called for the engine each time (the service opens it after the pages are
    built); ``clock`` must be wall-clock seconds, the same in every process."""

    shared = True

    def __init__(
        self,
        engine: EngineSource,
        table: Table,
        *,
        idle_seconds: float = 15 * 60,
        absolute_seconds: float = 8 * 3600,
        clock: Callable[[], float],
        on_expire: Callable[[Session], None] | None = None,
    ) -> None:
        self._engine = engine
        self._t = table
        self._idle = idle_seconds
        self._absolute = absolute_seconds
        self._clock = clock
        self._on_expire = on_expire
        self._touch = min(30.0, idle_seconds / 30)

    def create(self, **data: Any) -> Session:
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now, data)
        text = _dump(data)
        with self._engine().begin() as conn:
            conn.execute(
                insert(self._t).values(
                    id_hash=_digest(session.id),
                    csrf_token=session.csrf_token,
                    created_at=now,
                    last_seen=now,
                    data=text,
                )
            )
        session.saved = _load(text)
        self.sweep()
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = self._clock()
        key = _digest(session_id)
        t = self._t
        with self._engine().connect() as conn:
            row = conn.execute(select(t).where(t.c.id_hash == key)).first()
        if row is None:
            return None
        if self._is_expired(row, now):
            self._end(row, now=now, session_id=session_id)
            return None
        session = self._session(row, session_id)
        if now - row.last_seen >= self._touch:
            with self._engine().begin() as conn:
                touched = conn.execute(update(t).where(t.c.id_hash == key).values(last_seen=now))
            if _rowcount(touched) == 0:  # ended by another worker a moment ago
                return None
            session.last_seen = now
        return session

    def save(self, session: Session) -> None:
        """Write the keys of ``session.data`` changed since it was read, into the row as it is
        now; a session that ended meanwhile stays ended."""
        before = session.saved if session.saved is not None else {}
        changed = {k: v for k, v in session.data.items() if k not in before or before[k] != v}
        removed = [k for k in before if k not in session.data]
        if not changed and not removed:
            return
        t, key = self._t, _digest(session.id)
        with self._engine().begin() as conn:
            # The no-op UPDATE first takes the row's write lock (PostgreSQL) or the database's
            # (SQLite), so the read below is current and no other save slips in between.
            locked = conn.execute(
                update(t).where(t.c.id_hash == key).values(last_seen=t.c.last_seen)
            )
            if _rowcount(locked) == 0:
                return
            current = _load(conn.execute(select(t.c.data).where(t.c.id_hash == key)).scalar_one())
            current.update(changed)
            for name in removed:
                current.pop(name, None)
            text = _dump(current)
            conn.execute(update(t).where(t.c.id_hash == key).values(data=text))
        session.saved = _load(_dump(session.data))

    def drop(self, session_id: str | None) -> None:
        if not session_id:
            return
        t = self._t
        with self._engine().connect() as conn:
            row = conn.execute(select(t).where(t.c.id_hash == _digest(session_id))).first()
        if row is not None:
            self._end(row, session_id=session_id)

    def sweep(self) -> int:
        """End every idle or too old session now (``on_expire`` runs once for each, in
        whichever worker deleted it); return how many this call ended."""
        now = self._clock()
        t = self._t
        expired = or_(t.c.last_seen < now - self._idle, t.c.created_at < now - self._absolute)
        if self._on_expire is None:
            with self._engine().begin() as conn:
                return _rowcount(conn.execute(delete(t).where(expired)))
        with self._engine().connect() as conn:
            rows = conn.execute(select(t).where(expired)).all()
        return sum(1 for row in rows if self._end(row, now=now))

    def snapshot(self) -> list[Session]:
        """The stored sessions at this moment, expired ones not yet swept included (for
        counting; never for authentication). Their ``id`` is the stored SHA-256."""
        with self._engine().connect() as conn:
            rows = conn.execute(select(self._t)).all()
        return [self._session(row, row.id_hash) for row in rows]

    def drop_all(self) -> None:
        with self._engine().connect() as conn:
            rows = conn.execute(select(self._t)).all()
        for row in rows:
            self._end(row)

    def _is_expired(self, row: Row[Any], now: float) -> bool:
        return bool(now - row.last_seen > self._idle or now - row.created_at > self._absolute)

    def _session(self, row: Row[Any], session_id: str) -> Session:
        return Session(
            session_id,
            row.csrf_token,
            row.created_at,
            row.last_seen,
            _load(row.data),
            saved=_load(row.data),
        )

    def _end(
        self, row: Row[Any], *, now: float | None = None, session_id: str | None = None
    ) -> bool:
        """Delete ``row`` (with ``now``: only if it is still expired then); ``on_expire`` runs
        when this call deleted it. The ended session's ``id`` is the cookie's value when the
        caller knows it, else the stored SHA-256."""
        t = self._t
        statement = delete(t).where(t.c.id_hash == row.id_hash)
        if now is not None:
            statement = statement.where(
                or_(t.c.last_seen < now - self._idle, t.c.created_at < now - self._absolute)
            )
        with self._engine().begin() as conn:
            won = _rowcount(conn.execute(statement)) == 1
        if won and self._on_expire is not None:
            self._on_expire(self._session(row, session_id or row.id_hash))
        return won


class DatabaseSignInThrottle:
    """At most ``limit`` failed sign-ins per client address within ``window`` seconds, counted
    in the database over every worker. ``clock``: wall-clock seconds."""

    def __init__(
        self,
        engine: EngineSource,
        table: Table,
        *,
        clock: Callable[[], float],
        limit: int = 5,
        window: float = 60.0,
    ) -> None:
        self._engine = engine
        self._t = table
        self._clock = clock
        self._limit = limit
        self._window = window

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        now = self._clock()
        t = self._t
        with self._engine().connect() as conn:
            times = (
                conn.execute(
                    select(t.c.at)
                    .where(t.c.client_hash == _digest(client), t.c.at > now - self._window)
                    .order_by(t.c.at.desc())
                    .limit(self._limit)
                )
                .scalars()
                .all()
            )
        if len(times) < self._limit:
            return 0
        return max(1, int(times[-1] + self._window - now) + 1)

    def failed(self, client: str) -> None:
        now = self._clock()
        with self._engine().begin() as conn:
            conn.execute(insert(self._t).values(client_hash=_digest(client), at=now))
        self.sweep()

    def succeeded(self, client: str) -> None:
        t = self._t
        with self._engine().begin() as conn:
            conn.execute(delete(t).where(t.c.client_hash == _digest(client)))

    def sweep(self) -> int:
        """Forget failures older than the window; return how many."""
        t = self._t
        with self._engine().begin() as conn:
            return _rowcount(conn.execute(delete(t).where(t.c.at <= self._clock() - self._window)))
