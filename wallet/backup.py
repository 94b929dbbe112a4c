"""Wallet backup files: the whole wallet (credentials, holder keys, history, trusted verifiers)
in one encrypted, integrity-protected, versioned file that another machine can import.

Layout::

    DRUKID-WALLET-BACKUP\\n
    {"version":1,"kdf":{...},"salt":"...","nonce":"...","created":...}\\n
    AES-256-GCM(payload JSON, key = KDF(backup passphrase, salt), AAD = the two lines above)

The key comes from the *backup* passphrase through the same KDF as the wallet
(:func:`wallet.vault.derive_key`), independent of the wallet's own key, so a backup outlives
the wallet file and the device. The header is the associated data: changing the version, KDF
settings or salt fails the tag just like changing one ciphertext byte. The file is written
under a temporary name, flushed and renamed (mode 0600), so a crash never leaves half a backup
where a whole one is expected.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.encoding import (
    EncodingError,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
)
from wallet.errors import BackupError, VaultError
from wallet.history import HistoryEntry
from wallet.storage.catalog import Catalog, CredentialSecret
from wallet.vault import DEFAULT_KDF, KDFParams, check_passphrase, derive_key, kdf_from_json

__all__ = [
    "BACKUP_VERSION",
    "MAGIC",
    "BackupContents",
    "open_backup",
    "read_backup",
    "seal_backup",
]

MAGIC = b"DRUKID-WALLET-BACKUP\n"
BACKUP_VERSION = 1
MAX_BACKUP_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BackupContents:
    catalog: Catalog
    credentials: Mapping[str, CredentialSecret]
    history: tuple[HistoryEntry, ...]


def _payload(contents: BackupContents) -> bytes:
    data = {
        "catalog": json.loads(contents.catalog.to_bytes()),
        "credentials": {
            ident: json.loads(secret.to_bytes()) for ident, secret in contents.credentials.items()
        },
        "history": [entry.to_json() for entry in contents.history],
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal_backup(
    contents: BackupContents,
    passphrase: str,
    *,
    now: int,
    kdf: KDFParams = DEFAULT_KDF,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """The backup file's bytes: ``contents`` encrypted under ``passphrase``."""
    check_passphrase(passphrase)
    salt, nonce = random_bytes(16), random_bytes(12)
    header = {
        "version": BACKUP_VERSION,
        "kdf": kdf.to_json(),
        "salt": b64url_encode(salt),
        "nonce": b64url_encode(nonce),
        "created": now,
    }
    prefix = MAGIC + dumps_compact(header).encode("ascii") + b"\n"
    key = derive_key(passphrase, salt, kdf)
    return prefix + AESGCM(key).encrypt(nonce, _payload(contents), prefix)


def _header(raw: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    if not raw.startswith(MAGIC):
        raise BackupError("this file is not a drukid wallet backup")
    end = raw.find(b"\n", len(MAGIC))
    if end < 0 or end - len(MAGIC) > 4096:
        raise BackupError("the backup's header is damaged")
    try:
        header = parse_json(raw[len(MAGIC) : end])
    except EncodingError as exc:
        raise BackupError("the backup's header is damaged") from exc
    if not isinstance(header, dict):
        raise BackupError("the backup's header is damaged")
    version = header.get("version")
    if version != BACKUP_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > BACKUP_VERSION:
            raise BackupError(
                f"the backup uses format version {version}", code="backup_version_unsupported"
            )
        raise BackupError("the backup's version is not valid")
    return header, raw[: end + 1], raw[end + 1 :]


def read_backup(path: Path, passphrase: str) -> BackupContents:
    """Decrypt and check the backup file at ``path`` (see :func:`open_backup`)."""
    try:
        if Path(path).stat().st_size > MAX_BACKUP_BYTES:
            raise BackupError("the file is far larger than any wallet backup")
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from exc
    return open_backup(raw, passphrase)


def open_backup(raw: bytes, passphrase: str) -> BackupContents:
    """Decrypt and check a backup file's bytes; nothing is returned unless all of it is
    intact."""
    header, prefix, body = _header(raw)
    try:
        kdf = kdf_from_json(header.get("kdf"))
        salt = b64url_decode(header.get("salt", ""))
        nonce = b64url_decode(header.get("nonce", ""))
    except (VaultError, EncodingError) as exc:
        raise BackupError("the backup's header is damaged") from exc
    if len(salt) != 16 or len(nonce) != 12:
        raise BackupError("the backup's header is damaged")
    try:
        plaintext = AESGCM(derive_key(passphrase, salt, kdf)).decrypt(nonce, body, prefix)
    except InvalidTag:
        raise BackupError(
            "the backup passphrase is not right, or the file was changed",
            code="backup_wrong_passphrase",
        ) from None
    try:
        data = json.loads(plaintext)
        catalog = Catalog.from_bytes(json.dumps(data["catalog"]).encode("utf-8"))
        credentials = {
            ident: CredentialSecret.from_bytes(json.dumps(value).encode("utf-8"))
            for ident, value in data["credentials"].items()
        }
        history = tuple(
            HistoryEntry.from_bytes(json.dumps(item).encode("utf-8")) for item in data["history"]
        )
    except (ValueError, KeyError, TypeError, AttributeError, VaultError) as exc:
        raise BackupError("the backup's contents are not readable") from exc
    if set(credentials) != set(catalog.credentials) or [e.id for e in history] != list(
        catalog.history
    ):
        raise BackupError("the backup is incomplete: its index and its records disagree")
    return BackupContents(catalog, credentials, history)
