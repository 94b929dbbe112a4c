"""A minimal OpenID4VP wallet for tests: holds SD-JWT VCs, presents them with key binding
(``credentials.sd_jwt.present_sd_jwt``) and answers a request object with ``direct_post`` or
``direct_post.jwt`` (``credentials.jose.encrypt_jwe`` to the verifier's ephemeral key).

It does what an honest wallet does; tests tamper with its output to play a dishonest one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from credentials.dcql import Candidate, DCQLQuery, evaluate
from credentials.jose import encrypt_jwe, parse_json, parse_jws, verify_jws
from credentials.sd_jwt import decode_sd_jwt, present_sd_jwt
from did.document import DIDDocument
from did.keys import PrivateKey

__all__ = ["FakeWallet", "parse_openid4vp_uri"]


def parse_openid4vp_uri(uri: str) -> dict[str, str]:
    """The query parameters of an ``openid4vp://`` URI (one value each)."""
    parts = urlsplit(uri)
    assert parts.scheme == "openid4vp", uri
    return {name: values[0] for name, values in parse_qs(parts.query, strict_parsing=True).items()}


class FakeWallet:
    def __init__(self, *, alg: str = "ES256") -> None:
        self.key = PrivateKey.generate(alg)
        self.credentials: list[str] = []

    @property
    def public_key(self):  # type: ignore[no-untyped-def]
        return self.key.public_key

    def add(self, credential: str) -> None:
        self.credentials.append(credential)

    def present(
        self,
        credential: str,
        disclose: Iterable[Any],
        *,
        nonce: str,
        aud: str,
        iat: int,
        key: PrivateKey | None = None,
    ) -> str:
        return present_sd_jwt(
            credential, disclose=disclose, holder_key=key or self.key, nonce=nonce, aud=aud, iat=iat
        ).serialize()

    @staticmethod
    def open_request(
        body: str, media_type: str, *, client_id: str, did_document: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Check and open a fetched request object as a wallet must (OpenID4VP §5.9): a signed
        JAR for ``decentralized_identifier:`` verified with the DID's key named by ``kid``;
        plain JSON for ``redirect_uri:``. ``client_id`` must match the one in the QR."""
        if client_id.startswith("decentralized_identifier:"):
            assert media_type.startswith("application/oauth-authz-req+jwt"), media_type
            did = client_id.removeprefix("decentralized_identifier:")
            assert did_document is not None
            document = DIDDocument.from_json(did_document, expected_id=did)
            kid = parse_jws(body).kid
            assert kid is not None
            assert kid.startswith(did + "#")
            claims = verify_jws(body, document.find_key(kid), typ="oauth-authz-req+jwt").payload
        else:
            assert media_type.startswith("application/json"), media_type
            claims = parse_json(body)
        assert claims["client_id"] == client_id
        return dict(claims)

    @staticmethod
    def open_request_by_value(params: Mapping[str, str]) -> dict[str, Any]:
        """A ``redirect_uri:`` request passed in the link (OpenID4VP §5: objects as JSON)."""
        assert "request" not in params
        assert "request_uri" not in params
        return {
            name: parse_json(value) if name in ("dcql_query", "client_metadata") else value
            for name, value in params.items()
        }

    def vp_token(self, request: Mapping[str, Any], *, iat: int) -> dict[str, list[str]]:
        """Answer the request's DCQL query from the stored credentials (first match each)."""
        query = DCQLQuery.from_json(request["dcql_query"])
        candidates = []
        for credential in self.credentials:
            decoded = decode_sd_jwt(credential)
            candidates.append(
                Candidate(credential, "dc+sd-jwt", str(decoded.payload["vct"]), decoded.claims)
            )
        result = evaluate(query, candidates)
        assert result.satisfied, result.unsatisfied_reasons
        token: dict[str, list[str]] = {}
        for query_id in result.selection:
            match = result.matches[query_id][0]
            token[query_id] = [
                self.present(
                    match.candidate.ref,
                    [tuple(path) for path in match.claim_paths],
                    nonce=request["nonce"],
                    aud=request["client_id"],
                    iat=iat,
                )
            ]
        return token

    @staticmethod
    def form(
        request: Mapping[str, Any],
        vp_token: Mapping[str, Sequence[str]],
        *,
        state: str | None = None,
        enc: str = "A128GCM",
    ) -> dict[str, str]:
        """The form body to POST to ``response_uri`` in the request's ``response_mode``."""
        payload = {
            "vp_token": dict(vp_token),
            "state": request["state"] if state is None else state,
        }
        if request.get("response_mode") == "direct_post.jwt":
            jwk = request["client_metadata"]["jwks"]["keys"][0]
            return {"response": encrypt_jwe(json.dumps(payload).encode(), jwk, enc=enc)}
        return {"vp_token": json.dumps(payload["vp_token"]), "state": payload["state"]}
