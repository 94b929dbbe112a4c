"""``install_pages(app, settings)``: the operator pages on the issuer's app.

Everything the staff-pages kit (:mod:`servicekit.staff`) does, configured for the agency: the
routes under ``/operator``, the page stylesheet and script under ``/static/issuer``, and error
handlers that answer requests under ``/operator`` with a page (a plain message and what to do
next) while every other path keeps the API's JSON errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import cast

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from issuer.errors import IssuerError
from issuer.settings import IssuerSettings
from issuer.storage.models import PAGE_STATE
from issuer.web import views
from issuer.web.deps import Visit, identify
from issuer.web.routes import approvals, audit, authorize, credentials, offers, signin
from issuer.web.words import WORDS, problem_for
from servicekit.page_state import DatabaseSessionStore, DatabaseSignInThrottle
from servicekit.sessions import PageSessions, SessionStore
from servicekit.staff import SignInLimiter, SignInThrottle, StaffPages, StaffSite

__all__ = ["SITE", "STATIC_URL", "install_pages"]

STATIC_URL = "/static/issuer"
SITE = StaffSite("operator", WORDS, sign_in_page="/sign-in", sign_in_token_seconds=3600)
MAX_FAILED_SIGN_INS = 5
SIGN_IN_WINDOW = 60
_HERE = Path(__file__).parent


def install_pages(
    app: FastAPI, settings: IssuerSettings, *, clock: Callable[[], int]
) -> StaffPages[Visit]:
    """Mount the operator pages on the issuer app (call after the API's error handlers)."""
    offset = settings.operator_utc_offset
    sessions: PageSessions
    throttle: SignInLimiter
    if settings.operator_sessions == "database":  # shared by every worker (servicekit.page_state)

        def engine() -> Engine:
            return cast(Engine, app.state.runtime.context.engine)

        idle = settings.operator_session_idle
        sessions = DatabaseSessionStore(engine, PAGE_STATE.sessions, idle_seconds=idle, clock=clock)
        throttle = DatabaseSignInThrottle(
            engine,
            PAGE_STATE.failures,
            clock=clock,
            limit=MAX_FAILED_SIGN_INS,
            window=SIGN_IN_WINDOW,
        )
    else:
        sessions = SessionStore(idle_seconds=settings.operator_session_idle, clock=clock)
        throttle = SignInThrottle(clock=clock, limit=MAX_FAILED_SIGN_INS, window=SIGN_IN_WINDOW)
    pages = StaffPages(
        SITE,
        identify=identify,
        sessions=sessions,
        throttle=throttle,
        secure_cookies=settings.public_url.startswith("https://"),
        templates=_HERE / "templates",
        service_name=settings.name,
        issuer_static=STATIC_URL,
        languages=views.LANGUAGES,
        zone=views.offset_label(offset),
        idle_minutes=max(1, settings.operator_session_idle // 60),
        role_words=views.role_words,
    )
    pages.templates.env.filters["when"] = lambda value: views.format_time(value, offset)
    app.state.operator_pages = pages
    app.include_router(authorize.router)  # the citizen's pages (no staff kit: no sign-in)
    pages.install(
        app,
        routers=(signin.router, offers.router, credentials.router, approvals.router, audit.router),
        static=(STATIC_URL, _HERE / "static"),
        problem_for=problem_for,
        error_types=(IssuerError, OperationalError),
    )
    return pages
