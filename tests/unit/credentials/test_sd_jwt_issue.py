"""Issuer and holder sides of RFC 9901: disclosures (§4.2), claim paths, issuance (§4.1, §4.2.4
-§4.2.6, decoys §4.2.5) and presentation (§4.3, §5.2)."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from core.encoding import b64url_decode, b64url_encode
from credentials.errors import MalformedError, SDJWTError
from credentials.jose import parse_jws
from credentials.sd_jwt import (
    DEFAULT_HASH_ALG,
    HASH_ALGORITHMS,
    SDJWT,
    create_disclosure,
    create_key_binding_jwt,
    decode_sd_jwt,
    digest_of,
    format_claim_path,
    issue_sd_jwt,
    parse_claim_path,
    parse_disclosure,
    present_sd_jwt,
    verify_sd_jwt,
)
from credentials.sd_jwt.disclosure import MIN_SALT_BYTES
from did.keys import PrivateKey

NOW = 1_800_000_000
PERSON: dict[str, Any] = {
    "iss": "https://issuer.example",
    "iat": NOW,
    "sub": "user_42",
    "given_name": "Karma",
    "address": {"street": "Norzin Lam", "locality": "Thimphu", "country": "BT"},
    "nationalities": ["BT", "IN", "NP"],
}


def _counter_bytes() -> Callable[[int], bytes]:
    """A deterministic random source: 0, 1, 2, ... across calls."""
    counter = itertools.count()
    return lambda n: bytes(next(counter) % 256 for _ in range(n))


# --- Disclosures -----------------------------------------------------------------------------


def test_disclosure_salt_has_at_least_128_bits_and_is_fresh() -> None:
    salts = {create_disclosure("a", 1).salt for _ in range(50)}
    assert len(salts) == 50
    assert all(len(b64url_decode(salt)) >= MIN_SALT_BYTES == 16 for salt in salts)


def test_disclosure_encoding_is_base64url_of_compact_utf8_json() -> None:
    disclosure = create_disclosure("name", "Möbius", salt="abc")
    assert b64url_decode(disclosure.encoded) == '["abc","name","Möbius"]'.encode()
    element = create_disclosure(None, {"k": [1, None]}, salt="abc")
    assert b64url_decode(element.encoded) == b'["abc",{"k":[1,null]}]'
    assert element.is_array_element
    assert parse_disclosure(element.encoded) == element


def test_disclosure_random_source_is_injectable() -> None:
    a = create_disclosure("x", 1, random_bytes=_counter_bytes())
    b = create_disclosure("x", 1, random_bytes=_counter_bytes())
    assert a == b
    assert a.salt == b64url_encode(bytes(range(16)))


@pytest.mark.parametrize("name", ["_sd", "...", 5, b"x"])
def test_disclosure_refuses_reserved_or_non_string_names(name: Any) -> None:
    with pytest.raises(SDJWTError) as info:
        create_disclosure(name, 1)
    assert info.value.code == "invalid_claim_name"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), {1, 2}, b"raw"])
def test_disclosure_refuses_non_json_values(value: Any) -> None:
    with pytest.raises(MalformedError):
        create_disclosure("a", value)


@pytest.mark.parametrize("alg", sorted(HASH_ALGORITHMS))
def test_digest_algorithms(alg: str) -> None:
    encoded = create_disclosure("a", 1, salt="s").encoded
    name = alg.replace("sha3-", "sha3_").replace("sha-", "sha")  # IANA name -> hashlib name
    expected = b64url_encode(hashlib.new(name, encoded.encode()).digest())
    assert digest_of(encoded, alg) == expected
    assert parse_disclosure(encoded).digest(alg) == expected


def test_default_hash_is_sha_256() -> None:
    assert DEFAULT_HASH_ALG == "sha-256"
    assert digest_of("abc") == b64url_encode(hashlib.sha256(b"abc").digest())


@pytest.mark.parametrize("alg", ["md5", "sha1", "SHA-256", "sha256", "", None])
def test_unsupported_digest_algorithm(alg: Any) -> None:
    with pytest.raises(SDJWTError) as info:
        digest_of("abc", alg)
    assert info.value.code == "unsupported_sd_alg"


def test_parse_disclosure_refuses_non_text() -> None:
    with pytest.raises(MalformedError) as info:
        parse_disclosure(None)  # type: ignore[arg-type]
    assert info.value.code == "invalid_disclosure"


# --- Claim paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("/address/locality", ("address", "locality")),
        ("/nationalities/0", ("nationalities", "0")),
        ("/a~1b/c~0d", ("a/b", "c~d")),
        ("/~01", ("~1",)),
        ("/", None),
        ("", None),
        ("address", None),
    ],
)
def test_parse_claim_path_text(text: str, path: tuple[Any, ...] | None) -> None:
    if path is None:
        with pytest.raises(MalformedError) as info:
            parse_claim_path(text)
        assert info.value.code == "invalid_path"
    else:
        assert parse_claim_path(text) == path
        assert parse_claim_path(format_claim_path(path)) == path


@pytest.mark.parametrize(
    "path", [(), ("a", -1), ("a", True), ("a", 1.5), ("a", {"x": 1}), ("a", b"x")]
)
def test_parse_claim_path_sequence_refusals(path: tuple[Any, ...]) -> None:
    with pytest.raises(MalformedError) as info:
        parse_claim_path(path)
    assert info.value.code == "invalid_path"


def test_format_claim_path_wildcard() -> None:
    assert format_claim_path(("nationalities", None)) == "/nationalities/*"
    assert parse_claim_path(["a", 0, None]) == ("a", 0, None)


# --- Issuance --------------------------------------------------------------------------------


def test_object_claims_become_sorted_sd_digests(issuer_key: PrivateKey) -> None:
    issued = issue_sd_jwt(PERSON, issuer_key, sd_paths=["/given_name", "/sub", "/address/country"])
    payload = parse_jws(issued.jwt).payload
    by_name = {d.name: d for d in issued.disclosures}
    assert payload["_sd"] == sorted([by_name["given_name"].digest(), by_name["sub"].digest()])
    assert payload["address"]["_sd"] == [by_name["country"].digest()]
    assert "given_name" not in payload
    assert "sub" not in payload
    assert payload["address"]["street"] == "Norzin Lam"
    assert payload["_sd_alg"] == "sha-256"
    assert payload["iss"] == PERSON["iss"]


def test_array_elements_become_placeholders(issuer_key: PrivateKey) -> None:
    issued = issue_sd_jwt(PERSON, issuer_key, sd_paths=["/nationalities/1"])
    (disclosure,) = issued.disclosures
    assert disclosure.is_array_element
    assert disclosure.value == "IN"
    assert parse_jws(issued.jwt).payload["nationalities"] == [
        "BT",
        {"...": disclosure.digest()},
        "NP",
    ]


def test_none_in_a_path_makes_every_element_disclosable(issuer_key: PrivateKey) -> None:
    issued = issue_sd_jwt(PERSON, issuer_key, sd_paths=[("nationalities", None)])
    assert [d.value for d in issued.disclosures] == ["BT", "IN", "NP"]
    assert all("..." in item for item in parse_jws(issued.jwt).payload["nationalities"])


def test_recursive_disclosure_holds_the_childs_digest(issuer_key: PrivateKey) -> None:
    issued = issue_sd_jwt(PERSON, issuer_key, sd_paths=["/address", "/address/street"])
    by_name = {d.name: d for d in issued.disclosures}
    assert by_name["address"].value == {
        "locality": "Thimphu",
        "country": "BT",
        "_sd": [by_name["street"].digest()],
    }
    assert parse_jws(issued.jwt).payload["_sd"] == [by_name["address"].digest()]


def test_no_sd_alg_without_disclosures_unless_non_default(issuer_key: PrivateKey) -> None:
    assert "_sd_alg" not in parse_jws(issue_sd_jwt(PERSON, issuer_key).jwt).payload
    plain_512 = issue_sd_jwt(PERSON, issuer_key, hash_alg="sha-512")
    assert parse_jws(plain_512.jwt).payload["_sd_alg"] == "sha-512"


def test_hash_alg_is_used_for_every_digest(issuer_key: PrivateKey) -> None:
    issued = issue_sd_jwt(PERSON, issuer_key, sd_paths=["/sub"], hash_alg="sha3-256")
    assert parse_jws(issued.jwt).payload["_sd"] == [issued.disclosures[0].digest("sha3-256")]


def test_decoys(issuer_key: PrivateKey) -> None:
    counts = set()
    for _ in range(30):
        issued = issue_sd_jwt(PERSON, issuer_key, sd_paths=["/sub"], decoys=3)
        digests = parse_jws(issued.jwt).payload["_sd"]
        assert digests == sorted(digests)
        assert issued.disclosures[0].digest() in digests
        counts.add(len(digests) - 1)
        verified = verify_sd_jwt(
            issued, issuer_key=issuer_key.public_key, now=NOW, require_key_binding=False
        )
        assert verified.claims["sub"] == "user_42"
    assert counts <= {0, 1, 2, 3}
    assert len(counts) > 1  # the number of decoys varies, so it hides the claim count


def test_no_decoys_by_default_and_none_without_real_digests(issuer_key: PrivateKey) -> None:
    for _ in range(5):
        issued = issue_sd_jwt(PERSON, issuer_key, sd_paths=["/sub"])
        assert parse_jws(issued.jwt).payload["_sd"] == [issued.disclosures[0].digest()]
    plain = issue_sd_jwt(PERSON, issuer_key, decoys=5)
    assert "_sd" not in parse_jws(plain.jwt).payload


def test_headers_and_holder_key(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    issued = issue_sd_jwt(
        PERSON,
        issuer_key,
        typ="example+sd-jwt",
        kid="key-1",
        headers={"x5c": ["MIIB"]},
        holder_key=holder_key.public_key,
    )
    jws = parse_jws(issued.jwt)
    assert jws.header == {"alg": "ES256", "typ": "example+sd-jwt", "kid": "key-1", "x5c": ["MIIB"]}
    assert jws.payload["cnf"] == {"jwk": holder_key.public_key.to_jwk()}
    assert issued.kb_jwt is None
    assert issued.serialize().endswith("~")


@pytest.mark.parametrize(
    "path",
    ["/iss", "/exp", "/nbf", "/cnf", "/cnf/jwk", "/cnf/jwk/x"],
)
def test_validity_and_binding_claims_are_never_disclosable(
    path: str, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    claims = {**PERSON, "exp": NOW + 1, "nbf": NOW, "cnf": {"jwk": holder_key.public_key.to_jwk()}}
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(claims, issuer_key, sd_paths=[path])
    assert info.value.code == "forbidden_selective_disclosure"


@pytest.mark.parametrize(
    "path",
    ["/missing", "/address/zip", "/nationalities/3", "/nationalities/-1", "/nationalities/01",
     "/nationalities/1_0", "/nationalities/+1", "/nationalities/x", "/sub/0", "/address/0"],
)  # fmt: skip
def test_unknown_sd_path(path: str, issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(PERSON, issuer_key, sd_paths=[path])
    assert info.value.code == "unknown_claim_path"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"_sd": ["x"]}, "invalid_claim_name"),
        ({"a": {"...": "x"}}, "invalid_claim_name"),
        ({"a": [{"_sd": []}]}, "invalid_claim_name"),
        ({"_sd_alg": "sha-256"}, "invalid_claim_name"),
    ],
)
def test_reserved_claim_names_are_refused(
    claims: dict[str, Any], code: str, issuer_key: PrivateKey
) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(claims, issuer_key)
    assert info.value.code == code


def test_holder_key_and_cnf_claim_conflict(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt({"cnf": {}}, issuer_key, holder_key=holder_key.public_key)
    assert info.value.code == "invalid_claim_name"


def test_unsupported_hash_alg_at_issuance(issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(PERSON, issuer_key, sd_paths=["/sub"], hash_alg="md5")
    assert info.value.code == "unsupported_sd_alg"


def test_over_deep_claims_are_refused(issuer_key: PrivateKey) -> None:
    claims: dict[str, Any] = {}
    node = claims
    for _ in range(30):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(claims, issuer_key)
    assert info.value.code == "too_deep"


def test_issued_claims_are_not_mutated(issuer_key: PrivateKey) -> None:
    claims = {"a": {"b": [1, 2]}, "c": 3}
    issue_sd_jwt(claims, issuer_key, sd_paths=["/a/b/0", "/a", "/c"])
    assert claims == {"a": {"b": [1, 2]}, "c": 3}


# --- Presentation ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def credential(issuer_key: PrivateKey) -> SDJWT:
    return issue_sd_jwt(
        PERSON,
        issuer_key,
        sd_paths=["/sub", "/given_name", "/address", "/address/street", "/address/country",
                  ("nationalities", None)],
    )  # fmt: skip


def _verified(presentation: SDJWT, key: PrivateKey) -> dict[str, Any]:
    result = verify_sd_jwt(
        presentation.serialize(), issuer_key=key.public_key, now=NOW, require_key_binding=False
    )
    return result.claims


@pytest.mark.parametrize(
    ("disclose", "expected"),
    [
        ([], {"iss": PERSON["iss"], "iat": NOW, "nationalities": []}),
        (["/given_name"], {"iss": PERSON["iss"], "iat": NOW, "nationalities": [],
                           "given_name": "Karma"}),
        (["/address/street"], {"iss": PERSON["iss"], "iat": NOW, "nationalities": [],
                               "address": {"locality": "Thimphu", "street": "Norzin Lam"}}),
        (["/address"], {"iss": PERSON["iss"], "iat": NOW, "nationalities": [],
                        "address": PERSON["address"]}),
        (["/nationalities/1"], {"iss": PERSON["iss"], "iat": NOW, "nationalities": ["IN"]}),
        ([("nationalities", None)], {"iss": PERSON["iss"], "iat": NOW,
                                     "nationalities": ["BT", "IN", "NP"]}),
        (["/nationalities"], {"iss": PERSON["iss"], "iat": NOW,
                              "nationalities": ["BT", "IN", "NP"]}),
        (["/iss"], {"iss": PERSON["iss"], "iat": NOW, "nationalities": []}),
    ],
)  # fmt: skip
def test_presentation_discloses_exactly_what_was_asked(
    disclose: list[Any], expected: dict[str, Any], credential: SDJWT, issuer_key: PrivateKey
) -> None:
    presentation = present_sd_jwt(credential, disclose=disclose)
    assert _verified(presentation, issuer_key) == expected


def test_presentation_keeps_issuance_order(credential: SDJWT) -> None:
    presentation = present_sd_jwt(credential, disclose=["/nationalities/2", "/sub", "/address"])
    order = [d.encoded for d in credential.disclosures]
    sent = [d.encoded for d in presentation.disclosures]
    assert sent == sorted(sent, key=order.index)
    assert len(sent) == 5  # NP, sub, and address with its street and country


def test_present_accepts_text_sdjwt_and_decoded(credential: SDJWT) -> None:
    from_text = present_sd_jwt(credential.serialize(), disclose=["/sub"])
    from_obj = present_sd_jwt(credential, disclose=["/sub"])
    from_decoded = present_sd_jwt(decode_sd_jwt(credential), disclose=["/sub"])
    assert from_text == from_obj == from_decoded


@pytest.mark.parametrize("path", ["/nope", "/nationalities/3", "/nationalities/01", "/sub/x"])
def test_present_unknown_path(path: str, credential: SDJWT) -> None:
    with pytest.raises(SDJWTError) as info:
        present_sd_jwt(credential, disclose=[path])
    assert info.value.code == "unknown_claim_path"


@pytest.mark.parametrize(
    "missing", [{"nonce": None}, {"aud": None}, {"iat": None}, {"nonce": ""}, {"aud": ""}]
)
def test_key_binding_needs_nonce_aud_and_iat(
    missing: dict[str, Any], credential: SDJWT, holder_key: PrivateKey
) -> None:
    arguments: dict[str, Any] = {"nonce": "n", "aud": "https://v.example", "iat": NOW}
    arguments.update(missing)
    with pytest.raises(SDJWTError) as info:
        present_sd_jwt(credential, disclose=["/sub"], holder_key=holder_key, **arguments)
    assert info.value.code == "invalid_key_binding"


def test_key_binding_jwt_content(credential: SDJWT, holder_key: PrivateKey) -> None:
    presentation = SDJWT(credential.jwt, credential.disclosures[:1])
    kb = parse_jws(
        create_key_binding_jwt(
            presentation,
            holder_key,
            nonce="n",
            aud="https://v.example",
            iat=NOW,
            hash_alg="sha-256",
        )
    )
    assert kb.header == {"alg": "ES256", "typ": "kb+jwt"}
    assert kb.payload == {
        "iat": NOW,
        "aud": "https://v.example",
        "nonce": "n",
        "sd_hash": digest_of(presentation.without_key_binding),
    }


def test_represent_drops_the_old_key_binding(
    credential: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    first = present_sd_jwt(
        credential, disclose=["/sub"], holder_key=holder_key, nonce="1", aud="https://a", iat=NOW
    )
    again = present_sd_jwt(first.serialize(), disclose=[])
    assert again.kb_jwt is None
    assert again.disclosures == ()
