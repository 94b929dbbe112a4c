"""servicekit.page_state: sessions and failed sign-ins in the database, as two worker processes
see them (two stores over two engines on one database), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from servicekit.database import create_db_engine
from servicekit.page_state import (
    DatabaseSessionStore,
    DatabaseSignInThrottle,
    PageStateTables,
    page_state_tables,
)
from servicekit.sessions import Session

METADATA = MetaData()
TABLES = page_state_tables(METADATA, sessions="test_page_session", failures="test_failure")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one new database: what two worker processes have."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    first, second = create_db_engine(url), create_db_engine(url)
    METADATA.create_all(first)
    yield first, second
    first.dispose()
    second.dispose()


def _stores(
    engines: tuple[Engine, Engine], clock: Clock, ended: list[Session], tables: PageStateTables
) -> tuple[DatabaseSessionStore, DatabaseSessionStore]:
    def store(engine: Engine) -> DatabaseSessionStore:
        return DatabaseSessionStore(
            lambda: engine,
            tables.sessions,
            idle_seconds=600,
            absolute_seconds=3600,
            clock=clock,
            on_expire=ended.append,
        )

    return store(engines[0]), store(engines[1])


def test_a_session_made_at_one_worker_is_used_at_the_other(engines: tuple[Engine, Engine]) -> None:
    clock, ended = Clock(), []
    one, two = _stores(engines, clock, ended, TABLES)
    session = one.create(key_id="k1", lang="en")
    found = two.get(session.id)
    assert found is not None
    assert (found.csrf_token, found.data) == (session.csrf_token, {"key_id": "k1", "lang": "en"})
    assert found.csrf_ok(session.csrf_token)
    with engines[0].connect() as conn:
        stored = conn.execute(select(TABLES.sessions.c.id_hash)).scalars().all()
    assert stored == [hashlib.sha256(session.id.encode()).hexdigest()]  # never the id itself
    two.drop(session.id)
    assert one.get(session.id) is None
    assert [s.data["key_id"] for s in ended] == ["k1"]
    assert one.get(None) is None
    assert one.get("not-a-session") is None


def test_sessions_expire_idle_and_absolute_and_are_swept_once(
    engines: tuple[Engine, Engine],
) -> None:
    clock, ended = Clock(), []
    one, two = _stores(engines, clock, ended, TABLES)
    kept = one.create(key_id="kept")
    for _ in range(6):  # kept alive by use, at either worker ...
        clock.now += 590
        assert (one if clock.now % 2 else two).get(kept.id) is not None
    clock.now += 200  # ... but not past the absolute limit (3,600 s)
    assert two.get(kept.id) is None
    idle = one.create(key_id="idle")
    clock.now += 601
    assert one.sweep() + two.sweep() == 1  # both sweep; one of them ends it
    assert sorted(s.data["key_id"] for s in ended) == ["idle", "kept"]
    assert one.snapshot() == []
    assert two.get(idle.id) is None


def test_last_seen_is_written_now_and_then_not_at_every_read(
    engines: tuple[Engine, Engine],
) -> None:
    clock = Clock()
    one, _ = _stores(engines, clock, [], TABLES)
    session = one.create()
    clock.now += 5  # under a thirtieth of the idle time (20 s): not written
    assert one.get(session.id) is not None
    assert one.snapshot()[0].last_seen == session.last_seen
    clock.now += 20
    assert one.get(session.id) is not None
    assert one.snapshot()[0].last_seen == clock.now


def test_saving_merges_what_each_request_changed(engines: tuple[Engine, Engine]) -> None:
    """Two requests of one session at once (a poll and a form): neither undoes the other."""
    clock = Clock()
    one, two = _stores(engines, clock, [], TABLES)
    session = one.create(key_id="k", check="c1", lang="en")
    poll, form = one.get(session.id), two.get(session.id)
    assert poll is not None
    assert form is not None
    poll.data["shown_until"] = 99
    form.data["flash"] = {"kind": "ok", "text": "Done."}
    form.data.pop("check")
    two.save(form)
    one.save(poll)
    again = two.get(session.id)
    assert again is not None
    assert again.data == {
        "key_id": "k",
        "lang": "en",
        "shown_until": 99,
        "flash": {"kind": "ok", "text": "Done."},
    }
    one.save(again)  # nothing changed: nothing written
    one.drop(session.id)
    again.data["lang"] = "dz"
    two.save(again)  # an ended session stays ended
    assert one.get(session.id) is None


def test_failed_sign_ins_count_over_workers(engines: tuple[Engine, Engine]) -> None:
    clock = Clock()
    one, two = (
        DatabaseSignInThrottle(lambda e=e: e, TABLES.failures, clock=clock, limit=3, window=60)
        for e in engines
    )
    for throttle in (one, two, one):
        assert throttle.retry_after("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    assert one.retry_after("10.0.0.1") == 61
    assert two.retry_after("10.0.0.1") == 61
    assert two.retry_after("10.0.0.2") == 0  # per client
    clock.now += 30
    assert one.retry_after("10.0.0.1") == 31
    clock.now += 31
    assert two.retry_after("10.0.0.1") == 0  # the window slid past
    two.failed("10.0.0.1")  # and the old failures are forgotten as new ones come in
    with engines[0].connect() as conn:
        assert len(conn.execute(select(TABLES.failures)).all()) == 1
    one.succeeded("10.0.0.1")
    assert two.retry_after("10.0.0.1") == 0
    two.failed("10.0.0.3")
    clock.now += 61
    assert one.sweep() == 1
