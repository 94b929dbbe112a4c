"""The wallet's side of the authorization code flow: metadata it needs, the pushed request, and
the redirect's ``state`` / ``iss`` checks (RFC 6749 §10.12, RFC 9207 §2.4), the DPoP-bound token
it insists on (RFC 9449 §5) and the nonce retry signal."""

from __future__ import annotations

import pytest

from credentials.oauth import s256
from wallet.errors import ReceiveError
from wallet.oid4vci.authorization import (
    PendingAuthorization,
    authorization_url,
    par_form,
    parse_authorization_response,
    parse_authorization_server,
)
from wallet.oid4vci.sender import asks_for_nonce
from wallet.oid4vci.token import parse_token_response

AS = "https://id.example.bt"
PENDING = PendingAuthorization(
    credential_issuer=AS,
    configuration_id="permanent-address",
    client_id="https://wallet.drukid.bt",
    redirect_uri="http://127.0.0.1:5000/callback",
    state="s-123",
    code_verifier="v" * 43,
    dpop_key={"kty": "EC"},
    server=AS,
    token_endpoint=f"{AS}/token",
    iss_parameter=True,
)


def code_of(redirect: str) -> str:
    return parse_authorization_response(redirect, PENDING)


def refused(redirect: str) -> str:
    with pytest.raises(ReceiveError) as caught:
        code_of(redirect)
    return caught.value.code


def test_good_redirect() -> None:
    assert code_of(f"http://127.0.0.1:5000/callback?code=c1&state=s-123&iss={AS}") == "c1"


def test_wrong_state_and_iss() -> None:
    assert refused(f"http://x/cb?code=c&state=other&iss={AS}") == "authorization_state_mismatch"
    assert refused("http://x/cb?code=c&state=s-123&iss=https://evil") == (
        "authorization_response_iss_mismatch"
    )
    # Metadata said iss is sent: a missing one is refused too (RFC 9207 §2.4).
    assert refused("http://x/cb?code=c&state=s-123") == "authorization_response_iss_mismatch"


def test_cancelled() -> None:
    assert refused(f"http://x/cb?error=access_denied&state=s-123&iss={AS}") == (
        "authorization_denied"
    )


def test_par_form_uses_s256_and_scope() -> None:
    form = par_form(PENDING, scope="permanent-address")
    assert form["code_challenge"] == s256("v" * 43)
    assert form["code_challenge_method"] == "S256"
    assert form["scope"] == "permanent-address"
    assert form["state"] == "s-123"
    url = authorization_url(f"{AS}/authorize", client_id="c", request_uri="urn:x")
    assert url == f"{AS}/authorize?client_id=c&request_uri=urn%3Ax"


def test_server_without_s256_is_refused() -> None:
    metadata = {
        "issuer": AS,
        "token_endpoint": f"{AS}/token",
        "authorization_endpoint": f"{AS}/authorize",
        "pushed_authorization_request_endpoint": f"{AS}/par",
    }
    with pytest.raises(ReceiveError) as caught:
        parse_authorization_server(metadata, server=AS)
    assert caught.value.code == "authorization_code_unsupported"
    metadata["code_challenge_methods_supported"] = ["S256"]
    assert parse_authorization_server(metadata, server=AS).par_endpoint == f"{AS}/par"


def test_bearer_after_dpop_is_discarded() -> None:
    with pytest.raises(ReceiveError) as caught:
        parse_token_response(
            200, {"access_token": "t", "token_type": "Bearer"}, with_tx_code=False, dpop=True
        )
    assert caught.value.code == "token_not_sender_constrained"
    token = parse_token_response(
        200,
        {"access_token": "t", "token_type": "DPoP", "refresh_token": "rt-secret-9"},
        with_tx_code=False,
        dpop=True,
    )
    assert token.refresh_token == "rt-secret-9"
    assert "rt-secret-9" not in repr(token)


def test_nonce_retry_signal() -> None:
    assert asks_for_nonce(400, {"error": "use_dpop_nonce"}, {})
    assert asks_for_nonce(401, None, {"www-authenticate": 'DPoP error="use_dpop_nonce"'})
    assert not asks_for_nonce(400, {"error": "invalid_grant"}, {})
