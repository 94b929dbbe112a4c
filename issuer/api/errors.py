"""How the issuer's errors reach HTTP clients.

Our :class:`~issuer.errors.IssuerError` tree renders itself (``error``, ``error_description``,
``code``, status and headers) through the shared renderer; framework errors become 400/404/405
JSON; a database that cannot be used becomes 503 with ``Retry-After`` and a code naming the
cause (``storage_full``, ``storage_read_only``, ``database_unavailable``: a wallet on a bad
link tries again); anything else is a bare 500 whose traceback goes to the log only.
"""

from __future__ import annotations

from fastapi import FastAPI

from issuer.errors import IssuerError
from servicekit.http import install_error_handlers, install_storage_fault_handler

__all__ = ["install_issuer_error_handlers"]


def install_issuer_error_handlers(app: FastAPI) -> None:
    install_error_handlers(app, [IssuerError])
    install_storage_fault_handler(app, "issuer")
