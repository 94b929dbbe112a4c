"""The authorization code flow (issue #12): PAR, PKCE S256, the citizen's sign-in with a CID and
a one-time sign-in code, consent, the code with ``iss``, the token (DPoP-bound, refresh token),
the credential. Each rule with its OAuth ``error`` and drukid ``code``."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from credentials.sd_jwt import decode_sd_jwt
from tests.api.issuer.conftest import DECHEN, ISSUER, KARMA, Clock
from tests.api.issuer.haip_fixtures import (
    code_for,
    haip,
    hw,
    provider,
    refused,
    request_uri,
    signin_code,
)
from tests.support.haip import HaipWallet

__all__ = ["haip", "hw", "provider"]  # fixtures


def test_full_flow_par_pkce_dpop_attestation(haip: TestClient, hw: HaipWallet) -> None:
    metadata = haip.get("/.well-known/oauth-authorization-server").json()
    assert metadata["require_pushed_authorization_requests"] is True
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is False
    assert metadata["authorization_response_iss_parameter_supported"] is True
    code = code_for(hw, haip)
    token = hw.token(code)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "DPoP"
    assert "refresh_token" in body
    assert "authorization_details" not in body  # scope-only request
    assert token.headers["dpop-nonce"]
    issued = hw.credential(body["access_token"])
    assert issued.status_code == 200, issued.text
    credential = decode_sd_jwt(issued.json()["credentials"][0]["credential"])
    assert credential.payload["vct"] == f"{ISSUER}/types/permanent-address"


def test_authorize_without_par_is_refused(haip: TestClient) -> None:
    page = haip.get("/authorize", params={"client_id": "x", "response_type": "code"})
    assert page.status_code == 400
    assert "par_required" in page.text
    assert "location" not in page.headers  # a page, never a redirect


def test_authorize_unknown_request_uri(haip: TestClient) -> None:
    uri = "urn:ietf:params:oauth:request_uri:forged"
    page = haip.get(
        "/authorize", params={"client_id": "https://wallet.drukid.bt", "request_uri": uri}
    )
    assert page.status_code == 400
    assert "par_request_uri_unknown" in page.text


def test_authorize_client_id_differs_from_par(haip: TestClient, hw: HaipWallet) -> None:
    page = hw.authorize(request_uri(hw), client_id="https://other.example")
    assert page.status_code == 400
    assert "par_client_mismatch" in page.text


def test_authorize_request_uri_expired(haip: TestClient, hw: HaipWallet, clock: Clock) -> None:
    uri = request_uri(hw)
    clock.advance(61)
    assert "par_request_uri_expired" in hw.authorize(uri).text


def test_authorize_request_uri_other_browser(haip: TestClient, hw: HaipWallet) -> None:
    uri = request_uri(hw)
    assert hw.authorize(uri).status_code == 200
    assert hw.authorize(uri).status_code == 200  # a reload in the same browser
    haip.cookies.clear()
    assert "par_request_uri_used" in hw.authorize(uri).text


def test_session_cookie_is_lax(haip: TestClient, hw: HaipWallet) -> None:
    page = hw.authorize(request_uri(hw))
    cookie = page.headers["set-cookie"].lower()
    assert "samesite=lax" in cookie
    assert "httponly" in cookie


def test_par_response_shape(hw: HaipWallet) -> None:
    response = hw.par()
    assert response.status_code == 201
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 60
    assert response.headers["cache-control"] == "no-store"


def test_par_get_is_405(haip: TestClient) -> None:
    assert haip.get("/par").status_code == 405


def test_par_pkce_rules(hw: HaipWallet) -> None:
    refused(
        hw.par(code_challenge_method="plain"), 400, "invalid_request", "pkce_method_unsupported"
    )
    refused(hw.par(code_challenge_method=None), 400, "invalid_request", "pkce_method_unsupported")
    refused(hw.par(code_challenge=None), 400, "invalid_request", "pkce_required")
    refused(hw.par(code_challenge="short"), 400, "invalid_request", "pkce_challenge_malformed")


def test_par_redirect_and_request_rules(hw: HaipWallet) -> None:
    refused(
        hw.par(redirect_uri="https://evil.example/cb"),
        400,
        "invalid_request",
        "redirect_uri_not_registered",
    )
    refused(hw.par(redirect_uri=None), 400, "invalid_request", "redirect_uri_missing")
    refused(
        hw.par(response_type="token"), 400, "unsupported_response_type", "response_type_unsupported"
    )
    refused(hw.par(scope="nothing-known"), 400, "invalid_scope", "scope_unknown")
    refused(hw.par(request_uri="urn:x"), 400, "invalid_request", "request_uri_in_par")
    refused(hw.par(state="s" * 600), 400, "invalid_request", "state_too_long")
    refused(hw.par(resource="https://other.example"), 400, "invalid_target", "resource_unknown")


def test_par_loopback_any_port(hw: HaipWallet) -> None:
    assert hw.par(redirect_uri="http://127.0.0.1:1234/receive/callback").status_code == 201
    refused(
        hw.par(redirect_uri="http://localhost:1234/receive/callback"),
        400,
        "invalid_request",
        "redirect_uri_not_registered",
    )


def test_par_unknown_scope_ignored(hw: HaipWallet) -> None:
    assert hw.par(scope="openid permanent-address something").status_code == 201


def test_par_authorization_details(hw: HaipWallet) -> None:
    details = '[{"type": "openid_credential", "credential_configuration_id": "foundational-id"}]'
    assert hw.par(scope=None, authorization_details=details).status_code == 201
    refused(
        hw.par(authorization_details=details.replace("foundational-id", "nope")),
        400,
        "invalid_authorization_details",
        "authorization_details_invalid",
    )


def test_par_client_id_not_attestation_sub(hw: HaipWallet) -> None:
    refused(hw.par(client_id="https://other.example"), 401, "invalid_client", "client_id_mismatch")


def test_token_pkce_and_redirect(haip: TestClient, hw: HaipWallet) -> None:
    code = code_for(hw, haip)
    refused(
        hw.token(code, redirect_uri="http://127.0.0.1:1/x"),
        400,
        "invalid_grant",
        "code_redirect_mismatch",
    )
    refused(hw.token(code, code_verifier="a" * 43), 400, "invalid_grant", "pkce_mismatch")
    refused(hw.token(code, code_verifier=None), 400, "invalid_grant", "pkce_verifier_missing")
    refused(
        hw.token(code, code_verifier="short"), 400, "invalid_request", "pkce_verifier_malformed"
    )
    assert hw.token(code).status_code == 200  # the refusals did not spend the code


def test_code_replay_refused_and_tokens_revoked(haip: TestClient, hw: HaipWallet) -> None:
    code = code_for(hw, haip)
    first = hw.token(code)
    assert first.status_code == 200
    refused(hw.token(code), 400, "invalid_grant", "code_used")
    revoked = hw.credential(first.json()["access_token"])
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "token_expired"
    refused(hw.refresh(first.json()["refresh_token"]), 400, "invalid_grant", "grant_revoked")


def test_code_expires_after_60s(haip: TestClient, hw: HaipWallet, clock: Clock) -> None:
    code = code_for(hw, haip)
    clock.advance(61)
    refused(hw.token(code), 400, "invalid_grant", "code_expired")


def test_token_dpop_key_differs_from_par(haip: TestClient, hw: HaipWallet) -> None:
    from did.keys import PrivateKey

    code = code_for(hw, haip)
    hw.dpop_key = PrivateKey.generate()
    refused(hw.token(code), 400, "invalid_grant", "code_dpop_key_mismatch")


def test_token_other_client_instance(haip: TestClient, hw: HaipWallet) -> None:
    from did.keys import PrivateKey

    code = code_for(hw, haip)
    hw.instance_key = PrivateKey.generate()
    refused(hw.token(code), 400, "invalid_grant", "code_client_mismatch")


def test_cancel_redirects_access_denied_with_iss(haip: TestClient, hw: HaipWallet) -> None:
    page = hw.authorize(request_uri(hw))
    done = hw.consent(page, answer="cancel")
    assert done.status_code == 303
    location = done.headers["location"]
    assert "error=access_denied" in location
    assert f"state={hw.state}" in location
    assert "iss=http" in location


def test_signin_wrong_code_one_message_then_exhausted(haip: TestClient, hw: HaipWallet) -> None:
    real = signin_code(haip)
    page = hw.authorize(request_uri(hw))
    wrong = hw.sign_in(page, KARMA, "00000000" if real != "00000000" else "11111111")
    assert wrong.status_code == 400
    assert "The CID or the sign-in code is not right" in wrong.text
    unknown = hw.sign_in(page, DECHEN, real)  # a CID with no live code: the same words
    assert "The CID or the sign-in code is not right" in unknown.text
    hw.sign_in(page, KARMA, "22222222")
    exhausted = hw.sign_in(page, KARMA, real)
    assert exhausted.status_code == 400
    assert "signin_attempts_exhausted" in exhausted.text


def test_signin_code_single_use(haip: TestClient, hw: HaipWallet) -> None:
    code = signin_code(haip)
    hw.browser(request_uri(hw), KARMA, code)
    other = HaipWallet(haip, ISSUER, hw.provider)
    haip.cookies.clear()
    page = other.authorize(request_uri(other))
    assert "The CID or the sign-in code is not right" in other.sign_in(page, KARMA, code).text


def test_signin_csrf(haip: TestClient, hw: HaipWallet) -> None:
    page = hw.authorize(request_uri(hw))
    values = hw.form_values(page)
    response = haip.post(
        "/authorize/sign-in",
        data={"ref": values["ref"], "csrf": "forged", "cid": KARMA, "code": "1"},
    )
    assert response.status_code == 400
    assert "csrf_failed" in response.text


def test_signin_throttled_per_address(data_dir: Any, clock: Clock, provider: Any) -> None:
    from tests.api.issuer.haip_fixtures import haip_client

    with haip_client(data_dir, clock, provider, signin_failures_per_address=2) as client:
        wallet = HaipWallet(client, ISSUER, provider)
        for _ in range(2):
            client.cookies.clear()
            page = wallet.authorize(request_uri(wallet))
            wallet.sign_in(page, KARMA, "12345678")
        client.cookies.clear()
        page = wallet.authorize(request_uri(wallet))
        response = wallet.sign_in(page, KARMA, "12345678")
        assert response.status_code == 429
        assert "retry-after" in response.headers


def test_consent_post_redirects_303_to_wallet(haip: TestClient, hw: HaipWallet) -> None:
    page = hw.authorize(request_uri(hw))
    signed = hw.sign_in(page, KARMA, signin_code(haip))
    assert signed.status_code == 303
    consent = haip.get(signed.headers["location"])
    assert "Karma" in consent.text
    done = hw.consent(consent)
    assert done.status_code == 303
    assert "127.0.0.1:53999" in done.headers["content-security-policy"]


def test_refresh_rotation_retry_and_reuse(haip: TestClient, hw: HaipWallet) -> None:
    first = hw.token(code_for(hw, haip)).json()
    second = hw.refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    # The wallet lost that response: the old token works again while its successor is unused.
    retry = hw.refresh(first["refresh_token"])
    assert retry.status_code == 200, retry.text
    refused(
        hw.refresh(second.json()["refresh_token"]), 400, "invalid_grant", "unknown_refresh_token"
    )
    third = hw.refresh(retry.json()["refresh_token"])
    assert third.status_code == 200
    # Now the successor was used: the old token is a replay and revokes the grant.
    refused(hw.refresh(first["refresh_token"]), 400, "invalid_grant", "refresh_token_reused")
    refused(hw.refresh(third.json()["refresh_token"]), 400, "invalid_grant", "grant_revoked")
    assert hw.credential(third.json()["access_token"]).status_code == 401


def test_refresh_with_other_dpop_key(haip: TestClient, hw: HaipWallet) -> None:
    from did.keys import PrivateKey

    first = hw.token(code_for(hw, haip)).json()
    hw.dpop_key = PrivateKey.generate()
    refused(hw.refresh(first["refresh_token"]), 400, "invalid_grant", "refresh_dpop_key_mismatch")


def test_refreshed_token_fetches_fresh_copies(haip: TestClient, hw: HaipWallet) -> None:
    first = hw.token(code_for(hw, haip)).json()
    assert hw.credential(first["access_token"]).status_code == 200
    fresh = hw.refresh(first["refresh_token"]).json()
    batch = hw.credential(fresh["access_token"], keys=3)
    assert batch.status_code == 200, batch.text
    assert len(batch.json()["credentials"]) == 3
