"""OpenID4VCI 1.0 Appendix D key attestations: one valid and one invalid case per rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from credentials.errors import KeyAttestationError
from credentials.jose import sign_jws
from credentials.oauth.key_attestation import (
    LEGACY_KEY_ATTESTATION_TYP,
    SOFTWARE_KEY_STORAGE,
    make_key_attestation,
    verify_key_attestation,
)
from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    TrustAnchor,
    create_leaf,
    encode_x5c,
)
from did.keys import ES256, PrivateKey
from tests.unit.credentials.x509.conftest import NOW, Pki, make_pki

T = int(NOW.timestamp())


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def provider(pki: Pki) -> tuple[PrivateKey, list[str]]:
    key = PrivateKey.generate(ES256)
    leaf = create_leaf(
        LeafPurpose.WALLET_PROVIDER,
        key.public_key,
        CertificateName("Druk Wallet keys", "Druk Digital Identity Agency", "BT"),
        issuer_cert=pki.ca,
        issuer_key=pki.ca_key,
        not_before=NOW - dt.timedelta(days=10),
        not_after=NOW + dt.timedelta(days=100),
    )
    return key, encode_x5c([leaf, pki.ca])


def _verify(pki: Pki, token: object, **overrides: Any) -> Any:
    options: dict[str, Any] = {
        "anchors": [TrustAnchor(pki.root)],
        "now": T,
        "leeway": 60,
        "algorithms": [ES256],
        "expected_nonce": "n-1",
        "exp_required": True,
    }
    options.update(overrides)
    return verify_key_attestation(token, **options)


def _make(provider: tuple[PrivateKey, list[str]], **overrides: Any) -> str:
    key, x5c = provider
    options: dict[str, Any] = {
        "iat": T - 10,
        "exp": T + 3600,
        "key_storage": [SOFTWARE_KEY_STORAGE],
        "user_authentication": ["iso_18045_basic"],
        "nonce": "n-1",
    }
    options.update(overrides)
    holders = options.pop("holders", None) or [PrivateKey.generate().public_key]
    return make_key_attestation(key, x5c, holders, **options)


def test_valid_attestation_returns_the_keys_and_levels(pki: Pki, provider: Any) -> None:
    holders = [PrivateKey.generate().public_key for _ in range(3)]
    verified = _verify(pki, _make(provider, holders=holders))
    assert verified.keys == tuple(holders)
    assert verified.key_storage == (SOFTWARE_KEY_STORAGE,)
    assert verified.user_authentication == ("iso_18045_basic",)
    assert "Druk Wallet keys" in verified.issuer
    assert verified.thumbprints == {k.thumbprint() for k in holders}


def test_untrusted_signer(pki: Pki, provider: Any) -> None:
    other = make_pki()
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, _make(provider), anchors=[TrustAnchor(other.root)])
    assert err.value.code == "key_attestation_untrusted"


def test_no_x5c_is_untrusted(pki: Pki, provider: Any) -> None:
    key, _ = provider
    token = sign_jws(
        {"iat": T, "exp": T + 60, "attested_keys": [key.public_key.to_jwk()], "nonce": "n-1"},
        key,
        typ="key-attestation+jwt",
    )
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, token)
    assert err.value.code == "key_attestation_untrusted"


def test_legacy_typ_only_behind_the_switch(pki: Pki, provider: Any) -> None:
    token = _make(provider, typ=LEGACY_KEY_ATTESTATION_TYP)
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, token)
    assert err.value.code == "key_attestation_typ"
    assert _verify(pki, token, accept_legacy_typ=True).keys


def test_alg_not_allowed(pki: Pki, provider: Any) -> None:
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, _make(provider), algorithms=["EdDSA"])
    assert err.value.code == "key_attestation_alg"


def test_expired(pki: Pki, provider: Any) -> None:
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, _make(provider, exp=T - 120))
    assert err.value.code == "key_attestation_expired"


def test_exp_required_for_jwt_proofs_only(pki: Pki, provider: Any) -> None:
    token = _make(provider, exp=None)
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, token)
    assert err.value.code == "key_attestation_time"
    assert _verify(pki, token, exp_required=False).exp is None


def test_future_iat(pki: Pki, provider: Any) -> None:
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, _make(provider, iat=T + 600))
    assert err.value.code == "key_attestation_time"


@pytest.mark.parametrize("nonce", [None, "other"])
def test_nonce_must_be_the_c_nonce(pki: Pki, provider: Any, nonce: str | None) -> None:
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, _make(provider, nonce=nonce))
    assert err.value.code == "key_attestation_nonce"


@pytest.mark.parametrize(
    "claims",
    [
        {"attested_keys": []},
        {"attested_keys": "x"},
        {"attested_keys": [{"kty": "EC"}]},
        {"key_storage": "iso_18045_high"},
        {"user_authentication": [1]},
    ],
)
def test_malformed_claims(pki: Pki, provider: Any, claims: dict[str, Any]) -> None:
    key, x5c = provider
    payload = {
        "iat": T,
        "exp": T + 60,
        "nonce": "n-1",
        "attested_keys": [PrivateKey.generate().public_key.to_jwk()],
    }
    payload.update(claims)
    token = sign_jws(payload, key, typ="key-attestation+jwt", headers={"x5c": x5c})
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, token)
    assert err.value.code == "key_attestation_invalid"


def test_private_key_in_attested_keys(pki: Pki, provider: Any) -> None:
    key, x5c = provider
    payload = {"iat": T, "exp": T + 60, "nonce": "n-1", "attested_keys": [key.to_jwk()]}
    token = sign_jws(payload, key, typ="key-attestation+jwt", headers={"x5c": x5c})
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, token)
    assert err.value.code == "key_attestation_invalid"


@pytest.mark.parametrize("token", [None, "", "a.b", "x" * 70_000])
def test_not_a_jwt(pki: Pki, token: object) -> None:
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, token)
    assert err.value.code == "key_attestation_invalid"


def test_signature_by_another_key(pki: Pki, provider: Any) -> None:
    token = _make(provider)
    header, payload, _sig = token.split(".")
    forged = sign_jws({"x": 1}, PrivateKey.generate(), typ="key-attestation+jwt").split(".")[2]
    with pytest.raises(KeyAttestationError) as err:
        _verify(pki, f"{header}.{payload}.{forged}")
    assert err.value.code == "key_attestation_invalid"
