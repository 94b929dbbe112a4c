"""Signed webhooks: HMAC over the exact body and a timestamp, retried with backoff, delivered
off the response path, SSRF-guarded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.verifier.conftest import (
    PUBLIC_URL,
    Clock,
    TestClient,
    create,
    make_settings,
    respond,
)
from tests.support.fake_issuer import FakeIssuer
from verifier.api.app import create_app
from verifier.errors import VerificationError
from verifier.webhook_signature import SIGNATURE_HEADER, sign_webhook, verify_webhook_signature

HOOK = "https://hooks.bank.example.bt/drukid"


class Receiver:
    def __init__(self) -> None:
        self.received: list[httpx.Request] = []
        self.statuses: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def hooked(tmp_path, issuer: FakeIssuer, clock: Clock, receiver: Receiver) -> Iterator[Any]:
    issuer_transport = issuer.transport(now=clock)

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.host == "hooks.bank.example.bt":
            return receiver(request)
        return issuer_transport.handle_request(request)

    settings = make_settings(tmp_path, issuer)
    app = create_app(
        settings, clock=clock, transport=httpx.MockTransport(route), start_workers=False
    )
    with TestClient(app, base_url=PUBLIC_URL) as client:
        token, secret = app.state.service.create_api_key("Bank of Bhutan KYC desk")
        yield client, {"Authorization": f"Bearer {token}"}, secret


def test_webhook_is_signed_over_the_exact_body(hooked, receiver, wallet, clock):
    client, rp, secret = hooked
    created = create(client, rp, webhook_url=HOOK)
    assert respond(client, wallet, created).status_code == 200
    assert receiver.received == []  # never delivered inside the response endpoint
    assert client.app.state.webhooks.run_once() == 1
    [delivery] = receiver.received
    body = delivery.content
    verify_webhook_signature(body, delivery.headers[SIGNATURE_HEADER], secret, now=clock.now)
    payload = json.loads(body)
    assert payload["event"] == "presentation.completed"
    assert payload["id"] == created["id"]
    assert payload["status"] == "verified"
    assert payload["claims"]["cid"] == "11512003456"
    with pytest.raises(VerificationError) as caught:
        verify_webhook_signature(
            body + b" ", delivery.headers[SIGNATURE_HEADER], secret, now=clock.now
        )
    assert caught.value.code == "webhook_signature_invalid"
    with pytest.raises(VerificationError) as stale:
        verify_webhook_signature(
            body, delivery.headers[SIGNATURE_HEADER], secret, now=clock.now + 3600
        )
    assert stale.value.code == "webhook_stale"
    assert client.app.state.webhooks.run_once() == 0  # delivered once only


def test_webhook_retries_with_backoff_then_gives_up(hooked, receiver, wallet, clock):
    client, rp, _ = hooked
    receiver.statuses = [500, 503]
    respond(client, wallet, create(client, rp, webhook_url=HOOK))
    webhooks = client.app.state.webhooks
    assert webhooks.run_once() == 1
    assert webhooks.run_once() == 0  # not due yet
    clock.now += webhooks.delay(1) + 1
    assert webhooks.run_once() == 1
    clock.now += 3
    assert webhooks.run_once() == 0  # the second delay is longer (exponential)
    clock.now += webhooks.delay(2)
    assert webhooks.run_once() == 1
    assert len(receiver.received) == 3
    assert receiver.received[0].content == receiver.received[2].content

    receiver.statuses = [500] * 20
    respond(client, wallet, create(client, rp, webhook_url=HOOK), iat=clock.now)
    attempts = 0
    for _ in range(10):
        clock.now += 3600
        attempts += webhooks.run_once()
    assert attempts == 8  # webhook_max_attempts, then it gives up


def test_backoff_is_exponential_and_capped(hooked):
    client, _, _ = hooked
    webhooks = client.app.state.webhooks
    delays = [webhooks.delay(n) for n in range(1, 16)]
    assert delays[0] >= 2
    assert delays[1] >= 4
    assert delays[2] >= 8
    assert max(delays) <= 3600 * 1.1


def test_webhook_to_a_private_address_is_refused(tmp_path, issuer, clock, wallet):
    def route(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be sent")

    settings = make_settings(tmp_path, issuer)
    transport = httpx.MockTransport(
        lambda r: (
            route(r)
            if r.url.host == "hooks.bank.example.bt"
            else issuer.transport(now=clock).handle_request(r)
        )
    )
    app = create_app(
        settings,
        clock=clock,
        transport=transport,
        start_workers=False,
        resolve_host=lambda host, port: (
            ["10.1.2.3"] if host.startswith("hooks") else ["203.0.114.7"]
        ),
    )
    with TestClient(app, base_url=PUBLIC_URL) as client:
        token, _ = app.state.service.create_api_key("desk")
        respond(
            client, wallet, create(client, {"Authorization": f"Bearer {token}"}, webhook_url=HOOK)
        )
        assert app.state.webhooks.run_once() == 1
        from sqlmodel import Session, select

        from verifier.storage.models import WebhookDelivery

        with Session(app.state.service.engine) as session:
            [delivery] = session.exec(select(WebhookDelivery)).all()
        assert delivery.last_error == "fetch_blocked_address"


def test_signature_format():
    header = sign_webhook(b"{}", "whsec_x", timestamp=1_800_000_000)
    assert header.startswith("t=1800000000,v1=")
    assert len(header.split("v1=")[1]) == 64


def test_same_device_webhook_carries_no_claims(hooked, receiver, wallet):
    client, rp, _ = hooked
    created = create(
        client,
        rp,
        webhook_url=HOOK,
        same_device=True,
        redirect_uri="https://bank.example.bt/kyc/done",
    )
    assert respond(client, wallet, created).status_code == 200
    client.app.state.webhooks.run_once()
    payload = json.loads(receiver.received[0].content)
    assert payload["status"] == "verified"
    assert "claims" not in payload
    assert "credentials" not in payload
    assert "response_code" in payload["result_withheld"]
