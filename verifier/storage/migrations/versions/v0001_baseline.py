"""The verifier's schema as ``create_schema`` made it before migrations (commit 144dc0c).

Revision 0001, the first. The tables are written out here, frozen: this file must keep making
exactly that schema whatever the models become. It creates only what is missing, so it also
completes a database made by that code, which then carries on with the later revisions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def tables() -> sa.MetaData:
    """The four tables of revision 0001, on a metadata of their own."""
    metadata = sa.MetaData()
    sa.Table(
        "verifier_api_keys",
        metadata,
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("webhook_secret", sa.String(128), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
    )
    sa.Table(
        "verifier_requests",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("rp_key_id", sa.String(32), nullable=False),
        sa.Column("template", sa.String(64)),
        sa.Column("dcql_query", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(1000), nullable=False),
        sa.Column("response_mode", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(1000), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False, unique=True),
        sa.Column("state", sa.String(128), nullable=False, unique=True),
        sa.Column("same_device", sa.Boolean(), nullable=False),
        sa.Column("redirect_uri", sa.String(2000)),
        sa.Column("webhook_url", sa.String(2000)),
        sa.Column("ephemeral_jwk", sa.String()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.Integer()),
        sa.Column("result", sa.String()),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.String(1000)),
        sa.Column("response_code_hash", sa.String(128)),
        sa.Column("response_code_used", sa.Boolean(), nullable=False),
        sa.Column("result_expires_at", sa.Integer()),
        sa.Index("ix_verifier_requests_expires_at", "expires_at"),
        sa.Index("ix_verifier_requests_result_expires_at", "result_expires_at"),
        sa.Index("ix_verifier_requests_rp_key_id", "rp_key_id"),
        sa.Index("ix_verifier_requests_status", "status"),
    )
    sa.Table(
        "verifier_webhook_deliveries",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("rp_key_id", sa.String(32), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("body", sa.String()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200)),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Index("ix_verifier_webhook_deliveries_next_attempt_at", "next_attempt_at"),
        sa.Index("ix_verifier_webhook_deliveries_request_id", "request_id"),
        sa.Index("ix_verifier_webhook_deliveries_status", "status"),
    )
    sa.Table(
        "verifier_trusted_issuers",
        metadata,
        sa.Column("id", sa.String(2048), primary_key=True),
        sa.Column("entry", sa.String(), nullable=False),
        sa.Column("updated_at", sa.Integer(), nullable=False),
    )
    return metadata


def upgrade() -> None:
    tables().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    tables().drop_all(op.get_bind())
