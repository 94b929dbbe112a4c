"""The whole journey through the three pages in Chromium, the way the three people would, on the
demo stack (``drukid.demo.start_stack``: issuer, verifier and web wallet on loopback ports,
development mode, demo registry):

1. the agency operator signs in, finds Karma Wangmo and offers her a Foundational ID with a PIN
   (the offer QR code, read from a screenshot, is the link the page shows);
2. Karma creates her web wallet on her phone, pastes the offer link, types the PIN, and sees the
   card with the type's display name and the issuer's name;
3. the bank teller signs in and starts an ``account-opening`` check (full name, CID, over 18):
   the QR code, read from a screenshot of the bank's screen, is the link of the request the
   verifier's relying-party API holds for that desk;
4. Karma pastes that link: the consent screen says who asks, why, what is shared and that the
   date of birth stays hidden; she shares;
5. the result appears on the bank's screen by itself: verified, the claims, the issuer's name and
   the "as of" times;
6. the operator revokes every copy of Karma's credential at once ("Revoke all copies from this
   offer": one confirmation page, one reason);
7. the teller starts a new check, Karma shares again, and the bank's screen says "Not accepted"
   because the issuer revoked the credential; Karma's wallet, asked to check, says Revoked.

Nothing is done behind the pages' backs except reading what the verifier's API says about the
request the teller page created (to compare it with what the camera sees). Every page is saved
as a screenshot artifact ``journey-NN-*.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, Page
from playwright.sync_api import expect as playwright_expect

from drukid.demo import (
    BANK_NAME,
    DEMO_CITIZEN_CID,
    REGISTRY_NAME,
    STATUS_TTL,
    DemoStack,
    start_stack,
)
from servicekit.qr import decode_qr_image
from tests.browser.conftest import PHONE, screenshot
from tests.support.servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.network, pytest.mark.slow]

KARMA = DEMO_CITIZEN_CID  # Karma Wangmo in the demo registry
DESK = {"width": 1280, "height": 900}  # the agency's counter and the bank's screen
PASSPHRASE = "yak butter tea morning"
TEMPLATE = "account-opening"  # full name, CID number, over 18; the date of birth stays hidden
# What account-opening shares, as the bank's screen and Karma's wallet show it (the wallet writes
# true as "yes", the bank's screen as "Yes").
CLAIMS = {"Full name": "Karma Wangmo", "CID number": KARMA, "Over 18": "Yes"}
CONSENT_CLAIMS = {**CLAIMS, "Over 18": "yes"}
WAIT_MS = 15_000  # the longest any one step may take (the teller page polls every 1.5 s)

# This module's own expect(), waiting up to WAIT_MS: the slow steps (the passphrase's key
# derivation, a batch of copies issued, a presentation verified) can take longer than the
# default 5 s on a busy CI machine, and set_options on the shared instance would change it
# for every other test in the process.
expect = type(playwright_expect)()
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    # A port free a moment ago may be taken before uvicorn binds it (another test worker, or an
    # outgoing connection's ephemeral port): start again on other ports, up to three times.
    for attempt in range(3):
        try:
            started = start_stack(
                tmp_path_factory.mktemp("journey"), ports=(free_port(), free_port(), free_port())
            )
            break
        except RuntimeError:
            if attempt == 2:
                raise
    assert started.wallet_url is not None, "this installation has no web wallet"
    try:
        yield started
    finally:
        started.stop()


@dataclass
class Screen:
    """One person's browser: its own context (cookies), a page, and what went wrong in it."""

    page: Page
    problems: list[str] = field(default_factory=list)


def open_screen(browser: Any, viewport: dict[str, int]) -> Screen:
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    screen = Screen(page)

    def console(message: Any) -> None:
        where = str(message.location.get("url", ""))
        # The operator pages declare no icon, so Chromium asks for /favicon.ico and logs the
        # issuer's 404 (reported; the teller pages declare an empty icon and do not).
        if message.type == "error" and not where.endswith("/favicon.ico"):
            screen.problems.append(f"{message.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda exc: screen.problems.append(str(exc)))
    page.on(
        "response",
        lambda r: screen.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return screen


@pytest.fixture
def screens(browser: Any) -> Iterator[dict[str, Screen]]:
    """The agency's counter, Karma's phone and the bank's screen: three separate browsers."""
    opened = {
        "operator": open_screen(browser, DESK),
        "citizen": open_screen(browser, PHONE),
        "teller": open_screen(browser, DESK),
    }
    try:
        yield opened
    finally:
        for screen in opened.values():
            screen.page.context.close()


class Shots:
    """Numbered screenshots, in the order the journey took them."""

    def __init__(self, artifacts_dir: Path) -> None:
        self.artifacts_dir = artifacts_dir
        self.count = 0

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        page.wait_for_load_state("load")  # drawn with the stylesheets and images applied
        return screenshot(page, self.artifacts_dir, f"journey-{self.count:02d}-{name}")


def loaded(image: Locator) -> None:
    """Wait until an image has loaded and decoded (fails if it cannot be)."""
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")


def rows_of(table: Locator) -> dict[str, str]:
    """A two-column table (label, value) as a mapping; each label must appear once."""
    expect(table).to_be_visible()
    rows = [
        (row.locator("th").inner_text().strip(), row.locator("td").inner_text().strip())
        for row in table.locator("tbody tr").all()
    ]
    assert len(dict(rows)) == len(rows), rows
    return dict(rows)


def request_id_of(link: str) -> str:
    request_uri = parse_qs(urlsplit(link).query)["request_uri"][0]
    return request_uri.rstrip("/").rsplit("/", 1)[1]


# --- the agency's counter ---------------------------------------------------------------------


def operator_offers(page: Page, stack: DemoStack, snap: Shots) -> tuple[str, str]:
    """Sign in, find Karma, offer a Foundational ID with a PIN; return (link, PIN) as shown."""
    url = stack.issuer_url
    page.goto(f"{url}/operator")
    page.wait_for_url(f"{url}/operator/sign-in")
    snap(page, "operator-sign-in")
    page.get_by_label("API key").fill(stack.issuer_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/operator/search")

    page.get_by_label("CID number, name or licence number").fill("Karma Wangmo")
    page.get_by_role("button", name="Search", exact=True).click()
    card = page.locator(f"#person-{KARMA}")
    expect(card).to_contain_text("Karma Wangmo")
    expect(card).to_contain_text(KARMA)
    snap(page, "operator-search")
    card.get_by_label("Credential to issue").select_option("foundational-id")
    pin_box = card.get_by_label("Require a PIN (tx_code)")
    pin_box.check()
    expect(pin_box).to_be_checked()
    card.get_by_role("button", name="Create offer").click()

    page.wait_for_url(f"{url}/operator/offers")
    loaded(page.locator("#offer-qr"))
    link = page.locator("#offer-link").input_value()
    pin = page.locator("#offer-pin").inner_text().strip()
    assert link.startswith("openid-credential-offer://?credential_offer_uri="), link
    assert pin.isdigit(), pin
    assert len(pin) == 6, pin
    expect(page.locator("main")).to_contain_text(f"For CID {KARMA}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offer ready: Foundational ID")
    shot = snap(page, "operator-offer")
    assert decode_qr_image(shot) == [link]  # what the citizen's camera sees is what the page says
    return link, pin


def operator_revokes_all(page: Page, stack: DemoStack, snap: Shots, copies: int) -> None:
    """Revoke every copy of Karma's credential with one confirmation. The stack is fresh, so
    all of hers come from the one offer above: as many as her wallet holds."""
    assert copies > 1, "the wallet was meant to collect several one-time copies"
    url = stack.issuer_url
    page.get_by_role("link", name="Issued credentials").click()
    page.wait_for_url(f"{url}/operator/credentials")
    page.get_by_label("Show one person or business").fill(KARMA)
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"{url}/operator/credentials?subject={KARMA}")
    rows = page.locator("table#credentials tbody tr")
    expect(rows).to_have_count(copies)
    expect(page.locator("table#credentials caption")).to_contain_text(
        f"{copies} credential{'' if copies == 1 else 's'} for {KARMA}"
    )
    for index in range(copies):
        expect(rows.nth(index)).to_contain_text("Foundational ID")
        expect(rows.nth(index)).to_contain_text("Valid")
        expect(rows.nth(index)).to_contain_text(f"of {copies} from offer off_")
    snap(page, "operator-credentials")

    rows.first.get_by_role("link", name="Revoke all copies from this offer").click()
    page.wait_for_url("**/revoke")
    expect(page.locator("h1")).to_have_text("Revoke all copies from this offer?")
    expect(page.locator("main")).to_contain_text("cannot be undone")
    expect(page.locator("main")).to_contain_text(f"All {copies} copies will be revoked.")
    expect(page.locator("table#offer-copies tbody tr")).to_have_count(copies)
    page.get_by_label("Reason (kept in the audit log)").fill("Citizen reported the phone stolen")
    snap(page, "operator-confirm-revoke")
    page.get_by_role("button", name="Yes, revoke all copies").click()
    page.wait_for_url(f"{url}/operator/credentials?subject={KARMA}")
    expect(page.get_by_role("status").first).to_contain_text(
        f"Foundational ID for {KARMA} is now revoked."
    )
    expect(rows).to_have_count(copies)
    for index in range(copies):
        expect(rows.nth(index)).to_contain_text("Revoked")
    # Neither a single-copy nor an all-copies revoke link is left.
    expect(page.locator("table#credentials").get_by_role("link", name="Revoke")).to_have_count(0)
    snap(page, "operator-credentials-revoked")


# --- Karma's phone ----------------------------------------------------------------------------


def citizen_menu(page: Page, name: str, path: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(f"**{path}")


def citizen_receives(page: Page, stack: DemoStack, link: str, pin: str, snap: Shots) -> int:
    """Create the wallet, receive the offer with the PIN; return how many copies it holds."""
    page.goto(str(stack.wallet_url))
    expect(page.get_by_role("heading", name="Create your wallet")).to_be_visible()
    snap(page, "wallet-create")
    page.get_by_label("Choose a passphrase").fill(PASSPHRASE)
    page.get_by_label("Type the same passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Create my wallet").click()
    expect(page.get_by_text("Your wallet is ready.")).to_be_visible()
    expect(page.get_by_text("Your wallet is empty.")).to_be_visible()

    citizen_menu(page, "Receive", "/receive")
    page.get_by_label("Paste the offer link").fill(link)
    snap(page, "wallet-receive")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.get_by_role("heading", name="Type the PIN the agency gave you")).to_be_visible()
    page.get_by_label("PIN").fill(pin)
    snap(page, "wallet-pin")
    page.get_by_role("button", name="Receive the credential").click()
    expect(page.get_by_role("heading", name="Received and checked")).to_be_visible()
    snap(page, "wallet-received")

    citizen_menu(page, "My credentials", "/credentials")
    card = page.locator(".credential-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", name="Foundational ID")).to_be_visible()
    expect(card).to_contain_text(f"Issued by {REGISTRY_NAME}")
    expect(card).to_contain_text("Karma Wangmo")
    snap(page, "wallet-credentials")

    # The details say how many one-time copies the wallet holds (the agency revokes them all).
    card.get_by_role("link", name="See all details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Foundational ID")
    fresh = page.locator("dl.facts dt:text-is('Fresh copies') + dd").inner_text()
    found = re.match(r"(\d+) of (\d+) ", fresh)
    assert found, fresh
    assert found[1] == found[2], fresh  # none used yet
    snap(page, "wallet-credential")
    return int(found[2])


def citizen_opens_request(page: Page, link: str) -> None:
    citizen_menu(page, "Share", "/present")
    page.get_by_label("Paste the request link").fill(link)
    page.get_by_role("button", name="See what they ask for").click()


def citizen_consents(page: Page, purpose: str, snap: Shots) -> None:
    expect(page.get_by_role("heading", name=f"{BANK_NAME} asks to see")).to_be_visible()
    who = page.locator("section", has=page.get_by_role("heading", name="Who is asking"))
    expect(who).to_contain_text(BANK_NAME)
    why = page.locator("section", has=page.get_by_role("heading", name="Why they ask"))
    expect(why.locator(".purpose")).to_have_text(purpose)
    share = page.locator("section.consent-share")
    expect(share).to_contain_text("Foundational ID")
    expect(share).to_contain_text(REGISTRY_NAME)
    assert rows_of(share.locator("table.shared")) == CONSENT_CLAIMS
    hidden = share.locator("ul.hidden-claims")
    expect(hidden.get_by_text("Date of birth", exact=True)).to_be_visible()
    expect(hidden).not_to_contain_text("Full name")
    snap(page, "wallet-consent")
    page.get_by_role("button", name="Share", exact=True).click()


# --- the bank's screen ------------------------------------------------------------------------


def teller_signs_in(page: Page, stack: DemoStack, snap: Shots) -> None:
    url = stack.verifier_url
    page.goto(f"{url}/teller")
    snap(page, "teller-sign-in")
    page.get_by_label("API key").fill(stack.verifier_key)
    page.locator("form[action='/teller/sign-in']").get_by_role("button").click()
    expect(page.get_by_role("heading", name="What do you need to check?")).to_be_visible()
    expect(page.locator("header")).to_contain_text(BANK_NAME)


def teller_starts_check(
    page: Page, stack: DemoStack, bank: httpx.Client, snap: Shots, name: str
) -> tuple[str, str]:
    """Start an account-opening check; return (link read from the QR pixels, purpose)."""
    choice = page.locator(f"button[data-template='{TEMPLATE}']")
    expect(choice).to_contain_text("Open an account (name, CID, over 18)")
    snap(page, f"teller-choose{name}")
    choice.click()
    expect(page.get_by_role("heading", name="Ask the customer to scan this code")).to_be_visible()
    loaded(page.locator("img.qr"))
    shot = snap(page, f"teller-waiting{name}")
    [link] = decode_qr_image(shot)  # what the customer's camera sees on the bank's screen

    # The link is the one of the request the verifier holds for this desk's key: the page
    # prints the same link, the API's own QR image for that request holds it, and the API
    # polls it as a pending account-opening request with the purpose the page shows.
    assert page.locator("#request-link").inner_text().strip() == link
    request_id = request_id_of(link)
    assert parse_qs(urlsplit(link).query)["request_uri"] == [
        f"{stack.verifier_url}/oid4vp/request/{request_id}"
    ]
    api_qr = bank.get(f"/api/v1/requests/{request_id}/qr.png")
    assert api_qr.status_code == 200, api_qr.text
    assert decode_qr_image(api_qr.content) == [link]
    polled = bank.get(f"/api/v1/requests/{request_id}")
    assert polled.status_code == 200, polled.text
    view = polled.json()
    assert view["status"] == "pending", view
    assert view["template"] == TEMPLATE, view
    purpose = str(view["purpose"])
    expect(page.locator(".purpose")).to_contain_text(purpose)
    return link, purpose


def teller_sees_verified(page: Page, snap: Shots) -> None:
    result = page.locator(".result[data-status='verified']")
    # The page gets there by itself (teller.js polls); nobody reloads it.
    expect(result).to_be_visible()
    expect(result.locator("h1")).to_have_text("✔ Verified")
    card = result.locator(".credential-card")
    expect(card.locator("h2")).to_have_text("Foundational ID")
    assert rows_of(card.locator("table")) == CLAIMS
    expect(result).not_to_contain_text("Date of birth")
    provenance = card.locator("dl.provenance")
    expect(provenance).to_contain_text(f"Issued by{REGISTRY_NAME}", use_inner_text=False)
    expect(provenance).to_contain_text(re.compile(r"checked as of \d{1,2} \w+ \d{4}, \d\d:\d\d"))
    expect(provenance).to_contain_text("Trust data valid as of")
    snap(page, "teller-verified")


def teller_new_check(page: Page) -> None:
    page.get_by_role("button", name="New check").click()
    expect(page.get_by_role("heading", name="What do you need to check?")).to_be_visible()


# --- the journey ------------------------------------------------------------------------------


def test_the_journey_through_the_three_pages(
    stack: DemoStack, screens: dict[str, Screen], artifacts_dir: Path
) -> None:
    started = time.monotonic()
    snap = Shots(artifacts_dir)
    operator = screens["operator"].page
    citizen = screens["citizen"].page
    teller = screens["teller"].page
    # Only to read what the verifier's API says about the requests the teller page creates.
    bank = httpx.Client(
        base_url=stack.verifier_url,
        headers={"Authorization": f"Bearer {stack.verifier_key}"},
        timeout=30,
    )
    with bank:
        # 1. The agency's counter: an offer with a PIN.
        link, pin = operator_offers(operator, stack, snap)

        # 2. Karma's phone: a new wallet receives the Foundational ID.
        copies = citizen_receives(citizen, stack, link, pin, snap)

        # 3. The bank's screen: an account-opening check; the code read from the pixels.
        teller_signs_in(teller, stack, snap)
        request_link, purpose = teller_starts_check(teller, stack, bank, snap, "")

        # 4. Karma reads who asks, why, what is shared and what stays hidden; she shares.
        citizen_opens_request(citizen, request_link)
        citizen_consents(citizen, purpose, snap)
        expect(citizen.get_by_role("heading", name=f"Shared with {BANK_NAME}")).to_be_visible()
        snap(citizen, "wallet-shared")

        # 5. The bank's screen shows the result by itself.
        teller_sees_verified(teller, snap)

        # 6. The agency revokes every copy of the credential.
        operator_revokes_all(operator, stack, snap, copies)
        # Verifiers may cache the issuer's status list for its ttl (3 s on the demo stack): as
        # the demo does, wait until ttl + 1 s have passed since the last revocation (the one
        # sleep here; often nothing is left to wait by the time the next check starts).
        revoked_at = time.monotonic()

        # 7. A new check at the bank: Karma shares again; the bank refuses, saying why.
        teller_new_check(teller)
        time.sleep(max(0.0, revoked_at + STATUS_TTL + 1 - time.monotonic()))
        request_link, purpose = teller_starts_check(teller, stack, bank, snap, "-again")
        citizen_opens_request(citizen, request_link)
        for who, screen in screens.items():
            assert screen.problems == [], f"{who}: {screen.problems}"
        citizen_consents(citizen, purpose, snap)
        # The wallet hears it first from the bank's answer, and says so; the page comes with
        # the bank's HTTP 400.
        expect(
            citizen.get_by_role("heading", name="Your answer did not go through")
        ).to_be_visible()
        expect(citizen.locator("main")).to_contain_text(
            "This credential has been revoked by its issuer."
        )
        snap(citizen, "wallet-not-accepted")
        answer = citizen.url
        assert answer.startswith(f"{stack.wallet_url}/present/"), answer
        assert citizen_problems(screens["citizen"]) == [f"400 {answer}"]

        refused = teller.locator(".result[data-status='rejected']")
        expect(refused).to_be_visible()  # again by itself
        expect(refused.locator("h1")).to_have_text("✘ Not accepted")
        expect(refused).to_contain_text("This credential has been revoked by its issuer.")
        expect(refused).to_contain_text(
            "Ask the customer to contact the office that issued the credential."
        )
        expect(refused).not_to_contain_text("Karma Wangmo")
        snap(teller, "teller-refused")

        # Karma asks the registry herself: her card now says Revoked, and what to do.
        citizen_menu(citizen, "My credentials", "/credentials")
        card = citizen.locator(".credential-card")
        citizen.get_by_role("button", name="Check status").click()
        expect(card.locator(".status-badge")).to_have_text("Revoked")
        expect(card).to_contain_text("Contact the issuer for a new one.")
        snap(citizen, "wallet-revoked")

    for who in ("operator", "teller"):
        assert screens[who].problems == [], f"{who}: {screens[who].problems}"
    took = time.monotonic() - started
    assert took < 60, f"the journey took {took:.0f} s; it is meant to stay under a minute"


def citizen_problems(screen: Screen) -> list[str]:
    """The failed responses the citizen's browser saw (its console repeats each one)."""
    logged = [p for p in screen.problems if not p.startswith("Failed to load resource: ")]
    assert len(screen.problems) == 2 * len(logged), screen.problems
    return logged
