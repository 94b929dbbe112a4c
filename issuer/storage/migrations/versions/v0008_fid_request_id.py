"""The citizen's authorization session remembers the verifier request of a Foundational-ID
sign-in (method b, issue #12 §6.2) until its result is fetched once.

Revision 0008, after 0007. One nullable column: nothing to move.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issuer_par_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fid_request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issuer_par_request", schema=None) as batch_op:
        batch_op.drop_column("fid_request_id")
