"""The teller page: served under the strict CSP (no inline script or style), and — in Chromium
— a desk starts a KYC check, shows the QR code, and reads the answer in plain words."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.verifier.conftest import make_settings
from tests.support.fake_issuer import FakeIssuer
from tests.support.fake_wallet import FakeWallet
from tests.support.servers import free_port, serve_app
from verifier.api.app import create_app


def test_page_and_assets(client):
    page = client.get("/teller")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert '<script src="/teller/teller.js" defer></script>' in html
    assert not re.search(r"<script>|<style>| style=| on[a-z]+=", html)  # CSP-clean
    js = client.get("/teller/teller.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in js.text  # data is only ever written as text
    assert client.get("/teller/teller.css").status_code == 200
    missing = client.get("/teller/../settings.py")
    assert missing.status_code == 404
    assert client.get("/teller/secret.txt").json()["code"] == "not_found"


@pytest.fixture(scope="module")
def chromium(request: pytest.FixtureRequest) -> Iterator[Any]:
    chromium_path = request.getfixturevalue("chromium_path")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            browser.close()


def _answer(base: str, request_id: str, wallet: FakeWallet) -> None:
    """The citizen's wallet: fetch the request object, present, post."""
    with httpx.Client(base_url=base, timeout=10) as http:
        fetched = http.get(f"/oid4vp/request/{request_id}")
        params_client_id = "decentralized_identifier:did:web:127.0.0.1%3A" + base.rsplit(":", 1)[1]
        request = FakeWallet.open_request(
            fetched.text,
            fetched.headers["content-type"],
            client_id=params_client_id,
            did_document=http.get("/.well-known/did.json").json(),
        )
        form = wallet.form(request, wallet.vp_token(request, iat=int(time.time())))
        http.post(request["response_uri"], data=form)


@pytest.mark.browser
@pytest.mark.network
def test_teller_runs_a_kyc_check(tmp_path, chromium):
    issuer = FakeIssuer()
    wallet, revoked_wallet = FakeWallet(), FakeWallet()
    now = int(time.time())
    wallet.add(issuer.issue(holder_key=wallet.public_key, iat=now - 60, exp=now + 3600)[0])
    credential, idx = issuer.issue(
        holder_key=revoked_wallet.public_key, iat=now - 60, exp=now + 3600
    )
    revoked_wallet.add(credential)
    issuer.revoke(idx)
    port = free_port()
    settings = make_settings(
        tmp_path, issuer, mode="development", public_url=f"http://127.0.0.1:{port}"
    )
    app = create_app(settings, transport=issuer.transport(now=lambda: int(time.time())))
    with serve_app(app, port=port) as base:
        token, _ = app.state.service.create_api_key("Teller 3, Thimphu branch")
        context = chromium.new_context(viewport={"width": 1024, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/teller")
        page.fill("#api-key", token)
        page.click("#login-form button")
        page.click("button[data-template='kyc-basic']")
        page.wait_for_selector("#qr[src^='data:image/svg+xml']")
        assert "full name" in page.inner_text("#purpose")
        request_id = page.get_attribute("#waiting", "data-request-id")
        _answer(base, request_id, wallet)
        page.wait_for_selector("#result[data-status='verified']", timeout=10_000)
        shown = page.inner_text("#result")
        assert "Verified" in shown
        assert "Karma Wangmo" in shown
        assert "Citizenship ID (CID)" in shown
        assert "11512003456" in shown
        assert "Department of Civil Registration" in shown

        page.click("#again")
        page.click("button[data-template='kyc-basic']")
        page.wait_for_selector("#qr[src^='data:image/svg+xml']")
        _answer(base, page.get_attribute("#waiting", "data-request-id"), revoked_wallet)
        page.wait_for_selector("#result[data-status='rejected']", timeout=10_000)
        assert "This credential has been revoked by its issuer." in page.inner_text("#result")
        assert page.inner_text("#claims") == ""
        context.close()
        assert errors == []
