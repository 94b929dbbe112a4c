"""credentials.clock: exp / nbf / iat with bounded leeway (RFC 7519 §4.1.4-4.1.6)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from credentials.clock import (
    DEFAULT_LEEWAY,
    MAX_LEEWAY,
    MIN_LEEWAY,
    check_leeway,
    numeric_date,
    system_time,
    verify_time_claims,
)
from credentials.errors import MalformedError, ValidityError

NOW = 1_800_000_000


def test_leeway_bounds() -> None:
    assert (MIN_LEEWAY, DEFAULT_LEEWAY, MAX_LEEWAY) == (0, 60, 300)
    assert check_leeway(0) == 0
    assert check_leeway(300) == 300


@pytest.mark.parametrize("leeway", [-1, 301, 3600, True, False, 1.5, "60", None])
def test_leeway_outside_bounds_or_not_whole_seconds_is_refused(leeway: Any) -> None:
    with pytest.raises(ValueError, match="leeway"):
        check_leeway(leeway)
    with pytest.raises(ValueError, match="leeway"):
        verify_time_claims({}, now=NOW, leeway=leeway)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [({}, None), ({"exp": None}, None), ({"exp": 5}, 5), ({"exp": 5.9}, 5), ({"exp": 0}, 0)],
)
def test_numeric_date(claims: dict[str, Any], expected: int | None) -> None:
    assert numeric_date(claims, "exp") == expected


@pytest.mark.parametrize(
    "value", [True, "1800000000", [1], {"t": 1}, float("inf"), float("-inf"), float("nan")]
)
def test_numeric_date_rejects_non_numbers(value: Any) -> None:
    with pytest.raises(MalformedError) as info:
        numeric_date({"exp": value}, "exp")
    assert info.value.code == "invalid_claim"


@pytest.mark.parametrize("leeway", [0, 60, 300])
def test_exp_boundary(leeway: int) -> None:
    exp = NOW
    verify_time_claims({"exp": exp}, now=exp + leeway - 1, leeway=leeway)
    with pytest.raises(ValidityError) as info:
        verify_time_claims({"exp": exp}, now=exp + leeway, leeway=leeway)
    assert info.value.code == "expired"


@pytest.mark.parametrize("leeway", [0, 60, 300])
def test_nbf_boundary(leeway: int) -> None:
    nbf = NOW
    verify_time_claims({"nbf": nbf}, now=nbf - leeway, leeway=leeway)
    with pytest.raises(ValidityError) as info:
        verify_time_claims({"nbf": nbf}, now=nbf - leeway - 1, leeway=leeway)
    assert info.value.code == "not_yet_valid"


@pytest.mark.parametrize("leeway", [0, 60, 300])
def test_iat_in_future_boundary(leeway: int) -> None:
    iat = NOW
    verify_time_claims({"iat": iat}, now=iat - leeway, leeway=leeway)
    with pytest.raises(ValidityError) as info:
        verify_time_claims({"iat": iat}, now=iat - leeway - 1, leeway=leeway)
    assert info.value.code == "issued_in_future"


def test_default_leeway_is_60_seconds() -> None:
    verify_time_claims({"exp": NOW}, now=NOW + 59)
    with pytest.raises(ValidityError):
        verify_time_claims({"exp": NOW}, now=NOW + 60)


def test_old_iat_is_fine_for_a_credential() -> None:
    verify_time_claims({"iat": NOW - 10 * 365 * 86400}, now=NOW)


@pytest.mark.parametrize(("flag", "name"), [("require_exp", "exp"), ("require_iat", "iat")])
def test_required_time_claims(flag: str, name: str) -> None:
    with pytest.raises(ValidityError) as info:
        verify_time_claims({}, now=NOW, **{flag: True})
    assert info.value.code == "missing_claim"
    verify_time_claims({name: NOW}, now=NOW, **{flag: True})


def test_system_time_is_now() -> None:
    assert abs(system_time() - time.time()) < 5
    assert isinstance(system_time(), int)
