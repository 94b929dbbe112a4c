"""DPoP (RFC 9449) at the token and credential endpoints: each refusal with its OAuth ``error``
and drukid ``code``, the nonce dance, replay across requests, and the pre-authorized flow with a
bound token."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from credentials.oauth import make_dpop_proof, mint_nonce
from did.keys import PrivateKey
from tests.api.issuer.conftest import ISSUER, Clock, api_key, create_offer
from tests.api.issuer.haip_fixtures import code_for, haip, haip_client, hw, provider, refused
from tests.support.haip import HaipWallet, Provider
from tests.support.oid4vci_client import PRE_AUTH, make_proof

__all__ = ["haip", "hw", "provider"]


def bound_token(hw: HaipWallet, haip: TestClient) -> str:
    token: str = hw.token(code_for(hw, haip)).json()["access_token"]
    return token


def credential_request(
    hw: HaipWallet, token: str, proof: str | None, **headers: str
) -> httpx.Response:
    nonce = hw.http.post("/nonce").json()["c_nonce"]
    body = {
        "credential_configuration_id": "permanent-address",
        "proofs": {"jwt": [make_proof(PrivateKey.generate(), aud=ISSUER, nonce=nonce)]},
    }
    sent = {"Authorization": f"DPoP {token}", **headers}
    if proof is not None:
        sent["DPoP"] = proof
    return hw.http.post("/credential", json=body, headers=sent)


def test_token_without_dpop(hw: HaipWallet, haip: TestClient) -> None:
    code = code_for(hw, haip)
    response = hw.post(
        "/token", data={"grant_type": "authorization_code", "code": code}, dpop=False, attest=True
    )
    refused(response, 400, "invalid_dpop_proof", "dpop_missing")


def test_dpop_nonce_required_then_retry(hw: HaipWallet) -> None:
    response = hw.post("/par", data=hw.par_params(), attest=True, retry=False)
    body = refused(response, 400, "use_dpop_nonce", "dpop_nonce_required")
    assert body
    assert response.headers["dpop-nonce"]
    assert hw.par().status_code == 201  # the retry with the nonce


def test_dpop_nonce_from_other_deployment_gets_new_one(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    stale = mint_nonce(b"another deployment's key 32 byte", int(time.time()))
    hw.nonce = stale
    proof = hw.dpop("POST", "/credential", token=token)
    response = credential_request(hw, token, proof)
    assert response.status_code == 401
    assert response.json()["code"] == "dpop_nonce_invalid"
    assert 'error="use_dpop_nonce"' in response.headers["www-authenticate"]
    assert response.headers["dpop-nonce"] != stale


def test_credential_dpop_token_without_proof(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    response = credential_request(hw, token, None)
    refused(response, 401, "invalid_dpop_proof", "dpop_missing")
    assert response.headers["www-authenticate"].startswith('DPoP error="invalid_dpop_proof"')


def test_dpop_wrong_htu_htm_ath(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    wrong_htu = hw.dpop("POST", "/notification", token=token)
    refused(
        credential_request(hw, token, wrong_htu), 401, "invalid_dpop_proof", "dpop_htu_mismatch"
    )
    wrong_htm = hw.dpop("GET", "/credential", token=token)
    refused(
        credential_request(hw, token, wrong_htm), 401, "invalid_dpop_proof", "dpop_htm_mismatch"
    )
    wrong_ath = hw.dpop("POST", "/credential", token="another-token")
    refused(
        credential_request(hw, token, wrong_ath), 401, "invalid_dpop_proof", "dpop_ath_mismatch"
    )
    no_ath = hw.dpop("POST", "/credential")
    refused(credential_request(hw, token, no_ath), 401, "invalid_dpop_proof", "dpop_ath_missing")
    # The token survived every refusal.
    assert (
        credential_request(hw, token, hw.dpop("POST", "/credential", token=token)).status_code
        == 200
    )


def test_dpop_htu_checked_against_public_url(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    # The test client's Host is "testserver"; a proof for that host is refused.
    proof = hw.dpop("POST", "/credential", token=token, htu="http://testserver/credential")
    refused(credential_request(hw, token, proof), 401, "invalid_dpop_proof", "dpop_htu_mismatch")
    normalised = hw.dpop("POST", "/credential", token=token, htu="HTTP://127.0.0.1:8101/credential")
    assert credential_request(hw, token, normalised).status_code == 200


def test_dpop_replayed_jti(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    proof = hw.dpop("POST", "/credential", token=token)
    assert credential_request(hw, token, proof).status_code == 200
    refused(credential_request(hw, token, proof), 401, "invalid_dpop_proof", "dpop_jti_replayed")


def test_dpop_wrong_key(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    proof = hw.dpop("POST", "/credential", token=token, key=PrivateKey.generate())
    response = credential_request(hw, token, proof)
    refused(response, 401, "invalid_token", "dpop_key_mismatch")


def test_dpop_token_sent_as_bearer(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    proof = hw.dpop("POST", "/credential", token=token)
    response = credential_request(hw, token, proof, Authorization=f"Bearer {token}")
    refused(response, 401, "invalid_token", "dpop_token_as_bearer")


def test_two_dpop_headers(hw: HaipWallet, haip: TestClient) -> None:
    token = bound_token(hw, haip)
    nonce = hw.http.post("/nonce").json()["c_nonce"]
    body = {
        "credential_configuration_id": "permanent-address",
        "proofs": {"jwt": [make_proof(PrivateKey.generate(), aud=ISSUER, nonce=nonce)]},
    }
    headers = [
        ("Authorization", f"DPoP {token}"),
        ("DPoP", hw.dpop("POST", "/credential", token=token)),
        ("DPoP", hw.dpop("POST", "/credential", token=token)),
    ]
    response = hw.http.post("/credential", json=body, headers=httpx.Headers(headers))
    refused(response, 401, "invalid_dpop_proof", "dpop_multiple")


def test_dpop_stale_iat_without_nonces(data_dir: Path, clock: Clock, provider: Provider) -> None:
    with haip_client(data_dir, clock, provider, dpop_nonce="off") as client:
        wallet = HaipWallet(client, ISSUER, provider)
        stale = make_dpop_proof(
            wallet.dpop_key,
            htm="POST",
            htu=ISSUER + "/par",
            iat=int(time.time()) - 1000,
            jti=secrets.token_urlsafe(8),
        )
        headers = {"DPoP": stale, **wallet.attestation_headers()}
        response = client.post("/par", data=wallet.par_params(), headers=headers)
        refused(response, 400, "invalid_dpop_proof", "dpop_iat_stale")


def test_pre_authorized_with_dpop_gives_bound_token(haip: TestClient, hw: HaipWallet) -> None:
    offer = create_offer(haip, api_key(haip, "issue"))
    from urllib.parse import parse_qs, urlsplit

    location = parse_qs(urlsplit(offer["offer_uri"]).query)["credential_offer_uri"][0]
    document = haip.get(hw.path(location)).json()
    code = document["grants"][PRE_AUTH]["pre-authorized_code"]
    response = hw.post(
        "/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": code}, attest=True
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "DPoP"
    token = response.json()["access_token"]
    bearer = credential_request(hw, token, None, Authorization=f"Bearer {token}")
    refused(bearer, 401, "invalid_token", "dpop_token_as_bearer")
    ok = hw.credential(token, "foundational-id")
    assert ok.status_code == 200, ok.text


def test_bearer_refused_when_unbound_tokens_are_off(
    data_dir: Path, clock: Clock, provider: Provider
) -> None:
    with haip_client(data_dir, clock, provider, allow_unbound_bearer_tokens=False) as client:
        offer = create_offer(client, api_key(client, "issue"))
        from urllib.parse import parse_qs, urlsplit

        location = parse_qs(urlsplit(offer["offer_uri"]).query)["credential_offer_uri"][0]
        document = client.get(location[len(ISSUER) :]).json()
        code = document["grants"][PRE_AUTH]["pre-authorized_code"]
        wallet = HaipWallet(client, ISSUER, provider)
        response = client.post(
            "/token",
            data={"grant_type": PRE_AUTH, "pre-authorized_code": code},
            headers=wallet.attestation_headers(),
        )
        refused(response, 400, "invalid_dpop_proof", "dpop_missing")


@pytest.mark.parametrize("path", ["/par", "/token"])
def test_dpop_jwk_with_private_key(hw: HaipWallet, path: str) -> None:
    from credentials.jose import sign_jws

    hw.par()  # get a nonce
    claims = {
        "jti": "x",
        "htm": "POST",
        "htu": ISSUER + path,
        "iat": int(time.time()),
        "nonce": hw.nonce,
    }
    proof = sign_jws(claims, hw.dpop_key, typ="dpop+jwt", headers={"jwk": hw.dpop_key.to_jwk()})
    data = hw.par_params() if path == "/par" else {"grant_type": "authorization_code", "code": "c"}
    response = hw.http.post(path, data=data, headers={"DPoP": proof, **hw.attestation_headers()})
    refused(response, 400, "invalid_dpop_proof", "dpop_private_key")
