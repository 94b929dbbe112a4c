"""benchmarks/load.py still runs its flows end to end: a few requests each, through real servers
on loopback, with no error. Nothing here is timed; the figures are not looked at."""

from __future__ import annotations

import pytest

from benchmarks.load import load

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_the_issuer_load_issues_every_credential_it_asks_for() -> None:
    figures = load(requests=12, concurrency=3, workers=1, db="sqlite", batch=2)
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["units"] == (12 - 1) * 2  # all but the warm-up flow, two copies each
    assert figures["server_cpu_ms"] > 0
    assert figures["floor_ms"] > 0


def test_the_verifier_load_gets_every_presentation_accepted() -> None:
    figures = load(requests=12, concurrency=3, workers=1, db="sqlite", service="verifier")
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["units"] == 12 - 1
