"""Operator API: a one-time sign-in code for a citizen (``POST /api/v1/signin-codes``), which
they type with their CID on the agency's authorization page when their wallet asks for a
credential. The code is in this answer only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from issuer.api.deps import OperatorDep, model_body, requires
from issuer.operator import Actor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/signin-codes", tags=["operator"])


class SignInCodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cid: str = Field(min_length=11, max_length=11, pattern=r"^[0-9]{11}$")


@router.post("", status_code=201)
async def create_signin_code(
    request: Request, actor: Annotated[Actor, requires("offers:create")], operator: OperatorDep
) -> JSONResponse:
    body = await model_body(request, SignInCodeRequest)
    created = await run_in_threadpool(operator.signin_codes.create, actor, body.cid)
    return JSONResponse(created.to_json(), status_code=201, headers={"Cache-Control": "no-store"})
