"""Random pre-authorized codes (issue 15, finding 1): ``issuer_offer.code_sealed`` holds the
offer's code sealed with a key derived from the offer id. Offers made before this revision
have none and keep their derived code until they expire (``offer_lifetime``).

Revision 0007, after 0006.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issuer_offer") as batch:
        batch.add_column(sa.Column("code_sealed", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issuer_offer") as batch:
        batch.drop_column("code_sealed")
