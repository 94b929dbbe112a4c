"""The OpenID4VCI credential endpoint (§8): verify the key proofs, then sign one SD-JWT VC per
proof key, each with its own status list entry (:class:`~issuer.status.StatusLists`), signed by
the active key (:class:`~issuer.keys.SigningKeys`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from credentials.sd_jwt_vc import issue_sd_jwt_vc
from did.keys import ALGORITHMS, PublicKey
from issuer.claims import present_sd_paths
from issuer.context import DAY, IssuerContext
from issuer.errors import (
    CredentialRequestDeniedError,
    InsufficientScopeError,
    InvalidNonceError,
    InvalidTokenError,
    NotFoundError,
    TemporarilyUnavailableError,
    UnknownCredentialConfigurationError,
)
from issuer.flows.access import live_access_token
from issuer.keys import SigningKeys
from issuer.oid4vci.credential import credential_response, parse_credential_request
from issuer.oid4vci.offer import lookup_hash, new_secret
from issuer.oid4vci.proof import KidResolver, verify_proofs
from issuer.records import expiry_for, records_for
from issuer.status import StatusLists
from issuer.storage.models import AccessTokenRow, CredentialRow
from issuer.storage.repos import Credentials, Nonces, Tokens
from issuer.types import CredentialType

__all__ = ["CredentialIssuance"]

log = logging.getLogger(__name__)

_ALLOCATION_RETRIES = 8


class CredentialIssuance:
    """The credential endpoint. ``resolve_kid`` resolves a proof's ``kid`` (a DID URL) to its
    key; ``proof_algorithms`` are the proof signature algorithms accepted."""

    def __init__(
        self,
        context: IssuerContext,
        *,
        signing: SigningKeys,
        status_lists: StatusLists,
        resolve_kid: KidResolver | None = None,
        proof_algorithms: tuple[str, ...] = ALGORITHMS,
    ) -> None:
        self.context = context
        self.signing = signing
        self.status_lists = status_lists
        self.resolve_kid = resolve_kid
        self.proof_algorithms = proof_algorithms

    def issue_credentials(self, access_token: str | None, body: Any) -> dict[str, Any]:
        """OpenID4VCI §8: verify the key proofs, then sign one credential per proof key."""
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
        request = parse_credential_request(body, batch_size=context.settings.batch_size)
        if request.configuration_id not in context.types:
            raise UnknownCredentialConfigurationError(
                f"this issuer has no credential configuration {request.configuration_id!r}"
            )
        if request.configuration_id != token.type_id:
            raise InsufficientScopeError(
                f"this access token is for {token.type_id}, not {request.configuration_id}"
            )
        proofs = verify_proofs(
            request.proofs,
            audience=context.issuer_url,
            now=now,
            algorithms=self.proof_algorithms,
            max_age=context.settings.proof_max_age,
            leeway=context.settings.clock_leeway,
            resolve_kid=self.resolve_kid,
        )
        ctype = context.types[token.type_id]
        if missing is not None:
            raise CredentialRequestDeniedError(
                f"the agency can no longer issue this credential: {missing.message}",
                code="record_missing",
            ) from missing
        claims = records.claims(ctype, now=now)
        sd_paths = present_sd_paths(ctype, claims)
        expires_at = expiry_for(ctype, claims, now)
        holder_keys = [proof.key for proof in proofs]
        nonce_hash = lookup_hash(proofs[0].nonce)
        for _attempt in range(_ALLOCATION_RETRIES):
            try:
                issued, notification_id = self._issue_once(
                    token, ctype, claims, sd_paths, holder_keys, nonce_hash, now, expires_at
                )
            except IntegrityError:
                # A status index drawn at the same instant by another request hit the unique
                # constraint: nothing was committed, the nonce is still unused, so the whole
                # unit of work runs again with fresh draws.
                log.info("status index clash; retrying issuance")
                continue
            return credential_response(issued, notification_id=notification_id)
        raise TemporarilyUnavailableError("the issuer is busy; try again in a moment")

    def _issue_once(
        self,
        token: AccessTokenRow,
        ctype: CredentialType,
        claims: dict[str, Any],
        sd_paths: list[tuple[str, ...]],
        holder_keys: list[PublicKey],
        nonce_hash: str,
        now: int,
        expires_at: int,
    ) -> tuple[list[str], str]:
        context = self.context
        with context.session(write=True) as s:
            # Token use first: it is the row every retry of this wallet contends on.
            if not Tokens(s).use(
                token.token_hash, max_requests=context.settings.max_credential_requests, now=now
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
            signer = self.signing.signer(s)
            kid, key = signer.kid, signer.key
            notification_id = new_secret(context.random_bytes)
            issued: list[str] = []
            rows: list[CredentialRow] = []
            positions = self.status_lists.allocate(s, now, len(holder_keys))
            for holder_key, (list_id, idx) in zip(holder_keys, positions, strict=True):
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
                    holder_key=holder_key,
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
                        subject_kind=token.subject_kind,
                        subject_id=token.subject_id,
                        offer_ref=token.offer_ref,
                        kid=kid,
                        holder_thumbprint=holder_key.thumbprint(),
                        status_list_id=list_id,
                        status_idx=idx,
                        issued_at=now,
                        expires_at=expires_at,
                        notification_id=notification_id,
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
                token.offer_ref,
                kid,
                row.holder_thumbprint,
            )
        return issued, notification_id
