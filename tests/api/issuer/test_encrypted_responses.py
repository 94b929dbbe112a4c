"""Encrypted credential responses (OpenID4VCI 1.0 §10, §8.2, §12.2.4) through the pre-authorized
flow: metadata by policy, the JWE answer, and every refusal as plain JSON (§8.3.1.2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from credentials.jose import decrypt_jwe, generate_encryption_key, parse_json, public_encryption_jwk
from did.keys import PrivateKey
from issuer.api.app import create_app
from issuer.storage.models import CredentialRow
from tests.api.issuer.conftest import ISSUER, Clock, api_key, create_offer, make_settings
from tests.support.oid4vci_client import WalletClient, make_proof


def _request(client: TestClient, encryption: Any) -> tuple[WalletClient, str, dict[str, Any]]:
    wallet = WalletClient(client, issuer=ISSUER)
    offer = create_offer(client, api_key(client, "admin"))
    token = wallet.token(wallet.code_of(wallet.fetch_offer(offer["offer_uri"])))
    proof = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=wallet.nonce())
    body: dict[str, Any] = {
        "credential_configuration_id": "foundational-id",
        "proofs": {"jwt": [proof]},
    }
    if encryption is not None:
        body["credential_response_encryption"] = encryption
    return wallet, token, body


def _issued(client: TestClient) -> int:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.context.session() as s:
        return len(s.exec(select(CredentialRow)).all())


def test_metadata_by_policy(data_dir: Path, clock: Clock) -> None:
    expected = {"off": None, "optional": False, "required": True}
    for policy, required in expected.items():
        settings = make_settings(data_dir / policy, credential_response_encryption=policy)
        with TestClient(create_app(settings, clock=clock)) as app:
            metadata = app.get("/.well-known/openid-credential-issuer").json()
        if required is None:
            assert "credential_response_encryption" not in metadata
            continue
        assert metadata["credential_response_encryption"] == {
            "alg_values_supported": ["ECDH-ES"],
            "enc_values_supported": ["A128GCM", "A256GCM"],
            "encryption_required": required,
        }
        assert "zip_values_supported" not in metadata["credential_response_encryption"]


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_encrypted_response_roundtrip(client: TestClient, enc: str) -> None:
    private = generate_encryption_key(kid="wallet-eph-1")
    encryption = {"jwk": public_encryption_jwk(private), "enc": enc}
    wallet, token, body = _request(client, encryption)
    response = wallet.credential_response(token, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/jwt"
    assert response.headers["cache-control"] == "no-store"
    header, plaintext = decrypt_jwe(response.text, private)
    assert header["alg"] == "ECDH-ES"
    assert header["enc"] == enc
    assert header["kid"] == "wallet-eph-1"  # §10: copied from the JWK
    answer = parse_json(plaintext)
    assert len(answer["credentials"]) == 1
    assert answer["notification_id"]


def test_other_key_cannot_decrypt(client: TestClient) -> None:
    private = generate_encryption_key()
    wallet, token, body = _request(
        client, {"jwk": public_encryption_jwk(private), "enc": "A128GCM"}
    )
    response = wallet.credential_response(token, body)
    from credentials.errors import JOSEError

    with pytest.raises(JOSEError):
        decrypt_jwe(response.text, generate_encryption_key())


def _bad_keys() -> list[tuple[str, dict[str, Any]]]:
    good = public_encryption_jwk(generate_encryption_key())
    private = generate_encryption_key()
    no_alg = {k: v for k, v in good.items() if k != "alg"}
    p384 = {**good, "crv": "P-384"}
    rsa = {"kty": "RSA", "n": "sXch", "e": "AQAB", "alg": "RSA-OAEP-256"}
    off_curve = {**good, "y": good["x"]}
    return [
        ("rsa", rsa),
        ("p384", p384),
        ("private", dict(private)),
        ("no_alg", no_alg),
        ("rsa_oaep_alg", {**good, "alg": "RSA-OAEP"}),
        ("off_curve", off_curve),
        ("signing_use", {**good, "use": "sig"}),
        ("not_object", "key"),  # type: ignore[list-item]
    ]


@pytest.mark.parametrize(("name", "jwk"), _bad_keys())
def test_encrypted_response_with_bad_key(client: TestClient, name: str, jwk: Any) -> None:
    wallet, token, body = _request(client, {"jwk": jwk, "enc": "A128GCM"})
    response = wallet.credential_response(token, body)
    assert response.status_code == 400, (name, response.text)
    assert response.headers["content-type"].startswith("application/json")  # never encrypted
    assert response.json()["error"] == "invalid_encryption_parameters"
    assert response.json()["code"] == "encryption_key_invalid"
    assert _issued(client) == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"enc": "A192GCM"}, "encryption_enc_unsupported"),
        ({"enc": "A128CBC-HS256"}, "encryption_enc_unsupported"),
        ({"enc": None}, "encryption_enc_unsupported"),
        ({"zip": "DEF"}, "encryption_zip_refused"),
    ],
)
def test_unsupported_parameters(client: TestClient, change: dict[str, Any], code: str) -> None:
    encryption = {"jwk": public_encryption_jwk(generate_encryption_key()), "enc": "A256GCM"}
    encryption.update(change)
    if change.get("enc", "") is None:
        del encryption["enc"]
    wallet, token, body = _request(client, encryption)
    response = wallet.credential_response(token, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_encryption_parameters"
    assert response.json()["code"] == code
    assert _issued(client) == 0


def test_draft_top_level_alg_is_ignored(client: TestClient) -> None:
    """Drafts 14/15 put alg next to jwk; 1.0 takes it from the JWK and ignores unknown fields."""
    private = generate_encryption_key()
    encryption = {"jwk": public_encryption_jwk(private), "enc": "A128GCM", "alg": "ECDH-ES"}
    wallet, token, body = _request(client, encryption)
    response = wallet.credential_response(token, body)
    assert response.status_code == 200, response.text
    assert parse_json(decrypt_jwe(response.text, private)[1])["credentials"]


def test_encryption_required_but_absent(data_dir: Path, clock: Clock) -> None:
    settings = make_settings(data_dir, credential_response_encryption="required")
    with TestClient(create_app(settings, clock=clock)) as app:
        wallet, token, body = _request(app, None)
        response = wallet.credential_response(token, body)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_encryption_parameters"
        assert response.json()["code"] == "encryption_required"
        assert _issued(app) == 0
        private = generate_encryption_key()
        body["credential_response_encryption"] = {
            "jwk": public_encryption_jwk(private),
            "enc": "A256GCM",
        }
        retried = wallet.credential_response(token, body)
        assert retried.status_code == 200, retried.text
        assert retried.headers["content-type"] == "application/jwt"


def test_encryption_off_refuses_the_request(data_dir: Path, clock: Clock) -> None:
    settings = make_settings(data_dir, credential_response_encryption="off")
    with TestClient(create_app(settings, clock=clock)) as app:
        encryption = {"jwk": public_encryption_jwk(generate_encryption_key()), "enc": "A128GCM"}
        wallet, token, body = _request(app, encryption)
        response = wallet.credential_response(token, body)
    assert response.status_code == 400
    assert response.json()["code"] == "encryption_unsupported"


def test_errors_not_encrypted(client: TestClient) -> None:
    """§8.3.1.2: a refused request with good encryption parameters answers in plain JSON."""
    encryption = {"jwk": public_encryption_jwk(generate_encryption_key()), "enc": "A128GCM"}
    wallet, token, body = _request(client, encryption)
    body["proofs"] = {"jwt": [make_proof(PrivateKey.generate(), aud=ISSUER, nonce="forged")]}
    response = wallet.credential_response(token, body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_nonce"
