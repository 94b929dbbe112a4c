"""Outside text is printed as text by every command line (issue 15, finding 2).

Names, claim values, purposes and search text come from issuers, verifiers, registries and
people. Printed through rich with markup on, ``Bank [/x] of Bhutan`` raised ``MarkupError``
after the data was shared, and ``[bold]`` restyled the screen. Here markup-like strings go
through the one output layer (:mod:`core.terminal`), the issuer's tables, and the wallet's
whole journey (receive, list, show, present, history); each must come out exactly as given.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import wallet.runtime
from core import terminal
from did.fetch import Fetcher, FetchPolicy
from issuer.commands import output as issuer_output
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer, asgi_transport
from wallet.cli import app as wallet_app

PIECES = ["[/x]", "[bold]", "\\[", "[/]", "[red]", "[link=https://x.example]", ":smile:", "]"]
PIECES += ["[", "[b]x[/b]", "Bank", "of", "ཀ", "\\"]  # no spaces: names are whitespace-folded
MARKUP = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map(
    lambda parts: "Bank " + "".join(parts) + " of Bhutan"
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=MARKUP)
def test_the_output_layer_prints_text_as_given(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _wide(monkeypatch)
    with terminal.out.capture() as shown, terminal.err.capture() as said:
        terminal.out.print(text)
        terminal.out.print(terminal.styled(("Shared", "bold green"), f" with {text}."))
        terminal.out.print(terminal.table(text, ["Name"], [[text]]))
        issuer_output.table([_Row(text)], ["name"], title=text)
        terminal.report(text, text, "code")
    printed = shown.get()
    assert printed.count(text) >= 5
    assert f"Shared with {text}." in printed
    assert f"error: {text}\nwhat to do: {text}\ncode: code" in said.get()


def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """No wrapping inside a table cell while a test reads the text back. The consoles take
    their width from the environment once, when made (under xdist, the worker's), so the test
    sets it on them."""
    for console in (terminal.out, terminal.err):
        monkeypatch.setattr(console, "_width", 400)


class _Row:
    """A result row as the issuer's operations return them (``to_json``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def to_json(self) -> dict[str, str]:
        return {"name": self.name}


PASS = "correct horse battery"


class _Journey:
    """A wallet on the command line with an issuer and a verifier it talks to (a short repr:
    Hypothesis prints the fixtures of a failing example)."""

    def __init__(self, *, runner: CliRunner, issuer: FakeIssuer, verifier: FakeVerifier) -> None:
        self.runner, self.issuer, self.verifier = runner, issuer, verifier

    def __repr__(self) -> str:
        return f"_Journey(issuer={self.issuer.name!r}, verifier={self.verifier.name!r})"


@pytest.fixture
def journey(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Journey:
    now = int(time.time())
    issuer = FakeIssuer("https://issuer.example", now=now)
    keys = {issuer.base_url: {issuer.kid: issuer.key.public_key}}
    verifier = FakeVerifier("https://verifier.example", issuer_keys=keys, now=now)
    transport = asgi_transport(
        {"issuer.example": issuer.build_app(), "verifier.example": verifier.build_app()}
    )

    def fetcher(policy: FetchPolicy | None = None) -> Fetcher:
        return Fetcher(policy or FetchPolicy(), transport=transport)

    monkeypatch.setattr(wallet.runtime, "Fetcher", fetcher)
    for name in ("DRUKID_WALLET_MODE", "DRUKID_WALLET_NEW_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DRUKID_WALLET_PATH", str(tmp_path / "w" / "wallet.db"))
    monkeypatch.setenv("DRUKID_WALLET_PASSPHRASE", PASS)
    _wide(monkeypatch)
    runner = CliRunner()
    assert runner.invoke(wallet_app, ["init"]).exit_code == 0
    return _Journey(runner=runner, issuer=issuer, verifier=verifier)


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(wallet_app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    return result.output


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(issuer_name=MARKUP, value=MARKUP, verifier_name=MARKUP, purpose=MARKUP)
def test_the_wallet_prints_outside_text_as_text(
    journey: _Journey, issuer_name: str, value: str, verifier_name: str, purpose: str
) -> None:
    runner, issuer, verifier = journey.runner, journey.issuer, journey.verifier
    issuer.now = verifier.now = int(time.time())  # the CLI runs on the real clock
    issuer.name = issuer_name
    issuer.claims["foundational-id"]["full_name"] = value
    verifier.name = verifier_name
    received = _run(runner, "receive", issuer.offer("foundational-id"))
    assert issuer_name in received
    listed = _run(runner, "list")
    assert issuer_name in listed
    newest = _received_id(received)
    shown = _run(runner, "show", newest)
    assert value in shown
    link, _ = verifier.create_request(
        query(issuer.vct("foundational-id"), ["full_name"], ["age_over_18"]), purpose=purpose
    )
    presented = _run(runner, "present", link, "--yes")
    assert verifier_name in presented
    assert purpose in presented
    assert f"Shared with {verifier_name}." in presented
    history = _run(runner, "history")
    assert verifier_name in history


def _received_id(received: str) -> str:
    """The short id in the one row of ``wallet receive``'s "Received and checked" table."""
    [row] = [line for line in received.splitlines() if line.startswith("│")]
    return row.split("│")[1].strip()
