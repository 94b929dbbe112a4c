from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from tests.support.clock import Clock
from tests.support.fake_issuer import NOW, FakeIssuer
from tests.support.fake_wallet import FakeWallet, parse_openid4vp_uri
from verifier.api.app import create_app
from verifier.settings import VerifierSettings

PUBLIC_URL = "https://verifier.example.bt"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def wallet(issuer: FakeIssuer) -> FakeWallet:
    wallet = FakeWallet()
    for type_id in ("foundational-id", "permanent-address"):
        wallet.add(issuer.issue(type_id, holder_key=wallet.public_key)[0])
    return wallet


def make_settings(tmp_path: Path, issuer: FakeIssuer, **overrides: Any) -> VerifierSettings:
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps({"issuers": [issuer.trusted_entry()]}))
    values: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "data_dir": tmp_path / "data",
        "trust_file": trust_file,
        "name": "Bank of Bhutan KYC desk",
        **overrides,
    }
    return VerifierSettings(**values)


@pytest.fixture
def settings(tmp_path: Path, issuer: FakeIssuer) -> VerifierSettings:
    return make_settings(tmp_path, issuer)


@pytest.fixture
def client(settings: VerifierSettings, issuer: FakeIssuer, clock: Clock) -> Iterator[TestClient]:
    app = create_app(
        settings, clock=clock, transport=issuer.transport(now=clock), start_workers=False
    )
    with TestClient(app, base_url=PUBLIC_URL) as test_client:
        yield test_client


@pytest.fixture
def rp(client: TestClient) -> dict[str, str]:
    token, secret = client.app.state.service.create_api_key("Bank of Bhutan KYC desk")  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}", "secret": secret}


def auth(rp: dict[str, str]) -> dict[str, str]:
    return {"Authorization": rp["Authorization"]}


def create(client: TestClient, rp: dict[str, str], **body: Any) -> dict[str, Any]:
    if "template" not in body and "dcql_query" not in body:
        body["template"] = "kyc-basic"
    response = client.post("/api/v1/requests", json=body, headers=auth(rp))
    assert response.status_code == 201, response.text
    return dict(response.json())


def path_of(url: str) -> str:
    return urlsplit(url).path


def open_request(client: TestClient, created: dict[str, Any]) -> dict[str, Any]:
    """What a wallet does after scanning: fetch the request object and check it."""
    params = parse_openid4vp_uri(created["uri"])
    if "request_uri" not in params:  # unsigned redirect_uri: requests come by value
        assert params["client_id"].startswith("redirect_uri:"), params
        return FakeWallet.open_request_by_value(params)
    response = client.get(path_of(params["request_uri"]))
    assert response.status_code == 200, response.text
    did_document = client.get("/.well-known/did.json").json()
    return FakeWallet.open_request(
        response.text,
        response.headers["content-type"],
        client_id=params["client_id"],
        did_document=did_document,
    )


def respond(
    client: TestClient,
    wallet: FakeWallet,
    created: dict[str, Any],
    *,
    iat: int = NOW,
    **form_options: Any,
) -> Any:
    request = open_request(client, created)
    form = wallet.form(request, wallet.vp_token(request, iat=iat), **form_options)
    return client.post(path_of(request["response_uri"]), data=form)


__all__ = [
    "NOW",
    "PUBLIC_URL",
    "Clock",
    "TestClient",
    "auth",
    "create",
    "make_settings",
    "open_request",
    "path_of",
    "respond",
]
