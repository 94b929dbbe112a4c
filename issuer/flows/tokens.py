"""The token endpoint for all three grants (OpenID4VCI 1.0 §6, RFC 6749 §4.1.3 and §6, RFC 9449
§5, HAIP 1.0 §4.4): the sender is checked first (DPoP proof, wallet attestation), then the grant.

* ``authorization_code``: the code once, within its 60 seconds, with the redirect URI of the
  pushed request, the PKCE verifier (RFC 7636 §4.6), the DPoP key the request was pushed with
  and the same wallet instance (ABCA §9.4). A replayed code revokes the grant and every token it
  gave (RFC 6749 §4.1.2). Tokens are DPoP-bound (``token_type`` ``DPoP``), with a refresh token.
* ``refresh_token``: rotating, bound to the grant's DPoP key and wallet instance (RFC 9449 §5,
  ABCA §9.3), with FAPI 2.0's retry rule: a rotated token works again while its successor was
  never used (the wallet lost the response), and revokes the grant once it was.
* the pre-authorized code: :class:`~issuer.flows.preauthorized.PreAuthorizedFlow`, bound to the
  DPoP key when a proof is sent; unbound Bearer tokens only where the settings allow them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from credentials.errors import PKCEError
from credentials.oauth import VerifiedClientAttestation, VerifiedDPoP, verify_pkce
from issuer.context import IssuerContext
from issuer.errors import InvalidClientError, InvalidGrantError, InvalidRequestError
from issuer.flows.access import issue_access_token
from issuer.flows.preauthorized import PreAuthorizedFlow
from issuer.flows.sender import SenderConstraint
from issuer.oid4vci.offer import PRE_AUTHORIZED_GRANT, lookup_hash, new_secret
from issuer.oid4vci.token import (
    AUTHORIZATION_CODE_GRANT,
    CodeRequest,
    grant_type_of,
    parse_code_request,
    parse_refresh_request,
    token_response,
)
from issuer.storage.authorization import Grants, ParRequests, RefreshTokens
from issuer.storage.models import GrantRow, RefreshTokenRow

__all__ = ["SenderHeaders", "TokenFlow"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SenderHeaders:
    """The request headers that say who sends it."""

    dpop: tuple[str, ...] = ()
    attestation: str | None = None
    pop: str | None = None


class TokenFlow:
    def __init__(
        self, context: IssuerContext, *, sender: SenderConstraint, preauthorized: PreAuthorizedFlow
    ) -> None:
        self.context = context
        self.sender = sender
        self.preauthorized = preauthorized

    def exchange(self, pairs: Sequence[tuple[str, Any]], headers: SenderHeaders) -> dict[str, Any]:
        grant_type, params = grant_type_of(pairs)
        dpop = self.sender.dpop(headers.dpop, htm="POST", path="/token")
        client = self.sender.client(headers.attestation, headers.pop)
        settings = self.context.settings
        if grant_type == PRE_AUTHORIZED_GRANT:
            if dpop is None and not settings.unbound_bearer_allowed:
                raise self.sender.refuse_dpop(
                    "dpop_missing",
                    "this issuer binds access tokens to a key: send a DPoP proof",
                    resource=False,
                )
            return self.preauthorized.exchange_token(pairs, dpop_jkt=dpop.jkt if dpop else None)
        if dpop is None:
            raise self.sender.refuse_dpop(
                "dpop_missing", "send a DPoP proof with the token request", resource=False
            )
        if grant_type == AUTHORIZATION_CODE_GRANT:
            return self._code(parse_code_request(params), dpop, client)
        return self._refresh(parse_refresh_request(params).refresh_token, dpop, client)

    # --- authorization code -------------------------------------------------------------

    def _code(
        self, request: CodeRequest, dpop: VerifiedDPoP, client: VerifiedClientAttestation | None
    ) -> dict[str, Any]:
        context = self.context
        now = context.clock()
        code_hash = lookup_hash(request.code)
        with context.session(write=True) as s:
            grants = Grants(s)
            code = grants.code(code_hash)
            grant = grants.get(code.grant_ref) if code is not None else None
            par = ParRequests(s).get(grant.par_ref) if grant is not None else None
            if code is None or grant is None or par is None:
                raise InvalidGrantError(
                    "the authorization code is not valid; start again from the wallet",
                    code="unknown_code",
                )
            if code.used_at is not None or grant.revoked_at is not None:
                self._revoke(s, grant, "code_replayed", now)
                raise InvalidGrantError(
                    "this authorization code was already used; every token it gave is revoked",
                    code="code_used",
                )
            if code.expires_at <= now:
                raise InvalidGrantError(
                    "the authorization code has expired; start again from the wallet",
                    code="code_expired",
                )
            if request.redirect_uri != par.redirect_uri:
                raise InvalidGrantError(
                    "redirect_uri must be the one of the authorization request",
                    code="code_redirect_mismatch",
                )
            if request.client_id is not None and request.client_id != grant.client_id:
                raise InvalidClientError(
                    "client_id is not the client the code was issued to", code="client_id_mismatch"
                )
            self._pkce(request.code_verifier, par.code_challenge)
            if grant.dpop_jkt is not None and grant.dpop_jkt != dpop.jkt:
                raise InvalidGrantError(
                    "the DPoP key is not the one the authorization request was pushed with",
                    code="code_dpop_key_mismatch",
                )
            self._same_instance(grant, client, "code_client_mismatch")
            if not grants.use_code(code_hash, now=now):
                self._revoke(s, grant, "code_replayed", now)
                raise InvalidGrantError(
                    "this authorization code was already used; every token it gave is revoked",
                    code="code_used",
                )
            grant.dpop_jkt = dpop.jkt
            s.add(grant)
            body = self._tokens(s, grant, dpop.jkt, now)
            s.commit()
        log.info("authorization code of grant %s exchanged", grant.ref)
        if grant.authorization_details:
            details = json.loads(grant.authorization_details)
            for entry in details:
                entry["credential_identifiers"] = [entry["credential_configuration_id"]]
            body["authorization_details"] = details
        return body

    @staticmethod
    def _pkce(verifier: str | None, challenge: str) -> None:
        if not verifier:
            raise InvalidGrantError("code_verifier is missing (PKCE)", code="pkce_verifier_missing")
        try:
            verify_pkce(verifier, challenge)
        except PKCEError as exc:
            if exc.code == "pkce_verifier_malformed":
                raise InvalidRequestError(exc.message, code=exc.code) from exc
            raise InvalidGrantError(exc.message, code=exc.code) from exc

    @staticmethod
    def _same_instance(
        grant: GrantRow, client: VerifiedClientAttestation | None, code: str
    ) -> None:
        if grant.instance_jkt is None:
            return
        if client is None or client.instance_jkt != grant.instance_jkt:
            raise InvalidGrantError(
                "send the wallet attestation of the same wallet instance that asked", code=code
            )

    def _revoke(self, s: Session, grant: GrantRow, reason: str, now: int) -> None:
        Grants(s).revoke(grant.ref, reason=reason, now=now)
        RefreshTokens(s).revoke_grant(grant.ref)
        s.commit()
        log.warning("grant %s revoked (%s)", grant.ref, reason)

    def _tokens(self, s: Session, grant: GrantRow, jkt: str, now: int) -> dict[str, Any]:
        """A new DPoP-bound access token (and refresh token) for ``grant``."""
        context = self.context
        settings = context.settings
        access_token = issue_access_token(
            s,
            context,
            offer_ref=grant.offer_ref,
            type_id=grant.type_id,
            subject=(grant.subject_kind, grant.subject_id),
            now=now,
            dpop_jkt=jkt,
            grant_ref=grant.ref,
        )
        refresh_token = None
        if settings.refresh_tokens:
            refresh_token = new_secret(context.random_bytes)
            RefreshTokens(s).add(
                RefreshTokenRow(
                    token_hash=lookup_hash(refresh_token),
                    grant_ref=grant.ref,
                    created_at=now,
                    expires_at=min(now + settings.refresh_token_lifetime, grant.expires_at),
                )
            )
        return token_response(
            access_token,
            expires_in=settings.access_token_lifetime,
            token_type="DPoP",  # noqa: S106 - a token type name
            refresh_token=refresh_token,
        )

    # --- refresh token ------------------------------------------------------------------

    def _refresh(
        self, token: str, dpop: VerifiedDPoP, client: VerifiedClientAttestation | None
    ) -> dict[str, Any]:
        context = self.context
        now = context.clock()
        token_hash = lookup_hash(token)
        with context.session(write=True) as s:
            refresh = RefreshTokens(s)
            row = refresh.get(token_hash)
            grant = Grants(s).get(row.grant_ref) if row is not None else None
            if row is None or grant is None:
                raise InvalidGrantError(
                    "the refresh token is not valid", code="unknown_refresh_token"
                )
            if grant.revoked_at is not None:
                raise InvalidGrantError(
                    "this wallet's permission was revoked; add the credential again",
                    code="grant_revoked",
                )
            if grant.expires_at <= now:
                raise InvalidGrantError(
                    "this permission is more than a year old; add the credential again",
                    code="grant_expired",
                )
            if row.expires_at <= now:
                raise InvalidGrantError(
                    "the refresh token has expired; add the credential again",
                    code="refresh_token_expired",
                )
            if grant.dpop_jkt != dpop.jkt:
                raise InvalidGrantError(
                    "the DPoP key is not the one this refresh token is bound to",
                    code="refresh_dpop_key_mismatch",
                )
            self._same_instance(grant, client, "refresh_client_key_mismatch")
            previous = row.successor_hash
            if previous is not None:
                successor = refresh.get(previous, fresh=True)
                if successor is not None and successor.rotated_at is not None:
                    # The successor was used: this is a replay of a stolen old token.
                    self._revoke(s, grant, "refresh_token_reused", now)
                    raise InvalidGrantError(
                        "this refresh token was replaced and used already; the permission is "
                        "revoked, add the credential again",
                        code="refresh_token_reused",
                    )
            body = self._tokens(s, grant, dpop.jkt, now)
            new_hash = lookup_hash(body["refresh_token"]) if "refresh_token" in body else None
            if new_hash is None or not refresh.rotate(
                token_hash, successor=new_hash, previous=previous, now=now
            ):
                s.rollback()
                raise InvalidGrantError(
                    "this refresh token is being used at the same moment; try again",
                    code="refresh_token_reused",
                )
            if previous is not None:
                refresh.delete(previous)  # the successor the wallet never received
            s.commit()
        log.info("refresh of grant %s", grant.ref)
        return body
