"""OpenID4VP 1.0 client: read a request, check who sent it, match its DCQL query against the
wallet, and send an SD-JWT+KB answer (or the refusal) to the verifier.

* Request by reference (§5.10): ``request_uri`` is fetched with **no redirect followed**;
  ``request_uri_method=post`` is honoured with our wallet metadata (§5.10.1).
* Who sent it (§5.9.3), decided by the ``client_id`` prefix:
  ``decentralized_identifier:`` — the request must be a JWS (``typ`` ``oauth-authz-req+jwt``)
  whose header ``kid`` is a DID URL of exactly that DID, verified with the key the DID document
  holds; ``redirect_uri:`` — the request must be unsigned and its identifier is its
  ``response_uri``; ``x509_*`` — refused (no certificate anchors are configured), as is every
  other or missing prefix.
* The answer (§8): ``vp_token`` = ``{credential query id: [SD-JWT+KB]}``, KB-JWT ``aud`` = the
  full ``client_id`` and ``nonce`` = the request's; sent by ``direct_post`` (form) or
  ``direct_post.jwt`` (ECDH-ES JWE to the verifier's key), again with no redirect followed.
  A ``redirect_uri`` in the verifier's reply is returned to be *shown*, never opened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.encoding import dumps_compact
from credentials.errors import CredentialError
from credentials.jose import check_header, encrypt_jwe, parse_json, parse_jws, verify_jws
from credentials.sd_jwt import present_sd_jwt
from did.document import split_did_url
from did.errors import DIDError
from did.fetch import Fetcher
from did.keys import PrivateKey
from did.resolver import Resolver
from wallet.errors import PresentError
from wallet.network import describe_error, network_errors
from wallet.oid4vp import (
    DIRECT_POST_JWT,
    REQUEST_TYP,
    AuthorizationRequest,
    RequestLink,
    parse_request_link,
    parse_request_object,
    split_client_id,
)

__all__ = ["PresentationClient", "PresentedCopy", "SendResult", "build_vp_token"]

log = logging.getLogger(__name__)

_WALLET_METADATA = {
    "vp_formats_supported": {"dc+sd-jwt": {"sd-jwt_alg_values": ["ES256", "EdDSA"]}},
    "client_id_prefixes_supported": ["decentralized_identifier", "redirect_uri"],
    "response_modes_supported": ["direct_post", "direct_post.jwt"],
    "request_object_signing_alg_values_supported": ["ES256", "EdDSA"],
}


@dataclass(frozen=True, slots=True)
class SendResult:
    """The verifier's reply: a ``redirect_uri`` to show the citizen, if it gave one."""

    redirect_uri: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PresentedCopy:
    query_id: str
    sd_jwt: str = field(repr=False)
    key: PrivateKey = field(repr=False)
    disclose: tuple[tuple[str | int, ...], ...] = ()


def build_vp_token(
    request: AuthorizationRequest, copies: Sequence[PresentedCopy], *, now: int
) -> dict[str, list[str]]:
    """§8.1 ``vp_token``: each credential query id to its presentations (SD-JWT+KB, RFC 9901
    §4.3, ``aud`` the full client_id as §5.9.1 requires)."""
    token: dict[str, list[str]] = {}
    for copy in copies:
        presentation = present_sd_jwt(
            copy.sd_jwt,
            disclose=copy.disclose,
            holder_key=copy.key,
            nonce=request.nonce,
            aud=request.client_id,
            iat=now,
        )
        token.setdefault(copy.query_id, []).append(presentation.serialize())
    return token


class PresentationClient:
    """One presentation conversation; create one per request with a fresh fetcher."""

    def __init__(self, fetcher: Fetcher, *, clock: Callable[[], int]) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._resolver = Resolver(fetcher=fetcher)

    def load_request(self, text: str) -> AuthorizationRequest:
        """Parse the link, fetch the request object if needed, check who sent it."""
        link = parse_request_link(text)
        if link.request_uri is not None:
            body = self._fetch_request(link)
        elif link.request is not None:
            body = link.request
        else:
            return self._unsigned(dict(link.params), link)
        body = body.strip()
        if body.startswith("{"):
            try:
                data = parse_json(body)
            except CredentialError as exc:
                raise PresentError(f"the request is not valid JSON: {exc.message}") from exc
            if not isinstance(data, Mapping):
                raise PresentError("the request is not a JSON object")
            return self._unsigned(dict(data), link)
        return self._signed(body, link)

    def _fetch_request(self, link: RequestLink) -> str:
        assert link.request_uri is not None
        accept = {"Accept": "application/oauth-authz-req+jwt, application/json;q=0.5"}
        with network_errors("could not fetch the request from the verifier"):
            if link.request_uri_method == "post":
                response = self._fetcher.request(
                    "POST",
                    link.request_uri,
                    data={"wallet_metadata": dumps_compact(_WALLET_METADATA)},
                    headers=accept,
                    follow_redirects=False,
                )
                if response.status != 200:
                    raise PresentError(
                        f"the verifier did not give the request (HTTP {response.status})"
                    )
            else:
                response = self._fetcher.get(
                    link.request_uri, headers=accept, follow_redirects=False
                )
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PresentError("the request is not text") from exc

    def _unsigned(self, data: dict[str, Any], link: RequestLink) -> AuthorizationRequest:
        client_id = data.get("client_id", link.client_id)
        prefix, _ = split_client_id(client_id if isinstance(client_id, str) else "")
        if prefix != "redirect_uri":
            # Any other prefix identifies the verifier by a key: an unsigned request proves
            # nothing about who sent it.
            raise PresentError(
                "the request is not signed, so the wallet cannot check who sent it",
                code="request_signature_invalid",
            )
        return parse_request_object(
            data, link_client_id=link.client_id, signed=False, now=self._clock()
        )

    def _signed(self, token: str, link: RequestLink) -> AuthorizationRequest:
        try:
            jws = parse_jws(token)
        except CredentialError as exc:
            raise PresentError(f"the request cannot be read: {exc.message}") from exc
        client_id = jws.payload.get("client_id")
        if not isinstance(client_id, str):
            raise PresentError("the request has no client_id")
        prefix, value = split_client_id(client_id)
        if prefix == "redirect_uri":
            raise PresentError(
                "a redirect_uri verifier may not sign its request (§5.9.3)",
                code="request_signature_invalid",
            )
        if prefix in ("x509_san_dns", "x509_hash"):
            raise PresentError(
                "verifiers identified by a certificate (x509) are not supported: this wallet "
                "has no certificate authorities configured to check them",
                code="client_id_unsupported",
            )
        if prefix != "decentralized_identifier":
            raise PresentError(
                f"verifiers identified by {prefix!r} are not supported",
                code="client_id_unsupported",
            )
        try:
            check_header(jws.header, algorithms=("ES256", "EdDSA"), typ=REQUEST_TYP)
            kid = jws.kid
            if kid is None or split_did_url(kid)[0] != value or "#" not in kid:
                raise PresentError(
                    "the request's signing key does not belong to the verifier's DID",
                    code="request_signature_invalid",
                )
            with network_errors("could not fetch the verifier's DID document"):
                key = self._resolver.resolve_key(kid)
            verify_jws(jws, key, typ=REQUEST_TYP)
        except CredentialError as exc:
            raise PresentError(
                f"the request's signature is not valid ({exc.code})",
                code="request_signature_invalid",
            ) from exc
        except DIDError as exc:
            raise PresentError(
                f"the verifier's key could not be found ({exc.message})",
                code="request_signature_invalid",
            ) from exc
        return parse_request_object(
            jws.payload, link_client_id=link.client_id, signed=True, now=self._clock()
        )

    # --- answering -------------------------------------------------------------------------

    def _post(self, request: AuthorizationRequest, form: Mapping[str, str]) -> SendResult:
        with network_errors("could not send the answer to the verifier"):
            response = self._fetcher.request(
                "POST",
                request.response_uri,
                data=form,
                headers={"Accept": "application/json"},
                follow_redirects=False,
            )
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except DIDError:
                body = None
        if not 200 <= response.status < 300:
            # The citizen reads the service's own words; the protocol detail goes to the log.
            log.info("response refused: HTTP %s %s", response.status, describe_error(body))
            said = body.get("error_description") if isinstance(body, Mapping) else None
            reason = describe_error({"error": said}) if isinstance(said, str) and said else ""
            raise PresentError(
                f"the service did not accept your answer: {reason}"
                if reason
                else f"the service did not accept your answer (it gave no reason; "
                f"code {response.status})",
                code="presentation_rejected",
            )
        redirect = body.get("redirect_uri") if isinstance(body, Mapping) else None
        if isinstance(redirect, str) and redirect.startswith(("https://", "http://")):
            return SendResult(redirect_uri=redirect[:2048])
        return SendResult()

    def send(
        self, request: AuthorizationRequest, vp_token: Mapping[str, Sequence[str]]
    ) -> SendResult:
        """§8.2/§8.3: post the answer to ``response_uri``."""
        payload: dict[str, Any] = {"vp_token": dict(vp_token)}
        if request.state is not None:
            payload["state"] = request.state
        if request.response_mode == DIRECT_POST_JWT:
            assert request.encryption_jwk is not None
            try:
                jwe = encrypt_jwe(
                    dumps_compact(payload).encode("utf-8"),
                    request.encryption_jwk,
                    enc=request.encryption_enc,
                )
            except CredentialError as exc:
                raise PresentError(
                    f"the answer could not be encrypted to the verifier's key ({exc.code})"
                ) from exc
            return self._post(request, {"response": jwe})
        form = {"vp_token": dumps_compact(payload["vp_token"])}
        if request.state is not None:
            form["state"] = request.state
        return self._post(request, form)

    def refuse(self, request: AuthorizationRequest, *, reason: str = "access_denied") -> SendResult:
        """§8.5 error response: the citizen said no (or the wallet cannot answer)."""
        form = {"error": reason, "error_description": "The holder declined to share."}
        if request.state is not None:
            form["state"] = request.state
        return self._post(request, form)
