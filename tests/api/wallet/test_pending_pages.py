"""The web wallet and deferred issuance, against the drukid issuer (in-process): an offer the
agency must approve shows "Waiting for the agency ..." in words, "My credentials" lists it,
and "Ask the agency again" collects it once approved, never before the issuer's interval."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from issuer.operator import OfferItem, local_actor
from tests.api.issuer.test_deferred import approval_types
from tests.api.wallet.conftest import (
    BASE_URL,
    FAST_KDF,
    SessionClock,
    create_wallet,
    csrf_of,
    text_of,
    token,
)
from tests.e2e.wallet.test_haip_credential import issuer_and_network
from wallet.settings import WalletSettings
from wallet.web import create_app

KARMA = "11512003456"


def test_waiting_then_collected(tmp_path: Path) -> None:
    log: list[tuple[httpx.Request, httpx.Response]] = []
    now = [int(time.time())]  # the issuer runs on the real clock; the wallet's is moved
    with issuer_and_network(
        tmp_path, log, types_dir=approval_types(tmp_path / "types"), deferred_interval=20
    ) as (issuer, network):
        settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet", copies=2)
        app = create_app(
            settings,
            kdf=FAST_KDF,
            network=network,
            clock=lambda: now[0],
            session_clock=SessionClock(),
        )
        operator = issuer.state.runtime.operator
        offer = operator.offers.create(local_actor(), OfferItem("permanent-address", KARMA))
        with TestClient(app, base_url=BASE_URL, follow_redirects=False) as web:
            assert create_wallet(web).status_code == 303
            posted = web.post("/receive", data={"csrf_token": token(web), "link": offer.offer_uri})
            assert posted.status_code == 303, text_of(posted)
            words = text_of(web.get(posted.headers["location"]))
            assert "Waiting for the agency to approve your Permanent address" in words
            assert "kept safely in your wallet" in words
            listed = web.get("/credentials")
            assert "Waiting for the agency to approve your Permanent address" in text_of(listed)
            asked = web.post("/credentials/pending", data={"csrf_token": csrf_of(listed)})
            assert asked.status_code == 303
            # Before the interval nothing is sent; the page says nothing needs doing.
            assert "Nothing needs doing" in text_of(web.get("/credentials"))
            assert not [r for r, _ in log if r.url.path == "/deferred_credential"]
            [request] = operator.approvals.page(local_actor()).items
            operator.approvals.approve(local_actor(), request.ref)
            now[0] += 20
            asked = web.post("/credentials/pending", data={"csrf_token": token(web)})
            assert asked.status_code == 303
            page = text_of(web.get("/credentials"))
            assert "The agency approved your Permanent address" in page
            assert "Waiting for the agency" not in page
            assert "Permanent address" in page
