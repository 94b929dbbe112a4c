"""Rendering the web wallet's pages: the shared layout (``drukid/base.html``), the language
switch, and errors as a plain-language box with "What to do".

Every page is rendered here so every page gets the same things: the CSRF token of its session,
the chosen language, ``Cache-Control: no-store`` (a page may show personal data), and the idle
time after which the page reloads itself and finds the wallet locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from servicekit.pages import create_templates
from servicekit.sessions import Session, cookie_options
from wallet.errors import WalletError
from wallet.history import format_time
from wallet.settings import WalletSettings

__all__ = [
    "LANGUAGE_COOKIE",
    "LANGUAGE_NAMES",
    "SESSION_COOKIE",
    "STATIC_URL",
    "Pages",
    "Problem",
    "problem_for",
    "set_session_cookie",
]

TEMPLATES = Path(__file__).parent / "templates"
STATIC_URL = "/static/wallet"
SESSION_COOKIE = "drukid_wallet_session"
LANGUAGE_COOKIE = "drukid_wallet_lang"
# How each language calls itself, for the switch. Names and labels come from type metadata.
LANGUAGE_NAMES = {"en": "English", "dz": "རྫོང་ཁ"}


@dataclass(frozen=True, slots=True)
class Problem:
    """What a person reads when something failed: what happened and what to do next."""

    message: str
    hint: str
    code: str = ""
    status: int = 400


def problem_for(exc: WalletError) -> Problem:
    """A library error as a page: its words for a page and its status
    (:mod:`wallet.errors` has the one table of both)."""
    message = exc.message[:1].upper() + exc.message[1:]
    if not message.endswith((".", "!", "?")):
        message += "."
    return Problem(message, exc.page_hint, exc.code, exc.status)


class Pages:
    def __init__(self, settings: WalletSettings) -> None:
        self._settings = settings
        self._templates = create_templates(
            TEMPLATES, service_name="drukid wallet", wallet_static=STATIC_URL
        )
        environment = self._templates.env
        environment.filters["when"] = format_time
        environment.filters["day"] = lambda t: format_time(t)[:10]
        environment.globals.update(
            idle_minutes=max(1, settings.session_idle_seconds // 60),
            max_upload_mb=-(-settings.max_upload_bytes // (1024 * 1024)),
        )

    def language(self, request: Request) -> str:
        """The ``?lang=`` of this request, else the language cookie, else the settings'."""
        for chosen in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
            if chosen in self._settings.languages:
                return chosen
        return self._settings.language

    def render(
        self,
        request: Request,
        template: str,
        *,
        session: Session | None = None,
        status: int = 200,
        problem: Problem | None = None,
        unlocked: bool = False,
        **context: Any,
    ) -> HTMLResponse:
        language = self.language(request)
        if session is not None and "flash" in session.data:
            context.setdefault("flash", session.data.pop("flash"))
        values = {
            "csrf_token": session.csrf_token if session is not None else "",
            "language": language,
            "languages": [(tag, LANGUAGE_NAMES.get(tag, tag)) for tag in self._settings.languages],
            "unlocked": unlocked,
            "path": request.url.path,
            "problem": problem,
            # The page reloads itself a little after the server locked the wallet.
            "idle_seconds": self._settings.session_idle_seconds + 2 if unlocked else 0,
            **context,
        }
        response = self._templates.TemplateResponse(request, template, values, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        if session is not None:
            set_session_cookie(response, session)
        if request.query_params.get("lang") == language:
            response.set_cookie(
                LANGUAGE_COOKIE, language, **cookie_options(secure=False, max_age=365 * 86400)
            )
        return response

    def standalone(self, problem: Problem) -> str:
        """A problem page without a request (for guards that answer before any route)."""
        template = self._templates.env.get_template("wallet/problem.html")
        return template.render(
            problem=problem,
            language=self._settings.language,
            languages=[],
            unlocked=False,
            path="",
            csrf_token="",
            idle_seconds=0,
        )

    def show(
        self,
        request: Request,
        template: str,
        session: Session,
        *,
        problem: WalletError | Problem | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """A page of the unlocked wallet (the menu and its lock button), with the error box on
        top and the error's HTTP status when there is a ``problem``."""
        if problem is None:
            return self.render(request, template, session=session, unlocked=True, **context)
        found = problem_for(problem) if isinstance(problem, WalletError) else problem
        return self.render(
            request,
            template,
            session=session,
            unlocked=True,
            status=found.status,
            problem=found,
            **context,
        )

    def problem(
        self,
        request: Request,
        template: str,
        exc: WalletError | Problem,
        **context: Any,
    ) -> HTMLResponse:
        """``template`` again with the error box on top, with the error's HTTP status."""
        problem = problem_for(exc) if isinstance(exc, WalletError) else exc
        return self.render(request, template, status=problem.status, problem=problem, **context)


def set_session_cookie(response: Response, session: Session) -> None:
    # Not Secure: the wallet is served over plain http on loopback, where nothing travels on a
    # network. HttpOnly and SameSite=Strict keep scripts and other sites away from it.
    response.set_cookie(SESSION_COOKIE, session.id, **cookie_options(secure=False))
