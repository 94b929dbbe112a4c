"""The status of held credentials in the web wallet: the "Check status" form on the credentials
page (CSRF like every form), a badge in words on each card and on the details page, what an
unreachable issuer or a forged list shows, and the consent page's warning."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from credentials.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from tests.api.wallet.conftest import NOW, ask, receive, text_of, token
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer
from wallet.history import format_time


@pytest.fixture
def holding(unlocked: TestClient, issuer: FakeIssuer) -> TestClient:
    issuer.with_status = True
    receive(unlocked, issuer.offer())
    return unlocked


def check(client: TestClient) -> str:
    """Press "Check status"; the words of the page it leads to."""
    pressed = client.post("/credentials/status", data={"csrf_token": token(client)})
    assert pressed.status_code == 303, text_of(pressed)
    assert pressed.headers["location"] == "/credentials"
    return text_of(client.get("/credentials"))


def test_cards_say_not_checked_yet_and_offer_the_button(holding: TestClient) -> None:
    page = holding.get("/credentials")
    words = text_of(page)
    assert "Status: Not checked yet" in words
    assert '<form method="post" action="/credentials/status"' in page.text
    assert "Check status" in words
    assert "without one, each card keeps the last known status" in words


def test_the_button_needs_the_csrf_token(holding: TestClient, issuer: FakeIssuer) -> None:
    refused = holding.post("/credentials/status", data={})
    assert refused.status_code == 403
    assert "Status: Not checked yet" in text_of(holding.get("/credentials"))


def test_valid_suspended_revoked_in_plain_words(holding: TestClient, issuer: FakeIssuer) -> None:
    as_of = f"as of {format_time(NOW)}"
    words = check(holding)
    assert f"Status: Valid {as_of}" in words
    assert "Asked the issuers about 1 credential: 1 valid." in words
    issuer.set_status(STATUS_SUSPENDED)
    words = check(holding)
    assert f"Status: Suspended {as_of}" in words
    assert "Valid until" not in words
    assert "services will refuse it until the issuer reinstates it" in words
    issuer.set_status(STATUS_VALID)
    assert "Status: Valid" in check(holding)
    issuer.set_status(STATUS_INVALID, 0)
    words = check(holding)
    assert f"Status: Revoked {as_of}" in words
    assert "Contact the issuer for a new one." in words
    page = holding.get("/credentials")
    start = page.text.index('href="/credentials/') + len('href="')
    details = text_of(holding.get(page.text[start : page.text.index('"', start)]))
    assert f"Status: Revoked {as_of}" in details
    assert "Valid until" not in words  # a revoked card never says it is valid
    assert "Valid until" not in details


def test_an_unreachable_issuer_keeps_the_last_known_status(
    holding: TestClient, issuer: FakeIssuer
) -> None:
    issuer.set_status(STATUS_INVALID)
    check(holding)
    issuer.faults.add("status_down")
    words = check(holding)
    assert f"Status: Revoked as of {format_time(NOW)}" in words
    assert "so this is the last known status" in words
    assert "1 could not be checked now" in words


def test_a_forged_list_shows_unknown_never_valid(holding: TestClient, issuer: FakeIssuer) -> None:
    issuer.set_status(STATUS_INVALID)
    issuer.faults.add("status_tampered")
    words = check(holding)
    assert "Status: Unknown" in words
    assert "Status: Valid" not in words
    assert "the issuer's status list failed the wallet's checks" in words


def test_an_empty_wallet_has_no_button(unlocked: TestClient) -> None:
    assert "Check status" not in text_of(unlocked.get("/credentials"))


def test_the_consent_page_warns_about_a_revoked_credential(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    issuer.set_status(STATUS_INVALID)
    check(holding)
    link, _ = verifier.create_request(query(issuer.vct("foundational-id"), ["age_over_18"]))
    _, page = ask(holding, link)
    words = text_of(page)
    assert "The issuer has revoked your National ID" in words
    assert "Bhutan National Bank will refuse it" in words
    assert "Share" in words  # not blocked: the citizen decides, knowing
