"""The agency operator pages in Chromium at phone width, against a real issuer on loopback:
sign in, find a demo person, issue a Foundational ID offer with a PIN (the QR code in the
screenshot must decode to the link the page shows, and a wallet must collect it with the PIN),
suspend then revoke the credential after confirming, and read it all in the audit log. Also:
the sign-in form and the offer form work with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from issuer.api.app import create_app
from issuer.operator import local_actor
from issuer.settings import IssuerSettings
from servicekit.qr import decode_qr_image
from tests.browser.conftest import screenshot
from tests.support.oid4vci_client import WalletClient
from tests.support.servers import free_port, serve_app

pytestmark = [pytest.mark.browser, pytest.mark.network]

KARMA = "11512003456"  # Karma Wangmo in the demo registry
LABEL = "Counter 2, Thimphu"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    port = free_port()
    settings = IssuerSettings(
        mode="development",
        public_url=f"http://127.0.0.1:{port}",
        data_dir=tmp_path / "issuer",
        status_list_size=4096,
        seed_demo_data=True,
    )
    app = create_app(settings)
    with serve_app(app, port=port) as url:
        yield url, app


def new_key(app: FastAPI, role: str) -> str:
    token: str = app.state.runtime.operator.admin.create_api_key(
        local_actor(), role=role, label=LABEL
    ).token
    return token


def fits_phone_width(page: Any) -> bool:
    """Nothing sticks out sideways at phone width (no horizontal scrolling needed)."""
    page.wait_for_load_state("load")  # measured with the stylesheets applied
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_issue_suspend_revoke_and_audit_in_chromium(
    page: Any, live: tuple[str, FastAPI], artifacts_dir: Path
) -> None:
    url, app = live
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    key = new_key(app, "admin")

    page.goto(f"{url}/operator")
    assert page.url == f"{url}/operator/sign-in"
    assert fits_phone_width(page)
    screenshot(page, artifacts_dir, "operator-sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/operator/search")
    assert "Signed in as Counter 2, Thimphu" in page.locator("main").inner_text()

    page.get_by_label("CID number, name or licence number").fill("karma")
    page.get_by_role("button", name="Search", exact=True).click()
    card = page.locator(f"#person-{KARMA}")
    assert "Karma Wangmo" in card.inner_text()
    assert "Thimphu" in card.inner_text()
    assert fits_phone_width(page)
    screenshot(page, artifacts_dir, "operator-search")
    assert card.get_by_label("Credential to issue").input_value() == "foundational-id"
    assert card.get_by_label("Require a PIN (tx_code)").is_checked()
    card.get_by_role("button", name="Create offer").click()

    page.wait_for_url(f"{url}/operator/offers")
    page.wait_for_function(
        "() => { const i = document.getElementById('offer-qr'); "
        "return i.complete && i.naturalWidth > 0; }"
    )
    link = page.locator("#offer-link").input_value()
    pin = page.locator("#offer-pin").inner_text().strip()
    assert link.startswith("openid-credential-offer://?credential_offer_uri=")
    assert pin.isdigit()
    assert len(pin) == 6
    main = page.locator("main").inner_text()
    assert "Tell the citizen this PIN; do not write it on the same paper as the QR code" in main
    assert "(UTC+06:00)" in main
    assert fits_phone_width(page)
    shot = screenshot(page, artifacts_dir, "operator-offer")
    assert decode_qr_image(shot) == [link]  # what the camera sees is what the page says

    page.get_by_role("button", name="Copy link").click()
    page.wait_for_function(
        "() => document.querySelector('.copy-status').textContent.includes('copied')"
    )
    assert page.evaluate("navigator.clipboard.readText()") == link

    with httpx.Client(base_url=url, timeout=30) as http:
        received = WalletClient(http, issuer=url).receive(link, tx_code=pin)
    assert len(received.credentials) == 1

    page.get_by_role("link", name="Issued credentials").click()
    page.wait_for_url(f"{url}/operator/credentials")
    row = page.locator("table#credentials tbody tr").first
    assert "Valid" in row.inner_text()
    assert KARMA in row.inner_text()
    assert fits_phone_width(page)
    screenshot(page, artifacts_dir, "operator-credentials")

    row.get_by_role("link", name="Suspend").click()
    page.wait_for_url("**/suspend")
    assert "Suspend this credential?" in page.locator("h1").inner_text()
    page.get_by_label("Reason (kept in the audit log)").fill("Phone reported lost by the citizen")
    assert fits_phone_width(page)
    screenshot(page, artifacts_dir, "operator-confirm-suspend")
    page.get_by_role("button", name="Yes, suspend it").click()
    page.wait_for_url(f"{url}/operator/credentials?subject={KARMA}")
    assert "is now suspended" in page.get_by_role("status").first.inner_text()
    row = page.locator("table#credentials tbody tr").first
    assert "Suspended" in row.inner_text()

    row.get_by_role("link", name="Revoke").click()
    page.wait_for_url("**/revoke")
    assert "cannot be undone" in page.locator("main").inner_text()
    page.get_by_label("Reason (kept in the audit log)").fill("Citizen confirmed the phone is gone")
    page.get_by_role("button", name="Yes, revoke it").click()
    page.wait_for_url(f"{url}/operator/credentials?subject={KARMA}")
    row = page.locator("table#credentials tbody tr").first
    assert "Revoked" in row.inner_text()
    assert row.get_by_role("link").count() == 1  # only the person link; no status buttons
    screenshot(page, artifacts_dir, "operator-credentials-revoked")

    page.get_by_role("link", name="Audit log").click()
    page.wait_for_url(f"{url}/operator/audit")
    log = page.locator("table#audit").inner_text()
    for words in (
        "Revoked a credential",
        "Suspended a credential",
        "Created an offer",
        "Citizen confirmed the phone is gone",
        LABEL,
    ):
        assert words in log
    assert log.index("Revoked a credential") < log.index("Suspended a credential")
    assert fits_phone_width(page)
    screenshot(page, artifacts_dir, "operator-audit")


def test_keyboard_only_sign_in_and_offer(
    page: Any, live: tuple[str, FastAPI], artifacts_dir: Path
) -> None:
    url, app = live
    key = new_key(app, "issue")
    page.goto(f"{url}/operator/sign-in")

    def tab_to(predicate: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(
                f"(() => {{ const e = document.activeElement; return {predicate}; }})()"
            ):
                return
        raise AssertionError(f"Tab never reached: {predicate}")

    # Start from the top of the page, as a keyboard user arriving at it would.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    tab_to("e.id === 'f-api_key'")
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/operator/search")

    tab_to("e.id === 'f-q'")
    page.keyboard.type(KARMA)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#person-{KARMA}")
    tab_to("e.tagName === 'BUTTON' && e.textContent.includes('Create offer')")
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none"  # the focused control is visibly marked
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/operator/offers")
    assert page.locator("#offer-pin").inner_text().strip().isdigit()
    assert fits_phone_width(page)
    screenshot(page, artifacts_dir, "operator-keyboard-offer")
