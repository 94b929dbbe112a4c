"""Key attestation levels recorded with each issued credential (OpenID4VCI 1.0 Appendix D):
``key_storage``, ``user_authentication`` (JSON arrays) and ``key_attestation_issuer``, all null
for credentials issued without an attestation (every row before this revision).

Revision 0004, after 0003.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("key_storage", 1000),
    ("user_authentication", 1000),
    ("key_attestation_issuer", 300),
)


def upgrade() -> None:
    with op.batch_alter_table("issuer_credential") as batch:
        for name, length in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issuer_credential") as batch:
        for name, _length in reversed(_COLUMNS):
            batch.drop_column(name)
