"""Relying-party API: create presentation requests, poll results, QR images, templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response

from verifier.api.deps import RelyingParty, Requests, Results, json_model
from verifier.api.schemas import CreateRequestBody
from verifier.errors import ServiceError
from verifier.request_templates import load_templates

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["relying party"])

NewRequest = Annotated[CreateRequestBody, json_model(CreateRequestBody)]  # the strict JSON parser


@router.post("/requests", status_code=201)
def create_request(body: NewRequest, rp: RelyingParty, requests: Requests) -> dict[str, Any]:
    """Create a presentation request; show ``qr_png_url`` (or ``uri``) to the citizen."""
    return requests.create(rp, **body.model_dump())


@router.get("/requests/{request_id}")
def get_request(
    request_id: str, rp: RelyingParty, results: Results, response_code: str | None = None
) -> dict[str, Any]:
    """Poll: ``pending``, ``verified`` (with the disclosed claims), ``rejected`` (with the
    reason in plain words) or ``expired``."""
    return results.view(rp, request_id, response_code=response_code)


@router.get("/requests/{request_id}/qr.{kind}")
def get_qr(request_id: str, kind: str, rp: RelyingParty, requests: Requests) -> Response:
    if kind not in ("png", "svg"):
        raise ServiceError("QR codes come as qr.png or qr.svg", code="not_found", status=404)
    content, media_type = requests.qr(rp, request_id, kind)
    return Response(content, media_type=media_type)


@router.get("/templates")
def list_templates(rp: RelyingParty) -> list[dict[str, Any]]:
    return [template.to_json() for template in load_templates().values()]
