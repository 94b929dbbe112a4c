"""The operator pages' shared machinery: templates, sessions, rendering, error pages.

:func:`install_operator_pages` adds everything to the issuer app: the routes under
``/operator``, the page stylesheet and script under ``/static/issuer``, and error handlers that
answer requests under ``/operator`` with an HTML page (a plain message and what to do next)
while every other path keeps the API's JSON errors.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer.api.deps import OperatorDep
from issuer.errors import IssuerError, UnauthorizedError, next_step
from issuer.operator import Operator
from issuer.settings import IssuerSettings
from issuer.web import views
from issuer.web.auth import (
    MAX_FAILED_SIGN_INS,
    SESSION_COOKIE,
    SIGN_IN_WINDOW,
    SignInRequired,
    SignInThrottle,
    Visit,
)
from servicekit.http import UNSTORABLE_MESSAGE
from servicekit.pages import create_templates, mount_common_static
from servicekit.sessions import SessionStore, cookie_options

__all__ = [
    "NO_STORE",
    "PREFIX",
    "STATIC_URL",
    "OperatorPages",
    "PagesDep",
    "VisitDep",
    "install_operator_pages",
]

log = logging.getLogger(__name__)

PREFIX = "/operator"
STATIC_URL = "/static/issuer"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_HERE = Path(__file__).parent
_TITLES = {
    400: "Please check what you typed",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "This page cannot do that",
    409: "This cannot be done now",
    410: "No longer available",
    413: "Too long",
    429: "Please wait",
    503: "Try again in a minute",
}
_SIGN_IN_NOTES = {
    "ended": "You were signed out because the page was not used for a while. Sign in again.",
    "signed_out": "You are signed out.",
    "key_revoked": "Your API key is no longer valid. Ask an administrator for a new key.",
}

ExceptionHandler = Callable[[Request, Any], Response | Awaitable[Response]]


class OperatorPages:
    """Built once by :func:`install_operator_pages`; found by routes through ``PagesDep``."""

    def __init__(self, settings: IssuerSettings, *, clock: Callable[[], int]) -> None:
        self.settings = settings
        self.clock = clock
        self.secure_cookies = settings.public_url.startswith("https://")
        self.sessions = SessionStore(idle_seconds=settings.operator_session_idle, clock=clock)
        self.throttle = SignInThrottle(
            clock=clock, limit=MAX_FAILED_SIGN_INS, window=SIGN_IN_WINDOW
        )
        self.templates = create_templates(
            _HERE / "templates",
            service_name=settings.name,
            issuer_static=STATIC_URL,
            languages=views.LANGUAGES,
            zone=views.offset_label(settings.operator_utc_offset),
            idle_minutes=max(1, settings.operator_session_idle // 60),
            role_words=views.role_words,
        )
        self.templates.env.filters["when"] = self.when

    def when(self, value: int | str | None) -> str:
        return views.format_time(value, self.settings.operator_utc_offset)

    # --- sessions ----------------------------------------------------------------------

    def cookie(self, request: Request, path: str = "") -> dict[str, Any]:
        """Cookie options for ``/operator<path>`` (below the app's root path)."""
        return cookie_options(
            secure=self.secure_cookies, path=f"{self.base(request)}{PREFIX}{path}"
        )

    def visit(self, request: Request, operator: Operator) -> Visit:
        """The signed-in visit, or :class:`SignInRequired`; the key is checked again."""
        cookie = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.get(cookie)
        if session is None:
            raise SignInRequired("ended" if cookie else None)
        try:
            actor = operator.sign_in.actor_for_key(str(session.data.get("key_id", "")))
        except UnauthorizedError as exc:
            self.sessions.drop(session.id)
            log.info("operator session ended: %s", exc.code)
            raise SignInRequired("key_revoked") from exc
        lang = request.query_params.get("lang")
        if lang in views.LANGUAGES:
            session.data["lang"] = lang
        return Visit(session, actor)

    def peek(self, request: Request) -> Visit | None:
        """The visit if there is one (for the menu on error pages); never raises."""
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is None or not request.cookies.get(SESSION_COOKIE):
            return None
        try:
            return self.visit(request, runtime.operator)
        except (SignInRequired, IssuerError, OperationalError):
            return None

    # --- rendering ---------------------------------------------------------------------

    @staticmethod
    def base(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def url(self, request: Request, path: str, **query: str | int | None) -> str:
        """``/operator/<path>`` below the app's root path, with the non-empty query values."""
        params = {k: v for k, v in query.items() if v not in (None, "")}
        suffix = f"?{urlencode(params)}" if params else ""
        return f"{self.base(request)}{PREFIX}{path}{suffix}"

    def redirect(self, request: Request, path: str, **query: str | int | None) -> Response:
        return RedirectResponse(self.url(request, path, **query), status_code=303, headers=NO_STORE)

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        visit: Visit | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        lang_switch: bool = False,
    ) -> HTMLResponse:
        query = dict(request.query_params)
        full: dict[str, Any] = {
            "base": self.base(request),
            "prefix": self.base(request) + PREFIX,
            "visit": visit,
            "flash": visit.take_flash() if visit is not None else None,
            "lang_links": (
                [
                    (code, label, f"?{urlencode({**query, 'lang': code})}")
                    for code, label in views.LANGUAGES.items()
                ]
                if lang_switch
                else []
            ),
            **(context or {}),
        }
        return self.templates.TemplateResponse(
            request,
            f"operator/{name}",
            full,
            status_code=status,
            headers={**NO_STORE, **(headers or {})},
        )

    def error_page(
        self,
        request: Request,
        status: int,
        message: str,
        *,
        code: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            {
                "title": _TITLES.get(status, "Something went wrong"),
                "message": message[:1].upper() + message[1:],
                "next_step": next_step(code),
                "status": status,
            },
            visit=self.peek(request),
            status=status,
            headers=headers,
        )

    @staticmethod
    def sign_in_note(reason: str | None) -> str | None:
        return _SIGN_IN_NOTES.get(reason or "")

    def too_large(self, scope: MutableMapping[str, Any], max_bytes: int) -> HTMLResponse | None:
        """The page for a body over the cap sent to a page (``None`` for the API, which
        answers JSON). Rendered without the session's menu: no database work here."""
        request = Request(scope)
        if not _under_pages(request):
            return None
        message = f"what was sent is longer than the {max_bytes // 1024} KB this page accepts"
        return self.render(
            request,
            "error.html",
            {"title": _TITLES[413], "message": message[:1].upper() + message[1:], "status": 413},
            status=413,
            headers={"Cache-Control": "no-store"},
        )


def get_pages(request: Request) -> OperatorPages:
    pages: OperatorPages = request.app.state.operator_pages
    return pages


PagesDep = Annotated[OperatorPages, Depends(get_pages)]


def signed_in(request: Request, pages: PagesDep, operator: OperatorDep) -> Visit:
    return pages.visit(request, operator)


VisitDep = Annotated[Visit, Depends(signed_in)]


def _under_pages(request: Request) -> bool:
    path = str(request.scope.get("path", ""))
    path = path.removeprefix(str(request.scope.get("root_path", "")).rstrip("/"))
    return path == PREFIX or path.startswith(PREFIX + "/")


def _install_error_pages(app: FastAPI, pages: OperatorPages) -> None:
    """HTML errors under ``/operator``; the API's JSON handlers everywhere else."""

    def page_for(exc: Exception) -> tuple[int, str, str, Mapping[str, str] | None]:
        if isinstance(exc, IssuerError):
            return exc.status, exc.message, exc.code, exc.headers
        if isinstance(exc, RequestValidationError):
            return 400, "a value in the address is not valid", "wrong_method", None
        if isinstance(exc, StarletteHTTPException):
            if exc.status_code == 404:
                return 404, "there is no such page", "no_page", None
            refused = "this address cannot be used that way"
            return exc.status_code, refused, "wrong_method", exc.headers
        if isinstance(exc, DataError):
            return 400, UNSTORABLE_MESSAGE, "unstorable_value", None
        log.error("database unavailable: %s", type(exc).__name__)
        unreachable = "the issuer's database is not reachable just now"
        return 503, unreachable, "database_unavailable", {"Retry-After": "30"}

    for exc_type in (
        IssuerError,
        RequestValidationError,
        StarletteHTTPException,
        OperationalError,
        DataError,
    ):
        fallback: ExceptionHandler | None = app.exception_handlers.get(exc_type)

        async def handler(
            request: Request, exc: Exception, fallback: ExceptionHandler | None = fallback
        ) -> Response:
            if _under_pages(request) or fallback is None:
                status, message, code, headers = page_for(exc)
                # The page's menu looks the session's key up in the database: off the loop.
                return await run_in_threadpool(
                    pages.error_page, request, status, message, code=code, headers=headers
                )
            response = fallback(request, exc)
            return await response if inspect.isawaitable(response) else response

        app.add_exception_handler(exc_type, handler)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        reason = exc.reason if isinstance(exc, SignInRequired) else None
        response = pages.redirect(request, "/sign-in", reason=reason)
        if request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, **pages.cookie(request))
        return response

    app.add_exception_handler(SignInRequired, sign_in_required)


def install_operator_pages(
    app: FastAPI, settings: IssuerSettings, *, clock: Callable[[], int]
) -> None:
    """Mount the operator pages on the issuer app (call after the API's error handlers)."""
    from issuer.web.routes import audit, credentials, offers, signin

    pages = OperatorPages(settings, clock=clock)
    app.state.operator_pages = pages
    for module in (signin, offers, credentials, audit):
        app.include_router(module.router)
    mount_common_static(app)
    app.mount(STATIC_URL, StaticFiles(directory=str(_HERE / "static")), name="issuer-static")
    _install_error_pages(app, pages)
