"""Operator API for administrators: signing keys, API keys and the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from issuer.api.deps import (
    LimitDep,
    OffsetDep,
    OperatorDep,
    model_body,
    optional_model_body,
    requires,
)
from issuer.operator import Actor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["operator"])


# A chain of a few certificates is a few KiB of PEM; 64 KiB is far beyond any real one.
MAX_CHAIN_CHARS = 64 * 1024


class RotateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alg: Literal["ES256", "EdDSA"] | None = None
    # PEM: the new key's certificate, then its intermediates (never the root).
    certificate_chain: str | None = Field(default=None, max_length=MAX_CHAIN_CHARS)


class PrepareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alg: Literal["ES256", "EdDSA"] | None = None


class CertifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate_chain: str = Field(min_length=1, max_length=MAX_CHAIN_CHARS)


class ApiKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["issue", "revoke", "admin"]
    label: str = Field(default="", max_length=200)


@router.post("/keys/rotate")
async def rotate_keys(
    request: Request, actor: Annotated[Actor, requires("keys:manage")], operator: OperatorDep
) -> dict[str, Any]:
    # No body at all is a plain rotation (README's `curl -X POST .../keys/rotate`).
    body = await optional_model_body(request, RotateRequest) or RotateRequest()
    rotation = await run_in_threadpool(
        operator.admin.rotate_key, actor, alg=body.alg, certificate_chain=body.certificate_chain
    )
    return rotation.to_json()


@router.post("/keys/prepare", status_code=201)
async def prepare_key(
    request: Request, actor: Annotated[Actor, requires("keys:manage")], operator: OperatorDep
) -> JSONResponse:
    """A new signing key waiting for its certificate (it signs nothing yet)."""
    body = await optional_model_body(request, PrepareRequest) or PrepareRequest()
    prepared = await run_in_threadpool(operator.admin.prepare_key, actor, alg=body.alg)
    return JSONResponse(prepared.to_json(), status_code=201)


@router.post("/keys/certify")
async def certify_key(
    request: Request, actor: Annotated[Actor, requires("keys:manage")], operator: OperatorDep
) -> dict[str, Any]:
    """Attach a (renewed) certificate chain to the key it certifies."""
    body = await model_body(request, CertifyRequest)
    certified = await run_in_threadpool(
        operator.admin.certify_key, actor, certificate_chain=body.certificate_chain
    )
    return certified.to_json()


@router.get("/keys")
def list_keys(
    actor: Annotated[Actor, requires("keys:manage")], operator: OperatorDep
) -> list[dict[str, Any]]:
    return [key.to_json() for key in operator.admin.list_keys(actor)]


@router.get("/audit")
def audit_log(
    actor: Annotated[Actor, requires("audit:read")],
    operator: OperatorDep,
    offset: OffsetDep = 0,
    limit: LimitDep = 50,
    action: str | None = None,
) -> dict[str, Any]:
    return operator.admin.audit(actor, offset=offset, limit=limit, action=action).to_json()


@router.get("/apikeys")
def list_api_keys(
    actor: Annotated[Actor, requires("apikeys:manage")], operator: OperatorDep
) -> list[dict[str, Any]]:
    return [key.to_json() for key in operator.admin.list_api_keys(actor)]


@router.post("/apikeys", status_code=201)
async def create_api_key(
    request: Request, actor: Annotated[Actor, requires("apikeys:manage")], operator: OperatorDep
) -> JSONResponse:
    body = await model_body(request, ApiKeyRequest)
    new = await run_in_threadpool(
        operator.admin.create_api_key, actor, role=body.role, label=body.label
    )
    return JSONResponse(new.to_json(), status_code=201)


@router.post("/apikeys/{key_id}/revoke", status_code=204)
def revoke_api_key(
    key_id: str, actor: Annotated[Actor, requires("apikeys:manage")], operator: OperatorDep
) -> None:
    operator.admin.revoke_api_key(actor, key_id)
