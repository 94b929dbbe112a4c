"""The authorization code flow (issue #12, HAIP 1.0 §4): pushed authorization requests with the
citizen's authorization session, grants, authorization codes, rotating refresh tokens, the DPoP
/ attestation PoP replay store, one-time sign-in codes; access tokens gain their DPoP binding
and grant.

Revision 0005, after 0004. New tables and two nullable columns: nothing to move.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuer_citizen_signin_failure",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("issuer_citizen_signin_failure", schema=None) as batch_op:
        batch_op.create_index("ix_issuer_citizen_signin_failure_at", ["at"], unique=False)
        batch_op.create_index(
            "ix_issuer_citizen_signin_failure_client_at", ["client_hash", "at"], unique=False
        )
    op.create_table(
        "issuer_authorization_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("grant_ref", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    with op.batch_alter_table("issuer_authorization_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issuer_authorization_code_grant_ref"), ["grant_ref"], unique=False
        )

    op.create_table(
        "issuer_par_request",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("request_uri_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("instance_jkt", sa.String(length=64), nullable=True),
        sa.Column("dpop_jkt", sa.String(length=64), nullable=True),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=512), nullable=True),
        sa.Column("code_challenge", sa.String(length=64), nullable=False),
        sa.Column("type_id", sa.String(length=64), nullable=False),
        sa.Column("authorization_details", sa.String(), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=True),
        sa.Column("subject_kind", sa.String(length=16), nullable=True),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("signin_method", sa.String(length=16), nullable=True),
        sa.Column("failed_signins", sa.Integer(), nullable=False),
        sa.Column("authenticated_at", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("ref"),
        sa.UniqueConstraint("request_uri_hash"),
    )
    with op.batch_alter_table("issuer_par_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issuer_par_request_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "issuer_refresh_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("grant_ref", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("rotated_at", sa.Integer(), nullable=True),
        sa.Column("successor_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("issuer_refresh_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issuer_refresh_token_grant_ref"), ["grant_ref"], unique=False
        )

    op.create_table(
        "issuer_replay",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash"),
    )
    with op.batch_alter_table("issuer_replay", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issuer_replay_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "issuer_signin_code",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("cid", sa.String(length=11), nullable=False),
        sa.Column("code_hmac", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer(), nullable=True),
        sa.Column("burned_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("ref"),
    )
    with op.batch_alter_table("issuer_signin_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issuer_signin_code_cid"), ["cid"], unique=False)

    op.create_table(
        "issuer_grant",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("offer_ref", sa.String(length=32), nullable=False),
        sa.Column("par_ref", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("instance_jkt", sa.String(length=64), nullable=True),
        sa.Column("dpop_jkt", sa.String(length=64), nullable=True),
        sa.Column("type_id", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("authorization_details", sa.String(), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.Integer(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_ref"],
            ["issuer_offer.ref"],
        ),
        sa.PrimaryKeyConstraint("ref"),
    )
    with op.batch_alter_table("issuer_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issuer_grant_offer_ref"), ["offer_ref"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_issuer_grant_subject_id"), ["subject_id"], unique=False
        )

    with op.batch_alter_table("issuer_access_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("grant_ref", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_issuer_access_token_grant_ref"), ["grant_ref"], unique=False
        )


def downgrade() -> None:
    op.drop_table("issuer_citizen_signin_failure")
    with op.batch_alter_table("issuer_access_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_access_token_grant_ref"))
        batch_op.drop_column("grant_ref")
        batch_op.drop_column("dpop_jkt")

    with op.batch_alter_table("issuer_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_grant_subject_id"))
        batch_op.drop_index(batch_op.f("ix_issuer_grant_offer_ref"))

    op.drop_table("issuer_grant")
    with op.batch_alter_table("issuer_signin_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_signin_code_cid"))

    op.drop_table("issuer_signin_code")
    with op.batch_alter_table("issuer_replay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_replay_expires_at"))

    op.drop_table("issuer_replay")
    with op.batch_alter_table("issuer_refresh_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_refresh_token_grant_ref"))

    op.drop_table("issuer_refresh_token")
    with op.batch_alter_table("issuer_par_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_par_request_expires_at"))

    op.drop_table("issuer_par_request")
    with op.batch_alter_table("issuer_authorization_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_authorization_code_grant_ref"))

    op.drop_table("issuer_authorization_code")
