"""A tiny, self-contained issuer for tests: issues SD-JWT VCs the way docs/dev/contracts.md
says the real issuer does (``iss`` = base URL, ``kid`` = RFC 7638 thumbprint, ``vct`` =
``<url>/types/<type id>``, status lists at ``<url>/status/<id>``) and serves its
``/.well-known/jwt-vc-issuer``, OpenID4VCI metadata, JWKS, did:web document and status list
tokens — through ``httpx.MockTransport`` (:meth:`FakeIssuer.transport`) or as an ASGI app on
loopback (:meth:`FakeIssuer.asgi_app`). Any team may use it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from credentials.sd_jwt_vc import issue_sd_jwt_vc
from credentials.status_list import (
    STATUS_INVALID,
    STATUS_LIST_MEDIA_TYPE,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
    create_status_list_token,
)
from did.keys import PrivateKey, PublicKey
from did.methods.web import create_did_web_document, did_web_from_url

__all__ = ["CLAIMS", "FakeIssuer"]

NOW = 1_800_000_000
CLAIMS: dict[str, dict[str, Any]] = {
    "foundational-id": {
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
    },
    "permanent-address": {
        "cid": "11512003456",
        "full_name": "Karma Wangmo",
        "address": {
            "dzongkhag": "Thimphu",
            "gewog": "Chang",
            "village": "Motithang",
            "house_number": "12-B",
        },
    },
    "business-licence": {
        "licence_number": "BL-2026-00042",
        "business_name": "Wangmo Handicrafts",
        "owner_cid": "11512003456",
        "owner_name": "Karma Wangmo",
        "activity": "Retail of handicrafts",
        "valid_until": "2028-12-31",
    },
}


def _sd_paths(claims: Mapping[str, Any]) -> list[str]:
    paths = []
    for name, value in claims.items():
        paths.append(f"/{name}")
        if isinstance(value, Mapping):
            paths.extend(f"/{name}/{inner}" for inner in value)
    return paths


class FakeIssuer:
    """An issuer at ``url`` with one ES256 (or EdDSA) key and one 2-bit status list."""

    def __init__(
        self,
        url: str = "https://registry.example.bt",
        *,
        alg: str = "ES256",
        list_size: int = 256,
        ttl: int | None = 300,
        status_lifetime: int = 86400,
        use_did: bool = False,
    ) -> None:
        self.url = url.rstrip("/")
        self.key = PrivateKey.generate(alg)
        self.kid = self.key.public_key.thumbprint()
        self.did = did_web_from_url(self.url) if use_did else None
        self.status_list = StatusList(list_size, bits=2)
        self.status_uri = f"{self.url}/status/1"
        self.ttl = ttl
        self.status_lifetime = status_lifetime
        self.next_idx = 0
        self.requests: list[str] = []  # paths served, for cache assertions
        self.status_override: Callable[[], httpx.Response] | None = None
        self.x5c: list[str] | None = None  # signs with this certificate chain when set

    # identity ----------------------------------------------------------------------------
    @property
    def iss(self) -> str:
        return self.did or self.url

    def vct(self, type_id: str) -> str:
        return f"{self.url}/types/{type_id}"

    @property
    def public_key(self) -> PublicKey:
        return self.key.public_key

    def jwk(self) -> dict[str, str]:
        return {**self.public_key.to_jwk(), "kid": self.kid, "alg": self.key.alg, "use": "sig"}

    def trusted_entry(
        self, *, pin_keys: bool = False, types: Iterable[str] = tuple(CLAIMS), name: str = ""
    ) -> dict[str, Any]:
        """The trust-file JSON entry for this issuer."""
        entry: dict[str, Any] = {
            "id": self.iss,
            "name": name or "Department of Civil Registration",
            "types": {type_id: self.vct(type_id) for type_id in types},
            "status_lists": [self.status_uri],
        }
        if pin_keys:
            entry["keys"] = [self.jwk()]
        return entry

    # issuing -----------------------------------------------------------------------------
    def issue(
        self,
        type_id: str = "foundational-id",
        *,
        holder_key: PublicKey | None,
        claims: Mapping[str, Any] | None = None,
        iat: int = NOW - 3600,
        exp: int | None = NOW + 365 * 86400,
        nbf: int | None = None,
        with_status: bool = True,
        vct: str | None = None,
        key: PrivateKey | None = None,
        kid: str | None = None,
        decoys: int = 2,
    ) -> tuple[str, int | None]:
        """An SD-JWT VC (every claim selectively disclosable) and its status index."""
        claims = dict(CLAIMS[type_id] if claims is None else claims)
        idx = None
        status = None
        if with_status:
            idx = self.next_idx
            self.next_idx += 1
            status = {"status_list": {"idx": idx, "uri": self.status_uri}}
        sd_jwt = issue_sd_jwt_vc(
            claims,
            key or self.key,
            iss=self.iss,
            vct=vct or self.vct(type_id),
            iat=iat,
            exp=exp,
            nbf=nbf,
            sd_paths=_sd_paths(claims),
            holder_key=holder_key,
            status=status,
            kid=kid or (f"{self.did}#{self.kid}" if self.did else self.kid),
            x5c=self.x5c,
            decoys=decoys,
        )
        return sd_jwt.serialize(), idx

    def revoke(self, idx: int) -> None:
        self.status_list.set(idx, STATUS_INVALID)

    def suspend(self, idx: int) -> None:
        self.status_list.set(idx, STATUS_SUSPENDED)

    def reinstate(self, idx: int) -> None:
        self.status_list.set(idx, STATUS_VALID)

    def status_token(self, *, now: int = NOW, uri: str | None = None) -> str:
        return create_status_list_token(
            self.status_list,
            uri=uri or self.status_uri,
            key=self.key,
            iat=now,
            exp=now + self.status_lifetime,
            ttl=self.ttl,
            kid=f"{self.did}#{self.kid}" if self.did else self.kid,
            iss=self.iss,
            x5c=self.x5c,
        )

    # serving -----------------------------------------------------------------------------
    def jwt_vc_issuer_metadata(self) -> dict[str, Any]:
        return {"issuer": self.url, "jwks": {"keys": [self.jwk()]}}

    def credential_issuer_metadata(self) -> dict[str, Any]:
        return {
            "credential_issuer": self.url,
            "credential_endpoint": f"{self.url}/credential",
            "display": [{"name": "Department of Civil Registration", "locale": "en"}],
            "credential_configurations_supported": {
                type_id: {"format": "dc+sd-jwt", "vct": self.vct(type_id)} for type_id in CLAIMS
            },
        }

    def did_document(self) -> dict[str, object]:
        assert self.did is not None
        return create_did_web_document(self.did, [(self.kid, self.public_key)])

    def respond(self, path: str, *, now: int = NOW) -> tuple[int, str, bytes]:
        """(status, media type, body) for a GET of ``path``."""
        self.requests.append(path)
        base_path = urlsplit(self.url).path
        if path == f"/.well-known/jwt-vc-issuer{base_path}":
            return 200, "application/json", json.dumps(self.jwt_vc_issuer_metadata()).encode()
        if path == f"/.well-known/openid-credential-issuer{base_path}":
            return 200, "application/json", json.dumps(self.credential_issuer_metadata()).encode()
        if path == "/.well-known/did.json" and self.did is not None:
            return 200, "application/did+json", json.dumps(self.did_document()).encode()
        if path == urlsplit(self.status_uri).path:
            return 200, STATUS_LIST_MEDIA_TYPE, self.status_token(now=now).encode()
        return 404, "application/json", b'{"error":"not_found"}'

    def transport(self, *, now: Callable[[], int] = lambda: NOW) -> httpx.MockTransport:
        """A MockTransport answering for this issuer's host (pass it to ``did.fetch.Fetcher``)."""
        host = urlsplit(self.url).netloc

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.netloc.decode() != host:
                return httpx.Response(404)
            if (
                self.status_override is not None
                and request.url.path == urlsplit(self.status_uri).path
            ):
                return self.status_override()
            status, media, body = self.respond(request.url.path, now=now())
            return httpx.Response(status, headers={"Content-Type": media}, content=body)

        return httpx.MockTransport(handler)

    def asgi_app(self, *, now: Callable[[], int] = lambda: NOW) -> Any:
        """A FastAPI app serving the same documents (run with tests.support.servers)."""
        from fastapi import FastAPI, Response

        app = FastAPI()

        @app.get("/{path:path}")
        def serve(path: str) -> Response:
            status, media, body = self.respond("/" + path, now=now())
            return Response(body, status_code=status, media_type=media)

        return app
