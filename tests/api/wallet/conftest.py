"""Web wallet route tests: ``TestClient(create_app(settings))`` in development mode with a
temporary data directory, a cheap KDF for wallets created here (the default stays strong), a
fixed clock for credentials, a hand-moved clock for sessions, and the wallet test doubles of
an issuer and a verifier reached in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from did.fetch import Fetcher
from tests.support.fake_verifier import FakeVerifier
from tests.support.wallet_issuer import FakeIssuer, asgi_transport
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams
from wallet.web import create_app

NOW = 1_800_000_000
PASSPHRASE = "correct horse battery"
FAST_KDF = ScryptParams(n=2**4, r=8, p=1)
BASE_URL = "http://127.0.0.1:8103"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class SessionClock:
    """Monotonic seconds for the session store, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def text_of(page: httpx.Response) -> str:
    """The page's visible words, tags removed and spaces collapsed (for plain-language asserts)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.text, flags=re.S)
    words = re.sub(r"<[^>]+>", " ", body)
    entities = (("&#39;", "'"), ("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
    for entity, char in entities:
        words = words.replace(entity, char)
    return re.sub(r" ([?.,:;)])", r"\1", " ".join(words.split()))


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer("https://issuer.example", now=NOW)


@pytest.fixture
def verifier(issuer: FakeIssuer) -> FakeVerifier:
    keys = {issuer.base_url: {issuer.kid: issuer.key.public_key}}
    return FakeVerifier("https://verifier.example", issuer_keys=keys, now=NOW)


@pytest.fixture
def transport(issuer: FakeIssuer, verifier: FakeVerifier) -> httpx.MockTransport:
    return asgi_transport(
        {"issuer.example": issuer.build_app(), "verifier.example": verifier.build_app()}
    )


@pytest.fixture
def settings(tmp_path: Path) -> WalletSettings:
    return WalletSettings(
        mode="development", data_dir=tmp_path / "wallet", max_upload_bytes=256 * 1024, copies=2
    )


@pytest.fixture
def session_clock() -> SessionClock:
    return SessionClock()


@pytest.fixture
def app(
    settings: WalletSettings, transport: httpx.MockTransport, session_clock: SessionClock
) -> Any:
    return create_app(
        settings,
        kdf=FAST_KDF,
        network=lambda: Fetcher(settings.fetch_policy(), transport=transport),
        clock=lambda: NOW,
        session_clock=session_clock,
    )


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as test_client:
        yield test_client


def create_wallet(client: TestClient, passphrase: str = PASSPHRASE) -> httpx.Response:
    page = client.get("/create")
    assert page.status_code == 200, page.text
    return client.post(
        "/create",
        data={"csrf_token": csrf_of(page), "passphrase": passphrase, "confirm": passphrase},
    )


@pytest.fixture
def unlocked(client: TestClient) -> TestClient:
    """A client whose session holds a new, empty, unlocked wallet."""
    created = create_wallet(client)
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/credentials"
    return client


def token(client: TestClient, path: str = "/credentials") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page)


def receive(client: TestClient, link: str, *, pin: str | None = None) -> httpx.Response:
    """Paste an offer link (and type the PIN when asked); the final page."""
    posted = client.post("/receive", data={"csrf_token": token(client), "link": link})
    assert posted.status_code == 303, text_of(posted)
    step = client.get(posted.headers["location"])
    if pin is None:
        return step
    answered = client.post(
        posted.headers["location"], data={"csrf_token": csrf_of(step), "tx_code": pin}
    )
    assert answered.status_code == 303, text_of(answered)
    return client.get(answered.headers["location"])


def ask(client: TestClient, link: str) -> tuple[str, httpx.Response]:
    """Paste a request link; the consent page's address and the page."""
    posted = client.post("/present", data={"csrf_token": token(client), "link": link})
    assert posted.status_code == 303, text_of(posted)
    where = posted.headers["location"]
    return where, client.get(where)
