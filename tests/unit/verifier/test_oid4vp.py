"""OpenID4VP request building and response parsing (pure functions)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from credentials.jose import encrypt_jwe, generate_encryption_key, parse_jws, public_encryption_jwk
from did.keys import PrivateKey
from verifier.errors import RequestError
from verifier.oid4vp.request import (
    SELF_ISSUED_AUD,
    RequestParameters,
    create_openid4vp_uri,
    create_openid4vp_uri_by_value,
    create_request_object,
    request_parameters,
    sign_request_object,
)
from verifier.oid4vp.response import check_state, parse_response

DID = "did:web:verifier.example.bt"
QUERY = {"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}}]}


def _params(**changes: object) -> RequestParameters:
    key = generate_encryption_key(kid="e1")
    values: dict[str, object] = {
        "client_id": f"decentralized_identifier:{DID}",
        "response_uri": "https://verifier.example.bt/oid4vp/response/r1",
        "nonce": "n",
        "state": "s",
        "dcql_query": QUERY,
        "response_mode": "direct_post.jwt",
        "client_name": "Bank",
        "purpose": "KYC",
        "algorithms": {"ES256"},
        "encryption_jwk": public_encryption_jwk(key),
    }
    values.update(changes)
    return RequestParameters(**values)  # type: ignore[arg-type]


def test_request_object_claims():
    claims = create_request_object(_params(), iat=10, exp=310)
    assert claims["response_type"] == "vp_token"
    assert claims["aud"] == SELF_ISSUED_AUD
    # OpenID4VP 1.0 §5: wallets ignore iss, and the Credo/Animo libraries refuse a prefixed one
    # (it was the client_id until the interop tests found that): signed requests carry none.
    assert "iss" not in claims
    metadata = claims["client_metadata"]
    assert metadata["jwks"]["keys"][0]["kid"] == "e1"
    assert metadata["encrypted_response_enc_values_supported"] == ["A128GCM", "A256GCM"]
    assert metadata["vp_formats_supported"]["dc+sd-jwt"]["kb-jwt_alg_values"] == ["ES256"]


def test_signed_jar():
    key = PrivateKey.generate("ES256")
    claims = create_request_object(_params(), iat=10, exp=310)
    jar = sign_request_object(claims, key, kid=f"{DID}#k1")
    header = parse_jws(jar).header
    assert header == {"alg": "ES256", "typ": "oauth-authz-req+jwt", "kid": f"{DID}#k1"}
    with pytest.raises(ValueError, match="kid"):
        sign_request_object(claims, key, kid="did:web:other.example#k1")


@pytest.mark.parametrize(
    "changes",
    [
        {"response_mode": "query"},
        {"encryption_jwk": None},
        {"encryption_jwk": generate_encryption_key()},
        {"client_id": "verifier_attestation:verifier.example.bt"},
        {"client_id": "verifier.example.bt"},
        {"client_id": "redirect_uri:https://elsewhere.example/cb"},
    ],
)
def test_request_parameter_rules(changes):
    with pytest.raises(ValueError):
        _params(**changes)


def test_redirect_uri_requests_are_unsigned():
    params = _params(
        client_id="redirect_uri:https://verifier.example.bt/oid4vp/response/r1",
        response_mode="direct_post",
        encryption_jwk=None,
    )
    claims = create_request_object(params, iat=1, exp=2)
    assert "iss" not in claims
    assert "jwks" not in claims["client_metadata"]
    with pytest.raises(ValueError):
        sign_request_object(claims, PrivateKey.generate("ES256"), kid=f"{DID}#k")


def test_uri_is_small_and_round_trips():
    uri = create_openid4vp_uri(
        client_id=f"decentralized_identifier:{DID}",
        request_uri="https://verifier.example.bt/oid4vp/request/abc",
    )
    query = parse_qs(urlsplit(uri).query)
    assert query["client_id"] == [f"decentralized_identifier:{DID}"]
    assert uri.startswith("openid4vp://?client_id=")


def test_parse_encrypted_response():
    key = generate_encryption_key()
    jwe = encrypt_jwe(
        json.dumps({"vp_token": {"a": ["p~"]}, "state": "s"}).encode(), public_encryption_jwk(key)
    )
    response = parse_response(
        {"response": jwe}, response_mode="direct_post.jwt", decryption_jwk=key
    )
    assert response.encrypted
    assert response.vp_token == {"a": ("p~",)}
    check_state(response, "s")
    with pytest.raises(RequestError) as caught:
        check_state(response, "other")
    assert caught.value.code == "state_mismatch"


def test_encrypted_response_refused_for_plain_requests():
    with pytest.raises(RequestError):
        parse_response({"response": "a.b.c.d.e"}, response_mode="direct_post", decryption_jwk=None)


def test_wallet_error_response():
    response = parse_response(
        {"error": "access_denied", "state": "s", "error_description": "x" * 900},
        response_mode="direct_post.jwt",
        decryption_jwk=None,
    )
    assert response.error == "access_denied"
    assert len(response.error_description or "") == 500


def test_x509_requests_are_signed_with_x5c_and_no_kid():
    claims = create_request_object(_params(client_id="x509_hash:abc"), iat=10, exp=310)
    assert claims["aud"] == SELF_ISSUED_AUD
    assert "iss" not in claims
    key = PrivateKey.generate("ES256")
    jar = sign_request_object(claims, key, x5c=["MIIB"])
    assert parse_jws(jar).header == {"alg": "ES256", "typ": "oauth-authz-req+jwt", "x5c": ["MIIB"]}
    with pytest.raises(ValueError, match="x5c"):
        sign_request_object(claims, key, kid="x509_hash:abc#1")
    with pytest.raises(ValueError, match="x5c"):
        sign_request_object(claims, key)
    did_claims = create_request_object(_params(), iat=10, exp=310)
    with pytest.raises(ValueError, match="kid"):
        sign_request_object(did_claims, key, kid=f"{DID}#k1", x5c=["MIIB"])
    with pytest.raises(ValueError, match="iss"):
        sign_request_object({**did_claims, "iss": did_claims["client_id"]}, key, kid=f"{DID}#k1")


def test_redirect_uri_request_by_value_round_trips():
    params = _params(
        client_id="redirect_uri:https://verifier.example.bt/oid4vp/response/r1",
        response_mode="direct_post",
        encryption_jwk=None,
    )
    uri = create_openid4vp_uri_by_value(request_parameters(params))
    assert uri.startswith("openid4vp://?client_id=redirect_uri:https://verifier.example.bt/")
    query = {name: values[0] for name, values in parse_qs(urlsplit(uri).query).items()}
    assert json.loads(query["dcql_query"]) == QUERY
    assert json.loads(query["client_metadata"])["client_name"] == "Bank"
    assert query["response_type"] == "vp_token"
    assert "request_uri" not in query
    assert "iat" not in query
    with pytest.raises(ValueError, match="by value"):
        create_openid4vp_uri_by_value(request_parameters(_params()))
