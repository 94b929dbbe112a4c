"""The wallet's authorization code flow (HAIP 1.0 §4): the HTTP side of
:mod:`wallet.oid4vci.authorization`, with a DPoP key per grant and the wallet attestation.

:meth:`CodeFlowClient.begin` pushes the request (PAR, PKCE S256, ``state``, DPoP, attestation)
and returns the URL the citizen's browser opens with what the wallet must keep meanwhile;
:meth:`CodeFlowClient.complete` takes the redirect back (``state`` and ``iss`` checked),
redeems the code for a DPoP-bound token and fetches the credential's copies, each with a fresh
holder key; :meth:`CodeFlowClient.refresh` later gets fresh copies with the grant's refresh
token, without the citizen signing in again.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from did.keys import ES256, PrivateKey
from wallet.network import network_errors
from wallet.oid4vci.authorization import (
    DRUKID_CLIENT_ID,
    PendingAuthorization,
    authorization_url,
    par_form,
    parse_authorization_response,
    parse_authorization_server,
    parse_par_response,
)
from wallet.oid4vci.client import IssuanceClient
from wallet.oid4vci.credential import ReceivedCredential
from wallet.oid4vci.metadata import oauth_metadata_url, parse_credential_configuration
from wallet.oid4vci.sender import DPoPSession, WalletAttestation, asks_for_nonce
from wallet.oid4vci.token import (
    TokenResponse,
    code_token_request,
    parse_token_response,
    refresh_token_request,
)

__all__ = ["CodeFlowClient", "Grant"]

_JSON = "application/json"
_ALGORITHMS = ("ES256", "EdDSA")


@dataclass(frozen=True, slots=True)
class Grant:
    """What the wallet keeps (sealed in the vault) to fetch fresh copies later: the refresh
    token and the grant's DPoP private key."""

    credential_issuer: str
    configuration_id: str
    server: str
    token_endpoint: str
    refresh_token: str = field(repr=False)
    dpop_key: dict[str, str] = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Grant:
        return cls(**dict(data))


class CodeFlowClient(IssuanceClient):
    """One authorization-code conversation with one issuer."""

    def __init__(
        self,
        *args: Any,
        attestation: WalletAttestation | None = None,
        client_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._attestation = attestation
        self._client_id = client_id or (attestation.client_id if attestation else DRUKID_CLIENT_ID)

    def _post(
        self, url: str, form: Mapping[str, str], dpop: DPoPSession, *, audience: str
    ) -> tuple[int, Any]:
        """POST a form to the authorization server with DPoP and the attestation; once more
        with the server's nonce when it asks (RFC 9449 §8)."""
        for attempt in range(2):
            headers = {"Accept": _JSON, "DPoP": dpop.header("POST", url)}
            if self._attestation is not None:
                headers.update(self._attestation.headers(audience, now=self._clock()))
            with network_errors("could not reach the issuer's authorization server"):
                response = self._fetcher.request(
                    "POST", url, data=form, headers=headers, follow_redirects=False
                )
            body = response.json() if response.content else None
            dpop.remember(response.headers)
            if attempt == 0 and asks_for_nonce(response.status, body, response.headers):
                continue
            return response.status, body
        return response.status, body

    def begin(
        self,
        credential_issuer: str,
        configuration_id: str,
        *,
        redirect_uri: str,
        issuer_state: str | None = None,
    ) -> tuple[str, PendingAuthorization]:
        metadata = self._issuer_metadata(credential_issuer)
        configuration = parse_credential_configuration(
            metadata, configuration_id, algorithms=_ALGORITHMS
        )
        server_id = metadata.authorization_servers[0]
        with network_errors("could not reach the issuer's authorization server"):
            response = self._fetcher.get(oauth_metadata_url(server_id), accept=_JSON)
        server = parse_authorization_server(response.json(), server=server_id)
        key = PrivateKey.generate(ES256)
        pending = PendingAuthorization(
            credential_issuer=metadata.credential_issuer,
            configuration_id=configuration.id,
            client_id=self._client_id,
            redirect_uri=redirect_uri,
            state=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),
            dpop_key=key.to_jwk(),
            server=server.issuer,
            token_endpoint=server.token_endpoint,
            iss_parameter=server.iss_parameter,
        )
        dpop = DPoPSession(key, self._clock)
        scope = configuration.scope or configuration.id
        status, body = self._post(
            server.par_endpoint,
            par_form(pending, scope=scope, issuer_state=issuer_state),
            dpop,
            audience=server.issuer,
        )
        request_uri = parse_par_response(status, body)
        url = authorization_url(
            server.authorization_endpoint, client_id=pending.client_id, request_uri=request_uri
        )
        return url, pending

    def _code_token(
        self, endpoint: str, form: Mapping[str, str], dpop: DPoPSession, server: str
    ) -> TokenResponse:
        status, body = self._post(endpoint, form, dpop, audience=server)
        return parse_token_response(status, body, with_tx_code=False, dpop=True)

    def complete(
        self, pending: PendingAuthorization, redirect: str
    ) -> tuple[ReceivedCredential, Grant | None]:
        """The credential (all copies verified) and the grant to refresh it with."""
        code = parse_authorization_response(redirect, pending)
        dpop = DPoPSession(PrivateKey.from_jwk(pending.dpop_key), self._clock)
        form = code_token_request(
            code, verifier=pending.code_verifier, redirect_uri=pending.redirect_uri
        )
        token = self._code_token(pending.token_endpoint, form, dpop, pending.server)
        received = self._fetch(pending.credential_issuer, pending.configuration_id, token, dpop)
        grant = None
        if token.refresh_token is not None:
            grant = Grant(
                pending.credential_issuer,
                pending.configuration_id,
                pending.server,
                pending.token_endpoint,
                token.refresh_token,
                pending.dpop_key,
            )
        return received, grant

    def refresh(self, grant: Grant) -> tuple[ReceivedCredential, Grant]:
        """Fresh copies with the refresh token (rotated: the new one replaces it)."""
        dpop = DPoPSession(PrivateKey.from_jwk(grant.dpop_key), self._clock)
        form = refresh_token_request(grant.refresh_token)
        token = self._code_token(grant.token_endpoint, form, dpop, grant.server)
        received = self._fetch(grant.credential_issuer, grant.configuration_id, token, dpop)
        rotated = token.refresh_token or grant.refresh_token
        return received, Grant(**{**grant.to_json(), "refresh_token": rotated})

    def _fetch(
        self, credential_issuer: str, configuration_id: str, token: TokenResponse, dpop: DPoPSession
    ) -> ReceivedCredential:
        metadata = self._issuer_metadata(credential_issuer)
        configuration = parse_credential_configuration(
            metadata, configuration_id, algorithms=_ALGORITHMS
        )
        received = self._one(metadata, configuration, token, dpop)
        # Without keep_keys _one never answers Deferred (deferred_not_supported instead).
        assert isinstance(received, ReceivedCredential)
        self._metadata, self._access_token, self._dpop = metadata, token.access_token, dpop
        return received
