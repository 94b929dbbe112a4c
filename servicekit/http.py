"""HTTP plumbing for the FastAPI services: error rendering, body-size caps, security headers.

Every rejection renders as JSON ``{"error": <registered or drukid code>, "error_description":
<human message>, "code": <stable drukid code>}`` (RFC 6749 §5.2 shape, which OpenID4VCI and
OpenID4VP reuse). Unknown exceptions become a bare 500 with no detail; the traceback goes to the
log only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import CodedError
from servicekit.database import storage_fault

__all__ = [
    "UNSTORABLE_MESSAGE",
    "BodySizeLimitMiddleware",
    "SecurityHeadersMiddleware",
    "error_response",
    "install_error_handlers",
    "install_storage_fault_handler",
    "storage_fault_response",
    "validation_problem",
]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_STATUS_CODES = {
    400: "invalid_request",
    401: "invalid_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


# A value the database refuses to store (PostgreSQL: a NUL character in text; a value too long
# for its column): the client's input is at fault, so 400 instead of 500.
UNSTORABLE_MESSAGE = (
    "a value in the request holds a character that cannot be kept (such as a NUL byte) or is "
    "too long; remove it and try again"
)


def error_response(
    status: int,
    error: str,
    description: str,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": error, "error_description": description, "code": code or error}
    merged = {"Cache-Control": "no-store", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=merged)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for item in exc.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", ""))
    return "; ".join(parts) or "the request is malformed"


def validation_problem(exc: ValidationError) -> str:
    """A model's first complaint about a body, as ``where: what`` (``body: ...`` at the top)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where or 'body'}: {first.get('msg', 'invalid')}"


def storage_fault_response(exc: BaseException, service: str) -> JSONResponse:
    """A database (or disk) that cannot be used just now: 503 with ``Retry-After``, a code and
    words that name the cause (:func:`servicekit.database.storage_fault`), and one log line
    saying the cause and what the operator does; never the statement or its values."""
    fault = storage_fault(exc)
    logger.error(
        "database unavailable (%s): %s; %s", fault.cause, type(exc).__name__, fault.what_to_do
    )
    words = {
        "storage_full": f"the {service} cannot save anything just now (its disk is full)",
        "storage_read_only": f"the {service} cannot save anything just now (its storage is "
        "read-only)",
    }.get(fault.code, f"the {service}'s database is not reachable just now; try again soon")
    return error_response(
        503, "temporarily_unavailable", words, code=fault.code, headers={"Retry-After": "30"}
    )


def install_storage_fault_handler(app: FastAPI, service: str) -> None:
    """Render sqlalchemy's ``OperationalError`` with :func:`storage_fault_response`."""

    async def unavailable(_request: Request, exc: Exception) -> JSONResponse:
        return storage_fault_response(exc, service)

    app.add_exception_handler(OperationalError, unavailable)


def install_error_handlers(app: FastAPI, error_types: Iterable[type[CodedError]]) -> None:
    """Render our error classes (each renders itself: :meth:`CodedError.to_json`, ``status``,
    ``headers``) and every framework error as JSON; nothing else escapes with details."""

    async def render_ours(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CodedError)
        headers = {"Cache-Control": "no-store", **(exc.headers or {})}
        return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)

    for error_type in error_types:
        app.add_exception_handler(error_type, render_ours)

    async def render_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(400, "invalid_request", _validation_message(exc))

    async def render_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = _STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else error.replace("_", " ")
        return error_response(exc.status_code, error, detail, headers=exc.headers)

    async def render_unstorable(_request: Request, exc: Exception) -> JSONResponse:
        # The statement's parameters stay out of the log: they are the client's input.
        logger.warning("refused a value the database cannot store: %s", type(exc).__name__)
        return error_response(400, "invalid_request", UNSTORABLE_MESSAGE, code="unstorable_value")

    async def render_unknown(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return error_response(500, "server_error", "internal error")

    app.add_exception_handler(RequestValidationError, render_validation)
    app.add_exception_handler(StarletteHTTPException, render_http)
    app.add_exception_handler(DataError, render_unstorable)
    app.add_exception_handler(Exception, render_unknown)


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, by header and while streaming.

    ``response(scope, max_bytes)`` builds the 413 response for a request (pages answer HTML);
    when it is not given or answers ``None``, the JSON error body.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        response: Callable[[Scope, int], Response | None] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.response = response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.max_bytes
                except ValueError:
                    too_large = True
                if too_large:
                    await self._reject(scope, receive, send)
                    return
        received = 0
        overflow = False

        async def limited_receive() -> Message:
            # Past the cap the app sees the body end there; its answer is then replaced by
            # 413 (raising here would be swallowed by the framework's body parser as a 400).
            nonlocal received, overflow
            if overflow:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    overflow = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if overflow:
                if not replaced:
                    replaced = True
                    await self._reject(scope, receive, send)
                return
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.response(scope, self.max_bytes) if self.response is not None else None
        if response is None:
            response = error_response(
                413, "request_too_large", f"the request body is larger than {self.max_bytes} bytes"
            )
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    """Conservative headers on every response; API responses default to ``no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                defaults = {
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"x-frame-options": b"DENY",
                    b"content-security-policy": (
                        b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                        b"script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                        b"form-action 'self'"
                    ),
                    b"cache-control": b"no-store",
                }
                for name, value in defaults.items():
                    if name not in present:
                        headers.append((name, value))
            await send(message)

        await self.app(scope, receive, add_headers)
