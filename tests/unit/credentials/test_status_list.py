"""Token Status List (draft-ietf-oauth-status-list-21): vectors, token checks, lookups."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest

from core.encoding import b64url_encode, dumps_compact
from credentials.errors import StatusListError
from credentials.jose import sign_jws
from credentials.status_list import (
    MAX_TTL,
    STATUS_INVALID,
    STATUS_LIST_MEDIA_TYPE,
    STATUS_LIST_TYP,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
    StatusReference,
    create_status_list_token,
    status_name,
    status_of,
    verify_status_list_token,
)
from did.keys import EDDSA, ES256, PrivateKey

VECTORS = Path(__file__).parents[2] / "vectors" / "status_list"
ENCODINGS = sorted(VECTORS.glob("encoding_*.json"))
INVALID = json.loads((VECTORS / "invalid.json").read_text())["invalid"]
TOKEN_EXAMPLE = json.loads((VECTORS / "token_example.json").read_text())

URI = "https://status.drukid.example/lists/7"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return PrivateKey.generate(ES256)


def _token(key: PrivateKey, **claims: Any) -> str:
    payload: dict[str, Any] = {
        "sub": URI,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "ttl": 600,
        "status_list": StatusList(16).to_json(),
    }
    payload.update(claims)
    return sign_jws({k: v for k, v in payload.items() if v is not None}, key, typ=STATUS_LIST_TYP)


def _raises(code: str) -> Any:
    return pytest.raises(StatusListError, match=f"^{code}: ")


# --- spec vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ENCODINGS, ids=lambda p: p.stem)
def test_spec_vector_decodes_exactly(path: Path) -> None:
    vector = json.loads(path.read_text())
    status_list = StatusList.from_json(vector["status_list"])
    assert status_list.bits == vector["status_list"]["bits"]
    assert status_list.size == vector["size"]
    if "byte_array_hex" in vector:
        assert status_list.to_bytes().hex() == vector["byte_array_hex"]
    for idx, value in vector["statuses"].items():
        assert status_list.get(int(idx)) == value, idx
    # "All values that are not mentioned ... can be assumed to be 0": count every non-zero entry.
    documented = sum(1 for value in vector["statuses"].values() if value)
    per_byte = 8 // status_list.bits
    non_zero = sum(
        1
        for byte_index, byte in enumerate(status_list.to_bytes())
        if byte
        for slot in range(per_byte)
        if status_list.get(byte_index * per_byte + slot)
    )
    assert non_zero == documented


@pytest.mark.parametrize("path", ENCODINGS, ids=lambda p: p.stem)
def test_encoder_reproduces_spec_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    rebuilt = StatusList(vector["size"], bits=vector["status_list"]["bits"])
    for idx, value in vector["statuses"].items():
        rebuilt.set(int(idx), value)
    assert rebuilt.to_json() == vector["status_list"]


@pytest.mark.parametrize("case", INVALID, ids=lambda c: c["name"])
def test_invalid_status_list_json_is_rejected(case: dict[str, Any]) -> None:
    with _raises(case["code"]):
        StatusList.from_json(case["status_list"])


# --- the list itself --------------------------------------------------------------------------


def test_least_significant_bit_first_layout() -> None:
    status_list = StatusList(8, bits=2)
    status_list.set(0, 1)
    status_list.set(3, 3)
    status_list.set(4, 2)
    assert status_list.to_bytes() == bytes([0b11000001, 0b00000010])


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_set_overwrites_without_touching_neighbours(bits: int) -> None:
    status_list = StatusList(32, bits=bits)
    top = (1 << bits) - 1
    for idx in range(32):
        status_list.set(idx, top)
    status_list.set(5, 0)
    assert [status_list.get(i) for i in range(4, 7)] == [top, 0, top]


@pytest.mark.parametrize("bits", [0, 3, 5, 16, True, "2"])
def test_constructor_refuses_other_widths(bits: Any) -> None:
    with _raises("invalid_status_list"):
        StatusList(8, bits=bits)


@pytest.mark.parametrize("size", [-1, 1.0, True, "8"])
def test_constructor_refuses_bad_sizes(size: Any) -> None:
    with _raises("invalid_status_list"):
        StatusList(size)


@pytest.mark.parametrize("idx", [-1, 16, 10**9, True, 1.0, "1"])
def test_index_outside_list_is_rejected(idx: Any) -> None:
    status_list = StatusList(16)
    with _raises("status_index_out_of_range"):
        status_list.get(idx)
    with _raises("status_index_out_of_range"):
        status_list.set(idx, 0)


@pytest.mark.parametrize(("bits", "value"), [(1, 2), (2, 4), (4, 16), (8, 256), (8, -1), (1, True)])
def test_value_wider_than_bits_is_rejected(bits: int, value: Any) -> None:
    with _raises("invalid_status_value"):
        StatusList(8, bits=bits).set(0, value)


def test_empty_list_has_no_entries() -> None:
    empty = StatusList.from_json(StatusList(0).to_json())
    assert empty.size == 0
    with _raises("status_index_out_of_range"):
        empty.get(0)


def test_from_bytes_size_counts_whole_entries() -> None:
    assert StatusList.from_bytes(b"\x00\x00\x00", bits=8).size == 3
    assert StatusList.from_bytes(b"\x00\x00\x00", bits=1).size == 24


def test_repr_shows_shape_not_contents() -> None:
    assert repr(StatusList(16, bits=2)) == "StatusList(size=16, bits=2)"


def test_equality_compares_contents() -> None:
    one, two = StatusList(8), StatusList(8)
    assert one == two
    two.set(7, 1)
    assert one != two
    assert one != "StatusList"


# --- zlib bomb (§11.4) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> dict[str, Any]:
    # 100 MB of zeros compressed chunk by chunk, so the test never holds 100 MB either.
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    compressed = b"".join(compressor.compress(chunk) for _ in range(100)) + compressor.flush()
    return {"bits": 1, "lst": b64url_encode(compressed)}


def test_zlib_bomb_is_refused_fast_without_expanding_it(bomb: dict[str, Any]) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with _raises("status_list_too_large"):
            StatusList.from_json(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 40 * 1024 * 1024  # the 16 MiB cap plus slack, never the 100 MB


def test_cap_is_configurable(bomb: dict[str, Any]) -> None:
    with _raises("status_list_too_large"):
        StatusList.from_json(bomb, max_size_bytes=1024)
    exact = StatusList(8 * 1024, bits=1).to_json()
    assert StatusList.from_json(exact, max_size_bytes=1024).size == 8 * 1024
    with _raises("status_list_too_large"):
        StatusList.from_json(exact, max_size_bytes=1023)


# --- Status List Token (§5.1, §8.3) -----------------------------------------------------------


def test_constants() -> None:
    assert (STATUS_VALID, STATUS_INVALID, STATUS_SUSPENDED) == (0, 1, 2)
    assert STATUS_LIST_MEDIA_TYPE == "application/" + STATUS_LIST_TYP


@pytest.mark.parametrize("alg", [ES256, EDDSA])
def test_create_then_verify_round_trip(alg: str) -> None:
    key = PrivateKey.generate(alg)
    status_list = StatusList(1000, bits=2)
    status_list.set(42, STATUS_SUSPENDED)
    token = create_status_list_token(
        status_list, uri=URI, key=key, iat=NOW, exp=NOW + 86400, ttl=3600, kid="k1"
    )
    verified = verify_status_list_token(token, key.public_key, uri=URI, now=NOW + 5)
    assert (verified.sub, verified.iat, verified.exp, verified.ttl) == (URI, NOW, NOW + 86400, 3600)
    assert verified.header == {"alg": alg, "typ": STATUS_LIST_TYP, "kid": "k1"}
    assert verified.status_list == status_list
    assert verified.iss is None
    assert status_of(verified, StatusReference(42, URI)) == STATUS_SUSPENDED
    assert status_of(verified, StatusReference(41, URI)) == STATUS_VALID


def test_spec_token_example_claims_verify(key: PrivateKey) -> None:
    payload = TOKEN_EXAMPLE["payload"]
    token = sign_jws(payload, key, typ=TOKEN_EXAMPLE["header"]["typ"], kid="12")
    verified = verify_status_list_token(token, key.public_key, uri=payload["sub"], now=1686920170)
    assert verified.ttl == 43200
    assert verified.exp == 2291720170
    assert [status_of(verified, StatusReference(i, payload["sub"])) for i in range(4)] == [
        1,
        0,
        0,
        1,
    ]


def test_optional_exp_and_ttl(key: PrivateKey) -> None:
    token = create_status_list_token(StatusList(8), uri=URI, key=key, iat=NOW, exp=None, ttl=None)
    verified = verify_status_list_token(token, key.public_key, uri=URI, now=NOW + 10**7)
    assert verified.exp is None
    assert verified.ttl is None


def test_issuer_is_checked_when_asked(key: PrivateKey) -> None:
    token = create_status_list_token(
        StatusList(8), uri=URI, key=key, iat=NOW, exp=None, ttl=None, iss="https://issuer.bt"
    )
    verified = verify_status_list_token(
        token, key.public_key, uri=URI, now=NOW, iss="https://issuer.bt"
    )
    assert verified.iss == "https://issuer.bt"
    with _raises("status_list_issuer_mismatch"):
        verify_status_list_token(token, key.public_key, uri=URI, now=NOW, iss="https://other.bt")
    no_iss = _token(key)
    with _raises("status_list_issuer_mismatch"):
        verify_status_list_token(no_iss, key.public_key, uri=URI, now=NOW, iss="https://issuer.bt")


def test_wrong_typ_is_rejected(key: PrivateKey) -> None:
    token = sign_jws(
        {"sub": URI, "iat": NOW, "status_list": StatusList(8).to_json()}, key, typ="JWT"
    )
    with _raises("invalid_typ"):
        verify_status_list_token(token, key.public_key, uri=URI, now=NOW)


def test_wrong_sub_is_rejected(key: PrivateKey) -> None:
    with _raises("status_list_uri_mismatch"):
        verify_status_list_token(
            _token(key), key.public_key, uri="https://status.drukid.example/lists/8", now=NOW
        )
    with _raises("status_list_uri_mismatch"):
        verify_status_list_token(_token(key, sub=None), key.public_key, uri=URI, now=NOW)


def test_expired_token_is_rejected(key: PrivateKey) -> None:
    token = _token(key, exp=NOW - 61)
    with _raises("status_list_expired"):
        verify_status_list_token(token, key.public_key, uri=URI, now=NOW)
    # inside the clock-skew leeway it is still accepted
    verify_status_list_token(_token(key, exp=NOW - 59), key.public_key, uri=URI, now=NOW)


def test_token_from_the_future_is_rejected(key: PrivateKey) -> None:
    with _raises("status_list_not_yet_valid"):
        verify_status_list_token(_token(key, iat=NOW + 600), key.public_key, uri=URI, now=NOW)
    with _raises("status_list_not_yet_valid"):
        verify_status_list_token(_token(key, nbf=NOW + 600), key.public_key, uri=URI, now=NOW)


def test_missing_or_malformed_iat_is_rejected(key: PrivateKey) -> None:
    with _raises("invalid_status_list"):
        verify_status_list_token(_token(key, iat=None), key.public_key, uri=URI, now=NOW)
    with _raises("invalid_claim"):
        verify_status_list_token(_token(key, iat="yesterday"), key.public_key, uri=URI, now=NOW)


@pytest.mark.parametrize("ttl", [0, -5, MAX_TTL + 1, True, "600", 1.5])
def test_ttl_outside_sanity_bounds_is_rejected(key: PrivateKey, ttl: Any) -> None:
    with _raises("invalid_status_list"):
        verify_status_list_token(_token(key, ttl=ttl), key.public_key, uri=URI, now=NOW)


def test_missing_or_bad_status_list_claim_is_rejected(key: PrivateKey) -> None:
    with _raises("invalid_status_list"):
        verify_status_list_token(_token(key, status_list=None), key.public_key, uri=URI, now=NOW)
    with _raises("invalid_status_list"):
        bad = _token(key, status_list={"bits": 3, "lst": "eNrbuRgAAhcBXQ"})
        verify_status_list_token(bad, key.public_key, uri=URI, now=NOW)


def test_bad_signature_is_rejected(key: PrivateKey) -> None:
    other = PrivateKey.generate(ES256)
    with _raises("invalid_signature"):
        verify_status_list_token(_token(other), key.public_key, uri=URI, now=NOW)
    header, _, signature = _token(key).split(".")
    forged = b64url_encode(dumps_compact({"sub": URI, "iat": NOW, "status_list": {}}).encode())
    with _raises("invalid_signature"):
        verify_status_list_token(f"{header}.{forged}.{signature}", key.public_key, uri=URI, now=NOW)


def test_key_of_another_algorithm_is_rejected(key: PrivateKey) -> None:
    with _raises("algorithm_key_mismatch"):
        verify_status_list_token(
            _token(key), PrivateKey.generate(EDDSA).public_key, uri=URI, now=NOW
        )


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_mac_and_none_algorithms_are_rejected(key: PrivateKey, alg: str) -> None:
    # §5.1 rule 2: relying parties MUST reject a MAC-protected Status List Token.
    header = b64url_encode(dumps_compact({"alg": alg, "typ": STATUS_LIST_TYP}).encode())
    body = b64url_encode(
        dumps_compact({"sub": URI, "iat": NOW, "status_list": StatusList(8).to_json()}).encode()
    )
    secret = key.public_key.raw()  # the classic confusion: the public key used as HMAC secret
    mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    with _raises("algorithm_not_allowed"):
        verify_status_list_token(
            f"{header}.{body}.{b64url_encode(mac)}", key.public_key, uri=URI, now=NOW
        )


def test_garbage_and_oversized_tokens_are_rejected(key: PrivateKey) -> None:
    with _raises("malformed"):
        verify_status_list_token("not-a-token", key.public_key, uri=URI, now=NOW)
    with _raises("too_large"):
        verify_status_list_token(_token(key), key.public_key, uri=URI, now=NOW, max_token_bytes=64)


def test_decompression_cap_applies_to_tokens(key: PrivateKey) -> None:
    token = _token(key, status_list=StatusList(100_000).to_json())
    with _raises("status_list_too_large"):
        verify_status_list_token(token, key.public_key, uri=URI, now=NOW, max_size_bytes=1000)


def test_leeway_is_bounded(key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="leeway"):
        verify_status_list_token(_token(key), key.public_key, uri=URI, now=NOW, leeway=3600)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exp": NOW}, "'exp' must be after 'iat'"),
        ({"ttl": 0}, "'ttl'"),
        ({"ttl": MAX_TTL + 1}, "'ttl'"),
        ({"uri": ""}, "URI"),
    ],
)
def test_create_refuses_inconsistent_tokens(
    key: PrivateKey, kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"uri": URI, "iat": NOW, "exp": NOW + 60, "ttl": 60}
    arguments.update(kwargs)
    with pytest.raises(StatusListError, match=message):
        create_status_list_token(StatusList(8), key=key, **arguments)


# --- lookups ----------------------------------------------------------------------------------


def _verified(key: PrivateKey, size: int = 16) -> Any:
    status_list = StatusList(size, bits=2)
    status_list.set(3, STATUS_INVALID)
    token = create_status_list_token(status_list, uri=URI, key=key, iat=NOW, exp=None, ttl=None)
    return verify_status_list_token(token, key.public_key, uri=URI, now=NOW)


def test_status_of_reads_the_referenced_entry(key: PrivateKey) -> None:
    verified = _verified(key)
    assert status_of(verified, StatusReference(3, URI)) == STATUS_INVALID
    with _raises("status_index_out_of_range"):
        status_of(verified, StatusReference(16, URI))


def test_status_of_refuses_a_list_for_another_uri(key: PrivateKey) -> None:
    with _raises("status_list_uri_mismatch"):
        status_of(_verified(key), StatusReference(3, URI + "/other"))


def test_status_reference_from_claims() -> None:
    claims = {"status": {"status_list": {"idx": 412, "uri": URI}}}
    assert StatusReference.from_claims(claims) == StatusReference(412, URI)
    assert StatusReference.from_claims({"vct": "x"}) is None
    assert StatusReference.from_claims({"status": {"other_mechanism": {}}}) is None


@pytest.mark.parametrize(
    "status",
    [
        "revoked",
        [],
        {"status_list": "https://x"},
        {"status_list": {"uri": URI}},
        {"status_list": {"idx": -1, "uri": URI}},
        {"status_list": {"idx": True, "uri": URI}},
        {"status_list": {"idx": "3", "uri": URI}},
        {"status_list": {"idx": 1.0, "uri": URI}},
        {"status_list": {"idx": 3}},
        {"status_list": {"idx": 3, "uri": ""}},
        {"status_list": {"idx": 3, "uri": 7}},
        {"status_list": {"idx": 3, "uri": f" {URI}"}},
    ],
)
def test_malformed_status_reference_is_rejected(status: Any) -> None:
    with _raises("invalid_status_reference"):
        StatusReference.from_claims({"status": status})


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (0, "valid"),
        (1, "invalid"),
        (2, "suspended"),
        (3, "application_specific_0x03"),
        (0x0C, "application_specific_0x0c"),
        (0x0F, "application_specific_0x0f"),
        (0x04, "unknown_0x04"),
        (0x0B, "unknown_0x0b"),
        (0x10, "unknown_0x10"),
        (255, "unknown_0xff"),
    ],
)
def test_status_names(value: int, name: str) -> None:
    assert status_name(value) == name


@pytest.mark.parametrize("value", [-1, 256, True, "1"])
def test_status_name_refuses_non_values(value: Any) -> None:
    with _raises("invalid_status_value"):
        status_name(value)
