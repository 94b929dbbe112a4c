"""The issuer's tables. The only module that defines SQLModel tables.

Bearer secrets (offer ids, pre-authorized codes, access tokens, c_nonces, API key secrets) are
stored as SHA-256 hashes, tx_codes as HMACs; an issued credential is never stored, only its
metadata (type, subject, signing key, holder key thumbprint, status list position, validity).
Times are UNIX seconds. The audit log is append-only: the code has no update or delete path for
it and the schema has database triggers that refuse both (revision 0001).

The schema is made and changed by migrations (:mod:`issuer.storage.schema`): a change here
comes with a revision in ``migrations/versions/`` (docs/dev/where-things-go.md).
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from servicekit.page_state import failure_table, page_state_tables

__all__ = [
    "CITIZEN_SIGNIN_FAILURES",
    "PAGE_STATE",
    "AccessTokenRow",
    "ApiKeyRow",
    "AuditRow",
    "AuthorizationCodeRow",
    "BusinessRow",
    "CredentialRow",
    "DeferredTransactionRow",
    "GrantRow",
    "IssuerTable",
    "NonceRow",
    "OfferRow",
    "ParRequestRow",
    "PersonRow",
    "RefreshTokenRow",
    "ReplayRow",
    "SignInCodeRow",
    "SigningKeyRow",
    "StatusListRow",
]


class IssuerTable(SQLModel, registry=registry()):
    """Base with its own metadata, so other roles' tables never land in the issuer database."""


class PersonRow(IssuerTable, table=True):
    __tablename__ = "issuer_person"

    cid: str = Field(primary_key=True, max_length=11)
    full_name: str = Field(index=True, max_length=200)
    data: str  # the validated registry.Person as JSON
    created_at: int
    updated_at: int


class BusinessRow(IssuerTable, table=True):
    __tablename__ = "issuer_business"

    licence_number: str = Field(primary_key=True, max_length=32)
    owner_cid: str = Field(index=True, max_length=11)
    business_name: str = Field(max_length=200)
    data: str
    created_at: int
    updated_at: int


class OfferRow(IssuerTable, table=True):
    __tablename__ = "issuer_offer"

    ref: str = Field(primary_key=True, max_length=32)  # public reference for logs and audit
    id_hash: str = Field(unique=True, max_length=64)
    code_hash: str = Field(unique=True, max_length=64)
    # The pre-authorized code sealed under a key derived from the offer id (issuer.oid4vci.offer).
    code_sealed: str | None = Field(default=None, max_length=200)
    type_id: str = Field(max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(index=True, max_length=32)
    tx_code_hash: str | None = Field(default=None, max_length=64)
    tx_code_length: int | None = None
    tx_attempts: int = 0
    created_at: int
    expires_at: int
    redeemed_at: int | None = None
    burned_at: int | None = None
    created_by: str = Field(max_length=64)


class AccessTokenRow(IssuerTable, table=True):
    __tablename__ = "issuer_access_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    offer_ref: str = Field(foreign_key="issuer_offer.ref", index=True, max_length=32)
    type_id: str = Field(max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(max_length=32)
    created_at: int
    expires_at: int
    requests: int = 0
    # RFC 9449 §6: the thumbprint of the DPoP key the token is bound to (None: a bearer token,
    # only for the pre-authorized flow when allow_unbound_bearer_tokens is on).
    dpop_jkt: str | None = Field(default=None, max_length=64)
    # The authorization-code grant the token was issued for (None: pre-authorized).
    grant_ref: str | None = Field(default=None, index=True, max_length=32)


class ParRequestRow(IssuerTable, table=True):
    """A pushed authorization request (RFC 9126), and then the citizen's authorization session
    at the agency: bound to one browser on the first visit (``browser_hash``, the cookie's
    SHA-256), signed in (``subject_*``), used once the code is issued."""

    __tablename__ = "issuer_par_request"

    ref: str = Field(primary_key=True, max_length=32)
    request_uri_hash: str = Field(unique=True, max_length=64)
    client_id: str = Field(max_length=200)
    instance_jkt: str | None = Field(default=None, max_length=64)
    dpop_jkt: str | None = Field(default=None, max_length=64)
    redirect_uri: str = Field(max_length=500)
    state: str | None = Field(default=None, max_length=512)
    code_challenge: str = Field(max_length=64)
    type_id: str = Field(max_length=64)
    authorization_details: str | None = None  # JSON, when the request used them
    created_at: int
    expires_at: int = Field(index=True)
    browser_hash: str | None = Field(default=None, max_length=64)
    csrf_token: str | None = Field(default=None, max_length=64)
    subject_kind: str | None = Field(default=None, max_length=16)
    subject_id: str | None = Field(default=None, max_length=32)
    signin_method: str | None = Field(default=None, max_length=16)
    # The verifier's request id while the citizen presents their Foundational ID (method b).
    fid_request_id: str | None = Field(default=None, max_length=64)
    failed_signins: int = 0
    authenticated_at: int | None = None
    used_at: int | None = None


class GrantRow(IssuerTable, table=True):
    """What a citizen allowed a wallet (an authorization-code grant): one credential type of
    their own record, for the wallet instance and DPoP key that asked. Its credentials hang on
    ``offer_ref``, an offer row made at consent (``created_by`` ``citizen:<cid>``), so the
    operator's listing, revocation of copies and notifications treat both flows alike."""

    __tablename__ = "issuer_grant"

    ref: str = Field(primary_key=True, max_length=32)
    offer_ref: str = Field(foreign_key="issuer_offer.ref", index=True, max_length=32)
    par_ref: str = Field(max_length=32)
    client_id: str = Field(max_length=200)
    instance_jkt: str | None = Field(default=None, max_length=64)
    dpop_jkt: str | None = Field(default=None, max_length=64)  # bound at PAR or first token
    type_id: str = Field(max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(index=True, max_length=32)
    authorization_details: str | None = None
    created_at: int
    expires_at: int
    revoked_at: int | None = None
    revoked_reason: str | None = Field(default=None, max_length=64)


class AuthorizationCodeRow(IssuerTable, table=True):
    __tablename__ = "issuer_authorization_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    grant_ref: str = Field(index=True, max_length=32)
    created_at: int
    expires_at: int
    used_at: int | None = None


class RefreshTokenRow(IssuerTable, table=True):
    """Rotating refresh tokens with FAPI 2.0's retry rule: a rotated token is accepted again
    while its successor was never used (the wallet lost the response); once the successor was
    used, the old one revokes the grant."""

    __tablename__ = "issuer_refresh_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    grant_ref: str = Field(index=True, max_length=32)
    created_at: int
    expires_at: int
    rotated_at: int | None = None
    successor_hash: str | None = Field(default=None, max_length=64)


class ReplayRow(IssuerTable, table=True):
    """A DPoP proof's or attestation PoP's ``jti`` seen at a target (RFC 9449 §11.1): inserted,
    never updated; the primary key makes a second insert fail in every worker."""

    __tablename__ = "issuer_replay"

    key_hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    expires_at: int = Field(index=True)


class SignInCodeRow(IssuerTable, table=True):
    """A one-time sign-in code the agency gave a citizen (stored as an HMAC keyed by ``ref``)."""

    __tablename__ = "issuer_signin_code"

    ref: str = Field(primary_key=True, max_length=32)
    cid: str = Field(index=True, max_length=11)
    code_hmac: str = Field(max_length=64)
    created_by: str = Field(max_length=64)
    created_at: int
    expires_at: int
    attempts: int = 0
    used_at: int | None = None
    burned_at: int | None = None


class NonceRow(IssuerTable, table=True):
    __tablename__ = "issuer_nonce"

    nonce_hash: str = Field(primary_key=True, max_length=64)
    expires_at: int = Field(index=True)
    used_at: int | None = None


class StatusListRow(IssuerTable, table=True):
    __tablename__ = "issuer_status_list"

    id: str = Field(primary_key=True, max_length=32)
    size: int
    bits: int
    open: bool = True
    created_at: int
    version: int = 0  # bumped by every status change; the cached token is re-signed after
    token: str | None = None
    token_version: int = -1
    token_kid: str | None = Field(default=None, max_length=64)
    token_exp: int | None = None


class CredentialRow(IssuerTable, table=True):
    __tablename__ = "issuer_credential"
    __table_args__ = (
        # Two credentials can never share a status entry, whatever the concurrency.
        UniqueConstraint("status_list_id", "status_idx", name="uq_issuer_credential_status"),
        Index("ix_issuer_credential_kid_exp", "kid", "expires_at"),
        Index("ix_issuer_credential_list_status", "status_list_id", "status"),
        # The copies of one offer, listed and changed together by the operator.
        Index("ix_issuer_credential_offer_ref", "offer_ref"),
    )

    id: str = Field(primary_key=True, max_length=40)
    type_id: str = Field(index=True, max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(index=True, max_length=32)
    offer_ref: str = Field(max_length=32)
    kid: str = Field(max_length=64)
    holder_thumbprint: str = Field(max_length=64)
    status_list_id: str = Field(foreign_key="issuer_status_list.id", max_length=32)
    status_idx: int
    status: int = 0
    issued_at: int = Field(index=True)
    expires_at: int
    notification_id: str = Field(index=True, max_length=64)
    notification_event: str | None = Field(default=None, max_length=32)
    notified_at: int | None = None
    # What a key attestation (OpenID4VCI 1.0 Appendix D) said about the holder key's storage,
    # as JSON arrays of level names or URLs, and who attested it (null: no attestation).
    key_storage: str | None = Field(default=None, max_length=1000)
    user_authentication: str | None = Field(default=None, max_length=1000)
    key_attestation_issuer: str | None = Field(default=None, max_length=300)


class DeferredTransactionRow(IssuerTable, table=True):
    """A credential request waiting for an operator's decision (OpenID4VCI 1.0 §9, deferred
    issuance). The credentials are signed when the wallet fetches them after approval, from the
    registry record as it is then; they are never stored. ``transaction_hash``: SHA-256 of the
    transaction id (a bearer secret); ``ref``: the public reference operators and logs use;
    ``token_hash``: the access token that made the request, the only one that may fetch.
    ``holder_keys``: JSON list of the public keys to bind, each with its attested levels.
    ``status``: pending, approved, denied or issued."""

    __tablename__ = "issuer_deferred_transaction"
    __table_args__ = (Index("ix_issuer_deferred_status_created", "status", "created_at"),)

    transaction_hash: str = Field(primary_key=True, max_length=64)
    ref: str = Field(unique=True, max_length=32)
    token_hash: str = Field(max_length=64)
    offer_ref: str = Field(max_length=32)
    type_id: str = Field(max_length=64)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(max_length=32)
    holder_keys: str
    status: str = Field(default="pending", max_length=16)
    interval: int
    created_at: int
    expires_at: int
    decided_at: int | None = None
    decided_by: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=500)
    issued_at: int | None = None


class SigningKeyRow(IssuerTable, table=True):
    __tablename__ = "issuer_signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    alg: str = Field(max_length=16)
    public_jwk: str
    created_at: int
    retired_at: int | None = None


class SigningCertificateRow(IssuerTable, table=True):
    """The X.509 certificate chain of a signing key (HAIP 1.0 ``x5c``: the key's certificate
    first, then its intermediates, never the root), as standard base64 DER in a JSON array. A
    table of its own (migration 0003) rather than a column of the key's row: the key rows stay
    as they were."""

    __tablename__ = "issuer_signing_certificate"

    kid: str = Field(primary_key=True, max_length=64)
    x5c: str
    not_after: int
    added_at: int


class ApiKeyRow(IssuerTable, table=True):
    __tablename__ = "issuer_api_key"

    key_id: str = Field(primary_key=True, max_length=12)
    secret_hash: str = Field(max_length=64)
    role: str = Field(max_length=16)
    label: str = Field(default="", max_length=200)
    created_at: int
    revoked_at: int | None = None


class AuditRow(IssuerTable, table=True):
    __tablename__ = "issuer_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: int = Field(index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    target: str = Field(max_length=200)
    detail: str = "{}"


# The operator pages' sessions and failed sign-ins, shared by every worker.
PAGE_STATE = page_state_tables(
    IssuerTable.metadata, sessions="issuer_page_session", failures="issuer_sign_in_failure"
)

# Failed citizen sign-ins on the authorization pages, per client address (its own window).
CITIZEN_SIGNIN_FAILURES = failure_table(IssuerTable.metadata, "issuer_citizen_signin_failure")
