"""The operator pages' sessions and failed sign-ins in the database, shared by every worker.

Revision 0002, after 0001. See :mod:`servicekit.page_state`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuer_page_session",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_issuer_page_session_last_seen", "issuer_page_session", ["last_seen"])
    op.create_table(
        "issuer_sign_in_failure",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    op.create_index("ix_issuer_sign_in_failure_at", "issuer_sign_in_failure", ["at"])
    op.create_index(
        "ix_issuer_sign_in_failure_client_at", "issuer_sign_in_failure", ["client_hash", "at"]
    )


def downgrade() -> None:
    op.drop_table("issuer_sign_in_failure")
    op.drop_table("issuer_page_session")
