"""A minimal deterministic CBOR (RFC 8949) for the offline QR codes: only what they need.

Supported: unsigned and negative integers (major types 0 and 1), byte strings (2), text
strings (3), arrays (4), maps (5) and ``false``/``true``/``null`` (simple values 20-22).
Encoding is "core deterministic" (RFC 8949 §4.2.1): shortest argument forms, definite lengths,
map keys sorted by their encoded bytes. Decoding is strict and accepts only that form: a
non-shortest argument, an indefinite length, a tag, a float, an unsorted or duplicate map key,
trailing bytes, a nesting deeper than :data:`MAX_DEPTH` or more items than the input could
hold all raise :class:`CBORError` (code ``cbor_invalid``), so one value has one encoding and a
hostile input cannot make the decoder allocate more than the input's size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import CodedError

__all__ = ["MAX_DEPTH", "CBORError", "cbor_decode", "cbor_encode"]

MAX_DEPTH = 16
_MAX_INT = 2**64 - 1


class CBORError(CodedError):
    """Not the deterministic CBOR subset this module reads (or a value it cannot write)."""

    code = "cbor_invalid"


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | extra]) + argument.to_bytes(size, "big")
    raise CBORError("integer too large for CBOR")


def _encode(value: Any, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CBORError(f"nested deeper than {MAX_DEPTH}")
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        if not -_MAX_INT - 1 <= value <= _MAX_INT:
            raise CBORError("integer too large for CBOR")
        out += _head(0, value) if value >= 0 else _head(1, -1 - value)
    elif isinstance(value, bytes | bytearray):
        out += _head(2, len(value)) + bytes(value)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        out += _head(3, len(raw)) + raw
    elif isinstance(value, Mapping):
        items = sorted((cbor_encode(key), item) for key, item in value.items())
        out += _head(5, len(items))
        for key, item in items:
            out += key
            _encode(item, out, depth + 1)
    elif isinstance(value, Sequence):
        out += _head(4, len(value))
        for item in value:
            _encode(item, out, depth + 1)
    else:
        raise CBORError(f"cannot encode a {type(value).__name__} as CBOR")


def cbor_encode(value: Any) -> bytes:
    """The deterministic encoding of ``value`` (int, bytes, str, list/tuple, dict, bool, None)."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if size > len(self.data) - self.pos:
            raise CBORError("truncated CBOR")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def argument(self, info: int) -> int:
        if info < 24:
            return info
        if info > 27:
            raise CBORError("indefinite lengths and reserved values are not accepted")
        size = 1 << (info - 24)
        value = int.from_bytes(self.take(size), "big")
        if value < (24 if size == 1 else 1 << (4 * size)):
            raise CBORError("a CBOR argument is not in its shortest form")
        return value

    def item(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CBORError(f"nested deeper than {MAX_DEPTH}")
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            simple = {20: False, 21: True, 22: None}
            if info not in simple:
                raise CBORError("floats and other simple values are not accepted")
            return simple[info]
        if major == 6:
            raise CBORError("CBOR tags are not accepted")
        argument = self.argument(info)
        if major == 0:
            return argument
        if major == 1:
            return -1 - argument
        if major == 2:
            return self.take(argument)
        if major == 3:
            try:
                return self.take(argument).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CBORError("a CBOR text string is not UTF-8") from exc
        # Each array item or map entry takes at least one byte: a count beyond what is left
        # is refused before anything is allocated for it.
        if argument > len(self.data) - self.pos:
            raise CBORError("truncated CBOR")
        if major == 4:
            return [self.item(depth + 1) for _ in range(argument)]
        result: dict[Any, Any] = {}
        previous = b""
        for _ in range(argument):
            start = self.pos
            key = self.item(depth + 1)
            encoded = self.data[start : self.pos]
            if isinstance(key, list | dict):
                raise CBORError("map keys must be integers or strings")
            if encoded <= previous:
                raise CBORError("CBOR map keys must be unique and sorted (deterministic form)")
            previous = encoded
            result[key] = self.item(depth + 1)
        return result


def cbor_decode(data: bytes) -> Any:
    """The value of one deterministic CBOR item filling ``data`` exactly."""
    reader = _Reader(bytes(data))
    value = reader.item(0)
    if reader.pos != len(reader.data):
        raise CBORError("bytes after the CBOR item")
    return value
