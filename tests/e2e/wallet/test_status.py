"""The wallet asks the project's own issuer whether the credentials it holds are still valid:
the operator suspends, reinstates and revokes every copy from the offer with
``POST /api/v1/offers/{offer_ref}/{action}``, over loopback sockets, and ``check_status`` says
so; once the issuer is down the last known status is kept with its time; a status list altered
on the way (the real issuer in-process behind a tampering transport) is refused and reads
"unknown", never "valid"."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from did.fetch import Fetcher
from issuer.operator import OfferItem, local_actor
from tests.e2e.wallet.test_issuer_verifier import KARMA, issuer_app
from tests.support.servers import free_port, serve_app
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.status import StatusRecord
from wallet.vault import ScryptParams


def new_wallet(tmp_path: Path, network: Any = None) -> Wallet:
    settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet")
    return Wallet.create(
        tmp_path / "wallet" / "wallet.db", "correct horse battery", settings=settings,
        kdf=ScryptParams(n=2**4), network=network,
    )  # fmt: skip


def record(wallet: Wallet) -> StatusRecord:
    [view] = wallet.check_status()
    assert view.status is not None
    return view.status


@pytest.mark.network
def test_the_operator_changes_the_status_and_the_wallet_sees_it(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    issuer = issuer_app(tmp_path, url)
    with new_wallet(tmp_path) as wallet:
        with serve_app(issuer, port=port), httpx.Client(base_url=url, timeout=30) as http:
            operator = issuer.state.runtime.operator
            key = operator.admin.create_api_key(local_actor(), role="revoke", label="status test")
            headers = {"Authorization": f"Bearer {key.token}"}
            offer = operator.offers.create(local_actor(), OfferItem("foundational-id", KARMA))
            [view] = wallet.receive(offer.offer_uri)
            assert view.copies > 1
            assert view.status is None  # not checked yet

            def change(action: str) -> None:
                answer = http.post(f"/api/v1/offers/{offer.ref}/{action}", headers=headers)
                assert answer.status_code == 200, answer.text
                assert answer.json()["changed"] == view.copies

            assert record(wallet).current == "valid"
            change("suspend")
            assert record(wallet).current == "suspended"
            change("reinstate")
            assert record(wallet).current == "valid"
            change("revoke")
            revoked = record(wallet)
            assert revoked.current == "revoked"
            assert revoked.as_of is not None
            assert revoked.problem is None
        # The issuer is down: the last known status stays, with the time of its list.
        down = record(wallet)
        assert (down.known, down.as_of) == ("revoked", revoked.as_of)
        assert down.problem == "fetch_failed"
        assert down.current == "revoked"
        [view] = wallet.credentials()
        assert view.status_text.word == "Revoked"
        assert "could not be reached" in view.status_text.note


def test_a_status_list_altered_on_the_way_is_refused(tmp_path: Path) -> None:
    url = "http://127.0.0.1:8101"
    issuer = issuer_app(tmp_path, url)
    tamper = {"on": False}

    with ExitStack() as stack:
        client = stack.enter_context(TestClient(issuer, base_url=url))

        def handler(request: httpx.Request) -> httpx.Response:
            response = client.request(
                request.method, str(request.url), headers=dict(request.headers),
                content=request.read(), follow_redirects=False,
            )  # fmt: skip
            body = response.content
            if tamper["on"] and request.url.path.startswith("/status/"):
                head, payload, signature = body.decode().split(".")
                # One payload character changed: what a proxy rewriting the list would do.
                payload = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
                body = f"{head}.{payload}.{signature}".encode()
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-length", "content-encoding")]  # fmt: skip
            return httpx.Response(response.status_code, headers=headers, content=body)

        transport = httpx.MockTransport(handler)
        policy = WalletSettings(mode="development").fetch_policy()
        network = lambda: Fetcher(policy, transport=transport)  # noqa: E731
        with new_wallet(tmp_path, network) as wallet:
            offer = issuer.state.runtime.operator.offers.create(
                local_actor(), OfferItem("foundational-id", KARMA)
            )
            wallet.receive(offer.offer_uri)
            assert record(wallet).current == "valid"
            tamper["on"] = True
            refused = record(wallet)
            assert refused.current == "unknown"
            assert refused.refused
            assert refused.problem not in (None, "fetch_failed")
            [view] = wallet.credentials()
            assert view.status_text.word == "Unknown"
