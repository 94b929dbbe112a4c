"""Token Status List (draft-ietf-oauth-status-list-21): the list, its JWT, and status lookup.

* §4 Status List: each entry is ``bits`` wide (1, 2, 4 or 8); entry ``idx`` starts at bit
  ``idx * bits`` counting from the least significant bit of each byte. The byte array is
  compressed with DEFLATE in the ZLIB format (RFC 1950), best compression recommended.
* §4.2 JSON form: ``{"bits": n, "lst": base64url(zlib bytes)}``.
* §5.1 Status List Token as a JWT: header ``typ`` ``statuslist+jwt``; claims ``sub`` (the list
  URI), ``iat``, optional ``exp`` and ``ttl``, and ``status_list``. Signed with an asymmetric
  algorithm only (MAC algorithms MUST be rejected; :mod:`credentials.jose` refuses them).
* §6.2 Referenced token: ``"status": {"status_list": {"idx": N, "uri": "..."}}``; ``status``
  names at least one mechanism, ``idx`` is a non-negative integer, ``uri`` an RFC 3986 URI.
* §7.1 Status types: 0x00 VALID, 0x01 INVALID, 0x02 SUSPENDED, 0x03 and 0x0C-0x0F
  application-specific.
* §8.3 Validation: ``sub`` equals the referenced ``uri``, ``exp`` not passed, the index is inside
  the list. §11.4 (security): decompression is capped so a small token cannot expand into
  gigabytes (a "zlib bomb").

Not the W3C Bitstring Status List, which is GZIP, multibase and most-significant-bit first.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from core.encoding import EncodingError, b64url_decode, b64url_encode
from credentials._uri import is_absolute_uri
from credentials.clock import DEFAULT_LEEWAY, check_leeway, numeric_date
from credentials.errors import CredentialError, StatusListError
from credentials.jose import parse_jws, sign_jws, verify_jws
from did.keys import PrivateKey, PublicKey

__all__ = [
    "DEFAULT_MAX_SIZE_BYTES",
    "DEFAULT_MAX_TOKEN_BYTES",
    "MAX_TTL",
    "STATUS_INVALID",
    "STATUS_LIST_MEDIA_TYPE",
    "STATUS_LIST_TYP",
    "STATUS_SUSPENDED",
    "STATUS_VALID",
    "StatusList",
    "StatusListToken",
    "StatusReference",
    "create_status_list_token",
    "status_name",
    "status_of",
    "verify_status_list_token",
]

STATUS_VALID = 0
STATUS_INVALID = 1
STATUS_SUSPENDED = 2
STATUS_LIST_TYP = "statuslist+jwt"
STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt"

ALLOWED_BITS = (1, 2, 4, 8)
# 16 MiB holds 134 million 1-bit entries: far beyond any real list, far below a memory problem.
DEFAULT_MAX_SIZE_BYTES = 16 * 1024 * 1024
# A token carries the compressed list, so it may legitimately exceed the generic JWS cap.
DEFAULT_MAX_TOKEN_BYTES = 4 * 1024 * 1024
# §13.7 leaves ttl to policy; a list cached for more than a year hides revocations.
MAX_TTL = 365 * 24 * 3600

_NAMES = {STATUS_VALID: "valid", STATUS_INVALID: "invalid", STATUS_SUSPENDED: "suspended"}
_APPLICATION_SPECIFIC = frozenset({0x03, 0x0C, 0x0D, 0x0E, 0x0F})


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_bits(bits: object) -> int:
    if bits is None:
        raise StatusListError("'bits' is missing; it must be 1, 2, 4 or 8")
    if not _is_int(bits) or bits not in ALLOWED_BITS:
        raise StatusListError(f"'bits' must be 1, 2, 4 or 8, not {bits!r}")
    return bits


class StatusList:
    """A mutable status list of ``size`` entries, each ``bits`` wide (§4)."""

    __slots__ = ("_bits", "_data", "_size")

    def __init__(self, size: int, *, bits: int = 1) -> None:
        self._bits = _check_bits(bits)
        if not _is_int(size) or size < 0:
            raise StatusListError(f"a status list size must be an integer >= 0, not {size!r}")
        self._size = size
        self._data = bytearray((size * bits + 7) // 8)

    @classmethod
    def from_bytes(cls, raw: bytes, *, bits: int) -> StatusList:
        """Wrap an uncompressed byte array; every whole entry in it is addressable."""
        bits = _check_bits(bits)
        status_list = cls(0, bits=bits)
        status_list._data = bytearray(raw)
        status_list._size = len(raw) * 8 // bits
        return status_list

    @property
    def size(self) -> int:
        return self._size

    @property
    def bits(self) -> int:
        return self._bits

    def _position(self, idx: object) -> tuple[int, int]:
        if not _is_int(idx) or not 0 <= idx < self._size:
            raise StatusListError(
                f"index {idx!r} is outside the status list, which has {self._size} entries",
                code="status_index_out_of_range",
            )
        bit = idx * self._bits
        return bit // 8, bit % 8

    def get(self, idx: int) -> int:
        byte, shift = self._position(idx)
        return (self._data[byte] >> shift) & ((1 << self._bits) - 1)

    def set(self, idx: int, value: int) -> None:
        byte, shift = self._position(idx)
        mask = (1 << self._bits) - 1
        if not _is_int(value) or not 0 <= value <= mask:
            raise StatusListError(
                f"status {value!r} does not fit in {self._bits} bit(s) (0 to {mask})",
                code="invalid_status_value",
            )
        self._data[byte] = (self._data[byte] & ~(mask << shift)) | (value << shift)

    def to_bytes(self) -> bytes:
        return bytes(self._data)

    def to_json(self) -> dict[str, Any]:
        """§4.2 JSON form, compressed at the best level as §4.1 recommends."""
        return {"bits": self._bits, "lst": b64url_encode(zlib.compress(self._data, 9))}

    @classmethod
    def from_json(
        cls, obj: Mapping[str, Any], *, max_size_bytes: int = DEFAULT_MAX_SIZE_BYTES
    ) -> StatusList:
        """Decode §4.2 JSON, refusing to inflate more than ``max_size_bytes`` (§11.4)."""
        if not isinstance(obj, Mapping):
            raise StatusListError("'status_list' must be a JSON object")
        bits = _check_bits(obj.get("bits"))
        lst = obj.get("lst")
        if not isinstance(lst, str):
            raise StatusListError("'lst' must be a base64url string")
        try:
            compressed = b64url_decode(lst)
        except EncodingError as exc:
            raise StatusListError("'lst' is not valid base64url") from exc
        return cls.from_bytes(_inflate(compressed, max_size_bytes), bits=bits)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return (self._bits, self._size, self._data) == (other._bits, other._size, other._data)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatusList(size={self._size}, bits={self._bits})"


def _inflate(compressed: bytes, max_size_bytes: int) -> bytes:
    # max_length bounds the output buffer itself, so a bomb is stopped before it is allocated.
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, max_size_bytes + 1)
    except zlib.error as exc:
        raise StatusListError(f"'lst' is not zlib-compressed data ({exc})") from exc
    if len(raw) > max_size_bytes or inflater.unconsumed_tail:
        raise StatusListError(
            f"the status list expands to more than {max_size_bytes} bytes; refused",
            code="status_list_too_large",
        )
    if not inflater.eof or inflater.unused_data:
        raise StatusListError("'lst' is a truncated zlib stream or has trailing bytes")
    return raw


@dataclass(frozen=True, slots=True)
class StatusReference:
    """The ``status_list`` member of a referenced token's ``status`` claim (§6.2)."""

    idx: int
    uri: str

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> StatusReference | None:
        """The reference in ``claims``, or ``None`` when the token names no status list."""
        status = claims.get("status")
        if status is None:
            return None
        if not isinstance(status, Mapping):
            raise StatusListError("'status' must be a JSON object", code="invalid_status_reference")
        if not status:  # §6.2: "contains at least one reference to a status mechanism"
            raise StatusListError(
                "'status' names no status mechanism", code="invalid_status_reference"
            )
        reference = status.get("status_list")
        if reference is None:
            return None  # another status mechanism (§6.1 allows others); not ours to judge
        if not isinstance(reference, Mapping):
            raise StatusListError(
                "'status.status_list' must be a JSON object", code="invalid_status_reference"
            )
        idx, uri = reference.get("idx"), reference.get("uri")
        if not _is_int(idx) or idx < 0:
            raise StatusListError(
                "'status.status_list.idx' must be an integer >= 0", code="invalid_status_reference"
            )
        if not is_absolute_uri(uri):  # §6.2: "MUST be a URI conforming to RFC 3986"
            raise StatusListError(
                "'status.status_list.uri' must be a URI", code="invalid_status_reference"
            )
        assert isinstance(uri, str)
        return cls(idx, uri)


@dataclass(frozen=True, slots=True)
class StatusListToken:
    """A verified Status List Token (§5.1). Only :func:`verify_status_list_token` makes one."""

    status_list: StatusList
    sub: str
    iat: int
    exp: int | None
    ttl: int | None
    header: dict[str, Any] = field(repr=False)
    iss: str | None = None


def _check_ttl(ttl: object) -> int | None:
    if ttl is None:
        return None
    if not _is_int(ttl) or not 0 < ttl <= MAX_TTL:
        raise StatusListError(f"'ttl' must be a whole number of seconds from 1 to {MAX_TTL}")
    return ttl


def create_status_list_token(
    status_list: StatusList,
    *,
    uri: str,
    key: PrivateKey,
    iat: int,
    exp: int | None,
    ttl: int | None,
    kid: str | None = None,
    iss: str | None = None,
    x5c: Sequence[str] | None = None,
) -> str:
    """Sign ``status_list`` as a §5.1 Status List Token published at ``uri``; ``x5c`` (the
    signing certificate and its intermediates, never the root) is what HAIP 1.0 §6.1 asks of
    status list tokens."""
    if not isinstance(uri, str) or not uri:
        raise StatusListError("the status list URI must be a non-empty string")
    if exp is not None and exp <= iat:
        raise StatusListError("'exp' must be after 'iat'")
    payload: dict[str, Any] = {"sub": uri, "iat": iat, "status_list": status_list.to_json()}
    if exp is not None:
        payload["exp"] = exp
    if _check_ttl(ttl) is not None:
        payload["ttl"] = ttl
    if iss is not None:
        payload["iss"] = iss
    headers = {"x5c": list(x5c)} if x5c else None
    return sign_jws(payload, key, typ=STATUS_LIST_TYP, kid=kid, headers=headers)


def verify_status_list_token(
    token: str,
    key: PublicKey,
    *,
    uri: str,
    now: int,
    leeway: int = DEFAULT_LEEWAY,
    max_size_bytes: int = DEFAULT_MAX_SIZE_BYTES,
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
    iss: str | None = None,
) -> StatusListToken:
    """Verify a Status List Token fetched from ``uri`` (§8.3); raise :class:`StatusListError`.

    ``key`` is the status issuer's key, resolved by the caller. ``iss``, when given, must equal
    the token's ``iss`` (§5.1: it matches the referenced token's issuer when both have one).
    """
    check_leeway(leeway)
    try:
        jws = verify_jws(parse_jws(token, max_bytes=max_token_bytes), key, typ=STATUS_LIST_TYP)
        claims = jws.payload
        iat = numeric_date(claims, "iat")
        exp = numeric_date(claims, "exp")
        nbf = numeric_date(claims, "nbf")
    except CredentialError as exc:  # JOSE and format errors keep their codes
        raise StatusListError(f"status list token rejected: {exc.message}", code=exc.code) from exc
    if claims.get("sub") != uri:
        raise StatusListError(
            f"the status list token is for {claims.get('sub')!r}, not {uri!r}",
            code="status_list_uri_mismatch",
        )
    if iss is not None and claims.get("iss") != iss:
        raise StatusListError(
            f"the status list token was issued by {claims.get('iss')!r}, not {iss!r}",
            code="status_list_issuer_mismatch",
        )
    if iat is None:
        raise StatusListError("the status list token has no issuance time ('iat')")
    if now + leeway < iat or (nbf is not None and now + leeway < nbf):
        raise StatusListError(
            "the status list token is not valid yet; check this device's clock",
            code="status_list_not_yet_valid",
        )
    if exp is not None and now >= exp + leeway:
        raise StatusListError(
            f"the status list token expired at {exp}; fetch a fresh one",
            code="status_list_expired",
        )
    ttl = _check_ttl(claims.get("ttl"))
    if "status_list" not in claims:
        raise StatusListError("the token has no 'status_list' claim")
    status_list = StatusList.from_json(claims["status_list"], max_size_bytes=max_size_bytes)
    issuer = claims.get("iss")
    return StatusListToken(
        status_list,
        uri,
        iat,
        exp,
        ttl,
        dict(jws.header),
        issuer if isinstance(issuer, str) else None,
    )


def status_of(token: StatusListToken, ref: StatusReference) -> int:
    """The status value for ``ref`` (§8.3 steps 4-5); out-of-range indexes are rejected."""
    if ref.uri != token.sub:
        raise StatusListError(
            f"the credential points at {ref.uri!r}, this list is {token.sub!r}",
            code="status_list_uri_mismatch",
        )
    return token.status_list.get(ref.idx)


def status_name(value: int) -> str:
    """§7.1 name of a status value: ``valid``, ``invalid``, ``suspended``,
    ``application_specific_0x03`` (0x03, 0x0C-0x0F) or ``unknown_0x..`` (unregistered)."""
    if not _is_int(value) or not 0 <= value <= 0xFF:
        raise StatusListError(f"{value!r} is not a status value", code="invalid_status_value")
    if value in _NAMES:
        return _NAMES[value]
    if value in _APPLICATION_SPECIFIC:
        return f"application_specific_0x{value:02x}"
    return f"unknown_0x{value:02x}"
