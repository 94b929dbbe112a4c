"""The issuer's tables. The only module that defines SQLModel tables.

Bearer secrets (offer ids, pre-authorized codes, access tokens, c_nonces, API key secrets) are
stored as SHA-256 hashes, tx_codes as HMACs; an issued credential is never stored, only its
metadata (type, subject, signing key, holder key thumbprint, status list position, validity).
Times are UNIX seconds. The audit log is append-only: the code has no update or delete path for
it and :func:`create_schema` adds database triggers that refuse both.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

__all__ = [
    "AccessTokenRow",
    "ApiKeyRow",
    "AuditRow",
    "BusinessRow",
    "CredentialRow",
    "IssuerTable",
    "NonceRow",
    "OfferRow",
    "PersonRow",
    "SigningKeyRow",
    "StatusListRow",
    "create_schema",
]


class IssuerTable(SQLModel, registry=registry()):
    """Base with its own metadata, so other roles' tables never land in the issuer database."""


class PersonRow(IssuerTable, table=True):
    __tablename__ = "issuer_person"

    cid: str = Field(primary_key=True, max_length=11)
    full_name: str = Field(index=True, max_length=200)
    data: str  # the validated registry.Person as JSON
    created_at: int
    updated_at: int


class BusinessRow(IssuerTable, table=True):
    __tablename__ = "issuer_business"

    licence_number: str = Field(primary_key=True, max_length=32)
    owner_cid: str = Field(index=True, max_length=11)
    business_name: str = Field(max_length=200)
    data: str
    created_at: int
    updated_at: int


class OfferRow(IssuerTable, table=True):
    __tablename__ = "issuer_offer"

    ref: str = Field(primary_key=True, max_length=32)  # public reference for logs and audit
    id_hash: str = Field(unique=True, max_length=64)
    code_hash: str = Field(unique=True, max_length=64)
    type_id: str = Field(max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(index=True, max_length=32)
    tx_code_hash: str | None = Field(default=None, max_length=64)
    tx_code_length: int | None = None
    tx_attempts: int = 0
    created_at: int
    expires_at: int
    redeemed_at: int | None = None
    burned_at: int | None = None
    created_by: str = Field(max_length=64)


class AccessTokenRow(IssuerTable, table=True):
    __tablename__ = "issuer_access_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    offer_ref: str = Field(foreign_key="issuer_offer.ref", index=True, max_length=32)
    type_id: str = Field(max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(max_length=32)
    created_at: int
    expires_at: int
    requests: int = 0


class NonceRow(IssuerTable, table=True):
    __tablename__ = "issuer_nonce"

    nonce_hash: str = Field(primary_key=True, max_length=64)
    expires_at: int = Field(index=True)
    used_at: int | None = None


class StatusListRow(IssuerTable, table=True):
    __tablename__ = "issuer_status_list"

    id: str = Field(primary_key=True, max_length=32)
    size: int
    bits: int
    open: bool = True
    created_at: int
    version: int = 0  # bumped by every status change; the cached token is re-signed after
    token: str | None = None
    token_version: int = -1
    token_kid: str | None = Field(default=None, max_length=64)
    token_exp: int | None = None


class CredentialRow(IssuerTable, table=True):
    __tablename__ = "issuer_credential"
    __table_args__ = (
        # Two credentials can never share a status entry, whatever the concurrency.
        UniqueConstraint("status_list_id", "status_idx", name="uq_issuer_credential_status"),
        Index("ix_issuer_credential_kid_exp", "kid", "expires_at"),
        Index("ix_issuer_credential_list_status", "status_list_id", "status"),
        # The copies of one offer, listed and changed together by the operator.
        Index("ix_issuer_credential_offer_ref", "offer_ref"),
    )

    id: str = Field(primary_key=True, max_length=40)
    type_id: str = Field(index=True, max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(index=True, max_length=32)
    offer_ref: str = Field(max_length=32)
    kid: str = Field(max_length=64)
    holder_thumbprint: str = Field(max_length=64)
    status_list_id: str = Field(foreign_key="issuer_status_list.id", max_length=32)
    status_idx: int
    status: int = 0
    issued_at: int = Field(index=True)
    expires_at: int
    notification_id: str = Field(index=True, max_length=64)
    notification_event: str | None = Field(default=None, max_length=32)
    notified_at: int | None = None


class SigningKeyRow(IssuerTable, table=True):
    __tablename__ = "issuer_signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    alg: str = Field(max_length=16)
    public_jwk: str
    created_at: int
    retired_at: int | None = None


class SigningCertificateRow(IssuerTable, table=True):
    """The X.509 certificate chain of a signing key (HAIP 1.0 ``x5c``: the key's certificate
    first, then its intermediates, never the root), as standard base64 DER in a JSON array. A
    table of its own (not a column of the key's row) so that databases made before it get it
    from ``create_schema`` without a migration."""

    __tablename__ = "issuer_signing_certificate"

    kid: str = Field(primary_key=True, max_length=64)
    x5c: str
    not_after: int
    added_at: int


class ApiKeyRow(IssuerTable, table=True):
    __tablename__ = "issuer_api_key"

    key_id: str = Field(primary_key=True, max_length=12)
    secret_hash: str = Field(max_length=64)
    role: str = Field(max_length=16)
    label: str = Field(default="", max_length=200)
    created_at: int
    revoked_at: int | None = None


class AuditRow(IssuerTable, table=True):
    __tablename__ = "issuer_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: int = Field(index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    target: str = Field(max_length=200)
    detail: str = "{}"


_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS issuer_audit_no_update BEFORE UPDATE ON issuer_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS issuer_audit_no_delete BEFORE DELETE ON issuer_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION issuer_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS issuer_audit_no_change ON issuer_audit",
    "CREATE TRIGGER issuer_audit_no_change BEFORE UPDATE OR DELETE ON issuer_audit "
    "FOR EACH ROW EXECUTE FUNCTION issuer_audit_append_only()",
    "DROP TRIGGER IF EXISTS issuer_audit_no_truncate ON issuer_audit",
    "CREATE TRIGGER issuer_audit_no_truncate BEFORE TRUNCATE ON issuer_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION issuer_audit_append_only()",
)


def create_schema(engine: Engine) -> None:
    """Create missing tables, missing indexes and the audit log's append-only triggers
    (idempotent)."""
    IssuerTable.metadata.create_all(engine)
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(
        engine.dialect.name, ()
    )
    if not statements:
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Serialise concurrent starters: CREATE OR REPLACE FUNCTION is not concurrency-safe.
            conn.execute(text("SELECT pg_advisory_xact_lock(731001)"))
        # create_all makes an index only with its table: one added later (the offer_ref index)
        # is made here on a database that already has the table. No data changes.
        for table in IssuerTable.metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)
        for statement in statements:
            conn.execute(text(statement))
