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

from fastapi import FastAPI

from servicekit.sessions import SessionStore
from servicekit.staff import SignInThrottle, StaffPages, StaffSite
from verifier.errors import VerificationError
from verifier.settings import VerifierSettings
from verifier.web import views
from verifier.web.deps import Desk, Teller, end_check_with, identify
from verifier.web.routes import checks, signin
from verifier.web.words import WORDS, problem_for

__all__ = ["SITE", "STATIC_URL", "install_pages"]

STATIC_URL = "/static/verifier"
SITE = StaffSite("teller", WORDS, max_form_fields=8)
_HERE = Path(__file__).parent


def install_pages(
    app: FastAPI, settings: VerifierSettings, *, clock: Callable[[], int]
) -> StaffPages[Desk]:
    """Add the teller pages to the verifier app (call after the API's error handlers)."""
    pages = StaffPages(
        SITE,
        identify=identify,
        sessions=SessionStore(
            idle_seconds=settings.teller_idle_seconds,
            clock=clock,
            on_expire=end_check_with(lambda: getattr(app.state, "service", None)),
        ),
        throttle=SignInThrottle(
            clock=clock,
            limit=settings.teller_max_failed_sign_ins,
            window=settings.teller_sign_in_window_seconds,
        ),
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
        routers=(signin.router, checks.router),
        static=(STATIC_URL, _HERE / "static"),
        problem_for=problem_for,
        error_types=(VerificationError,),
    )
    return pages
