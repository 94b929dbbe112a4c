"""The web wallet asks an agency for a credential (the authorization code flow): "Go to the
agency's page" pushes the request and sends the browser there; the agency's redirect comes back
to ``/receive/callback`` (through one same-site hop when the browser left the wallet's Strict
cookie out) and the credential is stored. A callback for a sign-in the wallet does not hold is
refused in words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from did.fetch import Fetcher
from issuer.api.app import create_app as create_issuer
from issuer.operator import local_actor
from issuer.settings import IssuerSettings
from tests.api.wallet.conftest import BASE_URL, FAST_KDF, SessionClock, create_wallet, csrf_of
from wallet.settings import WalletSettings
from wallet.web import create_app

ISSUER = "http://127.0.0.1:8101"
KARMA = "11512003456"


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, Any]]:
    issuer_app = create_issuer(
        IssuerSettings(
            mode="development",
            public_url=ISSUER,
            data_dir=tmp_path / "issuer",
            status_list_size=4096,
            seed_demo_data=True,
        )
    )
    with TestClient(issuer_app, base_url=ISSUER, follow_redirects=False) as issuer:

        def handler(request: httpx.Request) -> httpx.Response:
            response = issuer.request(
                request.method, str(request.url), headers=dict(request.headers),
                content=request.read(), follow_redirects=False,
            )  # fmt: skip
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-length", "content-encoding")]  # fmt: skip
            return httpx.Response(response.status_code, headers=headers, content=response.content)

        settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet", copies=2)
        transport = httpx.MockTransport(handler)
        app = create_app(
            settings,
            kdf=FAST_KDF,
            network=lambda: Fetcher(settings.fetch_policy(), transport=transport),
            clock=lambda: int(time.time()),
            session_clock=SessionClock(),
        )
        with TestClient(app, base_url=BASE_URL, follow_redirects=False) as wallet:
            yield wallet, issuer, issuer_app


def test_the_web_wallet_asks_the_agency(both: tuple[TestClient, TestClient, Any]) -> None:
    wallet, browser, issuer_app = both
    assert create_wallet(wallet).status_code == 303
    page = wallet.get("/receive")
    assert "Go to the agency's page" in page.text
    started = wallet.post(
        "/receive/start",
        data={"csrf_token": csrf_of(page), "issuer": ISSUER, "type_id": "permanent-address"},
    )
    assert started.status_code == 303, started.text
    agency = started.headers["location"]
    assert agency.startswith(f"{ISSUER}/authorize?client_id=")
    assert "127.0.0.1:8101" in started.headers["content-security-policy"]

    code = issuer_app.state.runtime.operator.signin_codes.create(local_actor(), KARMA).code
    signin = browser.get(agency)
    fields = {n: signin.text.split(f'name="{n}" value="')[1].split('"')[0] for n in ("ref", "csrf")}
    signed = browser.post("/authorize/sign-in", data={**fields, "cid": KARMA, "code": code})
    assert signed.status_code == 303, signed.text
    done = browser.post("/authorize/consent", data={**fields, "answer": "add"})
    back = urlsplit(done.headers["location"])
    assert back.path == "/receive/callback"

    # From another site the browser leaves out the wallet's Strict cookie: one same-site hop.
    cookies = dict(wallet.cookies)
    wallet.cookies.clear()
    hop = wallet.get(f"{back.path}?{back.query}")
    assert hop.status_code == 200
    assert 'http-equiv="refresh"' in hop.text
    for name, value in cookies.items():
        wallet.cookies.set(name, value)
    landed = wallet.get(f"{back.path}?{back.query}&hop=1")
    assert landed.status_code == 303, landed.text
    received = wallet.get(landed.headers["location"])
    assert "Received and checked" in received.text
    assert "Permanent address" in received.text or "permanent" in received.text.lower()


def test_a_callback_the_wallet_does_not_hold_is_refused(
    both: tuple[TestClient, TestClient, Any],
) -> None:
    wallet, _, _ = both
    assert create_wallet(wallet).status_code == 303
    response = wallet.get("/receive/callback?code=c&state=forged&iss=x")
    assert response.status_code == 404
    assert "This sign-in is no longer open in the wallet." in response.text
