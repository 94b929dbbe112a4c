"""The staff pages' machinery: sessions, sign-in and sign-out, forms with their CSRF token,
rendering, and the error pages of one role's pages under its prefix.

:class:`StaffPages` is built once by the role's ``web/app.py`` and found by its routes through
``PagesDep``. Every page is sent with ``Cache-Control: no-store``: a page may show personal
data or a result that must not come back from the browser's cache or history.

With a shared session store (:class:`servicekit.page_state.DatabaseSessionStore`) a request
reads its session once, whatever asks for it (the route, the problem page's menu), and what
the request changed in it (a notice to show, the check a desk runs, the language) is saved
before the first byte of the response leaves (:class:`SaveSessions`), so the next request,
at whichever worker, sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.pages import (
    PageProblem,
    ProblemFor,
    create_templates,
    install_error_pages,
    mount_common_static,
)
from servicekit.sessions import PageSessions, Session, cookie_options
from servicekit.staff.forms import Form, read_form
from servicekit.staff.signin import SignInLimiter, form_token, form_token_ok
from servicekit.staff.site import StaffSite
from servicekit.staff.visits import SignedIn, SignInRequired

__all__ = ["NO_STORE", "TITLES", "SaveSessions", "StaffPages"]

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The heading of a problem page, by its status.
TITLES = {
    400: "Please check what you typed",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "This page cannot do that",
    409: "This cannot be done now",
    410: "No longer available",
    413: "Too long",
    415: "This page cannot do that",
    429: "Please wait",
    503: "Try again in a minute",
}
_TEMPLATES = Path(__file__).parent / "templates"
# The request's sessions as read (cookie value -> Session), kept in the ASGI scope.
_LOADED = "drukid.page_sessions"

V = TypeVar("V", bound=SignedIn)


class StaffPages(Generic[V]):
    """One role's staff pages. ``identify(request, session)`` is the role's part: what the
    session's key stands for now, or ``None`` when the key no longer works (the session ends).
    Templates come from ``templates`` (the role's folder), this kit, and the common ones."""

    def __init__(
        self,
        site: StaffSite,
        *,
        identify: Callable[[Request, Session], V | None],
        sessions: PageSessions,
        throttle: SignInLimiter,
        secure_cookies: bool,
        templates: Path,
        **template_globals: Any,
    ) -> None:
        self.site = site
        self.sessions = sessions
        self.throttle = throttle
        self.secure_cookies = secure_cookies
        self._identify = identify
        self.templates = create_templates(
            templates,
            _TEMPLATES,
            site_layout=f"{site.name}/layout.html",
            **template_globals,
        )

    # --- addresses ---------------------------------------------------------------------

    @staticmethod
    def base(request: Request) -> str:
        """The app's root path (empty, or where a proxy mounts the service)."""
        return str(request.scope.get("root_path", "")).rstrip("/")

    def url(self, request: Request, path: str, **query: str | int | None) -> str:
        """``<prefix><path>`` below the app's root path, with the non-empty query values."""
        params = {k: v for k, v in query.items() if v not in (None, "")}
        suffix = f"?{urlencode(params)}" if params else ""
        return f"{self.base(request)}{self.site.prefix}{path}{suffix}"

    def redirect(self, request: Request, path: str, **query: str | int | None) -> Response:
        """303 See Other: after a form, the browser loads the result with GET."""
        return RedirectResponse(self.url(request, path, **query), status_code=303, headers=NO_STORE)

    def owns(self, request: Request) -> bool:
        """Whether ``request`` is for these pages (the rest of the app answers JSON)."""
        path = str(request.scope.get("path", "")).removeprefix(self.base(request))
        return path == self.site.prefix or path.startswith(self.site.prefix + "/")

    def cookie(
        self, request: Request, path: str = "", *, max_age: int | None = None
    ) -> dict[str, Any]:
        """Cookie options for ``<prefix><path>``: ``HttpOnly``, ``SameSite=Strict``,
        ``Secure`` when the public URL is ``https``."""
        return cookie_options(
            secure=self.secure_cookies, max_age=max_age, path=self.url(request, path)
        )

    # --- who is signed in --------------------------------------------------------------

    def visit(self, request: Request) -> V:
        """The signed-in visit, or :class:`SignInRequired`; the key is checked again."""
        cookie = request.cookies.get(self.site.session_cookie)
        session = self._session(request, cookie)
        if session is None:
            raise SignInRequired("ended" if cookie else None)
        visit = self._identify(request, session)
        if visit is None:
            self._forget(request, session.id)
            raise SignInRequired("key_revoked")
        return visit

    def _session(self, request: Request, cookie: str | None) -> Session | None:
        """The request's session, read once per request (and saved by :class:`SaveSessions`)."""
        loaded: dict[str, Session] | None = request.scope.get(_LOADED)
        if loaded is not None and cookie and cookie in loaded:
            return loaded[cookie]
        session = self.sessions.get(cookie)
        if session is not None and loaded is not None and cookie:
            loaded[cookie] = session
        return session

    def _forget(self, request: Request, session_id: str | None) -> None:
        """End a session, and do not save it after the request."""
        loaded: dict[str, Session] | None = request.scope.get(_LOADED)
        if loaded is not None and session_id:
            loaded.pop(session_id, None)
        self.sessions.drop(session_id)

    def sweep(self) -> int:
        """End expired sessions and forget old failed sign-ins (services call this now and
        then, so that both go even with no traffic); return how many sessions ended."""
        self.throttle.sweep()
        return self.sessions.sweep()

    def peek(self, request: Request) -> V | None:
        """The visit if there is one (for the menu on problem pages); never raises."""
        if not request.cookies.get(self.site.session_cookie):
            return None
        try:
            return self.visit(request)
        except Exception:  # a problem page must render even when the database does not
            return None

    def sign_in_page(
        self,
        request: Request,
        *,
        reason: str | None = None,
        problem: PageProblem | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """The sign-in form with its double-submit token (the browser's own, else new), the
        note for ``reason`` and the ``problem`` with the last try, in the problem's status."""
        site = self.site
        token = form_token(request.cookies, site.sign_in_cookie)
        response = self.render(
            request,
            "sign_in.html",
            {
                "sign_in_token": token,
                "note": site.words.sign_in_notes.get(reason or ""),
                "problem": problem,
                **context,
            },
            status=problem.status if problem is not None else 200,
            headers=problem.headers if problem is not None else None,
        )
        options = self.cookie(request, site.sign_in_page, max_age=site.sign_in_token_seconds)
        response.set_cookie(site.sign_in_cookie, token, **options)
        return response

    async def sign_in_form(self, request: Request) -> Form:
        """The posted sign-in form (``api_key``), refused unless it echoes the browser's
        sign-in token."""
        form = await self.read_form(request, allowed=("csrf_token", "api_key"))
        if not form_token_ok(request.cookies, self.site.sign_in_cookie, form.get("csrf_token")):
            raise self.site.words.stale_form.copy()
        return form

    def start_session(self, request: Request, to: str, **data: Any) -> Response:
        """Signed in: a new session holding ``data`` (a new id at every sign-in, so an id
        planted before it is useless), and the browser goes to ``to``."""
        site = self.site
        self._forget(request, request.cookies.get(site.session_cookie))
        session = self.sessions.create(**data)
        response = self.redirect(request, to)
        response.set_cookie(site.session_cookie, session.id, **self.cookie(request))
        response.delete_cookie(site.sign_in_cookie, **self.cookie(request, site.sign_in_page))
        return response

    def end_session(self, request: Request, visit: V) -> Response:
        """Signed out: the session ends and the browser goes to the sign-in form."""
        self._forget(request, visit.session.id)
        response = self.redirect(request, self.site.sign_in_page, reason="signed_out")
        response.delete_cookie(self.site.session_cookie, **self.cookie(request))
        return response

    def to_sign_in(self, request: Request, exc: Exception) -> Response:
        """:class:`SignInRequired` anywhere: to the sign-in form, forgetting a dead cookie."""
        reason = exc.reason if isinstance(exc, SignInRequired) else None
        response = self.redirect(request, self.site.sign_in_page, reason=reason)
        if request.cookies.get(self.site.session_cookie):
            response.delete_cookie(self.site.session_cookie, **self.cookie(request))
        return response

    # --- forms -------------------------------------------------------------------------

    async def read_form(self, request: Request, *, allowed: Collection[str]) -> Form:
        site = self.site
        return await read_form(
            request, allowed=allowed, words=site.words, max_fields=site.max_form_fields
        )

    async def form(self, request: Request, visit: V, *fields: str) -> Form:
        """The posted form with ``fields``, refused unless it carries the session's CSRF
        token."""
        form = await self.read_form(request, allowed=("csrf_token", *fields))
        if not visit.session.csrf_ok(form.get("csrf_token") or None):
            raise self.site.words.stale_form.copy()
        return form

    # --- rendering ---------------------------------------------------------------------

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        visit: V | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """``<site name>/<name>`` with ``base``, ``prefix``, the ``visit`` and its notice."""
        full: dict[str, Any] = {
            "base": self.base(request),
            "prefix": self.url(request, ""),
            "visit": visit,
            "flash": visit.take_flash() if visit is not None else None,
            **(context or {}),
        }
        return self.templates.TemplateResponse(
            request,
            f"{self.site.name}/{name}",
            full,
            status_code=status,
            headers={**NO_STORE, **(headers or {})},
        )

    def problem_page(self, request: Request, problem: PageProblem) -> HTMLResponse:
        """``problem`` as a page; with the signed-in menu unless it is an unexpected failure
        (nothing more that might fail is done then)."""
        return self.render(
            request,
            "problem.html",
            {"page_title": TITLES.get(problem.status, "Something went wrong"), "problem": problem},
            visit=self.peek(request) if problem.status != 500 else None,
            status=problem.status,
            headers=problem.headers,
        )

    def too_large(self, scope: MutableMapping[str, Any], max_bytes: int) -> HTMLResponse | None:
        """For :class:`~servicekit.http.BodySizeLimitMiddleware`: the page for a body over the
        cap sent to these pages (``None`` for the API, which answers JSON). Without the
        signed-in menu: no session or database work in the middleware."""
        request = Request(scope)
        if not self.owns(request):
            return None
        problem = self.site.words.too_large(max_bytes)
        return self.render(
            request,
            "problem.html",
            {"page_title": TITLES[413], "problem": problem},
            status=413,
            headers={"Cache-Control": "no-store"},
        )

    # --- assembly ----------------------------------------------------------------------

    def install(
        self,
        app: FastAPI,
        *,
        routers: Iterable[APIRouter],
        static: tuple[str, Path],
        problem_for: ProblemFor,
        error_types: Iterable[type[Exception]] = (),
    ) -> None:
        """Add the pages to the service's app (after the API's error handlers): the routers
        (their paths are below the prefix), the common static files and the role's
        (``static``: URL and folder), and error handlers that answer requests under the prefix
        with a problem page while every other path keeps the API's JSON errors."""
        for router in routers:
            app.include_router(router, prefix=self.site.prefix, include_in_schema=False)
        app.add_middleware(SaveSessions, sessions=self.sessions)
        mount_common_static(app)
        url, folder = static
        app.mount(url, StaticFiles(directory=str(folder)), name=url.strip("/").replace("/", "-"))
        install_error_pages(
            app,
            self.site.words,
            render=self.problem_page,
            problem_for=problem_for,
            error_types=error_types,
            redirects={SignInRequired: self.to_sign_in},
            owns=self.owns,
        )


class SaveSessions:
    """ASGI middleware: the sessions a request read from a shared store are saved (what
    changed in them) before its response starts. Nothing to do for the in-memory store, whose
    sessions are the live objects."""

    def __init__(self, app: ASGIApp, *, sessions: PageSessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.sessions.shared:
            await self.app(scope, receive, send)
            return
        loaded: dict[str, Session] = {}
        scope[_LOADED] = loaded

        async def send_saved(message: Message) -> None:
            if message["type"] == "http.response.start" and loaded:
                pending = list(loaded.values())
                loaded.clear()
                await run_in_threadpool(self._save, pending)
            await send(message)

        await self.app(scope, receive, send_saved)

    def _save(self, sessions: list[Session]) -> None:
        for session in sessions:
            self.sessions.save(session)
