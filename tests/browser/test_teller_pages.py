"""The teller pages in Chromium, against the project's own issuer and the wallet library
(development mode, real loopback sockets): a desk signs in and asks for an age check, the QR
code on the screen decodes to the request link, the customer's wallet answers, and the result
appears by itself; then a revoked credential is refused with the reason in plain words. The
desk can do all of it with the keyboard alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from issuer.api.app import create_app as create_issuer
from issuer.operator import OfferItem, local_actor
from issuer.settings import IssuerSettings
from servicekit.qr import decode_qr_image
from tests.browser.conftest import PHONE, screenshot
from tests.support.fake_wallet import parse_openid4vp_uri
from tests.support.servers import free_port, serve_app
from verifier.api.app import create_app as create_verifier
from verifier.settings import VerifierSettings
from wallet.errors import PresentError
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

pytestmark = [pytest.mark.browser, pytest.mark.network]

KARMA = "11512003456"
TYPES = ("foundational-id", "permanent-address", "business-licence")


@dataclass
class Stack:
    issuer: Any
    verifier: Any
    verifier_url: str
    desk_key: str
    wallet: Wallet


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("teller")
    issuer_port, verifier_port = free_port(), free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    issuer = create_issuer(
        IssuerSettings(
            mode="development",
            public_url=issuer_url,
            data_dir=tmp / "issuer",
            status_list_size=4096,
            status_list_ttl=1,  # the revocation below is seen within a second
            batch_size=2,
            seed_demo_data=True,
        )
    )
    trust = tmp / "trust.json"
    entry = {
        "id": issuer_url,
        "name": "Department of Civil Registration and Census",
        "types": {t: f"{issuer_url}/types/{t}" for t in TYPES},
    }
    trust.write_text(json.dumps({"issuers": [entry]}))
    verifier = create_verifier(
        VerifierSettings(
            mode="development",
            public_url=verifier_url,
            data_dir=tmp / "verifier",
            trust_file=trust,
            name="Bank of Bhutan",
        )
    )
    with ExitStack() as stack:
        stack.enter_context(serve_app(issuer, port=issuer_port))
        stack.enter_context(serve_app(verifier, port=verifier_port))
        wallet = stack.enter_context(
            Wallet.create(
                tmp / "wallet" / "wallet.db",
                "correct horse battery",
                settings=WalletSettings(mode="development", data_dir=tmp / "wallet"),
                kdf=ScryptParams(n=2**4),
            )
        )
        offer = issuer.state.runtime.operator.offers.create(
            local_actor(), OfferItem("foundational-id", KARMA, tx_code=True)
        )
        wallet.receive(wallet.load_offer(offer.offer_uri), tx_code=offer.tx_code)
        desk_key, _ = verifier.state.service.create_api_key("Counter 2, Thimphu main branch")
        yield Stack(issuer, verifier, verifier_url, desk_key, wallet)


def _watch_console(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


def _sign_in(page: Any, stack: Stack) -> None:
    page.goto(f"{stack.verifier_url}/teller")
    page.fill("#f-api_key", stack.desk_key)
    page.click("form[action='/teller/sign-in'] button")
    page.wait_for_selector("h1:has-text('What do you need to check?')")


def _wait_for_code(page: Any) -> str:
    """Wait until the QR image has loaded; return the link printed under it."""
    page.wait_for_selector("img.qr")
    for _ in range(100):  # wait_for_function would need eval, which the page's CSP forbids
        if page.evaluate("document.querySelector('img.qr').naturalWidth") > 0:
            break
        page.wait_for_timeout(50)
    else:
        pytest.fail("the QR code image did not load")
    return str(page.locator("#request-link").inner_text()).strip()


def _present(stack: Stack, link: str) -> None:
    session = stack.wallet.prepare_presentation(link)
    assert session.consent.can_share, session.consent.problems
    stack.wallet.approve(session)


def test_a_check_from_qr_code_to_verified_and_then_refused(
    page: Any, stack: Stack, artifacts_dir: Path
) -> None:
    errors = _watch_console(page)
    _sign_in(page, stack)
    assert "Desk: Counter 2, Thimphu main branch" in page.inner_text("header")
    assert "Only this is shared: Over 18 (yes or no)" in page.inner_text(
        "button[data-template='age-over-18']"
    )  # the label comes from the issuer's Type Metadata
    screenshot(page, artifacts_dir, "teller-choose")
    page.click("button[data-template='age-over-18']")
    link = _wait_for_code(page)
    shot = screenshot(page, artifacts_dir, "teller-waiting")

    # The code on the screen is the request the service created for this desk.
    assert decode_qr_image(shot) == [link]
    request_id = parse_openid4vp_uri(link)["request_uri"].rsplit("/", 1)[1]
    key_id = stack.desk_key.split("_")[1]
    service = stack.verifier.state.service
    assert service.request_link(key_id, request_id) == link
    assert service.request_view(key_id, request_id)["template"] == "age-over-18"
    assert "You are over 18" not in page.inner_text("main")
    assert "over 18" in page.inner_text(".purpose")
    assert "The code works for" in page.inner_text(".countdown")  # teller.js counts down

    _present(stack, link)
    page.wait_for_selector(".result[data-status='verified']", timeout=15_000)  # no reload by us
    result = page.inner_text("main")
    assert "✔ Verified" in result
    assert "Foundational ID" in result  # the type's display name
    assert page.inner_text("table.claims th") == "Over 18"
    assert page.inner_text("table.claims td") == "Yes"
    assert "Department of Civil Registration and Census" in result
    assert "Trust data valid as of" in result
    assert "Karma" not in result  # only what was asked is shown
    screenshot(page, artifacts_dir, "teller-verified")

    # The issuing office revokes the credential (every copy in the wallet).
    operator, actor = stack.issuer.state.runtime.operator, local_actor()
    for item in operator.credentials.page(actor, subject=KARMA).items:
        operator.credentials.change_status(actor, item.id, "revoke", reason="reported stolen")
    page.get_by_role("button", name="New check").click()
    page.wait_for_selector("h1:has-text('What do you need to check?')")
    page.wait_for_timeout(1_100)  # past the status list's one-second ttl
    page.click("button[data-template='age-over-18']")
    link = _wait_for_code(page)
    with pytest.raises(PresentError):
        _present(stack, link)
    page.wait_for_selector(".result[data-status='rejected']", timeout=15_000)
    refused = page.inner_text("main")
    assert "✘ Not accepted" in refused
    assert "This credential has been revoked by its issuer." in refused
    assert "Ask the customer to contact the office that issued the credential." in refused
    screenshot(page, artifacts_dir, "teller-refused")
    assert errors == []


def test_sign_in_and_choose_with_the_keyboard_alone(
    page: Any, stack: Stack, artifacts_dir: Path
) -> None:
    errors = _watch_console(page)
    page.goto(f"{stack.verifier_url}/teller")
    assert page.evaluate("document.activeElement.id") == "f-api_key"  # ready to paste
    page.keyboard.type(stack.desk_key)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('What do you need to check?')")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.template || ''") == "age-over-18":
            break
    else:
        pytest.fail("the age check button cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused button is visibly marked
    screenshot(page, artifacts_dir, "teller-keyboard-focus")
    page.keyboard.press("Enter")
    _wait_for_code(page)
    assert page.url.endswith("/teller/check")
    # Cancel, also by keyboard: the code stops working.
    page.focus("form[action='/teller/check/end'] button")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('What do you need to check?')")
    assert errors == []


def test_without_javascript_check_now_brings_the_result(
    browser: Any, stack: Stack, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        _sign_in(page, stack)
        page.click("button[data-template='kyc-basic']")
        page.wait_for_selector("img.qr")
        link = page.locator("#request-link").inner_text().strip()
        assert "The code works until" in page.inner_text(".countdown")  # no countdown script
        session = stack.wallet.prepare_presentation(link)
        assert stack.wallet.refuse(session).verifier_notified
        page.wait_for_timeout(2_000)
        assert page.locator(".waiting").count() == 1  # nothing reloads by itself
        page.get_by_role("link", name="Check now").click()
        page.wait_for_selector(".result[data-status='rejected']")
        text = page.inner_text("main")
        assert "✘ Not accepted" in text
        assert "The holder declined to share the information." in text
        assert "The customer chose not to share." in text
        screenshot(page, artifacts_dir, "teller-no-javascript-declined")
    finally:
        context.close()
