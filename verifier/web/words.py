"""What the teller pages say, in plain words: every refusal as what happened and what to do
next.

:data:`WORDS` is what the staff-pages kit says in the teller's words; :func:`problem_for` turns
the verifier's own errors (the same ones the relying-party API answers with) into a page. The
reason a credential was refused is :func:`verifier.errors.explain`; what the teller does about
it is :mod:`verifier.web.views`.
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import OperationalError

from servicekit.database import storage_fault
from servicekit.pages import PageProblem
from servicekit.staff import StaffWords
from verifier.errors import VerificationError

__all__ = ["KEY_REFUSED", "NO_CHECK", "WORDS", "problem_for", "throttled"]

log = logging.getLogger(__name__)

_RELOAD = "Reload the page and use the form on it."
_START_AGAIN = "Go to the start page and try again. If it keeps happening, tell your IT staff."

WORDS = StaffWords(
    stale_form=PageProblem(
        403,
        "This form is out of date or did not come from this page.",
        "Reload the page and try again.",
    ),
    bad_input=PageProblem(
        400, "A value in the address is not valid.", "Use the buttons on the pages."
    ),
    no_page=PageProblem(404, "There is no such page.", "Go to the teller start page."),
    wrong_method=PageProblem(
        405,
        "This address cannot be used that way.",
        "Use the buttons on the pages instead of typing addresses.",
    ),
    refused=PageProblem(400, "The request was refused.", "Go to the start page."),
    unstorable=PageProblem(
        400, "A value in the request cannot be kept.", "Go back and remove odd characters."
    ),
    server_error=PageProblem(
        500, "Something went wrong on our side. Nothing was shared.", _START_AGAIN
    ),
    not_a_form=PageProblem(415, "This page only accepts its own forms.", _RELOAD),
    form_too_long=PageProblem(413, "What was typed is too long.", "Shorten it and try again."),
    form_unreadable=PageProblem(400, "The form could not be read.", _RELOAD),
    unexpected_field=PageProblem(400, "The form has a field this page does not know.", _RELOAD),
    too_large=lambda limit: PageProblem(
        413,
        f"What was sent is longer than the {limit // 1024} KB this page accepts.",
        "Go back to the start page and try again.",
    ),
    sign_in_notes={
        "ended": "You were signed out because the page was not used for a while. Sign in again.",
        "signed_out": "You are signed out. Sign in again to start a check.",
        "key_revoked": "This desk's API key is no longer valid. Ask your administrator for a "
        "new key.",
    },
)

KEY_REFUSED = PageProblem(
    401,
    "This key was not accepted.",
    "Check that you pasted the whole key (it starts with drk_). If it still fails, ask your "
    "administrator for a new key.",
)
NO_CHECK = PageProblem(404, "There is no check running.", "Start a new check.")

# Service refusals while starting a check, in the teller's words.
_SERVICE_PROBLEMS = {
    "unknown_template": (
        "That check does not exist.",
        "Choose one of the buttons on the start page.",
    ),
    "no_trusted_issuer_for_type": (
        "This check cannot be used yet: no trusted issuer gives this kind of credential.",
        "Tell your administrator; an issuer must be added to the trust list first.",
    ),
    "request_not_found": (
        "This check no longer exists; it was cancelled or its result was removed.",
        "Start a new check.",
    ),
}


def throttled(wait: int) -> PageProblem:
    minutes = -(-wait // 60)
    return PageProblem(
        429,
        "Too many wrong keys were tried from this computer.",
        f"Wait {minutes} minute{'s' if minutes != 1 else ''}, then try again.",
        headers={"Retry-After": str(wait)},
    )


def problem_for(_request: Request, exc: Exception) -> PageProblem | None:
    """A service refusal, or the database out of reach (503, its cause in the log), as a page."""
    if isinstance(exc, OperationalError):
        fault = storage_fault(exc)
        log.error("database unavailable (%s): %s", fault.cause, type(exc).__name__)
        return PageProblem(
            503,
            "The service cannot save or read checks just now. Nothing was shared.",
            "Wait a minute, then start the check again. If it keeps happening, tell your IT staff.",
            headers={"Retry-After": "30"},
        )
    if not isinstance(exc, VerificationError):
        return None
    known = _SERVICE_PROBLEMS.get(exc.code)
    if known is not None:
        return PageProblem(exc.status if exc.status >= 400 else 400, *known)
    if exc.status == 401:
        return PageProblem(401, "Please sign in again.", "Use this desk's API key.")
    return PageProblem(
        exc.status if 400 <= exc.status < 500 else 400, exc.explanation, _START_AGAIN
    )
