"""Every failure as a page in plain words with "What to do"; never a traceback, never JSON.

A locked (or timed-out) wallet sends the browser to the unlock page; a form without its CSRF
token gets a 403 page; library errors keep their own status (see :mod:`wallet.web.pages`);
anything unknown is a bare 500 page with no detail, its traceback in the log only.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from wallet.errors import WalletError
from wallet.web.deps import CsrfRefused, WebWallet
from wallet.web.pages import SESSION_COOKIE, Problem
from wallet.web.routes.common import redirect
from wallet.web.state import WalletLocked, wallet_of

__all__ = [
    "BACKUP_TOO_LARGE",
    "BAD_FORM",
    "CSRF_REFUSED",
    "HOST_REFUSED",
    "TOO_LARGE",
    "UNEXPECTED",
    "install_page_errors",
    "too_large_for",
]

log = logging.getLogger(__name__)

# Pages where the upload is a backup file, not a photo of a QR code.
RESTORE_PATHS = ("/restore",)

CSRF_REFUSED = Problem(
    "This form has expired, or it did not come from your wallet's own page.",
    "Nothing was done. Go back, reload the page, and try again.",
    "csrf_refused",
    403,
)
BAD_FORM = Problem(
    "Something in the form was missing or too long.",
    "Go back, fill in the form again, and press the button once.",
    "form_invalid",
)
TOO_LARGE = Problem(
    "What you sent is too large (a photo of a QR code needs far less).",
    "Take the photo again at a lower resolution, or crop it to the QR code, then try again.",
    "request_too_large",
    413,
)
BACKUP_TOO_LARGE = Problem(
    "This file is too large to be a wallet backup.",
    "Choose the backup file the wallet saved for you (its name ends in .drukid-backup), then "
    "try again. Nothing was changed in your wallet.",
    "backup_too_large",
    413,
)
HOST_REFUSED = Problem(
    "This wallet answers only at its own address on this computer.",
    "Open it at http://127.0.0.1 with the port shown when it started (8103 by default).",
    "host_refused",
    421,
)
UNEXPECTED = Problem(
    "Something unexpected went wrong.",
    "Go back and try again. If it keeps happening, restart the wallet and report the problem "
    "to the drukid developers (never send your passphrase or your wallet file).",
    "server_error",
    500,
)
_HTTP = {
    404: Problem(
        "This page does not exist.", "Use the menu to go to your credentials.", "not_found", 404
    ),
    405: Problem(
        "This page cannot be used that way.",
        "Go back and use the buttons on the page.",
        "method_not_allowed",
        405,
    ),
}


def too_large_for(path: str) -> Problem:
    """What to say when the body sent to ``path`` was over the size limit."""
    return BACKUP_TOO_LARGE if path.startswith(RESTORE_PATHS) else TOO_LARGE


def install_page_errors(app: FastAPI, web: WebWallet) -> None:
    def page(request: Request, problem: Problem | WalletError) -> Response:
        session = web.sessions.get(request.cookies.get(SESSION_COOKIE))
        try:
            wallet_of(session)
            unlocked = True
        except WalletLocked:
            unlocked = False
        return web.pages.problem(
            request, "wallet/problem.html", problem, session=session, unlocked=unlocked
        )

    async def locked(request: Request, _exc: Exception) -> Response:
        if not web.exists:
            return redirect("/create")
        cookie = request.cookies.get(SESSION_COOKIE)
        expired = cookie is not None and web.sessions.get(cookie) is None
        return redirect("/unlock?m=expired" if expired else "/unlock")

    async def csrf(request: Request, _exc: Exception) -> Response:
        return page(request, CSRF_REFUSED)

    async def wallet_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WalletError)
        return page(request, exc)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if any((error.get("loc") or ("",))[0] == "path" for error in exc.errors()):
            return page(request, _HTTP[404])  # a malformed id is a page that does not exist
        return page(request, BAD_FORM)

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 413:
            return page(request, too_large_for(request.url.path))
        problem = _HTTP.get(exc.status_code)
        if problem is None:
            problem = Problem(
                "The wallet could not handle this request.",
                "Go back and try again.",
                "http_error",
                exc.status_code,
            )
        return page(request, problem)

    async def unknown(request: Request, exc: Exception) -> Response:
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return web.pages.problem(request, "wallet/problem.html", UNEXPECTED)

    app.add_exception_handler(WalletLocked, locked)
    app.add_exception_handler(CsrfRefused, csrf)
    app.add_exception_handler(WalletError, wallet_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, unknown)
