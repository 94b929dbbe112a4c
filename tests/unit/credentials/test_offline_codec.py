"""The offline QR codes' layers (docs/offline-qr.md): base45 (RFC 9285) and deterministic CBOR
(RFC 8949 §4.2.1) against their RFCs' examples, the deflate cap, multi-part sets in any order,
the presentation's exact round trip, and the signed request's form."""

from __future__ import annotations

import contextlib
import json
import random
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.base45 import Base45Error, b45decode, b45encode
from core.cbor import CBORError, cbor_decode, cbor_encode
from credentials.errors import OfflineCodeError
from credentials.jose import verify_jws
from credentials.offline import (
    OFFLINE_REQUEST_TYP,
    PartCollector,
    create_offline_request,
    encode_presentation,
    join_parts,
    pack,
    parse_offline_request,
    parse_presentation,
    split_parts,
    unpack,
)
from credentials.offline.codec import PART_PREFIX
from did.keys import PrivateKey

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "offline_codec.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", VECTORS["base45"]["valid"], ids=lambda c: c["text"] or "empty")
def test_base45_rfc9285_examples(case: dict[str, str]) -> None:
    raw = bytes.fromhex(case["bytes_hex"])
    assert b45encode(raw) == case["text"]
    assert b45decode(case["text"]) == raw


@pytest.mark.parametrize("text", VECTORS["base45"]["invalid"])
def test_base45_refuses_what_rfc9285_calls_invalid(text: str) -> None:
    with pytest.raises(Base45Error):
        b45decode(text)


def _value(case: dict[str, Any]) -> Any:
    return bytes.fromhex(case["bytes_hex"]) if "bytes_hex" in case else case["value"]


@pytest.mark.parametrize("case", VECTORS["cbor"]["valid"], ids=lambda c: c["hex"])
def test_cbor_rfc8949_appendix_a(case: dict[str, Any]) -> None:
    assert cbor_encode(_value(case)).hex() == case["hex"]
    assert cbor_decode(bytes.fromhex(case["hex"])) == _value(case)


@pytest.mark.parametrize("case", VECTORS["cbor"]["invalid"], ids=lambda c: c["why"])
def test_cbor_refuses_all_but_the_deterministic_subset(case: dict[str, str]) -> None:
    with pytest.raises(CBORError):
        cbor_decode(bytes.fromhex(case["hex"]))


def test_cbor_map_keys_sort_by_their_encoding_and_depth_is_capped() -> None:
    # Deterministic order is bytewise on encoded keys: 10 (0a) before 100 (1864) before "a".
    assert cbor_encode({"a": 0, 100: 0, 10: 0}).hex() == "a30a00186400616100"
    nested: Any = 0
    for _ in range(20):
        nested = [nested]
    with pytest.raises(CBORError):
        cbor_encode(nested)
    with pytest.raises(CBORError):
        cbor_decode(bytes([0x81] * 20 + [0]))
    with pytest.raises(CBORError):
        cbor_encode(1.5)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64 - 1) | st.text() | st.binary(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(0, 99), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_cbor_round_trips(value: Any) -> None:
    assert cbor_decode(cbor_encode(value)) == value


@given(st.binary(max_size=200))
def test_cbor_decoding_arbitrary_bytes_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(CBORError):
        cbor_decode(data)


@given(st.binary(max_size=300))
def test_base45_round_trips(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


def test_unpack_caps_decompression_before_allocating() -> None:
    bomb = "DKR1:" + b45encode(zlib.compress(cbor_encode(b"\0" * 200_000), 9))
    assert len(bomb) < 2048
    with pytest.raises(OfflineCodeError) as raised:
        unpack("DKR1:", bomb, cap=16 * 1024)
    assert raised.value.code == "offline_qr_too_large"
    assert unpack("DKR1:", pack("DKR1:", {"a": 1})) == {"a": 1}
    for damaged in ("DKP1:AB", "DKR1:AB", "DKR1:" + b45encode(b"not zlib"), "DKR1:a"):
        with pytest.raises(OfflineCodeError) as bad:
            unpack("DKR1:", damaged)
        assert bad.value.code == "offline_qr_invalid"


def test_parts_reassemble_in_any_order_and_say_what_is_missing() -> None:
    value = {"n": "x" * 24, "blob": bytes(random.Random(1).randbytes(2500))}
    parts = split_parts(value, body=999)
    assert len(parts) == 4  # 2,500 random bytes, 666 per part
    assert all(p.startswith(PART_PREFIX) and len(p) <= 999 + 20 for p in parts)
    assert all(set(p) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") for p in parts)
    shuffled = parts[:]
    random.Random(2).shuffle(shuffled)
    assert join_parts(shuffled) == value
    collector = PartCollector()
    for part in shuffled[:3]:
        collector.add(part)
    assert collector.progress == "3 of 4 scanned"
    assert not collector.add(shuffled[0])  # the same code scanned twice is not counted twice
    with pytest.raises(OfflineCodeError) as missing:
        collector.value()
    assert missing.value.code == "offline_part_missing"
    assert "3 of 4 scanned; still missing part" in missing.value.message
    other = split_parts({"n": "y" * 24, "blob": b"z" * 3000}, body=999)
    with pytest.raises(OfflineCodeError) as mixed:
        collector.add(other[0])
    assert mixed.value.code == "offline_part_mismatch"


def test_an_altered_part_does_not_add_up() -> None:
    parts = split_parts({"blob": bytes(random.Random(3).randbytes(1500))}, body=999)
    prefix, position, set_id, body = parts[1].split(":", 3)  # base45 itself may hold ":"
    altered = ":".join([prefix, position, set_id, b45encode(bytes(b ^ 1 for b in b45decode(body)))])
    with pytest.raises(OfflineCodeError) as raised:
        join_parts([parts[0], altered, *parts[2:]])
    assert raised.value.code == "offline_part_mismatch"
    for bad in ("DKP1:0/2:ABCDEF01:AA", "DKP1:3/2:ABCDEF01:AA", "DKP1:1/2:abcdef01:AA", "DKP1:x"):
        with pytest.raises(OfflineCodeError) as header:
            PartCollector().add(bad)
        assert header.value.code == "offline_qr_invalid"


SD_JWT = (
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIn0.c2lnbmF0dXJl"
    "~WyJzYWx0IiwiY2lkIiwiMTE1MTIwMDM0NTYiXQ~eyJ0eXAiOiJrYitqd3QifQ.eyJub25jZSI6Im4ifQ.c2ln"
)


def test_a_presentation_round_trips_exactly() -> None:
    parts = encode_presentation("n" * 24, {"national_id": [SD_JWT, SD_JWT[:-3] + "abc"]})
    answer = parse_presentation(parts)
    assert answer.nonce == "n" * 24
    assert answer.vp_token == {"national_id": (SD_JWT, SD_JWT[:-3] + "abc")}
    # base64url with non-zero trailing bits has a second spelling: it cannot be carried exactly
    with pytest.raises(OfflineCodeError):
        encode_presentation("n" * 24, {"q": ["eyJhIjoxfQ.eyJiIjoyfR.c2ln~"]})
    with pytest.raises(OfflineCodeError):
        parse_presentation(split_parts({"n": "n" * 24}))


def test_the_request_is_an_ordinary_jws_with_its_chain_as_der() -> None:
    key = PrivateKey.generate("ES256")
    claims = {
        "client_id": "x509_hash:abc",
        "nonce": "n" * 24,
        "dcql_query": {"credentials": []},
        "purpose": "To check your age.",
        "iat": 1,
        "exp": 2,
    }
    text = create_offline_request(claims, key, x5c=["AQID", "BAUG"])
    assert text.startswith("DKR1:")
    jws = parse_offline_request(text)
    assert jws.header["x5c"] == ["AQID", "BAUG"]
    assert verify_jws(jws, key.public_key, typ=OFFLINE_REQUEST_TYP).payload == claims
    other = create_offline_request({**claims, "nonce": "m" * 24}, key)
    assert "x5c" not in parse_offline_request(other).header
    with pytest.raises(OfflineCodeError):
        create_offline_request({"client_id": "x"}, key)
    for shape in ([b"a", b"b", b"c"], [b"a", b"b", b"c", [b"d"] * 5], {"a": 1}):
        with pytest.raises(OfflineCodeError):
            parse_offline_request(pack("DKR1:", shape))
