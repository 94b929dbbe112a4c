"""OpenID4VCI endpoints: token (§6), nonce (§7), credential (§8), deferred credential (§9),
notification (§11)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from issuer.api.deps import RuntimeDep, bearer_token, form_pairs, json_body
from issuer.errors import InvalidTokenError
from issuer.flows import CredentialAnswer

__all__ = ["router"]

router = APIRouter(tags=["openid4vci"])
NO_STORE = {"Cache-Control": "no-store"}


def require_token(request: Request) -> str:
    """RFC 6750 §3.1: a request without a usable access token gets the 401 first."""
    access_token = bearer_token(request)
    if access_token is None:
        raise InvalidTokenError(
            "send the access token from the token endpoint as 'Authorization: Bearer ...'",
            code="missing_token",
        )
    return access_token


@router.post("/token")
async def token(request: Request, runtime: RuntimeDep) -> JSONResponse:
    pairs = await form_pairs(request)
    body = await run_in_threadpool(runtime.preauthorized.exchange_token, pairs)
    return JSONResponse(body, headers={**NO_STORE, "Pragma": "no-cache"})


@router.post("/nonce")
def nonce(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse({"c_nonce": runtime.preauthorized.new_nonce()}, headers=NO_STORE)


def render(answer: CredentialAnswer) -> Response:
    """JSON, or the §10 encrypted answer as ``application/jwt``."""
    if isinstance(answer.body, str):
        return Response(
            answer.body, status_code=answer.status, media_type=answer.media_type, headers=NO_STORE
        )
    return JSONResponse(answer.body, status_code=answer.status, headers=NO_STORE)


@router.post("/credential")
async def credential(request: Request, runtime: RuntimeDep) -> Response:
    access_token = require_token(request)
    body = await json_body(request)
    return render(await run_in_threadpool(runtime.issuance.answer, access_token, body))


@router.post("/deferred_credential")
async def deferred_credential(request: Request, runtime: RuntimeDep) -> Response:
    access_token = require_token(request)
    body = await json_body(request)
    return render(await run_in_threadpool(runtime.deferred.fetch, access_token, body))


@router.post("/notification", status_code=204)
async def notification(request: Request, runtime: RuntimeDep) -> Response:
    access_token = require_token(request)
    body = await json_body(request)
    await run_in_threadpool(runtime.notifications.notify, access_token, body)
    return Response(status_code=204)
