"""Error rendering for the verifier API: our errors as ``{"error", "error_description",
"code"}`` (RFC 6749 §5.2 shape); a database that cannot be read or written a 503 whose code
and log line name the cause (``storage_full``: disk full, ``storage_read_only``,
``database_unavailable``); everything else a bare 500 (servicekit.http)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from servicekit.database import storage_fault
from servicekit.http import error_response, install_error_handlers
from servicekit.qr import QRDecodeError
from verifier.errors import VerificationError

__all__ = ["install"]


log = logging.getLogger(__name__)

_UNAVAILABLE = {
    "database_unavailable": "the verifier's database is not reachable just now; try again soon",
    "storage_full": "the verifier cannot save anything just now (its disk is full)",
    "storage_read_only": "the verifier cannot save anything just now (its storage is read-only)",
}


def install(app: FastAPI) -> None:
    install_error_handlers(app, [VerificationError, QRDecodeError])

    async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        fault = storage_fault(exc)
        log.error(
            "database unavailable (%s): %s; %s", fault.cause, type(exc).__name__, fault.what_to_do
        )
        return error_response(
            503,
            "temporarily_unavailable",
            _UNAVAILABLE[fault.code],
            code=fault.code,
            headers={"Retry-After": "30"},
        )

    app.add_exception_handler(OperationalError, database_unavailable)
