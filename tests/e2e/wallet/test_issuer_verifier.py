"""The wallet against the project's own issuer and verifier (development mode): receive a
national ID from the issuer and present it to the verifier, in-process and over loopback
sockets, then check what the verifier concluded."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from did.fetch import Fetcher
from issuer.api.app import create_app as create_issuer
from issuer.operator import OfferItem, local_actor
from issuer.settings import IssuerSettings
from tests.support.servers import free_port, serve_app
from verifier.api.app import create_app as create_verifier
from verifier.settings import VerifierSettings
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

KARMA = "11512003456"
TYPES = ("foundational-id", "permanent-address", "business-licence")
PASSPHRASE = "correct horse battery"


def issuer_app(tmp_path: Path, issuer_url: str) -> Any:
    """The project's issuer in development mode, with the demo people in its registry."""
    return create_issuer(
        IssuerSettings(
            mode="development",
            public_url=issuer_url,
            data_dir=tmp_path / "issuer",
            status_list_size=4096,
            seed_demo_data=True,
        )
    )


def apps(
    tmp_path: Path,
    issuer_url: str,
    verifier_url: str,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Any, Any]:
    issuer = issuer_app(tmp_path, issuer_url)
    trust = tmp_path / "trust.json"
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
            data_dir=tmp_path / "verifier",
            trust_file=trust,
            name="Bank of Bhutan KYC desk",
        ),
        **({"transport": transport} if transport is not None else {}),
    )
    return issuer, verifier


def flow(
    tmp_path: Path,
    issuer: Any,
    verifier: Any,
    http: Callable[[str, str, dict[str, Any]], httpx.Response],
    network: Callable[[], Fetcher] | None,
) -> None:
    offer = issuer.state.runtime.operator.offers.create(
        local_actor(), OfferItem("foundational-id", KARMA, tx_code=True)
    )
    settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet")
    with Wallet.create(
        tmp_path / "wallet" / "wallet.db",
        PASSPHRASE,
        settings=settings,
        kdf=ScryptParams(n=2**4),
        network=network,
    ) as wallet:
        loaded = wallet.load_offer(offer.offer_uri)
        assert loaded.tx_code is not None
        [view] = wallet.receive(loaded, tx_code=offer.tx_code)
        assert view.type_id == "foundational-id"
        assert view.copies > 1  # batch issuance: one fresh key per copy
        labels = {c.label: c.value for c in view.claims}
        assert "Karma Wangmo" in labels.values()

        token, _ = verifier.state.service.create_api_key("Bank of Bhutan KYC desk")
        headers = {"Authorization": f"Bearer {token}"}
        for template, expected in (
            ("age-over-18", {"age_over_18"}),
            ("kyc-basic", {"full_name", "cid", "birthdate"}),
        ):
            created = http(
                "POST", "/api/v1/requests", {"json": {"template": template}, "headers": headers}
            )
            assert created.status_code == 201, created.text
            request = created.json()
            session = wallet.prepare_presentation(request["uri"])
            consent = session.consent
            assert consent.can_share, consent.problems
            assert consent.verifier.name == "Bank of Bhutan KYC desk"
            assert consent.purpose
            outcome = wallet.approve(session)
            assert outcome.outcome == "shared"
            result = http("GET", f"/api/v1/requests/{request['id']}", {"headers": headers})
            body = result.json()
            assert body["status"] == "verified", body
            [seen] = body["credentials"]["national_id"]
            assert seen["status"] == "valid"
            # What the consent screen said is exactly what the verifier received.
            shared = {item.path[0] for item in consent.credentials[0].shared}
            assert set(seen["claims"]) == shared == expected
        assert [e.outcome for e in wallet.history()] == ["shared", "shared"]


def in_process(clients: dict[str, TestClient]) -> httpx.MockTransport:
    """A transport that sends each request to the test client of its ``host:port``."""

    def handler(request: httpx.Request) -> httpx.Response:
        client = clients[f"{request.url.host}:{request.url.port}"]
        response = client.request(
            request.method, str(request.url), headers=dict(request.headers),
            content=request.read(), follow_redirects=False,
        )  # fmt: skip
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-length", "content-encoding")]  # fmt: skip
        return httpx.Response(response.status_code, headers=headers, content=response.content)

    return httpx.MockTransport(handler)


def test_in_process(tmp_path: Path) -> None:
    issuer_url, verifier_url = "http://127.0.0.1:8101", "http://127.0.0.1:8102"
    clients: dict[str, TestClient] = {}
    transport = in_process(clients)
    issuer, verifier = apps(tmp_path, issuer_url, verifier_url, transport)
    with ExitStack() as stack:
        clients["127.0.0.1:8101"] = stack.enter_context(TestClient(issuer, base_url=issuer_url))
        clients["127.0.0.1:8102"] = stack.enter_context(TestClient(verifier, base_url=verifier_url))
        policy = WalletSettings(mode="development").fetch_policy()

        def http(method: str, path: str, options: dict[str, Any]) -> httpx.Response:
            return clients["127.0.0.1:8102"].request(method, path, **options)

        flow(tmp_path, issuer, verifier, http, lambda: Fetcher(policy, transport=transport))


@pytest.mark.network
def test_over_loopback_sockets(tmp_path: Path) -> None:
    issuer_port, verifier_port = free_port(), free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    issuer, verifier = apps(tmp_path, issuer_url, verifier_url)
    with (
        serve_app(issuer, port=issuer_port),
        serve_app(verifier, port=verifier_port),
        httpx.Client(base_url=verifier_url, timeout=30) as client,
    ):

        def http(method: str, path: str, options: dict[str, Any]) -> httpx.Response:
            return client.request(method, path, **options)

        flow(tmp_path, issuer, verifier, http, None)
