"""The whole issuance flow over HTTP (ASGI): discovery, the three credential types, batch
issuance, notifications, status changes seen through the signed status list."""

from __future__ import annotations

from typing import Any

import pytest

from credentials.issuer_keys import select_jwk
from credentials.jose import JWS, parse_jws
from credentials.sd_jwt import decode_sd_jwt
from credentials.sd_jwt_vc import VerifiedCredential, verify_sd_jwt_vc
from credentials.status_list import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusReference,
    status_of,
    verify_status_list_token,
)
from did.keys import PublicKey
from servicekit.qr import decode_qr_image
from tests.api.issuer.conftest import DECHEN, ISSUER, KARMA, Clock, create_offer
from tests.support.oid4vci_client import WalletClient


def _verify(client: Any, credential: str, now: int) -> VerifiedCredential:
    keys = client.get("/.well-known/jwt-vc-issuer").json()["jwks"]["keys"]

    def resolve(jws: JWS) -> PublicKey:
        return select_jwk(keys, jws.kid, issuer=ISSUER)

    return verify_sd_jwt_vc(credential, issuer_key=resolve, now=now, require_key_binding=False)


def _status(client: Any, credential: str, now: int) -> int:
    payload = parse_jws(credential.split("~")[0]).payload
    ref = StatusReference.from_claims(payload)
    assert ref is not None
    response = client.get(ref.uri.removeprefix(ISSUER))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/statuslist+jwt"
    token = parse_jws(response.text)
    keys = client.get("/.well-known/jwt-vc-issuer").json()["jwks"]["keys"]
    key = select_jwk(keys, token.kid, issuer=ISSUER)
    verified = verify_status_list_token(response.text, key, uri=ref.uri, now=now, iss=ISSUER)
    assert verified.ttl == 300
    assert verified.exp is not None
    return status_of(verified, ref)


def test_discovery_documents(client: Any) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == ISSUER
    assert metadata["credential_endpoint"] == f"{ISSUER}/credential"
    assert metadata["nonce_endpoint"] == f"{ISSUER}/nonce"
    assert metadata["notification_endpoint"] == f"{ISSUER}/notification"
    configs = metadata["credential_configurations_supported"]
    assert set(configs) == {"foundational-id", "permanent-address", "business-licence"}
    fid = configs["foundational-id"]
    assert fid["format"] == "dc+sd-jwt"
    assert fid["vct"] == f"{ISSUER}/types/foundational-id"
    assert fid["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
    locales = {d["locale"] for d in fid["credential_metadata"]["display"]}
    assert locales == {"en", "dz"}
    oauth = client.get("/.well-known/oauth-authorization-server").json()
    assert oauth["token_endpoint"] == f"{ISSUER}/token"
    assert oauth["pre-authorized_grant_anonymous_access_supported"] is True
    jwks = client.get("/.well-known/jwt-vc-issuer").json()
    assert jwks["issuer"] == ISSUER
    assert len(jwks["jwks"]["keys"]) == 1
    did = client.get("/.well-known/did.json").json()
    assert did["id"] == "did:web:127.0.0.1%3A8101"
    assert did["assertionMethod"] == [f"{did['id']}#{jwks['jwks']['keys'][0]['kid']}"]
    types = client.get("/types/foundational-id").json()
    assert types["vct"] == f"{ISSUER}/types/foundational-id"
    paths = [claim["path"] for claim in types["claims"]]
    assert ["place_of_birth", "dzongkhag"] in paths
    assert ["age_over_18"] in paths
    assert client.get("/types/no-such-type").status_code == 404
    assert "Department of Civil Registration" in client.get("/").text


def test_foundational_id_end_to_end(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    offer = create_offer(client, admin, "foundational-id", cid=KARMA)
    assert offer["offer_uri"].startswith("openid-credential-offer://?credential_offer_uri=")
    received = wallet.receive(offer["offer_uri"])
    credential = received.credentials[0]
    verified = _verify(client, credential, clock())
    claims = verified.claims
    assert claims["cid"] == KARMA
    assert claims["full_name"] == "Karma Wangmo"
    assert claims["birthdate"] == "1994-03-12"
    assert claims["place_of_birth"] == {
        "dzongkhag": "Paro",
        "gewog": "Lungnyi",
        "village": "Bondey",
    }
    assert claims["age_over_18"] is True
    assert claims["age_over_21"] is True
    assert "photo" not in claims  # optional and absent in the record
    assert verified.vct == f"{ISSUER}/types/foundational-id"
    assert verified.holder_key == received.keys[0].public_key
    # Every personal claim, including each part of the place of birth, can be withheld.
    decoded = decode_sd_jwt(credential)
    hidden = {tuple(p) for p in decoded.selectively_disclosable}
    for path in [
        ("cid",),
        ("birthdate",),
        ("age_over_18",),
        ("place_of_birth",),
        ("place_of_birth", "gewog"),
    ]:
        assert path in hidden
    payload = parse_jws(credential.split("~")[0]).payload
    assert {"iss", "vct", "iat", "exp", "cnf", "status"} <= set(payload)
    # Times at day granularity, so they cannot link presentations of batch copies.
    assert payload["iat"] % 86400 == 0
    assert payload["exp"] % 86400 == 0
    assert "birthdate" not in payload
    assert _status(client, credential, clock()) == STATUS_VALID
    assert (
        wallet.notify(
            received.access_token, received.notification_id, "credential_accepted"
        ).status_code
        == 204
    )
    # Notifications are idempotent (§11).
    assert (
        wallet.notify(
            received.access_token, received.notification_id, "credential_accepted"
        ).status_code
        == 204
    )
    listed = client.get("/api/v1/credentials", headers=admin).json()["items"]
    assert listed[0]["wallet_event"] == "credential_accepted"
    assert "credential" not in listed[0]


def test_minor_gets_age_flags_false(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    received = wallet.receive(create_offer(client, admin, cid=DECHEN)["offer_uri"])
    claims = _verify(client, received.credentials[0], clock()).claims
    assert claims["birthdate"] == "2009-09-15"
    expected_adult = clock() >= 1820966400  # 2027-09-15T00:00Z
    assert claims["age_over_18"] is expected_adult
    assert claims["age_over_21"] is False


def test_permanent_address_and_business_licence(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    address = wallet.receive(create_offer(client, admin, "permanent-address")["offer_uri"])
    claims = _verify(client, address.credentials[0], clock()).claims
    assert claims["address"] == {
        "dzongkhag": "Thimphu",
        "gewog": "Chang",
        "village": "Changzamtog",
        "house_number": "CZ-114",
    }
    # Offered by the owner's CID: Karma owns exactly one business.
    licence = wallet.receive(create_offer(client, admin, "business-licence")["offer_uri"])
    verified = _verify(client, licence.credentials[0], clock())
    assert verified.claims["licence_number"] == "BL-2024-00117"
    assert verified.claims["owner_cid"] == KARMA
    assert verified.claims["owner_name"] == "Karma Wangmo"
    assert verified.claims["valid_until"] == "2027-06-30"
    exp = parse_jws(licence.credentials[0].split("~")[0]).payload["exp"]
    assert exp <= 1814486399  # never beyond the end of 2027-06-30 UTC


def test_batch_issuance_binds_each_credential_to_its_own_key(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    received = wallet.receive(create_offer(client, admin)["offer_uri"], keys=4)
    assert len(received.credentials) == 4
    holders, indexes = set(), set()
    for credential, key in zip(received.credentials, received.keys, strict=True):
        verified = _verify(client, credential, clock())
        assert verified.holder_key == key.public_key
        holders.add(key.public_key.thumbprint())
        indexes.add(parse_jws(credential.split("~")[0]).payload["status"]["status_list"]["idx"])
    assert len(holders) == 4
    assert len(indexes) == 4
    assert client.get("/api/v1/credentials", headers=admin).json()["total"] == 4


def test_eddsa_holder_key(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    received = wallet.receive(create_offer(client, admin)["offer_uri"], alg="EdDSA")
    assert (
        _verify(client, received.credentials[0], clock()).holder_key == received.keys[0].public_key
    )


def test_revoke_suspend_reinstate_reach_the_status_list(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    credential = wallet.receive(create_offer(client, admin)["offer_uri"]).credentials[0]
    assert _status(client, credential, clock()) == STATUS_VALID
    credential_id = client.get("/api/v1/credentials", headers=admin).json()["items"][0]["id"]
    base = f"/api/v1/credentials/{credential_id}"
    response = client.post(f"{base}/suspend", headers=admin)
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    assert _status(client, credential, clock()) == STATUS_SUSPENDED
    assert client.post(f"{base}/reinstate", headers=admin).json()["status"] == "valid"
    assert _status(client, credential, clock()) == STATUS_VALID
    assert client.post(f"{base}/revoke", headers=admin).json()["status"] == "revoked"
    assert _status(client, credential, clock()) == STATUS_INVALID
    refused = client.post(f"{base}/reinstate", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["code"] == "status_transition_refused"
    assert _status(client, credential, clock()) == STATUS_INVALID
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=admin).json()["items"]]
    assert actions[:3] == ["credential.revoke", "credential.reinstate", "credential.suspend"]


def test_status_list_token_is_cached_until_something_changes(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    credential = wallet.receive(create_offer(client, admin)["offer_uri"]).credentials[0]
    uri = parse_jws(credential.split("~")[0]).payload["status"]["status_list"]["uri"]
    first = client.get(uri.removeprefix(ISSUER)).text
    assert client.get(uri.removeprefix(ISSUER)).text == first
    credential_id = client.get("/api/v1/credentials", headers=admin).json()["items"][0]["id"]
    client.post(f"/api/v1/credentials/{credential_id}/suspend", headers=admin)
    assert client.get(uri.removeprefix(ISSUER)).text != first
    assert client.get("/status/ffffffffffffffff").status_code == 404


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_offer_qr_codes(client: Any, admin: dict[str, str], fmt: str) -> None:
    offer = create_offer(client, admin)
    path = offer["credential_offer_uri"].removeprefix(ISSUER)
    response = client.get(f"{path}/qr.{fmt}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "image/png" if fmt == "png" else "image/svg+xml"
    )
    if fmt == "png":
        assert decode_qr_image(response.content) == [offer["offer_uri"]]
    else:
        assert response.text.lstrip().startswith("<")
    assert "scan this code" in client.get(f"{path}/page").text


def test_offer_link_is_by_reference_and_small(client: Any, admin: dict[str, str]) -> None:
    offer = create_offer(client, admin, tx_code=True)
    assert len(offer["offer_uri"]) < 200  # a low-version QR code that cheap cameras read
    document = client.get(offer["credential_offer_uri"].removeprefix(ISSUER)).json()
    grant = document["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"]["input_mode"] == "numeric"
    assert grant["tx_code"]["length"] == 6
    assert len(offer["tx_code"]) == 6
    assert offer["tx_code"].isdigit()
