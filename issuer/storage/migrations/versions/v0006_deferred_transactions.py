"""Deferred issuance (OpenID4VCI 1.0 §9): the table of credential requests waiting for an
operator's decision. See ``DeferredTransactionRow``.

Revision 0006, after 0005.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuer_deferred_transaction",
        sa.Column("transaction_hash", sa.String(length=64), primary_key=True),
        sa.Column("ref", sa.String(length=32), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("offer_ref", sa.String(length=32), nullable=False),
        sa.Column("type_id", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("holder_keys", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("issued_at", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_issuer_deferred_status_created",
        "issuer_deferred_transaction",
        ["status", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_issuer_deferred_status_created", table_name="issuer_deferred_transaction")
    op.drop_table("issuer_deferred_transaction")
