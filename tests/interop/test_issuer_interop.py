"""Interop: the OpenWallet Foundation ``sd-jwt`` package (an independent SD-JWT implementation)
verifies credentials that the drukid issuer issued through the real OpenID4VCI HTTP flow, and
verifies a key-bound presentation made from one with its own holder code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.holder import SDJWTHolder
from sd_jwt.verifier import SDJWTVerifier
from starlette.testclient import TestClient

from issuer.api.app import create_app
from issuer.operator import OfferItem, local_actor
from tests.api.issuer.conftest import ISSUER, KARMA, make_settings
from tests.support.oid4vci_client import WalletClient


@pytest.fixture
def issued(tmp_path: Path) -> Iterator[tuple[Any, WalletClient]]:
    with TestClient(create_app(make_settings(tmp_path / "issuer"))) as client:
        yield client, WalletClient(client, issuer=ISSUER)


def _issuer_key_callback(client: Any) -> Any:
    jwks = client.get("/.well-known/jwt-vc-issuer").json()
    assert jwks["issuer"] == ISSUER
    by_kid = {key["kid"]: key for key in jwks["jwks"]["keys"]}

    def callback(iss: str, header: dict[str, Any]) -> JWK:
        assert iss == ISSUER  # the key is looked up for the credential's own issuer
        return JWK.from_json(json.dumps(by_kid[header["kid"]]))

    return callback


@pytest.mark.parametrize("type_id", ["foundational-id", "permanent-address", "business-licence"])
def test_independent_verifier_accepts_issued_credentials(
    issued: tuple[Any, WalletClient], type_id: str
) -> None:
    client, wallet = issued
    offer = client.app.state.runtime.operator.offers.create(
        local_actor(), OfferItem(type_id, KARMA)
    )
    credential = wallet.receive(offer.offer_uri).credentials[0]
    verifier = SDJWTVerifier(credential, _issuer_key_callback(client))
    claims = verifier.get_verified_payload()
    assert claims["iss"] == ISSUER
    assert claims["vct"] == f"{ISSUER}/types/{type_id}"
    if type_id == "foundational-id":
        assert claims["cid"] == KARMA
        assert claims["place_of_birth"]["dzongkhag"] == "Paro"
        assert claims["age_over_18"] is True
    elif type_id == "permanent-address":
        assert claims["address"]["house_number"] == "CZ-114"
    else:
        assert claims["owner_name"] == "Karma Wangmo"


def test_independent_holder_presents_with_key_binding(issued: tuple[Any, WalletClient]) -> None:
    client, wallet = issued
    offer = client.app.state.runtime.operator.offers.create(
        local_actor(), OfferItem("foundational-id", KARMA)
    )
    received = wallet.receive(offer.offer_uri)
    holder_key = JWK.from_json(json.dumps(received.keys[0].to_jwk()))
    holder = SDJWTHolder(received.credentials[0])
    holder.create_presentation(
        {"full_name": True, "age_over_18": True},
        nonce="n-4711",
        aud="https://bank.example.bt",
        holder_key=holder_key,
        sign_alg="ES256",
    )
    verifier = SDJWTVerifier(
        holder.sd_jwt_presentation,
        _issuer_key_callback(client),
        expected_aud="https://bank.example.bt",
        expected_nonce="n-4711",
    )
    claims = verifier.get_verified_payload()
    assert claims["full_name"] == "Karma Wangmo"
    assert claims["age_over_18"] is True
    assert "birthdate" not in claims
    assert "cid" not in claims
    # A tampered presentation is refused by the independent verifier too.
    jwt, rest = holder.sd_jwt_presentation.split("~", 1)
    head, body, signature = jwt.split(".")
    forged = f"{head}.{body}.{signature[::-1]}~{rest}"
    with pytest.raises(Exception, match=r"(?i)verif|signature|invalid"):
        SDJWTVerifier(
            forged,
            _issuer_key_callback(client),
            expected_aud="https://bank.example.bt",
            expected_nonce="n-4711",
        )
