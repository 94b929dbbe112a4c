"""did:web identifier mapping and documents (did/methods/web.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from did.errors import DIDError, InvalidDIDError, ResolutionError
from did.keys import PrivateKey
from did.methods.web import (
    create_did_web_document,
    did_web_from_url,
    did_web_to_url,
    parse_did_web_document,
)

VECTORS = json.loads((Path(__file__).parents[2] / "vectors/did/did_web.json").read_text())


@pytest.mark.parametrize("case", VECTORS["to_url"], ids=lambda c: c["did"])
def test_did_web_to_url(case: dict[str, str]) -> None:
    assert did_web_to_url(case["did"]) == case["url"]


@pytest.mark.parametrize("case", VECTORS["from_url"], ids=lambda c: c["url"])
def test_did_web_from_url(case: dict[str, str]) -> None:
    did = did_web_from_url(case["url"])
    assert did == case["did"]
    # Reading the created DID gives back the site, over https.
    assert did_web_to_url(did).startswith("https://")


@pytest.mark.parametrize("case", VECTORS["invalid_did"], ids=lambda c: c["why"])
def test_did_web_rejects(case: dict[str, str]) -> None:
    with pytest.raises(InvalidDIDError) as info:
        did_web_to_url(case["did"])
    assert info.value.code == "invalid_did"


@pytest.mark.parametrize("case", VECTORS["invalid_url"], ids=lambda c: c["why"])
def test_did_web_from_url_rejects(case: dict[str, str]) -> None:
    with pytest.raises(InvalidDIDError) as info:
        did_web_from_url(case["url"])
    assert info.value.code == "invalid_did"


def test_http_url_only_for_development() -> None:
    assert did_web_to_url("did:web:127.0.0.1%3A8000", scheme="http") == (
        "http://127.0.0.1:8000/.well-known/did.json"
    )
    with pytest.raises(ValueError, match="scheme"):
        did_web_to_url("did:web:example.com", scheme="ftp")


def test_create_and_parse_document() -> None:
    signing = PrivateKey.generate("ES256").public_key
    backup = PrivateKey.generate("EdDSA").public_key
    did = "did:web:id.gov.bt:issuer"
    published = create_did_web_document(did, [("key-1", signing), ("#key-2", backup)])
    assert published["id"] == did
    assert published["assertionMethod"] == [f"{did}#key-1", f"{did}#key-2"]
    assert published["authentication"] == published["assertionMethod"]
    document = parse_did_web_document(did, json.dumps(published).encode())
    assert document.find_key("#key-1", relationship="assertionMethod") == signing
    assert document.find_key(f"{did}#key-2") == backup


@pytest.mark.parametrize(
    ("did", "keys"),
    [
        ("did:web:id.gov.bt", []),
        ("did:web:id.gov.bt", [("", None)]),
        ("did:web:id.gov.bt", [("a b", None)]),
        ("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", [("k", None)]),
    ],
)
def test_create_document_rejects(did: str, keys: list[tuple[str, None]]) -> None:
    key = PrivateKey.generate().public_key
    with pytest.raises(InvalidDIDError):
        create_did_web_document(did, [(fragment, key) for fragment, _ in keys])


def test_create_document_rejects_duplicate_fragments() -> None:
    key = PrivateKey.generate().public_key
    with pytest.raises(ResolutionError) as info:
        create_did_web_document("did:web:id.gov.bt", [("k", key), ("k", key)])
    assert info.value.code == "did_document_invalid"


@pytest.mark.parametrize(
    "body", [b"", b"not json", b'{"id": "did:web:a.bt", "id": "did:web:a.bt"}', b"\xff", b"[]"]
)
def test_parse_document_rejects_bad_bodies(body: bytes) -> None:
    with pytest.raises(DIDError) as info:
        parse_did_web_document("did:web:a.bt", body)
    assert info.value.code == "did_document_invalid"
