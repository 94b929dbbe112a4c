"""Tables: one for wallet-wide values (header, generation), one for sealed records."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

__all__ = ["WalletMeta", "WalletRecord"]


class WalletMeta(SQLModel, table=True):
    """``header`` (the vault header), ``generation`` (catalog version, for concurrent writers)
    and ``schema`` (table layout version)."""

    __tablename__ = "wallet_meta"

    name: str = Field(primary_key=True)
    value: bytes


class WalletRecord(SQLModel, table=True):
    """A sealed record: ``kind`` (catalog, credential, history) and ``id`` are the envelope's
    associated data, so a row copied under another kind or id does not decrypt."""

    __tablename__ = "wallet_record"

    kind: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    blob: bytes
