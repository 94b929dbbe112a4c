"""Webhook delivery leases (issue 15, finding 3): ``verifier_webhook_deliveries.lease_until``,
set by the one worker that sends a delivery (a conditional UPDATE) and cleared when it is done.

Revision 0003, after 0002.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("verifier_webhook_deliveries") as batch:
        batch.add_column(sa.Column("lease_until", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("verifier_webhook_deliveries") as batch:
        batch.drop_column("lease_until")
