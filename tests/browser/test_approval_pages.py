"""The operator's approval queue (deferred issuance) in Chromium at phone width, against a real
issuer on loopback: a wallet's request for a credential an officer must approve appears under
"Waiting for approval"; Decline needs a reason; Approve lets the wallet collect it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from did.keys import PrivateKey
from issuer.api.app import create_app
from issuer.operator import OfferItem, local_actor
from issuer.settings import IssuerSettings
from tests.api.issuer.test_deferred import approval_types
from tests.browser.conftest import screenshot
from tests.browser.test_operator_pages import LABEL, fits_phone_width
from tests.support.oid4vci_client import WalletClient, make_proof
from tests.support.servers import free_port, serve_app

pytestmark = [pytest.mark.browser, pytest.mark.network]

KARMA = "11512003456"


def _ask(http: httpx.Client, url: str, app: Any) -> tuple[str, str]:
    """A wallet asks for the reviewed credential: (access token, transaction id)."""
    offer = app.state.runtime.operator.offers.create(
        local_actor(), OfferItem("permanent-address", KARMA)
    )
    wallet = WalletClient(http, issuer=url)
    token = wallet.token(wallet.code_of(wallet.fetch_offer(offer.offer_uri)))
    proof = make_proof(PrivateKey.generate(), aud=url, nonce=wallet.nonce())
    answer = wallet.request_credentials(token, "permanent-address", [proof])
    assert answer.status_code == 202, answer.text
    return token, str(answer.json()["transaction_id"])


def test_approve_and_decline_in_chromium(page: Any, tmp_path: Path, artifacts_dir: Path) -> None:
    port = free_port()
    settings = IssuerSettings(
        mode="development",
        public_url=f"http://127.0.0.1:{port}",
        data_dir=tmp_path / "issuer",
        status_list_size=4096,
        seed_demo_data=True,
        types_dir=approval_types(tmp_path / "types"),
    )
    app = create_app(settings)
    with serve_app(app, port=port) as url, httpx.Client(base_url=url, timeout=30) as http:
        asked = [_ask(http, url, app), _ask(http, url, app)]
        key = app.state.runtime.operator.admin.create_api_key(
            local_actor(), role="issue", label=LABEL
        ).token
        page.goto(f"{url}/operator")
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Waiting for approval").click()
        page.wait_for_url(f"{url}/operator/approvals")
        main = page.locator("main").inner_text()
        assert "2 requests waiting" in main
        assert "Permanent address" in main
        assert fits_phone_width(page)
        screenshot(page, artifacts_dir, "operator-approvals")
        rows = page.locator("#approvals tbody tr")
        first = rows.nth(0)
        first.get_by_role("button", name="Approve").click()
        page.wait_for_url(f"{url}/operator/approvals")
        assert "Approved: Permanent address for 11512003456" in page.locator("main").inner_text()
        remaining = page.locator("#approvals tbody tr").nth(0)
        remaining.get_by_label("Reason for declining (kept in the audit log)").fill(
            "address not confirmed at the gewog office"
        )
        remaining.get_by_role("button", name="Decline").click()
        page.wait_for_url(f"{url}/operator/approvals")
        text = page.locator("main").inner_text()
        assert "Declined: Permanent address" in text
        assert "No credential request is waiting for approval." in text
        screenshot(page, artifacts_dir, "operator-approvals-done")
        codes = sorted(
            http.post(
                "/deferred_credential",
                json={"transaction_id": transaction},
                headers={"Authorization": f"Bearer {token}"},
            ).status_code
            for token, transaction in asked
        )
        assert codes == [200, 400]
