"""did:key (did/methods/key.py) against the W3C CCG test vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from did.errors import DIDError
from did.keys import PrivateKey, PublicKey
from did.methods.key import create_did_key, resolve_did_key
from did.multiformats import b58encode

VECTORS = json.loads((Path(__file__).parents[2] / "vectors/did/did_key.json").read_text())


def _private(case: dict[str, Any]) -> PrivateKey:
    if case["alg"] == "EdDSA":
        seed = bytes.fromhex(case["seed_hex"])
        return PrivateKey.from_crypto(ed25519.Ed25519PrivateKey.from_private_bytes(seed))
    return PrivateKey.from_jwk({**case["jwk"], "d": case["d"]})


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["did"][8:20])
def test_valid_did_key(case: dict[str, Any]) -> None:
    did = case["did"]
    assert create_did_key(_private(case).public_key) == did

    document = resolve_did_key(did)
    vm_id = f"{did}#{did.removeprefix('did:key:')}"
    assert document.id == did
    assert [vm.id for vm in document.verification_methods] == [vm_id]
    assert document.assertion_method == document.authentication == (vm_id,)
    key = document.find_key(vm_id)
    assert key.alg == case["alg"]
    assert document.find_key("#" + did.removeprefix("did:key:")) == key
    if "jwk" in case:
        assert key.to_jwk() == case["jwk"]
    else:
        assert b58encode(key.raw()) == case["public_key_base58"]
    vm_json = document.to_json()["verificationMethod"][0]
    assert vm_json["type"] == "Multikey"
    assert vm_json["publicKeyMultibase"] == did.removeprefix("did:key:")


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["why"])
def test_invalid_did_key(case: dict[str, str]) -> None:
    with pytest.raises(DIDError) as info:
        resolve_did_key(case["did"])
    assert info.value.code == case["code"]


def test_public_key_equality_is_by_key_not_identity() -> None:
    did = VECTORS["valid"][0]["did"]
    first = resolve_did_key(did).verification_methods[0].public_key
    second = resolve_did_key(did).verification_methods[0].public_key
    assert first == second
    assert isinstance(first, PublicKey)
