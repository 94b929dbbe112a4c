"""Times as a person reads them: Bhutan time by default, the zone always named."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from core.timetext import BHUTAN, local_time, valid_zone

T = 1_796_188_008  # 2026-12-02 05:06:48 UTC


def test_bhutan_time_by_default_with_its_zone() -> None:
    assert local_time(T) == "2026-12-02 11:06 Bhutan time (UTC+06:00)"
    assert local_time(T, BHUTAN) == local_time(T)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("UTC", "2026-12-02 05:06 UTC"),
        ("Europe/Berlin", "2026-12-02 06:06 Europe/Berlin (UTC+01:00)"),
    ],
)
def test_another_zone_is_named(zone: str, shown: str) -> None:
    assert local_time(T, zone) == shown


def test_unknown_zones_are_refused() -> None:
    assert valid_zone("Asia/Thimphu")
    assert not valid_zone("Mars/Olympus")
    assert not valid_zone("../etc")


def test_verifier_verify_prints_dates_not_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    from verifier.commands.verify import _print_verified

    outcome = SimpleNamespace(
        checks=[],
        issuer_name="Department of Civil Registration",
        issuer="https://issuer.example",
        vct="https://issuer.example/types/foundational-id",
        trust_valid_as_of=T,
        status="valid",
        status_checked_at=None,
        to_json=lambda: {"claims": {}},
    )
    _print_verified(outcome, False, BHUTAN)  # type: ignore[arg-type]
    printed = capsys.readouterr().out
    assert "trust data valid as of 2026-12-02 11:06 Bhutan time (UTC+06:00)" in printed
    assert "status valid as of unknown" in printed
    assert not re.search(r"\b1\d{9}\b", printed)
