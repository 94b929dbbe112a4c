"""What the operator pages say, in plain words: every refusal as a heading, what happened and
what to do next.

:data:`WORDS` is what the staff-pages kit says in the issuer's words; :func:`problem_for` turns
the issuer's own errors (the same ones the operator API answers with) into a page.
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import OperationalError

from issuer.errors import IssuerError
from servicekit.database import storage_fault
from servicekit.http import UNSTORABLE_MESSAGE
from servicekit.pages import PageProblem
from servicekit.staff import StaffWords

__all__ = [
    "DATABASE_UNAVAILABLE",
    "NO_KEY",
    "REVOKED_KEY",
    "WORDS",
    "WRONG_KEY",
    "problem_for",
    "throttled",
]

log = logging.getLogger(__name__)

_RELOAD = "Go back, reload the page, and do it again."
_USE_THE_PAGES = "Use the links and buttons on the pages instead of typing addresses."
_WRONG_WAY = PageProblem(400, "This address cannot be used that way", _USE_THE_PAGES)

WORDS = StaffWords(
    stale_form=PageProblem(
        403,
        "This form is out of date or did not come from this page; reload the page and try again",
        _RELOAD,
        code="csrf_failed",
    ),
    bad_input=PageProblem(400, "A value in the address is not valid", _USE_THE_PAGES),
    no_page=PageProblem(404, "There is no such page", "Check the address, or use the menu above."),
    wrong_method=_WRONG_WAY,
    refused=_WRONG_WAY,
    unstorable=PageProblem(400, UNSTORABLE_MESSAGE[:1].upper() + UNSTORABLE_MESSAGE[1:]),
    server_error=PageProblem(
        500,
        "Something went wrong on the issuer's side; nothing was changed by this page",
        "Wait a minute, then reload the page. If it keeps happening, tell your IT staff.",
    ),
    not_a_form=PageProblem(
        400,
        "This page only accepts its own form; go back and use the form on the page",
        code="unsupported_media_type",
    ),
    form_too_long=PageProblem(400, "What was typed is too long; shorten it and try again"),
    form_unreadable=PageProblem(400, "The form could not be read; reload the page and try again"),
    unexpected_field=PageProblem(
        400,
        "The form has an unexpected field; reload the page and try again",
        code="unexpected_field",
    ),
    too_large=lambda limit: PageProblem(
        413, f"What was sent is longer than the {limit // 1024} KB this page accepts"
    ),
    sign_in_notes={
        "ended": "You were signed out because the page was not used for a while. Sign in again.",
        "signed_out": "You are signed out.",
        "key_revoked": "Your API key is no longer valid. Ask an administrator for a new key.",
    },
)

DATABASE_UNAVAILABLE = PageProblem(
    503,
    "The issuer's database is not reachable just now",
    "Wait a minute, then reload the page. If it keeps happening, tell your IT staff.",
    code="database_unavailable",
    headers={"Retry-After": "30"},
)
NO_KEY = PageProblem(400, "Paste your API key into the box, then press Sign in.")
WRONG_KEY = PageProblem(
    401,
    "That key is not right. Check that you copied all of it (it starts with drk_) and try again.",
    headers={"WWW-Authenticate": "Bearer"},
)
REVOKED_KEY = PageProblem(
    401,
    "This key was revoked. Ask an administrator for a new key.",
    headers={"WWW-Authenticate": "Bearer"},
)


def throttled(wait: int) -> PageProblem:
    return PageProblem(
        429,
        f"Too many wrong keys were tried from this device. Wait {wait} seconds, then try again.",
        headers={"Retry-After": str(wait)},
    )


def problem_for(_request: Request, exc: Exception) -> PageProblem | None:
    """An issuer error (as the operator API would answer it), or the database out of reach,
    as a page."""
    if isinstance(exc, IssuerError):
        message = exc.message[:1].upper() + exc.message[1:]
        hint = exc.hint
        return PageProblem(exc.status, message, hint, code=exc.code, headers=exc.headers)
    if isinstance(exc, OperationalError):
        fault = storage_fault(exc)
        log.error("database unavailable (%s): %s", fault.cause, type(exc).__name__)
        return DATABASE_UNAVAILABLE.copy()
    return None
