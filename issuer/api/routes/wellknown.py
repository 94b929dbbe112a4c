"""Discovery: OpenID4VCI issuer metadata, OAuth AS metadata, JWT VC issuer metadata, did:web."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer.api.deps import ServiceDep
from issuer.oid4vci.metadata import (
    authorization_server_metadata,
    credential_issuer_metadata,
    jwt_vc_issuer_metadata,
)

__all__ = ["CACHE_PUBLIC", "discovery_router"]

CACHE_PUBLIC = {"Cache-Control": "public, max-age=300"}
_DZONGKHA_NAMES = {"Department of Civil Registration and Census": "མི་ཁུངས་ཐོ་བཀོད་ལས་ཁུངས།"}


def _json(body: Any) -> JSONResponse:
    return JSONResponse(body, headers=CACHE_PUBLIC)


def issuer_metadata(service: ServiceDep) -> JSONResponse:
    settings = service.settings
    dz = _DZONGKHA_NAMES.get(settings.name)
    return _json(
        credential_issuer_metadata(
            issuer=service.issuer_url,
            name=settings.name,
            types=service.types,
            signing_algs=[settings.signing_alg],
            proof_algs=list(service.proof_algorithms),
            batch_size=settings.batch_size,
            display_names={"dz": dz} if dz else None,
        )
    )


def oauth_metadata(service: ServiceDep) -> JSONResponse:
    return _json(authorization_server_metadata(issuer=service.issuer_url))


def jwt_vc_metadata(service: ServiceDep) -> JSONResponse:
    return _json(jwt_vc_issuer_metadata(issuer=service.issuer_url, keys=service.jwks()))


def did_document(service: ServiceDep) -> JSONResponse:
    return JSONResponse(
        service.did_document(), media_type="application/did+json", headers=CACHE_PUBLIC
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
