"""Offline QR requests (their single-use nonces) and the results accepted offline, kept to be
re-checked when the network returns (docs/offline-qr.md).

Revision 0004, after 0003.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verifier_offline_requests",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(128), nullable=False, unique=True),
        sa.Column("client_id", sa.String(1000), nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("dcql_query", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(1000), nullable=False),
        sa.Column("rp_key_id", sa.String(32), nullable=True),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_verifier_offline_requests_expires_at", "verifier_offline_requests", ["expires_at"]
    )
    op.create_table(
        "verifier_offline_results",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("query_id", sa.String(200), nullable=False),
        sa.Column("issuer", sa.String(2048), nullable=False),
        sa.Column("issuer_name", sa.String(500), nullable=False),
        sa.Column("vct", sa.String(2048), nullable=False),
        sa.Column("status_uri", sa.String(2048), nullable=True),
        sa.Column("status_idx", sa.Integer(), nullable=True),
        sa.Column("status_as_of", sa.Integer(), nullable=True),
        sa.Column("bundle_as_of", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.Integer(), nullable=False),
        sa.Column("recheck", sa.String(16), nullable=False),
        sa.Column("rechecked_at", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_verifier_offline_results_request_id", "verifier_offline_results", ["request_id"]
    )
    op.create_index("ix_verifier_offline_results_recheck", "verifier_offline_results", ["recheck"])


def downgrade() -> None:
    op.drop_table("verifier_offline_results")
    op.drop_table("verifier_offline_requests")
