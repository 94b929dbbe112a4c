"""End to end over real loopback sockets (development mode): a fake issuer, the verifier and a
bank's webhook receiver each on their own port; the background webhook worker delivers."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from fastapi import FastAPI, Request

from tests.api.verifier.conftest import make_settings
from tests.support.fake_issuer import FakeIssuer
from tests.support.fake_wallet import FakeWallet, parse_openid4vp_uri
from tests.support.servers import free_port, serve_app
from verifier.api.app import create_app
from verifier.webhook_signature import SIGNATURE_HEADER, verify_webhook_signature

pytestmark = pytest.mark.network


def test_real_sockets_with_webhook(tmp_path):
    received: list[tuple[bytes, str]] = []
    arrived = threading.Event()
    bank = FastAPI()

    @bank.post("/hook")
    async def hook(request: Request) -> dict[str, str]:
        received.append((await request.body(), request.headers[SIGNATURE_HEADER]))
        arrived.set()
        return {}

    issuer_port, verifier_port = free_port(), free_port()
    issuer = FakeIssuer(f"http://127.0.0.1:{issuer_port}")
    now = lambda: int(time.time())  # noqa: E731
    settings = make_settings(
        tmp_path, issuer, mode="development", public_url=f"http://127.0.0.1:{verifier_port}"
    )
    wallet = FakeWallet()
    wallet.add(issuer.issue(holder_key=wallet.public_key, iat=now() - 60, exp=now() + 3600)[0])
    app = create_app(settings)
    with (
        serve_app(issuer.asgi_app(now=now), port=issuer_port),
        serve_app(bank) as bank_url,
        serve_app(app, port=verifier_port) as verifier_url,
        httpx.Client(base_url=verifier_url, timeout=10) as http,
    ):
        token, secret = app.state.service.create_api_key("Bank of Bhutan KYC desk")
        headers = {"Authorization": f"Bearer {token}"}
        created = http.post(
            "/api/v1/requests",
            headers=headers,
            json={"template": "kyc-basic", "webhook_url": f"{bank_url}/hook"},
        )
        assert created.status_code == 201, created.text
        params = parse_openid4vp_uri(created.json()["uri"])
        fetched = http.get(params["request_uri"])
        request = FakeWallet.open_request(
            fetched.text,
            fetched.headers["content-type"],
            client_id=params["client_id"],
            did_document=http.get("/.well-known/did.json").json(),
        )
        form = wallet.form(request, wallet.vp_token(request, iat=now()))
        answer = http.post(request["response_uri"], data=form)
        assert answer.status_code == 200, answer.text
        assert arrived.wait(10), "the webhook did not arrive"
        body, signature = received[0]
        verify_webhook_signature(body, signature, secret, now=now())
        assert json.loads(body)["claims"]["cid"] == "11512003456"
        view = http.get(f"/api/v1/requests/{created.json()['id']}", headers=headers).json()
        assert view["credentials"]["national_id"][0]["key_mechanism"] == "metadata"
