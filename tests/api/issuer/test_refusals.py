"""Every documented refusal of the OpenID4VCI flow, each with its registered error value and
status: replayed codes and nonces, proofs for another issuer, expired offers, wrong PINs,
malformed proofs, and tokens used for something they do not cover."""

from __future__ import annotations

from typing import Any

import pytest

from core.encoding import b64url_encode, dumps_compact
from credentials.jose import sign_jws
from did.keys import PrivateKey
from did.methods.jwk import create_did_jwk
from tests.api.issuer.conftest import ISSUER, KARMA, Clock, create_offer
from tests.support.oid4vci_client import PROOF_TYP, WalletClient, make_proof


def _error(response: Any, status: int, error: str, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"]
    assert response.headers["cache-control"] == "no-store"
    if code is not None:
        assert body["code"] == code, body


def _token(client: Any, admin: dict[str, str], wallet: WalletClient, **kw: Any) -> str:
    offer = wallet.fetch_offer(create_offer(client, admin, **kw)["offer_uri"])
    return wallet.token(wallet.code_of(offer))


def test_replayed_pre_authorized_code_is_refused(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    offer = wallet.fetch_offer(create_offer(client, admin)["offer_uri"])
    code = wallet.code_of(offer)
    assert wallet.token_response(code).status_code == 200
    _error(wallet.token_response(code), 400, "invalid_grant", "code_used")


def test_used_offer_document_is_gone(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    created = create_offer(client, admin)
    wallet.receive(created["offer_uri"])
    path = created["credential_offer_uri"].removeprefix(ISSUER)
    _error(client.get(path), 410, "gone", "offer_used")
    _error(client.get(f"{path}/qr.png"), 410, "gone", "offer_used")
    _error(client.get("/offers/" + "A" * 43), 404, "not_found", "offer_not_found")
    _error(client.get("/offers/short"), 404, "not_found", "offer_not_found")


def test_expired_offer_is_refused(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    created = create_offer(client, admin)
    offer = wallet.fetch_offer(created["offer_uri"])
    clock.advance(601)  # default offer lifetime: 10 minutes
    _error(wallet.token_response(wallet.code_of(offer)), 400, "invalid_grant", "code_expired")
    path = created["credential_offer_uri"].removeprefix(ISSUER)
    _error(client.get(path), 410, "gone", "offer_expired")


def test_unknown_code_and_grant_type(client: Any, wallet: WalletClient) -> None:
    _error(wallet.token_response("not-a-code"), 400, "invalid_grant", "unknown_code")
    response = client.post("/token", data={"grant_type": "password", "code": "x"})
    _error(response, 400, "unsupported_grant_type")
    # The authorization code grant is served now (issue #12), and needs a DPoP proof first.
    response = client.post("/token", data={"grant_type": "authorization_code", "code": "x"})
    _error(response, 400, "invalid_dpop_proof", "dpop_missing")
    response = client.post(
        "/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code"}
    )
    _error(response, 400, "invalid_request")
    response = client.post(
        "/token",
        content="grant_type=a&grant_type=b&pre-authorized_code=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _error(response, 400, "invalid_request")
    _error(
        client.post("/token", json={"grant_type": "x"}),
        400,
        "invalid_request",
        "unsupported_media_type",
    )


def test_tx_code_required_unexpected_and_wrong(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    created = create_offer(client, admin, tx_code=True)
    code = wallet.code_of(wallet.fetch_offer(created["offer_uri"]))
    _error(wallet.token_response(code), 400, "invalid_request", "tx_code_required")
    wrong = "0" * 6 if created["tx_code"] != "0" * 6 else "1" * 6
    response = wallet.token_response(code, tx_code=wrong)
    _error(response, 400, "invalid_grant", "tx_code_wrong")
    assert "4 tries left" in response.json()["error_description"]
    assert wallet.token_response(code, tx_code=created["tx_code"]).status_code == 200
    plain = wallet.code_of(wallet.fetch_offer(create_offer(client, admin)["offer_uri"]))
    _error(
        wallet.token_response(plain, tx_code="123456"), 400, "invalid_request", "tx_code_unexpected"
    )


def test_tx_code_attempts_are_capped_then_the_offer_is_burned(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    created = create_offer(client, admin, tx_code=True)
    code = wallet.code_of(wallet.fetch_offer(created["offer_uri"]))
    wrong = "9" * 6 if created["tx_code"] != "9" * 6 else "8" * 6
    for _ in range(4):
        _error(wallet.token_response(code, tx_code=wrong), 400, "invalid_grant", "tx_code_wrong")
    _error(
        wallet.token_response(code, tx_code=wrong),
        400,
        "invalid_grant",
        "tx_code_attempts_exhausted",
    )
    # Even the right PIN is refused now: the offer is burned.
    _error(
        wallet.token_response(code, tx_code=created["tx_code"]),
        400,
        "invalid_grant",
        "tx_code_attempts_exhausted",
    )
    _error(
        client.get(created["credential_offer_uri"].removeprefix(ISSUER)),
        410,
        "gone",
        "offer_burned",
    )


def test_replayed_nonce_is_refused(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    access_token = _token(client, admin, wallet)
    nonce = wallet.nonce()
    key = PrivateKey.generate()
    proof = make_proof(key, aud=ISSUER, nonce=nonce)
    assert wallet.request_credentials(access_token, "foundational-id", [proof]).status_code == 200
    other = _token(client, admin, wallet)
    replay = wallet.request_credentials(
        other, "foundational-id", [make_proof(PrivateKey.generate(), aud=ISSUER, nonce=nonce)]
    )
    _error(replay, 400, "invalid_nonce")
    unknown = make_proof(key, aud=ISSUER, nonce="never-issued")
    _error(wallet.request_credentials(other, "foundational-id", [unknown]), 400, "invalid_nonce")


def test_expired_nonce_is_refused(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    nonce = wallet.nonce()
    clock.advance(301)
    access_token = _token(client, admin, wallet)
    proof = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=nonce, iat=clock())
    _error(
        wallet.request_credentials(access_token, "foundational-id", [proof]), 400, "invalid_nonce"
    )


def _proofs_case(name: str, nonce: str, now: int) -> list[str]:
    key = PrivateKey.generate()
    other = PrivateKey.generate()
    if name == "other_issuer":
        return [make_proof(key, aud="https://evil.example", nonce=nonce)]
    if name == "aud_missing":
        return [
            sign_jws(
                {"iat": now, "nonce": nonce},
                key,
                typ=PROOF_TYP,
                headers={"jwk": key.public_key.to_jwk()},
            )
        ]
    if name == "iat_old":
        return [make_proof(key, aud=ISSUER, nonce=nonce, iat=now - 3600)]
    if name == "iat_future":
        return [make_proof(key, aud=ISSUER, nonce=nonce, iat=now + 3600)]
    if name == "no_nonce":
        return [make_proof(key, aud=ISSUER, nonce=None)]
    if name == "wrong_typ":
        return [make_proof(key, aud=ISSUER, nonce=nonce, typ="JWT")]
    if name == "kb_typ":
        return [make_proof(key, aud=ISSUER, nonce=nonce, typ="kb+jwt")]
    if name == "private_jwk":
        return [
            make_proof(key, aud=ISSUER, nonce=nonce, with_jwk=False, header={"jwk": key.to_jwk()})
        ]
    if name == "two_key_params":
        return [make_proof(key, aud=ISSUER, nonce=nonce, header={"kid": "did:example:123#k"})]
    if name == "x5c":
        return [make_proof(key, aud=ISSUER, nonce=nonce, with_jwk=False, header={"x5c": ["MIIB"]})]
    if name == "no_key":
        return [make_proof(key, aud=ISSUER, nonce=nonce, with_jwk=False)]
    if name == "signature_by_other_key":
        return [
            make_proof(
                key,
                aud=ISSUER,
                nonce=nonce,
                with_jwk=False,
                header={"jwk": other.public_key.to_jwk()},
            )
        ]
    if name == "kid_not_did":
        return [make_proof(key, aud=ISSUER, nonce=nonce, with_jwk=False, header={"kid": "key-1"})]
    if name == "alg_none":
        header = b64url_encode(
            dumps_compact(
                {"alg": "none", "typ": PROOF_TYP, "jwk": key.public_key.to_jwk()}
            ).encode()
        )
        body = b64url_encode(dumps_compact({"aud": ISSUER, "iat": now, "nonce": nonce}).encode())
        return [f"{header}.{body}."]
    if name == "hs256":
        header = b64url_encode(
            dumps_compact(
                {"alg": "HS256", "typ": PROOF_TYP, "jwk": key.public_key.to_jwk()}
            ).encode()
        )
        body = b64url_encode(dumps_compact({"aud": ISSUER, "iat": now, "nonce": nonce}).encode())
        return [f"{header}.{body}.AAAA"]
    if name == "same_key_twice":
        proof = make_proof(key, aud=ISSUER, nonce=nonce)
        return [proof, make_proof(key, aud=ISSUER, nonce=nonce)]
    if name == "different_nonces":
        return [
            make_proof(key, aud=ISSUER, nonce=nonce),
            make_proof(other, aud=ISSUER, nonce=nonce + "x"),
        ]
    if name == "not_a_jwt":
        return ["not.a.jwt"]
    raise AssertionError(name)


BAD_PROOFS = [
    "other_issuer",
    "aud_missing",
    "iat_old",
    "iat_future",
    "no_nonce",
    "wrong_typ",
    "kb_typ",
    "private_jwk",
    "two_key_params",
    "x5c",
    "no_key",
    "signature_by_other_key",
    "kid_not_did",
    "alg_none",
    "hs256",
    "same_key_twice",
    "different_nonces",
    "not_a_jwt",
]


@pytest.mark.parametrize("case", BAD_PROOFS)
def test_bad_proofs_are_invalid_proof(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock, case: str
) -> None:
    access_token = _token(client, admin, wallet)
    nonce = wallet.nonce()
    response = wallet.request_credentials(
        access_token, "foundational-id", _proofs_case(case, nonce, clock())
    )
    _error(response, 400, "invalid_proof")
    # The nonce was not spent by the refused request; a good proof still works with it.
    good = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=nonce)
    assert wallet.request_credentials(access_token, "foundational-id", [good]).status_code == 200


def test_proof_with_did_jwk_kid_is_accepted(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    access_token = _token(client, admin, wallet)
    key = PrivateKey.generate()
    did = create_did_jwk(key.public_key)
    proof = make_proof(
        key, aud=ISSUER, nonce=wallet.nonce(), with_jwk=False, header={"kid": f"{did}#0"}
    )
    response = wallet.request_credentials(access_token, "foundational-id", [proof])
    assert response.status_code == 200, response.text


def test_access_token_rules(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    proof = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=wallet.nonce())
    body = {"credential_configuration_id": "foundational-id", "proofs": {"jwt": [proof]}}
    missing = wallet.credential_response(None, body)
    _error(missing, 401, "invalid_token", "missing_token")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    _error(wallet.credential_response("forged", body), 401, "invalid_token", "unknown_token")
    access_token = _token(client, admin, wallet)
    # A token for one credential type cannot fetch another.
    response = wallet.credential_response(
        access_token, {**body, "credential_configuration_id": "permanent-address"}
    )
    _error(response, 403, "insufficient_scope")
    _error(
        wallet.credential_response(
            access_token, {**body, "credential_configuration_id": "passport"}
        ),
        400,
        "unknown_credential_configuration",
    )
    clock.advance(301)
    _error(wallet.credential_response(access_token, body), 401, "invalid_token", "token_expired")


def test_access_token_use_is_capped(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    access_token = _token(client, admin, wallet)
    for _ in range(3):  # a wallet on a bad link may retry after losing a response
        proof = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=wallet.nonce())
        assert (
            wallet.request_credentials(access_token, "foundational-id", [proof]).status_code == 200
        )
    proof = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=wallet.nonce())
    _error(
        wallet.request_credentials(access_token, "foundational-id", [proof]),
        401,
        "invalid_token",
        "token_used",
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid_credential_request"),
        ([], "invalid_credential_request"),
        ({"credential_configuration_id": "foundational-id"}, "invalid_proof"),
        (
            {"credential_configuration_id": "foundational-id", "proof": {"jwt": "x"}},
            "invalid_proof",
        ),
        (
            {"credential_configuration_id": "foundational-id", "proofs": {"ldp_vp": [{}]}},
            "invalid_proof",
        ),
        (
            {"credential_configuration_id": "foundational-id", "proofs": {"jwt": []}},
            "invalid_proof",
        ),
        (
            {"credential_configuration_id": "foundational-id", "proofs": {"jwt": [1]}},
            "invalid_proof",
        ),
        (
            {"credential_configuration_id": "foundational-id", "proofs": {"jwt": ["a"] * 11}},
            "invalid_credential_request",
        ),
        ({"credential_identifier": "x", "proofs": {"jwt": ["a"]}}, "invalid_credential_request"),
        (
            {
                "credential_configuration_id": "foundational-id",
                "proofs": {"jwt": ["a"]},
                "credential_response_encryption": {},
            },
            # OpenID4VCI 1.0 §8.3.1.2: encryption refusals have their own registered error.
            "invalid_encryption_parameters",
        ),
    ],
)
def test_malformed_credential_requests(
    client: Any, admin: dict[str, str], wallet: WalletClient, body: Any, error: str
) -> None:
    access_token = _token(client, admin, wallet)
    _error(wallet.credential_response(access_token, body), 400, error)


def test_notification_refusals(client: Any, admin: dict[str, str], wallet: WalletClient) -> None:
    received = wallet.receive(create_offer(client, admin)["offer_uri"])
    other = wallet.receive(create_offer(client, admin, cid="10711001234")["offer_uri"])
    # Another wallet's notification id is not this token's.
    _error(
        wallet.notify(received.access_token, other.notification_id, "credential_accepted"),
        400,
        "invalid_notification_id",
    )
    _error(
        wallet.notify(received.access_token, received.notification_id, "kept_it"),
        400,
        "invalid_notification_request",
    )
    response = client.post(
        "/notification",
        json={"event": "credential_accepted"},
        headers={"Authorization": f"Bearer {received.access_token}"},
    )
    _error(response, 400, "invalid_notification_request")


def test_offer_for_unknown_or_mismatched_records(client: Any, admin: dict[str, str]) -> None:
    def post(body: dict[str, Any]) -> Any:
        return client.post("/api/v1/offers", json=body, headers=admin)

    _error(
        post({"credential_configuration_id": "foundational-id", "cid": "99999999999"}),
        404,
        "not_found",
        "unknown_person",
    )
    _error(
        post({"credential_configuration_id": "passport", "cid": KARMA}),
        400,
        "invalid_request",
        "unknown_type",
    )
    _error(
        post({"credential_configuration_id": "business-licence", "cid": "11005004567"}),
        400,
        "invalid_request",
        "business_ambiguous",
    )
    _error(
        post(
            {
                "credential_configuration_id": "business-licence",
                "cid": KARMA,
                "licence_number": "BL-2023-04521",
            }
        ),
        400,
        "invalid_request",
        "record_mismatch",
    )
    expired = {
        "licence_number": "BL-2019-00001",
        "business_name": "Old Shop",
        "owner_cid": "11005004567",
        "activity": "Retail",
        "valid_until": "2020-12-31",
    }
    assert (
        client.post("/api/v1/registry/businesses", json=expired, headers=admin).status_code == 201
    )
    _error(
        post(
            {"credential_configuration_id": "business-licence", "licence_number": "BL-2019-00001"}
        ),
        400,
        "credential_request_denied",
        "record_expired",
    )
    _error(
        post({"credential_configuration_id": "foundational-id", "cid": KARMA, "x": 1}),
        400,
        "invalid_request",
    )
