"""The signing keys' X.509 certificate chains (HAIP 1.0 ``x5c``), one row per certified key.

Revision 0003, after 0002. See :mod:`issuer.keys` and ``SigningCertificateRow``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuer_signing_certificate",
        sa.Column("kid", sa.String(length=64), primary_key=True),
        sa.Column("x5c", sa.String(), nullable=False),
        sa.Column("not_after", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("issuer_signing_certificate")
