"""What the web wallet's pages say when something failed, in plain words: what happened and
what to do next, never a traceback and never JSON.

:data:`WORDS` is what the shared error pages (:func:`servicekit.pages.install_error_pages`)
say in the wallet's words; :func:`problem_for` turns a library error
(:class:`~wallet.errors.WalletError`) into a page, with the library's hint unless a page has
a better next step; the constants are the pages' own refusals.
"""

from __future__ import annotations

from fastapi import Request
from starlette.exceptions import HTTPException

from servicekit.pages import PageProblem, PageWords
from wallet.errors import WalletError

__all__ = [
    "AUTHORIZATION_GONE",
    "BACKUP_SUFFIX",
    "BACKUP_TOO_LARGE",
    "BAD_FORMAT",
    "HOST_REFUSED",
    "NEEDS_BOTH",
    "NOT_YOUR_PASSPHRASE",
    "NO_DECISION",
    "NO_FILE",
    "OFFER_GONE",
    "PASSPHRASES_DIFFER",
    "REQUEST_GONE",
    "TOO_LARGE",
    "WORDS",
    "page_problem",
    "problem_for",
    "too_large_for",
    "too_many_tries",
]

BACKUP_SUFFIX = ".drukid-backup"
# Pages where the upload is a backup file, not a photo of a QR code.
_RESTORE_PATHS = ("/restore",)

WORDS = PageWords(
    stale_form=PageProblem(
        403,
        "This form has expired, or it did not come from your wallet's own page.",
        "Nothing was done. Go back, reload the page, and try again.",
        code="csrf_refused",
    ),
    bad_input=PageProblem(
        400,
        "Something in the form was missing or too long.",
        "Go back, fill in the form again, and press the button once.",
        code="form_invalid",
    ),
    no_page=PageProblem(
        404,
        "This page does not exist.",
        "Use the menu to go to your credentials.",
        code="not_found",
    ),
    wrong_method=PageProblem(
        405,
        "This page cannot be used that way.",
        "Go back and use the buttons on the page.",
        code="method_not_allowed",
    ),
    refused=PageProblem(
        400,
        "The wallet could not handle this request.",
        "Go back and try again.",
        code="http_error",
    ),
    server_error=PageProblem(
        500,
        "Something unexpected went wrong.",
        "Go back and try again. If it keeps happening, restart the wallet and report the "
        "problem to the drukid developers (never send your passphrase or your wallet file).",
        code="server_error",
    ),
)
TOO_LARGE = PageProblem(
    413,
    "What you sent is too large (a photo of a QR code needs far less).",
    "Take the photo again at a lower resolution, or crop it to the QR code, then try again.",
    code="request_too_large",
)
BACKUP_TOO_LARGE = PageProblem(
    413,
    "This file is too large to be a wallet backup.",
    "Choose the backup file the wallet saved for you (its name ends in .drukid-backup), then "
    "try again. Nothing was changed in your wallet.",
    code="backup_too_large",
)
HOST_REFUSED = PageProblem(
    421,
    "This wallet answers only at its own address on this computer.",
    "Open it at http://127.0.0.1 with the port shown when it started (8103 by default).",
    code="host_refused",
)
PASSPHRASES_DIFFER = PageProblem(
    400,
    "The two passphrases are not the same.",
    "Type the same passphrase in both boxes.",
    code="passphrase_mismatch",
)
NOT_YOUR_PASSPHRASE = PageProblem(
    400,
    "Your wallet passphrase is not right.",
    "Type the passphrase you unlock this wallet with; capital letters matter, so check Caps "
    "Lock. Nothing was changed.",
    code="wrong_passphrase",
)
NO_FILE = PageProblem(
    400,
    "You did not choose a backup file.",
    f"Press 'Choose file', pick the backup (its name ends in {BACKUP_SUFFIX}), then press the "
    "button again.",
    code="backup_missing",
)
AUTHORIZATION_GONE = PageProblem(
    404,
    "This sign-in is no longer open in the wallet.",
    "Unlock the wallet, then ask the agency again from 'Receive a credential'.",
    code="authorization_unknown",
)
OFFER_GONE = PageProblem(
    404,
    "This offer is no longer open here.",
    "It was received already, or the wallet was locked in between. Paste the offer link again.",
    code="ticket_unknown",
)
REQUEST_GONE = PageProblem(
    404,
    "This request is no longer open here.",
    "The wallet was locked in between, or many requests came after it. Scan or paste the "
    "request again.",
    code="ticket_unknown",
)
NO_DECISION = PageProblem(
    400,
    "Nothing was sent: the wallet did not understand which button was pressed.",
    "Press 'Share' or 'Don't share' again.",
    code="decision_invalid",
)
BAD_FORMAT = PageProblem(
    400,
    "The wallet can save your history as JSON or CSV only.",
    "Use one of the two download buttons on this page.",
    code="format_invalid",
)
NEEDS_BOTH = PageProblem(
    400,
    "Both the identifier and a name are needed.",
    "Copy the identifier from a consent screen or from your history, and give it a name you "
    "will recognise.",
    code="verifier_incomplete",
)


def problem_for(exc: WalletError) -> PageProblem:
    """A library error as a page: its message as a sentence, its words for a page and its
    status (:mod:`wallet.errors` has the one table of both)."""
    message = exc.message[:1].upper() + exc.message[1:]
    if not message.endswith((".", "!", "?")):
        message += "."
    return PageProblem(exc.status, message, exc.page_hint, code=exc.code)


def too_large_for(path: str) -> PageProblem:
    """What to say when the body sent to ``path`` was over the size limit."""
    return BACKUP_TOO_LARGE if path.startswith(_RESTORE_PATHS) else TOO_LARGE


def too_many_tries(wait: int) -> PageProblem:
    return PageProblem(
        429,
        "Too many wrong passphrases in a row.",
        f"Wait {wait} seconds, then type your passphrase again.",
        code="too_many_tries",
    )


def page_problem(request: Request, exc: Exception) -> PageProblem | None:
    """For the error pages: a library error, or a body the framework found too large."""
    if isinstance(exc, WalletError):
        return problem_for(exc)
    if isinstance(exc, HTTPException) and exc.status_code == 413:
        return too_large_for(request.url.path)
    return None
