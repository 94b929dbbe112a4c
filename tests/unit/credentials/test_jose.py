"""JOSE adapter: RFC 8037 / RFC 7515 vectors, every header rule, strict parsing, JWE."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from core.encoding import b64url_decode, b64url_encode, dumps_compact
from credentials.errors import CredentialError, JOSEError, MalformedError
from credentials.jose import (
    JWS,
    MAX_TOKEN_BYTES,
    check_header,
    decrypt_jwe,
    encrypt_jwe,
    generate_encryption_key,
    parse_json,
    parse_jws,
    public_encryption_jwk,
    sign_jws,
    typ_matches,
    verify_jws,
)
from did.errors import KeyFormatError
from did.keys import EDDSA, ES256, PrivateKey, PublicKey

JOSE = Path(__file__).parents[2] / "vectors" / "jose"
RFC8037 = json.loads((JOSE / "rfc8037_ed25519.json").read_text(encoding="utf-8"))
RFC7515_A3 = json.loads((JOSE / "rfc7515_a3_es256.json").read_text(encoding="utf-8"))
CASES = json.loads((JOSE / "jws_cases.json").read_text(encoding="utf-8"))
ERRORS: dict[str, type[CredentialError]] = {
    "JOSEError": JOSEError,
    "MalformedError": MalformedError,
}


# --- RFC 8037 Appendix A (Ed25519) -----------------------------------------------------------


def test_rfc8037_a1_private_key_imports_and_matches_a2_public_key() -> None:
    private = PrivateKey.from_jwk(RFC8037["private_jwk"])
    assert private.alg == EDDSA
    assert private.public_key.to_jwk() == RFC8037["public_jwk"]
    assert private.public_key.raw().hex() == RFC8037["public_key_hex"]
    assert private.to_jwk() == RFC8037["private_jwk"]


def test_rfc8037_a3_thumbprint() -> None:
    assert PublicKey.from_jwk(RFC8037["public_jwk"]).thumbprint() == RFC8037["thumbprint"]


def test_rfc8037_a4_signature_reproduced_byte_for_byte() -> None:
    """Ed25519 is deterministic: our signer must give exactly the RFC's signature."""
    case = RFC8037["jws"]
    header_b64, payload_b64 = case["signing_input"].split(".")
    assert json.loads(b64url_decode(header_b64)) == case["header"]
    assert b64url_decode(payload_b64).decode() == case["payload_text"]
    signature = PrivateKey.from_jwk(RFC8037["private_jwk"]).sign_raw(
        case["signing_input"].encode("ascii")
    )
    assert b64url_encode(signature) == case["signature"]
    assert f"{case['signing_input']}.{b64url_encode(signature)}" == case["compact"]


def test_rfc8037_a4_header_and_signature_accepted_by_the_verifier_checks() -> None:
    case = RFC8037["jws"]
    public = PublicKey.from_jwk(RFC8037["public_jwk"])
    # The header has no typ: accepted exactly when the caller opts out of the typ check.
    assert check_header(case["header"], algorithms={EDDSA}, typ=None) == EDDSA
    with pytest.raises(JOSEError) as info:
        check_header(case["header"], algorithms={EDDSA}, typ="kb+jwt")
    assert info.value.code == "invalid_typ"
    signing_input = case["signing_input"].encode("ascii")
    assert public.verify_raw(b64url_decode(case["signature"]), signing_input)
    assert not public.verify_raw(b64url_decode(case["signature"]), signing_input + b"x")


def test_rfc8037_a4_is_refused_by_verify_jws_because_its_payload_is_not_json() -> None:
    """verify_jws serves JWTs only: the A.4 payload is plain text, so the token is malformed
    for us even though its signature is valid (checked above)."""
    with pytest.raises(MalformedError) as info:
        verify_jws(RFC8037["jws"]["compact"], PublicKey.from_jwk(RFC8037["public_jwk"]), typ=None)
    assert info.value.code == "malformed"


def test_rfc8037_key_signs_and_verifies_a_typless_json_jws() -> None:
    private = PrivateKey.from_jwk(RFC8037["private_jwk"])
    header_b64 = RFC8037["jws"]["signing_input"].split(".")[0]  # {"alg":"EdDSA"}, no typ
    payload_b64 = b64url_encode(b'{"msg":"Example of Ed25519 signing"}')
    signing_input = f"{header_b64}.{payload_b64}"
    token = f"{signing_input}.{b64url_encode(private.sign_raw(signing_input.encode()))}"
    jws = verify_jws(token, PublicKey.from_jwk(RFC8037["public_jwk"]), typ=None)
    assert jws.header == {"alg": "EdDSA"}
    assert jws.payload == {"msg": "Example of Ed25519 signing"}


# --- RFC 7515 Appendix A.3 (ES256) -----------------------------------------------------------


def test_rfc7515_a3_verifies() -> None:
    jws = verify_jws(RFC7515_A3["compact"], PublicKey.from_jwk(RFC7515_A3["public_jwk"]), typ=None)
    assert jws.header == RFC7515_A3["header"]
    assert jws.payload == RFC7515_A3["payload"]
    assert jws.alg == ES256
    assert jws.kid is None


def test_rfc7515_a3_private_key_matches_public_key() -> None:
    private = PrivateKey.from_jwk(RFC7515_A3["private_jwk"])
    assert private.public_key == PublicKey.from_jwk(RFC7515_A3["public_jwk"])


def test_rfc7515_a3_rejected_under_another_key(other_key: PrivateKey) -> None:
    with pytest.raises(JOSEError) as info:
        verify_jws(RFC7515_A3["compact"], other_key.public_key, typ=None)
    assert info.value.code == "invalid_signature"


def test_rfc7515_a3_rejected_when_restricted_to_eddsa() -> None:
    with pytest.raises(JOSEError) as info:
        verify_jws(
            RFC7515_A3["compact"],
            PublicKey.from_jwk(RFC7515_A3["public_jwk"]),
            typ=None,
            algorithms={EDDSA},
        )
    assert info.value.code == "algorithm_not_allowed"


@pytest.mark.parametrize("part", [0, 1, 2])
def test_rfc7515_a3_any_flipped_character_is_rejected(part: int) -> None:
    parts = RFC7515_A3["compact"].split(".")
    segment = parts[part]
    # Flip a character in the middle: still base64url, but different bytes.
    middle = len(segment) // 2
    parts[part] = (
        segment[:middle] + ("A" if segment[middle] != "A" else "B") + segment[middle + 1 :]
    )
    with pytest.raises(CredentialError) as info:
        verify_jws(".".join(parts), PublicKey.from_jwk(RFC7515_A3["public_jwk"]), typ=None)
    assert info.value.code in {"invalid_signature", "malformed"}
    if part == 2:
        assert info.value.code == "invalid_signature"


def test_non_canonical_signature_encoding_is_refused() -> None:
    """86 base64url characters hold 64 bytes with 4 spare bits; setting them gives a second
    spelling of the same signature, which must not verify (one token, one text)."""
    header, payload, signature = RFC7515_A3["compact"].split(".")
    assert signature[-1] == "Q"  # ...Q = 0b010000: the low 4 bits are zero
    twin = f"{header}.{payload}.{signature[:-1]}R"
    assert b64url_decode(signature) == b64url_decode(signature[:-1] + "Q")
    with pytest.raises(MalformedError):
        verify_jws(twin, PublicKey.from_jwk(RFC7515_A3["public_jwk"]), typ=None)


# --- Data-driven header/payload rules --------------------------------------------------------


def _build(case: dict[str, Any], keys: dict[str, PrivateKey]) -> str:
    header = bytes.fromhex(case["header_hex"]) if "header_hex" in case else case["header"].encode()
    payload = case["payload"].encode("utf-8")
    signing_input = f"{b64url_encode(header)}.{b64url_encode(payload)}".encode("ascii")
    signer = case["signer"]
    if signer == "none":
        signature = b""
    elif signer == "hmac_with_public_key":
        public = keys["verify_key"].public_key
        secret = (
            dumps_compact(public.to_jwk()).encode()
            if case["hmac_secret"] == "jwk"
            else public.raw(compressed=False)
        )
        digest = hashlib.sha512 if "512" in case["header"] else hashlib.sha256
        signature = hmac.new(secret, signing_input, digest).digest()
    else:
        signature = keys[signer].sign_raw(signing_input)
    return f"{signing_input.decode()}.{b64url_encode(signature)}"


@pytest.fixture(scope="module")
def case_keys(issuer_key: PrivateKey, other_key: PrivateKey, ed_key: PrivateKey) -> Any:
    return {"verify_key": issuer_key, "other_es256": other_key, "ed25519": ed_key}


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["id"] for c in CASES["invalid"]])
def test_invalid_jws_is_rejected_with_its_code(
    case: dict[str, Any], case_keys: dict[str, PrivateKey]
) -> None:
    token = _build(case, case_keys)
    with pytest.raises(ERRORS[case["error"]]) as info:
        verify_jws(token, case_keys["verify_key"].public_key, typ=case.get("verify_typ"))
    assert info.value.code == case["code"]


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["id"] for c in CASES["valid"]])
def test_valid_jws_is_accepted(case: dict[str, Any], case_keys: dict[str, PrivateKey]) -> None:
    jws = verify_jws(
        _build(case, case_keys), case_keys["verify_key"].public_key, typ=case.get("verify_typ")
    )
    assert jws.payload == case.get("expected_payload", json.loads(case["payload"]))


def test_hmac_token_is_refused_even_if_hs256_is_in_the_callers_list(
    case_keys: dict[str, PrivateKey],
) -> None:
    case = next(c for c in CASES["invalid"] if c["id"] == "hs256_public_jwk_as_secret")
    with pytest.raises(JOSEError) as info:
        verify_jws(
            _build(case, case_keys),
            case_keys["verify_key"].public_key,
            typ=None,
            algorithms={"HS256", ES256},
        )
    assert info.value.code == "algorithm_not_allowed"


# --- Form of the compact serialization -------------------------------------------------------


@pytest.fixture(scope="module")
def token(issuer_key: PrivateKey) -> str:
    return sign_jws({"sub": "user_42", "iat": 1_800_000_000}, issuer_key, typ="example+jwt")


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda t: t.rsplit(".", 1)[0], id="two_parts"),
        pytest.param(lambda t: t + ".", id="four_parts"),
        pytest.param(lambda t: t.split(".")[0], id="one_part"),
        pytest.param(lambda t: t[: len(t) // 2], id="truncated_in_payload"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: t.replace(".", ". ", 1), id="space_in_token"),
        pytest.param(lambda t: "=" + t, id="padding_character"),
        pytest.param(lambda t: t.replace("e", "+", 1), id="standard_base64_character"),
        pytest.param(lambda t: "é" + t, id="non_ascii"),
    ],
)
def test_malformed_compact_form_is_rejected(
    token: str, mutate: Any, issuer_key: PrivateKey
) -> None:
    with pytest.raises(MalformedError) as info:
        verify_jws(mutate(token), issuer_key.public_key, typ="example+jwt")
    assert info.value.code == "malformed"


@pytest.mark.parametrize("keep", [0, 32, 63])
def test_truncated_signature_is_rejected(token: str, issuer_key: PrivateKey, keep: int) -> None:
    signing_input, signature = token.rsplit(".", 1)
    short = b64url_encode(b64url_decode(signature)[:keep])
    with pytest.raises(JOSEError) as info:
        verify_jws(f"{signing_input}.{short}", issuer_key.public_key, typ="example+jwt")
    assert info.value.code == "invalid_signature"


def test_oversize_token_is_rejected_before_decoding(issuer_key: PrivateKey) -> None:
    big = "A" * (MAX_TOKEN_BYTES + 1)
    with pytest.raises(MalformedError) as info:
        parse_jws(big)
    assert info.value.code == "too_large"
    with pytest.raises(MalformedError) as info:
        parse_jws("x.y.z", max_bytes=4)
    assert info.value.code == "too_large"


def test_token_just_under_the_cap_still_parses(issuer_key: PrivateKey) -> None:
    token = sign_jws({"blob": "x" * 1000}, issuer_key, typ="t")
    assert parse_jws(token, max_bytes=len(token)).payload == {"blob": "x" * 1000}


def test_non_text_token_is_malformed() -> None:
    with pytest.raises(MalformedError):
        parse_jws(b"a.b.c")  # type: ignore[arg-type]


# --- Signing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", [ES256, EDDSA])
def test_sign_then_verify_round_trip(alg: str) -> None:
    key = PrivateKey.generate(alg)
    token = sign_jws({"sub": "ü", "n": [1, 2.5]}, key, typ="example+jwt", kid="k-1")
    jws = verify_jws(token, key.public_key, typ="example+jwt")
    assert jws.header == {"alg": alg, "typ": "example+jwt", "kid": "k-1"}
    assert jws.payload == {"sub": "ü", "n": [1, 2.5]}
    assert jws.kid == "k-1"
    assert jws.compact == token
    assert isinstance(parse_jws(token), JWS)


def test_signature_from_one_key_never_verifies_under_the_other_algorithm(
    issuer_key: PrivateKey, ed_key: PrivateKey
) -> None:
    token = sign_jws({"sub": "a"}, ed_key, typ="t")
    with pytest.raises(JOSEError) as info:
        verify_jws(token, issuer_key.public_key, typ="t")
    assert info.value.code == "algorithm_key_mismatch"


@pytest.mark.parametrize("name", ["alg", "crit", "b64", "jku", "x5u"])
def test_sign_refuses_dangerous_headers(name: str, issuer_key: PrivateKey) -> None:
    with pytest.raises(JOSEError) as info:
        sign_jws({"sub": "a"}, issuer_key, typ="t", headers={name: "x"})
    assert info.value.code == "invalid_header"


def test_sign_keeps_extra_headers(issuer_key: PrivateKey) -> None:
    token = sign_jws({"sub": "a"}, issuer_key, typ="t", headers={"x5c": ["MII"]})
    assert parse_jws(token).header == {"alg": ES256, "typ": "t", "x5c": ["MII"]}


@pytest.mark.parametrize(
    "payload", [{"exp": float("nan")}, {"exp": float("inf")}, {"k": object()}, {"k": {1, 2}}]
)
def test_sign_refuses_non_json_payload(payload: dict[str, Any], issuer_key: PrivateKey) -> None:
    with pytest.raises(MalformedError):
        sign_jws(payload, issuer_key, typ="t")


@pytest.mark.parametrize(
    ("actual", "expected", "result"),
    [
        ("kb+jwt", "kb+jwt", True),
        ("KB+JWT", "kb+jwt", True),
        ("application/kb+jwt", "kb+jwt", True),
        ("kb+jwt", "application/kb+jwt", True),
        ("Application/DC+SD-JWT", "dc+sd-jwt", True),
        ("vc+sd-jwt", "dc+sd-jwt", False),
        ("text/kb+jwt", "kb+jwt", False),
        ("kb+jwt ", "kb+jwt", False),
        (None, "kb+jwt", False),
        (["kb+jwt"], "kb+jwt", False),
    ],
)
def test_typ_matches(actual: object, expected: str, result: bool) -> None:
    assert typ_matches(actual, expected) is result


def test_check_header_accepts_a_list_of_typs() -> None:
    header = {"alg": ES256, "typ": "vc+sd-jwt"}
    assert check_header(header, algorithms={ES256}, typ=["dc+sd-jwt", "vc+sd-jwt"]) == ES256
    with pytest.raises(JOSEError) as info:
        check_header(header, algorithms={ES256}, typ=["dc+sd-jwt"])
    assert info.value.code == "invalid_typ"


# --- JWE (ECDH-ES + AES-GCM) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def enc_key() -> dict[str, str]:
    return generate_encryption_key(kid="enc-1")


def _public(jwk: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in jwk.items() if k != "d"}


def _protected(token: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(b64url_decode(token.split(".")[0]))
    return result


def _with_header(token: str, **changes: Any) -> str:
    header = _protected(token)
    header.update(changes)
    parts = token.split(".")
    parts[0] = b64url_encode(json.dumps(header).encode())
    return ".".join(parts)


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_jwe_round_trip(enc: str, enc_key: dict[str, str]) -> None:
    token = encrypt_jwe(b'{"vp_token":"x"}', _public(enc_key), enc=enc, headers={"apv": "bm9uY2U"})
    header, plaintext = decrypt_jwe(token, enc_key)
    assert plaintext == b'{"vp_token":"x"}'
    assert header["alg"] == "ECDH-ES"
    assert header["enc"] == enc
    assert header["kid"] == "enc-1"
    assert header["apv"] == "bm9uY2U"


def test_jwe_encrypt_never_sets_zip(enc_key: dict[str, str]) -> None:
    token = encrypt_jwe(b"x", _public(enc_key), headers={"zip": "DEF", "alg": "RSA1_5"})
    assert "zip" not in _protected(token)
    assert _protected(token)["alg"] == "ECDH-ES"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"zip": "DEF"}, "unsupported_zip"),
        ({"crit": ["exp"]}, "unsupported_crit"),
        ({"alg": "RSA-OAEP"}, "algorithm_not_allowed"),
        ({"alg": "dir"}, "algorithm_not_allowed"),
        ({"enc": "A128CBC-HS256"}, "algorithm_not_allowed"),
        ({"alg": ["ECDH-ES"]}, "algorithm_not_allowed"),
        ({"enc": {"x": 1}}, "algorithm_not_allowed"),
    ],
)
def test_jwe_header_rules(changes: dict[str, Any], code: str, enc_key: dict[str, str]) -> None:
    token = _with_header(encrypt_jwe(b"x", _public(enc_key)), **changes)
    with pytest.raises(JOSEError) as info:
        decrypt_jwe(token, enc_key)
    assert info.value.code == code


def test_jwe_for_another_key_fails(enc_key: dict[str, str]) -> None:
    token = encrypt_jwe(b"x", _public(generate_encryption_key()))
    with pytest.raises(JOSEError) as info:
        decrypt_jwe(token, enc_key)
    assert info.value.code == "decryption_failed"


def test_jwe_tampered_ciphertext_fails(enc_key: dict[str, str]) -> None:
    parts = encrypt_jwe(b"hello world", _public(enc_key)).split(".")
    data = bytearray(b64url_decode(parts[3]))
    data[0] ^= 1
    parts[3] = b64url_encode(bytes(data))
    with pytest.raises(JOSEError) as info:
        decrypt_jwe(".".join(parts), enc_key)
    assert info.value.code == "decryption_failed"


def test_jwe_form_and_size(enc_key: dict[str, str]) -> None:
    with pytest.raises(MalformedError):
        decrypt_jwe("a.b.c", enc_key)
    with pytest.raises(MalformedError) as info:
        decrypt_jwe("a" * (MAX_TOKEN_BYTES + 1), enc_key)
    assert info.value.code == "too_large"


def test_jwe_encrypt_refuses_weak_choices(enc_key: dict[str, str], issuer_key: PrivateKey) -> None:
    with pytest.raises(JOSEError) as info:
        encrypt_jwe(b"x", _public(enc_key), enc="A128CBC-HS256")
    assert info.value.code == "algorithm_not_allowed"
    with pytest.raises(JOSEError) as info:
        encrypt_jwe(b"x", PrivateKey.generate(EDDSA).public_key.to_jwk())
    assert info.value.code == "invalid_key"


def test_jose_parse_json_converts_the_error_type() -> None:
    assert parse_json(b'{"a":[1]}') == {"a": [1]}
    with pytest.raises(MalformedError) as info:
        parse_json('{"a":1,"a":2}')
    assert info.value.code == "malformed"


def test_public_encryption_jwk_drops_the_private_part(enc_key: dict[str, str]) -> None:
    public = public_encryption_jwk(enc_key)
    assert "d" not in public
    assert public == _public(enc_key)
    assert decrypt_jwe(encrypt_jwe(b"x", public), enc_key)[1] == b"x"


def test_jwe_encrypt_to_an_invalid_point_fails_cleanly(enc_key: dict[str, str]) -> None:
    broken = dict(_public(enc_key), y=_public(enc_key)["x"])  # not on the curve
    with pytest.raises(JOSEError) as info:
        encrypt_jwe(b"x", broken)
    assert info.value.code == "encryption_failed"


# Encodings of the eight small-order Ed25519 points (with and without the sign bit) and of
# field elements >= p: with such a "public key" OpenSSL accepts R = identity, S = 0 as a
# signature on every message, so the key import must refuse them.
SMALL_ORDER_ED25519 = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]


@pytest.mark.parametrize("point", SMALL_ORDER_ED25519)
def test_small_order_or_non_canonical_ed25519_keys_are_refused(point: str) -> None:
    raw = bytes.fromhex(point)
    with pytest.raises(KeyFormatError):
        PublicKey.from_raw(EDDSA, raw)
    with pytest.raises(KeyFormatError):
        PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)})


def test_forged_signature_for_the_identity_key_never_reaches_verification() -> None:
    identity = bytes.fromhex(SMALL_ORDER_ED25519[2])
    signing_input = b64url_encode(b'{"alg":"EdDSA"}') + "." + b64url_encode(b'{"admin":true}')
    forged = f"{signing_input}.{b64url_encode(identity + bytes(32))}"
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(identity)}
    with pytest.raises(KeyFormatError):
        verify_jws(forged, PublicKey.from_jwk(jwk), typ=None)


def test_rfc8037_key_is_canonical_and_accepted() -> None:
    public = PublicKey.from_jwk(RFC8037["public_jwk"])
    assert PublicKey.from_raw(EDDSA, public.raw()) == public
