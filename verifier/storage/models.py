"""Database tables of the verifier service (SQLModel; SQLite or PostgreSQL).

Data minimisation: a request row holds the DCQL query, nonce, state and — only while the
session is open — the private half of its ephemeral ECDH key. After the response it holds the
*verified, disclosed* claims (never the raw presentation) until ``result_expires_at``, when
the row is deleted. API keys and response codes are stored as SHA-256 hashes only.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table
from sqlmodel import Field, SQLModel

from servicekit.page_state import page_state_tables

__all__ = [
    "PAGE_STATE",
    "ApiKeyRecord",
    "OfflineRequestRecord",
    "OfflineResultRecord",
    "RequestRecord",
    "TrustedIssuerRecord",
    "WebhookDelivery",
    "tables",
]


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
    # The relying party asked for the response_code in the redirect's query, not the fragment.
    response_code_in_query: bool = False
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
    # A worker sending it holds it until then (revision 0003); a dead worker's lease runs out.
    lease_until: int | None = None


class TrustedIssuerRecord(SQLModel, table=True):
    __tablename__ = "verifier_trusted_issuers"

    id: str = Field(primary_key=True, max_length=2048)
    entry: str
    updated_at: int


class OfflineRequestRecord(SQLModel, table=True):
    """A request shown as an offline QR code (docs/offline-qr.md): its nonce is single-use
    (``used_at`` set by one conditional update when an answer is accepted)."""

    __tablename__ = "verifier_offline_requests"

    id: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(unique=True, max_length=128)
    client_id: str = Field(max_length=1000)
    template: str | None = Field(default=None, max_length=64)
    dcql_query: str
    purpose: str = Field(max_length=1000)
    rp_key_id: str | None = Field(default=None, max_length=32)
    webhook_url: str | None = Field(default=None, max_length=2000)
    created_at: int
    expires_at: int = Field(index=True)
    used_at: int | None = None


class OfflineResultRecord(SQLModel, table=True):
    """A credential accepted offline, kept "to re-check" against fresh status lists when the
    network returns (``recheck``: ``to_recheck``, ``valid``, ``revoked``, ``suspended``, or
    ``no_status`` for a credential without a status list). Data minimisation: the person's
    claims are shown at the desk once and never stored; a re-check needs only the status
    list entry."""

    __tablename__ = "verifier_offline_results"

    id: str = Field(primary_key=True, max_length=64)
    request_id: str = Field(index=True, max_length=64)
    query_id: str = Field(max_length=200)
    issuer: str = Field(max_length=2048)
    issuer_name: str = Field(max_length=500)
    vct: str = Field(max_length=2048)
    status_uri: str | None = Field(default=None, max_length=2048)
    status_idx: int | None = None
    status_as_of: int | None = None
    bundle_as_of: int | None = None
    accepted_at: int
    recheck: str = Field(default="to_recheck", index=True, max_length=16)
    rechecked_at: int | None = None


# The teller pages' sessions and failed sign-ins, shared by every worker.
PAGE_STATE = page_state_tables(
    SQLModel.metadata, sessions="verifier_page_sessions", failures="verifier_sign_in_failures"
)


def tables() -> list[Table]:
    """The verifier's tables (other roles' tables share SQLModel's metadata, so the verifier's
    schema names its own: :func:`verifier.storage.schema.metadata`)."""
    models = (
        ApiKeyRecord,
        RequestRecord,
        WebhookDelivery,
        TrustedIssuerRecord,
        OfflineRequestRecord,
        OfflineResultRecord,
    )
    return [cast(Table, model.__table__) for model in models] + list(PAGE_STATE)  # type: ignore[union-attr]
