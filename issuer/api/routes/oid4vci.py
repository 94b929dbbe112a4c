"""OpenID4VCI endpoints: nonce (§7), credential (§8), deferred credential (§9), notification
(§11); the token endpoint (§6) is in :mod:`issuer.api.routes.oauth`. Every answer carries a
fresh ``DPoP-Nonce`` (RFC 9449 §8, §9), one nonce family for the authorization server and
these endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from issuer.api.deps import RuntimeDep, json_body, sender_headers
from issuer.flows import CredentialAnswer
from issuer.runtime import Runtime

__all__ = ["router"]

router = APIRouter(tags=["openid4vci"])
NO_STORE = {"Cache-Control": "no-store"}


def require_token(request: Request, runtime: Runtime, *, expired_ok: bool = False) -> str:
    """RFC 6750 §3.1 / RFC 9449 §7: the access token, its scheme and its DPoP proof first.
    ``expired_ok``: the deferred endpoint, where the token's own lifetime gives way to its
    transaction's (see :mod:`issuer.flows.deferred`)."""
    return runtime.access.authorize(
        request.headers.getlist("authorization"),
        sender_headers(request).dpop,
        htm=request.method,
        path=request.url.path,
        expired_ok=expired_ok,
    )


def nonce_headers(runtime: Runtime) -> dict[str, str]:
    return {**NO_STORE, "DPoP-Nonce": runtime.sender.nonce()}


@router.post("/nonce")
def nonce(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(
        {"c_nonce": runtime.preauthorized.new_nonce()}, headers=nonce_headers(runtime)
    )


def render(answer: CredentialAnswer, headers: dict[str, str]) -> Response:
    """JSON, or the §10 encrypted answer as ``application/jwt``."""
    if isinstance(answer.body, str):
        return Response(
            answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers
        )
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


@router.post("/credential")
async def credential(request: Request, runtime: RuntimeDep) -> Response:
    access_token = await run_in_threadpool(require_token, request, runtime)
    body = await json_body(request)
    answer = await run_in_threadpool(runtime.issuance.answer, access_token, body)
    return render(answer, nonce_headers(runtime))


@router.post("/deferred_credential")
async def deferred_credential(request: Request, runtime: RuntimeDep) -> Response:
    access_token = await run_in_threadpool(require_token, request, runtime, expired_ok=True)
    body = await json_body(request)
    answer = await run_in_threadpool(runtime.deferred.fetch, access_token, body)
    return render(answer, nonce_headers(runtime))


@router.post("/notification", status_code=204)
async def notification(request: Request, runtime: RuntimeDep) -> Response:
    access_token = await run_in_threadpool(require_token, request, runtime)
    body = await json_body(request)
    await run_in_threadpool(runtime.notifications.notify, access_token, body)
    return Response(status_code=204, headers={"DPoP-Nonce": runtime.sender.nonce()})
