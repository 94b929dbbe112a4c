"""The layers under every offline QR code (docs/offline-qr.md §2): CBOR (deterministic,
RFC 8949 §4.2.1) → deflate (zlib, RFC 1950/1951) → base45 (RFC 9285) → a versioned prefix, so
the text is all QR alphanumeric characters.

A presentation too large for one code is split into parts ``DKP1:<i>/<n>:<set>:<base45>``:
``i`` counts from 1, ``n`` ≤ :data:`MAX_PARTS`, ``set`` is the first 4 bytes of the SHA-256 of
the whole compressed value (8 upper-case hex digits), so parts of another set are told apart
and a set whose parts were altered does not add up. Parts are accepted in any order
(:class:`PartCollector`), and an incomplete set says which parts are still missing.

Decompression is capped before anything is allocated beyond the cap (the zlib-bomb guard
STANDARDS asks for status lists, applied here too).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

from core.base45 import Base45Error, b45decode, b45encode
from core.cbor import CBORError, cbor_decode, cbor_encode
from credentials.errors import OfflineCodeError

__all__ = [
    "MAX_PARTS",
    "MAX_TEXT",
    "PART_PREFIX",
    "PartCollector",
    "join_parts",
    "pack",
    "split_parts",
    "unpack",
]

PART_PREFIX = "DKP1:"
MAX_PARTS = 16
# One code holds at most this many characters (QR version 40-M holds 3,391 alphanumeric
# characters; drukid's QR drawing refuses more than 2,048).
MAX_TEXT = 2048
# A part's base45 body: 1,000 characters keep each code at version 21 or lower at level M.
PART_BODY = 1000
MAX_INFLATED = 64 * 1024


def _deflate(value: Any) -> bytes:
    return zlib.compress(cbor_encode(value), 9)


def _inflate(data: bytes, cap: int) -> Any:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, cap)
        if inflater.unconsumed_tail or not inflater.eof:
            if inflater.unconsumed_tail:
                raise OfflineCodeError(
                    f"the code's content is larger than {cap} bytes", code="offline_qr_too_large"
                )
            raise OfflineCodeError("the code's content is cut short")
        if inflater.unused_data:
            raise OfflineCodeError("bytes after the code's compressed content")
        return cbor_decode(raw)
    except zlib.error as exc:
        raise OfflineCodeError("the code's content is damaged (deflate)") from exc
    except CBORError as exc:
        raise OfflineCodeError(f"the code's content is damaged ({exc.message})") from exc


def _base45(text: str) -> bytes:
    try:
        return b45decode(text)
    except Base45Error as exc:
        raise OfflineCodeError(f"the code is damaged ({exc.message})") from exc


def pack(prefix: str, value: Any) -> str:
    """``prefix`` + base45(deflate(CBOR(value)))."""
    return prefix + b45encode(_deflate(value))


def unpack(prefix: str, text: str, *, cap: int = MAX_INFLATED) -> Any:
    """The value :func:`pack` packed with ``prefix``; raises :class:`OfflineCodeError`."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise OfflineCodeError(f"an offline code is text of at most {MAX_TEXT} characters")
    if not text.startswith(prefix):
        raise OfflineCodeError(f"this is not a drukid offline code (it must start {prefix})")
    return _inflate(_base45(text[len(prefix) :]), cap)


def _set_id(blob: bytes) -> str:
    return hashlib.sha256(blob).digest()[:4].hex().upper()


def split_parts(value: Any, *, body: int = PART_BODY) -> list[str]:
    """``value`` as one or more part texts (see the module docstring)."""
    blob = _deflate(value)
    step = body // 3 * 2  # base45: 3 characters per 2 bytes
    chunks = [blob[start : start + step] for start in range(0, len(blob), step)]
    if len(chunks) > MAX_PARTS:
        raise OfflineCodeError(
            f"this needs {len(chunks)} codes, more than {MAX_PARTS}; share less",
            code="offline_qr_too_large",
        )
    set_id = _set_id(blob)
    total = len(chunks)
    return [
        f"{PART_PREFIX}{index}/{total}:{set_id}:{b45encode(chunk)}"
        for index, chunk in enumerate(chunks, 1)
    ]


@dataclass(frozen=True, slots=True)
class _Part:
    index: int
    total: int
    set_id: str
    chunk: bytes


def _parse_part(text: str) -> _Part:
    if not isinstance(text, str) or len(text) > MAX_TEXT or not text.startswith(PART_PREFIX):
        raise OfflineCodeError(
            f"this is not a drukid presentation code (it must start {PART_PREFIX})"
        )
    fields = text[len(PART_PREFIX) :].split(":", 2)
    position = fields[0].split("/") if fields else []
    if (
        len(fields) != 3
        or len(position) != 2
        or not all(p.isdigit() and len(p) <= 2 for p in position)
        or len(fields[1]) != 8
        or fields[1].strip("0123456789ABCDEF")
    ):
        raise OfflineCodeError("the presentation code's header is damaged")
    index, total = int(position[0]), int(position[1])
    if not 1 <= index <= total <= MAX_PARTS:
        raise OfflineCodeError(f"the presentation code says part {index} of {total}")
    return _Part(index, total, fields[1], _base45(fields[2]))


@dataclass(slots=True)
class PartCollector:
    """Parts of one set, added in any order. :attr:`progress` says "3 of 4 scanned";
    :meth:`value` returns the whole value or raises ``offline_part_missing``."""

    _parts: dict[int, _Part] = field(default_factory=dict)

    def add(self, text: str) -> bool:
        """Add one part; False when it was already there. A part of another set raises
        ``offline_part_mismatch``."""
        part = _parse_part(text.strip() if isinstance(text, str) else text)
        if self._parts:
            first = next(iter(self._parts.values()))
            if (part.set_id, part.total) != (first.set_id, first.total):
                raise OfflineCodeError(
                    "this code belongs to another answer than the codes scanned before; scan "
                    "the codes of one answer only",
                    code="offline_part_mismatch",
                )
        known = self._parts.get(part.index)
        if known is not None:
            if known != part:
                raise OfflineCodeError(
                    f"two different codes both say they are part {part.index}",
                    code="offline_part_mismatch",
                )
            return False
        self._parts[part.index] = part
        return True

    @property
    def total(self) -> int:
        return next(iter(self._parts.values())).total if self._parts else 0

    @property
    def missing(self) -> list[int]:
        return [i for i in range(1, self.total + 1) if i not in self._parts]

    @property
    def complete(self) -> bool:
        return bool(self._parts) and not self.missing

    @property
    def progress(self) -> str:
        if not self._parts:
            return "no code scanned yet"
        return f"{len(self._parts)} of {self.total} scanned"

    def value(self, *, cap: int = MAX_INFLATED) -> Any:
        if not self.complete:
            missing = ", ".join(map(str, self.missing)) or "all"
            error = OfflineCodeError(
                f"{self.progress}; still missing part {missing}", code="offline_part_missing"
            )
            raise error
        blob = b"".join(self._parts[i].chunk for i in range(1, self.total + 1))
        if _set_id(blob) != next(iter(self._parts.values())).set_id:
            raise OfflineCodeError(
                "the codes do not add up to the answer they belong to (damaged or altered)",
                code="offline_part_mismatch",
            )
        return _inflate(blob, cap)


def join_parts(texts: list[str], *, cap: int = MAX_INFLATED) -> Any:
    """The value of a complete set of part texts, in any order."""
    collector = PartCollector()
    for text in texts:
        collector.add(text)
    return collector.value(cap=cap)
