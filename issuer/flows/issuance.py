"""The OpenID4VCI credential endpoint (§8): verify the key proofs (and key attestations,
Appendix D), then sign one SD-JWT VC per holder key, each with its own status list entry
(:class:`~issuer.status.StatusLists`), signed by the active key
(:class:`~issuer.keys.SigningKeys`); encrypt the answer when the wallet asked (§10).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from credentials.errors import KeyAttestationError
from credentials.oauth.key_attestation import VerifiedKeyAttestation, verify_key_attestation
from credentials.sd_jwt_vc import issue_sd_jwt_vc
from credentials.x509 import TrustAnchor
from did.keys import ALGORITHMS
from issuer.claims import present_sd_paths
from issuer.context import DAY, IssuerContext
from issuer.errors import (
    CredentialRequestDeniedError,
    InsufficientScopeError,
    InvalidNonceError,
    InvalidProofError,
    InvalidTokenError,
    IssuerError,
    NotFoundError,
    TemporarilyUnavailableError,
    UnknownCredentialConfigurationError,
)
from issuer.flows.access import live_access_token
from issuer.keys import SigningKeys
from issuer.oid4vci.credential import (
    CredentialRequest,
    credential_response,
    deferred_response,
    parse_credential_request,
)
from issuer.oid4vci.encryption import JWE_CONTENT_TYPE, ResponseEncryption, encrypt_response
from issuer.oid4vci.key_attestation import HolderKey, keys_from_attestation, keys_from_proofs
from issuer.oid4vci.offer import lookup_hash, new_secret
from issuer.oid4vci.proof import KidResolver, verify_proofs
from issuer.records import expiry_for, records_for
from issuer.status import StatusLists
from issuer.storage.models import AccessTokenRow, CredentialRow, DeferredTransactionRow
from issuer.storage.repos import Audit, Credentials, DeferredTransactions, Nonces, Tokens
from issuer.types import CredentialType

__all__ = ["CredentialAnswer", "CredentialIssuance"]

log = logging.getLogger(__name__)

_ALLOCATION_RETRIES = 8


@dataclass(frozen=True, slots=True)
class CredentialAnswer:
    """What the credential endpoint sends: JSON, or (§10) a compact JWE as ``application/jwt``."""

    body: dict[str, Any] | str
    status: int = 200

    @property
    def media_type(self) -> str:
        return JWE_CONTENT_TYPE if isinstance(self.body, str) else "application/json"

    @classmethod
    def of(
        cls, body: dict[str, Any], encryption: ResponseEncryption | None, *, status: int = 200
    ) -> CredentialAnswer:
        """§10: encrypted "regardless of the content" when asked (a 202 answer too)."""
        if encryption is None:
            return cls(body, status)
        return cls(encrypt_response(body, encryption), status)


def _levels(values: Sequence[str]) -> str | None:  # a JSON array column, null when empty
    return json.dumps(list(values)) if values else None


class CredentialIssuance:
    """The credential endpoint. ``resolve_kid`` resolves a proof's ``kid`` (a DID URL) to its
    key; ``proof_algorithms`` are the proof signature algorithms accepted (key attestations
    too, Appendix F.1); ``key_attestation_anchors`` the wallet-provider CAs that key
    attestations must chain to (none: key attestations are refused as untrusted)."""

    def __init__(
        self,
        context: IssuerContext,
        *,
        signing: SigningKeys,
        status_lists: StatusLists,
        resolve_kid: KidResolver | None = None,
        proof_algorithms: tuple[str, ...] = ALGORITHMS,
        key_attestation_anchors: Sequence[TrustAnchor] = (),
    ) -> None:
        self.context = context
        self.signing = signing
        self.status_lists = status_lists
        self.resolve_kid = resolve_kid
        self.proof_algorithms = proof_algorithms
        self.key_attestation_anchors = tuple(key_attestation_anchors)

    def verify_key_attestation(
        self, token: object, expected_nonce: str | None, exp_required: bool
    ) -> VerifiedKeyAttestation:
        """Appendix D against the configured anchors; refusals as ``invalid_proof`` (or
        ``invalid_nonce`` for a stale nonce) with the attestation rule's own code."""
        settings = self.context.settings
        if not self.key_attestation_anchors:
            raise InvalidProofError(
                "this issuer trusts no key attestation providers; send the proof without one",
                code="key_attestation_untrusted",
            )
        try:
            return verify_key_attestation(
                token,
                anchors=self.key_attestation_anchors,
                now=self.context.clock(),
                leeway=settings.clock_leeway,
                algorithms=self.proof_algorithms,
                expected_nonce=expected_nonce,
                exp_required=exp_required,
                accept_legacy_typ=settings.accept_legacy_key_attestation_typ,
            )
        except KeyAttestationError as exc:
            error = InvalidNonceError if exc.code == "key_attestation_nonce" else InvalidProofError
            raise error(exc.message, code=exc.code) from exc

    def holder_keys(
        self, request: CredentialRequest, ctype: CredentialType, now: int
    ) -> tuple[list[HolderKey], str]:
        """The keys to bind (§8.2, Appendix F) and the c_nonce the request spends."""
        batch_size = self.context.settings.batch_size
        if request.proof_type == "attestation":
            return keys_from_attestation(
                request.proofs[0],
                policy=ctype.key_attestation,
                verify=self.verify_key_attestation,
                batch_size=batch_size,
            )
        proofs = verify_proofs(
            request.proofs,
            audience=self.context.issuer_url,
            now=now,
            algorithms=self.proof_algorithms,
            max_age=self.context.settings.proof_max_age,
            leeway=self.context.settings.clock_leeway,
            resolve_kid=self.resolve_kid,
        )
        keys = keys_from_proofs(
            proofs,
            policy=ctype.key_attestation,
            verify=self.verify_key_attestation,
            batch_size=batch_size,
        )
        return keys, proofs[0].nonce

    def answer(self, access_token: str | None, body: Any) -> CredentialAnswer:
        """OpenID4VCI §8: verify the key proofs, then sign one credential per holder key."""
        context = self.context
        now = context.clock()
        with context.session() as s:
            token = live_access_token(s, access_token, now)
            try:
                records = records_for(s, token.subject_kind, token.subject_id)
            except NotFoundError as exc:
                missing: NotFoundError | None = exc
            else:
                missing = None
        request = parse_credential_request(
            body,
            batch_size=context.settings.batch_size,
            encryption=context.settings.credential_response_encryption,
        )
        if request.configuration_id not in context.types:
            raise UnknownCredentialConfigurationError(
                f"this issuer has no credential configuration {request.configuration_id!r}"
            )
        if request.configuration_id != token.type_id:
            raise InsufficientScopeError(
                f"this access token is for {token.type_id}, not {request.configuration_id}"
            )
        ctype = context.types[token.type_id]
        budget = context.settings.max_credential_requests
        if token.requests >= budget:  # before any proof work (a did:web kid is a fetch)
            raise InvalidTokenError(
                "this access token was used up or expired; start again from the offer",
                code="token_used",
            )
        try:
            holder_keys, nonce = self.holder_keys(request, ctype, now)
        except IssuerError:
            # A failed proof uses up one of the token's requests too, so one token cannot
            # send an endless stream of proofs (each perhaps a slow did:web resolution).
            with context.session(write=True) as s:
                Tokens(s).use(token.token_hash, max_requests=budget, now=now)
                s.commit()
            raise
        if missing is not None:
            raise CredentialRequestDeniedError(
                f"the agency can no longer issue this credential: {missing.message}",
                code="record_missing",
            ) from missing
        nonce_hash = lookup_hash(nonce)

        def spend(s: Session) -> None:
            self._spend(s, token, nonce_hash, now)

        if ctype.approval == "operator":
            deferred = self._defer(token, holder_keys, spend, now)
            return CredentialAnswer.of(deferred, request.encryption, status=202)
        issued, notification_id = self.sign_credentials(
            ctype,
            subject=(token.subject_kind, token.subject_id),
            offer_ref=token.offer_ref,
            claims=records.claims(ctype, now=now),
            holder_keys=holder_keys,
            now=now,
            before=spend,
        )
        body = credential_response(issued, notification_id=notification_id)
        return CredentialAnswer.of(body, request.encryption)

    def _spend(self, s: Session, token: AccessTokenRow, nonce_hash: str, now: int) -> None:
        """One use of the access token and the c_nonce, in the caller's unit of work."""
        # Token use first: it is the row every retry of this wallet contends on.
        if not Tokens(s).use(
            token.token_hash, max_requests=self.context.settings.max_credential_requests, now=now
        ):
            raise InvalidTokenError(
                "this access token was used up or expired; start again from the offer",
                code="token_used",
            )
        if not Nonces(s).consume(nonce_hash, now=now):
            raise InvalidNonceError(
                "the c_nonce is unknown, used or expired; get a fresh one from the nonce "
                "endpoint and sign new proofs"
            )

    def _defer(
        self,
        token: AccessTokenRow,
        holder_keys: Sequence[HolderKey],
        spend: Callable[[Session], None],
        now: int,
    ) -> dict[str, Any]:
        """§8.3 / §9: keep the verified keys for an operator's decision; answer 202."""
        context = self.context
        settings = context.settings
        transaction_id = new_secret(context.random_bytes)
        ref = "dtx_" + context.random_bytes(8).hex()
        with context.session(write=True) as s:
            spend(s)
            DeferredTransactions(s).add(
                DeferredTransactionRow(
                    transaction_hash=lookup_hash(transaction_id),
                    ref=ref,
                    token_hash=token.token_hash,
                    offer_ref=token.offer_ref,
                    type_id=token.type_id,
                    subject_kind=token.subject_kind,
                    subject_id=token.subject_id,
                    holder_keys=json.dumps([key.to_json() for key in holder_keys]),
                    interval=settings.deferred_interval,
                    created_at=now,
                    expires_at=now + settings.deferred_lifetime,
                )
            )
            # The queue's own history: who decided is recorded by the operator service.
            Audit(s).append(
                at=now,
                actor="wallet",
                action="approval.request",
                target=ref,
                detail={
                    "type": token.type_id,
                    "subject": token.subject_id,
                    "keys": len(holder_keys),
                },
            )
            s.commit()
        log.info("deferred %s %s (offer %s) for approval", token.type_id, ref, token.offer_ref)
        return deferred_response(transaction_id, interval=settings.deferred_interval)

    def sign_credentials(
        self,
        ctype: CredentialType,
        *,
        subject: tuple[str, str],
        offer_ref: str,
        claims: dict[str, Any],
        holder_keys: Sequence[HolderKey],
        now: int,
        before: Callable[[Session], None],
    ) -> tuple[list[str], str]:
        """Sign one credential per holder key and record them, in one unit of work that first
        runs ``before`` (what the request spends; it raises to refuse). Returns the credentials
        and their ``notification_id``."""
        sd_paths = present_sd_paths(ctype, claims)
        expires_at = expiry_for(ctype, claims, now)
        for _attempt in range(_ALLOCATION_RETRIES):
            try:
                return self._sign_once(
                    ctype, subject, offer_ref, claims, sd_paths, holder_keys, now, expires_at,
                    before,
                )  # fmt: skip
            except IntegrityError:
                # A status index drawn at the same instant by another request hit the unique
                # constraint: nothing was committed, what ``before`` spent is unspent again, so
                # the whole unit of work runs again with fresh draws.
                log.info("status index clash; retrying issuance")
        raise TemporarilyUnavailableError("the issuer is busy; try again in a moment")

    def _sign_once(
        self,
        ctype: CredentialType,
        subject: tuple[str, str],
        offer_ref: str,
        claims: dict[str, Any],
        sd_paths: list[tuple[str, ...]],
        holder_keys: Sequence[HolderKey],
        now: int,
        expires_at: int,
        before: Callable[[Session], None],
    ) -> tuple[list[str], str]:
        context = self.context
        subject_kind, subject_id = subject
        with context.session(write=True) as s:
            before(s)
            signer = self.signing.signer(s)
            kid, key = signer.kid, signer.key
            notification_id = new_secret(context.random_bytes)
            issued: list[str] = []
            rows: list[CredentialRow] = []
            positions = self.status_lists.allocate(s, now, len(holder_keys))
            for holder, (list_id, idx) in zip(holder_keys, positions, strict=True):
                credential_id = "cred_" + context.random_bytes(12).hex()
                sd_jwt = issue_sd_jwt_vc(
                    claims,
                    key,
                    iss=context.issuer_url,
                    vct=ctype.vct(context.issuer_url),
                    # Day granularity: an exact second shared by batch copies (or unique to one
                    # citizen) would let verifiers link presentations; a day is shared by many.
                    iat=now - now % DAY,
                    exp=expires_at,
                    sd_paths=sd_paths,
                    holder_key=holder.key,
                    status={"status_list": {"idx": idx, "uri": self.status_lists.uri(list_id)}},
                    kid=kid,
                    x5c=signer.x5c,
                    decoys=3,
                    random_bytes=context.random_bytes,
                )
                rows.append(
                    CredentialRow(
                        id=credential_id,
                        type_id=ctype.id,
                        subject_kind=subject_kind,
                        subject_id=subject_id,
                        offer_ref=offer_ref,
                        kid=kid,
                        holder_thumbprint=holder.key.thumbprint(),
                        status_list_id=list_id,
                        status_idx=idx,
                        issued_at=now,
                        expires_at=expires_at,
                        notification_id=notification_id,
                        key_storage=_levels(holder.key_storage),
                        user_authentication=_levels(holder.user_authentication),
                        key_attestation_issuer=holder.attested_by,
                    )
                )
                issued.append(sd_jwt.serialize())
            # One insert for the batch; the unique (list, index) constraint is checked here,
            # inside the caller's retry.
            Credentials(s).add_many(rows)
            s.commit()
        for row in rows:
            log.info(
                "issued %s %s (offer %s, key %s, holder %s)",
                ctype.id,
                row.id,
                offer_ref,
                kid,
                row.holder_thumbprint,
            )
        return issued, notification_id
