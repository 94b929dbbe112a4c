"""Trust administration (admin API keys only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response

from verifier.api.deps import AdminKey, Trust, json_model
from verifier.api.schemas import AddIssuerBody
from verifier.errors import ServiceError
from verifier.trust import TrustedIssuer

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/trust", tags=["trust"])


@router.get("/issuers")
def list_issuers(admin: AdminKey, trust: Trust) -> dict[str, Any]:
    registry = trust.registry()
    return {
        "valid_as_of": registry.valid_as_of,
        "expires_at": registry.expires_at,
        "issuers": [{**i.to_json(), "source": i.source} for i in registry.issuers],
    }


NewIssuer = Annotated[AddIssuerBody, json_model(AddIssuerBody)]  # the strict JSON parser


@router.post("/issuers", status_code=201)
def add_issuer(body: NewIssuer, admin: AdminKey, trust: Trust) -> dict[str, Any]:
    if (body.url is None) == (body.entry is None):
        raise ServiceError("give exactly one of 'url' and 'entry'", code="invalid_request")
    if body.url is not None:
        issuer = trust.add_from_url(body.url, pin_keys=body.pin_keys, name=body.name)
    else:
        issuer = trust.save(TrustedIssuer.from_json(body.entry))
    return issuer.to_json()


@router.delete("/issuers", status_code=204)
def remove_issuer(id: str, admin: AdminKey, trust: Trust) -> Response:
    trust.remove(id)
    return Response(status_code=204)
