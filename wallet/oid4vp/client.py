"""OpenID4VP 1.0 client: fetch a request, check who sent it, and send the answer (or the
refusal) to the verifier. The HTTP side only; what each message must say is in
:mod:`wallet.oid4vp.request` and :mod:`wallet.oid4vp.response`.

* Request by reference (§5.10): ``request_uri`` is fetched with **no redirect followed**;
  ``request_uri_method=post`` is honoured with our wallet metadata (§5.10.1).
* A signed request (§5.9.3) is verified with the key the verifier's DID document holds, or,
  for ``x509_san_dns:`` / ``x509_hash:``, with its certificate's, the chain checked against the
  wallet's trust store (:mod:`wallet.oid4vp.certificates`).
* The answer (§8) goes to ``response_uri``, again with no redirect followed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from core.encoding import dumps_compact
from credentials.errors import CredentialError
from credentials.jose import JWS, parse_json, parse_jws, verify_jws
from did.errors import DIDError
from did.fetch import Fetcher
from did.resolver import Resolver
from wallet.errors import PresentError
from wallet.network import error_body, network_errors, service_error
from wallet.oid4vp.certificates import registered_purpose, verify_x509_request
from wallet.oid4vp.request import (
    REQUEST_TYP,
    WALLET_METADATA,
    AuthorizationRequest,
    RequestLink,
    check_unsigned,
    clean_text,
    parse_request_link,
    parse_request_object,
    signature_errors,
    signing_kid,
)
from wallet.oid4vp.response import SendResult, answer_form, parse_reply, refusal_form
from wallet.trust import Trust

X509_PREFIXES = ("x509_san_dns:", "x509_hash:")

__all__ = ["PresentationClient"]


class PresentationClient:
    """One presentation conversation; create one per request with a fresh fetcher (and the
    resolver over it, see :class:`wallet.runtime.Online`)."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        clock: Callable[[], int],
        resolver: Resolver | None = None,
        trust: Trust | None = None,
        language: str = "en",
    ) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._resolver = resolver or Resolver(fetcher=fetcher)
        self._trust = trust
        self._language = language

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
                    data={"wallet_metadata": dumps_compact(WALLET_METADATA)},
                    headers=accept,
                    follow_redirects=False,
                )
            else:
                response = self._fetcher.request(
                    "GET", link.request_uri, headers=accept, follow_redirects=False
                )
        if response.status != 200:  # an expired or answered request, in the service's words
            raise service_error(
                error_body(response),
                status=response.status,
                said_by="the service",
                kind=PresentError,
                fallback="request_invalid",
                unexplained="the service did not give its request",
            )
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PresentError("the request is not text") from exc

    def _unsigned(self, data: dict[str, Any], link: RequestLink) -> AuthorizationRequest:
        check_unsigned(data.get("client_id", link.client_id))
        return parse_request_object(
            data, link_client_id=link.client_id, signed=False, now=self._clock()
        )

    def _signed(self, token: str, link: RequestLink) -> AuthorizationRequest:
        try:
            jws = parse_jws(token)
        except CredentialError as exc:
            raise PresentError(f"the request cannot be read: {exc.message}") from exc
        client_id = jws.payload.get("client_id")
        if isinstance(client_id, str) and client_id.startswith(X509_PREFIXES):
            return self._certified(jws, client_id, link)
        kid = signing_kid(jws)
        with signature_errors():
            with network_errors("could not fetch the verifier's DID document"):
                key = self._resolver.resolve_key(kid)
            verify_jws(jws, key, typ=REQUEST_TYP)
        return parse_request_object(
            jws.payload, link_client_id=link.client_id, signed=True, now=self._clock()
        )

    def _certified(self, jws: JWS, client_id: str, link: RequestLink) -> AuthorizationRequest:
        now = self._clock()
        certificate = verify_x509_request(
            jws, client_id, trust=self._trust, now=now, typ=REQUEST_TYP
        )
        request = parse_request_object(
            jws.payload, link_client_id=link.client_id, signed=True, now=now
        )
        registered = registered_purpose(
            jws.payload, certificate, trust=self._trust, now=now, language=self._language
        )
        if registered is not None:
            request = replace(
                request, purpose=clean_text(registered), purpose_source="registration"
            )
        return replace(request, certificate=certificate)

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
        return parse_reply(response.status, body)

    def send(
        self, request: AuthorizationRequest, vp_token: Mapping[str, Sequence[str]]
    ) -> SendResult:
        """§8.2/§8.3: post the answer to ``response_uri``."""
        return self._post(request, answer_form(request, vp_token))

    def refuse(self, request: AuthorizationRequest, *, reason: str = "access_denied") -> SendResult:
        """§8.5 error response: the citizen said no (or the wallet cannot answer)."""
        return self._post(request, refusal_form(request, reason=reason))
