"""Error rendering for the verifier API: our errors as ``{"error", "error_description",
"code"}`` (RFC 6749 §5.2 shape); a database that cannot be read or written a 503 whose code
and log line name the cause (``storage_full``: disk full, ``storage_read_only``,
``database_unavailable``); everything else a bare 500 (servicekit.http)."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.http import install_error_handlers, install_storage_fault_handler
from servicekit.qr import QRDecodeError
from verifier.errors import VerificationError

__all__ = ["install"]


def install(app: FastAPI) -> None:
    install_error_handlers(app, [VerificationError, QRDecodeError])
    install_storage_fault_handler(app, "verifier")
