"""A small OpenID4VP verifier for wallet tests: did:web identity, signed request objects by
reference, ``direct_post`` and ``direct_post.jwt`` answers that it verifies in full
(SD-JWT VC signature, KB-JWT nonce/aud/sd_hash, DCQL re-check), and switches
(``verifier.faults``) that make it behave like a broken or hostile verifier.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from core.encoding import dumps_compact
from credentials.dcql import SD_JWT_VC_FORMAT, Candidate, DCQLQuery, verify_dcql_response
from credentials.issuer_keys import StaticKeyResolver
from credentials.jose import decrypt_jwe, generate_encryption_key, parse_json, sign_jws
from credentials.sd_jwt_vc import verify_sd_jwt_vc
from did.keys import PrivateKey, PublicKey
from did.methods.web import did_web_from_url

__all__ = ["FakeVerifier", "Session", "query"]


def query(vct: str, *paths: list[str | int | None], query_id: str = "pid") -> dict[str, Any]:
    """A one-credential DCQL query for ``vct`` asking for ``paths``."""
    item: dict[str, Any] = {"id": query_id, "format": "dc+sd-jwt", "meta": {"vct_values": [vct]}}
    if paths:
        item["claims"] = [{"path": list(path)} for path in paths]
    return {"credentials": [item]}


@dataclass
class Session:
    request: dict[str, Any]
    query: DCQLQuery
    encryption_key: dict[str, str] | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    raw_form: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeVerifier:
    base_url: str
    issuer_keys: dict[str, dict[str | None, PublicKey]] = field(default_factory=dict)
    now: int = 1_800_000_000
    key: PrivateKey = field(default_factory=lambda: PrivateKey.generate("ES256"))
    faults: set[str] = field(default_factory=set)
    sessions: dict[str, Session] = field(default_factory=dict)
    name: str = "Bhutan National Bank"
    # x509_san_dns: / x509_hash: requests are signed with this key and chain (x5c).
    certificate_key: PrivateKey | None = None
    x5c: list[str] | None = None
    verifier_info: list[dict[str, Any]] | None = None

    @property
    def did(self) -> str:
        return did_web_from_url(self.base_url)

    @property
    def client_id(self) -> str:
        return f"decentralized_identifier:{self.did}"

    @property
    def kid(self) -> str:
        return f"{self.did}#key-1"

    def did_document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did,
            "verificationMethod": [
                {
                    "id": self.kid,
                    "type": "JsonWebKey2020",
                    "controller": self.did,
                    "publicKeyJwk": self.key.public_key.to_jwk(),
                }
            ],
            "authentication": [self.kid],
            "assertionMethod": [self.kid],
        }

    def create_request(
        self,
        dcql: dict[str, Any],
        *,
        response_mode: str = "direct_post.jwt",
        purpose: str | None = "Open a bank account",
        client_id: str | None = None,
        by_value: bool = False,
    ) -> tuple[str, str]:
        """A request link and its session id."""
        ident = secrets.token_urlsafe(8)
        client_id = client_id or self.client_id
        request: dict[str, Any] = {
            "client_id": client_id,
            "response_type": "vp_token",
            "response_mode": response_mode,
            "response_uri": f"{self.base_url}/response/{ident}",
            "nonce": secrets.token_urlsafe(16),
            "state": secrets.token_urlsafe(8),
            "dcql_query": dcql,
            "client_metadata": {
                "client_name": self.name,
                "vp_formats_supported": {"dc+sd-jwt": {}},
            },
        }
        if purpose is not None:
            request["purpose"] = purpose
        if self.verifier_info is not None:
            request["verifier_info"] = self.verifier_info
        encryption_key = None
        if response_mode == "direct_post.jwt":
            encryption_key = generate_encryption_key(kid="enc-1")
            public = {k: v for k, v in encryption_key.items() if k != "d"}
            request["client_metadata"]["jwks"] = {"keys": [public]}
            request["client_metadata"]["encrypted_response_enc_values_supported"] = ["A128GCM"]
        if client_id.startswith("redirect_uri:"):
            request["response_uri"] = client_id.removeprefix("redirect_uri:")
        self.sessions[ident] = Session(request, DCQLQuery.from_json(dcql), encryption_key)
        link_client = (
            "decentralized_identifier:did:web:evil.example"
            if ("link_client_mismatch" in self.faults)
            else client_id
        )
        if by_value:
            query = "&".join(
                f"{k}={quote(v if isinstance(v, str) else _json(v), safe='')}"
                for k, v in request.items()
            )
            return f"openid4vp://?{query}", ident
        uri = f"{self.base_url}/request/{ident}"
        client, request_uri = quote(link_client, safe=""), quote(uri, safe="")
        return f"openid4vp://?client_id={client}&request_uri={request_uri}", ident

    def request_object(self, ident: str) -> str:
        request = dict(self.sessions[ident].request)
        if request["client_id"].startswith("redirect_uri:") and "sign_redirect" not in self.faults:
            return _json(request)
        key, kid = self.key, self.kid
        if "bad_signature" in self.faults:
            key = PrivateKey.generate("ES256")
        if "foreign_kid" in self.faults:
            kid = "did:web:evil.example#key-1"
        if "unsigned" in self.faults:
            return _json(request)
        typ = "JWT" if "wrong_typ" in self.faults else "oauth-authz-req+jwt"
        if request["client_id"].startswith("x509_") and self.x5c is not None:
            signer = self.certificate_key if "bad_signature" not in self.faults else key
            assert signer is not None
            return sign_jws(request, signer, typ=typ, headers={"x5c": self.x5c})
        return sign_jws(request, key, typ=typ, kid=kid)

    def _verify(self, session: Session, form: dict[str, str]) -> dict[str, Any]:
        if session.request["response_mode"] == "direct_post.jwt":
            assert session.encryption_key is not None
            _, plaintext = decrypt_jwe(form["response"], session.encryption_key)
            payload = parse_json(plaintext)
            vp_token, state = payload["vp_token"], payload.get("state")
        else:
            vp_token, state = parse_json(form["vp_token"]), form.get("state")
        assert state == session.request["state"], "state mismatch"
        presented: dict[str, list[Candidate]] = {}
        claims: dict[str, list[dict[str, Any]]] = {}
        for query_id, presentations in vp_token.items():
            for text in presentations:
                verified = verify_sd_jwt_vc(
                    text,
                    issuer_key=StaticKeyResolver(self.issuer_keys),
                    now=self.now,
                    require_key_binding=True,
                    nonce=session.request["nonce"],
                    aud=session.request["client_id"],
                )
                presented.setdefault(query_id, []).append(
                    Candidate(text, SD_JWT_VC_FORMAT, verified.vct, verified.claims)
                )
                claims.setdefault(query_id, []).append(verified.claims)
        verify_dcql_response(session.query, presented)
        return {"claims": claims, "vp_token": vp_token}

    def build_app(self) -> FastAPI:
        app = FastAPI()
        verifier = self

        @app.get("/.well-known/did.json")
        def did_json() -> dict[str, Any]:
            return verifier.did_document()

        @app.get("/request/{ident}")
        def request_object(ident: str) -> Response:
            if "request_redirect" in verifier.faults:
                return Response(status_code=302, headers={"location": f"{verifier.base_url}/x"})
            if "request_huge" in verifier.faults:
                return Response(
                    b"a" * (3 * 1024 * 1024), media_type="application/oauth-authz-req+jwt"
                )
            if ident not in verifier.sessions:
                return JSONResponse({"error": "not found"}, status_code=404)
            return Response(
                verifier.request_object(ident), media_type="application/oauth-authz-req+jwt"
            )

        @app.post("/response/{ident}")
        async def response(ident: str, request: Request) -> Response:
            session = verifier.sessions.get(ident)
            if session is None:
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            form = {k: str(v) for k, v in (await request.form()).items()}
            session.raw_form = form
            if "response_redirect" in verifier.faults:
                return Response(status_code=303, headers={"location": "https://elsewhere.example"})
            if "error" in form:
                session.error = form["error"]
                return JSONResponse({})
            try:
                session.result = verifier._verify(session, form)
            except Exception as exc:
                session.error = f"{type(exc).__name__}: {exc}"
                return JSONResponse(
                    {"error": "invalid_request", "error_description": str(exc)[:100]},
                    status_code=400,
                )
            return JSONResponse({"redirect_uri": f"{verifier.base_url}/done#response_code=abc"})

        return app


def _json(value: Any) -> str:
    return dumps_compact(value)
