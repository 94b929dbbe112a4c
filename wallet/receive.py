"""OpenID4VCI 1.0 client, pre-authorized code flow (§3.5): offer → issuer metadata (§12.2) →
authorization server metadata (RFC 8414) → token (§6) → nonce (§7) → credential (§8) with one
``openid4vci-proof+jwt`` per fresh holder key (§8.2.1.1, Appendix F.1) → verify → notify (§11).

Nothing is stored here: :meth:`IssuanceClient.receive` returns fully verified credentials, and
the caller stores them all in one transaction, so a failure anywhere leaves the wallet as it
was. Each received credential is checked before it is kept: the issuer's signature with a key
found through JWT VC Issuer Metadata or the issuer's DID, ``typ`` ``dc+sd-jwt``, ``vct`` equal
to the offered configuration's, ``exp``/``nbf``, that ``cnf`` is one of the keys we just made
(each key used once), and that all batch copies say the same thing.
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
    jwt_vc_issuer_metadata_url,
    select_jwk,
)
from credentials.jose import JWS, parse_jws, sign_jws
from credentials.sd_jwt import decode_sd_jwt
from credentials.sd_jwt_vc import verify_sd_jwt_vc
from credentials.type_metadata import TypeMetadata, resolve_type_metadata
from did.errors import DIDError
from did.fetch import Fetcher, FetchResponse
from did.keys import EDDSA, ES256, PrivateKey, PublicKey
from did.methods.web import did_web_from_url
from did.resolver import Resolver
from wallet.errors import NetworkError, ReceiveError, WalletError
from wallet.network import network_errors
from wallet.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    Configuration,
    CredentialOffer,
    IssuerMetadata,
    check_tx_code,
    describe_error,
    issuer_metadata_url,
    oauth_metadata_url,
    parse_credential_configuration,
    parse_issuer_metadata,
    parse_offer,
    parse_offer_text,
)

__all__ = ["PROOF_TYP", "IssuanceClient", "ReceivedCredential"]

log = logging.getLogger(__name__)

PROOF_TYP = "openid4vci-proof+jwt"
_JSON = "application/json"
_ALGORITHMS = (ES256, EDDSA)


@dataclass(frozen=True, slots=True)
class ReceivedCredential:
    """A verified credential and its copies, each with the private key its ``cnf`` names."""

    configuration_id: str
    vct: str
    iss: str
    claims: Mapping[str, Any]
    disclosable: tuple[tuple[str | int, ...], ...]
    copies: tuple[tuple[str, PrivateKey], ...] = field(repr=False)
    issuer_names: Mapping[str, str] = field(default_factory=dict)
    type_metadata: TypeMetadata | None = None
    notification_id: str | None = None


def _json(response: FetchResponse, what: str) -> Any:
    with network_errors(what):
        return response.json()


class IssuanceClient:
    """One issuance conversation; create one per offer with a fresh fetcher."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        clock: Callable[[], int],
        copies: int = 5,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
        known_types: Mapping[str, TypeMetadata] | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._copies = copies
        self._generate_key = generate_key
        self._known_types = dict(known_types or {})
        self._resolver = Resolver(fetcher=fetcher)
        self._metadata: IssuerMetadata | None = None
        self._access_token = ""

    # --- offer and metadata ----------------------------------------------------------------

    def load_offer(self, text: str) -> CredentialOffer:
        """Parse an offer link, fetching it first when it is given by reference (§4.1.3)."""
        offer, offer_uri = parse_offer_text(text)
        if offer is not None:
            return offer
        assert offer_uri is not None
        with network_errors("could not fetch the credential offer"):
            response = self._fetcher.get(offer_uri, accept=_JSON)
        return parse_offer(_json(response, "the credential offer"))

    def _issuer_metadata(self, offer: CredentialOffer) -> IssuerMetadata:
        with network_errors("could not reach the issuer"):
            response = self._fetcher.get(issuer_metadata_url(offer.credential_issuer), accept=_JSON)
        data = _json(response, "the issuer's metadata")
        metadata = parse_issuer_metadata(data, expected_issuer=offer.credential_issuer)
        if metadata.encryption_required:
            raise ReceiveError(
                "the issuer requires encrypted credential responses, which this wallet does "
                "not support yet",
                code="offer_unsupported",
            )
        return metadata

    def _token_endpoint(self, offer: CredentialOffer, metadata: IssuerMetadata) -> str:
        server = offer.authorization_server or metadata.authorization_servers[0]
        if offer.authorization_server and server not in metadata.authorization_servers:
            raise ReceiveError(
                "the offer names an authorization server the issuer does not list",
                code="offer_invalid",
            )
        with network_errors("could not reach the issuer's authorization server"):
            response = self._fetcher.get(oauth_metadata_url(server), accept=_JSON)
        data = _json(response, "the authorization server metadata")
        # RFC 8414 §3.3: the issuer value must be identical to the identifier used.
        if not isinstance(data, Mapping) or data.get("issuer") != server:
            raise ReceiveError(
                "the authorization server's metadata names another server",
                code="issuer_metadata_invalid",
            )
        endpoint = data.get("token_endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            raise ReceiveError(
                "the authorization server has no token endpoint", code="issuer_metadata_invalid"
            )
        return endpoint

    # --- the protocol ----------------------------------------------------------------------

    def receive(
        self, offer: CredentialOffer, *, tx_code: str | None = None
    ) -> list[ReceivedCredential]:
        """Run the flow for every offered configuration; all verified, or an error."""
        if offer.tx_code is not None:
            if tx_code is None:
                what = offer.tx_code.description or "the issuer sent you a one-time code"
                length = f" ({offer.tx_code.length} characters)" if offer.tx_code.length else ""
                raise ReceiveError(f"a code is needed: {what}{length}", code="tx_code_required")
            tx_code = check_tx_code(offer.tx_code, tx_code)
        metadata = self._issuer_metadata(offer)
        configurations = [
            parse_credential_configuration(metadata, ident, algorithms=_ALGORITHMS)
            for ident in offer.configuration_ids
        ]
        token, details = self._token(self._token_endpoint(offer, metadata), offer, tx_code)
        received: list[ReceivedCredential] = []
        try:
            for configuration in configurations:
                received.append(self._one(metadata, configuration, token, details))
        except (ReceiveError, NetworkError) as exc:
            if exc.code == "credential_invalid":
                for item in received:
                    self.notify(metadata, token, item.notification_id, "credential_failure")
            raise
        self._metadata, self._access_token = metadata, token
        return received

    def _token(
        self, endpoint: str, offer: CredentialOffer, tx_code: str | None
    ) -> tuple[str, Sequence[Any]]:
        form = {
            "grant_type": PRE_AUTHORIZED_GRANT,
            "pre-authorized_code": offer.pre_authorized_code,
        }
        if tx_code is not None:
            form["tx_code"] = tx_code
        with network_errors("could not reach the issuer's token service"):
            response = self._fetcher.request(
                "POST", endpoint, data=form, headers={"Accept": _JSON}, follow_redirects=False
            )
        body = _json(response, "the token response") if response.content else None
        if response.status != 200:
            reason = describe_error(body)
            if isinstance(body, Mapping) and body.get("error") == "invalid_grant":
                hint = (
                    "Check the code and try again; if it still fails, ask for a new offer."
                    if offer.tx_code
                    else None
                )
                raise ReceiveError(
                    f"the issuer did not accept the offer ({reason}); it may have expired "
                    "or been used already",
                    code="issuer_rejected",
                    hint=hint,
                )
            raise ReceiveError(
                f"the issuer refused the token request ({reason})", code="issuer_rejected"
            )
        if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
            raise ReceiveError(
                "the token response has no access token", code="issuer_metadata_invalid"
            )
        token_type = body.get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise ReceiveError(
                f"the issuer uses token type {token_type!r}; only Bearer is supported",
                code="offer_unsupported",
            )
        details = body.get("authorization_details")
        return body["access_token"], details if isinstance(details, list) else []

    def _nonce(self, metadata: IssuerMetadata) -> str | None:
        if metadata.nonce_endpoint is None:
            return None
        with network_errors("could not get a nonce from the issuer"):
            response = self._fetcher.request(
                "POST", metadata.nonce_endpoint, headers={"Accept": _JSON}, follow_redirects=False
            )
        body = _json(response, "the nonce response")
        nonce = body.get("c_nonce") if isinstance(body, Mapping) else None
        if response.status != 200 or not isinstance(nonce, str) or not nonce:
            raise ReceiveError("the issuer sent no nonce", code="issuer_metadata_invalid")
        return nonce

    def _proof(self, key: PrivateKey, audience: str, nonce: str | None) -> str:
        payload: dict[str, Any] = {"aud": audience, "iat": self._clock()}
        if nonce is not None:
            payload["nonce"] = nonce
        # Appendix F.1: exactly one of kid/jwk/x5c; jwk, since these keys exist nowhere else.
        return sign_jws(payload, key, typ=PROOF_TYP, headers={"jwk": key.public_key.to_jwk()})

    def _one(
        self,
        metadata: IssuerMetadata,
        configuration: Configuration,
        token: str,
        details: Sequence[Any],
    ) -> ReceivedCredential:
        count = max(1, min(self._copies, metadata.batch_size))
        identifier = _credential_identifier(details, configuration.id)
        body: Mapping[str, Any] = {}
        keys: list[PrivateKey] = []
        for attempt in range(2):
            keys = [self._generate_key(configuration.proof_algorithms[0]) for _ in range(count)]
            nonce = self._nonce(metadata)
            request: dict[str, Any] = {
                "proofs": {"jwt": [self._proof(k, metadata.credential_issuer, nonce) for k in keys]}
            }
            if identifier is not None:
                request["credential_identifier"] = identifier
            else:
                request["credential_configuration_id"] = configuration.id
            with network_errors("could not reach the issuer's credential service"):
                response = self._fetcher.request(
                    "POST",
                    metadata.credential_endpoint,
                    json=request,
                    headers={"Authorization": f"Bearer {token}", "Accept": _JSON},
                    follow_redirects=False,
                )
            parsed = _json(response, "the credential response") if response.content else None
            if response.status == 202:
                raise ReceiveError("the issuer will issue later", code="deferred_not_supported")
            error = parsed.get("error") if isinstance(parsed, Mapping) else None
            if response.status == 400 and error == "invalid_nonce" and attempt == 0:
                continue  # §8.3.1.2: fetch a fresh nonce and prove again, once
            if response.status != 200 or not isinstance(parsed, Mapping):
                raise ReceiveError(
                    f"the issuer refused to issue ({describe_error(parsed)})",
                    code="issuer_rejected",
                )
            body = parsed
            break
        items = body.get("credentials")
        if not isinstance(items, list) or not items or len(items) > count:
            raise ReceiveError(
                f"the issuer sent {len(items) if isinstance(items, list) else 'no'} credentials "
                f"for {count} keys",
                code="credential_invalid",
            )
        texts = [i.get("credential") if isinstance(i, Mapping) else None for i in items]
        if not all(isinstance(t, str) for t in texts):
            raise ReceiveError(
                "a credential in the response is not text", code="credential_invalid"
            )
        notification = body.get("notification_id")
        return self._verify(
            metadata,
            configuration,
            [t for t in texts if isinstance(t, str)],
            keys,
            notification if isinstance(notification, str) else None,
        )

    # --- verification ----------------------------------------------------------------------

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

    def _verify(
        self,
        metadata: IssuerMetadata,
        configuration: Configuration,
        texts: Sequence[str],
        keys: Sequence[PrivateKey],
        notification_id: str | None,
    ) -> ReceivedCredential:
        resolver = FirstMatchResolver(did=DIDKeyResolver(self._resolver), metadata=self._issuer_key)
        unused = {key.public_key.thumbprint(): key for key in keys}
        copies: list[tuple[str, PrivateKey]] = []
        first: Any = None
        for text in texts:
            try:
                # Before any key lookup: a credential naming another issuer would make the
                # wallet fetch from a host the citizen never chose.
                claimed = parse_jws(text.split("~", 1)[0]).payload.get("iss")
                _check_issuer(
                    claimed if isinstance(claimed, str) else "", metadata.credential_issuer
                )
                verified = verify_sd_jwt_vc(
                    text,
                    issuer_key=resolver,
                    now=self._clock(),
                    require_key_binding=False,
                    vct_values=(configuration.vct,),
                )
                if verified.sd_jwt.key_binding is not None:
                    raise ReceiveError("an issued credential carries a key binding JWT")
                decoded = decode_sd_jwt(text)
            except CredentialError as exc:
                raise ReceiveError(
                    f"a received credential failed verification ({exc.code}: {exc.message})",
                    code="credential_invalid",
                ) from exc
            except DIDError as exc:
                raise ReceiveError(
                    f"the issuer's key could not be found ({exc.message})",
                    code="credential_invalid",
                ) from exc
            holder = verified.holder_key
            key = unused.pop(holder.thumbprint(), None) if holder is not None else None
            if key is None:
                raise ReceiveError(
                    "a received credential is bound to a key this wallet did not make "
                    "(or to one key twice)",
                    code="credential_invalid",
                )
            summary = (verified.vct, verified.iss, decoded.claims.keys() - _PER_COPY)
            if first is None:
                first = (summary, decoded)
            elif summary != first[0] or _without_cnf(decoded.claims) != _without_cnf(
                first[1].claims
            ):
                raise ReceiveError(
                    "the copies of the credential do not say the same thing",
                    code="credential_invalid",
                )
            copies.append((text, key))
        decoded = first[1]
        return ReceivedCredential(
            configuration_id=configuration.id,
            vct=configuration.vct,
            iss=first[0][1],
            claims=decoded.claims,
            disclosable=tuple(
                tuple(p for p in path if p is not None) for path in decoded.selectively_disclosable
            ),
            copies=tuple(copies),
            issuer_names=dict(metadata.names),
            type_metadata=self._type_metadata(configuration.vct, decoded.payload),
            notification_id=notification_id,
        )

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

    def notify(
        self, metadata: IssuerMetadata, token: str, notification_id: str | None, event: str
    ) -> None:
        """§11: tell the issuer the outcome. Best effort: a lost notification harms nobody."""
        if metadata.notification_endpoint is None or notification_id is None:
            return
        try:
            with network_errors("notification"):
                self._fetcher.request(
                    "POST",
                    metadata.notification_endpoint,
                    json={"notification_id": notification_id, "event": event},
                    headers={"Authorization": f"Bearer {token}"},
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
                self._metadata, self._access_token, item.notification_id, "credential_accepted"
            )


# Per copy by design: its own holder key, and (HAIP) its own status list index so that
# status checks cannot link the copies either.
_PER_COPY = frozenset({"cnf", "iat", "status"})


def _without_cnf(claims: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in _PER_COPY}


def _check_issuer(iss: str, credential_issuer: str) -> None:
    # Contract: iss is the issuer URL we talked to, or the did:web of that URL.
    if iss == credential_issuer:
        return
    try:
        if iss == did_web_from_url(credential_issuer):
            return
    except DIDError:
        pass
    raise ReceiveError(
        "the credential claims to come from another issuer than the one that sent it",
        code="credential_invalid",
    )


def _credential_identifier(details: Sequence[Any], configuration_id: str) -> str | None:
    # §6.2: when the token response carries authorization_details, requests name a
    # credential_identifier from it instead of the configuration id.
    for item in details:
        if (
            isinstance(item, Mapping)
            and item.get("credential_configuration_id") == configuration_id
        ):
            ids = item.get("credential_identifiers")
            if isinstance(ids, list) and ids and isinstance(ids[0], str):
                return ids[0]
    return None
