"""base58btc, multibase, varint and multikey (did/multiformats.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did.errors import InvalidDIDError
from did.keys import PrivateKey
from did.multiformats import (
    MAX_BASE58_CHARS,
    b58decode,
    b58encode,
    decode_multikey,
    decode_varint,
    encode_multikey,
    encode_varint,
    multibase_decode,
    multibase_encode,
)

VECTORS = json.loads((Path(__file__).parents[2] / "vectors/did/base58.json").read_text())


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["base58"] or "empty")
def test_base58_vectors(case: dict[str, str]) -> None:
    raw = bytes.fromhex(case["hex"])
    assert b58encode(raw) == case["base58"]
    assert b58decode(case["base58"]) == raw


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["why"])
def test_base58_rejects(case: dict[str, str]) -> None:
    with pytest.raises(InvalidDIDError) as info:
        b58decode(case["base58"])
    assert info.value.code == "invalid_multibase"


def test_base58_length_cap() -> None:
    with pytest.raises(InvalidDIDError, match="longer than"):
        b58decode("2" * (MAX_BASE58_CHARS + 1))


@given(st.binary(max_size=200))
def test_base58_round_trip(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data
    if data:  # an empty multibase value ("z") carries no key and is refused
        assert multibase_decode(multibase_encode(data)) == data


@given(st.integers(min_value=0, max_value=(1 << 63) - 1))
def test_varint_round_trip(value: int) -> None:
    encoded = encode_varint(value)
    assert decode_varint(encoded + b"\x01\x02") == (value, len(encoded))


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, "00"), (0x7F, "7f"), (0x80, "8001"), (0xED, "ed01"), (0x1200, "8024")],
)
def test_varint_known_values(value: int, encoded: str) -> None:
    # multicodec table: ed25519-pub 0xed -> "ed 01", p256-pub 0x1200 -> "80 24"
    assert encode_varint(value).hex() == encoded


@pytest.mark.parametrize("data", ["", "80", "ff" * 9, "8000", "ed8100"])
def test_varint_rejects_truncated_long_and_padded(data: str) -> None:
    with pytest.raises(InvalidDIDError) as info:
        decode_varint(bytes.fromhex(data))
    assert info.value.code == "invalid_multicodec"


def test_multibase_rejects_other_bases() -> None:
    for value in ("", "z", "mAAAA", "uAAAA", "fdeadbeef", "Z6Mk"):
        with pytest.raises(InvalidDIDError) as info:
            multibase_decode(value)
        assert info.value.code == "invalid_multibase"


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_multikey_round_trip(alg: str) -> None:
    public = PrivateKey.generate(alg).public_key
    value = encode_multikey(public)
    assert value.startswith("zDna" if alg == "ES256" else "z6Mk")
    assert decode_multikey(value) == public
