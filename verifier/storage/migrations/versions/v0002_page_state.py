"""The teller pages' sessions and failed sign-ins in the database, shared by every worker.

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
        "verifier_page_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_verifier_page_sessions_last_seen", "verifier_page_sessions", ["last_seen"])
    op.create_table(
        "verifier_sign_in_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    op.create_index("ix_verifier_sign_in_failures_at", "verifier_sign_in_failures", ["at"])
    op.create_index(
        "ix_verifier_sign_in_failures_client_at", "verifier_sign_in_failures", ["client_hash", "at"]
    )


def downgrade() -> None:
    op.drop_table("verifier_sign_in_failures")
    op.drop_table("verifier_page_sessions")
