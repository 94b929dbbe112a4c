"""Key attestations at the credential endpoint (OpenID4VCI 1.0 Appendix D, F.1, F.3; HAIP
§4.5.1), through the pre-authorized flow: required by a type's policy, verified when present,
one credential per attested key, and the attested storage level recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from credentials.jose import parse_jws
from credentials.oauth.key_attestation import LEGACY_KEY_ATTESTATION_TYP, SOFTWARE_KEY_STORAGE
from did.keys import PrivateKey
from issuer.api.app import create_app
from issuer.errors import ConfigurationError
from issuer.runtime import build_runtime
from tests.api.issuer.conftest import ISSUER, Clock, api_key, create_offer, make_settings
from tests.support.key_attestation import WalletProvider, make_wallet_provider
from tests.support.oid4vci_client import WalletClient, make_proof

ADDRESS = "permanent-address"
POLICY = {ADDRESS: {"required": True, "key_storage": ["iso_18045_high", "iso_18045_moderate"]}}


@pytest.fixture(scope="module")
def provider() -> WalletProvider:
    return make_wallet_provider()


def _client(data_dir: Path, clock: Clock, anchor: Path, **overrides: Any) -> TestClient:
    settings = make_settings(
        data_dir,
        key_attestation_anchors=(anchor,),
        key_attestation_required=POLICY,
        **overrides,
    )
    return TestClient(create_app(settings, clock=clock))


@pytest.fixture
def client(data_dir: Path, clock: Clock, provider: WalletProvider) -> Iterator[TestClient]:
    anchor = provider.write_anchor(data_dir.parent / f"{data_dir.name}-provider-ca.pem")
    with _client(data_dir, clock, anchor) as test_client:
        yield test_client


def _token(client: TestClient, wallet: WalletClient, type_id: str = ADDRESS) -> str:
    offer = create_offer(client, api_key(client, "admin"), type_id)
    return wallet.token(wallet.code_of(wallet.fetch_offer(offer["offer_uri"])))


def _refused(response: Any, error: str, code: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error, response.json()
    assert response.json()["code"] == code, response.json()


def _cnf_thumbprints(body: dict[str, Any]) -> set[str]:
    from did.keys import PublicKey

    out = set()
    for item in body["credentials"]:
        payload = parse_jws(item["credential"].split("~")[0]).payload
        out.add(PublicKey.from_jwk(payload["cnf"]["jwk"]).thumbprint())
    return out


def test_metadata_advertises_the_policy(client: TestClient) -> None:
    configs = client.get("/.well-known/openid-credential-issuer").json()[
        "credential_configurations_supported"
    ]
    address = configs[ADDRESS]["proof_types_supported"]
    assert address["jwt"]["key_attestations_required"] == {
        "key_storage": ["iso_18045_high", "iso_18045_moderate"]
    }
    assert address["attestation"]["key_attestations_required"] == {
        "key_storage": ["iso_18045_high", "iso_18045_moderate"]
    }
    # §12.2.4: "If the Credential Issuer does not require a key attestation, this parameter
    # MUST NOT be present" for the jwt proof type of the other types.
    assert (
        "key_attestations_required"
        not in configs["foundational-id"]["proof_types_supported"]["jwt"]
    )


def test_no_attestation_proof_type_without_anchors(data_dir: Path, clock: Clock) -> None:
    with TestClient(create_app(make_settings(data_dir), clock=clock)) as plain:
        configs = plain.get("/.well-known/openid-credential-issuer").json()[
            "credential_configurations_supported"
        ]
    assert set(configs[ADDRESS]["proof_types_supported"]) == {"jwt"}


def test_key_attestation_missing_where_required(
    client: TestClient, provider: WalletProvider
) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    nonce = wallet.nonce()
    key = PrivateKey.generate()
    response = wallet.request_credentials(
        token, ADDRESS, [make_proof(key, aud=ISSUER, nonce=nonce)]
    )
    _refused(response, "invalid_proof", "key_attestation_required")
    # Nothing was spent: the same nonce works with an attestation.
    attestation = provider.attest([key.public_key], nonce=nonce, now=wallet_now())
    proof = make_proof(key, aud=ISSUER, nonce=nonce, header={"key_attestation": attestation})
    assert wallet.request_credentials(token, ADDRESS, [proof]).status_code == 200


def wallet_now() -> int:
    import time

    return int(time.time())


def test_one_credential_per_attested_key_and_levels_recorded(
    client: TestClient, provider: WalletProvider
) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    nonce = wallet.nonce()
    keys = [PrivateKey.generate() for _ in range(3)]
    attestation = provider.attest([k.public_key for k in keys], nonce=nonce, now=wallet_now())
    proof = make_proof(keys[0], aud=ISSUER, nonce=nonce, header={"key_attestation": attestation})
    response = wallet.request_credentials(token, ADDRESS, [proof])
    assert response.status_code == 200, response.text
    assert _cnf_thumbprints(response.json()) == {k.public_key.thumbprint() for k in keys}
    listed = client.get("/api/v1/credentials", headers=api_key(client, "admin")).json()["items"]
    assert len(listed) == 3
    for item in listed:
        assert item["key_storage"] == ["iso_18045_high"]
        assert "Druk Wallet key attestations" in item["key_attestation_issuer"]


def test_attestation_proof_type(client: TestClient, provider: WalletProvider) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    keys = [PrivateKey.generate() for _ in range(2)]
    attestation = provider.attest(
        [k.public_key for k in keys], nonce=wallet.nonce(), now=wallet_now()
    )
    body = {"credential_configuration_id": ADDRESS, "proofs": {"attestation": [attestation]}}
    response = wallet.credential_response(token, body)
    assert response.status_code == 200, response.text
    assert _cnf_thumbprints(response.json()) == {k.public_key.thumbprint() for k in keys}
    # The c_nonce it carried is spent.
    again = wallet.credential_response(token, body)
    _refused(again, "invalid_nonce", "invalid_nonce")


def test_attestation_proof_two_jwts(client: TestClient, provider: WalletProvider) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    nonce = wallet.nonce()
    one = provider.attest([PrivateKey.generate().public_key], nonce=nonce, now=wallet_now())
    body = {"credential_configuration_id": ADDRESS, "proofs": {"attestation": [one, one]}}
    _refused(wallet.credential_response(token, body), "invalid_proof", "attestation_proof_count")


def test_attestation_proof_without_nonce(client: TestClient, provider: WalletProvider) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    one = provider.attest([PrivateKey.generate().public_key], nonce=None, now=wallet_now())
    body = {"credential_configuration_id": ADDRESS, "proofs": {"attestation": [one]}}
    _refused(wallet.credential_response(token, body), "invalid_proof", "key_attestation_nonce")


def test_key_attestation_untrusted(client: TestClient) -> None:
    stranger = make_wallet_provider("Unknown Wallet")
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    nonce = wallet.nonce()
    key = PrivateKey.generate()
    attestation = stranger.attest([key.public_key], nonce=nonce, now=wallet_now())
    proof = make_proof(key, aud=ISSUER, nonce=nonce, header={"key_attestation": attestation})
    response = wallet.request_credentials(token, ADDRESS, [proof])
    _refused(response, "invalid_proof", "key_attestation_untrusted")


def test_key_attestation_stale_nonce(client: TestClient, provider: WalletProvider) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    old, nonce = wallet.nonce(), wallet.nonce()
    key = PrivateKey.generate()
    attestation = provider.attest([key.public_key], nonce=old, now=wallet_now())
    proof = make_proof(key, aud=ISSUER, nonce=nonce, header={"key_attestation": attestation})
    response = wallet.request_credentials(token, ADDRESS, [proof])
    _refused(response, "invalid_nonce", "key_attestation_nonce")


def test_proof_key_not_in_attested_keys(client: TestClient, provider: WalletProvider) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    nonce = wallet.nonce()
    attestation = provider.attest([PrivateKey.generate().public_key], nonce=nonce, now=wallet_now())
    proof = make_proof(
        PrivateKey.generate(), aud=ISSUER, nonce=nonce, header={"key_attestation": attestation}
    )
    response = wallet.request_credentials(token, ADDRESS, [proof])
    _refused(response, "invalid_proof", "key_attestation_key_not_attested")


def test_key_storage_below_required(client: TestClient, provider: WalletProvider) -> None:
    """Open question Q10: the drukid wallet's honest software-storage URL is refused where the
    type requires ISO 18045 levels."""
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet)
    nonce = wallet.nonce()
    key = PrivateKey.generate()
    attestation = provider.attest(
        [key.public_key], nonce=nonce, now=wallet_now(), key_storage=(SOFTWARE_KEY_STORAGE,)
    )
    proof = make_proof(key, aud=ISSUER, nonce=nonce, header={"key_attestation": attestation})
    response = wallet.request_credentials(token, ADDRESS, [proof])
    _refused(response, "invalid_proof", "key_storage_insufficient")


def test_invalid_key_attestation_refused_when_optional(
    client: TestClient, provider: WalletProvider
) -> None:
    """ "Verified when present": the foundational ID does not require one, yet an expired one
    is refused."""
    wallet = WalletClient(client, issuer=ISSUER)
    token = _token(client, wallet, "foundational-id")
    nonce = wallet.nonce()
    key = PrivateKey.generate()
    attestation = provider.attest(
        [key.public_key], nonce=nonce, now=wallet_now(), exp=wallet_now() - 3600
    )
    proof = make_proof(key, aud=ISSUER, nonce=nonce, header={"key_attestation": attestation})
    response = wallet.request_credentials(token, "foundational-id", [proof])
    _refused(response, "invalid_proof", "key_attestation_expired")
    plain = make_proof(key, aud=ISSUER, nonce=nonce)
    assert wallet.request_credentials(token, "foundational-id", [plain]).status_code == 200


def test_key_attestation_legacy_typ(
    data_dir: Path, clock: Clock, provider: WalletProvider, tmp_path: Path
) -> None:
    anchor = provider.write_anchor(tmp_path / "ca.pem")
    for switch, expected in ((False, 400), (True, 200)):
        with _client(
            data_dir / str(switch), clock, anchor, accept_legacy_key_attestation_typ=switch
        ) as app:
            wallet = WalletClient(app, issuer=ISSUER)
            token = _token(app, wallet)
            nonce = wallet.nonce()
            key = PrivateKey.generate()
            attestation = provider.attest(
                [key.public_key], nonce=nonce, now=wallet_now(), typ=LEGACY_KEY_ATTESTATION_TYP
            )
            proof = make_proof(
                key, aud=ISSUER, nonce=nonce, header={"key_attestation": attestation}
            )
            response = wallet.request_credentials(token, ADDRESS, [proof])
            assert response.status_code == expected, response.text
            if not switch:
                assert response.json()["code"] == "key_attestation_typ"


def test_attested_keys_count_against_the_batch_size(
    data_dir: Path, clock: Clock, provider: WalletProvider, tmp_path: Path
) -> None:
    anchor = provider.write_anchor(tmp_path / "ca.pem")
    with _client(data_dir, clock, anchor, batch_size=2) as app:
        wallet = WalletClient(app, issuer=ISSUER)
        token = _token(app, wallet)
        keys = [PrivateKey.generate().public_key for _ in range(3)]
        attestation = provider.attest(keys, nonce=wallet.nonce(), now=wallet_now())
        body = {"credential_configuration_id": ADDRESS, "proofs": {"attestation": [attestation]}}
        response = wallet.credential_response(token, body)
    _refused(response, "invalid_credential_request", "batch_too_large")


def test_required_policy_needs_anchors(data_dir: Path) -> None:
    with pytest.raises(ConfigurationError) as err:
        build_runtime(make_settings(data_dir, key_attestation_required=POLICY))
    assert err.value.code == "key_attestation_anchors_missing"
