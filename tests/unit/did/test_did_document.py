"""DID syntax and strict DID document parsing (did/document.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from did.document import (
    DIDDocument,
    VerificationMethod,
    parse_did,
    split_did_url,
)
from did.errors import InvalidDIDError, ResolutionError
from did.keys import PrivateKey

VECTORS = json.loads((Path(__file__).parents[2] / "vectors/did/did_documents.json").read_text())


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["why"])
def test_valid_documents(case: dict[str, Any]) -> None:
    document = DIDDocument.from_json(case["doc"], expected_id=case["expected_id"])
    assert {vm.id: vm.public_key.alg for vm in document.verification_methods} == case["methods"]
    assert list(document.assertion_method) == case["assertion_method"]
    assert list(document.authentication) == case["authentication"]
    # What we write, we read back identically.
    again = DIDDocument.from_json(document.to_json(), expected_id=case["expected_id"])
    assert again == document


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["why"])
def test_invalid_documents(case: dict[str, Any]) -> None:
    with pytest.raises(ResolutionError) as info:
        DIDDocument.from_json(case["doc"], expected_id=case["expected_id"])
    assert info.value.code == case["code"]


def test_find_key_by_relationship() -> None:
    case = VECTORS["valid"][1]
    document = DIDDocument.from_json(case["doc"], expected_id=case["expected_id"])
    assert document.find_key("#es256", relationship="assertionMethod").alg == "ES256"
    assert document.find_key("#auth", relationship="authentication").alg == "ES256"
    for kid, relationship in [
        ("#auth", "assertionMethod"),  # authentication key may not sign credentials
        ("#es256", "authentication"),
        ("#legacy", None),  # declared but of an unsupported type
        ("#nothing", None),
        ("did:web:other.bt#es256", None),
        ("es256", None),
    ]:
        with pytest.raises(ResolutionError) as info:
            document.find_key(kid, relationship=relationship)
        assert info.value.code == "key_not_found"
    with pytest.raises(ValueError, match="relationship"):
        document.find_key("#es256", relationship="keyAgreement")


def test_document_construction_checks_references() -> None:
    key = PrivateKey.generate().public_key
    vm = VerificationMethod("did:web:a.bt#k", "JsonWebKey2020", "did:web:a.bt", key)
    with pytest.raises(ResolutionError) as info:
        DIDDocument("did:web:a.bt", (vm,), ("did:web:a.bt#other",), ())
    assert info.value.code == "did_document_invalid"
    with pytest.raises(ResolutionError):
        VerificationMethod("did:web:a.bt#k", "RsaVerificationKey2018", "did:web:a.bt", key)


def test_to_json_has_context_per_type() -> None:
    case = VECTORS["valid"][1]
    document = DIDDocument.from_json(case["doc"], expected_id=case["expected_id"])
    assert document.to_json()["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/suites/jws-2020/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://w3id.org/security/jwk/v1",
    ]


@pytest.mark.parametrize(
    ("did", "method", "msid"),
    [
        ("did:web:example.com", "web", "example.com"),
        ("did:example:123456789abcdefghi", "example", "123456789abcdefghi"),
        ("did:web:example.com%3A3000:a", "web", "example.com%3A3000:a"),
    ],
)
def test_parse_did(did: str, method: str, msid: str) -> None:
    assert parse_did(did) == (method, msid)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "did:",
        "did:web",
        "did:web:",
        "DID:web:a",
        "did:Web:a",
        "did:web:a:",
        "did:ex::a",  # DID Core §3.1 allows empty inner segments; we allow none
        "did:web:a b",
        "did:web:a%2",
        "did:web:a%zz",
        "did:web:a/b",
        "did:web:a?b",
        "did:web:é.bt",
        "did:web:" + "a" * 5000,
        " did:web:a",
    ],
)
def test_parse_did_rejects(text: str) -> None:
    with pytest.raises(InvalidDIDError) as info:
        parse_did(text)
    assert info.value.code == "invalid_did"


def test_split_did_url() -> None:
    assert split_did_url("did:web:a.bt") == ("did:web:a.bt", None)
    assert split_did_url("did:web:a.bt#key-1") == ("did:web:a.bt", "key-1")
    for bad in ("did:web:a.bt#", "did:web:a.bt#a b", "did:web:a.bt#a#b", "#key-1"):
        with pytest.raises(InvalidDIDError):
            split_did_url(bad)


def test_limits_on_document_size_and_id() -> None:
    vm = {"type": "JsonWebKey2020", "controller": "did:web:a.bt"}
    many = [{**vm, "id": f"#k{i}", "publicKeyJwk": {"kty": "RSA"}} for i in range(65)]
    with pytest.raises(ResolutionError, match="more than 64"):
        DIDDocument.from_json(
            {"id": "did:web:a.bt", "verificationMethod": many}, expected_id="did:web:a.bt"
        )
    with pytest.raises(ResolutionError) as info:
        DIDDocument.from_json({"id": "not a did"}, expected_id="not a did")
    assert info.value.code == "did_document_invalid"
    with pytest.raises(InvalidDIDError):
        parse_did(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidDIDError):
        split_did_url(b"did:web:a.bt")  # type: ignore[arg-type]
