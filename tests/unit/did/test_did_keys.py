"""Keys, JWK import/export, thumbprints and key files (did/keys.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from core.encoding import b64url_decode
from did.errors import KeyFormatError
from did.keys import EDDSA, ES256, PrivateKey, PublicKey

VECTORS = json.loads((Path(__file__).parents[2] / "vectors/did/jwk_thumbprint.json").read_text())


@pytest.mark.parametrize("case", VECTORS["valid"], ids=["rfc8037"])
def test_rfc8037_vector(case: dict[str, Any]) -> None:
    private = PrivateKey.from_jwk(case["private_jwk"])
    assert private.to_jwk() == case["private_jwk"]
    public = PublicKey.from_jwk(case["public_jwk"])
    assert private.public_key == public
    assert public.thumbprint() == case["thumbprint"]
    # Ed25519 is deterministic (RFC 8032), so the RFC's signature must come out exactly.
    signing_input = case["signing_input"].encode("ascii")
    signature = b64url_decode(case["signature"])
    assert private.sign_raw(signing_input) == signature
    assert public.verify_raw(signature, signing_input)
    assert not public.verify_raw(signature, signing_input + b"x")


@pytest.mark.parametrize("case", VECTORS["invalid_jwks"], ids=lambda c: c["why"])
def test_jwk_import_rejects(case: dict[str, Any]) -> None:
    with pytest.raises(KeyFormatError) as info:
        PublicKey.from_jwk(case["jwk"])
    assert info.value.code == "invalid_key"


@pytest.mark.parametrize("alg", [ES256, EDDSA])
def test_generate_save_load_round_trip(alg: str, tmp_path: Path) -> None:
    key = PrivateKey.generate(alg)
    path = key.save(tmp_path / "keys" / "issuer.jwk.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = PrivateKey.load(path)
    assert loaded.alg == alg
    assert loaded.public_key == key.public_key
    assert loaded.to_jwk() == key.to_jwk()
    data = b"drukid"
    assert loaded.public_key.verify_raw(key.sign_raw(data), data)
    assert key.to_jwk()["d"] not in repr(loaded)  # the repr shows the thumbprint only


def test_save_replaces_without_widening_permissions(tmp_path: Path) -> None:
    path = tmp_path / "k.jwk.json"
    path.write_text("old")
    path.chmod(0o644)
    PrivateKey.generate().save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["k.jwk.json"]  # no temp file left


@pytest.mark.parametrize("content", ["", "{", "[]", '{"kty":"EC","crv":"P-256"}'])
def test_load_rejects_bad_files(content: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jwk.json"
    path.write_text(content)
    with pytest.raises(KeyFormatError):
        PrivateKey.load(path)
    with pytest.raises(KeyFormatError):
        PrivateKey.load(tmp_path / "missing.jwk.json")


def test_private_jwk_must_match_public_part() -> None:
    one, two = PrivateKey.generate(ES256).to_jwk(), PrivateKey.generate(ES256).to_jwk()
    with pytest.raises(KeyFormatError, match="does not match"):
        PrivateKey.from_jwk({**one, "d": two["d"]})


def test_public_jwk_ignores_private_members_and_thumbprint_ignores_metadata() -> None:
    private = PrivateKey.generate(ES256)
    jwk = private.to_jwk()
    public = PublicKey.from_jwk({**jwk, "kid": "k1", "alg": "ES256", "use": "sig"})
    assert public == private.public_key
    assert public.thumbprint() == private.public_key.thumbprint()
    assert "d" not in public.to_jwk()


def test_unsupported_algorithm() -> None:
    with pytest.raises(KeyFormatError):
        PrivateKey.generate("RS256")
    with pytest.raises(KeyFormatError):
        PublicKey.from_raw("ES384", b"\x02" * 33)
