"""Operator API: issued credentials (metadata only, never the credential) and their status."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from issuer.api.deps import LimitDep, OffsetDep, OperatorDep, optional_model_body, requires
from issuer.operator import MAX_REASON_LENGTH, Actor

__all__ = ["StatusChangeRequest", "router"]

router = APIRouter(prefix="/api/v1/credentials", tags=["operator"])

StatusAction = Literal["revoke", "suspend", "reinstate"]


class StatusChangeRequest(BaseModel):
    """The optional body of a status change: the reason kept in the audit log."""

    model_config = ConfigDict(extra="forbid")

    # Spaces and line breaks collapse before the reason's own limit applies (clean_reason):
    # this looser bound only keeps an absurd body out.
    reason: str | None = Field(default=None, max_length=4 * MAX_REASON_LENGTH)


async def reason_of(request: Request) -> str | None:
    body = await optional_model_body(request, StatusChangeRequest)
    return body.reason if body else None


@router.get("")
def list_credentials(
    actor: Annotated[Actor, requires("credentials:read")],
    operator: OperatorDep,
    offset: OffsetDep = 0,
    limit: LimitDep = 50,
    subject: str | None = None,
    credential_configuration_id: str | None = None,
) -> dict[str, Any]:
    return operator.credentials.page(
        actor, offset=offset, limit=limit, subject=subject, type_id=credential_configuration_id
    ).to_json()


@router.get("/{credential_id}")
def get_credential(
    credential_id: str, actor: Annotated[Actor, requires("credentials:read")], operator: OperatorDep
) -> dict[str, Any]:
    return operator.credentials.get(actor, credential_id).to_json()


@router.post("/{credential_id}/{action}")
async def change_status(
    credential_id: str,
    action: StatusAction,
    request: Request,
    actor: Annotated[Actor, requires("credentials:status")],
    operator: OperatorDep,
) -> dict[str, Any]:
    reason = await reason_of(request)
    changed = await run_in_threadpool(
        operator.credentials.change_status, actor, credential_id, action, reason=reason
    )
    return changed.to_json()
