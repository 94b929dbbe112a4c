"""``install_pages(app, settings)``: the teller pages on the verifier's app.

Everything the staff-pages kit (:mod:`servicekit.staff`) does, configured for the bank's desks:
the routes under ``/teller``, the shared stylesheet and script under ``/static/drukid``, this
page's own under ``/static/verifier``, and error handlers that answer requests under
``/teller`` with a page (a plain message and what to do next) while every other path keeps the
API's JSON errors. Every page is sent with ``Cache-Control: no-store``: a result must not come
back from the browser's cache or history.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import cast

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from servicekit.page_state import DatabaseSessionStore, DatabaseSignInThrottle
from servicekit.sessions import PageSessions, SessionStore
from servicekit.staff import SignInLimiter, SignInThrottle, StaffPages, StaffSite
from verifier.errors import VerificationError
from verifier.settings import VerifierSettings
from verifier.storage.models import PAGE_STATE
from verifier.web import views
from verifier.web.deps import Desk, Teller, end_check_with, identify
from verifier.web.routes import checks, offline, signin
from verifier.web.words import WORDS, problem_for

__all__ = ["SITE", "STATIC_URL", "install_pages"]

STATIC_URL = "/static/verifier"
SITE = StaffSite("teller", WORDS, max_form_fields=8)
_HERE = Path(__file__).parent


def install_pages(
    app: FastAPI, settings: VerifierSettings, *, clock: Callable[[], int]
) -> StaffPages[Desk]:
    """Add the teller pages to the verifier app (call after the API's error handlers)."""
    ended = end_check_with(lambda: getattr(app.state, "service", None))
    idle = settings.teller_idle_seconds
    limit, window = settings.teller_max_failed_sign_ins, settings.teller_sign_in_window_seconds
    sessions: PageSessions
    throttle: SignInLimiter
    if settings.teller_sessions == "database":  # shared by every worker (servicekit.page_state)

        def engine() -> Engine:
            return cast(Engine, app.state.runtime.context.engine)

        sessions = DatabaseSessionStore(
            engine, PAGE_STATE.sessions, idle_seconds=idle, clock=clock, on_expire=ended
        )
        throttle = DatabaseSignInThrottle(
            engine, PAGE_STATE.failures, clock=clock, limit=limit, window=window
        )
    else:
        sessions = SessionStore(idle_seconds=idle, clock=clock, on_expire=ended)
        throttle = SignInThrottle(clock=clock, limit=limit, window=window)
    pages = StaffPages(
        SITE,
        identify=identify,
        sessions=sessions,
        throttle=throttle,
        secure_cookies=settings.public_url.startswith("https://"),
        templates=_HERE / "templates",
        service_name=settings.name,
        verifier_static=STATIC_URL,
        idle_minutes=settings.teller_idle_seconds // 60,
    )
    app.state.teller_pages = pages
    app.state.teller = Teller(settings, views.display_zone(settings.timezone), clock)
    pages.install(
        app,
        routers=(signin.router, checks.router, offline.router),
        static=(STATIC_URL, _HERE / "static"),
        problem_for=problem_for,
        error_types=(VerificationError, OperationalError),
    )
    return pages
