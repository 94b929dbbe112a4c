"""Fixtures for the HAIP authorization-code tests: an issuer that requires wallet attestations
from a development wallet provider, and a wallet for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from issuer.api.app import create_app
from tests.api.issuer.conftest import ISSUER, KARMA, Clock, api_key, make_settings
from tests.support.haip import HaipWallet, Provider, make_provider


@pytest.fixture
def provider(tmp_path: Path) -> Provider:
    return make_provider(tmp_path / "provider")


def haip_client(data_dir: Path, clock: Clock, provider: Provider, **overrides: Any) -> TestClient:
    values: dict[str, Any] = {
        "wallet_attestation": "required",
        "wallet_provider_anchor_files": (provider.ca_pem,),
        **overrides,
    }
    settings = make_settings(data_dir, **values)
    return TestClient(create_app(settings, clock=clock), follow_redirects=False)


@pytest.fixture
def haip(data_dir: Path, clock: Clock, provider: Provider) -> Iterator[TestClient]:
    with haip_client(data_dir, clock, provider) as client:
        yield client


@pytest.fixture
def hw(haip: TestClient, provider: Provider) -> HaipWallet:
    return HaipWallet(haip, ISSUER, provider)


def signin_code(client: TestClient, cid: str = KARMA) -> str:
    response = client.post(
        "/api/v1/signin-codes", json={"cid": cid}, headers=api_key(client, "issue")
    )
    assert response.status_code == 201, response.text
    code: str = response.json()["signin_code"]
    return code


def request_uri(hw: HaipWallet, **overrides: str | None) -> str:
    response = hw.par(**overrides)
    assert response.status_code == 201, response.text
    uri: str = response.json()["request_uri"]
    return uri


def code_for(hw: HaipWallet, client: TestClient, **overrides: str | None) -> str:
    query = hw.browser(request_uri(hw, **overrides), KARMA, signin_code(client))
    assert query["state"] == hw.state
    assert query["iss"] == ISSUER
    return query["code"]


def refused(response: httpx.Response, status: int, error: str, code: str) -> dict[str, Any]:
    """The refusal's status, registered ``error`` and drukid ``code``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert (body["error"], body["code"]) == (error, code), body
    return body
