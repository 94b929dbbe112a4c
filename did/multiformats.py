"""Multiformats used by did:key and Multikey: base58btc, multibase, unsigned varint, multicodec.

* base58btc: the Bitcoin alphabet (draft-msporny-base58-03 §2–§4). Leading zero bytes are
  written as leading ``1`` characters, so the encoding is one-to-one.
* multibase (draft-multiformats-multibase-08 §2): a one-character prefix names the base. Only
  ``z`` (base58btc) is accepted: did:key and Multikey (W3C Controller Documents 1.0 §2.2.2) use
  nothing else, and accepting more would give one key several spellings.
* unsigned varint (multiformats/unsigned-varint): LEB128, at most 9 bytes, and **minimally
  encoded**; a padded varint (``0x80 0x00`` for 0) is rejected so one key has one identifier.
* multicodec table (multiformats/multicodec ``table.csv``): ``ed25519-pub`` 0xed (32 bytes) and
  ``p256-pub`` 0x1200 (33-byte compressed SEC1 point). Nothing else is a signing key here.
"""

from __future__ import annotations

from did.errors import InvalidDIDError, KeyFormatError
from did.keys import EDDSA, ES256, PublicKey

__all__ = [
    "BASE58BTC_PREFIX",
    "ED25519_PUB",
    "MAX_BASE58_CHARS",
    "P256_PUB",
    "b58decode",
    "b58encode",
    "decode_multikey",
    "decode_varint",
    "encode_multikey",
    "encode_varint",
    "is_supported_codec",
    "multibase_decode",
    "multibase_encode",
    "split_multikey",
]

BASE58BTC_PREFIX = "z"
ED25519_PUB = 0xED
P256_PUB = 0x1200

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
# A did:key or Multikey value is well under 100 characters; the cap keeps the quadratic
# big-integer conversion cheap whatever an attacker sends.
MAX_BASE58_CHARS = 1024
_MAX_VARINT_BYTES = 9  # unsigned-varint spec: values up to 2**63 - 1

# multicodec -> (JWS algorithm, raw key length)
_KEY_CODECS = {ED25519_PUB: (EDDSA, 32), P256_PUB: (ES256, 33)}
_CODEC_OF_ALG = {alg: codec for codec, (alg, _) in _KEY_CODECS.items()}


def _multibase_error(message: str) -> InvalidDIDError:
    return InvalidDIDError(message, code="invalid_multibase")


def b58encode(data: bytes) -> str:
    """base58btc-encode ``data`` (draft-msporny-base58-03 §3)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Decode base58btc text (draft-msporny-base58-03 §4); raises ``invalid_multibase``."""
    if not isinstance(text, str):
        raise _multibase_error("base58btc value must be text")
    if len(text) > MAX_BASE58_CHARS:
        raise _multibase_error(f"base58btc value longer than {MAX_BASE58_CHARS} characters")
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            # 0, O, I and l are not in the alphabet on purpose: they are easy to misread.
            raise _multibase_error(f"character {char!r} is not in the base58btc alphabet")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: ``z`` followed by base58btc(data)."""
    return BASE58BTC_PREFIX + b58encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode a multibase value; only base58btc (``z``) is accepted."""
    if not isinstance(text, str) or not text:
        raise _multibase_error("multibase value is empty")
    if text[0] != BASE58BTC_PREFIX:
        raise _multibase_error(
            f"multibase prefix {text[0]!r} is not supported; only base58btc ('z') is"
        )
    if len(text) == 1:
        raise _multibase_error("multibase value has no data after the prefix")
    return b58decode(text[1:])


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128 varint, minimally encoded."""
    if value < 0 or value >= 1 << 63:
        raise ValueError("varint out of range")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes) -> tuple[int, int]:
    """Decode a leading unsigned varint; returns ``(value, bytes_used)``.

    Raises ``invalid_multicodec`` for a truncated, over-long or non-minimal varint.
    """
    value = 0
    for index, byte in enumerate(data[:_MAX_VARINT_BYTES]):
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if byte == 0 and index > 0:
                raise InvalidDIDError(
                    "multicodec varint is not minimally encoded", code="invalid_multicodec"
                )
            return value, index + 1
    raise InvalidDIDError("multicodec varint is truncated or too long", code="invalid_multicodec")


def encode_multikey(public_key: PublicKey) -> str:
    """The Multikey ``publicKeyMultibase`` value, which is also a did:key method-specific id."""
    codec = _CODEC_OF_ALG[public_key.alg]
    return multibase_encode(encode_varint(codec) + public_key.raw(compressed=True))


def split_multikey(value: str) -> tuple[int, bytes]:
    """Split a multibase, multicodec-prefixed value into ``(codec, raw key bytes)``."""
    data = multibase_decode(value)
    codec, used = decode_varint(data)
    return codec, data[used:]


def is_supported_codec(codec: int) -> bool:
    return codec in _KEY_CODECS


def decode_multikey(value: str) -> PublicKey:
    """Decode a ``z``-multibase, multicodec-prefixed public key (did:key, Multikey).

    Codes: ``invalid_multibase`` (not base58btc), ``invalid_multicodec`` (not ed25519-pub or
    p256-pub), ``invalid_key`` (wrong length, P-256 point not on the curve or uncompressed).
    """
    codec, raw = split_multikey(value)
    if codec not in _KEY_CODECS:
        raise InvalidDIDError(
            f"multicodec 0x{codec:x} is not a supported key type; use Ed25519 (0xed) or "
            "P-256 (0x1200)",
            code="invalid_multicodec",
        )
    alg, length = _KEY_CODECS[codec]
    if len(raw) != length:
        raise KeyFormatError(f"{alg} key in a multikey must be {length} bytes, got {len(raw)}")
    if alg == ES256 and raw[0] not in (2, 3):
        # p256-pub is the compressed point only; an 0x04 prefix of the right length is bogus.
        raise KeyFormatError("P-256 multikey must be a compressed SEC1 point (0x02/0x03)")
    return PublicKey.from_raw(alg, raw)
