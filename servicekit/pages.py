"""What every server-rendered page shares, the staff pages and the web wallet alike.

* :func:`create_templates`: one Jinja2 environment per service that sees the role's templates,
  any kit's (``servicekit/staff``), then the common ones (``drukid/base.html``,
  ``drukid/macros.html``); autoescaping always on.
* :func:`mount_common_static`: the common static files (one CSS file, one small script). No
  CDN, no build step: pages must work with no internet at all.
* :class:`PageProblem`: the one type for a refusal shown as a page — what happened and what to
  do next in plain words, with its HTTP status.
* :func:`app_state`: a dependency for what the app's assembly put on ``app.state``.
* :func:`install_error_pages`: every failure on a role's pages as such a page in the role's own
  words (:class:`PageWords`), never a traceback; paths the pages do not own keep the
  service's JSON errors.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import CodedError

__all__ = [
    "COMMON_STATIC_URL",
    "PageProblem",
    "PageWords",
    "app_state",
    "create_templates",
    "install_error_pages",
    "mount_common_static",
]

logger = logging.getLogger(__name__)

_HERE = Path(__file__).parent / "web"
COMMON_STATIC_URL = "/static/drukid"

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def create_templates(role_templates: Path, *kits: Path, **globals_: Any) -> Jinja2Templates:
    """Templates from the role's folder first, then each kit's, then the common ones."""
    folders = [role_templates, *kits, _HERE / "templates"]
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update({"common_static": COMMON_STATIC_URL, **globals_})
    return Jinja2Templates(env=environment)


def mount_common_static(app: FastAPI) -> None:
    app.mount(COMMON_STATIC_URL, StaticFiles(directory=str(_HERE / "static")), name="drukid-static")


def app_state(name: str) -> Callable[[Request], Any]:
    """A dependency giving ``request.app.state.<name>``; routes declare its type with
    ``Annotated[T, Depends(app_state(name))]``."""

    def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    return dependency


class PageProblem(CodedError):
    """A refusal shown as a page: ``message`` says what happened and ``hint`` what to do next,
    both in plain words for the person at the screen; ``status`` and ``headers`` go on the
    response. Roles keep theirs as constants and raise or show copies (:meth:`copy`): an
    exception raised twice would carry both tracebacks."""

    code = "page_problem"

    def __init__(
        self,
        status: int,
        message: str,
        hint: str | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=code, headers=headers)
        self.status = status
        self.hint = hint

    def copy(
        self, *, status: int | None = None, headers: Mapping[str, str] | None = None
    ) -> PageProblem:
        """This problem again, with another status or headers when given."""
        return PageProblem(
            self.status if status is None else status,
            self.message,
            self.hint,
            code=self.code,
            headers=self.headers if headers is None else headers,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PageWords:
    """What a role's pages say when the request itself is refused, in the role's words."""

    stale_form: PageProblem  # a form without its session's CSRF token (403)
    bad_input: PageProblem  # a value in the address or the form the route cannot take
    no_page: PageProblem  # 404, and a malformed value in the path
    wrong_method: PageProblem  # 405
    refused: PageProblem  # any other refusal by the framework; its status is kept
    server_error: PageProblem  # 500: anything unexpected, with no detail
    # A value the database cannot keep (a NUL byte, too long), for pages over a database.
    unstorable: PageProblem | None = None


ProblemFor = Callable[[Request, Exception], PageProblem | None]
Render = Callable[[Request, PageProblem], Response]


def install_error_pages(
    app: FastAPI,
    words: PageWords,
    *,
    render: Render,
    problem_for: ProblemFor | None = None,
    error_types: Iterable[type[Exception]] = (),
    redirects: Mapping[type[Exception], Callable[[Request, Exception], Response]] | None = None,
    owns: Callable[[Request], bool] | None = None,
) -> None:
    """Render every failure on the pages as ``render(request, problem)`` (run off the event
    loop: a page's menu may look its session up in the database).

    ``problem_for`` turns the role's own errors (``error_types``) into a problem first, in the
    role's words; framework errors get ``words``; anything else is ``words.server_error``
    with its traceback in the log only. ``redirects`` answer some exceptions (sign in first,
    the wallet is locked) with a response of their own. When ``owns`` says a request is not
    the pages', the handler installed before (the API's JSON) answers it.
    """

    def problem(request: Request, exc: Exception) -> PageProblem:
        if isinstance(exc, PageProblem):
            return exc
        found = problem_for(request, exc) if problem_for is not None else None
        if found is not None:
            return found
        if isinstance(exc, RequestValidationError):
            on_path = any((error.get("loc") or ("",))[0] == "path" for error in exc.errors())
            return (words.no_page if on_path else words.bad_input).copy()
        if isinstance(exc, StarletteHTTPException):
            said = {404: words.no_page, 405: words.wrong_method}.get(exc.status_code)
            return (said or words.refused).copy(status=exc.status_code, headers=exc.headers)
        if isinstance(exc, DataError) and words.unstorable is not None:
            # The statement's parameters stay out of the log: they are the person's input.
            logger.warning("a page refused a value the database cannot store")
            return words.unstorable.copy()
        logger.error("a page failed: %s", type(exc).__name__, exc_info=exc)
        return words.server_error.copy()

    handled: tuple[type[Exception], ...] = (
        PageProblem,
        *error_types,
        RequestValidationError,
        StarletteHTTPException,
        DataError,
        Exception,
    )
    for exc_type in handled:
        fallback: Handler | None = app.exception_handlers.get(exc_type)

        async def handler(
            request: Request, exc: Exception, fallback: Handler | None = fallback
        ) -> Response:
            if fallback is not None and owns is not None and not owns(request):
                response = fallback(request, exc)
                return await response if inspect.isawaitable(response) else response
            return await run_in_threadpool(render, request, problem(request, exc))

        app.add_exception_handler(exc_type, handler)

    for exc_type, answer in (redirects or {}).items():

        async def redirect(
            request: Request,
            exc: Exception,
            answer: Callable[[Request, Exception], Response] = answer,
        ) -> Response:
            return answer(request, exc)

        app.add_exception_handler(exc_type, redirect)
