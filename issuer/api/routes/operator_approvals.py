"""Operator API: the approval queue of deferred issuance (credential requests for types with
``"approval": "operator"``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from issuer.api.deps import LimitDep, OffsetDep, OperatorDep, requires
from issuer.api.routes.operator_credentials import reason_of
from issuer.operator import Actor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/approvals", tags=["operator"])

Status = Literal["pending", "approved", "denied", "issued", "expired", "all"]


@router.get("")
def list_approvals(
    actor: Annotated[Actor, requires("approvals:decide")],
    operator: OperatorDep,
    status: Status = "pending",
    offset: OffsetDep = 0,
    limit: LimitDep = 50,
) -> dict[str, Any]:
    chosen = None if status == "all" else status
    return operator.approvals.page(actor, status=chosen, offset=offset, limit=limit).to_json()


@router.post("/{ref}/approve")
async def approve(
    ref: str, actor: Annotated[Actor, requires("approvals:decide")], operator: OperatorDep
) -> dict[str, Any]:
    return (await run_in_threadpool(operator.approvals.approve, actor, ref)).to_json()


@router.post("/{ref}/deny")
async def deny(
    ref: str,
    request: Request,
    actor: Annotated[Actor, requires("approvals:decide")],
    operator: OperatorDep,
) -> dict[str, Any]:
    reason = await reason_of(request)
    return (await run_in_threadpool(operator.approvals.deny, actor, ref, reason=reason)).to_json()
