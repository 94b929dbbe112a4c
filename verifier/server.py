"""``run(settings)``: serve the verifier with uvicorn (``drukid serve verifier``)."""

from __future__ import annotations

import sys

import uvicorn

from verifier.api.app import create_app
from verifier.errors import VerificationError
from verifier.settings import VerifierSettings

__all__ = ["run"]


def run(settings: VerifierSettings, *, host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted. Unusable trust configuration (a missing trust file, a bundle
    that is forged or expired) stops the start with its reason and exit status 2."""
    try:
        app = create_app(settings)
    except VerificationError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        print(f"what it means: {exc.plain}", file=sys.stderr)
        raise SystemExit(2) from exc
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )
