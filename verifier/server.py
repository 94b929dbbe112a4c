"""``run(settings, host=..., port=..., workers=...)``: serve the verifier with uvicorn
(``drukid serve verifier``).

One worker serves the app built here. Several (``--workers N``, PostgreSQL only) are uvicorn's
worker processes, each building its own app with :func:`app_from_environment` from the same
``DRUKID_VERIFIER_*`` settings; whatever they must share is in the database (requests, nonces,
results, webhook deliveries, the teller pages' sessions and throttles), and the signing key is
read from the same data directory. Before several workers start, this process checks the trust
configuration and prepares the database once (schema check or upgrade, the signing key): a
schema that needs ``drukid verifier db upgrade`` stops the start here with that advice. The
same workers run under any ASGI process manager: ``uvicorn --factory
verifier.server:app_from_environment --workers 4`` with the settings in the environment.
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from core.terminal import refuse_start
from servicekit.runner import workers_problem
from verifier.api.app import create_app
from verifier.errors import VerificationError
from verifier.runtime import build_runtime
from verifier.settings import VerifierSettings

__all__ = ["app_from_environment", "run"]


def app_from_environment() -> FastAPI:
    """The verifier app from the ``DRUKID_VERIFIER_*`` environment: each worker's app."""
    return create_app(VerifierSettings())


def run(
    settings: VerifierSettings,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
) -> None:
    """Serve until interrupted. Unusable trust configuration (a missing trust file, a bundle
    that is forged or expired) or an out-of-date database stops the start with its reason and
    exit status 2."""
    problem = workers_problem(
        workers,
        env_prefix="DRUKID_VERIFIER_",
        database_url=settings.effective_database_url,
        sessions=settings.teller_sessions,
        sessions_setting="teller_sessions",
    )
    if problem:
        raise refuse_start(problem, None, "invalid_settings")
    try:
        app = create_app(settings)
        if workers > 1:
            build_runtime(settings).close()  # schema and signing key: once, first
    except VerificationError as exc:
        raise refuse_start(exc.message, exc.plain, exc.code) from exc
    options = {
        "host": host or settings.host,
        "port": port or settings.port,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "server_header": False,
        "log_level": "info",
    }
    if workers == 1:
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return
    os.environ["DRUKID_VERIFIER_PORT"] = str(options["port"])
    uvicorn.run(
        "verifier.server:app_from_environment",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )
