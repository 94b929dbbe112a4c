"""The citizen's record of what was shared with whom, and what was refused.

Every answer to a verifier leaves one entry: when, which verifier (name and identifier), the
purpose it gave, the outcome, and for each credential the claims that left the wallet. Entries
are sealed records like credentials (see :mod:`wallet.storage.store`); exporting them writes a plain
JSON or CSV file that belongs to the citizen, so the export is the one unencrypted output.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wallet.errors import VaultError

__all__ = [
    "OUTCOMES",
    "HistoryEntry",
    "SharedCredential",
    "export_csv",
    "export_json",
    "format_time",
]

# shared: the verifier accepted; refused: the citizen said no; rejected: delivered but the
# verifier answered with an error; uncertain: the connection failed after sending began.
OUTCOMES = ("shared", "refused", "rejected", "uncertain")


def format_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class SharedCredential:
    """One credential in an answer: its type, and the labels and paths of disclosed claims."""

    credential_id: str
    type_name: str
    vct: str
    claims: tuple[str, ...]
    paths: tuple[tuple[str | int, ...], ...] = ()
    copy_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "credential_id": self.credential_id,
            "type_name": self.type_name,
            "vct": self.vct,
            "claims": list(self.claims),
            "paths": [list(p) for p in self.paths],
            "copy_id": self.copy_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SharedCredential:
        return cls(
            data["credential_id"],
            data["type_name"],
            data["vct"],
            tuple(data["claims"]),
            tuple(tuple(p) for p in data.get("paths", [])),
            data.get("copy_id", ""),
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: str
    time: int
    verifier_id: str
    verifier_name: str
    purpose: str
    outcome: str
    credentials: tuple[SharedCredential, ...] = ()
    detail: str = ""
    redirect_uri: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")

    @property
    def disclosed(self) -> tuple[str, ...]:
        return tuple(claim for item in self.credentials for claim in item.claims)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "time_text": format_time(self.time),
            "verifier_id": self.verifier_id,
            "verifier_name": self.verifier_name,
            "purpose": self.purpose,
            "outcome": self.outcome,
            "credentials": [item.to_json() for item in self.credentials],
            "detail": self.detail,
            "redirect_uri": self.redirect_uri,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> HistoryEntry:
        try:
            data = json.loads(raw)
            return cls(
                id=data["id"],
                time=data["time"],
                verifier_id=data["verifier_id"],
                verifier_name=data["verifier_name"],
                purpose=data["purpose"],
                outcome=data["outcome"],
                credentials=tuple(SharedCredential.from_json(c) for c in data["credentials"]),
                detail=data.get("detail", ""),
                redirect_uri=data.get("redirect_uri"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultError("a history record is not readable", code="vault_corrupted") from exc


def export_json(entries: Sequence[HistoryEntry]) -> str:
    return json.dumps([e.to_json() for e in entries], indent=2, ensure_ascii=False) + "\n"


def export_csv(entries: Sequence[HistoryEntry]) -> str:
    """One row per entry; spreadsheet-safe (no cell starts with a formula character)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time", "verifier", "verifier_id", "purpose", "outcome", "shared"])
    for entry in entries:
        shared = "; ".join(
            f"{item.type_name}: {', '.join(item.claims)}" for item in entry.credentials
        )
        row = [
            format_time(entry.time),
            entry.verifier_name,
            entry.verifier_id,
            entry.purpose,
            entry.outcome,
            shared,
        ]
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: str) -> str:
    # A verifier chooses its name and purpose: "=HYPERLINK(...)" must stay text (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
