"""Signing keys: ES256 (P-256, RFC 7518 §3.4) and EdDSA (Ed25519, RFC 8037), their JWK form
(RFC 7517), RFC 7638 thumbprints, and key files on disk.

A key is always bound to exactly one JWS algorithm, so a P-256 key can never be used with
another algorithm (the algorithm-confusion class of bugs). Key files hold a private JWK and are
written atomically with mode 0600: never world- or group-readable.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from core.encoding import (
    EncodingError,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
)
from did.errors import KeyFormatError
from did.files import atomic_write

__all__ = ["ALGORITHMS", "EDDSA", "ES256", "PrivateKey", "PublicKey"]

ES256 = "ES256"
EDDSA = "EdDSA"
ALGORITHMS = (ES256, EDDSA)

PublicKeyObject = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKeyObject = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_P256_COORD = 32
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_ED25519_LEN = 32
_ED25519_FIELD = 2**255 - 19
# The canonical encodings (sign bit cleared) of the eight points of order dividing 8, as in
# libsodium's ge25519_has_small_order. With such a public key, signatures like R = identity,
# S = 0 verify for *every* message (OpenSSL's Ed25519 verification does not exclude them).
_ED25519_SMALL_ORDER = frozenset(
    bytes.fromhex(point)
    for point in (
        "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
        "0100000000000000000000000000000000000000000000000000000000000000",  # identity
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    )
)


def _b64_member(jwk: Mapping[str, Any], name: str, length: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"JWK member {name!r} is missing or not a string")
    try:
        raw = b64url_decode(value)
    except EncodingError as exc:
        raise KeyFormatError(f"JWK member {name!r} is not base64url") from exc
    if len(raw) != length:
        raise KeyFormatError(f"JWK member {name!r} must be {length} bytes, got {len(raw)}")
    return raw


def _ed25519_public(raw: bytes) -> ed25519.Ed25519PublicKey:
    """Import 32 raw bytes as an Ed25519 public key, refusing small-order points (universal
    forgery, see above) and non-canonical encodings (y >= p: a second spelling of one key,
    hence a second thumbprint and did:key)."""
    masked = raw[:31] + bytes([raw[31] & 0x7F])
    if masked in _ED25519_SMALL_ORDER:
        raise KeyFormatError("Ed25519 public key is a small-order point")
    if int.from_bytes(masked, "little") >= _ED25519_FIELD:
        raise KeyFormatError("Ed25519 public key is not canonically encoded")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


def _check_declared(jwk: Mapping[str, Any], alg: str) -> None:
    declared = jwk.get("alg")
    if declared is not None and declared != alg:
        raise KeyFormatError(f"JWK declares alg {declared!r} but the key is for {alg}")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise KeyFormatError(f"JWK is for use {use!r}, not for signatures")


def _alg_of(key: PublicKeyObject | PrivateKeyObject) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return EDDSA
    if isinstance(key.curve, ec.SECP256R1):
        return ES256
    raise KeyFormatError(f"unsupported elliptic curve {key.curve.name}; use P-256 or Ed25519")


@dataclass(frozen=True, slots=True, eq=False)
class PublicKey:
    """A public signing key bound to one algorithm (``ES256`` or ``EdDSA``)."""

    alg: str
    key: PublicKeyObject

    @classmethod
    def from_crypto(cls, key: PublicKeyObject) -> PublicKey:
        return cls(_alg_of(key), key)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Import a public JWK (private members, if present, are ignored)."""
        if not isinstance(jwk, Mapping):
            raise KeyFormatError("a JWK must be a JSON object")
        kty, crv = jwk.get("kty"), jwk.get("crv")
        if kty == "EC" and crv == "P-256":
            x = _b64_member(jwk, "x", _P256_COORD)
            y = _b64_member(jwk, "y", _P256_COORD)
            _check_declared(jwk, ES256)
            try:
                key: PublicKeyObject = ec.EllipticCurvePublicKey.from_encoded_point(
                    ec.SECP256R1(), b"\x04" + x + y
                )
            except ValueError as exc:  # point not on the curve
                raise KeyFormatError("JWK is not a valid P-256 point") from exc
            return cls(ES256, key)
        if kty == "OKP" and crv == "Ed25519":
            x = _b64_member(jwk, "x", _ED25519_LEN)
            _check_declared(jwk, EDDSA)
            return cls(EDDSA, _ed25519_public(x))
        raise KeyFormatError(
            f"unsupported JWK (kty={kty!r}, crv={crv!r}); use EC P-256 or OKP Ed25519"
        )

    @classmethod
    def from_raw(cls, alg: str, raw: bytes) -> PublicKey:
        """Import raw key bytes: Ed25519 32 bytes; P-256 a SEC1 point (compressed or not)."""
        if alg == EDDSA:
            if len(raw) != _ED25519_LEN:
                raise KeyFormatError(f"Ed25519 public key must be 32 bytes, got {len(raw)}")
            return cls(EDDSA, _ed25519_public(raw))
        if alg == ES256:
            if len(raw) not in (33, 65):
                raise KeyFormatError(f"P-256 public key must be 33 or 65 bytes, got {len(raw)}")
            try:
                return cls(ES256, ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw))
            except ValueError as exc:
                raise KeyFormatError("not a valid P-256 point") from exc
        raise KeyFormatError(f"unsupported algorithm {alg!r}")

    def raw(self, *, compressed: bool = True) -> bytes:
        """Raw bytes: Ed25519 32 bytes; P-256 SEC1 point (33 bytes compressed by default)."""
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            return self.key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        fmt = PublicFormat.CompressedPoint if compressed else PublicFormat.UncompressedPoint
        return self.key.public_bytes(Encoding.X962, fmt)

    def to_jwk(self) -> dict[str, str]:
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self.raw())}
        point = self.raw(compressed=False)
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(point[1:33]),
            "y": b64url_encode(point[33:]),
        }

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
        digest = hashlib.sha256(dumps_compact(self.to_jwk(), sort_keys=True).encode()).digest()
        return b64url_encode(digest)

    def verify_raw(self, signature: bytes, data: bytes) -> bool:
        """Check a JWS-format signature (RFC 7518 §3.4: R||S for ES256) over ``data``.

        The primitive under :func:`credentials.jose.verify_jws` (which adds every header rule);
        call that for tokens. The ECDSA context is reused: rebuilding it per call costs a
        measurable share of a presentation's verification.
        """
        try:
            if isinstance(self.key, ed25519.Ed25519PublicKey):
                self.key.verify(signature, data)
            else:
                if len(signature) != 2 * _P256_COORD:
                    return False
                r = int.from_bytes(signature[:_P256_COORD], "big")
                s = int.from_bytes(signature[_P256_COORD:], "big")
                self.key.verify(encode_dss_signature(r, s), data, _ECDSA_SHA256)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.to_jwk() == other.to_jwk()

    def __hash__(self) -> int:
        return hash(self.thumbprint())

    def __repr__(self) -> str:
        return f"PublicKey(alg={self.alg!r}, thumbprint={self.thumbprint()!r})"


@dataclass(frozen=True, slots=True, eq=False)
class PrivateKey:
    """A private signing key bound to one algorithm. Its repr never shows key material."""

    alg: str
    key: PrivateKeyObject

    @classmethod
    def generate(cls, alg: str = ES256) -> PrivateKey:
        if alg == ES256:
            return cls(ES256, ec.generate_private_key(ec.SECP256R1()))
        if alg == EDDSA:
            return cls(EDDSA, ed25519.Ed25519PrivateKey.generate())
        raise KeyFormatError(f"unsupported algorithm {alg!r}; use ES256 or EdDSA")

    @classmethod
    def from_crypto(cls, key: PrivateKeyObject) -> PrivateKey:
        return cls(_alg_of(key), key)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PrivateKey:
        public = PublicKey.from_jwk(jwk)
        if public.alg == EDDSA:
            d = _b64_member(jwk, "d", _ED25519_LEN)
            key: PrivateKeyObject = ed25519.Ed25519PrivateKey.from_private_bytes(d)
        else:
            d = _b64_member(jwk, "d", _P256_COORD)
            try:
                key = ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())
            except ValueError as exc:
                raise KeyFormatError("JWK member 'd' is not a valid P-256 scalar") from exc
        result = cls(public.alg, key)
        if result.public_key != public:
            raise KeyFormatError("JWK private part does not match its public part")
        return result

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(self.alg, self.key.public_key())

    def to_jwk(self) -> dict[str, str]:
        """The private JWK (public members plus ``d``). Handle with care."""
        jwk = self.public_key.to_jwk()
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

            raw = self.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            jwk["d"] = b64url_encode(raw)
        else:
            jwk["d"] = b64url_encode(self.key.private_numbers().private_value.to_bytes(32, "big"))
        return jwk

    def sign_raw(self, data: bytes) -> bytes:
        """A JWS-format signature (R||S for ES256). JWS signing goes through credentials.jose."""
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            return self.key.sign(data)
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the private JWK to ``path`` atomically, readable by the owner only (0600)."""
        return atomic_write(path, (dumps_compact(self.to_jwk()) + "\n").encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PrivateKey:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise KeyFormatError(f"cannot read key file {path}: {exc.strerror}") from exc
        try:
            jwk = parse_json(data)
        except EncodingError as exc:
            raise KeyFormatError(f"key file {path} is not a JSON JWK") from exc
        return cls.from_jwk(jwk)

    def __repr__(self) -> str:
        return f"PrivateKey(alg={self.alg!r}, thumbprint={self.public_key.thumbprint()!r})"
