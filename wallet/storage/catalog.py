"""What the wallet holds, as plain values: the catalog (an index decrypted once at open) and
the secret part of each credential (its SD-JWT copies and holder keys, decrypted on use).

Why an index: matching a DCQL query must not decrypt 10,000 records. The catalog keeps, per
credential, what listing, display and matching need (type, issuer, decoded claims, which
claims can stay hidden, per-copy usage); it is one sealed record, decrypted once when the
wallet opens and kept in memory while it is open. The SD-JWTs and private keys stay sealed
until a presentation needs exactly one of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from credentials.errors import CredentialError
from credentials.type_metadata import TypeMetadata
from wallet.errors import VaultError
from wallet.status import StatusRecord
from wallet.trust import TrustedRoot

__all__ = [
    "CATALOG_VERSION",
    "Catalog",
    "CopySecret",
    "CopyState",
    "CredentialEntry",
    "CredentialSecret",
    "PendingEntry",
    "PendingSecret",
    "index_claims",
    "pick_language",
]

CATALOG_VERSION = 1
Path = tuple[str | int, ...]


# Per copy (each copy has its own key and status index) and of no use for matching or display.
_NOT_INDEXED = frozenset({"cnf", "status"})


def index_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The claims kept in the catalog: everything DCQL may ask for, without per-copy parts."""
    return {name: value for name, value in claims.items() if name not in _NOT_INDEXED}


def pick_language(texts: Mapping[str, str], language: str) -> str | None:
    """The text for ``language``: exact tag, then its primary subtag, then English, then any."""
    if not texts:
        return None
    if language in texts:
        return texts[language]
    primary = language.split("-")[0].lower()
    for tag, text in texts.items():
        if tag.split("-")[0].lower() == primary:
            return text
    for tag, text in texts.items():
        if tag.split("-")[0].lower() == "en":
            return text
    return next(iter(texts.values()))


@dataclass(frozen=True, slots=True)
class CopyState:
    """One copy of a credential (batch issuance) and the verifiers it was shown to."""

    copy_id: str
    shown_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CredentialEntry:
    """The catalog entry of one credential: everything but its SD-JWTs and keys."""

    id: str
    vct: str
    iss: str
    configuration_id: str
    claims: Mapping[str, Any]
    disclosable: tuple[Path, ...]
    received_at: int
    copies: tuple[CopyState, ...]
    issuer_names: Mapping[str, str] = field(default_factory=dict)
    # The last status check (wallet.status); None until the first one. Absent in older files.
    status: StatusRecord | None = None

    @property
    def expires_at(self) -> int | None:
        exp = self.claims.get("exp")
        return int(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None

    def type_id(self) -> str:
        """The contract's type id: the configuration id, else the vct's last path segment."""
        return self.configuration_id or self.vct.rstrip("/").rsplit("/", 1)[-1]

    def issuer_title(self, language: str) -> str:
        return pick_language(self.issuer_names, language) or self.iss

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vct": self.vct,
            "iss": self.iss,
            "configuration_id": self.configuration_id,
            "claims": self.claims,
            "disclosable": [list(p) for p in self.disclosable],
            "received_at": self.received_at,
            "copies": [{"id": c.copy_id, "shown_to": list(c.shown_to)} for c in self.copies],
            "issuer_names": dict(self.issuer_names),
            "status": self.status.to_json() if self.status is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CredentialEntry:
        return cls(
            id=data["id"],
            vct=data["vct"],
            iss=data["iss"],
            configuration_id=data["configuration_id"],
            claims=data["claims"],
            disclosable=tuple(map(tuple, data["disclosable"])),  # 10,000 of these at open
            received_at=data["received_at"],
            copies=tuple([CopyState(c["id"], tuple(c["shown_to"])) for c in data["copies"]]),
            issuer_names=dict(data.get("issuer_names", {})),
            status=StatusRecord.from_json(data["status"]) if data.get("status") else None,
        )


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """A credential the wallet asked for and is waiting for (deferred issuance, OpenID4VCI
    §9), as listing needs it. ``state``: ``sending`` (the keys were kept, the request was
    being sent: a wallet that stopped then never learned the answer) or ``waiting`` (the
    agency said it will decide; ask again at ``next_poll_at``). Its secrets (holder keys,
    access token, transaction id) are the sealed :class:`PendingSecret` of the same id."""

    id: str
    credential_issuer: str
    configuration_id: str
    issuer_names: Mapping[str, str]
    type_names: Mapping[str, str]
    created_at: int
    state: str = "sending"
    interval: int = 0
    attempts: int = 0
    next_poll_at: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "credential_issuer": self.credential_issuer,
            "configuration_id": self.configuration_id,
            "issuer_names": dict(self.issuer_names),
            "type_names": dict(self.type_names),
            "created_at": self.created_at,
            "state": self.state,
            "interval": self.interval,
            "attempts": self.attempts,
            "next_poll_at": self.next_poll_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PendingEntry:
        return cls(
            id=data["id"],
            credential_issuer=data["credential_issuer"],
            configuration_id=data["configuration_id"],
            issuer_names=dict(data.get("issuer_names", {})),
            type_names=dict(data.get("type_names", {})),
            created_at=int(data["created_at"]),
            state=str(data["state"]),
            interval=int(data["interval"]),
            attempts=int(data["attempts"]),
            next_poll_at=int(data["next_poll_at"]),
        )


@dataclass(frozen=True, slots=True)
class PendingSecret:
    """The sealed part of a pending issuance: the private holder keys the credentials will be
    bound to, the access token that may fetch them, and (once the issuer answered 202) the
    transaction id."""

    keys: tuple[Mapping[str, str], ...] = field(repr=False)
    access_token: str = field(repr=False)
    transaction_id: str | None = field(default=None, repr=False)

    def to_bytes(self) -> bytes:
        data = {
            "keys": [dict(k) for k in self.keys],
            "access_token": self.access_token,
            "transaction_id": self.transaction_id,
        }
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> PendingSecret:
        try:
            data = json.loads(raw)
            return cls(tuple(data["keys"]), data["access_token"], data["transaction_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultError("a pending issuance is not readable", code="vault_corrupted") from exc


@dataclass(frozen=True, slots=True)
class Catalog:
    """The wallet's index. Replaced as a whole on every change (see :mod:`wallet.storage.store`)."""

    credentials: Mapping[str, CredentialEntry] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    trusted_verifiers: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, TypeMetadata] = field(default_factory=dict)
    generation: int = 0
    # Certificate authorities the citizen added (`trust add-root`), by SHA-256 fingerprint.
    # Absent from catalogs written before X.509 support: an additive field, same version.
    trusted_roots: Mapping[str, TrustedRoot] = field(default_factory=dict)
    # Credentials asked for and not yet received (deferred issuance). Additive like
    # trusted_roots: absent from catalogs written before, and written only when there is one.
    pending: Mapping[str, PendingEntry] = field(default_factory=dict)

    def type_metadata(self, vct: str) -> TypeMetadata:
        """The cached Type Metadata of ``vct``; an empty one (labels from claim names) if none."""
        return self.types.get(vct) or TypeMetadata(vct=vct)

    def title(self, entry: CredentialEntry, language: str) -> str:
        """A credential's name for people: the type's display name, else its type id."""
        metadata = self.types.get(entry.vct)
        return metadata.display_name(language) if metadata is not None else entry.type_id()

    def record_keys(self) -> set[tuple[str, str]]:
        """The (kind, id) of every record that must exist besides the catalog itself."""
        keys = {("credential", ident) for ident in self.credentials}
        keys.update(("history", ident) for ident in self.history)
        keys.update(("pending", ident) for ident in self.pending)
        return keys

    def with_credentials(self, entries: Mapping[str, CredentialEntry]) -> Catalog:
        return replace(self, credentials=dict(entries))

    def to_bytes(self) -> bytes:
        data: dict[str, Any] = {
            "version": CATALOG_VERSION,
            "generation": self.generation,
            "credentials": [entry.to_json() for entry in self.credentials.values()],
            "history": list(self.history),
            "trusted_verifiers": dict(self.trusted_verifiers),
            "types": [metadata.to_json() for metadata in self.types.values()],
        }
        if self.trusted_roots:  # only then: older catalogs read back byte for byte
            data["trusted_roots"] = {k: root.to_json() for k, root in self.trusted_roots.items()}
        if self.pending:
            data["pending"] = [entry.to_json() for entry in self.pending.values()]
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Catalog:
        # Only ever called on plaintext that passed its AES-GCM tag: it is what we wrote.
        try:
            data = json.loads(raw)
            if data["version"] != CATALOG_VERSION:
                raise VaultError(
                    "the wallet index uses another format version",
                    code="vault_version_unsupported",
                )
            entries = (CredentialEntry.from_json(item) for item in data["credentials"])
            return cls(
                credentials={entry.id: entry for entry in entries},
                history=tuple(data["history"]),
                trusted_verifiers=dict(data["trusted_verifiers"]),
                types={t["vct"]: TypeMetadata.from_json(t) for t in data.get("types", [])},
                generation=int(data["generation"]),
                trusted_roots={
                    k: TrustedRoot.from_json(v) for k, v in data.get("trusted_roots", {}).items()
                },
                pending={
                    item["id"]: PendingEntry.from_json(item) for item in data.get("pending", [])
                },
            )
        except (ValueError, KeyError, TypeError, CredentialError) as exc:
            raise VaultError("the wallet index is not readable", code="vault_corrupted") from exc


@dataclass(frozen=True, slots=True)
class CopySecret:
    copy_id: str
    sd_jwt: str
    key: Mapping[str, str]  # the holder's private JWK for this copy


@dataclass(frozen=True, slots=True)
class CredentialSecret:
    """The sealed part of a credential: its SD-JWT copies and their private holder keys."""

    copies: tuple[CopySecret, ...]
    # The authorization-code grant that can fetch fresh copies (refresh token and DPoP key),
    # as :class:`wallet.oid4vci.code_flow.Grant` JSON; None for pre-authorized credentials.
    grant: dict[str, Any] | None = None

    def copy(self, copy_id: str) -> CopySecret:
        for item in self.copies:
            if item.copy_id == copy_id:
                return item
        raise VaultError("a copy of the credential is missing", code="vault_corrupted")

    def to_bytes(self) -> bytes:
        data = [{"id": c.copy_id, "sd_jwt": c.sd_jwt, "key": dict(c.key)} for c in self.copies]
        record: dict[str, Any] = {"copies": data}
        if self.grant is not None:
            record["grant"] = self.grant
        return json.dumps(record, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> CredentialSecret:
        try:
            data = json.loads(raw)
            grant = data.get("grant")
            copies = tuple(CopySecret(c["id"], c["sd_jwt"], c["key"]) for c in data["copies"])
            return cls(copies, grant if isinstance(grant, dict) else None)
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultError("a credential record is not readable", code="vault_corrupted") from exc
