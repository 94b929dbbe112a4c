"""Wallet attestation (Attestation-Based Client Authentication, HAIP 1.0 §4.4.1) at PAR and
token: untrusted provider, expired, PoP for another audience, missing when required, replayed
PoP, unknown wallet; and the policy switch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from did.keys import PrivateKey
from tests.api.issuer.conftest import ISSUER, Clock
from tests.api.issuer.haip_fixtures import code_for, haip, haip_client, hw, provider
from tests.support.haip import HaipWallet, Provider, make_provider

__all__ = ["haip", "hw", "provider"]


def refused(response: httpx.Response, error: str, code: str) -> None:
    assert response.status_code == 401, response.text
    body: dict[str, Any] = response.json()
    assert (body["error"], body["code"]) == (error, code), body


def par_with(hw: HaipWallet, headers: dict[str, str]) -> httpx.Response:
    hw.par()  # a nonce first
    return hw.post("/par", data=hw.par_params(), headers=headers)


def test_par_without_attestation_when_required(hw: HaipWallet) -> None:
    refused(hw.post("/par", data=hw.par_params()), "invalid_client", "client_attestation_missing")


def test_attestation_without_pop(hw: HaipWallet) -> None:
    headers = hw.attestation_headers()
    del headers["OAuth-Client-Attestation-PoP"]
    refused(par_with(hw, headers), "invalid_client", "client_attestation_malformed")


def test_attestation_untrusted_provider(hw: HaipWallet, tmp_path: Path) -> None:
    stranger = make_provider(tmp_path / "stranger", name="Stranger CA")
    hw.provider = stranger
    refused(hw.par(), "invalid_client", "client_attestation_untrusted")


def test_attestation_untrusted_at_token(haip: TestClient, hw: HaipWallet, tmp_path: Path) -> None:
    code = code_for(hw, haip)
    real = hw.provider
    hw.provider = make_provider(tmp_path / "stranger", name="Stranger CA")
    refused(hw.token(code), "invalid_client", "client_attestation_untrusted")
    hw.provider = real
    assert hw.token(code).status_code == 200


def test_attestation_expired(hw: HaipWallet) -> None:
    now = int(time.time())
    headers = hw.attestation_headers(iat=now - 7200, exp=now - 3600)
    refused(par_with(hw, headers), "invalid_client", "client_attestation_expired")


def test_pop_for_another_audience(hw: HaipWallet) -> None:
    headers = hw.attestation_headers(aud="https://another-issuer.example")
    refused(par_with(hw, headers), "invalid_client", "client_attestation_pop_audience")


def test_pop_replayed(hw: HaipWallet) -> None:
    headers = hw.attestation_headers()
    assert par_with(hw, headers).status_code == 201
    refused(par_with(hw, headers), "invalid_client", "client_attestation_pop_replayed")


def test_pop_signed_by_other_key(hw: HaipWallet) -> None:
    headers = hw.attestation_headers()
    other = HaipWallet(hw.http, ISSUER, hw.provider, instance_key=PrivateKey.generate())
    headers["OAuth-Client-Attestation-PoP"] = other.attestation_headers()[
        "OAuth-Client-Attestation-PoP"
    ]
    refused(par_with(hw, headers), "invalid_client", "client_attestation_pop_signature")


def test_attestation_unknown_sub(hw: HaipWallet) -> None:
    headers = hw.attestation_headers(sub="https://unknown-wallet.example")
    hw.par()
    response = hw.post(
        "/par", data=hw.par_params(client_id="https://unknown-wallet.example"), headers=headers
    )
    refused(response, "invalid_client", "client_unknown")


def test_optional_policy_accepts_no_attestation(
    data_dir: Path, clock: Clock, provider: Provider
) -> None:
    with haip_client(data_dir, clock, provider, wallet_attestation="optional") as client:
        wallet = HaipWallet(client, ISSUER, None)
        assert wallet.par().status_code == 201
        metadata = client.get("/.well-known/oauth-authorization-server").json()
        assert metadata["pre-authorized_grant_anonymous_access_supported"] is True
        assert "none" in metadata["token_endpoint_auth_methods_supported"]
