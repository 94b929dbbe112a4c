"""OpenID4VCI 1.0 client, pre-authorized code flow (§3.5): offer → issuer metadata (§12.2) →
authorization server metadata (RFC 8414) → token (§6) → nonce (§7) → credential (§8) with one
``openid4vci-proof+jwt`` per fresh holder key (§8.2.1.1, Appendix F.1) → verify → notify (§11).

This module is the HTTP side only; what each message must say is in the sibling modules.
Nothing is stored here: :meth:`IssuanceClient.receive` returns fully verified credentials, and
the caller stores them all in one transaction, so a failure anywhere leaves the wallet as it
was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from credentials.errors import CredentialError
from credentials.issuer_keys import (
    DIDKeyResolver,
    FirstMatchResolver,
    X5CKeyResolver,
    has_x5c,
    jwt_vc_issuer_metadata_url,
    select_jwk,
)
from credentials.jose import JWS
from credentials.type_metadata import TypeMetadata, resolve_type_metadata
from did.errors import DIDError
from did.fetch import Fetcher, FetchResponse
from did.keys import EDDSA, ES256, PrivateKey, PublicKey
from did.resolver import Resolver
from wallet.errors import NetworkError, ReceiveError, WalletError
from wallet.network import error_body, network_errors, service_error
from wallet.oid4vci.credential import (
    IssuedCredentials,
    ReceivedCredential,
    credential_request,
    nonce_rejected,
    parse_credential_response,
    verify_issued,
)
from wallet.oid4vci.deferred import Accepted, check_still_waiting, parse_accepted
from wallet.oid4vci.encryption import ResponseKey, choose_encryption, read_credential_answer
from wallet.oid4vci.key_attestation import KeyAttester
from wallet.oid4vci.metadata import (
    Configuration,
    IssuerMetadata,
    authorization_server,
    check_receivable,
    configuration_names,
    issuer_metadata_url,
    oauth_metadata_url,
    parse_credential_configuration,
    parse_issuer_metadata,
    parse_token_endpoint,
)
from wallet.oid4vci.offer import CredentialOffer, parse_offer, parse_offer_text, require_tx_code
from wallet.oid4vci.proof import parse_nonce_response, proof_jwt
from wallet.oid4vci.sender import DPoPSession, asks_for_nonce
from wallet.oid4vci.token import (
    TokenResponse,
    credential_identifier,
    parse_token_response,
    token_request,
)
from wallet.trust import Trust

__all__ = ["Deferred", "IssuanceClient", "KeysToKeep"]

log = logging.getLogger(__name__)

_JSON = "application/json"
_ALGORITHMS = (ES256, EDDSA)


@dataclass(frozen=True, slots=True)
class KeysToKeep:
    """What the wallet must keep before it sends a credential request: the fresh holder keys
    and what it needs to collect the credentials later, should the issuer answer 202."""

    credential_issuer: str
    configuration_id: str
    keys: tuple[PrivateKey, ...] = field(repr=False)
    access_token: str = field(repr=False)
    issuer_names: Mapping[str, str] = field(default_factory=dict)
    type_names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Deferred:
    """§8.3 202: the credentials will come from the deferred endpoint, bound to ``keys``."""

    kept: KeysToKeep
    accepted: Accepted


def _json(response: FetchResponse, what: str) -> Any:
    with network_errors(what):
        return response.json()


class IssuanceClient:
    """One issuance conversation; create one per offer with a fresh fetcher (and the resolver
    over it, see :class:`wallet.runtime.Online`)."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        clock: Callable[[], int],
        copies: int = 5,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
        known_types: Mapping[str, TypeMetadata] | None = None,
        resolver: Resolver | None = None,
        trust: Trust | None = None,
        key_attester: KeyAttester | None = None,
        encrypt_responses: bool = True,
        keep_keys: Callable[[KeysToKeep], None] | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._keep_keys = keep_keys
        self._key_attester = key_attester
        self._encrypt_responses = encrypt_responses
        self._trust = trust
        self._clock = clock
        self._copies = copies
        self._generate_key = generate_key
        self._known_types = dict(known_types or {})
        self._resolver = resolver or Resolver(fetcher=fetcher)
        self._metadata: IssuerMetadata | None = None
        self._access_token = ""
        self._dpop: DPoPSession | None = None

    # --- offer and metadata ----------------------------------------------------------------

    def load_offer(self, text: str) -> CredentialOffer:
        """Parse an offer link, fetching it first when it is given by reference (§4.1.3)."""
        offer, offer_uri = parse_offer_text(text)
        if offer is not None:
            return offer
        assert offer_uri is not None
        with network_errors("could not fetch the credential offer"):
            response = self._fetcher.request("GET", offer_uri, headers={"Accept": _JSON})
        if response.status != 200:  # §4.1.3: an expired or used offer, in the issuer's words
            raise service_error(
                error_body(response),
                status=response.status,
                said_by="the issuer",
                kind=ReceiveError,
                fallback="offer_invalid",
                unexplained="the issuer did not give the offer; it may have expired",
            )
        return parse_offer(_json(response, "the credential offer"))

    def _issuer_metadata(self, credential_issuer: str) -> IssuerMetadata:
        with network_errors("could not reach the issuer"):
            response = self._fetcher.get(issuer_metadata_url(credential_issuer), accept=_JSON)
        data = _json(response, "the issuer's metadata")
        return check_receivable(parse_issuer_metadata(data, expected_issuer=credential_issuer))

    def _token_endpoint(self, offer: CredentialOffer, metadata: IssuerMetadata) -> str:
        server = authorization_server(offer, metadata)
        with network_errors("could not reach the issuer's authorization server"):
            response = self._fetcher.get(oauth_metadata_url(server), accept=_JSON)
        data = _json(response, "the authorization server metadata")
        return parse_token_endpoint(data, server=server)

    # --- the protocol ----------------------------------------------------------------------

    def receive(
        self, offer: CredentialOffer, *, tx_code: str | None = None
    ) -> list[ReceivedCredential | Deferred]:
        """Run the flow for every offered configuration; all verified (or, for those an
        operator must approve first, deferred), or an error."""
        tx_code = require_tx_code(offer, tx_code)
        metadata = self._issuer_metadata(offer.credential_issuer)
        configurations = [
            parse_credential_configuration(metadata, ident, algorithms=_ALGORITHMS)
            for ident in offer.configuration_ids
        ]
        token = self._token(self._token_endpoint(offer, metadata), offer, tx_code)
        received: list[ReceivedCredential | Deferred] = []
        try:
            for configuration in configurations:
                received.append(self._one(metadata, configuration, token))
        except (ReceiveError, NetworkError) as exc:
            if exc.code == "credential_invalid":
                for item in received:
                    if isinstance(item, ReceivedCredential):
                        self.notify(
                            metadata,
                            token.access_token,
                            item.notification_id,
                            "credential_failure",
                        )
            raise
        self._metadata, self._access_token = metadata, token.access_token
        return received

    def _token(self, endpoint: str, offer: CredentialOffer, tx_code: str | None) -> TokenResponse:
        with network_errors("could not reach the issuer's token service"):
            response = self._fetcher.request(
                "POST",
                endpoint,
                data=token_request(offer, tx_code),
                headers={"Accept": _JSON},
                follow_redirects=False,
            )
        body = _json(response, "the token response") if response.content else None
        return parse_token_response(response.status, body, with_tx_code=offer.tx_code is not None)

    def _nonce(self, metadata: IssuerMetadata, dpop: DPoPSession | None = None) -> str | None:
        if metadata.nonce_endpoint is None:
            return None
        with network_errors("could not get a nonce from the issuer"):
            response = self._fetcher.request(
                "POST", metadata.nonce_endpoint, headers={"Accept": _JSON}, follow_redirects=False
            )
        if dpop is not None:
            dpop.remember(response.headers)  # HAIP §4: the nonce endpoint may give a DPoP-Nonce
        return parse_nonce_response(response.status, _json(response, "the nonce response"))

    def _authorization(
        self, token: TokenResponse, url: str, dpop: DPoPSession | None
    ) -> dict[str, str]:
        """``Authorization: Bearer``, or ``DPoP`` with a proof for this request (RFC 9449 §7)."""
        if dpop is None:
            return {"Authorization": f"Bearer {token.access_token}"}
        return {
            "Authorization": f"DPoP {token.access_token}",
            "DPoP": dpop.header("POST", url, access_token=token.access_token),
        }

    def _one(
        self,
        metadata: IssuerMetadata,
        configuration: Configuration,
        token: TokenResponse,
        dpop: DPoPSession | None = None,
    ) -> ReceivedCredential | Deferred:
        count = max(1, min(self._copies, metadata.batch_size))
        identifier = credential_identifier(token.authorization_details, configuration.id)
        issued = IssuedCredentials(())
        keys: list[PrivateKey] = []
        nonce_retried = dpop_retried = False
        while True:
            keys = [self._generate_key(configuration.proof_algorithms[0]) for _ in range(count)]
            nonce = self._nonce(metadata, dpop)
            proofs = self._proofs(metadata, keys, nonce)
            body = credential_request(
                proofs, configuration_id=configuration.id, identifier=identifier
            )
            response_key = self._response_key(metadata)
            if response_key is not None:
                body["credential_response_encryption"] = response_key.request_parameter()
            kept = KeysToKeep(
                metadata.credential_issuer,
                configuration.id,
                tuple(keys),
                token.access_token,
                dict(metadata.names),
                configuration_names(metadata, configuration.id),
            )
            if self._keep_keys is not None:
                # Before sending: an answer of 202 binds the credentials to exactly these keys,
                # and a wallet that crashed after the issuer recorded them must still hold them.
                self._keep_keys(kept)
            url = metadata.credential_endpoint
            with network_errors("could not reach the issuer's credential service"):
                response = self._fetcher.request(
                    "POST",
                    url,
                    json=body,
                    headers={**self._authorization(token, url, dpop), "Accept": _JSON},
                    follow_redirects=False,
                )
            if dpop is not None:
                dpop.remember(response.headers)
                # RFC 9449 §9: a 401 with WWW-Authenticate: DPoP error="use_dpop_nonce" means
                # once more with the nonce just received.
                if not dpop_retried and asks_for_nonce(response.status, None, response.headers):
                    dpop_retried = True
                    continue
            parsed = read_credential_answer(
                response.status,
                response.headers.get("content-type", ""),
                response.content,
                response_key,
            )
            if not nonce_retried and nonce_rejected(response.status, parsed):
                nonce_retried = True  # §8.3.1.2: fetch a fresh nonce and prove again, once
                continue
            if response.status == 202:
                if metadata.deferred_credential_endpoint is None or self._keep_keys is None:
                    raise ReceiveError(
                        "the issuer will issue later, which this way of receiving cannot wait "
                        "for; ask the issuer for an offer",
                        code="deferred_not_supported",
                    )
                return Deferred(kept, parse_accepted(parsed))
            issued = parse_credential_response(response.status, parsed, count=count)
            break
        return verify_issued(
            issued,
            keys,
            metadata=metadata,
            configuration=configuration,
            issuer_key=self._key_resolver(),
            now=self._clock(),
            type_metadata=self._type_metadata,
        )

    def _proofs(
        self, metadata: IssuerMetadata, keys: Sequence[PrivateKey], nonce: str | None
    ) -> list[str]:
        """Appendix F.1 proofs, each with the batch's key attestation when the wallet has an
        attester (one attestation of every key, with the c_nonce: Appendix F.1, HAIP 4.5.1)."""
        now = self._clock()
        attestation = (
            self._key_attester.attest([k.public_key for k in keys], nonce=nonce, now=now)
            if self._key_attester is not None
            else None
        )
        return [
            proof_jwt(
                k,
                audience=metadata.credential_issuer,
                nonce=nonce,
                iat=now,
                key_attestation=attestation,
            )
            for k in keys
        ]

    def _response_key(self, metadata: IssuerMetadata) -> ResponseKey | None:
        """§10: a fresh key per request when the issuer offers encryption (and the wallet is
        set to ask, or the issuer requires it)."""
        enc = choose_encryption(metadata.response_encryption)
        if enc is None or not (self._encrypt_responses or metadata.encryption_required):
            return None
        return ResponseKey.generate(enc)

    def fetch_deferred(self, kept: KeysToKeep, transaction_id: str) -> ReceivedCredential | None:
        """§9: ask the deferred endpoint once. The verified credentials when the agency
        approved; ``None`` while it has not decided; ``issuance_denied`` / ``issuance_expired``
        (stop asking) otherwise."""
        metadata = self._issuer_metadata(kept.credential_issuer)
        configuration = parse_credential_configuration(
            metadata, kept.configuration_id, algorithms=_ALGORITHMS
        )
        if metadata.deferred_credential_endpoint is None:
            raise ReceiveError(
                "the issuer no longer names a deferred credential endpoint",
                code="issuance_expired",
            )
        body: dict[str, Any] = {"transaction_id": transaction_id}
        response_key = self._response_key(metadata)  # §9.1: a new key for this request
        if response_key is not None:
            body["credential_response_encryption"] = response_key.request_parameter()
        url = metadata.deferred_credential_endpoint
        with network_errors("could not reach the issuer's deferred credential service"):
            response = self._fetcher.request(
                "POST",
                url,
                json=body,
                headers={
                    **self._authorization(TokenResponse(kept.access_token), url, None),
                    "Accept": _JSON,
                },
                follow_redirects=False,
            )
        parsed = read_credential_answer(
            response.status,
            response.headers.get("content-type", ""),
            response.content,
            response_key,
        )
        if response.status != 200:
            check_still_waiting(response.status, parsed)
            return None
        issued = parse_credential_response(200, parsed, count=len(kept.keys))
        self._metadata, self._access_token = metadata, kept.access_token
        return verify_issued(
            issued,
            kept.keys,
            metadata=metadata,
            configuration=configuration,
            issuer_key=self._key_resolver(),
            now=self._clock(),
            type_metadata=self._type_metadata,
        )

    # --- keys and display ------------------------------------------------------------------

    def _key_resolver(self) -> Callable[[JWS], PublicKey]:
        """SD-JWT VC "Issuer Verification Key Discovery and Validation": an ``x5c`` chain is
        validated to the wallet's trust store (never skipped: a chain that fails refuses the
        credential); without one, a DID ``iss`` is resolved, an https ``iss`` read from its JWT
        VC Issuer Metadata."""
        by_iss = FirstMatchResolver(did=DIDKeyResolver(self._resolver), metadata=self._issuer_key)
        trust = self._trust

        def resolve(jws: JWS) -> PublicKey:
            if not has_x5c(jws):
                return by_iss(jws)
            return X5CKeyResolver(
                trust.anchors if trust else (),
                time=self._clock(),
                crls=trust.crls if trust else (),
                allow_insecure_http=trust.development if trust else False,
            )(jws)

        return resolve

    def _issuer_key(self, jws: JWS) -> PublicKey:
        iss = jws.payload.get("iss")
        if not isinstance(iss, str):
            raise ReceiveError("the credential names no issuer", code="credential_invalid")
        # http only when the fetch policy is in development mode (IssuerKeyError otherwise)
        url = jwt_vc_issuer_metadata_url(iss, allow_insecure_http=self._fetcher.policy.allow_http)
        with network_errors("could not fetch the issuer's keys"):
            metadata = self._fetcher.get(url, accept=_JSON).json()
        if not isinstance(metadata, Mapping) or metadata.get("issuer") != iss:
            raise ReceiveError(
                "the issuer's key list names another issuer", code="credential_invalid"
            )
        jwks = metadata.get("jwks")
        if jwks is None and isinstance(metadata.get("jwks_uri"), str):
            with network_errors("could not fetch the issuer's keys"):
                jwks = self._fetcher.get(metadata["jwks_uri"], accept=_JSON).json()
        if not isinstance(jwks, Mapping):
            raise ReceiveError("the issuer publishes no keys", code="credential_invalid")
        return select_jwk(jwks.get("keys", ()), jws.kid, issuer=iss)

    def _type_metadata(self, vct: str, payload: Mapping[str, Any]) -> TypeMetadata | None:
        """Display names for the credential (SD-JWT VC §6); missing ones are not fatal."""
        if vct in self._known_types:
            return self._known_types[vct]
        if not vct.startswith(("https://", "http://")):
            return None
        integrity = payload.get("vct#integrity")

        def fetch(url: str) -> bytes:
            return self._fetcher.get(url, accept=_JSON).content

        try:
            return resolve_type_metadata(
                vct, fetch, integrity=integrity if isinstance(integrity, str) else None
            )
        except (CredentialError, DIDError) as exc:
            log.warning("type metadata unavailable for a credential: %s", exc.code)
            return None

    # --- notification ----------------------------------------------------------------------

    def notify(
        self,
        metadata: IssuerMetadata,
        token: str,
        notification_id: str | None,
        event: str,
        dpop: DPoPSession | None = None,
    ) -> None:
        """§11: tell the issuer the outcome. Best effort: a lost notification harms nobody."""
        if metadata.notification_endpoint is None or notification_id is None:
            return
        url = metadata.notification_endpoint
        try:
            with network_errors("notification"):
                self._fetcher.request(
                    "POST",
                    url,
                    json={"notification_id": notification_id, "event": event},
                    headers=self._authorization(TokenResponse(token), url, dpop),
                    follow_redirects=False,
                )
        except WalletError as exc:
            log.info("issuer notification failed: %s", exc.code)

    def accepted(self, received: Sequence[ReceivedCredential]) -> None:
        """After the credentials were stored: ``credential_accepted`` for each."""
        if self._metadata is None:
            return
        for item in received:
            self.notify(
                self._metadata,
                self._access_token,
                item.notification_id,
                "credential_accepted",
                self._dpop,
            )
