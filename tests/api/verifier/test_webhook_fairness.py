"""Issue 15, finding 3: one relying party's webhooks no longer delay every other's. One thread
delivered at most 20 per round, each waiting up to the fetch timeout, all signed with the
round's start time: ten deliveries to an endpoint that never answers held another bank's
webhook for ten timeouts, and it arrived with a stale ``t=``. Now deliveries go concurrently
with a per-relying-party limit, a failing endpoint rests, each is signed when sent, and of two
workers exactly one sends each (a lease in the database)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.encoding import dumps_compact
from did.fetch import Fetcher, FetchPolicy
from tests.api.verifier.conftest import make_settings
from tests.support.fake_issuer import FakeIssuer
from tests.support.servers import Tarpit
from verifier.runtime import build_runtime
from verifier.storage.models import WebhookDelivery
from verifier.webhook_signature import SIGNATURE_HEADER, verify_webhook_signature
from verifier.webhooks import WebhookDispatcher

SECRET = "webhook-secret-of-every-test-bank"
TIMEOUT = 3.0


class Receiver:
    """A bank's webhook endpoint on loopback: records (arrival time, headers, body)."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, bytes]] = []
        received = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((time.time(), self.headers[SIGNATURE_HEADER], body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # 24 deliveries connect at once: socketserver's default backlog of 5 drops SYNs,
            # and on a loaded machine the kernel's retry lands after the 3 s fetch timeout.
            request_queue_size = 64

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    pit = Tarpit()
    yield pit
    pit.close()


@contextmanager
def _engine(tmp_path: Path, issuer: FakeIssuer, **settings: str) -> Iterator[Engine]:
    runtime = build_runtime(make_settings(tmp_path, issuer, **settings))
    try:
        yield runtime.context.engine
    finally:
        runtime.close()


@pytest.fixture
def engine(tmp_path: Path, issuer: FakeIssuer) -> Iterator[Engine]:
    with _engine(tmp_path, issuer) as made:
        yield made


def _dispatcher(engine: Engine) -> WebhookDispatcher:
    fetcher = Fetcher(FetchPolicy(timeout=TIMEOUT, allow_http=True, allow_private=True))
    return WebhookDispatcher(
        engine,
        fetcher=fetcher,
        secret_for=lambda _rp: SECRET,
        clock=lambda: int(time.time()),
        poll_interval=0.2,
    )


def _add(engine: Engine, rp: str, url: str, count: int, *, first: int = 0) -> None:
    now = int(time.time())
    with Session(engine) as s:
        for i in range(first, first + count):
            body = dumps_compact({"event": "presentation.completed", "id": f"{rp}-{i}"})
            s.add(WebhookDelivery(request_id=f"{rp}-{i}", rp_key_id=rp, url=url, body=body,
                                  next_attempt_at=now, created_at=now))  # fmt: skip
        s.commit()


def _rows(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as s:
        return list(s.exec(select(WebhookDelivery)).all())


def test_a_tarpit_does_not_delay_another_banks_webhook(
    engine: Engine, receiver: Receiver, tarpit: Tarpit
) -> None:
    _add(engine, "slow-bank", tarpit.url, 10)
    _add(engine, "bank-b", receiver.url, 1)  # created last: the old round sent it last
    dispatcher = _dispatcher(engine)
    started = time.time()
    dispatcher.start()
    try:
        deadline = started + 4 * TIMEOUT
        while not receiver.arrivals and time.time() < deadline:
            time.sleep(0.02)
        assert receiver.arrivals, "bank-b's webhook did not arrive"
        arrived, header, body = receiver.arrivals[0]
        assert arrived - started < TIMEOUT / 2  # did not wait for one tarpit timeout
        # Signed when sent: a receiver's replay window (5 minutes, or 1 second) holds.
        verify_webhook_signature(body, header, SECRET, now=int(arrived), tolerance=1)
        time.sleep(TIMEOUT + 1)  # the tarpit's first deliveries time out
    finally:
        dispatcher.stop()
    slow = [row for row in _rows(engine) if row.rp_key_id == "slow-bank"]
    attempted = [row for row in slow if row.attempts > 0]
    # At most the per-relying-party limit was sent at once; the rest wait for the endpoint's
    # back-off without using an attempt (or a thread).
    assert 1 <= len(attempted) <= 4
    assert all(row.status == "pending" and row.last_error for row in attempted)
    assert all(row.next_attempt_at > int(started) for row in slow)


def test_a_failing_endpoint_rests_its_other_deliveries(engine: Engine, tarpit: Tarpit) -> None:
    tarpit.close()  # nothing listens: connections are refused at once
    _add(engine, "gone-bank", tarpit.url, 6)
    dispatcher = _dispatcher(engine)
    try:
        first = dispatcher.run_once()
        assert first == 4  # the per-relying-party limit
        assert dispatcher.run_once() == 0  # the endpoint rests: the other two are postponed
    finally:
        dispatcher.stop()
    rows = _rows(engine)
    assert sorted(row.attempts for row in rows) == [0, 0, 1, 1, 1, 1]
    assert all(row.next_attempt_at > int(time.time()) for row in rows)


@pytest.mark.postgres
def test_two_workers_send_each_delivery_once(
    tmp_path: Path, issuer: FakeIssuer, postgres_url: str, receiver: Receiver
) -> None:
    with _engine(tmp_path, issuer, database_url=postgres_url) as engine:
        banks = [f"bank-{i}" for i in range(6)]
        for bank in banks:
            _add(engine, bank, receiver.url, 4)
        workers = [_dispatcher(engine), _dispatcher(engine)]
        start = threading.Barrier(2)

        def work(dispatcher: WebhookDispatcher) -> None:
            start.wait()
            for _ in range(3):
                dispatcher.run_once()

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for worker in workers:
            worker.stop()
        ids = [json.loads(body)["id"] for _, _, body in receiver.arrivals]
        assert len(ids) == len(set(ids)) == 24
        assert all(row.status == "delivered" and row.attempts == 1 for row in _rows(engine))
