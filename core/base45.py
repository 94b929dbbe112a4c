"""Base45 (RFC 9285): bytes as text in the 45-character QR alphanumeric alphabet.

QR codes store that alphabet at 5.5 bits a character (alphanumeric mode, ISO/IEC 18004 §7.4.4)
against 8 in byte mode, so base45 text (3 characters per 2 bytes) fills a code about 3 % less
than the raw bytes would in byte mode and far less than base64 would. Decoding is strict: a
character outside the alphabet, a trailing single character, or a group whose value does not
fit its byte count (§4.2: "cc" > 255, "ccc" > 65535) raises :class:`Base45Error`.
"""

from __future__ import annotations

from core.errors import CodedError

__all__ = ["ALPHABET", "Base45Error", "b45decode", "b45encode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}


class Base45Error(CodedError):
    code = "base45_invalid"


def b45encode(data: bytes) -> str:
    """RFC 9285 §4: each two bytes as three characters, a last odd byte as two."""
    out = []
    for index in range(0, len(data) - 1, 2):
        value = data[index] * 256 + data[index + 1]
        value, c = divmod(value, 45)
        e, d = divmod(value, 45)
        out.append(ALPHABET[c] + ALPHABET[d] + ALPHABET[e])
    if len(data) % 2:
        e, c = divmod(data[-1], 45)
        out.append(ALPHABET[c] + ALPHABET[e])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """The bytes of base45 ``text`` (RFC 9285 §4.2); raises :class:`Base45Error`."""
    try:
        values = [_VALUE[char] for char in text]
    except KeyError as exc:
        raise Base45Error("a character outside the base45 alphabet") from exc
    if len(values) % 3 == 1:
        raise Base45Error("base45 text cannot end with a single character")
    out = bytearray()
    for index in range(0, len(values), 3):
        group = values[index : index + 3]
        if len(group) == 3:
            value = group[0] + group[1] * 45 + group[2] * 45 * 45
            if value > 0xFFFF:
                raise Base45Error("a base45 group is out of range")
            out += value.to_bytes(2, "big")
        else:
            value = group[0] + group[1] * 45
            if value > 0xFF:
                raise Base45Error("a base45 group is out of range")
            out.append(value)
    return bytes(out)
