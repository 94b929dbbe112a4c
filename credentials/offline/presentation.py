"""The offline presentation (docs/offline-qr.md §4): the wallet's answer to an offline
request, in one or more ``DKP1:`` part codes (:mod:`credentials.offline.codec`).

The value is the CBOR map ``{"n": nonce, "q": {query id: [presentation, ...]}}`` (the
OpenID4VP ``vp_token`` object plus the request's nonce, which selects the request at the
verifier). Each SD-JWT presentation travels as its ``~``-separated segments, each segment as
the raw bytes of its ``.``-separated base64url pieces: the reader rebuilds the exact text
(base64url without padding has one spelling), so the KB-JWT's ``sd_hash`` still matches, and
deflate now sees the JSON inside rather than its base64url, which it compresses far better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.encoding import EncodingError, b64url_decode, b64url_encode
from credentials.errors import OfflineCodeError
from credentials.offline.codec import PART_BODY, join_parts, split_parts

__all__ = ["OfflinePresentation", "encode_presentation", "parse_presentation"]

_MAX_PRESENTATIONS = 8


@dataclass(frozen=True, slots=True)
class OfflinePresentation:
    nonce: str
    vp_token: Mapping[str, tuple[str, ...]]


def _pack_sd_jwt(text: str) -> list[list[bytes]]:
    try:
        packed = [[b64url_decode(p) for p in segment.split(".")] for segment in text.split("~")]
    except EncodingError as exc:
        raise OfflineCodeError("a presentation is not an SD-JWT of base64url parts") from exc
    if _unpack_sd_jwt(packed) != text:
        raise OfflineCodeError("a presentation is not in canonical base64url form")
    return packed


def _unpack_sd_jwt(packed: object) -> str:
    if not isinstance(packed, list) or not all(
        isinstance(segment, list) and all(isinstance(p, bytes) for p in segment)
        for segment in packed
    ):
        raise OfflineCodeError("the presentation code does not hold an SD-JWT")
    return "~".join(".".join(b64url_encode(p) for p in segment) for segment in packed)


def encode_presentation(
    nonce: str, vp_token: Mapping[str, Sequence[str]], *, body: int = PART_BODY
) -> list[str]:
    """The part texts of an answer (one text when it fits one code)."""
    value = {
        "n": nonce,
        "q": {query: [_pack_sd_jwt(item) for item in items] for query, items in vp_token.items()},
    }
    return split_parts(value, body=body)


def parse_presentation(parts: Sequence[str]) -> OfflinePresentation:
    """The answer held by a complete set of parts (any order); raises
    :class:`OfflineCodeError` (``offline_part_missing`` names what is still missing)."""
    value = join_parts(list(parts))
    if not isinstance(value, dict) or set(value) != {"n", "q"}:
        raise OfflineCodeError("the presentation code does not hold an answer")
    nonce, queries = value["n"], value["q"]
    if not isinstance(nonce, str) or not nonce or not isinstance(queries, dict) or not queries:
        raise OfflineCodeError("the answer has no nonce or no presentation")
    vp_token: dict[str, tuple[str, ...]] = {}
    for query, items in queries.items():
        if not isinstance(query, str) or not isinstance(items, list) or not items:
            raise OfflineCodeError("the answer's presentations are not a vp_token")
        if len(items) > _MAX_PRESENTATIONS:
            raise OfflineCodeError("the answer holds too many presentations")
        vp_token[query] = tuple(_unpack_sd_jwt(item) for item in items)
    return OfflinePresentation(nonce, vp_token)
