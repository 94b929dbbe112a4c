"""End to end: sign with a leaf key and x5c in the protected header, validate the chain from
the header, verify the JWS with the key the chain returned — the way the verifier and wallet
will use this library."""

from __future__ import annotations

import pytest

from credentials.errors import CredentialError, JOSEError, X509Error
from credentials.jose import parse_jws, sign_jws, verify_jws
from credentials.x509 import (
    encode_x5c,
    validate_x5c,
    verify_client_id,
    verify_issuer_name,
    verify_vct_allowed,
    x509_hash_client_id,
)
from did.keys import PrivateKey

from .conftest import ISSUER_ID, NOW, Pki

PID = "https://id.gov.bt/credentials/pid"


def _verify_issuer_jwt(token: str, pki: Pki) -> dict[str, object]:
    jws = parse_jws(token)
    chain = validate_x5c(jws.header.get("x5c"), pki.anchors, time=NOW)
    verify_issuer_name(chain, jws.payload.get("iss"))
    verify_vct_allowed(chain, str(jws.payload.get("vct")))
    return verify_jws(jws, chain.public_key, typ="dc+sd-jwt").payload


def test_issuer_signed_jwt_with_x5c(pki: Pki) -> None:
    token = sign_jws(
        {"iss": ISSUER_ID, "vct": PID, "iat": int(NOW.timestamp())},
        pki.issuer_key,
        typ="dc+sd-jwt",
        headers={"x5c": encode_x5c([pki.issuer, pki.ca])},
    )
    header = parse_jws(token).header
    assert header["x5c"] == encode_x5c([pki.issuer, pki.ca])
    assert _verify_issuer_jwt(token, pki)["iss"] == ISSUER_ID


def test_another_key_with_the_issuers_x5c_fails_the_signature(pki: Pki) -> None:
    token = sign_jws(
        {"iss": ISSUER_ID, "vct": PID},
        PrivateKey.generate(),
        typ="dc+sd-jwt",
        headers={"x5c": encode_x5c([pki.issuer, pki.ca])},
    )
    with pytest.raises(JOSEError) as caught:
        _verify_issuer_jwt(token, pki)
    assert caught.value.code == "invalid_signature"


def test_iss_the_certificate_does_not_name(pki: Pki) -> None:
    token = sign_jws(
        {"iss": "https://evil.example", "vct": PID},
        pki.issuer_key,
        typ="dc+sd-jwt",
        headers={"x5c": encode_x5c([pki.issuer, pki.ca])},
    )
    with pytest.raises(X509Error) as caught:
        _verify_issuer_jwt(token, pki)
    assert caught.value.code == "x5c_san_mismatch"


def test_eddsa_wallet_attestation(pki: Pki) -> None:
    token = sign_jws(
        {"iss": "https://wallet.gov.bt", "sub": "client"},
        pki.wallet_key,
        typ="oauth-client-attestation+jwt",
        headers={"x5c": encode_x5c([pki.wallet, pki.ca])},
    )
    chain = validate_x5c(parse_jws(token).header["x5c"], pki.anchors, time=NOW)
    assert (
        verify_jws(token, chain.public_key, typ="oauth-client-attestation+jwt").payload["sub"]
        == "client"
    )


def test_signed_request_with_x509_hash_client_id(pki: Pki) -> None:
    client_id = x509_hash_client_id(pki.verifier)
    token = sign_jws(
        {"client_id": client_id, "response_type": "vp_token", "nonce": "n-1"},
        pki.verifier_key,
        typ="oauth-authz-req+jwt",
        headers={"x5c": encode_x5c([pki.verifier, pki.ca])},
    )
    jws = parse_jws(token)
    chain = validate_x5c(jws.header["x5c"], pki.anchors, time=NOW)
    verify_client_id(chain, jws.payload["client_id"])
    verify_client_id(chain, "x509_san_dns:verify.bob.bt")
    assert verify_jws(jws, chain.public_key, typ="oauth-authz-req+jwt").payload["nonce"] == "n-1"


def test_x5c_from_another_verifier_does_not_match_the_client_id(pki: Pki) -> None:
    token = sign_jws(
        {"client_id": x509_hash_client_id(pki.verifier)},
        pki.issuer_key,
        typ="oauth-authz-req+jwt",
        headers={"x5c": encode_x5c([pki.issuer, pki.ca])},
    )
    jws = parse_jws(token)
    chain = validate_x5c(jws.header["x5c"], pki.anchors, time=NOW)
    with pytest.raises(X509Error) as caught:
        verify_client_id(chain, jws.payload["client_id"])
    assert caught.value.code == "x509_hash_mismatch"


@pytest.mark.parametrize("name", ["x5u", "jku"])
def test_signer_still_refuses_remote_key_urls(pki: Pki, name: str) -> None:
    with pytest.raises(CredentialError):
        sign_jws(
            {},
            pki.issuer_key,
            typ="dc+sd-jwt",
            headers={"x5c": encode_x5c([pki.issuer]), name: "https://x"},
        )
