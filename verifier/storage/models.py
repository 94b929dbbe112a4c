"""Database tables of the verifier service (SQLModel; SQLite or PostgreSQL).

Data minimisation: a request row holds the DCQL query, nonce, state and — only while the
session is open — the private half of its ephemeral ECDH key. After the response it holds the
*verified, disclosed* claims (never the raw presentation) until ``result_expires_at``, when
the row is deleted. API keys and response codes are stored as SHA-256 hashes only.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

__all__ = ["ApiKeyRecord", "RequestRecord", "TrustedIssuerRecord", "WebhookDelivery", "tables"]


class ApiKeyRecord(SQLModel, table=True):
    __tablename__ = "verifier_api_keys"

    key_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=128)
    # HMAC key for this relying party's webhooks: it must be usable, so it cannot be hashed.
    webhook_secret: str = Field(max_length=128)
    admin: bool = False
    revoked: bool = False
    created_at: int


class RequestRecord(SQLModel, table=True):
    __tablename__ = "verifier_requests"

    id: str = Field(primary_key=True, max_length=64)
    rp_key_id: str = Field(index=True, max_length=32)
    template: str | None = Field(default=None, max_length=64)
    dcql_query: str
    purpose: str = Field(max_length=1000)
    response_mode: str = Field(max_length=32)
    client_id: str = Field(max_length=1000)
    nonce: str = Field(unique=True, max_length=128)
    state: str = Field(unique=True, max_length=128)
    same_device: bool = False
    redirect_uri: str | None = Field(default=None, max_length=2000)
    webhook_url: str | None = Field(default=None, max_length=2000)
    ephemeral_jwk: str | None = None
    status: str = Field(default="pending", index=True, max_length=16)
    created_at: int
    expires_at: int = Field(index=True)
    completed_at: int | None = None
    result: str | None = None
    error_code: str | None = Field(default=None, max_length=64)
    error_message: str | None = Field(default=None, max_length=1000)
    response_code_hash: str | None = Field(default=None, max_length=128)
    response_code_used: bool = False
    result_expires_at: int | None = Field(default=None, index=True)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "verifier_webhook_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(index=True, max_length=64)
    rp_key_id: str = Field(max_length=32)
    url: str = Field(max_length=2000)
    body: str | None = None
    status: str = Field(default="pending", index=True, max_length=16)
    attempts: int = 0
    next_attempt_at: int = Field(index=True)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: int


class TrustedIssuerRecord(SQLModel, table=True):
    __tablename__ = "verifier_trusted_issuers"

    id: str = Field(primary_key=True, max_length=2048)
    entry: str
    updated_at: int


def tables() -> list[object]:
    """The verifier's tables (created with ``SQLModel.metadata.create_all(tables=...)``, so
    other roles' tables in the same metadata are never created in the verifier database)."""
    return [
        model.__table__  # type: ignore[union-attr]
        for model in (ApiKeyRecord, RequestRecord, WebhookDelivery, TrustedIssuerRecord)
    ]
