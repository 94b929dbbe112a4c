"""OpenID4VP endpoints the wallet talks to, and the verifier's public identity."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response

from verifier.api.deps import Form, Requests, Responses, VerifierIdentity

__all__ = ["router"]

router = APIRouter(tags=["OpenID4VP"])


@router.get("/oid4vp/request/{request_id}")
def request_object(request_id: str, requests: Requests) -> Response:
    """The request object by reference (OpenID4VP §5.7; RFC 9101 JAR)."""
    body, media_type = requests.request_object(request_id)
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.post("/oid4vp/response/{request_id}")
def response_endpoint(request_id: str, form: Form, responses: Responses) -> dict[str, str]:
    """``direct_post`` / ``direct_post.jwt`` (OpenID4VP §8.2, §8.3)."""
    return responses.handle(request_id, form)


@router.get("/.well-known/did.json")
@router.get("/did.json")
def did_document(identity: VerifierIdentity) -> Response:
    return Response(json.dumps(identity.did_document()), media_type="application/did+json")


@router.get("/oid4vp/jwks.json")
def jwks(identity: VerifierIdentity) -> dict[str, Any]:
    return identity.jwks()
