"""The authorization server's endpoints: pushed authorization requests (RFC 9126 §2) and the
token endpoint (OpenID4VCI §6, RFC 6749 §4.1.3, §6). ``/authorize`` is a page
(:mod:`issuer.web.routes.authorize`). Answers carry a fresh ``DPoP-Nonce`` (RFC 9449 §8)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from issuer.api.deps import RuntimeDep, form_pairs, sender_headers
from issuer.errors import NotFoundError

__all__ = ["router"]

router = APIRouter(tags=["oauth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/par", status_code=201)
async def par(request: Request, runtime: RuntimeDep) -> JSONResponse:
    if not runtime.context.settings.authorization_code_flow:
        raise NotFoundError("this issuer offers only the pre-authorized flow", code="no_par")
    pairs = await form_pairs(request)
    sender = sender_headers(request)
    body = await run_in_threadpool(
        runtime.authorization.push,
        pairs,
        dpop=sender.dpop,
        attestation=sender.attestation,
        pop=sender.pop,
    )
    headers = {**NO_STORE, "DPoP-Nonce": runtime.sender.nonce()}
    return JSONResponse(body, status_code=201, headers=headers)


@router.post("/token")
async def token(request: Request, runtime: RuntimeDep) -> JSONResponse:
    pairs = await form_pairs(request)
    body = await run_in_threadpool(runtime.tokens.exchange, pairs, sender_headers(request))
    return JSONResponse(body, headers={**NO_STORE, "DPoP-Nonce": runtime.sender.nonce()})
