"""Answering a verifier through the web wallet: the consent screen (who, why, what is shared,
what stays hidden, warnings), Share and Don't share, the outcome, known verifiers, and bad
requests as plain 4xx pages."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from servicekit.qr import qr_png
from tests.api.wallet.conftest import ask, csrf_of, receive, text_of, token
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer


@pytest.fixture
def holding(unlocked: TestClient, issuer: FakeIssuer) -> TestClient:
    """An unlocked wallet holding Karma's National ID."""
    receive(unlocked, issuer.offer())
    return unlocked


def age_request(verifier: FakeVerifier, issuer: FakeIssuer, **options: object) -> tuple[str, str]:
    return verifier.create_request(
        query(issuer.vct("foundational-id"), ["age_over_18"]),
        purpose="Check that you are over 18 to open a youth account",
        **options,  # type: ignore[arg-type]
    )


def section(words: str, start: str, end: str) -> str:
    return words[words.index(start) : words.index(end, words.index(start))]


def test_the_consent_screen_says_who_why_what_is_shared_and_what_stays_hidden(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, _ = age_request(verifier, issuer)
    _, page = ask(holding, link)
    assert page.status_code == 200
    words = text_of(page)
    assert "Bhutan National Bank asks to see some of your information" in words
    who = section(words, "Who is asking", "Why they ask")
    assert "Not known to your wallet" in who
    assert f"Identifier: {verifier.client_id}" in who
    why = section(words, "Why they ask", "What they will see")
    assert "Check that you are over 18 to open a youth account" in why
    shared = section(words, "What they will see", "What stays hidden")
    assert "From your National ID" in shared
    assert "Age over 18 yes" in shared
    assert "Full name" not in shared
    assert "Date of birth" not in shared
    hidden = section(words, "What stays hidden", "They will also see")
    for label in ("Citizen ID number", "Full name", "Date of birth", "Place of birth"):
        assert label in hidden
    assert "Age over 18" not in hidden
    assert "Your wallet does not know this verifier." in words  # warning in plain words
    assert '<button type="submit" name="decision" value="share">Share</button>' in page.text
    assert 'value="refuse" class="secondary">Don\'t share</button>' in page.text


def test_share_sends_exactly_what_was_shown_and_history_records_it(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, ident = age_request(verifier, issuer)
    where, page = ask(holding, link)
    assert verifier.sessions[ident].result is None  # nothing is sent before the button
    shared = holding.post(where, data={"csrf_token": csrf_of(page), "decision": "share"})
    assert shared.status_code == 303
    outcome = holding.get(shared.headers["location"])
    words = text_of(outcome)
    assert "Shared with Bhutan National Bank" in words
    result = verifier.sessions[ident].result
    assert result is not None
    [claims] = result["claims"]["pid"]
    assert claims["age_over_18"] is True
    assert "full_name" not in claims
    assert "birthdate" not in claims
    again = holding.post(where, data={"csrf_token": csrf_of(page), "decision": "share"})
    assert again.status_code == 303  # a second press shows the outcome and sends nothing
    history = text_of(holding.get("/history"))
    assert "Bhutan National Bank" in history
    assert "Why: Check that you are over 18 to open a youth account" in history
    assert "What happened: Shared" in history
    assert "What they saw: From your National ID: Age over 18" in history


def test_dont_share_tells_the_verifier_no_and_sends_nothing(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, ident = age_request(verifier, issuer)
    where, page = ask(holding, link)
    refused = holding.post(where, data={"csrf_token": csrf_of(page), "decision": "refuse"})
    words = text_of(holding.get(refused.headers["location"]))
    assert "You did not share" in words
    assert "Nothing was shared. Bhutan National Bank was told that you said no." in words
    assert verifier.sessions[ident].error == "access_denied"
    assert verifier.sessions[ident].result is None
    assert "What happened: You said no — nothing was shared" in text_of(holding.get("/history"))


@pytest.mark.parametrize("decision", ["", "yes", "SHARE"])
def test_anything_but_the_two_buttons_sends_nothing(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier, decision: str
) -> None:
    link, ident = age_request(verifier, issuer)
    where, page = ask(holding, link)
    response = holding.post(where, data={"csrf_token": csrf_of(page), "decision": decision})
    assert response.status_code == 400
    assert "Nothing was sent" in text_of(response)
    assert verifier.sessions[ident].result is None
    assert verifier.sessions[ident].error is None
    assert "Share" in text_of(holding.get(where))  # still waiting for an answer


def test_the_request_from_a_qr_photo(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, _ = age_request(verifier, issuer)
    posted = holding.post(
        "/present",
        data={"csrf_token": token(holding)},
        files={"photo": ("request.png", qr_png(link), "image/png")},
    )
    assert posted.status_code == 303, text_of(posted)
    assert "Who is asking" in text_of(holding.get(posted.headers["location"]))


def test_a_request_the_wallet_cannot_answer(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, ident = verifier.create_request(query(issuer.vct("permanent-address"), ["address"]))
    where, page = ask(holding, link)
    assert page.status_code == 200
    words = text_of(page)
    assert "Your wallet cannot answer this request" in words
    assert "What is missing" in words
    assert "What to do: receive the credential they ask for" in words
    assert 'value="share"' not in page.text
    forged = holding.post(where, data={"csrf_token": csrf_of(page), "decision": "share"})
    outcome = holding.get(forged.headers["location"])
    assert outcome.status_code == 400
    assert "What to do: You do not hold the credentials" in text_of(outcome)
    assert verifier.sessions[ident].result is None


def test_the_cannot_answer_button_sends_the_refusal(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, ident = verifier.create_request(query(issuer.vct("permanent-address"), ["address"]))
    where, page = ask(holding, link)
    holding.post(where, data={"csrf_token": csrf_of(page), "decision": "refuse"})
    assert verifier.sessions[ident].error == "access_denied"


@pytest.mark.parametrize(
    ("fault", "status", "what_to_do"),
    [
        ("bad_signature", 400, "Do not share anything"),
        ("request_redirect", 502, "Nothing was shared"),
        ("link_client_mismatch", 400, "contact the service another way"),
    ],
)
def test_bad_requests_get_a_plain_page(
    holding: TestClient,
    issuer: FakeIssuer,
    verifier: FakeVerifier,
    fault: str,
    status: int,
    what_to_do: str,
) -> None:
    verifier.faults.add(fault)
    link, _ = age_request(verifier, issuer)
    response = holding.post("/present", data={"csrf_token": token(holding), "link": link})
    assert response.status_code == status, text_of(response)
    words = text_of(response)
    assert "What to do:" in words
    assert what_to_do in words
    assert "Paste the request link" in words


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("", "You did not paste a link"),
        ("openid4vp://?nothing=here", "What to do: The request could not be read."),
        ("openid-credential-offer://?credential_offer=%7B%7D", "This is an OFFER"),
        ("C:\\Users\\karma\\qr.png", "This is not a request link."),
    ],
)
def test_bad_request_links(holding: TestClient, link: str, message: str) -> None:
    response = holding.post("/present", data={"csrf_token": token(holding), "link": link})
    assert response.status_code == 400
    assert message in text_of(response)


def test_a_verifier_that_refuses_the_answer_is_shown_and_recorded(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, ident = age_request(verifier, issuer)
    where, page = ask(holding, link)
    verifier.sessions[ident].request["nonce"] = "changed"  # its check of our answer fails
    response = holding.post(where, data={"csrf_token": csrf_of(page), "decision": "share"})
    outcome = holding.get(response.headers["location"])
    assert outcome.status_code == 400
    words = text_of(outcome)
    assert "Your answer did not go through" in words
    assert "What to do:" in words
    assert "Sent, but the service did not accept it" in text_of(holding.get("/history"))


def test_remember_a_verifier_then_forget_it(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    link, _ = age_request(verifier, issuer)
    where, page = ask(holding, link)
    shared = holding.post(where, data={"csrf_token": csrf_of(page), "decision": "share"})
    outcome = holding.get(shared.headers["location"])
    assert "Remember this service?" in text_of(outcome)
    saved = holding.post(
        "/verifiers",
        data={
            "csrf_token": csrf_of(outcome),
            "client_id": verifier.client_id,
            "name": "My bank",
            "back": shared.headers["location"],
        },
    )
    assert saved.headers["location"] == shared.headers["location"]
    assert "My bank is now a known verifier." in text_of(holding.get(saved.headers["location"]))
    link, _ = age_request(verifier, issuer)
    _, page = ask(holding, link)
    words = text_of(page)
    assert "My bank asks to see some of your information" in words
    assert "Known to your wallet You saved this service as “My bank”" in words
    assert "Your wallet does not know this verifier" not in words
    listed = holding.get("/verifiers")
    assert "My bank" in text_of(listed)
    assert verifier.client_id in text_of(listed)
    holding.post(
        "/verifiers/remove", data={"csrf_token": csrf_of(listed), "client_id": verifier.client_id}
    )
    assert "My bank is no longer a known verifier." in text_of(holding.get("/verifiers"))
    assert "You have not saved any service yet." in text_of(holding.get("/verifiers"))


def test_adding_a_verifier_needs_both_fields(holding: TestClient) -> None:
    response = holding.post(
        "/verifiers", data={"csrf_token": token(holding), "client_id": " ", "name": "x"}
    )
    assert response.status_code == 400
    assert "Both the identifier and a name are needed." in text_of(response)


def test_consent_labels_follow_the_chosen_language(
    holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    holding.get("/credentials?lang=dz")
    link, _ = age_request(verifier, issuer)
    _, page = ask(holding, link)
    assert "From your ངོ་སྤྲོད་ལག་ཁྱེར" in text_of(page)
