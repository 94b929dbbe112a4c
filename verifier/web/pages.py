"""The teller pages' machinery: templates, sessions, rendering and error pages.

:func:`install_teller_pages` adds everything to the verifier app: the routes under ``/teller``
(:mod:`verifier.web.routes`), the shared stylesheet and script under ``/static/drukid``, this
page's own under ``/static/verifier``, and error handlers that answer requests under
``/teller`` with an HTML page (a plain message and what to do next) while every other path
keeps the API's JSON errors. Every page is sent with ``Cache-Control: no-store``: a result
must not come back from the browser's cache or history.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.pages import create_templates, mount_common_static
from servicekit.sessions import Session, SessionStore, cookie_options
from verifier.errors import VerificationError
from verifier.service import VerifierService
from verifier.settings import VerifierSettings
from verifier.web.auth import SESSION_COOKIE, Desk, SignInThrottle
from verifier.web.problems import PageProblem, SignInRequired
from verifier.web.views import display_zone, problem_for

__all__ = [
    "NO_STORE",
    "PREFIX",
    "STATIC_URL",
    "DeskDep",
    "PagesDep",
    "ServiceDep",
    "TellerPages",
    "install_teller_pages",
]

log = logging.getLogger(__name__)

PREFIX = "/teller"
STATIC_URL = "/static/verifier"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_HERE = Path(__file__).parent
_TITLES = {
    400: "Please check what you typed",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "This page cannot do that",
    409: "This cannot be done now",
    413: "Too long",
    415: "This page cannot do that",
    429: "Please wait",
    500: "Something went wrong",
}
_SIGN_IN_NOTES = {
    "ended": "You were signed out because the page was not used for a while. Sign in again.",
    "signed_out": "You are signed out. Sign in again to start a check.",
    "key_revoked": "This desk's API key is no longer valid. Ask your administrator for a new key.",
}

ExceptionHandler = Callable[[Request, Any], Response | Awaitable[Response]]


class TellerPages:
    """Built once by :func:`install_teller_pages`; routes find it through ``PagesDep``."""

    def __init__(
        self,
        settings: VerifierSettings,
        *,
        clock: Callable[[], int],
        service: Callable[[], VerifierService | None],
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.zone = display_zone(settings.timezone)
        self.secure_cookies = settings.public_url.startswith("https://")
        self._service = service
        self.sessions = SessionStore(
            idle_seconds=settings.teller_idle_seconds, clock=clock, on_expire=self._session_ended
        )
        self.throttle = SignInThrottle(
            clock=clock,
            limit=settings.teller_max_failed_sign_ins,
            window=settings.teller_sign_in_window_seconds,
        )
        self.templates = create_templates(
            _HERE / "templates", service_name=settings.name, verifier_static=STATIC_URL
        )

    # --- sessions ----------------------------------------------------------------------

    def _session_ended(self, session: Session) -> None:
        """A desk signed out, was signed out, or walked away: its check (a code someone could
        still scan, or a result nobody is reading) is deleted with the session."""
        check, key_id = session.data.get("check"), session.data.get("key_id")
        service = self._service()
        if service is None or not isinstance(check, str) or not isinstance(key_id, str):
            return
        try:
            service.discard_request(key_id, check)
        except Exception:  # the session ends regardless; pruning removes the row later
            log.exception("could not discard the check of an ended teller session")

    def cookie(self, request: Request) -> dict[str, Any]:
        return cookie_options(secure=self.secure_cookies, path=self.url(request, ""))

    def desk(self, request: Request, service: VerifierService) -> Desk:
        """The signed-in desk, or :class:`SignInRequired`; the key is checked again."""
        cookie = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.get(cookie)
        if session is None:
            raise SignInRequired("ended" if cookie else None)
        key_id = str(session.data.get("key_id", ""))
        name = service.desk_name(key_id)
        if name is None:
            self.sessions.drop(session.id)
            log.info("teller session ended: key %s is revoked", key_id)
            raise SignInRequired("key_revoked")
        return Desk(session, key_id, name)

    def peek(self, request: Request) -> Desk | None:
        """The desk if one is signed in (for the menu on error pages); never raises."""
        service = getattr(request.app.state, "service", None)
        if service is None or not request.cookies.get(SESSION_COOKIE):
            return None
        try:
            return self.desk(request, service)
        except Exception:  # an error page must render even when the database does not
            return None

    # --- rendering ---------------------------------------------------------------------

    @staticmethod
    def url(request: Request, path: str) -> str:
        """``/teller<path>`` below the app's root path."""
        return str(request.scope.get("root_path", "")).rstrip("/") + PREFIX + path

    def redirect(self, request: Request, path: str) -> Response:
        return RedirectResponse(self.url(request, path), status_code=303, headers=NO_STORE)

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        desk: Desk | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        full: dict[str, Any] = {
            "base": str(request.scope.get("root_path", "")).rstrip("/"),
            "prefix": self.url(request, ""),
            "desk": desk,
            "flash": desk.take_flash() if desk is not None else None,
            **(context or {}),
        }
        return self.templates.TemplateResponse(
            request,
            f"teller/{name}",
            full,
            status_code=status,
            headers={**NO_STORE, **(headers or {})},
        )

    def problem_page(self, request: Request, problem: PageProblem) -> HTMLResponse:
        return self.render(
            request,
            "problem.html",
            {
                "page_title": _TITLES.get(problem.status, "Something went wrong"),
                "problem": problem,
            },
            desk=self.peek(request) if problem.status < 500 else None,
            status=problem.status,
            headers=problem.headers,
        )

    @staticmethod
    def sign_in_note(reason: str | None) -> str | None:
        return _SIGN_IN_NOTES.get(reason or "")

    def too_large(self, scope: MutableMapping[str, Any], max_bytes: int) -> HTMLResponse | None:
        """The page for a body over the cap sent to a teller page (``None`` for the API, which
        answers JSON)."""
        request = Request(scope)
        if not _under_pages(request):
            return None
        problem = PageProblem(
            413,
            f"What was sent is longer than the {max_bytes // 1024} KB this page accepts.",
            "Go back to the start page and try again.",
        )
        # Without the signed-in desk's menu: no session or database work in the middleware.
        return self.render(
            request,
            "problem.html",
            {"page_title": _TITLES[413], "problem": problem},
            status=413,
            headers={"Cache-Control": "no-store"},
        )


def _pages(request: Request) -> TellerPages:
    pages: TellerPages = request.app.state.teller_pages
    return pages


def _service(request: Request) -> VerifierService:
    service: VerifierService = request.app.state.service
    return service


PagesDep = Annotated[TellerPages, Depends(_pages)]
ServiceDep = Annotated[VerifierService, Depends(_service)]


def _signed_in(request: Request, pages: PagesDep, service: ServiceDep) -> Desk:
    return pages.desk(request, service)


DeskDep = Annotated[Desk, Depends(_signed_in)]


def _under_pages(request: Request) -> bool:
    path = str(request.scope.get("path", ""))
    path = path.removeprefix(str(request.scope.get("root_path", "")).rstrip("/"))
    return path == PREFIX or path.startswith(PREFIX + "/")


def _as_problem(exc: Exception) -> PageProblem:
    if isinstance(exc, PageProblem):
        return exc
    if isinstance(exc, VerificationError):
        return problem_for(exc)
    if isinstance(exc, RequestValidationError):
        return PageProblem(
            400, "A value in the address is not valid.", "Use the buttons on the pages."
        )
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return PageProblem(404, "There is no such page.", "Go to the teller start page.")
        if exc.status_code == 405:
            return PageProblem(
                405,
                "This address cannot be used that way.",
                "Use the buttons on the pages instead of typing addresses.",
            )
        return PageProblem(exc.status_code, "The request was refused.", "Go to the start page.")
    if isinstance(exc, DataError):
        return PageProblem(
            400, "A value in the request cannot be kept.", "Go back and remove odd characters."
        )
    log.error("teller page failed: %s", type(exc).__name__, exc_info=exc)
    return PageProblem(
        500,
        "Something went wrong on our side. Nothing was shared.",
        "Go to the start page and try again. If it keeps happening, tell your IT staff.",
    )


def _install_error_pages(app: FastAPI, pages: TellerPages) -> None:
    """HTML errors under ``/teller``; the API's JSON handlers everywhere else."""
    for exc_type in (
        PageProblem,
        VerificationError,
        RequestValidationError,
        StarletteHTTPException,
        DataError,
        Exception,
    ):
        fallback: ExceptionHandler | None = app.exception_handlers.get(exc_type)

        async def handler(
            request: Request, exc: Exception, fallback: ExceptionHandler | None = fallback
        ) -> Response:
            if _under_pages(request) or fallback is None:
                return pages.problem_page(request, _as_problem(exc))
            response = fallback(request, exc)
            return await response if inspect.isawaitable(response) else response

        app.add_exception_handler(exc_type, handler)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        reason = exc.reason if isinstance(exc, SignInRequired) else None
        response = pages.redirect(request, f"?reason={reason}" if reason else "")
        if request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, **pages.cookie(request))
        return response

    app.add_exception_handler(SignInRequired, sign_in_required)


def install_teller_pages(
    app: FastAPI, settings: VerifierSettings, *, clock: Callable[[], int]
) -> TellerPages:
    """Add the teller pages to the verifier app (call after the API's error handlers)."""
    from verifier.web import routes

    pages = TellerPages(settings, clock=clock, service=lambda: getattr(app.state, "service", None))
    app.state.teller_pages = pages
    app.include_router(routes.router)
    mount_common_static(app)
    app.mount(STATIC_URL, StaticFiles(directory=str(_HERE / "static")), name="verifier-static")
    _install_error_pages(app, pages)
    return pages
