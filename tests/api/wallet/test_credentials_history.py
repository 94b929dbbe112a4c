"""Credential details and deletion, the history download, and a sweep of bad inputs that must
each end on a page with a plain message, never a 500."""

from __future__ import annotations

import csv
import io
import json

import pytest
from starlette.testclient import TestClient

from tests.api.wallet.conftest import ask, csrf_of, receive, text_of, token
from tests.support import wallet_issuer
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer


@pytest.fixture
def holding(unlocked: TestClient, issuer: FakeIssuer) -> TestClient:
    receive(unlocked, issuer.offer())
    return unlocked


def credential_path(client: TestClient) -> str:
    page = client.get("/credentials")
    start = page.text.index('href="/credentials/') + len('href="')
    return page.text[start : page.text.index('"', start)]


def test_the_details_page_labels_every_claim(holding: TestClient) -> None:
    page = holding.get(credential_path(holding))
    assert page.status_code == 200
    words = text_of(page)
    assert "National ID" in words
    assert "Issued by Department of Civil Registration" in words
    assert "When you share, each detail stays hidden unless you agree to show it." in words
    assert "always shown" not in words
    for row in (
        "Citizen ID number 11512003456",
        "Full name Karma Wangmo",
        "Date of birth 1994-03-12",
        "Age over 18 yes",
        "Place of birth › Dzongkhag Paro",  # a nested claim keeps its parent's label
    ):
        assert row in words, row
    assert "Fresh copies 2 of 2" in words


def test_details_the_issuer_never_hides_are_marked(
    unlocked: TestClient, issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [p for p in wallet_issuer._SD_PATHS["foundational-id"] if p != "/citizenship"]
    monkeypatch.setitem(wallet_issuer._SD_PATHS, "foundational-id", paths)
    receive(unlocked, issuer.offer())
    words = text_of(unlocked.get(credential_path(unlocked)))
    assert "Details marked “always shown” are seen by every service" in words
    assert "Citizenship Bhutan (BT) always shown" in words
    assert "Full name Karma Wangmo Date of birth" in words  # the others carry no mark


def test_delete_asks_first_and_then_removes_the_credential(holding: TestClient) -> None:
    path = credential_path(holding)
    confirm = holding.get(f"{path}/delete")
    words = text_of(confirm)
    assert "Delete your National ID?" in words
    assert "for good" in words
    assert "Yes, delete it" in words
    assert "No, keep it" in words
    assert holding.post(f"{path}/delete", data={}).status_code == 403
    assert "National ID" in text_of(holding.get("/credentials"))
    deleted = holding.post(f"{path}/delete", data={"csrf_token": csrf_of(confirm)})
    assert deleted.headers["location"] == "/credentials"
    words = text_of(holding.get("/credentials"))
    assert "Deleted your National ID and its keys from this wallet." in words
    assert "Your wallet is empty." in words
    gone = holding.get(path)
    assert gone.status_code == 404
    assert "What to do: Go to 'My credentials'" in text_of(gone)


def test_history_downloads(holding: TestClient, issuer: FakeIssuer, verifier: FakeVerifier) -> None:
    link, _ = verifier.create_request(
        query(issuer.vct("foundational-id"), ["age_over_18"]), purpose="=HYPERLINK(1)"
    )
    where, page = ask(holding, link)
    holding.post(where, data={"csrf_token": csrf_of(page), "decision": "share"})
    as_json = holding.get("/history/export?format=json")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.headers["content-disposition"].startswith("attachment; filename=")
    assert as_json.headers["cache-control"] == "no-store"
    [entry] = json.loads(as_json.text)
    assert entry["outcome"] == "shared"
    assert entry["verifier_name"] == "Bhutan National Bank"
    as_csv = holding.get("/history/export?format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][:2] == ["time", "verifier"]
    assert rows[1][3] == "'=HYPERLINK(1)"  # a verifier's text never becomes a formula
    bad = holding.get("/history/export?format=xml")
    assert bad.status_code == 400
    assert "JSON or CSV only" in text_of(bad)


def test_an_empty_history_says_so(unlocked: TestClient) -> None:
    assert "Nothing shared yet." in text_of(unlocked.get("/history"))


BAD_INPUTS = [
    ("GET", "/no-such-page", None, 404, "This page does not exist."),
    ("DELETE", "/credentials", None, 405, "This page cannot be used that way."),
    ("GET", "/credentials/zz", None, 404, "This page does not exist."),
    ("GET", "/credentials/0123456789abcdef", None, 404, "There is no credential"),
    ("POST", "/credentials/0123456789abcdef/delete", {}, 404, "There is no credential"),
    ("GET", "/present/not-a-ticket-at-all", None, 404, "no longer open"),
    ("POST", "/present/AAAAAAAAAAAAAAAA", {"decision": "share"}, 404, "no longer open"),
    ("POST", "/receive", {"link": "a" * 2_000_000}, 413, "too large"),
    ("POST", "/receive", {"link": ["one", "two"]}, 400, "This is not an offer link."),
    ("POST", "/receive/AAAAAAAAAAAAAAAA", {"tx_code": "1" * 100}, 400, "missing or too long"),
    ("POST", "/verifiers", {"client_id": "x" * 600, "name": "n"}, 400, "missing or too long"),
    ("POST", "/verifiers/remove", {"client_id": "unknown"}, 303, ""),
    ("GET", "/history/export?format=" + "j" * 50, None, 400, "missing or too long"),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "message"),
    BAD_INPUTS,
    ids=[f"{m} {p[:40]}" for m, p, *_ in BAD_INPUTS],
)
def test_bad_input_gets_a_page_never_a_500(
    unlocked: TestClient,
    method: str,
    path: str,
    data: dict[str, object] | None,
    status: int,
    message: str,
) -> None:
    form = None if data is None else {"csrf_token": token(unlocked), **data}
    response = unlocked.request(method, path, data=form)
    assert response.status_code == status, text_of(response)
    if status != 303:
        assert response.headers["content-type"].startswith("text/html")
        words = text_of(response)
        assert message in words
        assert "What to do:" in words
