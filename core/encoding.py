"""Byte and JSON encodings shared by every drukid package: the one strict JSON parser.

* base64url without padding (RFC 7515 §2, RFC 4648 §5), decoded strictly: padding, whitespace
  and characters outside the URL-safe alphabet are rejected, so one value has one encoding.
* Strict JSON (RFC 8259 + RFC 7493 I-JSON): duplicate member names, ``NaN``/``Infinity``, numbers
  beyond IEEE 754 double range (``1e400``), unpaired surrogates and over-deep nesting are
  rejected. Python's ``json`` silently keeps the last duplicate, which lets
  an attacker show one value to a checker and another to a consumer.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from core.errors import CodedError

__all__ = [
    "MAX_JSON_DEPTH",
    "EncodingError",
    "b64url_decode",
    "b64url_encode",
    "dumps_compact",
    "parse_json",
]

MAX_JSON_DEPTH = 32
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Allowed last characters by length mod 4: after 2 chars only 4 data bits are used, after 3 only 2.
_CANONICAL_LAST = {0: _ALPHABET, 2: _ALPHABET[::16], 3: _ALPHABET[::4]}


class EncodingError(CodedError):
    """Bytes or text that are not valid base64url or strict JSON. Packages convert it to their
    own error at their boundary (``raise ... from exc``), keeping the ``malformed`` code."""

    code = "malformed"


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise EncodingError("base64url value is not ASCII") from exc
    if not isinstance(text, str):
        raise EncodingError("base64url value must be text")
    # strict_mode rejects characters outside the alphabet; '+', '/' and '=' are standard-base64
    # characters that the translation would otherwise let through.
    if "+" in text or "/" in text or "=" in text or len(text) % 4 == 1:
        raise EncodingError("not a valid unpadded base64url value")
    try:
        raw = binascii.a2b_base64(
            (text + "=" * (-len(text) % 4)).encode("ascii").translate(_TO_STANDARD),
            strict_mode=True,
        )
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise EncodingError("not a valid base64url value") from exc
    # Non-zero trailing bits give a second spelling of the same bytes; refuse it so a token
    # has exactly one textual form (replay caches and sd_hash compare text).
    if text and text[-1] not in _CANONICAL_LAST[len(text) % 4]:
        raise EncodingError("base64url value is not canonically encoded")
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise EncodingError(f"duplicate JSON member name {key!r}")
            seen.add(key)
    return result


def _no_constant(name: str) -> Any:
    raise EncodingError(f"JSON constant {name} is not allowed")


def _finite_float(text: str) -> float:
    # Python maps 1e400 to inf silently; I-JSON (RFC 7493 §2.2) limits numbers to IEEE doubles,
    # and an infinite exp/iat would later crash int() instead of failing as bad input.
    value = float(text)
    if not math.isfinite(value):
        raise EncodingError(f"JSON number {text[:32]} is out of range")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite_float
)


def _lone_surrogate(value: Any) -> bool:
    """True when a string anywhere in ``value`` holds an unpaired UTF-16 surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item  # type: ignore[assignment]
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON text strictly; raises :class:`EncodingError` on anything doubtful."""
    from_bytes = isinstance(data, bytes)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EncodingError("JSON text is not valid UTF-8") from exc
    try:
        value = _DECODER.decode(data)
    except EncodingError:
        raise
    except (ValueError, RecursionError, TypeError) as exc:
        raise EncodingError(f"not valid JSON: {exc}") from exc
    # I-JSON (RFC 7493 §2.1): no unpaired surrogates; they cannot be encoded back to UTF-8, so
    # a value that parsed would fail later, far from the input. Only a "\\u" escape (or a str
    # argument that already holds one; strictly decoded bytes cannot) can produce them.
    suspicious = "\\u" in data or (not from_bytes and not data.isascii())
    if suspicious and _lone_surrogate(value):
        raise EncodingError("JSON text holds an unpaired surrogate")
    # Cheap bound first: nesting can never exceed the number of opening brackets.
    if data.count("{") + data.count("[") > max_depth and _depth_exceeds(value, max_depth):
        raise EncodingError(f"JSON nesting deeper than {max_depth} levels")
    return value


def dumps_compact(value: Any, *, sort_keys: bool = False) -> str:
    """JSON with no insignificant whitespace and no NaN; UTF-8 characters kept as they are."""
    return json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, sort_keys=sort_keys
    )
