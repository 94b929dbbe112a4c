"""Request plumbing shared by the routes: the runtime, the operator actor, bodies and tokens.

Bodies are read here, never by FastAPI's implicit JSON parsing: JSON goes through the strict
parser (no duplicate member names, no NaN) and form bodies through ``parse_qsl`` with a field
cap, so every malformed body becomes a clean ``invalid_request``.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ValidationError

from core.encoding import EncodingError, parse_json
from issuer.context import IssuerContext
from issuer.errors import InvalidClientError, InvalidRequestError
from issuer.flows.tokens import SenderHeaders
from issuer.operator import Actor, Operator
from issuer.runtime import Runtime
from servicekit.http import validation_problem

__all__ = [
    "ActorDep",
    "ContextDep",
    "LimitDep",
    "OffsetDep",
    "OperatorDep",
    "RuntimeDep",
    "bearer_token",
    "current_actor",
    "form_pairs",
    "json_body",
    "model_body",
    "optional_model_body",
    "requires",
    "sender_headers",
]

M = TypeVar("M", bound=BaseModel)
_MAX_FORM_FIELDS = 20


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_context(request: Request) -> IssuerContext:
    return get_runtime(request).context


def get_operator(request: Request) -> Operator:
    return get_runtime(request).operator


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1), else None."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def sender_headers(request: Request) -> SenderHeaders:
    """The DPoP proofs (all of them: more than one is refused, RFC 9449 §4.3) and the wallet
    attestation headers (precisely one of each, ABCA §7.1)."""
    attestation = request.headers.getlist("oauth-client-attestation")
    pop = request.headers.getlist("oauth-client-attestation-pop")
    if len(attestation) > 1 or len(pop) > 1:
        raise InvalidClientError(
            "send one OAuth-Client-Attestation and one OAuth-Client-Attestation-PoP header",
            code="client_attestation_malformed",
        )
    # A proxy may fold repeated headers into one, comma-separated (RFC 9110 §5.3); a JWT has
    # no comma, so every part is one proof.
    proofs = [p.strip() for v in request.headers.getlist("dpop") for p in v.split(",")]
    return SenderHeaders(
        dpop=tuple(proofs),
        attestation=attestation[0] if attestation else None,
        pop=pop[0] if pop else None,
    )


def current_actor(request: Request, operator: Annotated[Operator, Depends(get_operator)]) -> Actor:
    return operator.sign_in.authenticate(bearer_token(request))


def requires(permission: str) -> Any:
    """A dependency: the authenticated actor, refused (403) unless its role has
    ``permission`` — checked before the body is read, so a wrong role never learns more."""

    def dependency(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        actor.require(permission)
        return actor

    return Depends(dependency)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def json_body(request: Request) -> Any:
    if _media_type(request) != "application/json":
        raise InvalidRequestError(
            "send the request body as JSON (Content-Type: application/json)",
            code="unsupported_media_type",
        )
    body = await request.body()
    try:
        return parse_json(body)
    except EncodingError as exc:
        raise InvalidRequestError(f"the body is not valid JSON: {exc.message}") from exc


async def model_body(request: Request, model: type[M]) -> M:
    data = await json_body(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError(validation_problem(exc)) from exc


async def optional_model_body(request: Request, model: type[M]) -> M | None:
    """Like :func:`model_body`, for an endpoint whose body may be left out: an empty body
    (whatever its media type) is ``None``."""
    if not (await request.body()).strip():
        return None
    return await model_body(request, model)


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """RFC 6749 §4.1.3 / Appendix B: ``application/x-www-form-urlencoded`` parameters in order."""
    if _media_type(request) != "application/x-www-form-urlencoded":
        raise InvalidRequestError(
            "the token request must be form-encoded (application/x-www-form-urlencoded)",
            code="unsupported_media_type",
        )
    body = await request.body()
    try:
        text = body.decode("utf-8")
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, max_num_fields=_MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        if not body:
            return []
        raise InvalidRequestError("the form body is malformed") from exc


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ContextDep = Annotated[IssuerContext, Depends(get_context)]
OperatorDep = Annotated[Operator, Depends(get_operator)]
ActorDep = Annotated[Actor, Depends(current_actor)]
OffsetDep = Annotated[int, Query(ge=0, le=10_000_000)]
LimitDep = Annotated[int, Query(ge=1, le=500)]
