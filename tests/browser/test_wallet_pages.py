"""The citizen's web wallet in Chromium at phone width, against the project's own issuer and
verifier running on loopback in development mode: create a wallet, receive a Foundational ID
from a pasted offer link (with its PIN), see its card and check its status, answer the bank's
``age-over-18`` request on the consent screen, and find it in the history. The unlock form,
"Check status" and the consent buttons are driven with Tab and Enter only. Every page is saved
as a screenshot artifact."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from issuer.operator import OfferItem, local_actor
from tests.browser.conftest import screenshot
from tests.e2e.wallet.test_issuer_verifier import KARMA, apps
from tests.support.servers import free_port, serve_app
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams
from wallet.web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.network]

PASSPHRASE = "yak butter tea morning"
BANK = "Bank of Bhutan KYC desk"


@dataclass
class Stack:
    wallet_url: str
    issuer: Any
    verifier: httpx.Client  # the bank's API, signed in with its key


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    issuer_port, verifier_port = free_port(), free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    issuer, verifier = apps(tmp_path, issuer_url, verifier_url)
    settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet")
    # The wallet created in the browser uses a cheap KDF; the default stays strong.
    wallet = create_app(settings, kdf=ScryptParams(n=2**4))
    with (
        serve_app(issuer, port=issuer_port),
        serve_app(verifier, port=verifier_port),
        serve_app(wallet) as wallet_url,
    ):
        key, _ = verifier.state.service.create_api_key(BANK)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=verifier_url, headers=headers, timeout=30) as bank:
            yield Stack(wallet_url, issuer, bank)


def fits_the_phone(page: Page) -> None:
    """Nothing sticks out sideways at phone width (no sideways scrolling to read a page)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def snap(page: Page, artifacts_dir: Path, name: str) -> None:
    page.wait_for_load_state("load")  # measured and drawn with the stylesheets applied
    fits_the_phone(page)
    screenshot(page, artifacts_dir, f"wallet-{name}")
    viewport = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})  # the smallest phones in use
    fits_the_phone(page)
    assert viewport is not None
    page.set_viewport_size(viewport)


def menu(page: Page, name: str, path: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(f"**{path}")


def tab_to(page: Page, target: Locator, *, limit: int = 40) -> None:
    """Press Tab until ``target`` has the keyboard focus (fails if it never does)."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def test_a_citizen_receives_and_shares_with_the_web_wallet(
    page: Page, stack: Stack, artifacts_dir: Path
) -> None:
    # First run: create the wallet.
    page.goto(stack.wallet_url)
    expect(page.get_by_role("heading", name="Create your wallet")).to_be_visible()
    snap(page, artifacts_dir, "create")
    page.get_by_label("Choose a passphrase").fill(PASSPHRASE)
    page.get_by_label("Type the same passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Create my wallet").click()
    expect(page.get_by_text("Your wallet is ready.")).to_be_visible()
    expect(page.get_by_text("Your wallet is empty.")).to_be_visible()
    snap(page, artifacts_dir, "empty")

    # The agency makes an offer with a PIN; Karma pastes the link, then types the PIN.
    offer = stack.issuer.state.runtime.operator.offers.create(
        local_actor(), OfferItem("foundational-id", KARMA, tx_code=True)
    )
    menu(page, "Receive", "/receive")
    page.get_by_label("Paste the offer link").fill(offer.offer_uri)
    snap(page, artifacts_dir, "receive")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.get_by_role("heading", name="Type the PIN the agency gave you")).to_be_visible()
    snap(page, artifacts_dir, "pin")
    page.get_by_label("PIN").fill(offer.tx_code)
    page.get_by_role("button", name="Receive the credential").click()
    expect(page.get_by_role("heading", name="Received and checked")).to_be_visible()
    snap(page, artifacts_dir, "received")

    # The card carries the display name from the type metadata.
    menu(page, "My credentials", "/credentials")
    card = page.locator(".credential-card")
    expect(card.get_by_role("heading", name="Foundational ID")).to_be_visible()
    expect(card).to_contain_text("Department of Civil Registration and Census")
    expect(card).to_contain_text("Karma Wangmo")
    expect(card.locator(".status-badge")).to_have_text("Not checked yet")
    snap(page, artifacts_dir, "credentials")
    # "Check status", with the keyboard: the issuer says the credential is valid, as of now.
    check = page.get_by_role("button", name="Check status")
    tab_to(page, check)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Asked the issuers about 1 credential: 1 valid.")).to_be_visible()
    expect(card.locator(".status-badge")).to_have_text("Valid")
    expect(card.locator(".status-line")).to_contain_text("as of")
    snap(page, artifacts_dir, "credentials-status")
    card.get_by_role("link", name="See all details").click()
    expect(page.get_by_role("heading", name="Foundational ID")).to_be_visible()
    expect(page.locator("table.details")).to_contain_text("Date of birth")
    snap(page, artifacts_dir, "credential")

    # The bank asks whether Karma is over 18.
    created = stack.verifier.post("/api/v1/requests", json={"template": "age-over-18"})
    assert created.status_code == 201, created.text
    request = created.json()
    menu(page, "Share", "/present")
    page.get_by_label("Paste the request link").fill(request["uri"])
    page.get_by_role("button", name="See what they ask for").click()

    # The consent screen: who, why, what is shared, what stays hidden.
    expect(page.get_by_role("heading", name=f"{BANK} asks to see")).to_be_visible()
    who = page.locator("section", has=page.get_by_role("heading", name="Who is asking"))
    expect(who).to_contain_text(BANK)
    expect(who).to_contain_text("Not known to your wallet")
    expect(who).to_contain_text("did:web:127.0.0.1")
    why = page.locator("section", has=page.get_by_role("heading", name="Why they ask"))
    expect(why).to_contain_text("We only need to know that you are over 18")
    shared = page.locator("table.shared")
    expect(shared).to_contain_text("Over 18")
    expect(shared).not_to_contain_text("Date of birth")
    hidden = page.locator("ul.hidden-claims")
    for label in ("Full name", "Date of birth", "CID number"):
        expect(hidden).to_contain_text(label)
    snap(page, artifacts_dir, "consent")

    # Keyboard only: both buttons are reachable with Tab; Enter on "Share" shares.
    share = page.get_by_role("button", name="Share", exact=True)
    dont = page.get_by_role("button", name="Don't share")
    page.locator("body").click(position={"x": 1, "y": 1})
    tab_to(page, share)
    tab_to(page, dont)
    page.keyboard.press("Shift+Tab")
    assert share.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Shared with {BANK}")).to_be_visible()
    snap(page, artifacts_dir, "shared")

    # The bank's verifier verified the answer.
    result = stack.verifier.get(f"/api/v1/requests/{request['id']}").json()
    assert result["status"] == "verified", result
    [seen] = result["credentials"]["national_id"]
    assert set(seen["claims"]) == {"age_over_18"}

    # The history says who saw what.
    menu(page, "History", "/history")
    entry = page.locator(".history-entry")
    expect(entry).to_contain_text(BANK)
    expect(entry).to_contain_text("Shared")
    expect(entry).to_contain_text("Over 18")
    snap(page, artifacts_dir, "history")

    # Lock, then unlock with the keyboard only: Tab to the field, type, Enter.
    page.get_by_role("button", name="Lock wallet").click()
    expect(page.get_by_text("Your wallet is locked.")).to_be_visible()
    snap(page, artifacts_dir, "unlock")
    field = page.get_by_label("Your passphrase")
    page.locator("body").click(position={"x": 1, "y": 1})
    tab_to(page, field)
    page.keyboard.type("not my passphrase")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("What to do: Type the passphrase again")
    snap(page, artifacts_dir, "unlock-wrong")
    tab_to(page, page.get_by_label("Your passphrase"))
    page.keyboard.type(PASSPHRASE)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your wallet is unlocked.")).to_be_visible()
    expect(page.locator(".credential-card")).to_contain_text("Foundational ID")
