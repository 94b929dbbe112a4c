"""``run(settings)``: serve the verifier with uvicorn (``drukid serve verifier``)."""

from __future__ import annotations

import uvicorn

from verifier.api.app import create_app
from verifier.settings import VerifierSettings

__all__ = ["run"]


def run(settings: VerifierSettings, *, host: str | None = None, port: int | None = None) -> None:
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )
