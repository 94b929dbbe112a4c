"""The operator's result values: their JSON forms are the operator API's and ``--json``'s
contract, and the HTTP client reads them back into the same values."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

import pytest

from issuer.commands.remote import RemoteOperator
from issuer.operator.api import LocalOperator, OperatorAPI
from issuer.operator.results import (
    ApiKeyInfo,
    AuditEntry,
    CreatedApiKey,
    IssuedCredential,
    KeyRotation,
    NewOffer,
    OfferCredentials,
    OfferItem,
    OfferStatusChange,
    OwnedBusiness,
    Page,
    RegistryChange,
    RegistryMatches,
    SearchHit,
    SigningKeyInfo,
    from_iso,
    iso_time,
    to_json,
)
from issuer.registry import Person

MAY_2025 = 1747038600  # 2025-05-12T08:30:00Z

CREDENTIAL = IssuedCredential(
    id="cred_0a1b",
    credential_configuration_id="foundational-id",
    subject="11512003456",
    offer_ref="off_0123456789abcdef",
    copy=2,
    copies=3,
    status="suspended",
    status_list="9f8e7d6c5b4a3210",
    issued_at=MAY_2025,
    expires_at=MAY_2025 + 86400,
    signing_key="kid-1",
    holder_key_thumbprint="thumb",
    wallet_event=None,
)
PERSON = Person.model_validate(
    {
        "cid": "11512003456",
        "given_name": "Karma",
        "family_name": "Wangmo",
        "gender": "female",
        "birthdate": "1994-03-02",
        "birth_dzongkhag": "Paro",
        "birth_gewog": "Lungnyi",
        "birth_village": "Tsento",
        "dzongkhag": "Thimphu",
        "gewog": "Chang",
        "village": "Motithang",
        "house_number": "12",
    }
)


def test_times_are_seconds_in_values_and_iso_in_json() -> None:
    assert iso_time(MAY_2025) == "2025-05-12T08:30:00Z"
    assert from_iso("2025-05-12T08:30:00Z") == MAY_2025
    assert iso_time(None) is None
    assert from_iso(None) is None
    with pytest.raises(ValueError):
        from_iso(MAY_2025)


def test_issued_credential_json_is_the_contract() -> None:
    assert CREDENTIAL.to_json() == {
        "id": "cred_0a1b",
        "credential_configuration_id": "foundational-id",
        "subject": "11512003456",
        "offer_ref": "off_0123456789abcdef",
        "copy": 2,
        "copies": 3,
        "status": "suspended",
        "status_list": "9f8e7d6c5b4a3210",
        "issued_at": "2025-05-12T08:30:00Z",
        "expires_at": "2025-05-13T08:30:00Z",
        "signing_key": "kid-1",
        "holder_key_thumbprint": "thumb",
        "wallet_event": None,
        "key_storage": [],
        "user_authentication": [],
        "key_attestation_issuer": None,
    }


@pytest.mark.parametrize(
    ("value", "parse"),
    [
        (
            NewOffer("off_1", "foundational-id", "115", "openid://x", "https://i/o/x", "123456", 5),
            NewOffer.from_json,
        ),
        (
            NewOffer("off_1", "foundational-id", "115", "openid://x", "https://i/o/x", None, 5),
            NewOffer.from_json,
        ),
        (CREDENTIAL, IssuedCredential.from_json),
        (OfferStatusChange("off_1", "revoke", 1, (CREDENTIAL,)), OfferStatusChange.from_json),
        (RegistryChange(2, 1), RegistryChange.from_json),
        (CreatedApiKey("k1", "issue", "drk_k1_secret"), CreatedApiKey.from_json),
        (ApiKeyInfo("k1", "admin", "desk 3", MAY_2025, None), ApiKeyInfo.from_json),
        (ApiKeyInfo("k1", "admin", "", MAY_2025, MAY_2025 + 60), ApiKeyInfo.from_json),
        (SigningKeyInfo("kid", "ES256", MAY_2025, None, True, True), SigningKeyInfo.from_json),
        (KeyRotation("kid2", "EdDSA", ("kid1",)), KeyRotation.from_json),
        (
            AuditEntry(7, MAY_2025, "local:root", "offer.create", "off_1", {"tx_code": False}),
            AuditEntry.from_json,
        ),
    ],
)
def test_the_client_reads_back_what_the_api_sends(value: Any, parse: Any) -> None:
    assert parse(value.to_json()) == value


def test_pages_read_back_with_their_items() -> None:
    page = Page((CREDENTIAL,), 0, 50, 1)
    assert page.to_json()["total"] == 1
    assert Page.from_json(page.to_json(), IssuedCredential.from_json) == page
    people = Page((PERSON,), 10, 1, 11)
    assert to_json(people)["items"] == [PERSON.model_dump(mode="json")]
    assert Page.from_json(people.to_json(), Person.model_validate) == people


def test_registry_results_keep_their_json_shapes() -> None:
    business = OwnedBusiness(
        licence_number="bl-2024-00117",
        business_name="Druk Tea",
        owner_cid="11512003456",
        activity="retail",
        valid_until=date(2027, 1, 1),
        owner_name="Karma Wangmo",
    )
    assert business.licence_number == "BL-2024-00117"
    matches = RegistryMatches((PERSON,), (business,), more=False).to_json()
    assert matches["businesses"] == [
        {
            "licence_number": "BL-2024-00117",
            "business_name": "Druk Tea",
            "owner_cid": "11512003456",
            "activity": "retail",
            "valid_until": "2027-01-01",
            "owner_name": "Karma Wangmo",
        }
    ]
    assert SearchHit(PERSON).to_json() == {"kind": "person", **PERSON.model_dump(mode="json")}
    assert SearchHit(business).to_json()["kind"] == "business"
    assert OfferCredentials("off_1", "foundational-id", "115", (CREDENTIAL,)).to_json()[
        "credentials"
    ] == [CREDENTIAL.to_json()]
    assert OfferItem("business-licence", licence_number="BL-1").to_json() == {
        "credential_configuration_id": "business-licence",
        "cid": None,
        "licence_number": "BL-1",
        "tx_code": False,
    }


@pytest.mark.parametrize(
    ("parse", "data"),
    [
        (NewOffer.from_json, {"offer_ref": 1}),
        (IssuedCredential.from_json, {**CREDENTIAL.to_json(), "copies": "3"}),
        (IssuedCredential.from_json, {**CREDENTIAL.to_json(), "issued_at": 5}),
        (RegistryChange.from_json, {"created": True, "updated": 0}),
        (KeyRotation.from_json, {"kid": "k", "alg": "ES256", "retired": [1]}),
        (
            SigningKeyInfo.from_json,
            {**SigningKeyInfo("k", "ES256", 0, None, True, True).to_json(), "active": "yes"},
        ),
        (AuditEntry.from_json, {**AuditEntry(1, 0, "a", "b", "c", {}).to_json(), "detail": []}),
    ],
)
def test_an_unexpected_answer_is_refused_not_guessed(parse: Any, data: Any) -> None:
    with pytest.raises((KeyError, ValueError)):
        parse(data)


def test_secrets_stay_out_of_reprs() -> None:
    offer = NewOffer(
        "off_1", "foundational-id", "115", "openid://secret", "https://i/o/s", "987654", 5
    )
    key = CreatedApiKey("k1", "admin", "drk_k1_topsecret")
    assert "secret" not in repr(offer)
    assert "987654" not in repr(offer)
    assert "topsecret" not in repr(key)


def _operations(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and name != "close"
    }


@pytest.mark.parametrize("implementation", [LocalOperator, RemoteOperator])
def test_both_implementations_offer_exactly_the_operator_api(implementation: type) -> None:
    """The command line works the same locally and over HTTP: one method per operation, with
    the same parameters, in both."""
    assert _operations(implementation) == _operations(OperatorAPI)
