"""FastAPI dependencies: the service's parts (from the runtime the lifespan built), the caller's
API key, the posted form."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel, ValidationError

from core.encoding import EncodingError, parse_json
from servicekit.http import validation_problem
from verifier.errors import RequestError, ServiceError
from verifier.runtime import Runtime
from verifier.service import (
    Identity,
    PresentationRequests,
    PresentationResponses,
    PresentationResults,
    TrustAdmin,
)

__all__ = [
    "AdminKey",
    "Form",
    "RelyingParty",
    "Requests",
    "Responses",
    "Results",
    "Trust",
    "VerifierIdentity",
    "json_model",
]

M = TypeVar("M", bound=BaseModel)

MAX_FORM_FIELDS = 16


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _requests(request: Request) -> PresentationRequests:
    return _runtime(request).requests


def _responses(request: Request) -> PresentationResponses:
    return _runtime(request).responses


def _results(request: Request) -> PresentationResults:
    return _runtime(request).results


def _trust(request: Request) -> TrustAdmin:
    return _runtime(request).trust


def _identity(request: Request) -> Identity:
    return _runtime(request).context.identity


Requests = Annotated[PresentationRequests, Depends(_requests)]
Responses = Annotated[PresentationResponses, Depends(_responses)]
Results = Annotated[PresentationResults, Depends(_results)]
Trust = Annotated[TrustAdmin, Depends(_trust)]
VerifierIdentity = Annotated[Identity, Depends(_identity)]


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _relying_party(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    return _runtime(request).api_keys.authenticate(_bearer(authorization))


def _admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    return _runtime(request).api_keys.authenticate(_bearer(authorization), admin=True)


RelyingParty = Annotated[str, Depends(_relying_party)]
AdminKey = Annotated[str, Depends(_admin)]


async def _form(request: Request) -> dict[str, str]:
    """A url-encoded form with each field once (OpenID4VP §8.2 ``direct_post``)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise RequestError(
            "the response must be posted as application/x-www-form-urlencoded",
            code="invalid_content_type",
            status=415,
        )
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if not isinstance(value, str) or name in fields:
            raise RequestError(
                f"form field {name!r} is repeated or not text", code="invalid_response"
            )
        fields[name] = value
    return fields


Form = Annotated[dict[str, str], Depends(_form)]


def json_model(model: type[M]) -> Any:
    """A JSON body read with the one strict parser (core.encoding: duplicate names, NaN and
    Infinity, lone surrogates, deep nesting refused as ``invalid_json``), then ``model``'s
    rules (``invalid_request``). FastAPI's own body parser is lenient on all four."""

    async def parse(request: Request) -> M:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise ServiceError(
                "send the request body as JSON (Content-Type: application/json)",
                code="unsupported_media_type",
                status=415,
            )
        try:
            data = parse_json(await request.body())
        except EncodingError as exc:
            raise ServiceError(
                f"the body is not valid JSON: {exc.message}", code="invalid_json"
            ) from exc
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ServiceError(validation_problem(exc)) from exc

    return Depends(parse)
