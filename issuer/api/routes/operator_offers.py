"""Operator API: offers for registry records (one, or many in bulk), and the status of every
credential issued from one offer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from issuer.api.deps import OperatorDep, model_body, requires
from issuer.api.routes.operator_credentials import StatusAction, reason_of
from issuer.operator import MAX_BULK_OFFERS, Actor, OfferItem

__all__ = ["OfferRequest", "router"]

router = APIRouter(prefix="/api/v1/offers", tags=["operator"])


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential_configuration_id: str = Field(max_length=64)
    cid: str | None = Field(default=None, max_length=11)
    licence_number: str | None = Field(default=None, max_length=32)
    tx_code: bool = False

    def item(self) -> OfferItem:
        return OfferItem(
            self.credential_configuration_id, self.cid, self.licence_number, self.tx_code
        )


class BulkOfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offers: list[OfferRequest] = Field(min_length=1, max_length=MAX_BULK_OFFERS)
    response: Literal["full"] = "full"


@router.post("", status_code=201)
async def create_offer(
    request: Request, actor: Annotated[Actor, requires("offers:create")], operator: OperatorDep
) -> JSONResponse:
    body = await model_body(request, OfferRequest)
    offer = await run_in_threadpool(operator.offers.create, actor, body.item())
    return JSONResponse(offer.to_json(), status_code=201)


@router.post("/bulk", status_code=201)
async def create_offers(
    request: Request, actor: Annotated[Actor, requires("offers:create")], operator: OperatorDep
) -> JSONResponse:
    body = await model_body(request, BulkOfferRequest)
    offers = await run_in_threadpool(
        operator.offers.create_many, actor, [item.item() for item in body.offers]
    )
    return JSONResponse({"offers": [o.to_json() for o in offers]}, status_code=201)


@router.post("/{offer_ref}/{action}")
async def change_offer_status(
    offer_ref: str,
    action: StatusAction,
    request: Request,
    actor: Annotated[Actor, requires("credentials:status")],
    operator: OperatorDep,
) -> dict[str, Any]:
    """Revoke, suspend or reinstate every copy a wallet collected from the offer."""
    reason = await reason_of(request)
    result = await run_in_threadpool(
        operator.credentials.change_offer_status, actor, offer_ref, action, reason=reason
    )
    return result.to_json()
