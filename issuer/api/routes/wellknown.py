"""Discovery: OpenID4VCI issuer metadata, OAuth AS metadata, JWT VC issuer metadata, did:web."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer.api.deps import RuntimeDep

__all__ = ["CACHE_PUBLIC", "discovery_router"]

CACHE_PUBLIC = {"Cache-Control": "public, max-age=300"}


def _json(body: Any) -> JSONResponse:
    return JSONResponse(body, headers=CACHE_PUBLIC)


def issuer_metadata(runtime: RuntimeDep) -> JSONResponse:
    return _json(runtime.discovery.issuer_metadata())


def oauth_metadata(runtime: RuntimeDep) -> JSONResponse:
    return _json(runtime.discovery.oauth_metadata())


def jwt_vc_metadata(runtime: RuntimeDep) -> JSONResponse:
    return _json(runtime.discovery.jwt_vc_metadata())


def did_document(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(
        runtime.discovery.did_document(), media_type="application/did+json", headers=CACHE_PUBLIC
    )


def discovery_router(issuer_path: str) -> APIRouter:
    """Well-known documents at ``/.well-known/<name>`` and, when the public URL has a path,
    also at ``/.well-known/<name><path>`` (OpenID4VCI §12.2.2, RFC 8414 §3.1)."""
    router = APIRouter(tags=["discovery"])
    suffixes = [""] + ([issuer_path] if issuer_path else [])
    for suffix in suffixes:
        router.add_api_route(f"/.well-known/openid-credential-issuer{suffix}", issuer_metadata)
        router.add_api_route(f"/.well-known/oauth-authorization-server{suffix}", oauth_metadata)
        router.add_api_route(f"/.well-known/jwt-vc-issuer{suffix}", jwt_vc_metadata)
    router.add_api_route("/.well-known/did.json", did_document)
    router.add_api_route("/did.json", did_document)
    return router
