"""Issue 15, finding 1: a whole journey (issue, receive, present) through real issuer and
verifier servers with uvicorn's access log on, then a scan of every log line for the journey's
secrets and the citizen's CID. None may appear."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from issuer.oid4vci.offer import PRE_AUTHORIZED_GRANT, pre_authorized_code_for
from issuer.operator import OfferItem, local_actor
from servicekit.access_log import ACCESS_LOGGER
from tests.e2e.wallet.test_issuer_verifier import KARMA, PASSPHRASE, apps
from tests.support.servers import free_port, serve_app
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

pytestmark = [pytest.mark.network, pytest.mark.slow]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")


@contextmanager
def _every_log_line() -> Iterator[list[str]]:
    """uvicorn's access logger (which does not propagate) and everything else, from INFO."""
    handler, root, access = _Lines(), logging.getLogger(), logging.getLogger(ACCESS_LOGGER)
    level = root.level
    root.addHandler(handler)
    access.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        access.removeHandler(handler)
        root.setLevel(level)


def test_a_journey_leaves_no_secret_and_no_cid_in_the_logs(tmp_path: Path) -> None:
    issuer_port, verifier_port = free_port(), free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    issuer, verifier = apps(tmp_path, issuer_url, verifier_url)
    secrets: dict[str, str] = {"cid": KARMA}
    with (
        serve_app(issuer, port=issuer_port, access_log=True),
        serve_app(verifier, port=verifier_port, access_log=True),
        _every_log_line() as lines,
        httpx.Client(timeout=30) as http,
    ):
        offer = issuer.state.runtime.operator.offers.create(
            local_actor(), OfferItem("foundational-id", KARMA, tx_code=True)
        )
        offer_id = offer.credential_offer_uri.rsplit("/", 1)[1]
        assert offer.tx_code is not None
        secrets |= {"offer id": offer_id, "tx_code": offer.tx_code}
        # The operator's browser shows the offer's QR code while it is live.
        for suffix in ("/qr.png", "/qr.svg", "/page"):
            http.get(f"{issuer_url}/offers/{offer_id}{suffix}").raise_for_status()
        grant = http.get(offer.credential_offer_uri).json()["grants"][PRE_AUTHORIZED_GRANT]
        secrets["pre-authorized code"] = grant["pre-authorized_code"]
        # Not derivable from the offer id, which travels in URLs.
        assert grant["pre-authorized_code"] != pre_authorized_code_for(offer_id)
        # Searches by CID (refused without a key, but logged all the same).
        for path in (
            f"/api/v1/registry/search?q={KARMA}",
            f"/api/v1/credentials?subject={KARMA}",
            f"/api/v1/registry/people/{KARMA}",
            f"/operator/search?q={KARMA}",
        ):
            http.get(f"{issuer_url}{path}")

        settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet")
        with Wallet.create(
            tmp_path / "wallet" / "wallet.db",
            PASSPHRASE,
            settings=settings,
            kdf=ScryptParams(n=2**4),
        ) as wallet:
            wallet.receive(wallet.load_offer(offer.offer_uri), tx_code=offer.tx_code)
            token, _ = verifier.state.service.create_api_key("Bank of Bhutan KYC desk")
            secrets["verifier API key"] = token
            headers = {"Authorization": f"Bearer {token}"}
            created = http.post(
                f"{verifier_url}/api/v1/requests", json={"template": "kyc-basic"}, headers=headers
            )
            assert created.status_code == 201, created.text
            request = created.json()
            request_id = request["id"]
            assert wallet.approve(wallet.prepare_presentation(request["uri"])).outcome == "shared"
            result = http.get(f"{verifier_url}/api/v1/requests/{request['id']}", headers=headers)
            assert result.json()["status"] == "verified"
            [seen] = result.json()["credentials"]["national_id"]
            secrets |= {
                "name": seen["claims"]["full_name"],
                "birthdate": seen["claims"]["birthdate"],
            }
            secrets["response_code"] = "Rc9x" * 8
            http.get(
                f"{verifier_url}/api/v1/requests/{request['id']}",
                params={"response_code": secrets["response_code"]},
                headers=headers,
            )

    # httpx's lines are this test's clients and the wallet's (in this process), not a service's.
    lines = [line for line in lines if not line.startswith(("httpx ", "httpcore"))]
    access = [line for line in lines if line.startswith(ACCESS_LOGGER)]
    # The request id is the verifier's transaction id in its own log lines, never in a URL's.
    assert not [line for line in access if request_id in line]
    assert any("GET /offers/…/qr.png" in line for line in access), access
    assert any("/api/v1/registry/search?…" in line for line in access), access
    assert any("POST /oid4vp/response/…" in line for line in access), access
    for what, value in secrets.items():
        leaked = [line for line in lines if value in line]
        assert not leaked, f"the {what} is in the log: {leaked[:3]}"
