"""Creating, unlocking and locking the web wallet; sessions, CSRF, cookies and headers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.wallet.conftest import (
    BASE_URL,
    PASSPHRASE,
    SessionClock,
    create_wallet,
    csrf_of,
    text_of,
    token,
)
from wallet.holder import Wallet
from wallet.web.app import _sweep
from wallet.web.pages import SESSION_COOKIE


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[Wallet]:
    """Every Wallet the app closes, in order (the real close still runs)."""
    calls: list[Wallet] = []
    original = Wallet.close

    def spy(self: Wallet) -> None:
        calls.append(self)
        original(self)

    monkeypatch.setattr(Wallet, "close", spy)
    return calls


def web_of(client: TestClient) -> Any:
    return client.app.state.web  # type: ignore[attr-defined]


def lock(client: TestClient) -> None:
    response = client.post("/lock", data={"csrf_token": token(client)})
    assert response.status_code == 303
    assert response.headers["location"] == "/unlock?m=locked"


def unlock(client: TestClient, passphrase: str = PASSPHRASE) -> Any:
    page = client.get("/unlock")
    assert page.status_code == 200, page.text
    return client.post("/unlock", data={"csrf_token": csrf_of(page), "passphrase": passphrase})


def test_first_run_leads_to_create_and_then_to_unlock(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/create"
    assert client.get("/unlock").headers["location"] == "/create"
    assert client.get("/credentials").headers["location"] == "/create"
    page = client.get("/create")
    words = text_of(page)
    assert "Create your wallet" in words
    assert "Nobody can open your wallet without this passphrase" in words
    assert create_wallet(client).status_code == 303
    assert client.get("/create").headers["location"] == "/unlock"


def test_create_refuses_different_or_weak_passphrases(client: TestClient) -> None:
    page = client.get("/create")
    different = client.post(
        "/create",
        data={"csrf_token": csrf_of(page), "passphrase": PASSPHRASE, "confirm": PASSPHRASE + "x"},
    )
    assert different.status_code == 400
    assert "The two passphrases are not the same." in text_of(different)
    assert "What to do: Type the same passphrase in both boxes." in text_of(different)
    weak = client.post(
        "/create", data={"csrf_token": csrf_of(page), "passphrase": "short", "confirm": "short"}
    )
    assert weak.status_code == 400
    words = text_of(weak)
    assert "shorter than 8 characters" in words
    assert "What to do: Choose a passphrase of at least 8 characters" in words
    assert not web_of(client).exists


def test_unlock_with_the_right_passphrase_and_lock_again(
    unlocked: TestClient, closed: list[Wallet]
) -> None:
    client = unlocked
    assert "Your wallet is ready." in text_of(client.get("/credentials"))
    assert web_of(client).sessions.open_wallets == 1
    assert closed == []
    lock(client)
    assert web_of(client).sessions.open_wallets == 0
    assert len(closed) == 1  # locking closed the wallet
    assert client.get("/credentials").headers["location"] == "/unlock"
    page = client.get("/unlock?m=locked")
    assert "Your wallet is locked." in text_of(page)
    unlocked_again = unlock(client)
    assert unlocked_again.status_code == 303
    assert unlocked_again.headers["location"] == "/credentials"
    assert "Your wallet is unlocked." in text_of(client.get("/credentials"))
    assert client.get("/unlock").headers["location"] == "/credentials"
    assert client.get("/").headers["location"] == "/credentials"


def test_a_wrong_passphrase_says_what_to_do(unlocked: TestClient) -> None:
    lock(unlocked)
    wrong = unlock(unlocked, "not my passphrase")
    assert wrong.status_code == 400
    words = text_of(wrong)
    assert "What to do: Type the passphrase again; it is case-sensitive" in words
    assert "Unlock your wallet" in words  # the form is there to try again
    assert unlocked.get("/credentials").status_code == 303


def test_guessing_is_slowed_down_after_five_wrong_passphrases(
    unlocked: TestClient, session_clock: SessionClock
) -> None:
    lock(unlocked)
    for _ in range(5):
        assert unlock(unlocked, "a wrong guess").status_code == 400
    refused = unlock(unlocked)  # even the right one must wait now
    assert refused.status_code == 429
    assert "Wait 30 seconds" in text_of(refused)
    session_clock.now += 31
    assert unlock(unlocked).status_code == 303


def test_the_session_changes_on_unlock(client: TestClient) -> None:
    client.get("/create")
    anonymous = client.cookies[SESSION_COOKIE]
    create_wallet(client)
    assert client.cookies[SESSION_COOKIE] != anonymous
    assert web_of(client).sessions.get(anonymous) is None


def test_idle_wallets_lock_themselves(
    unlocked: TestClient, session_clock: SessionClock, closed: list[Wallet]
) -> None:
    web = web_of(unlocked)
    session_clock.now += web.settings.session_idle_seconds - 5
    assert web.sessions.sweep() == 0
    assert unlocked.get("/credentials").status_code == 200  # use resets the idle time
    session_clock.now += web.settings.session_idle_seconds + 1
    assert web.sessions.sweep() == 1
    assert web.sessions.open_wallets == 0
    assert len(closed) == 1
    gone = unlocked.get("/credentials")
    assert gone.headers["location"] == "/unlock?m=expired"
    notice = text_of(unlocked.get(gone.headers["location"]))
    assert "locked itself because it was not used" in notice


def test_an_idle_wallet_locks_on_the_next_page_even_before_the_sweep(
    unlocked: TestClient, session_clock: SessionClock
) -> None:
    session_clock.now += web_of(unlocked).settings.session_idle_seconds + 1
    assert unlocked.get("/history").headers["location"] == "/unlock?m=expired"
    assert web_of(unlocked).sessions.open_wallets == 0


def test_the_sweeper_runs_by_itself(unlocked: TestClient, session_clock: SessionClock) -> None:
    web = web_of(unlocked)
    session_clock.now += web.settings.session_idle_seconds + 1

    async def one_round() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_sweep(web.sessions, every=0.0), timeout=1.3)

    asyncio.run(one_round())
    assert web.sessions.open_wallets == 0


def test_shutdown_closes_every_wallet(app: Any, closed: list[Wallet]) -> None:
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        create_wallet(client)
        assert app.state.web.sessions.open_wallets == 1
        assert closed == []
    assert app.state.web.sessions.open_wallets == 0
    assert len(closed) == 1


def test_forms_without_the_session_csrf_token_are_refused(unlocked: TestClient) -> None:
    for data in ({}, {"csrf_token": "forged"}):
        refused = unlocked.post("/lock", data=data)
        assert refused.status_code == 403
        assert "did not come from your wallet's own page" in text_of(refused)
        assert "What to do: Nothing was done." in text_of(refused)
    assert web_of(unlocked).sessions.open_wallets == 1
    refused = unlocked.post("/receive", data={"csrf_token": "forged", "link": "x://y"})
    assert refused.status_code == 403


def test_unlock_and_create_forms_need_their_own_anonymous_session(
    app: Any, unlocked: TestClient
) -> None:
    lock(unlocked)
    other_page = unlocked.get("/unlock")
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as stranger:
        # A token from someone else's page does not sign this browser in (login CSRF).
        forged = stranger.post(
            "/unlock", data={"csrf_token": csrf_of(other_page), "passphrase": PASSPHRASE}
        )
        assert forged.status_code == 403
        assert stranger.post("/create", data={"passphrase": "x", "confirm": "x"}).status_code == 403


def test_cookies_and_headers(unlocked: TestClient) -> None:
    unlocked.post("/lock", data={"csrf_token": token(unlocked)})
    page = unlocked.get("/unlock")
    set_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    signed_in = unlock(unlocked)
    set_cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    for path in ("/credentials", "/receive", "/present", "/history", "/verifiers", "/nope"):
        response = unlocked.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert response.headers["x-frame-options"] == "DENY"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["content-type"].startswith("text/html")


def test_requests_for_another_host_name_are_refused(app: Any) -> None:
    # A site that points its own name at 127.0.0.1 (DNS rebinding) is not this wallet.
    with TestClient(app, base_url="http://evil.example:8103", follow_redirects=False) as client:
        refused = client.get("/create")
        assert refused.status_code == 421
        assert "answers only at its own address" in text_of(refused)
    for host in ("http://localhost:8103", "http://[::1]:8103"):
        with TestClient(app, base_url=host, follow_redirects=False) as client:
            assert client.get("/create").status_code == 200


def test_no_secret_reaches_the_log_or_an_address(
    unlocked: TestClient, caplog: pytest.LogCaptureFixture, issuer: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    link = issuer.offer(tx_code="98765")
    code = next(iter(issuer.offers))
    posted = unlocked.post("/receive", data={"csrf_token": token(unlocked), "link": link})
    where = posted.headers["location"]
    pin_page = unlocked.get(where)
    assert code not in pin_page.text  # the bearer code stays in the server's memory
    done = unlocked.post(where, data={"csrf_token": csrf_of(pin_page), "tx_code": "98765"})
    lock(unlocked)
    unlock(unlocked)
    addresses = [where, done.headers["location"]]
    for secret in (PASSPHRASE, "98765", code):
        assert not any(secret in a for a in addresses)
        assert not any(secret in r.getMessage() for r in caplog.records), secret


@pytest.mark.parametrize("lang", ["dz", "en"])
def test_the_language_in_the_link_survives_the_first_redirect(
    client: TestClient, lang: str
) -> None:
    first = client.get(f"/?lang={lang}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"/create?lang={lang}"
    assert client.get(first.headers["location"]).status_code == 200
    assert client.get("/?lang=xx", follow_redirects=False).headers["location"] == "/create"
