"""The wallet's deferred issuance rules (OpenID4VCI 1.0 §8.3, §9): the 202 answer, the deferred
endpoint's answers, and the polling schedule."""

from __future__ import annotations

import pytest

from wallet.errors import ReceiveError
from wallet.oid4vci.deferred import (
    MAX_POLL_DELAY,
    check_still_waiting,
    next_poll_at,
    parse_accepted,
)


def test_parse_accepted() -> None:
    accepted = parse_accepted({"transaction_id": "t-1", "interval": 30})
    assert (accepted.transaction_id, accepted.interval) == ("t-1", 30)
    assert "t-1" not in repr(accepted)  # a bearer secret


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"transaction_id": "t"},
        {"transaction_id": "t", "interval": 0},
        {"transaction_id": "t", "interval": True},
        {"transaction_id": "", "interval": 5},
        {"transaction_id": 5, "interval": 5},
        "x",
    ],
)
def test_parse_accepted_refuses(body: object) -> None:
    with pytest.raises(ReceiveError) as err:
        parse_accepted(body)
    assert err.value.code == "issuer_rejected"


def test_poll_schedule_waits_the_interval_doubles_and_is_capped() -> None:
    now = 1_000_000
    delays = [next_poll_at(now, interval=60, attempt=a, jitter=0.0) - now for a in range(12)]
    assert delays[:4] == [60, 120, 240, 480]
    assert all(d >= 60 for d in delays)
    assert max(delays) == MAX_POLL_DELAY
    assert next_poll_at(now, interval=60, attempt=500, jitter=0.0) - now == MAX_POLL_DELAY


def test_poll_jitter_is_bounded() -> None:
    now = 0
    low = next_poll_at(now, interval=100, attempt=1, jitter=0.0)
    high = next_poll_at(now, interval=100, attempt=1, jitter=0.9999)
    assert low == 200
    assert 200 <= high <= 250
    assert next_poll_at(now, interval=100, attempt=0, jitter=5.0) <= 125  # clamped


def test_never_before_the_interval_even_when_huge() -> None:
    assert next_poll_at(0, interval=86400, attempt=3, jitter=0.0) == 86400


@pytest.mark.parametrize(
    ("status", "body"),
    [(202, {"transaction_id": "t", "interval": 5}), (400, {"error": "issuance_pending"})],
)
def test_still_waiting(status: int, body: object) -> None:
    check_still_waiting(status, body)


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, {"error": "invalid_transaction_id", "code": "issuance_denied"}, "issuance_denied"),
        (400, {"error": "credential_request_denied"}, "issuance_denied"),
        (400, {"error": "invalid_transaction_id", "code": "transaction_used"}, "issuance_expired"),
        (400, {"error": "invalid_transaction_id"}, "issuance_expired"),
        (401, {"error": "invalid_token"}, "issuer_rejected"),
        (500, None, "issuer_rejected"),
    ],
)
def test_stop_asking(status: int, body: object, code: str) -> None:
    with pytest.raises(ReceiveError) as err:
        check_still_waiting(status, body)
    assert err.value.code == code
