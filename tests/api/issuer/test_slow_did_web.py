"""Issue 15, finding 7: a `/credential` request whose proof ``kid`` is ``did:web:<slow host>``
held a worker thread for the whole fetch timeout, failed proofs did not use up the token's
requests and failures were not cached: 120 such requests delayed unrelated ``/nonce`` and
metadata requests by 17.6 s. Now a failed proof spends one of the token's requests, a failed
resolution is remembered for 30 s, and at most 8 resolutions run at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from did.keys import PrivateKey
from issuer.api.app import create_app
from issuer.operator import OfferItem, local_actor
from tests.api.issuer.conftest import ISSUER, create_offer, make_settings
from tests.support.oid4vci_client import WalletClient, make_proof
from tests.support.servers import Tarpit, free_port, serve_app


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    pit = Tarpit()
    yield pit
    pit.close()


def _body(proof: str) -> dict[str, Any]:
    return {"credential_configuration_id": "foundational-id", "proofs": {"jwt": [proof]}}


def test_failed_proofs_use_up_the_tokens_requests(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    token = wallet.token(
        wallet.code_of(wallet.fetch_offer(create_offer(client, admin)["offer_uri"]))
    )
    key = PrivateKey.generate("ES256")
    for _ in range(3):  # max_credential_requests: wrong audience, a failed proof each time
        bad = make_proof(key, aud="https://elsewhere.example", nonce=wallet.nonce())
        answer = wallet.credential_response(token, _body(bad))
        assert answer.json()["code"] != "token_used", answer.text
    good = make_proof(key, aud=ISSUER, nonce=wallet.nonce())
    answer = wallet.credential_response(token, _body(good))
    assert answer.status_code in (400, 401), answer.text
    assert answer.json()["code"] == "token_used"


@pytest.mark.network
@pytest.mark.slow
def test_a_slow_did_web_host_does_not_hold_nonce_or_metadata(
    tmp_path: Path, tarpit: Tarpit
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(tmp_path / "issuer", public_url=url))
    kid = f"did:web:127.0.0.1%3A{tarpit.port}#key-1"
    with serve_app(app, port=port), httpx.Client(base_url=url, timeout=60) as http:
        wallet = WalletClient(http, issuer=url)
        offer = app.state.runtime.operator.offers.create(
            local_actor(), OfferItem("foundational-id", "11512003456")
        )
        token = wallet.token(wallet.code_of(wallet.fetch_offer(offer.offer_uri)))
        key = PrivateKey.generate("ES256")
        nonce = wallet.nonce()
        proof = make_proof(key, aud=url, nonce=nonce, with_jwk=False, header={"kid": kid})

        def slow_request(_: int) -> int:
            with httpx.Client(base_url=url, timeout=60) as own:
                return (
                    WalletClient(own, issuer=url)
                    .credential_response(token, _body(proof))
                    .status_code
                )

        with ThreadPoolExecutor(120) as pool:
            burst = [pool.submit(slow_request, i) for i in range(120)]
            # Well inside the 5 s fetch timeout: 8 fetches still hang on the tarpit (before, every
            # worker thread did, for two rounds of the timeout); the rest were refused at once.
            time.sleep(2.5)
            waits = []
            for _ in range(5):
                started = time.monotonic()
                assert http.post("/nonce").status_code == 200
                assert http.get("/.well-known/openid-credential-issuer").status_code == 200
                waits.append(time.monotonic() - started)
            statuses = [f.result() for f in burst]
    assert max(waits) < 1.5, waits
    assert all(400 <= status < 500 for status in statuses), set(statuses)
    assert len(tarpit.held) <= 8 * 2  # at most 8 fetches at once (https, then http in dev)
