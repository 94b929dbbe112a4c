"""How the issuer's errors reach HTTP clients.

Our :class:`~issuer.errors.IssuerError` tree renders itself (``error``, ``error_description``,
``code``, status and headers) through the shared renderer; framework errors become 400/404/405
JSON; a database that cannot be reached becomes 503 with ``Retry-After`` (a wallet on a bad link
tries again); anything else is a bare 500 whose traceback goes to the log only.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from issuer.errors import IssuerError
from servicekit.database import storage_fault
from servicekit.http import error_response, install_error_handlers

__all__ = ["install_issuer_error_handlers"]

log = logging.getLogger(__name__)

UNAVAILABLE = {
    "database_unavailable": "the issuer's database is not reachable just now; "
    "try again in a minute",
    "storage_full": "the issuer cannot save anything just now (its disk is full); try again later",
    "storage_read_only": "the issuer cannot save anything just now (its storage is read-only); "
    "try again later",
}


def install_issuer_error_handlers(app: FastAPI) -> None:
    install_error_handlers(app, [IssuerError])

    async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        fault = storage_fault(exc)
        log.error(
            "database unavailable (%s): %s; %s", fault.cause, type(exc).__name__, fault.what_to_do
        )
        return error_response(
            503,
            "temporarily_unavailable",
            UNAVAILABLE[fault.code],
            code=fault.code,
            headers={"Retry-After": "30"},
        )

    app.add_exception_handler(OperationalError, database_unavailable)
