"""The layer below everything: the one error base and the strict encodings (base64url, JSON)
that every drukid package shares. Imports nothing of drukid's."""

from core.encoding import (
    MAX_JSON_DEPTH,
    EncodingError,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
)
from core.errors import CodedError

__all__ = [
    "MAX_JSON_DEPTH",
    "CodedError",
    "EncodingError",
    "b64url_decode",
    "b64url_encode",
    "dumps_compact",
    "parse_json",
]
