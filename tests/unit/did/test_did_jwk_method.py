"""did:jwk (did/methods/jwk.py) against the did:jwk specification examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.encoding import b64url_encode
from did.errors import DIDError
from did.keys import PrivateKey
from did.methods.jwk import create_did_jwk, resolve_did_jwk

VECTORS = json.loads((Path(__file__).parents[2] / "vectors/did/did_jwk.json").read_text())


def _did(case: dict[str, Any]) -> str:
    if "did" in case:
        return str(case["did"])
    return "did:jwk:" + b64url_encode(case["jwk_json"].encode("utf-8"))


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["alg"])
def test_valid_did_jwk(case: dict[str, Any]) -> None:
    did = _did(case)
    document = resolve_did_jwk(did)
    assert document.id == did
    assert [vm.id for vm in document.verification_methods] == [f"{did}#0"]
    assert document.assertion_method == document.authentication == (f"{did}#0",)
    key = document.find_key("#0")
    assert key.alg == case["alg"]
    assert key.to_jwk() == case["jwk"]
    vm = document.to_json()["verificationMethod"][0]
    assert vm["type"] == "JsonWebKey2020"
    assert vm["controller"] == did


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["why"])
def test_invalid_did_jwk(case: dict[str, Any]) -> None:
    with pytest.raises(DIDError) as info:
        resolve_did_jwk(_did(case))
    assert info.value.code == case["code"]


def test_spec_p256_example_is_what_we_create() -> None:
    # The spec example serialises the JWK with sorted members, as create_did_jwk does.
    case = VECTORS["valid"][0]
    key = resolve_did_jwk(case["did"]).find_key("#0")
    assert create_did_jwk(key) == case["did"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_create_resolve_round_trip(alg: str) -> None:
    public = PrivateKey.generate(alg).public_key
    did = create_did_jwk(public)
    assert resolve_did_jwk(did).find_key(did + "#0") == public


def test_kid_inside_the_jwk_is_not_a_reference() -> None:
    did = _did(VECTORS["valid"][1])
    with pytest.raises(DIDError) as info:
        resolve_did_jwk(did).find_key("#ignored")
    assert info.value.code == "key_not_found"
