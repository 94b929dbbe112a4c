"""The issuer's schema as ``create_schema`` made it before migrations (commit 144dc0c).

Revision 0001, the first. The tables are written out here, frozen: this file must keep making
exactly that schema whatever the models become. It creates only what is missing, so it also
completes a database made by that code, which then carries on with the later revisions; the
audit log's append-only triggers are (re)made the same way ``create_schema`` made them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS issuer_audit_no_update BEFORE UPDATE ON issuer_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS issuer_audit_no_delete BEFORE DELETE ON issuer_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION issuer_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS issuer_audit_no_change ON issuer_audit",
    "CREATE TRIGGER issuer_audit_no_change BEFORE UPDATE OR DELETE ON issuer_audit "
    "FOR EACH ROW EXECUTE FUNCTION issuer_audit_append_only()",
    "DROP TRIGGER IF EXISTS issuer_audit_no_truncate ON issuer_audit",
    "CREATE TRIGGER issuer_audit_no_truncate BEFORE TRUNCATE ON issuer_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION issuer_audit_append_only()",
)


def tables() -> sa.MetaData:
    """The eleven tables of revision 0001, on a metadata of their own."""
    metadata = sa.MetaData()
    sa.Table(
        "issuer_api_key",
        metadata,
        sa.Column("key_id", sa.String(12), primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.Integer()),
    )
    sa.Table(
        "issuer_audit",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Index("ix_issuer_audit_at", "at"),
    )
    sa.Table(
        "issuer_business",
        metadata,
        sa.Column("licence_number", sa.String(32), primary_key=True),
        sa.Column("owner_cid", sa.String(11), nullable=False),
        sa.Column("business_name", sa.String(200), nullable=False),
        sa.Column("data", sa.String(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Integer(), nullable=False),
        sa.Index("ix_issuer_business_owner_cid", "owner_cid"),
    )
    sa.Table(
        "issuer_nonce",
        metadata,
        sa.Column("nonce_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer()),
        sa.Index("ix_issuer_nonce_expires_at", "expires_at"),
    )
    sa.Table(
        "issuer_offer",
        metadata,
        sa.Column("ref", sa.String(32), primary_key=True),
        sa.Column("id_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("type_id", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("tx_code_hash", sa.String(64)),
        sa.Column("tx_code_length", sa.Integer()),
        sa.Column("tx_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("redeemed_at", sa.Integer()),
        sa.Column("burned_at", sa.Integer()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Index("ix_issuer_offer_subject_id", "subject_id"),
    )
    sa.Table(
        "issuer_person",
        metadata,
        sa.Column("cid", sa.String(11), primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("data", sa.String(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Integer(), nullable=False),
        sa.Index("ix_issuer_person_full_name", "full_name"),
    )
    sa.Table(
        "issuer_signing_key",
        metadata,
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("public_jwk", sa.String(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.Integer()),
    )
    sa.Table(
        "issuer_status_list",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("token", sa.String()),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("token_kid", sa.String(64)),
        sa.Column("token_exp", sa.Integer()),
    )
    sa.Table(
        "issuer_access_token",
        metadata,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("offer_ref", sa.String(32), sa.ForeignKey("issuer_offer.ref"), nullable=False),
        sa.Column("type_id", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Index("ix_issuer_access_token_offer_ref", "offer_ref"),
    )
    sa.Table(
        "issuer_credential",
        metadata,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("type_id", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("offer_ref", sa.String(32), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("holder_thumbprint", sa.String(64), nullable=False),
        sa.Column(
            "status_list_id", sa.String(32), sa.ForeignKey("issuer_status_list.id"), nullable=False
        ),
        sa.Column("status_idx", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.String(64), nullable=False),
        sa.Column("notification_event", sa.String(32)),
        sa.Column("notified_at", sa.Integer()),
        sa.UniqueConstraint("status_list_id", "status_idx", name="uq_issuer_credential_status"),
        sa.Index("ix_issuer_credential_issued_at", "issued_at"),
        sa.Index("ix_issuer_credential_kid_exp", "kid", "expires_at"),
        sa.Index("ix_issuer_credential_list_status", "status_list_id", "status"),
        sa.Index("ix_issuer_credential_notification_id", "notification_id"),
        sa.Index("ix_issuer_credential_offer_ref", "offer_ref"),
        sa.Index("ix_issuer_credential_subject_id", "subject_id"),
        sa.Index("ix_issuer_credential_type_id", "type_id"),
    )
    return metadata


def upgrade() -> None:
    bind = op.get_bind()
    metadata = tables()
    metadata.create_all(bind, checkfirst=True)
    # As create_schema did: an index added to a table after the table existed is made here.
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(bind, checkfirst=True)
    for statement in {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(
        bind.dialect.name, ()
    ):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS issuer_audit_append_only() CASCADE")
    tables().drop_all(bind)
