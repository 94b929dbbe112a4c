"""core.encoding: strict base64url (RFC 4648 §5, RFC 7515 §2) and strict JSON (RFC 8259 +
RFC 7493 I-JSON), the two parsers every token passes through first."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.encoding import (
    MAX_JSON_DEPTH,
    EncodingError,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
)
from core.errors import CodedError

# RFC 4648 §10 test vectors (base64; identical in base64url since no '+' or '/' occurs),
# without padding as RFC 7515 §2 requires.
RFC4648 = [
    (b"", ""),
    (b"f", "Zg"),
    (b"fo", "Zm8"),
    (b"foo", "Zm9v"),
    (b"foob", "Zm9vYg"),
    (b"fooba", "Zm9vYmE"),
    (b"foobar", "Zm9vYmFy"),
]


@pytest.mark.parametrize(("raw", "text"), RFC4648)
def test_rfc4648_vectors(raw: bytes, text: str) -> None:
    assert b64url_encode(raw) == text
    assert b64url_decode(text) == raw
    assert b64url_decode(text.encode("ascii")) == raw


def test_url_safe_alphabet() -> None:
    assert b64url_encode(b"\xfb\xff\xbf") == "-_-_"
    assert b64url_decode("-_-_") == b"\xfb\xff\xbf"


@pytest.mark.parametrize("length", range(40))
def test_round_trip_every_length(length: int) -> None:
    raw = bytes((i * 37 + length) % 256 for i in range(length))
    assert b64url_decode(b64url_encode(raw)) == raw


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Zg==", id="padding"),
        pytest.param("Zm8=", id="single_padding"),
        pytest.param("+/8", id="standard_alphabet"),
        pytest.param("Zm 9v", id="space"),
        pytest.param("Zm9v\n", id="newline"),
        pytest.param("Zm9vY", id="length_1_mod_4"),
        pytest.param("Zh", id="nonzero_trailing_bits_after_2_chars"),
        pytest.param("Zm9", id="nonzero_trailing_bits_after_3_chars"),
        pytest.param("Zm9vYh", id="second_spelling_of_foob"),
        pytest.param("Zm9vYmF", id="second_spelling_of_fooba"),
        pytest.param("Zm9vé", id="non_ascii"),
        pytest.param("Zm9v.", id="dot"),
    ],
)
def test_b64url_rejects(text: str) -> None:
    with pytest.raises(EncodingError) as info:
        b64url_decode(text)
    assert info.value.code == "malformed"
    assert isinstance(info.value, CodedError)


def test_b64url_rejects_non_ascii_bytes_and_non_text() -> None:
    with pytest.raises(EncodingError):
        b64url_decode(b"Zm9v\xff")
    with pytest.raises(EncodingError):
        b64url_decode(42)  # type: ignore[arg-type]


# --- strict JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            '{"a":1,"b":[true,false,null],"c":{"d":"x"}}',
            {"a": 1, "b": [True, False, None], "c": {"d": "x"}},
        ),
        ('"M\\u00f6bius"', "Möbius"),
        ('"\\ud83d\\ude00"', "\U0001f600"),  # a valid surrogate pair
        ("[1.5, -0.0, 1e308, -1e-300]", [1.5, -0.0, 1e308, -1e-300]),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        (' \n{ "a" : 1 } \t', {"a": 1}),
        ('[{"a":1},{"a":2}]', [{"a": 1}, {"a": 2}]),  # same name in sibling objects is fine
    ],
)
def test_parse_json_accepts(text: str, value: Any) -> None:
    assert parse_json(text) == value
    assert parse_json(text.encode("utf-8")) == value


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"a":1,"a":2}', id="duplicate_member"),
        pytest.param('{"a":1,"a":1}', id="duplicate_member_same_value"),
        pytest.param('{"x":{"a":1,"b":2,"a":3}}', id="nested_duplicate"),
        pytest.param('[{"k":1,"k":2}]', id="duplicate_in_array_element"),
        pytest.param('{"a":NaN}', id="nan"),
        pytest.param("[Infinity]", id="infinity"),
        pytest.param("[-Infinity]", id="minus_infinity"),
        pytest.param("[1e400]", id="overflow_to_infinity"),
        pytest.param("[-1e400]", id="overflow_to_minus_infinity"),
        pytest.param('"\\ud800"', id="lone_high_surrogate"),
        pytest.param('"\\udc00"', id="lone_low_surrogate"),
        pytest.param('"\\ude00\\ud83d"', id="reversed_pair"),
        pytest.param('{"\\ud800":1}', id="surrogate_in_member_name"),
        pytest.param("[1,]", id="trailing_comma"),
        pytest.param("{'a':1}", id="single_quotes"),
        pytest.param('{"a":1} x', id="trailing_garbage"),
        pytest.param("", id="empty"),
        pytest.param("[" + "9" * 5000 + "]", id="integer_with_too_many_digits"),
        pytest.param("\ufeff{}", id="byte_order_mark"),
    ],
)
def test_parse_json_rejects(text: str) -> None:
    with pytest.raises(EncodingError) as info:
        parse_json(text)
    assert info.value.code == "malformed"


def test_parse_json_rejects_a_raw_surrogate_in_a_str_argument() -> None:
    with pytest.raises(EncodingError):
        parse_json('"\ud800"')


def test_parse_json_rejects_invalid_utf8_and_non_text() -> None:
    with pytest.raises(EncodingError):
        parse_json(b'"\xff"')
    with pytest.raises(EncodingError):
        parse_json(b'"\xed\xa0\x80"')  # CESU-8 surrogate: not valid UTF-8
    with pytest.raises(EncodingError):
        parse_json(12)  # type: ignore[arg-type]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_depth_limit_is_exact() -> None:
    assert parse_json(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(EncodingError):
        parse_json(_nested(MAX_JSON_DEPTH + 1))
    deep_object = '{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(EncodingError):
        parse_json(deep_object)
    assert parse_json(_nested(3), max_depth=3) == [[[]]]
    with pytest.raises(EncodingError):
        parse_json(_nested(4), max_depth=3)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps(["[" * 100, "{" * 100])
    assert parse_json(text) == ["[" * 100, "{" * 100]
    assert parse_json(json.dumps("[" * 100)) == "[" * 100


def test_recursion_bomb_is_malformed_not_recursion_error() -> None:
    with pytest.raises(EncodingError):
        parse_json(_nested(100_000))


def test_dumps_compact() -> None:
    assert dumps_compact({"b": 1, "a": ["ö", None]}) == '{"b":1,"a":["ö",null]}'
    assert dumps_compact({"b": 1, "a": 2}, sort_keys=True) == '{"a":2,"b":1}'
    with pytest.raises(ValueError, match="JSON compliant"):
        dumps_compact({"x": float("nan")})
    assert parse_json(dumps_compact({"k": [1, "ü", {"n": True}]})) == {"k": [1, "ü", {"n": True}]}
