"""The web wallet's in-memory state: closing a wallet that a request is using, pending tickets,
and the unlock guard."""

from __future__ import annotations

import threading
import time

import pytest

from wallet.web.state import (
    MAX_PENDING,
    OpenWallet,
    PendingOffer,
    UnlockGuard,
    WalletLocked,
    WebSessions,
)


class StubWallet:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def opened() -> tuple[OpenWallet, StubWallet]:
    stub = StubWallet()
    return OpenWallet(stub), stub  # type: ignore[arg-type]


def test_closing_an_idle_wallet_closes_it_once() -> None:
    wallet, stub = opened()
    wallet.close()
    wallet.close()
    assert stub.closed == 1
    assert wallet.closed
    with pytest.raises(WalletLocked), wallet.use():
        pass


def test_closing_a_busy_wallet_does_not_wait_and_the_request_closes_it() -> None:
    wallet, stub = opened()
    inside, release = threading.Event(), threading.Event()

    def request() -> None:
        with wallet.use():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=request)
    worker.start()
    assert inside.wait(5)
    started = time.monotonic()
    wallet.close()  # e.g. the idle sweep on the event loop: must not block
    assert time.monotonic() - started < 0.5
    assert stub.closed == 0
    release.set()
    worker.join(5)
    assert stub.closed == 1
    with pytest.raises(WalletLocked), wallet.use():
        pass


def test_a_request_that_fails_still_closes_a_wallet_closed_meanwhile() -> None:
    wallet, stub = opened()

    def failing_request() -> None:
        with wallet.use():
            wallet.close()
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    assert stub.closed == 1


def test_only_the_newest_tickets_are_kept() -> None:
    wallet, _ = opened()
    tickets = [wallet.add_offer(PendingOffer(None)) for _ in range(MAX_PENDING + 3)]
    assert list(wallet.offers) == tickets[3:]
    assert len(set(tickets)) == len(tickets)


def test_ending_a_session_closes_its_wallet_and_anonymous_sessions_are_harmless() -> None:
    now = [0.0]
    sessions = WebSessions(idle_seconds=60, max_seconds=600, clock=lambda: now[0])
    wallet, stub = opened()
    anonymous = sessions.start()
    signed_in = sessions.start(wallet)
    assert sessions.open_wallets == 1
    now[0] = 30
    assert sessions.get(signed_in.id) is signed_in  # seen: idle time starts again
    now[0] = 70
    assert sessions.sweep() == 1  # the anonymous one, idle since 0
    assert sessions.get(anonymous.id) is None
    assert stub.closed == 0
    now[0] = 95
    assert sessions.sweep() == 1
    assert stub.closed == 1
    assert sessions.open_wallets == 0


def test_sessions_end_after_the_maximum_time_even_when_used() -> None:
    now = [0.0]
    sessions = WebSessions(idle_seconds=60, max_seconds=100, clock=lambda: now[0])
    wallet, stub = opened()
    session = sessions.start(wallet)
    for moment in (50.0, 90.0):
        now[0] = moment
        assert sessions.get(session.id) is session
    now[0] = 101
    assert sessions.sweep() == 1
    assert stub.closed == 1


def test_the_unlock_guard_pauses_after_five_failures_in_a_row() -> None:
    now = [0.0]
    guard = UnlockGuard(lambda: now[0], free_tries=5, pause=30)
    for _ in range(4):
        guard.failed()
    assert guard.wait_seconds() == 0
    guard.failed()
    assert guard.wait_seconds() == 30
    now[0] = 29.5
    assert guard.wait_seconds() == 1
    now[0] = 30
    assert guard.wait_seconds() == 0
    guard.failed()  # still above the free tries: another pause
    assert guard.wait_seconds() == 30
    guard.succeeded()
    assert guard.wait_seconds() == 0
    guard.failed()
    assert guard.wait_seconds() == 0
