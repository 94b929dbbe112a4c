"""Operator API: the registry of people and businesses the agency may issue to."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from issuer.api.deps import LimitDep, OffsetDep, OperatorDep, json_body, requires
from issuer.errors import InvalidRequestError
from issuer.operator import Actor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/registry", tags=["operator"])


@router.get("/people")
def list_people(
    actor: Annotated[Actor, requires("registry:read")],
    operator: OperatorDep,
    offset: OffsetDep = 0,
    limit: LimitDep = 50,
) -> dict[str, Any]:
    return operator.registry.people(actor, offset=offset, limit=limit).to_json()


@router.get("/search")
def search(
    q: str,
    actor: Annotated[Actor, requires("registry:read")],
    operator: OperatorDep,
    offset: OffsetDep = 0,
    limit: LimitDep = 50,
) -> dict[str, Any]:
    """People and businesses by CID (or its first digits), licence number or part of a name."""
    return operator.registry.search_page(actor, q, offset=offset, limit=limit).to_json()


@router.get("/people/{cid}")
def get_person(
    cid: str, actor: Annotated[Actor, requires("registry:read")], operator: OperatorDep
) -> dict[str, Any]:
    return operator.registry.person(actor, cid).model_dump(mode="json")


@router.get("/businesses")
def list_businesses(
    actor: Annotated[Actor, requires("registry:read")],
    operator: OperatorDep,
    offset: OffsetDep = 0,
    limit: LimitDep = 50,
) -> dict[str, Any]:
    return operator.registry.businesses(actor, offset=offset, limit=limit).to_json()


@router.post("/people", status_code=201)
async def add_person(
    request: Request, actor: Annotated[Actor, requires("registry:write")], operator: OperatorDep
) -> dict[str, int]:
    body = await json_body(request)
    return (await run_in_threadpool(operator.registry.add_person, actor, body)).to_json()


@router.post("/businesses", status_code=201)
async def add_business(
    request: Request, actor: Annotated[Actor, requires("registry:write")], operator: OperatorDep
) -> dict[str, int]:
    body = await json_body(request)
    return (await run_in_threadpool(operator.registry.add_business, actor, body)).to_json()


@router.post("/{kind}/import")
async def import_csv(
    kind: Literal["people", "businesses"],
    request: Request,
    actor: Annotated[Actor, requires("registry:write")],
    operator: OperatorDep,
) -> dict[str, int]:
    """A CSV file as the body (``Content-Type: text/csv``), header row of field names."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "text/csv":
        raise InvalidRequestError("send the file as text/csv", code="unsupported_media_type")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequestError("the CSV file must be UTF-8 text") from exc
    change = await run_in_threadpool(
        operator.registry.import_csv, actor, text, kind=kind, source=f"api:{kind}.csv"
    )
    return change.to_json()
