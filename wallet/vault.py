"""The wallet's encryption: a passphrase-derived key wrapping a random data key, and one
AES-256-GCM envelope per record.

Key hierarchy::

    passphrase ──Argon2id (RFC 9106) or scrypt (RFC 7914), salt and cost in the header──▶ KEK
    KEK ──AES-256-GCM, AAD = header version + KDF parameters──▶ wrapped DEK (random 32 bytes)
    DEK ──AES-256-GCM, AAD = envelope version + record kind + record id──▶ each record

* Changing the passphrase re-wraps the DEK only: no record is re-encrypted, and a crash in the
  middle leaves either the old or the new header (it is one database row).
* The KDF parameters live in the header so they can be raised later without a format change;
  they are bounded on read, so a tampered header cannot make opening take gigabytes of memory.
* A wrong passphrase and a tampered header both fail the wrapped key's GCM tag: the wallet
  refuses, and can only say "wrong passphrase or damaged file". A tampered record fails its
  own tag; a record moved to another id or kind fails because the AAD names both.
* Default KDF: Argon2id, m = 64 MiB, t = 3, p = 4 (RFC 9106 §4, second recommended option),
  about 0.3 s on a laptop. Argon2id is memory-hard, which is what makes a stolen wallet file
  expensive to attack with GPUs; it comes with ``cryptography`` (>= 44), so no new dependency.
  scrypt (N = 2^17, r = 8, p = 1, OWASP's floor) is used when the local OpenSSL lacks Argon2.
* Passphrases are NFC-normalised first: the same words typed with two input methods (composed
  or decomposed Dzongkha or accented letters) must open the same wallet.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from core.encoding import (
    EncodingError,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
)
from wallet.errors import VaultError

__all__ = [
    "DEFAULT_KDF",
    "ENVELOPE_VERSION",
    "HEADER_VERSION",
    "MIN_PASSPHRASE_LENGTH",
    "Argon2idParams",
    "KDFParams",
    "ScryptParams",
    "Vault",
    "check_passphrase",
    "derive_key",
    "kdf_from_json",
]

HEADER_VERSION = 1
ENVELOPE_VERSION = 1
_MAGIC = b"DW"
_NONCE = 12
_TAG = 16
_KEY = 32
_SALT = 16
MIN_PASSPHRASE_LENGTH = 8

RandomBytes = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class Argon2idParams:
    """Argon2id cost (RFC 9106 §3.1): memory in KiB, passes, lanes."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def __post_init__(self) -> None:
        _bounded("lanes", self.lanes, 1, 16)
        _bounded("memory_kib", self.memory_kib, 8 * self.lanes, 2 * 1024 * 1024)
        _bounded("iterations", self.iterations, 1, 64)

    def to_json(self) -> dict[str, Any]:
        return {"alg": "argon2id", "m": self.memory_kib, "t": self.iterations, "p": self.lanes}


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost (RFC 7914 §2): CPU/memory cost ``n`` (a power of two), block size, lanes."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        _bounded("n", self.n, 2**4, 2**22)
        if self.n & (self.n - 1):
            raise VaultError("scrypt n must be a power of two", code="vault_header_invalid")
        _bounded("r", self.r, 1, 32)
        _bounded("p", self.p, 1, 16)

    def to_json(self) -> dict[str, Any]:
        return {"alg": "scrypt", "n": self.n, "r": self.r, "p": self.p}


KDFParams = Argon2idParams | ScryptParams


def _bounded(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise VaultError(
            f"key derivation setting {name} is outside {low}..{high}", code="vault_header_invalid"
        )


def _argon2_available() -> bool:
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        Argon2id(salt=b"\0" * _SALT, length=_KEY, iterations=1, lanes=1, memory_cost=8)
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True


DEFAULT_KDF: KDFParams = Argon2idParams() if _argon2_available() else ScryptParams()


def kdf_from_json(data: object) -> KDFParams:
    """Parse KDF parameters from a header; ``vault_header_invalid`` when unknown or out of range."""
    if not isinstance(data, Mapping):
        raise VaultError("key derivation settings are missing", code="vault_header_invalid")
    alg = data.get("alg")
    try:
        if alg == "argon2id":
            return Argon2idParams(data["m"], data["t"], data["p"])
        if alg == "scrypt":
            return ScryptParams(data["n"], data["r"], data["p"])
    except KeyError as exc:
        raise VaultError(
            f"key derivation setting {exc} is missing", code="vault_header_invalid"
        ) from None
    raise VaultError(f"unknown key derivation {alg!r}", code="vault_header_invalid")


def _normalise(passphrase: str) -> bytes:
    if not isinstance(passphrase, str):
        raise TypeError("the passphrase must be text")
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_key(passphrase: str, salt: bytes, params: KDFParams) -> bytes:
    """The 32-byte key-encryption key for ``passphrase``."""
    secret = _normalise(passphrase)
    if isinstance(params, ScryptParams):
        return Scrypt(salt=salt, length=_KEY, n=params.n, r=params.r, p=params.p).derive(secret)
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        kdf = Argon2id(
            salt=salt,
            length=_KEY,
            iterations=params.iterations,
            lanes=params.lanes,
            memory_cost=params.memory_kib,
        )
    except (ImportError, UnsupportedAlgorithm) as exc:
        raise VaultError(
            "this wallet uses Argon2id, which this computer's cryptography library lacks",
            code="kdf_unavailable",
        ) from exc
    return kdf.derive(secret)


def _aad(kind: str, record_id: str, version: int = ENVELOPE_VERSION) -> bytes:
    # Length-prefixed so ("a|b", "c") and ("a", "b|c") can never share associated data.
    k, r = kind.encode("utf-8"), record_id.encode("utf-8")
    return b"drukid-wallet-record|%d|%d:%s|%d:%s" % (version, len(k), k, len(r), r)


def _dek_aad(kdf: KDFParams, salt: bytes) -> bytes:
    body = dumps_compact({"kdf": kdf.to_json(), "salt": b64url_encode(salt)}, sort_keys=True)
    return b"drukid-wallet-dek|%d|" % HEADER_VERSION + body.encode("ascii")


def check_passphrase(passphrase: str) -> str:
    """Refuse passphrases too short to protect a national ID (``weak_passphrase``)."""
    if len(unicodedata.normalize("NFC", passphrase).strip()) < MIN_PASSPHRASE_LENGTH:
        raise VaultError(
            f"the passphrase is shorter than {MIN_PASSPHRASE_LENGTH} characters",
            code="weak_passphrase",
        )
    return passphrase


class Vault:
    """An unlocked wallet key. Seals and opens records; holds the data key in memory only."""

    __slots__ = ("_aead", "_dek", "_header", "_random")

    def __init__(self, dek: bytes, header: bytes, *, random_bytes: RandomBytes) -> None:
        self._dek = dek
        self._aead = AESGCM(dek)
        self._header = header
        self._random = random_bytes

    def __repr__(self) -> str:
        return "Vault(<unlocked>)"

    @property
    def header(self) -> bytes:
        """The header to store: KDF parameters, salt and the wrapped data key (no secret)."""
        return self._header

    @classmethod
    def create(
        cls,
        passphrase: str,
        *,
        kdf: KDFParams = DEFAULT_KDF,
        random_bytes: RandomBytes = os.urandom,
    ) -> Vault:
        """A new vault with a fresh random data key wrapped by ``passphrase``."""
        check_passphrase(passphrase)
        dek = random_bytes(_KEY)
        return cls(dek, _wrap(dek, passphrase, kdf, random_bytes), random_bytes=random_bytes)

    @classmethod
    def unlock(
        cls, header: bytes, passphrase: str, *, random_bytes: RandomBytes = os.urandom
    ) -> Vault:
        """Unwrap the data key; ``wrong_passphrase`` when the passphrase (or header) is wrong."""
        kdf, salt, wrapped = _parse_header(header)
        kek = derive_key(passphrase, salt, kdf)
        try:
            dek = AESGCM(kek).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _dek_aad(kdf, salt))
        except InvalidTag:
            raise VaultError(
                "the passphrase is not right (or the wallet's key record was altered)",
                code="wrong_passphrase",
            ) from None
        return cls(dek, header, random_bytes=random_bytes)

    def rewrap(self, new_passphrase: str, *, kdf: KDFParams | None = None) -> Vault:
        """The same data key under a new passphrase (and optionally stronger KDF settings)."""
        check_passphrase(new_passphrase)
        if kdf is None:
            kdf = _parse_header(self._header)[0]
        dek = self._dek
        return Vault(dek, _wrap(dek, new_passphrase, kdf, self._random), random_bytes=self._random)

    def seal(self, kind: str, record_id: str, plaintext: bytes) -> bytes:
        """``DW`` ‖ version ‖ nonce ‖ AES-256-GCM(plaintext, AAD = version, kind, id)."""
        nonce = self._random(_NONCE)
        body = self._aead.encrypt(nonce, plaintext, _aad(kind, record_id))
        return _MAGIC + bytes([ENVELOPE_VERSION]) + nonce + body

    def open(self, kind: str, record_id: str, envelope: bytes) -> bytes:
        """Decrypt a record; raise ``vault_corrupted`` on any change, never return garbage."""
        if len(envelope) < len(_MAGIC) + 1 + _NONCE + _TAG or envelope[:2] != _MAGIC:
            raise VaultError(f"the {kind} record is damaged", code="vault_corrupted")
        version = envelope[2]
        if version != ENVELOPE_VERSION:
            raise VaultError(
                f"the {kind} record uses format version {version}",
                code="vault_version_unsupported",
            )
        nonce, body = envelope[3 : 3 + _NONCE], envelope[3 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, _aad(kind, record_id, version))
        except InvalidTag:
            raise VaultError(
                f"the {kind} record was altered or is damaged", code="vault_corrupted"
            ) from None


def _wrap(dek: bytes, passphrase: str, kdf: KDFParams, random_bytes: RandomBytes) -> bytes:
    salt = random_bytes(_SALT)
    nonce = random_bytes(_NONCE)
    kek = derive_key(passphrase, salt, kdf)
    wrapped = nonce + AESGCM(kek).encrypt(nonce, dek, _dek_aad(kdf, salt))
    header = {
        "format": "drukid-wallet",
        "version": HEADER_VERSION,
        "kdf": kdf.to_json(),
        "salt": b64url_encode(salt),
        "dek": b64url_encode(wrapped),
    }
    return dumps_compact(header).encode("ascii")


def _parse_header(header: bytes) -> tuple[KDFParams, bytes, bytes]:
    try:
        data = parse_json(header)
    except EncodingError as exc:
        raise VaultError("the wallet header is not readable", code="vault_header_invalid") from exc
    if not isinstance(data, dict) or data.get("format") != "drukid-wallet":
        raise VaultError("this is not a drukid wallet header", code="vault_header_invalid")
    version = data.get("version")
    if version != HEADER_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > HEADER_VERSION:
            raise VaultError(
                f"the wallet uses format version {version}", code="vault_version_unsupported"
            )
        raise VaultError("the wallet header version is not valid", code="vault_header_invalid")
    kdf = kdf_from_json(data.get("kdf"))
    try:
        salt = b64url_decode(data.get("salt", ""))
        wrapped = b64url_decode(data.get("dek", ""))
    except EncodingError as exc:
        raise VaultError("the wallet header is damaged", code="vault_header_invalid") from exc
    if len(salt) != _SALT or len(wrapped) != _NONCE + _KEY + _TAG:
        raise VaultError("the wallet header is damaged", code="vault_header_invalid")
    return kdf, salt, wrapped
