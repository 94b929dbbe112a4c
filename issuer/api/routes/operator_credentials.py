"""Operator API: issued credentials (metadata only, never the credential) and their status."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter

from issuer.api.deps import LimitDep, OffsetDep, OperatorDep, requires
from issuer.operator import Actor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/credentials", tags=["operator"])


@router.get("")
def list_credentials(
    actor: Annotated[Actor, requires("credentials:read")],
    operator: OperatorDep,
    offset: OffsetDep = 0,
    limit: LimitDep = 50,
    subject: str | None = None,
    credential_configuration_id: str | None = None,
) -> dict[str, Any]:
    return operator.list_credentials(
        actor, offset=offset, limit=limit, subject=subject, type_id=credential_configuration_id
    )


@router.get("/{credential_id}")
def get_credential(
    credential_id: str, actor: Annotated[Actor, requires("credentials:read")], operator: OperatorDep
) -> dict[str, Any]:
    return operator.get_credential(actor, credential_id)


@router.post("/{credential_id}/{action}")
def change_status(
    credential_id: str,
    action: Literal["revoke", "suspend", "reinstate"],
    actor: Annotated[Actor, requires("credentials:status")],
    operator: OperatorDep,
) -> dict[str, Any]:
    return operator.change_status(actor, credential_id, action)
