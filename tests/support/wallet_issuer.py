"""A small OpenID4VCI issuer for wallet tests: pre-authorized code, nonce endpoint, batch
issuance, JWT VC Issuer Metadata, Type Metadata, notifications, an optional Token Status List
(``with_status``: each copy its own index in ``/status/1``), and switches that make it
misbehave in the ways a broken or malicious issuer would (``issuer.faults``).

Run it in-process (:func:`asgi_transport` routes httpx requests to apps by host) or on a real
loopback socket (``tests.support.servers.serve_app``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import anyio
import httpx
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, Response

from core.encoding import b64url_encode, dumps_compact
from credentials.jose import parse_jws, verify_jws
from credentials.sd_jwt import holder_key_of
from credentials.sd_jwt_vc import issue_sd_jwt_vc
from credentials.status_list import StatusList, create_status_list_token
from did.keys import PrivateKey, PublicKey

__all__ = ["FOUNDATIONAL_CLAIMS", "FakeIssuer", "asgi_transport"]

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
FOUNDATIONAL_CLAIMS: dict[str, Any] = {
    "cid": "11512003456",
    "full_name": "Karma Wangmo",
    "given_name": "Karma",
    "family_name": "Wangmo",
    "gender": "female",
    "birthdate": "1994-03-12",
    "place_of_birth": {"dzongkhag": "Paro", "gewog": "Lungnyi", "village": "Bondey"},
    "citizenship": "BT",
    "age_over_18": True,
    "age_over_21": True,
}
ADDRESS_CLAIMS: dict[str, Any] = {
    "cid": "11512003456",
    "full_name": "Karma Wangmo",
    "address": {
        "dzongkhag": "Thimphu",
        "gewog": "Chang",
        "village": "Motithang",
        "house_number": "12-B",
    },
}
_SD_PATHS = {
    "foundational-id": [f"/{name}" for name in FOUNDATIONAL_CLAIMS]
    + ["/place_of_birth/dzongkhag", "/place_of_birth/gewog", "/place_of_birth/village"],
    "permanent-address": [
        "/cid",
        "/full_name",
        "/address",
        "/address/dzongkhag",
        "/address/gewog",
        "/address/village",
        "/address/house_number",
    ],
}


@dataclass
class Offer:
    code: str
    configuration_ids: list[str]
    tx_code: str | None = None
    used: bool = False


@dataclass
class FakeIssuer:
    base_url: str
    now: int = 1_800_000_000
    batch_size: int = 5
    key: PrivateKey = field(default_factory=lambda: PrivateKey.generate("ES256"))
    faults: set[str] = field(default_factory=set)
    offers: dict[str, Offer] = field(default_factory=dict)
    references: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, Offer] = field(default_factory=dict)
    nonces: set[str] = field(default_factory=set)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    credential_requests: int = 0
    with_status: bool = False
    statuses: dict[int, int] = field(default_factory=dict)  # idx -> §7.1 value (0 when absent)
    status_indexes: list[int] = field(default_factory=list)  # in the order copies were issued
    x5c: list[str] | None = None  # the signing certificate chain, when it signs with one
    iss: str | None = None  # another iss than its URL (a DID), with kid = iss + "#0"
    name: str = "Department of Civil Registration"  # its display name in the metadata
    claims: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "foundational-id": dict(FOUNDATIONAL_CLAIMS),
            "permanent-address": dict(ADDRESS_CLAIMS),
        }
    )

    @property
    def kid(self) -> str:
        return self.key.public_key.thumbprint()

    def vct(self, type_id: str) -> str:
        return f"{self.base_url}/types/{type_id}"

    def offer(self, *types: str, tx_code: str | None = None, by_reference: bool = False) -> str:
        code = secrets.token_urlsafe(16)
        self.offers[code] = Offer(code, list(types or ("foundational-id",)), tx_code)
        grant: dict[str, Any] = {"pre-authorized_code": code}
        if tx_code is not None:
            grant["tx_code"] = {
                "input_mode": "numeric",
                "length": len(tx_code),
                "description": "Enter the code we sent to your phone",
            }
        body = {
            "credential_issuer": self.base_url,
            "credential_configuration_ids": list(types or ("foundational-id",)),
            "grants": {PRE_AUTH: grant},
        }
        if by_reference:
            uri = f"{self.base_url}/offers/{code}"
            self.references[code] = body
            return "openid-credential-offer://?credential_offer_uri=" + quote(uri, safe="")
        return "openid-credential-offer://?credential_offer=" + quote(dumps_compact(body), safe="")

    def set_status(self, value: int, *indexes: int) -> None:
        """Give the copies at these positions (all copies issued so far when none) ``value``."""
        for position in indexes or range(len(self.status_indexes)):
            self.statuses[self.status_indexes[position]] = value

    def status_list_token(self, *, statuses: dict[int, int] | None = None) -> str:
        status_list = StatusList(1024, bits=2)
        for idx, value in (self.statuses if statuses is None else statuses).items():
            status_list.set(idx, value)
        return create_status_list_token(
            status_list,
            uri=f"{self.base_url}/status/1",
            key=PrivateKey.generate("ES256") if "status_other_key" in self.faults else self.key,
            iat=self.now,
            exp=self.now + 86400,
            ttl=300,
            kid=self.kid,
            iss=self.base_url,
        )

    def _served_status_list(self) -> str:
        token = self.status_list_token()
        if "status_tampered" in self.faults:  # every entry "valid", under the real signature
            forged = self.status_list_token(statuses={})
            return forged.rsplit(".", 1)[0] + "." + token.rsplit(".", 1)[1]
        if "status_unsigned" in self.faults:
            header = b64url_encode(b'{"alg":"none","typ":"statuslist+jwt"}')
            return header + "." + self.status_list_token(statuses={}).split(".")[1] + "."
        return token

    # --- the app ---------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        configurations = {
            type_id: {
                "format": "dc+sd-jwt",
                "vct": self.vct(type_id),
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": ["ES256"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
            }
            for type_id in self.claims
        }
        data: dict[str, Any] = {
            "credential_issuer": "https://evil.example"
            if "metadata_wrong_issuer" in self.faults
            else self.base_url,
            "credential_endpoint": f"{self.base_url}/credential",
            "nonce_endpoint": f"{self.base_url}/nonce",
            "notification_endpoint": f"{self.base_url}/notification",
            "display": [{"name": self.name, "locale": "en"}],
            "credential_configurations_supported": configurations,
        }
        if self.batch_size > 1:
            data["batch_credential_issuance"] = {"batch_size": self.batch_size}
        return data

    def type_metadata(self, type_id: str) -> dict[str, Any]:
        labels = {
            "cid": "Citizen ID number",
            "full_name": "Full name",
            "birthdate": "Date of birth",
            "age_over_18": "Age over 18",
            "age_over_21": "Age over 21",
            "place_of_birth": "Place of birth",
            "address": "Address",
        }
        return {
            "vct": self.vct(type_id),
            "name": type_id,
            "display": [
                {
                    "locale": "en",
                    "name": "National ID" if type_id == "foundational-id" else "Address",
                },
                {"locale": "dz", "name": "ངོ་སྤྲོད་ལག་ཁྱེར"},
            ],
            "claims": [
                {"path": [name], "display": [{"locale": "en", "label": label}]}
                for name, label in labels.items()
            ],
        }

    def _issue(self, type_id: str, holder: PublicKey) -> str:
        claims = dict(self.claims[type_id])
        key = self.key
        vct = self.vct(type_id)
        iss = self.iss or self.base_url
        exp = self.now + 365 * 86400
        if "wrong_key" in self.faults:
            key = PrivateKey.generate("ES256")
        if "wrong_vct" in self.faults:
            vct = f"{self.base_url}/types/something-else"
        if "other_issuer" in self.faults:
            iss = "https://other-issuer.example"
        if "expired" in self.faults:
            exp = self.now - 3600
        if "other_holder" in self.faults:
            holder = PrivateKey.generate("ES256").public_key
        if "inconsistent_copies" in self.faults:
            claims["full_name"] = secrets.token_hex(4)
        status = None
        if self.with_status:
            idx = 3 + 7 * len(self.status_indexes)  # not sequential, as HAIP asks
            self.status_indexes.append(idx)
            status = {"status_list": {"idx": idx, "uri": f"{self.base_url}/status/1"}}
        credential = issue_sd_jwt_vc(
            claims,
            key,
            iss=iss,
            vct=vct,
            iat=self.now - 10,
            exp=exp,
            sd_paths=_SD_PATHS[type_id],
            holder_key=holder,
            status=status,
            kid=f"{self.iss}#0" if self.iss else self.kid,
            x5c=self.x5c,
        ).serialize()
        if "tampered" in self.faults:
            _head, _payload, signature = credential.split("~")[0].split(".")
            credential = credential.replace(signature, signature[:-4] + "AAAA", 1)
        return credential

    def build_app(self) -> FastAPI:
        app = FastAPI()
        issuer = self

        @app.get("/.well-known/openid-credential-issuer")
        def credential_issuer_metadata() -> Response:
            if "metadata_redirect" in issuer.faults:
                return Response(status_code=302, headers={"location": "https://elsewhere.example/"})
            if "metadata_huge" in issuer.faults:
                return Response(
                    b"{" + b" " * (4 * 1024 * 1024) + b"}", media_type="application/json"
                )
            return JSONResponse(issuer.metadata())

        @app.get("/.well-known/oauth-authorization-server")
        def as_metadata() -> dict[str, Any]:
            return {"issuer": issuer.base_url, "token_endpoint": f"{issuer.base_url}/token"}

        @app.get("/.well-known/jwt-vc-issuer")
        def jwt_vc_issuer() -> Response:
            if "no_jwt_vc_issuer" in issuer.faults:  # as a Credo issuer: keys only in x5c
                return JSONResponse({"error": "not found"}, status_code=404)
            jwk = {**issuer.key.public_key.to_jwk(), "kid": issuer.kid}
            return JSONResponse({"issuer": issuer.base_url, "jwks": {"keys": [jwk]}})

        @app.get("/types/{type_id}")
        def types(type_id: str) -> Response:
            if type_id not in issuer.claims:
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse(issuer.type_metadata(type_id))

        @app.get("/status/1")
        def status_list() -> Response:
            if "status_down" in issuer.faults:
                return Response(status_code=503)
            return Response(issuer._served_status_list(), media_type="application/statuslist+jwt")

        @app.get("/offers/{code}")
        def offer_by_reference(code: str) -> Response:
            body = issuer.references.get(code)
            if body is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse(body)

        @app.post("/token")
        def token(
            grant_type: str = Form(),
            pre_authorized_code: str = Form(alias="pre-authorized_code"),
            tx_code: str | None = Form(default=None),
        ) -> Response:
            offer = issuer.offers.get(pre_authorized_code)
            if grant_type != PRE_AUTH or offer is None or offer.used:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            if (offer.tx_code is None) != (tx_code is None):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            if offer.tx_code is not None and tx_code != offer.tx_code:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "wrong code"}, status_code=400
                )
            offer.used = True
            access = secrets.token_urlsafe(16)
            issuer.tokens[access] = offer
            return JSONResponse(
                {"access_token": access, "token_type": "Bearer", "expires_in": 300},
                headers={"Cache-Control": "no-store"},
            )

        @app.post("/nonce")
        def nonce() -> Response:
            value = secrets.token_urlsafe(16)
            issuer.nonces.add(value)
            return JSONResponse({"c_nonce": value}, headers={"Cache-Control": "no-store"})

        @app.post("/credential")
        async def credential(request: Request, authorization: str = Header()) -> Response:
            issuer.credential_requests += 1
            offer = issuer.tokens.get(authorization.removeprefix("Bearer "))
            if offer is None:
                return JSONResponse({"error": "invalid_token"}, status_code=401)
            body = await request.json()
            type_id = body.get("credential_configuration_id")
            if type_id not in offer.configuration_ids:
                return JSONResponse({"error": "unknown_credential_configuration"}, status_code=400)
            if "deferred" in issuer.faults:
                return JSONResponse({"transaction_id": "t1"}, status_code=202)
            proofs = body.get("proofs", {}).get("jwt", [])
            if not proofs or len(proofs) > issuer.batch_size:
                return JSONResponse({"error": "invalid_proof"}, status_code=400)
            keys = []
            for proof in proofs:
                jws = parse_jws(proof)
                key = PublicKey.from_jwk(jws.header["jwk"])
                verify_jws(jws, key, typ="openid4vci-proof+jwt")
                if jws.payload.get("aud") != issuer.base_url:
                    return JSONResponse({"error": "invalid_proof"}, status_code=400)
                if jws.payload.get("nonce") not in issuer.nonces:
                    return JSONResponse({"error": "invalid_nonce"}, status_code=400)
                keys.append(key)
            for proof in proofs:
                issuer.nonces.discard(parse_jws(proof).payload.get("nonce"))
            if "duplicate_copy" in issuer.faults:
                keys = [keys[0]] * len(keys)
            credentials = [{"credential": issuer._issue(type_id, key)} for key in keys]
            if "oversized" in issuer.faults:
                credentials = [{"credential": "x" * (3 * 1024 * 1024)}]
            if "garbage" in issuer.faults:
                credentials = [{"credential": "not-an-sd-jwt"}]
            return JSONResponse(
                {"credentials": credentials, "notification_id": secrets.token_hex(8)}
            )

        @app.post("/notification")
        async def notification(request: Request) -> Response:
            issuer.notifications.append(await request.json())
            return Response(status_code=204)

        return app


def holder_keys(credentials: list[str]) -> list[PublicKey]:
    keys = []
    for text in credentials:
        key = holder_key_of(parse_jws(text.split("~")[0]).payload)
        assert key is not None
        keys.append(key)
    return keys


def asgi_transport(apps: dict[str, FastAPI]) -> httpx.MockTransport:
    """Route each request to the app registered for its ``host[:port]``, in-process (each call
    runs the ASGI app in a short-lived event loop, so sync code like the wallet can drive it)."""

    def handler(request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host if url.port is None else f"{url.host}:{url.port}"
        app = apps.get(host)
        if app is None:
            raise httpx.ConnectError(f"no test app for {host}", request=request)
        body = request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "accept-encoding"}

        async def call() -> tuple[int, list[tuple[str, str]], bytes]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport) as client:
                response = await client.request(
                    request.method, str(url), headers=headers, content=body
                )
                return response.status_code, list(response.headers.multi_items()), response.content

        status, raw_headers, content = anyio.run(call)
        kept = [(k, v) for k, v in raw_headers if k.lower() not in ("content-length",)]
        return httpx.Response(status, headers=kept, content=content)

    return httpx.MockTransport(handler)
