"""A relying party may ask for the same-device ``response_code`` in the redirect's query instead
of its fragment (``response_code_in: query``), for a return page served without script (the
agency's sign-in page, issue #12). Existing requests keep the fragment.

Revision 0005, after 0004 (the offline QR tables).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite allows NOT NULL with a default): no table rebuild.
    op.add_column(
        "verifier_requests",
        sa.Column(
            "response_code_in_query", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("verifier_requests", schema=None) as batch_op:
        batch_op.drop_column("response_code_in_query")
